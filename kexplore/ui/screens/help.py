"""`?`: the keys that apply where you are, read from the live bindings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

# how a binding's owner is named in the help
OWNERS = {
    "KexploreApp": "Everywhere",
    "MainScreen": "Explorer",
    "FileTree": "Tree",
    "KeyTable": "Table",
    "FindingsTable": "Table",
    "OverviewView": "Overview",
    "CertificateScreen": "Certificate",
    "Tabs": "Tabs",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        table.add_column("more", style="#8a8a8a")
        owner = None
        for group, key, description, tooltip in self.rows:
            if group != owner:
                owner = group
                table.add_row(Text(f"\n{group}", style="bold underline"), "", "")
            table.add_row(Text(key), Text(description), Text(tooltip))
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys  ", style="bold") + Text(
                "(escape closes; ctrl+p searches files, rules and commands)", style="#8a8a8a"))
            yield Static(table)


def help_rows(
    active: Mapping[str, ActiveBinding], key_display: Callable[[Binding], str]
) -> list[tuple[str, str, str, str]]:
    """(owner, keys, description, tooltip) for every binding that applies now, grouped by
    owner, one row per action with all its keys."""
    merged: dict[tuple[int, str], tuple[DOMNode, Binding, list[str]]] = {}
    for active_binding in active.values():
        node, binding = active_binding.node, active_binding.binding
        if not binding.description:
            continue
        slot = merged.setdefault((id(node), binding.action), (node, binding, []))
        slot[2].append(key_display(binding))
    order = list(dict.fromkeys(OWNERS.values()))
    rows = [
        (OWNERS.get(type(node).__name__, type(node).__name__), " ".join(dict.fromkeys(keys)),
         binding.description, binding.tooltip)
        for node, binding, keys in merged.values()
    ]
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    return rows
