"""The journal's CSV: a header, one row per entry, RFC 4180 quoting, no formula in any cell."""

import csv
from datetime import timedelta, timezone
import io
import json

import pytest

from custom_components.imaprotect.core.journal import EntryKind, Journal, Who
from custom_components.imaprotect.core.journal_csv import COLUMNS, journal_csv, safe_cell
from tests.core.builders import T0, at

PARIS_WINTER = timezone(timedelta(hours=1))


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33", "'+33"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Marie", "Marie"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_a_cell_never_starts_a_formula(cell: str, expected: str) -> None:
    assert safe_cell(cell) == expected


def test_an_empty_journal_is_its_header() -> None:
    assert journal_csv([], PARIS_WINTER) == ",".join(COLUMNS) + "\r\n"


def test_one_row_per_entry_with_quoting_labels_and_local_times() -> None:
    log = Journal(lambda: T0)
    log.record(
        EntryKind.DISARMED,
        T0,
        who=Who(
            person='Dupont, "Marie"\nline two',
            user="=cmd|' /C calc'!A0",
            method="keypad",
            origin="user",
            origin_name="-admin",
        ),
    )
    log.record(
        EntryKind.ARM_REFUSED,
        at(60),
        details={"detectors": ("Porte, entrée", None), "mode": "total"},
    )
    text = journal_csv(log.entries, PARIS_WINTER, {"disarmed": "Mise à l'arrêt"})
    assert text.count("\r\n") == 3  # the header and two rows: a name keeps its own newline
    header, disarmed, refused = rows(text)
    assert tuple(header) == COLUMNS
    assert disarmed == [
        "2026-01-01T01:00:00+01:00",
        "disarmed",
        "Mise à l'arrêt",
        'Dupont, "Marie"\nline two',
        "'=cmd|' /C calc'!A0",
        "keypad",
        "user",
        "'-admin",
        "",
    ]
    assert '"Dupont, ""Marie""\nline two"' in text  # quoted, quotes doubled
    assert refused[:3] == ["2026-01-01T01:01:00+01:00", "arm_refused", "arm_refused"]
    assert refused[3:8] == ["", "", "", "", ""]
    assert json.loads(refused[8]) == {"detectors": ["Porte, entrée", None], "mode": "total"}
