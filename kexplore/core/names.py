"""Text from a tree made fit to print: a file name or a value can carry any byte, and a
terminal obeys escape sequences and a JSON parser refuses lone surrogates."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """Undecodable bytes as \\xNN, control characters escaped, everything else as it is."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: a byte that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch).startswith("C"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)
