"""Write the voice server's TOML settings (the standard library reads TOML but cannot write it).

Only what the settings hold: tables of strings, paths, booleans, numbers and lists of strings.
Strings are TOML basic strings with every character TOML forbids there escaped, so a value can
never end its string early or start a setting of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath

__all__ = ["toml_document", "toml_string"]

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_SURROGATES = range(0xD800, 0xE000)


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string; ValueError for a lone surrogate (not text)."""
    out = []
    for char in value:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif code in _SURROGATES:
            raise ValueError("a lone surrogate is not text")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | PurePath):
        return toml_string(str(value))
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_document(tables: Mapping[str, Mapping[str, object]]) -> str:
    """One ``[name]`` table per entry, in order; dotted names (``voice.routes``) are sub-tables.

    Table names are the program's own (never user input); keys and values are quoted.
    """
    parts = []
    for name, values in tables.items():
        lines = [f"[{name}]"]
        lines += [f"{toml_string(key)} = {_value(value)}" for key, value in values.items()]
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)
