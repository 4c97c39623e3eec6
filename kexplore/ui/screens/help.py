"""`?`: the keys that apply where you are, read from the live bindings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    "CompareApp": "Everywhere",
    "MainScreen": "Explorer",
    "FileTree": "Tree",
    "KeyTable": "Table",
    "FindingsTable": "Table",
    "SortableTable": "Table",
    "SearchableText": "Text",
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


def owner_name(node: DOMNode) -> str:
    return OWNERS.get(type(node).__name__, type(node).__name__)


def declared_bindings(node: DOMNode) -> list[Binding]:
    """The bindings a widget's classes declare, merged as Textual merges them: a key a
    subclass binds replaces its base's."""
    merged: dict[str, Binding] = {}
    for base in reversed(type(node).__mro__):
        for binding in Binding.make_bindings(base.__dict__.get("BINDINGS", [])):
            merged[binding.key] = binding
    return list(merged.values())


def help_rows(
    active: Mapping[str, ActiveBinding],
    key_display: Callable[[Binding], str],
    view: Iterable[DOMNode] = (),
) -> list[tuple[str, str, str, str]]:
    """(owner, keys, description, tooltip) for every binding that applies now, and every
    binding of the view in focus (its widgets included, focused or not: `s` and `p` work
    once the overview has the focus), grouped by owner, one row per action."""
    merged: dict[tuple[str, str], tuple[str, Binding, list[str]]] = {}

    def note(owner: str, binding: Binding) -> None:
        if binding.description:
            slot = merged.setdefault((owner, binding.action), (owner, binding, []))
            slot[2].append(key_display(binding))

    for active_binding in active.values():
        note(owner_name(active_binding.node), active_binding.binding)
    for node in view:
        if type(node).__name__ not in OWNERS:
            continue  # a scroll's or an input's own keys are the ones every app has
        for binding in declared_bindings(node):
            note(owner_name(node), binding)
    order = list(dict.fromkeys(OWNERS.values()))
    rows = [
        (owner, " ".join(dict.fromkeys(keys)), binding.description, binding.tooltip)
        for owner, binding, keys in merged.values()
    ]
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    return rows
