"""How the model looks on screen: severity marks, times, the validity bar. No decisions."""

from __future__ import annotations

from datetime import datetime

from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.filter import LineFilter

from kexplore.core.model import Severity
from kexplore.core.names import escape_segments
from kexplore.core.pki import CertInfo
from kexplore.core.secrets import redact_message, shown_lines
from kexplore.core.secrets import shown as shown_text

GLYPH = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "●"}
STYLE = {Severity.ERROR: "bold #e05d5d", Severity.WARNING: "#e5b84a", Severity.INFO: "#6fa8dc"}
OK_GLYPH, OK_STYLE = "✓", "#6cc070"
MUTED = "#8a8a8a"


def mark(severity: Severity | None) -> Text:
    """The one-cell mark of a node's worst finding (✓ when it has none)."""
    if severity is None:
        return Text(OK_GLYPH, style=OK_STYLE)
    return Text(GLYPH[severity], style=STYLE[severity])


def severity_label(severity: Severity) -> Text:
    return Text(f"{GLYPH[severity]} {severity.value}", style=STYLE[severity])


def style_for(severity: Severity | None) -> str:
    return OK_STYLE if severity is None else STYLE[severity]


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def shortened(text: str, width: int) -> str:
    """A name cut in its middle to `width` characters, its start and its file name kept: a
    tree may hold a 4,000-character path, and a one-line header must stay one line."""
    if len(text) <= width:
        return text
    tail = min(len(text) - text.rfind("/"), width // 2)  # the file name, with its slash
    return text[: width - tail - 1] + "…" + text[len(text) - tail:]


def time_left(cert: CertInfo, now: datetime) -> str:
    """Short time left, in kubeadm's words; 'expired' or 'not yet valid' when out of range."""
    if cert.is_expired(now):
        return "expired"
    if cert.is_not_yet_valid(now):
        return "not yet valid"
    return cert.residual(now)


def validity_bar(cert: CertInfo, now: datetime, style: str, width: int = 24) -> Text:
    """How much of the validity period is left, as a bar, then the words."""
    total = (cert.not_after - cert.not_before).total_seconds()
    left = cert.time_left(now).total_seconds()
    share = 0.0 if total <= 0 else min(max(left / total, 0.0), 1.0)
    filled = round(share * width)
    if left > 0 and filled == 0:
        filled = 1
    bar = Text("█" * filled, style=style)
    bar.append("░" * (width - filled), style=MUTED)
    bar.append(f"  {time_left(cert, now)}", style=style)
    if left > 0:
        bar.append(f" left ({share:.0%} of {cert.residual(cert.not_before)})", style=MUTED)
    return bar


def plain(text: str, style: str = "") -> Text:
    """A value from a file, shown literally: redacted, never read as markup, never as an
    escape."""
    return Text(shown_text(text), style=style)


def clean(text: Text) -> Text:
    """A Text built from the tree with its styles kept and its characters escaped: for
    lines that mix our words with names (a chain step, a key's file, an error)."""
    plain_text = text.plain
    if redact_message(plain_text) == plain_text and all(
            line.isprintable() for line in plain_text.split("\n")):
        return text
    cuts = sorted({edge for span in text.spans for edge in (span.start, span.end)})
    out = Text(style=text.style, justify=text.justify, overflow=text.overflow,
               no_wrap=text.no_wrap, end=text.end)
    for piece in text.divide(cuts):
        start = len(out)
        out.append(shown_lines(piece.plain))
        for span in piece.spans:  # each span covers the whole piece: it was cut at every edge
            out.stylize(span.style, start, len(out))
    return out


def shown(value: str | Text, style: str = "") -> Text:
    """Any value a widget shows, escaped: a string literally, a Text with its styles."""
    return clean(value) if isinstance(value, Text) else plain(value, style)


def literal(text: str) -> Content:
    """The same for where Textual wants Content (border titles, the palette): Content made
    directly is never parsed as markup."""
    return Content(shown_text(text))


class EscapeControls(LineFilter):
    """The explorer's backstop: every line any widget draws (toasts, the palette and
    Textual's own widgets included) has its control characters escaped before the
    terminal sees it. Views escape names where they build them; this catches the rest."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return escape_segments(segments)


def fingerprint(value: str) -> Text:
    """A long colon-separated fingerprint on lines of 16 bytes, so it never scrolls away."""
    parts = value.split(":")
    return Text("\n".join(":".join(parts[i : i + 16]) for i in range(0, len(parts), 16)))


# a relation's status, as the plane judged it: ✓ ok, ✗ broken, ? unknown
STATUS_STYLE = {"ok": OK_STYLE, "broken": STYLE[Severity.ERROR], "unknown": STYLE[Severity.WARNING]}


def status_mark(status: str, mark: str) -> Text:
    """The plane's own mark for a relation, coloured by its status."""
    return Text(mark, style=STATUS_STYLE.get(status, MUTED))
