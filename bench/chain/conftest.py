"""Home Assistant's test harness for the chain benchmark: our integration visible, sockets on.

The same set-up as tests/conftest.py (the harness ships its own ``custom_components`` package,
imported first), kept here so the benchmark does not depend on the test tree.
"""

from pathlib import Path

import pytest

import custom_components

_OURS = str(Path(__file__).resolve().parents[2] / "custom_components")
if _OURS not in custom_components.__path__:
    custom_components.__path__.append(_OURS)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration under test."""


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """The chain is real HTTP and SIP on 127.0.0.1 (the harness still refuses other hosts)."""
