"""A comparison of nodes as text (rich) and as JSON: what `kexplore compare` prints."""

from __future__ import annotations

import json

from rich.console import Group
from rich.table import Table
from rich.text import Text

from kexplore.core.compare import Comparison, side_by_side
from kexplore.core.model import tally
from kexplore.core.report.text import STYLE
from kexplore.core.secrets import shown as printable


def comparison_json(result: Comparison) -> str:
    counts = result.counts()
    return json.dumps(
        {
            "nodes": [
                {
                    "node": printable(label),
                    "root": printable(inv.root),
                    "role": "joined" if inv.joined_node else "init",
                    "kubernetesVersion": inv.parameter("kubernetes_version"),
                    "advertiseAddress": inv.parameter("advertise_address"),
                }
                for label, inv in zip(result.labels, result.nodes, strict=True)
            ],
            "findings": [f.as_json() for f in result.findings],
            "summary": counts,
        },
        indent=2,
    )


def material_table(result: Comparison) -> Table:
    """The nodes side by side: one column per node, one row per thing they hold."""
    table = Table(title=Text("side by side", style="bold"), title_justify="left",
                  show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("")
    for label in result.labels:
        table.add_column(Text(printable(label)), overflow="fold")
    for row in side_by_side(result):
        style = "" if row.agrees else "bold red"
        mark = Text("✓ " if row.agrees else "✗ ", style="green" if row.agrees else style)
        table.add_row(mark + Text(row.what, style=style),
                      *(Text(printable(v) or "—", style=style) for v in row.values))
    return table


def comparison_renderable(result: Comparison) -> Group:
    """The nodes side by side, a table of findings per node in the order the nodes were
    given, then one summary line."""
    parts: list[Table | Text] = [material_table(result), Text("")]
    for label, inv in zip(result.labels, result.nodes, strict=True):
        mine = [f.finding for f in result.findings if f.node == label]
        version = inv.parameter("kubernetes_version") or "version unknown"
        title = Text(f"{printable(label)}  {printable(inv.root)}  {version}", style="bold")
        if not mine:
            empty = not inv.certificates and not inv.manifests
            note = ("  holds no certificate or manifest: nothing to compare" if empty
                    else "  agrees with the other nodes")
            parts += [title, Text(note, style="yellow" if empty else "green"), Text("")]
            continue
        table = Table(title=title, title_justify="left", expand=True, show_edge=False,
                      pad_edge=False)
        for column, ratio in (("severity", 0), ("rule", 0), ("path", 0), ("where", 0),
                              ("message", 3), ("fix", 2)):
            table.add_column(column, ratio=ratio or None, overflow="fold",
                             no_wrap=column in ("severity", "rule"))
        for f in mine:
            table.add_row(
                Text(f.severity.value, style=STYLE[f.severity]),
                Text(f.rule),
                Text(printable(f.path)),
                Text(printable(f.pointer)),
                Text(printable(f.message)),
                Text(printable(f.fix), style="dim"),
            )
        parts += [table, Text("")]
    c = result.counts()
    parts.append(Text(
        f"{tally(c)} across "
        f"{len(result.nodes)} nodes", style="bold"))
    return Group(*parts)
