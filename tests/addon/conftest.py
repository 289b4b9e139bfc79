"""Fixtures of the add-on's tests, and where the options samples are.

The fixtures are the voice tests': sockets on 127.0.0.1, free ports, no Home Assistant instance.
"""

from __future__ import annotations

from pathlib import Path

from tests.voice.conftest import (  # noqa: F401 - fixtures, registered by being imported here
    _voice_sockets,
    auto_enable_custom_integrations,
    port_pool,
)

SAMPLES = Path(__file__).parent / "samples"
