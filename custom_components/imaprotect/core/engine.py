"""The alarm state machine.

Pure and synchronous: every call gets ``now`` (timezone-aware) from the caller, the engine never
reads a clock, never sleeps and never schedules anything. The Home Assistant layer asks
``next_deadline()``, sets a timer for it and calls ``tick()``; every public call that changes
something first catches up with deadlines that have passed, so a late timer cannot let an entry
delay run past its end. Events pile up until ``drain_events()``.

Choices where the specification is silent (an installer's view, EN 50131 in mind):

* Deadlines are absolute instants; restoring later leaves less time, never more.
* Overdue timers are processed in order. An entry delay that ran out while the engine was down
  triggers the alarm at the restore instant, and the alarm then lasts a full ``alarm_duration``
  from there (a silent, already-finished alarm would be a lost alarm). An exit fault found late
  starts its entry delay at the end of the exit delay, not at the restore instant.
* An alarm from ARMING (smoke, panic) returns, when it ends, to the armed state being set;
  except during a raise (see below), which the alarm cuts short: the panel falls back to the
  mode it was armed in before, so people still on their way out are not reported as intruders
  during the alarm nor caught by the higher mode after it.
* Lowering protection (ARMED_TOTAL -> PARTIAL) takes effect at once: no exit delay, and the
  partial zones, already watched, stay watched without a gap. Raising it (ARMED_PARTIAL ->
  TOTAL) goes through the exit delay, but the zones armed before stay watched meanwhile
  (``held_mode``): their detectors alarm as they did before the raise, except entry-route
  detectors, which are the way out and are only checked at the end of the exit delay like in
  any exit delay. A tamper during a raise is a panel alarm, as when armed.
* Further detectors tripping while TRIGGERED are added to ``tripped`` and reported once each;
  they do not lengthen the alarm (sirens must stop).
* ``tripped`` is the alarm memory: it survives the return to armed after an alarm and is
  cleared by disarming (or by the return to DISARMED after a 24/7 alarm while disarmed).
* A smoke or flood detector whose very first reading is ON raises the alarm (fail safe); an
  intrusion detector's first reading only sets the baseline.
* Disarming, and arming when ``code_arm_required`` is off, need no person: the Home Assistant
  layer decides when to ask for a code. Switching from TOTAL to PARTIAL lowers protection and so
  needs a person who may both arm and disarm, whatever ``code_arm_required`` says; ``force``
  (bypassing open or faulty detectors) needs a person too. An anonymous actor gets
  "code_required" for both, so no voice assistant or automation can unwatch a zone.
* Badges share the code-entry lockout: an unknown or disabled badge counts as a wrong code, a
  valid badge as a right one, and while locked no badge is even looked at. Otherwise badge ids
  (short, often printed on the fob) could be guessed without limit.
* Fault prevents setting (EN 50131): a detector watched in the mode being set that is in fault
  (unavailable past the supervision window) refuses arming like an open one, and ``force``
  bypasses it until disarm like an open one. A shorter unavailability is a radio blip and does not
  block by itself (its last known reading still counts). Smoke and flood detectors are never
  watched for arming, so never block it. A detector that goes into fault after arming starts is
  not checked again at the end of the exit delay.
* Unavailable is never an intrusion, at the end of the exit delay either: a detector unavailable
  then is not an exit fault whatever its last known reading, and it counts again from its next
  known reading (coming back ON after a last known OFF is an opening, as when armed).
* An SOS (a person asking for help) is an alarm at any time, disarmed too: silent, it changes
  nothing on the panel and is only reported (``AlarmRaised`` of kind SOS with who pressed it);
  with the siren, it also triggers the panel like a panic.
* A duress code works exactly as its person's code (same person, same rights, same lockout
  reset); the only difference is a ``DuressUsed`` event, for the caller to act on silently.
* Unknown detector, zone or person ids raise KeyError (a configuration mismatch is a bug).
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, override

from .badges import badge_digest, badge_hint, digest_among
from .codes import match_code
from .events import (
    AlarmCleared,
    AlarmRaised,
    ArmRefused,
    BadgeRejected,
    Bypassed,
    CodeRejected,
    DuressUsed,
    Event,
    FaultCleared,
    FaultRaised,
    LockedOut,
    StateChanged,
)
from .lockout import CodeLockout
from .model import (
    Actor,
    AlarmKind,
    ArmMode,
    Detector,
    DetectorType,
    HomeConfig,
    Method,
    PanelState,
    Person,
    Reading,
    normalize_badge,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SNAPSHOT_VERSION = 1

_ARMED_STATE = {ArmMode.TOTAL: PanelState.ARMED_TOTAL, ArmMode.PARTIAL: PanelState.ARMED_PARTIAL}
_ARMED_STATES = frozenset(_ARMED_STATE.values())
_TIMED_STATES = frozenset({PanelState.ARMING, PanelState.PENDING, PanelState.TRIGGERED})
_KIND_OF_TYPE = {DetectorType.SMOKE: AlarmKind.SMOKE, DetectorType.FLOOD: AlarmKind.FLOOD}


class AlarmError(Exception):
    """Base of the engine's refusals, so callers can catch them all at once."""


class ArmRefusedError(AlarmError):
    """Arming refused because of detectors of the watched set.

    One refusal reports everything to fix: ``open_ids`` (opening detectors left open) and
    ``faulty_ids`` (detectors in fault; a faulty detector is listed there only, whatever its last
    reading). ``detector_ids`` is both, open ones first. ``reason`` is "open_detectors",
    "faulty_detectors", or "open_and_faulty_detectors" when both lists are non-empty.
    """

    def __init__(self, open_ids: tuple[str, ...] = (), faulty_ids: tuple[str, ...] = ()) -> None:
        if open_ids and faulty_ids:
            reason = "open_and_faulty_detectors"
        elif faulty_ids:
            reason = "faulty_detectors"
        else:
            reason = "open_detectors"
        detector_ids = open_ids + faulty_ids
        super().__init__(f"arming refused ({reason}): {', '.join(detector_ids)}")
        self.open_ids = open_ids
        self.faulty_ids = faulty_ids
        self.detector_ids = detector_ids
        self.reason = reason


class NotAllowedError(AlarmError):
    """The command is not allowed now or not for this actor; ``reason`` says which.

    Reasons: "may_not_arm", "may_not_disarm", "unknown_person", "code_required",
    "already_armed", "arming_in_progress", "alarm_in_progress", "already_disarmed".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"not allowed: {reason}")
        self.reason = reason


class WrongCodeError(AlarmError):
    """The code matched nobody; ``failures`` counts wrong codes in a row."""

    def __init__(self, failures: int) -> None:
        super().__init__(f"wrong code ({failures} in a row)")
        self.failures = failures


class LockedOutError(AlarmError):
    """Code and badge entry is locked until ``until`` after too many wrong codes or badges."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"code and badge entry locked until {until.isoformat()}")
        self.until = until


class BadgeRejectedError(AlarmError):
    """The badge is unknown or disabled (``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"badge rejected: {reason}")
        self.reason = reason


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now


class AlarmEngine:
    """One home's alarm panel: state, timers, detectors, codes and badges."""

    def __init__(
        self, config: HomeConfig, *, disabled_badges: frozenset[str] = frozenset()
    ) -> None:
        self._config = config
        self._detectors = {d.id: d for d in config.detectors}
        self._disabled_badges = set(disabled_badges)
        self._state = PanelState.DISARMED
        self._mode: ArmMode | None = None
        self._held: ArmMode | None = None
        self._changed_by: Actor | None = None
        self._deadline: datetime | None = None
        self._bypassed: set[str] = set()
        self._tripped: list[str] = []
        self._readings: dict[str, Reading] = {}
        self._unavailable_since: dict[str, datetime] = {}
        self._faults: set[str] = set()
        self._tampered: set[str] = set()
        self._lockout = CodeLockout()
        self._events: list[Event] = []

    @override
    def __repr__(self) -> str:
        return f"AlarmEngine(state={self._state.value}, mode={self._mode})"

    # ----------------------------------------------------------------- read-only view

    @property
    def config(self) -> HomeConfig:
        """The configuration the engine runs on."""
        return self._config

    @property
    def state(self) -> PanelState:
        """The panel state."""
        return self._state

    @property
    def mode(self) -> ArmMode | None:
        """The mode armed or being armed; None when disarmed (or in a 24/7 alarm from disarmed)."""
        return self._mode

    @property
    def held_mode(self) -> ArmMode | None:
        """While raising PARTIAL -> TOTAL (ARMING): the mode still watched; None otherwise."""
        return self._held

    @property
    def changed_by(self) -> Actor | None:
        """The last actor who armed or disarmed."""
        return self._changed_by

    @property
    def bypassed(self) -> frozenset[str]:
        """Detectors bypassed by a forced arming, until the next disarm."""
        return frozenset(self._bypassed)

    @property
    def open_detectors(self) -> frozenset[str]:
        """Detectors whose last known reading is ON (an unavailable one keeps its last reading)."""
        return frozenset(k for k, v in self._readings.items() if v is Reading.ON)

    @property
    def faults(self) -> frozenset[str]:
        """Detectors unavailable for longer than the supervision window."""
        return frozenset(self._faults)

    @property
    def tampered(self) -> frozenset[str]:
        """Detectors currently reporting tamper."""
        return frozenset(self._tampered)

    @property
    def tripped(self) -> tuple[str, ...]:
        """Detectors that caused the entry delay or the alarm, in order (alarm memory)."""
        return tuple(self._tripped)

    @property
    def disabled_badges(self) -> frozenset[str]:
        """Digests of the disabled badges, for the caller to persist."""
        return frozenset(self._disabled_badges)

    def locked_until(self, now: datetime) -> datetime | None:
        """Return the end of the code and badge lock, or None when codes and badges are taken."""
        return self._lockout.locked_until(_require_aware(now))

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left of the exit delay, entry delay or alarm; None when no timer runs."""
        _require_aware(now)
        if self._deadline is None:
            return None
        return max(self._deadline - now, timedelta(0))

    def next_deadline(self) -> datetime | None:
        """Return the next instant at which ``tick()`` has work (state timer or supervision)."""
        window = self._config.settings.supervision_window
        candidates = [
            since + window
            for detector_id, since in self._unavailable_since.items()
            if detector_id not in self._faults
        ]
        if self._deadline is not None:
            candidates.append(self._deadline)
        return min(candidates, default=None)

    def armed_detectors(self, mode: ArmMode) -> tuple[Detector, ...]:
        """Intrusion detectors watched in ``mode`` (PARTIAL: those in partial zones)."""
        partial_zones = {z.id for z in self._config.zones if z.partial}
        return tuple(
            d
            for d in self._config.detectors
            if d.intrusion and (mode is ArmMode.TOTAL or d.zone_id in partial_zones)
        )

    def zone_armed(self, zone_id: str) -> bool:
        """Whether the zone is watched right now.

        Armed, pending or in alarm: the zones of the mode. Arming: none, except during a raise
        to TOTAL, when the zones armed before (``held_mode``) stay watched.
        """
        zone = self._config.zone(zone_id)
        mode = self._watched_mode()
        if mode is None:
            return False
        return mode is ArmMode.TOTAL or zone.partial

    def _watched_mode(self) -> ArmMode | None:
        if self._state is PanelState.ARMING:
            return self._held
        if self._state is PanelState.DISARMED:
            return None
        return self._mode

    def zone_in_alarm(self, zone_id: str) -> bool:
        """Whether the panel is triggered and a detector of this zone is among the causes."""
        self._config.zone(zone_id)
        if self._state is not PanelState.TRIGGERED:
            return False
        return any(self._detectors[d].zone_id == zone_id for d in self._tripped)

    # ----------------------------------------------------------------- authentication

    def authenticate_code(self, code: str, now: datetime, method: Method) -> Person:
        """Return the person whose code this is.

        Raises LockedOutError while locked (without checking the code) and WrongCodeError when
        nobody matches. The same as ``check_code_lock``, ``match_code`` and ``record_code_attempt``
        in a row; a caller that runs the slow hashes elsewhere calls those three itself.
        """
        self.check_code_lock(now)
        return self.record_code_attempt(match_code(self._config.people, code), now, method)

    def check_code_lock(self, now: datetime) -> None:
        """Raise LockedOutError while locked; codes and badges must not even be checked then."""
        until = self._lockout.locked_until(_require_aware(now))
        if until is not None:
            raise LockedOutError(until)

    def record_code_attempt(
        self, person: Person | None, now: datetime, method: Method, *, duress: bool = False
    ) -> Person:
        """Count a checked code: a match resets the failures, a miss counts towards the lockout.

        ``duress``: the match was the person's duress code; it counts as their code, and a
        ``DuressUsed`` event is reported.
        """
        _require_aware(now)
        if person is not None:
            self._lockout.record_success()
            if duress:
                self._events.append(DuressUsed(at=now, person_id=person.id, method=method))
            return person
        lock_end = self._lockout.record_failure(now)
        failures = self._lockout.failures
        self._events.append(CodeRejected(at=now, method=method, failures=failures))
        if lock_end is not None:
            self._events.append(LockedOut(at=now, until=lock_end, locks=self._lockout.locks))
        raise WrongCodeError(failures)

    def badge_digest(self, badge_id: str) -> str:
        """The keyed digest of a presented badge id, as configured and as disabled."""
        return badge_digest(self._config.badge_key, badge_id)

    def knows_badge(self, badge_id: str) -> bool:
        """Whether a badge id is registered to someone here (enabled or not), in constant time."""
        digest = self.badge_digest(badge_id)
        return digest_among(digest, (b for p in self._config.people for b in p.badges))

    def authenticate_badge(self, badge_id: str, now: datetime) -> Person:
        """Return the badge's holder.

        Badges share the code-entry lockout. Raises LockedOutError while locked (without looking
        at the badge, nothing reported) and BadgeRejectedError ("unknown"/"disabled") otherwise;
        a rejected badge counts as a wrong code (BadgeRejected, then LockedOut when it starts the
        lock) and a valid one resets the count like a right code. The id is compared as its
        keyed digest with every registered one, so the time taken does not tell which matched.
        """
        self.check_code_lock(now)
        digest = self.badge_digest(badge_id)
        holder: Person | None = None
        for person in self._config.people:
            if digest_among(digest, person.badges):
                holder = holder or person
        reason = "unknown"
        if holder is not None and digest_among(digest, self._disabled_badges):
            reason = "disabled"
        elif holder is not None:
            self._lockout.record_success()
            return holder
        lock_end = self._lockout.record_failure(now)
        hint = badge_hint(normalize_badge(badge_id))
        self._events.append(BadgeRejected(at=now, badge_id_hint=hint, reason=reason))
        if lock_end is not None:
            self._events.append(LockedOut(at=now, until=lock_end, locks=self._lockout.locks))
        raise BadgeRejectedError(reason)

    def set_badge_disabled(self, digest: str, disabled: bool) -> None:
        """Disable (lost badge) or re-enable a badge, given its digest."""
        if disabled:
            self._disabled_badges.add(digest)
        else:
            self._disabled_badges.discard(digest)

    # ----------------------------------------------------------------- commands

    def arm(self, mode: ArmMode, actor: Actor, now: datetime, *, force: bool = False) -> None:
        """Arm in ``mode`` (from DISARMED, or switch mode from the other armed state).

        Detectors of the set watched in ``mode`` (smoke and flood never are) that are not yet
        bypassed refuse arming (ArmRefusedError) unless ``force``: opening detectors whose last
        known reading is ON, and detectors in fault (``faults``; a faulty one counts as faulty
        only). Open and faulty ones are refused together: one ArmRefusedError with both lists
        (reason "open_and_faulty_detectors"), and one ArmRefused event per reason, open first.
        With ``force`` they are all bypassed until the next disarm (one Bypassed event, open ones
        first). Arming from DISARMED and raising PARTIAL -> TOTAL go through the exit delay (a
        raise keeps the partial zones watched meanwhile); lowering TOTAL -> PARTIAL takes effect
        at once and needs a person with ``may_disarm``. An anonymous actor may neither lower
        nor force (NotAllowedError "code_required").
        """
        self.tick(now)
        if self._state in _ARMED_STATES:
            if self._mode is mode:
                raise NotAllowedError("already_armed")
        elif self._state is PanelState.ARMING:
            raise NotAllowedError("arming_in_progress")
        elif self._state is not PanelState.DISARMED:
            raise NotAllowedError("alarm_in_progress")
        lowering = self._mode is ArmMode.TOTAL and mode is ArmMode.PARTIAL
        self._check_may_arm(mode, actor, now, lowering=lowering, force=force)

        watched = [d for d in self.armed_detectors(mode) if d.id not in self._bypassed]
        faulty = tuple(d.id for d in watched if d.id in self._faults)
        left_open = tuple(
            d.id
            for d in watched
            if d.type is DetectorType.OPENING
            and self._readings.get(d.id) is Reading.ON
            and d.id not in self._faults
        )
        blocking = left_open + faulty
        if blocking and not force:
            for reason, ids in (("open_detectors", left_open), ("faulty_detectors", faulty)):
                if ids:
                    self._events.append(
                        ArmRefused(at=now, actor=actor, mode=mode, detector_ids=ids, reason=reason)
                    )
            raise ArmRefusedError(left_open, faulty)
        if blocking:
            self._bypassed.update(blocking)
            self._events.append(Bypassed(at=now, actor=actor, detector_ids=blocking))

        self._changed_by = actor
        previous, self._mode = self._mode, mode
        exit_delay = self._config.settings.exit_delay
        if exit_delay and not lowering:
            self._held = previous  # a raise keeps the zones armed so far watched
            self._deadline = now + exit_delay
            self._set_state(PanelState.ARMING, now, actor)
        else:
            self._deadline = None
            self._set_state(_ARMED_STATE[mode], now, actor)

    def _check_may_arm(
        self, mode: ArmMode, actor: Actor, now: datetime, *, lowering: bool, force: bool
    ) -> None:
        # Lowering unwatches zones and force unwatches detectors: both are taken from someone
        # who may disarm, so neither is ever open to an anonymous actor, whatever the setting.
        if actor.person_id is None:
            if self._config.settings.code_arm_required or lowering or force:
                self._refuse(mode, actor, now, "code_required", "code_required")
            return
        person = self._person(actor)
        if person is None:
            self._refuse(mode, actor, now, "not_allowed", "unknown_person")
        elif not person.may_arm:
            self._refuse(mode, actor, now, "not_allowed", "may_not_arm")
        elif lowering and not person.may_disarm:
            self._refuse(mode, actor, now, "not_allowed", "may_not_disarm")

    def _refuse(
        self, mode: ArmMode, actor: Actor, now: datetime, event: str, error: str
    ) -> NoReturn:
        self._events.append(
            ArmRefused(at=now, actor=actor, mode=mode, detector_ids=(), reason=event)
        )
        raise NotAllowedError(error)

    def _person(self, actor: Actor) -> Person | None:
        for person in self._config.people:
            if person.id == actor.person_id:
                return person
        return None

    def disarm(self, actor: Actor, now: datetime) -> None:
        """Disarm from any other state; clears bypasses and the alarm memory."""
        self.tick(now)
        if self._state is PanelState.DISARMED:
            raise NotAllowedError("already_disarmed")
        if actor.person_id is not None:
            person = self._person(actor)
            if person is None:
                raise NotAllowedError("unknown_person")
            if not person.may_disarm:
                raise NotAllowedError("may_not_disarm")
        in_alarm = self._state in (PanelState.PENDING, PanelState.TRIGGERED)
        self._changed_by = actor
        self._mode = None
        self._held = None
        self._deadline = None
        self._bypassed.clear()
        self._tripped.clear()
        self._set_state(PanelState.DISARMED, now, actor)
        if in_alarm:
            self._events.append(AlarmCleared(at=now, actor=actor))

    def trigger(self, actor: Actor, now: datetime) -> None:
        """Panic: TRIGGERED at once (intrusion, no detector); nothing more if already triggered."""
        self.tick(now)
        if self._state is PanelState.TRIGGERED:
            return
        self._enter_triggered(now, actor)
        self._events.append(
            AlarmRaised(at=now, kind=AlarmKind.INTRUSION, detector_id=None, zone_id=None)
        )

    def sos(self, actor: Actor, now: datetime, *, siren: bool = False) -> None:
        """Someone asks for help: an SOS alarm at any time; with ``siren``, the panel triggers.

        Repeated presses are each reported (each may be the one that gets through).
        """
        self.tick(now)
        if siren and self._state is not PanelState.TRIGGERED:
            self._enter_triggered(now, actor)
        self._events.append(
            AlarmRaised(at=now, kind=AlarmKind.SOS, detector_id=None, zone_id=None, actor=actor)
        )

    def detector_changed(self, detector_id: str, reading: Reading, now: datetime) -> None:
        """Take a detector's new mirrored state; transitions are measured between known readings."""
        detector = self._detectors[detector_id]
        self.tick(now)
        if reading is Reading.UNAVAILABLE:
            self._unavailable_since.setdefault(detector_id, now)
            return
        if (
            self._unavailable_since.pop(detector_id, None) is not None
            and detector_id in self._faults
        ):
            self._faults.discard(detector_id)
            self._events.append(FaultCleared(at=now, detector_id=detector_id))
        previous = self._readings.get(detector_id)
        self._readings[detector_id] = reading
        if reading is not Reading.ON or previous is Reading.ON:
            return
        if detector.always_active:
            self._life_safety(detector, now)
        elif previous is Reading.OFF:
            self._intrusion(detector, now)

    def tamper_changed(self, detector_id: str, tampered: bool, now: datetime) -> None:
        """Tamper reported or cleared; a new tamper is an alarm, a panel alarm only when armed."""
        detector = self._detectors[detector_id]
        self.tick(now)
        if not tampered:
            self._tampered.discard(detector_id)
            return
        if detector_id in self._tampered:
            return
        self._tampered.add(detector_id)
        if (
            self._state in _ARMED_STATES
            or self._state is PanelState.PENDING
            or (self._state is PanelState.ARMING and self._held is not None)
        ):
            self._add_tripped(detector_id)
            self._enter_triggered(now, None)
        self._events.append(
            AlarmRaised(
                at=now, kind=AlarmKind.TAMPER, detector_id=detector_id, zone_id=detector.zone_id
            )
        )

    def tick(self, now: datetime) -> None:
        """Process every deadline up to ``now``: exit end, entry end, alarm end, supervision."""
        _require_aware(now)
        while self._deadline is not None and now >= self._deadline:
            self._expire(self._deadline, now)
        window = self._config.settings.supervision_window
        for detector_id, since in sorted(self._unavailable_since.items(), key=lambda i: i[1]):
            if detector_id not in self._faults and now >= since + window:
                self._faults.add(detector_id)
                self._events.append(FaultRaised(at=now, detector_id=detector_id))

    def drain_events(self) -> list[Event]:
        """Events since the last drain, oldest first."""
        events, self._events = self._events, []
        return events

    # ----------------------------------------------------------------- transitions

    def _set_state(self, new: PanelState, now: datetime, actor: Actor | None) -> None:
        # every caller moves to a different state, so each call is one reportable change
        old, self._state = self._state, new
        self._events.append(StateChanged(at=now, old=old, new=new, actor=actor))

    def _add_tripped(self, detector_id: str) -> None:
        if detector_id not in self._tripped:
            self._tripped.append(detector_id)

    def _enter_triggered(self, now: datetime, actor: Actor | None) -> None:
        if self._held is not None:  # an alarm during a raise cuts it short
            self._mode, self._held = self._held, None
        self._deadline = now + self._config.settings.alarm_duration
        self._set_state(PanelState.TRIGGERED, now, actor)

    def _raise(self, kind: AlarmKind, detector: Detector, now: datetime) -> None:
        self._events.append(
            AlarmRaised(at=now, kind=kind, detector_id=detector.id, zone_id=detector.zone_id)
        )

    def _life_safety(self, detector: Detector, now: datetime) -> None:
        self._add_tripped(detector.id)
        if self._state is not PanelState.TRIGGERED:
            self._enter_triggered(now, None)
        self._raise(_KIND_OF_TYPE[detector.type], detector, now)

    def _intrusion(self, detector: Detector, now: datetime) -> None:
        mode = self._watched_mode()
        if mode is None:
            return
        if detector.id in self._bypassed or detector not in self.armed_detectors(mode):
            return
        if self._state is PanelState.ARMING and detector.entry_route:
            return  # the way out during a raise's exit delay: checked when it ends
        if self._state is PanelState.TRIGGERED:
            if detector.id not in self._tripped:
                self._tripped.append(detector.id)
                self._raise(AlarmKind.INTRUSION, detector, now)
            return
        if detector.entry_route:
            entry_delay = self._config.settings.entry_delay
            if self._state is PanelState.PENDING:
                self._add_tripped(detector.id)  # another door on the way in: still the same entry
                return
            if entry_delay:
                self._add_tripped(detector.id)
                self._deadline = now + entry_delay
                self._set_state(PanelState.PENDING, now, None)
                return
        self._add_tripped(detector.id)
        self._enter_triggered(now, None)
        self._raise(AlarmKind.INTRUSION, detector, now)

    def _expire(self, deadline: datetime, now: datetime) -> None:
        if self._state is PanelState.ARMING:
            self._end_exit(deadline, now)
        elif self._state is PanelState.PENDING:
            first = self._detectors[self._tripped[0]] if self._tripped else None
            self._enter_triggered(now, None)
            self._events.append(
                AlarmRaised(
                    at=now,
                    kind=AlarmKind.INTRUSION,
                    detector_id=first.id if first else None,
                    zone_id=first.zone_id if first else None,
                )
            )
        else:  # TRIGGERED: the alarm has sounded long enough
            self._deadline = None
            if self._mode is None:
                self._tripped.clear()
                self._set_state(PanelState.DISARMED, now, None)
            else:
                self._set_state(_ARMED_STATE[self._mode], now, None)

    def _end_exit(self, deadline: datetime, now: datetime) -> None:
        self._held = None
        mode = self._mode
        assert mode is not None  # ARMING always has a mode
        left_open = [
            d
            for d in self.armed_detectors(mode)
            if d.type is DetectorType.OPENING
            and self._readings.get(d.id) is Reading.ON
            and d.id not in self._bypassed
            and d.id not in self._unavailable_since  # unavailable is never an intrusion
        ]
        if not left_open:
            self._deadline = None
            self._set_state(_ARMED_STATE[mode], now, None)
            return
        for detector in left_open:
            self._add_tripped(detector.id)
        entry_delay = self._config.settings.entry_delay
        causes = [d for d in left_open if not d.entry_route]
        if not causes and entry_delay:
            self._deadline = deadline + entry_delay
            self._set_state(PanelState.PENDING, now, None)
            return
        self._enter_triggered(now, None)
        for detector in causes or left_open:
            self._raise(AlarmKind.INTRUSION, detector, now)

    # ----------------------------------------------------------------- persistence

    def snapshot(self) -> dict[str, Any]:
        """JSON-serialisable state for a restart (no codes, no badges)."""
        actor = self._changed_by
        return {
            "version": SNAPSHOT_VERSION,
            "state": self._state.value,
            "mode": self._mode.value if self._mode is not None else None,
            "held_mode": self._held.value if self._held is not None else None,
            "deadline": self._deadline.isoformat() if self._deadline is not None else None,
            "bypassed": sorted(self._bypassed),
            "tripped": list(self._tripped),
            "changed_by": None
            if actor is None
            else {
                "method": actor.method.value,
                "person_id": actor.person_id,
                "person_name": actor.person_name,
                "operator": actor.operator,
            },
            "lockout": self._lockout.to_dict(),
            "readings": {k: v.value for k, v in sorted(self._readings.items())},
            "unavailable_since": {
                k: v.isoformat() for k, v in sorted(self._unavailable_since.items())
            },
            "faults": sorted(self._faults),
            "tampered": sorted(self._tampered),
        }

    @classmethod
    def restore(
        cls,
        config: HomeConfig,
        data: dict[str, Any],
        now: datetime,
        *,
        disabled_badges: frozenset[str] = frozenset(),
    ) -> AlarmEngine:
        """Rebuild from ``snapshot()`` output and catch up to ``now``.

        Deadlines that passed while down are processed (an entry delay that ran out triggers the
        alarm); ids of detectors no longer configured are dropped. ValueError on malformed data.
        """
        _require_aware(now)
        engine = cls(config, disabled_badges=disabled_badges)
        try:
            engine._load(data)
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed alarm snapshot: {type(err).__name__}") from None
        engine.tick(now)
        return engine

    def _load(self, data: Mapping[str, Any]) -> None:
        if data.get("version", SNAPSHOT_VERSION) != SNAPSHOT_VERSION:
            raise ValueError("unsupported alarm snapshot version")
        state = PanelState(data["state"])
        mode = ArmMode(data["mode"]) if data.get("mode") is not None else None
        if state is PanelState.ARMED_TOTAL:
            mode = ArmMode.TOTAL
        elif state is PanelState.ARMED_PARTIAL:
            mode = ArmMode.PARTIAL
        elif state is PanelState.DISARMED:
            mode = None
        elif mode is None and state is not PanelState.TRIGGERED:
            raise ValueError("alarm snapshot lacks the arming mode")
        deadline = _parse_time(data.get("deadline"))
        if state in _TIMED_STATES and deadline is None:
            raise ValueError("alarm snapshot lacks a deadline")
        held = ArmMode(data["held_mode"]) if data.get("held_mode") is not None else None
        raising = state is PanelState.ARMING and mode is ArmMode.TOTAL
        self._state = state
        self._mode = mode
        self._held = held if raising and held is ArmMode.PARTIAL else None
        self._deadline = deadline if state in _TIMED_STATES else None
        known = self._detectors
        self._bypassed = set(self._known(data.get("bypassed", [])))
        self._tripped = list(dict.fromkeys(self._known(data.get("tripped", []))))
        actor = data.get("changed_by")
        self._changed_by = (
            None
            if actor is None
            else Actor(
                method=Method(actor["method"]),
                person_id=actor.get("person_id"),
                person_name=actor.get("person_name"),
                operator=actor.get("operator"),
            )
        )
        self._lockout = CodeLockout.from_dict(data.get("lockout") or {})
        readings: Mapping[str, str] = data.get("readings", {})
        for detector_id, value in readings.items():
            reading = Reading(value)
            if detector_id in known and reading is not Reading.UNAVAILABLE:
                self._readings[detector_id] = reading
        since: Mapping[str, str] = data.get("unavailable_since", {})
        for detector_id, value in since.items():
            when = _parse_time(value)
            if detector_id in known and when is not None:
                self._unavailable_since[detector_id] = when
        self._faults = set(self._known(data.get("faults", []))) & set(self._unavailable_since)
        self._tampered = set(self._known(data.get("tampered", [])))

    def _known(self, ids: Iterable[str]) -> list[str]:
        if isinstance(ids, str):
            raise TypeError(ids)
        return [i for i in ids if i in self._detectors]


def _parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    return _require_aware(datetime.fromisoformat(value))
