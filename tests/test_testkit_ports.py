"""The test kit's port pool finds a wide free range even when random windows keep missing it."""

from __future__ import annotations

import pytest

from testkit.ports import PortPool, _ephemeral_start, bound_ports


def test_a_wide_range_is_found_in_the_only_gap_left() -> None:
    pool = PortPool()
    gap = range(30000, 30100)
    pool._given = set(range(20000, _ephemeral_start())) - set(gap) - bound_ports()
    if set(gap) & bound_ports():
        pytest.skip("something of this machine listens in the gap")
    assert pool.take(100) == gap.start
    assert set(gap) <= pool._given  # given once, never again


def test_no_gap_wide_enough_is_said() -> None:
    pool = PortPool()
    pool._given = set(range(20000, _ephemeral_start(), 50))  # a port taken every 50
    with pytest.raises(RuntimeError, match="no free port range"):
        pool.take(100)
