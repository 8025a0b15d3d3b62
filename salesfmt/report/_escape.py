"""Terminal-safe text: control characters and bidi overrides shown as escapes, never run.

A header, file name or cell holding ESC (``\\x1b[2J``), a carriage return or U+202E could
otherwise clear the screen, overwrite a line or reverse the text a user reads.
"""

from __future__ import annotations

__all__ = ["terminal_safe", "json_safe"]

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: Unicode format characters that reorder or hide text: bidi embeddings, overrides and
#: isolates, the directional marks, and the line/paragraph separators.
_BIDI = [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
         *range(0x2066, 0x206A)]
_CONTROL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]

_TERMINAL = {c: _NAMED.get(chr(c), f"\\x{c:02x}") for c in _CONTROL}
_TERMINAL.update({c: f"\\u{c:04x}" for c in _BIDI})
#: In JSON text the C0 controls are already escaped by ``json.dumps``; the rest may only
#: occur inside strings, where a ``\\uXXXX`` escape means the same character.
_JSON = {c: f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0), *_BIDI]}


def terminal_safe(text: object) -> str:
    """``text`` with C0/C1 controls, DEL and bidi overrides written as visible escapes."""
    return str(text).translate(_TERMINAL)


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps``) with DEL, C1 controls and bidi characters escaped."""
    return text.translate(_JSON)
