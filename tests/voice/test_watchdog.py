"""The pure watchdog: which armed homes went silent, and when the next one would (every branch)."""

from __future__ import annotations

from dataclasses import replace

from custom_components.imaprotect.contract.limits import ALERT_ID_PATTERN
from voice_server.watchdog import (
    Beat,
    Watch,
    deadline,
    heard,
    next_deadline,
    reported,
    silence_alert_id,
    silent,
)

START = 1_000.0  # the server started watching here
HOME = Watch(
    site_id="home", armed=True, interval=60.0, grace=300.0, last_seen=1_100.0, utc_offset=3600
)


def beat(at: float, *, armed: bool = True, grace: float = 300.0) -> Beat:
    return Beat(armed=armed, interval=60.0, grace=grace, at=at, utc_offset=7200)


def test_a_first_heartbeat_starts_the_watch() -> None:
    result = heard(None, "home", beat(1_200.0))
    assert result.ended is None
    assert result.watch == Watch(
        site_id="home", armed=True, interval=60.0, grace=300.0, last_seen=1_200.0, utc_offset=7200
    )
    assert not result.watch.reported


def test_a_heartbeat_moves_the_deadline_on_and_ends_nothing_while_watched() -> None:
    result = heard(HOME, "home", beat(1_250.0, grace=120.0))
    assert result.ended is None
    assert deadline(result.watch, since=START) == 1_370.0


def test_a_heartbeat_after_a_reported_silence_ends_it() -> None:
    silent_home = reported(HOME, "home-offline-x")
    result = heard(silent_home, "home", beat(2_000.0))
    assert result.ended == "home-offline-x"
    assert not result.watch.reported  # a new silence would be reported again
    assert deadline(result.watch, since=START) == 2_300.0


def test_a_disarmed_heartbeat_stops_the_watch_and_also_ends_a_silence() -> None:
    result = heard(reported(HOME, "home-offline-x"), "home", beat(2_000.0, armed=False))
    assert result.ended == "home-offline-x"
    assert deadline(result.watch, since=START) is None
    assert silent([result.watch], 1e12, since=START) == []


def test_the_deadline_is_the_last_heartbeat_plus_the_grace() -> None:
    assert deadline(HOME, since=START) == 1_400.0


def test_the_server_s_own_downtime_is_never_counted_as_silence() -> None:
    # Last heartbeat long before the server (re)started: the grace counts from the start.
    old = replace(HOME, last_seen=10.0)
    assert deadline(old, since=START) == 1_300.0
    assert silent([old], 1_299.0, since=START) == []
    assert silent([old], 1_300.0, since=START) == [old]


def test_disarmed_or_reported_homes_have_no_deadline() -> None:
    assert deadline(replace(HOME, armed=False), since=START) is None
    assert deadline(reported(HOME, "a"), since=START) is None


def test_silent_homes_are_those_past_their_deadline_the_longest_silent_first() -> None:
    late = replace(HOME, site_id="late", last_seen=1_050.0)  # deadline 1 350
    tie_b = replace(HOME, site_id="b", last_seen=1_100.0)  # deadline 1 400
    tie_a = replace(HOME, site_id="a", last_seen=1_100.0)  # deadline 1 400
    fresh = replace(HOME, site_id="fresh", last_seen=1_200.0)  # deadline 1 500
    off = replace(HOME, site_id="off", armed=False, last_seen=0.0)
    done = reported(replace(HOME, site_id="done", last_seen=0.0), "x")
    watches = [fresh, tie_b, off, late, done, tie_a]
    assert silent(watches, 1_399.9, since=START) == [late]
    assert silent(watches, 1_400.0, since=START) == [late, tie_a, tie_b]
    assert silent([], 1e12, since=START) == []


def test_the_next_deadline_is_the_earliest_watched_one() -> None:
    fresh = replace(HOME, site_id="fresh", last_seen=1_200.0)
    off = replace(HOME, site_id="off", armed=False, last_seen=0.0)
    assert next_deadline([fresh, HOME, off], since=START) == 1_400.0
    assert next_deadline([off, reported(HOME, "x")], since=START) is None
    assert next_deadline([], since=START) is None


def test_a_silence_has_one_alert_id_however_often_it_is_asked() -> None:
    first = silence_alert_id(HOME)
    assert first == silence_alert_id(replace(HOME, grace=999.0, utc_offset=0))
    assert ALERT_ID_PATTERN.fullmatch(first)
    assert first.startswith("home-offline-")
    # Another silence (a later last heartbeat) or another home: another alert.
    assert silence_alert_id(replace(HOME, last_seen=1_100.5)) != first
    assert silence_alert_id(replace(HOME, site_id="other")) != first


def test_reporting_a_silence_records_its_alert() -> None:
    marked = reported(HOME, "home-offline-x")
    assert marked.reported
    assert marked.alert_id == "home-offline-x"
    assert replace(marked, alert_id=None) == HOME
