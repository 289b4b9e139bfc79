"""Whose code is this: the panel's use of the contract's code-hash format."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.codes import verify_code

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .model import Person


def match_code(people: Iterable[Person], code: str) -> Person | None:
    """The person whose code this is, or None; pure, so it may run off the event loop.

    Every person's hash is checked, so the time taken does not tell whose code it is.
    """
    found: Person | None = None
    for person in people:
        if person.code_hash is not None and verify_code(code, person.code_hash):
            found = found or person
    return found


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """Whose code was given, and whether it was their duress code."""

    person: Person
    duress: bool = False


def identify_code(people: Iterable[Person], code: str) -> CodeMatch | None:
    """Like ``match_code``, duress codes included; pure, so it may run off the event loop.

    Every code and duress hash is checked whatever matches, so neither the time taken nor the
    answer's timing tells a duress code from a code.
    """
    found: CodeMatch | None = None
    for person in people:
        for encoded, duress in ((person.code_hash, False), (person.duress_hash, True)):
            if encoded is not None and verify_code(code, encoded):
                found = found or CodeMatch(person, duress)
    return found
