"""Text from a tree made fit to print: a file name or a value can carry any byte, and a
terminal obeys escape sequences and a JSON parser refuses lone surrogates.

This is the one sanitiser: every face escapes what it shows through `printable`, and the
last step before a terminal (`escape_segments`, used by the commands' console and the
explorer's line filter) escapes anything that slipped past, so a name never acts."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.segment import Segment

# Control (Cc: C0, DEL, C1), format (Cf: bidi overrides, zero-width joiners), surrogates,
# private use and unassigned code points, and the line and paragraph separators: none of
# them is a character a name is read by, and several make a terminal act.
_ESCAPED_CATEGORIES = ("C", "Zl", "Zp")
_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def printable(text: str) -> str:
    """Undecodable bytes as \\xNN, control and format characters escaped (`\\x1b`,
    `\\u202e`), everything else as it is."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: a byte that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == " " or not unicodedata.category(ch).startswith(_ESCAPED_CATEGORIES):
            out.append(ch)
        elif ch in _SHORT:
            out.append(_SHORT[ch])
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def printable_lines(text: str) -> str:
    """Like printable, keeping line breaks: for a multi-line value such as a PEM block."""
    if text.isprintable():
        return text
    return "\n".join(printable(line) for line in text.split("\n"))


def escape_segments(segments: Iterable[Segment]) -> list[Segment]:
    """Rendered segments with their text made printable. Control segments (cursor moves
    the renderer itself makes) pass; text that would reach the terminal raw does not."""
    from rich.segment import Segment

    out = []
    for segment in segments:
        text = segment.text
        if segment.control or text.isprintable() or text == "\n":
            out.append(segment)
        else:
            out.append(Segment(printable_lines(text), segment.style))
    return out
