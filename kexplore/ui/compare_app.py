"""The explorer on several nodes: `kexplore NODE NODE ...` shows them side by side.

The core compares (kexplore.core.compare); this face only lays out what it says: a
table with one column per node and one row per shared, per-node or cluster-wide thing,
then every finding, node by node.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.widgets import DataTable, Footer, Header, Static

from kexplore.core.model import tally
from kexplore.ui.format import EscapeControls

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


class CompareApp(App[int]):
    TITLE = "kexplore compare"
    CSS = """
    #nodes-title, #findings-title { padding: 0 1; text-style: bold; }
    #material { height: auto; max-height: 60%; }
    #findings { height: 1fr; }
    #fix { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="compare.quit", tooltip="Leave kexplore"),
        Binding("question_mark", "help", "Help", id="compare.help",
                tooltip="The keys that apply here"),
        Binding("tab", "focus_next", "Next table", id="compare.next", show=False),
    ]

    def action_help(self) -> None:
        """`?` as in the explorer: the keys that apply, from the live bindings."""
        from kexplore.ui.screens.help import HelpScreen, help_rows

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(help_rows(self.active_bindings, self.get_key_display)))

    def get_line_filters(self) -> Sequence[LineFilter]:
        # the explorer's backstop: no control character a node's tree holds is drawn raw
        return [*super().get_line_filters(), EscapeControls()]

    def __init__(self, roots: Sequence[Path], *, now: datetime | None = None) -> None:
        super().__init__()
        self.roots = list(roots)
        self.now = now
        self.result: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"reading {len(self.roots)} nodes…"), id="nodes-title")
        yield DataTable(id="material", cursor_type="row", zebra_stripes=True)
        yield Static(Text("findings"), id="findings-title")
        yield DataTable(id="findings", cursor_type="row")
        yield Static(Text(""), id="fix")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        from kexplore.core.compare import compare
        from kexplore.core.inventory import build_inventory
        from kexplore.core.read.scan import scan

        now = self.now or datetime.now(timezone.utc)
        try:
            result = compare([build_inventory(scan(root), now) for root in self.roots])
        except OSError as exc:
            self.call_from_thread(self._failed, f"cannot read a node: {exc.strerror or exc}")
            return
        self.call_from_thread(self._show, result)

    def _failed(self, error: str) -> None:
        from kexplore.core.secrets import shown

        self.query_one("#nodes-title", Static).update(Text(shown(error), style="bold red"))

    def _show(self, result: Any) -> None:
        from kexplore.core.compare import side_by_side
        from kexplore.core.secrets import shown as printable

        self.result = result
        counts = result.counts()
        self.query_one("#nodes-title", Static).update(Text(
            f"{len(result.nodes)} nodes: {tally(counts)}"))
        material = self.query_one("#material", DataTable)
        material.clear(columns=True)
        material.add_column("", key="what")
        for label in result.labels:
            material.add_column(Text(printable(label)), key=label)
        for row in side_by_side(result):
            style = "" if row.agrees else "bold red"
            cells = [Text(printable(v) or "—", style=style) for v in row.values]
            mark = "✓ " if row.agrees else "✗ "
            material.add_row(Text(mark + row.what, style="green" if row.agrees else style),
                             *cells)
        findings = self.query_one("#findings", DataTable)
        findings.clear(columns=True)
        for column in ("severity", "rule", "node", "path", "where", "message"):
            findings.add_column(column, key=column)
        for f in result.findings:
            findings.add_row(
                Text(f.finding.severity.value, style=SEVERITY_STYLE[f.finding.severity.value]),
                Text(f.finding.rule),
                Text(printable(f.node)),
                Text(printable(f.finding.path)),
                Text(printable(f.finding.pointer)),
                Text(printable(f.finding.message)),
            )
        if not result.findings:
            findings.add_row(Text("none", style="green"), *(Text("") for _ in range(5)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "findings" or self.result is None:
            return
        from kexplore.core.secrets import shown as printable

        if 0 <= event.cursor_row < len(self.result.findings):
            fix = self.result.findings[event.cursor_row].finding.fix
            self.query_one("#fix", Static).update(Text(f"fix: {printable(fix)}" if fix else ""))


def run_compare_app(roots: Sequence[Path], now: datetime | None) -> int:
    result = CompareApp(roots, now=now).run()
    return result if isinstance(result, int) else 0
