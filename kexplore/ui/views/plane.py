"""The control plane as it runs: each component in plain words, and every link between
them marked ✓, ✗ or ? as the plane judged it, with why and the date it breaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from kexplore.core.plane_outline import ComponentLine, LinkLine, PlaneOutline
from kexplore.ui import format as fmt
from kexplore.ui.session import Session
from kexplore.ui.views.base import View, heading, title
from kexplore.ui.widgets.tables import KeyTable

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

PLANE = ":plane"  # where the main screen is when it shows this view, not a file

# (kind, heading): the plane's three kinds of relation, each in a table of its own
SECTIONS = (
    ("connection", "Connections"),
    ("signing", "Signing"),
    ("pair", "Certificate and key pairs"),
)
# one line a link, so that all of them fit; the pane below has the whole story
WIDTHS = {"what": 50, "breaks": 16}


class LinksTable(KeyTable):
    """Relations of one kind; `enter` opens where one breaks, else its first file."""

    def __init__(self, links: tuple[LinkLine, ...], **kwargs: object) -> None:
        super().__init__("", "link", "what", "breaks", widths=WIDTHS, **kwargs)
        self.links = links
        for link in links:
            self.add(fmt.status_mark(link.status, link.mark),
                     _one_line(fmt.plain(link.title, "bold")), _one_line(_what(link)),
                     _one_line(_breaks(link)),
                     copy=("reason", link.reason) if link.reason else ("link id", link.id),
                     target=link.opens or None)

    def highlighted(self) -> LinkLine | None:
        return self.links[self.cursor_row] if self.links else None


class PlaneView(View):
    """The components, then connections, signing relations and key pairs; the details of
    the highlighted link stay in view below."""

    def __init__(self, session: Session, profile: str = "kubeadm", selected: str = "") -> None:
        super().__init__(session, PLANE, profile)
        self.selected = selected  # the id of the link last highlighted, kept across reloads

    def compose(self) -> ComposeResult:
        plane = self.session.plane
        yield title("Control plane", _summary(plane))
        if plane is None:
            yield Static(Text("the control plane could not be read", style=fmt.MUTED),
                         classes="note")
            return
        with VerticalScroll():
            yield heading("Components")
            yield Static(_components(plane.components), id="components")
            for kind, words in SECTIONS:
                links = plane.of_kind(kind)
                if links:
                    yield heading(f"{words} ({len(links)})")
                    yield LinksTable(links, id=f"links-{kind}")
        first = plane.link(self.selected) or (plane.links[0] if plane.links else None)
        yield Static(_detail(first), id="link-detail")

    def on_mount(self) -> None:
        table = self._table_of(self.selected)
        if table is not None:
            table.move_cursor(row=[link.id for link in table.links].index(self.selected),
                              animate=False)

    def _table_of(self, rid: str) -> LinksTable | None:
        return next((t for t in self.query(LinksTable)
                     if any(link.id == rid for link in t.links)), None)

    @on(DataTable.RowHighlighted)
    def _follow(self, event: DataTable.RowHighlighted) -> None:
        # every table highlights its first row as it mounts: only the focused one counts
        if isinstance(event.data_table, LinksTable) and event.data_table.has_focus:
            self._describe(event.data_table)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, LinksTable):
            self._describe(event.widget)

    def focus_links(self) -> None:
        """Focus the table of the link last highlighted; else the first table, leaving the
        view at its top so that the components stay in sight above the connections."""
        table = self._table_of(self.selected) or next(iter(self.query(LinksTable)), None)
        if table is not None:
            table.focus(scroll_visible=bool(self.selected))

    def _describe(self, table: LinksTable) -> None:
        link = table.highlighted()
        self.selected = link.id if link is not None else self.selected
        detail = _detail(link)
        self.query_one("#link-detail", Static).update(detail)


def _summary(plane: PlaneOutline | None) -> str:
    if plane is None:
        return ""
    counts = {status: sum(1 for link in plane.links if link.status == status)
              for status in ("ok", "broken", "unknown")}
    return (f"{len(plane.links)} links: {counts['ok']} ✓ ok, {counts['broken']} ✗ broken, "
            f"{counts['unknown']} ? unknown; enter opens where a link breaks")


def _components(components: tuple[ComponentLine, ...]) -> Table:
    from rich.table import Table

    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("component", no_wrap=True)
    table.add_column("about", ratio=1)
    for c in components:
        about = fmt.plain(c.about)
        about.append_text(fmt.plain(f"  ({c.source or 'not in the tree'})", fmt.MUTED))
        for note in c.notes:
            about.append("\n")
            about.append_text(fmt.plain(note, fmt.MUTED))
        for name, value in c.settings:
            about.append("\n")
            about.append_text(fmt.plain(f"{name}: {value}", fmt.MUTED))
        table.add_row(fmt.plain(c.name, "bold" if c.present else fmt.MUTED), about)
    return table


def _one_line(text: Text) -> Text:
    """Cut at the column's edge with an ellipsis rather than wrap out of sight."""
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _what(link: LinkLine) -> Text:
    """Why it breaks or cannot be decided; else what it is for."""
    if link.reason and link.status != "ok":
        return fmt.plain(link.reason, fmt.STATUS_STYLE.get(link.status, ""))
    return fmt.plain(link.purpose)


def _breaks(link: LinkLine) -> Text:
    # the outline decides the words (a link broken at --now says so, never a date that
    # reads as a reprieve); the detail below still says when its certificates expire
    words = link.breaks("%Y-%m-%d")
    return Text(words, style=fmt.STATUS_STYLE["broken"] if link.broken_now else "")


def _detail(link: LinkLine | None) -> RenderableType:
    """Everything the plane knows of one link, for the pane under the tables."""
    from rich.console import Group
    from rich.table import Table

    if link is None:
        return Text("no links: no component of the control plane is in the tree",
                    style=fmt.MUTED)
    head = fmt.status_mark(link.status, link.mark)
    head.append_text(fmt.plain(f" {link.title}", "bold"))
    head.append_text(fmt.plain(f"  ({link.id})", fmt.MUTED))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=fmt.MUTED, justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    for label, value in _facts(link):
        if value:
            grid.add_row(label, fmt.plain(value))
    return Group(head, grid)


def _when_it_breaks(link: LinkLine) -> tuple[str, str]:
    if link.breaks_at is None:
        return "breaks", ""
    because = f" {link.breaks_because}" if link.breaks_because else ""
    if link.expired:
        return "broke", f"{fmt.when(link.breaks_at)}, when{because} expired"
    if link.broken_now:  # broken today for another cause: the date is no reprieve
        return "expires", (f"{fmt.when(link.breaks_at)}, when{because} expires; the link "
                           "is broken already (see status)")
    return "breaks", f"{fmt.when(link.breaks_at)}, when{because} expires"


def _facts(link: LinkLine) -> list[tuple[str, str]]:
    rows = [
        ("for", link.purpose),
        ("status", link.status + (f": {link.reason}" if link.reason else "")),
        ("dials", link.address + (f"  (from {link.address_source})"
                                  if link.address_source else "")),
        _when_it_breaks(link),
        ("identity", link.identity),
        ("symptom", link.symptom),
        *(("note", note) for note in link.notes),
    ]
    rows += [(f.role, f"{f.path or '(unset)'}  {f.pointer}"
              + (f" of {f.owner}" if f.owner and f.owner != f.path else "")
              + ("" if f.in_tree else f"  ({f.reach})"))
             for f in link.files]
    if link.opens:
        rows.append(("enter", f"opens {link.opens}"
                     + (f" at {link.anchor_pointer}" if link.anchor_pointer else "")))
    return rows
