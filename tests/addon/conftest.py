"""Fixtures of the add-on's tests: the options samples, free ports, sockets for the real runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.ports import PortPool

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(autouse=True)
def _addon_sockets(socket_enabled: None) -> None:
    """Let the add-on's tests reach their own Asterisk and voice server on 127.0.0.1."""


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: these tests need no Home Assistant instance."""


@pytest.fixture(scope="session")
def port_pool() -> PortPool:
    """Free loopback ports for Asterisk, SIPp and the voice server."""
    return PortPool()
