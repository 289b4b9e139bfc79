"""Names: the sanitiser Home Assistant applies before sending, and the rule the server enforces.

A name is said on the phone and written in e-mails: one line, no control characters, at most
``MAX_NAME`` characters. ``clean_name`` turns anything a user can type into such a name (or ``""``
when nothing is left); ``check_name`` is the server's refusal for the rest. Whatever ``clean_name``
returns, ``check_name`` accepts, so a detector named badly never stops a call.
"""

import unicodedata

from .limits import MAX_NAME

__all__ = ["check_name", "clean_name", "is_clean_text"]

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format, surrogate, private-use and unassigned code points, line and paragraph breaks."""


def _refused(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def is_clean_text(value: str) -> bool:
    """Whether ``value`` is one line of printable text (spaces allowed).

    ``str.isprintable`` refuses every refused category and the spaces other than " " too, so a
    printable text is clean at C speed; only a text with another space (a no-break space, as in
    French typography) is looked at character by character.
    """
    return value.isprintable() or not any(_refused(char) for char in value)


def clean_name(raw: str, limit: int = MAX_NAME) -> str:
    """``raw`` as one printable line of at most ``limit`` characters; ``""`` when nothing is left.

    Control and format characters become spaces, runs of white space one space, and the result
    is stripped and then cut at ``limit`` (and stripped again, so it never ends in a space).
    """
    spaced = "".join(" " if _refused(char) or char.isspace() else char for char in raw)
    return " ".join(spaced.split())[:limit].strip()


def check_name(value: str, limit: int = MAX_NAME) -> str:
    """``value`` stripped; ValueError when it is empty, too long or not one printable line."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty")
    if len(stripped) > limit:
        raise ValueError(f"at most {limit} characters")
    if not is_clean_text(stripped):
        raise ValueError("one line of printable text")
    return stripped
