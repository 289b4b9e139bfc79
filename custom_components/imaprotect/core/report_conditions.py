"""Which trouble conditions the station has been told of, so none reaches it twice.

Several senders tell the station of the same detector condition: the offers (a fault's UT, a
wired tamper's TA), the self-diagnosis (its troubles and their restores) and the station reporter
(the fault's UJ, the tamper alarm's TR). Every report passes one choke point that keeps, per
condition family (trouble, low battery, tamper) and zone, whether the station has it raised: a
raise while raised is dropped, a restore while not raised is dropped, except a tamper's raise
(TA): it is an alarm, and an alarm always goes (twice rather than never). Every other kind (alarms,
arming, bypass, tests, paths) passes, and so does a report without a zone (its detector is
unknown, so nothing can say it is the same). Pure and clock-free; ``snapshot`` / ``restore``
keep it across restarts, so a restart resends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .reports import ReportKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .reports import Report


class ConditionFamily(StrEnum):
    """One kind of detector condition the station is told of, raised then restored."""

    TROUBLE = "trouble"
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"


#: Raises that always go (they are alarms): only noted, so their restore is not dropped.
ALWAYS_SENT: frozenset[ReportKind] = frozenset({ReportKind.TAMPER})

#: Report kind -> (its family, whether it raises the condition).
FAMILIES: dict[ReportKind, tuple[ConditionFamily, bool]] = {
    ReportKind.TROUBLE: (ConditionFamily.TROUBLE, True),
    ReportKind.TROUBLE_RESTORE: (ConditionFamily.TROUBLE, False),
    ReportKind.LOW_BATTERY: (ConditionFamily.LOW_BATTERY, True),
    ReportKind.LOW_BATTERY_RESTORE: (ConditionFamily.LOW_BATTERY, False),
    ReportKind.TAMPER: (ConditionFamily.TAMPER, True),
    ReportKind.TAMPER_RESTORE: (ConditionFamily.TAMPER, False),
}


@dataclass(slots=True)
class ReportConditions:
    """The (family, zone) conditions the station has raised."""

    raised: set[tuple[ConditionFamily, int]] = field(default_factory=set)

    def admit(self, report: Report) -> bool:
        """Whether ``report`` goes to the station; a condition's report that goes is noted."""
        family = FAMILIES.get(report.kind)
        if family is None or report.zone is None:
            return True
        kind, raising = family
        key = (kind, report.zone)
        if raising == (key in self.raised) and report.kind not in ALWAYS_SENT:
            return False
        if raising:
            self.raised.add(key)
        else:
            self.raised.discard(key)
        return True

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe, in a stable order."""
        return {"raised": [[kind.value, zone] for kind, zone in sorted(self.raised)]}

    @classmethod
    def restore(cls, data: dict[str, Any] | None) -> ReportConditions:
        """Back from ``snapshot`` (none raised for None); unknown families are left out."""
        data = data or {}
        return cls(
            {
                (ConditionFamily(kind), int(zone))
                for kind, zone in data.get("raised", ())
                if kind in ConditionFamily
            }
        )

    @classmethod
    def from_raised(cls, raised: Iterable[tuple[ConditionFamily, int | None]]) -> ReportConditions:
        """Conditions known raised otherwise (a store saved before this one existed)."""
        return cls({(kind, zone) for kind, zone in raised if zone is not None})
