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


def test_single_ports_leave_the_ranges_ports_alone() -> None:
    """Hundreds of phones and servers in a run must not fragment the RTP ranges' ports."""
    pool = PortPool()
    ephemeral = _ephemeral_start()
    if ephemeral >= 59000:
        pytest.skip("this machine's ephemeral ports leave no room for single ports above them")
    singles = [pool.take() for _ in range(300)]
    assert min(singles) >= ephemeral
    for _ in range(2):  # two benchmark-sized RTP ranges always fit below them, wherever put
        assert pool.take(4000) < ephemeral
