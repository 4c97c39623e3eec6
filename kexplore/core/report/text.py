"""Findings, expiry rows, diffs and connections as text (rich): what the headless commands
print to a terminal or a pipe. Their JSON is in `documents.py`, which needs no rich."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from rich.console import Console, Group
from rich.text import Text

from kexplore.core.diff import ManifestDiff
from kexplore.core.model import ExpiryRow, Finding, Report, Severity
from kexplore.core.params import Inferred
from kexplore.core.plane import Plane
from kexplore.core.plane_outline import LinkLine, outline
from kexplore.core.report.summary import summary_line
from kexplore.core.report.texttable import PROSE, WHOLE, WORDS, Column, FittedTable
from kexplore.core.secrets import shown

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
KIND_STYLE = {"defect": "bold red", "customisation": "cyan", "version": "dim"}


FINDING_COLUMNS = (
    Column("severity", WHOLE),
    Column("rule", WHOLE, style="bold"),
    Column("where", WORDS),
    Column("message", PROSE, ratio=3),
    Column("fix", WORDS, ratio=2),
)
CERT_COLUMNS = (
    Column("CERTIFICATE", WHOLE),
    Column("EXPIRES", WHOLE),
    Column("RESIDUAL TIME", WHOLE),
    Column("CERTIFICATE AUTHORITY", WHOLE),
    Column("EXTERNALLY MANAGED", WHOLE),
    Column("FILE", WHOLE),
)
CA_COLUMNS = (
    Column("CERTIFICATE AUTHORITY", WHOLE),
    *(c for c in CERT_COLUMNS[1:] if c.header != "CERTIFICATE AUTHORITY"),
)
DIFF_COLUMNS = (
    Column("kind", WHOLE),
    Column("change", WHOLE),
    Column("where", WORDS),
    Column("kubeadm", WORDS),
    Column("this tree", WORDS),
    Column("why", PROSE),
)


def _shown(text: str, style: str = "") -> Text:
    """A value from the tree as a cell: redacted, escaped, and never read as markup."""
    return Text(shown(text), style=style)


def findings_renderable(report: Report) -> Group:
    """A table per file, files with the worst findings first."""
    by_path: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)
    order = sorted(by_path, key=lambda p: (-max(f.severity.rank for f in by_path[p]), p))
    parts: list[Any] = []
    for path in order:
        table = FittedTable(FINDING_COLUMNS, title=_shown(path, "bold"),
                            boxed=True)
        for f in by_path[path]:
            table.add_row(
                Text(f.severity.value, style=STYLE[f.severity]),
                Text(f.rule),
                _shown(f.pointer),
                _shown(f.message),
                _shown(f.fix, "dim"),
            )
        parts.append(table)
        parts.append(Text(""))
    parts.append(_shown(summary_line(report), "bold"))
    return Group(*parts)


def expiry_tables(rows: Sequence[ExpiryRow]) -> Group:
    """Two tables, certificates then CAs, with kubeadm's column names."""
    certs = FittedTable(CERT_COLUMNS)
    cas = FittedTable(CA_COLUMNS)
    for row in rows:
        cells: list[Text | str]
        if row.missing:
            cells = [_shown(f"!MISSING! {row.name}", "red"), "", "", "", ""]
        else:
            assert row.not_after is not None
            style = (
                "red"
                if row.residual_seconds <= 0
                else ("yellow" if row.residual_seconds < 30 * 86400 else "")
            )
            cells = [
                _shown(row.name),
                row.not_after.strftime("%b %d, %Y %H:%M UTC"),
                Text(row.residual if row.residual_seconds > 0 else "expired", style=style),
            ]
        where = _shown(row.path)
        if row.is_ca:
            cas.add_row(*cells[:3], "yes" if row.externally_managed else "no", where)
        else:
            managed = "yes" if row.externally_managed else "no"
            certs.add_row(*cells[:3], _shown(row.ca_name), managed, where)
    return Group(certs, Text(""), cas)


def parameters_table(inferred: Inferred) -> FittedTable:
    """The cluster's parameters as read back out of the tree, each with its source."""
    table = FittedTable(
        (Column("parameter", WORDS), Column("value", WORDS), Column("read from", WORDS)),
        title=Text("the cluster, as read from the tree"),
    )
    for label, value, source in inferred.described():
        table.add_row(_shown(label), _shown(value), _shown(source, "dim"))
    return table


def diff_renderable(diffs: Sequence[ManifestDiff], inferred: Inferred | None = None) -> Group:
    parts: list[Any] = [parameters_table(inferred), Text("")] if inferred else []
    for diff in diffs:
        parts.append(_shown(f"{diff.path} against kubeadm {diff.against}", "bold"))
        if not diff.all:
            parts.append(Text("  identical to what kubeadm writes", style="green"))
        for title, entries in (("flags", diff.flags), ("fields", diff.fields)):
            if not entries:
                continue
            table = FittedTable(DIFF_COLUMNS, title=Text(title), boxed=True)
            for kind, group in groupby(sorted(entries, key=lambda d: d.kind), key=lambda d: d.kind):
                for d in group:
                    table.add_row(
                        Text(kind, style=KIND_STYLE[kind]),
                        _shown(d.change),
                        _shown(d.where),
                        _shown(d.expected or "—"),
                        _shown(d.actual or "—"),
                        _shown(d.reason),
                    )
            parts.append(table)
        parts.append(Text(""))
    return Group(*parts)


def print_renderable(renderable: Any) -> None:
    Console(highlight=False, soft_wrap=False).print(renderable)


# --- connections -------------------------------------------------------------------------

STATUS_STYLE = {"broken": "bold red", "unknown": "yellow", "ok": "green"}
STATUS_ORDER = ("broken", "unknown", "ok")


def _files_of(link: LinkLine) -> list[str]:
    return [f"{f.role}: {f.path or f.named} ({f.pointer})" if f.pointer else
            f"{f.role}: {f.path or f.named}" for f in link.files]


CONNECTION_COLUMNS = (
    Column("relation", WORDS, style="bold"),
    Column("id", WHOLE, style="dim"),
    Column("address", WHOLE),
    Column("breaks", WORDS),
    Column("why, and the files", PROSE, ratio=1),
)


def connections_renderable(plane: Plane) -> Group:
    """A table per status, broken first: each relation, its ends, files and when it breaks."""
    parts: list[Any] = []
    links = outline(plane).links
    for status in STATUS_ORDER:
        rows = [link for link in links if link.status == status]
        if not rows:
            continue
        table = FittedTable(CONNECTION_COLUMNS, boxed=True,
                            title=Text(f"{status} ({len(rows)})", style=STATUS_STYLE[status]))
        for r in rows:
            why = "; ".join([r.reason or r.purpose, *_files_of(r)])
            table.add_row(Text(shown(f"{r.mark} {r.title}")), Text(shown(r.id)),
                          Text(shown(r.address)), Text(r.breaks()),
                          Text(shown(why)))
        parts += [table, Text("")]
    counts = {s: sum(1 for link in links if link.status == s) for s in STATUS_ORDER}
    parts.append(Text(
        f"{counts['broken']} broken, {counts['unknown']} unknown, {counts['ok']} ok "
        f"relations under {shown(str(plane.root))}", style="bold"))
    return Group(*parts)
