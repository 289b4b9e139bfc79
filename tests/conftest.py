"""Shared test set-up: make the repository's integration visible to Home Assistant's harness."""

import pathlib

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components

# pytest-homeassistant-custom-component ships its own `custom_components` package, imported first;
# without this, Home Assistant answers "Integration not found" for ours.
_OURS = str(pathlib.Path(__file__).resolve().parents[1] / "custom_components")
if _OURS not in custom_components.__path__:
    custom_components.__path__.append(_OURS)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration under test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, under ``snapshots/`` next to the test.

    The harness defines this fixture too, but syrupy's own plugin registers after it and wins; a
    conftest fixture comes first. Without it, registry entries are dumped with their random ids and
    timestamps, and no snapshot would match twice.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
