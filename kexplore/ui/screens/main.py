"""The explorer: header, the tree on the left, the view of the selection on the right."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import Input, Tree

from kexplore.core.model import Kind, Severity
from kexplore.core.secrets import shown as printable
from kexplore.core.secrets import shown_lines as printable_lines
from kexplore.ui import format as fmt
from kexplore.ui.messages import JumpTo, OpenCertificate, ProfileChanged, SeverityChanged
from kexplore.ui.session import Session
from kexplore.ui.views.base import View
from kexplore.ui.views.cluster import CLUSTER
from kexplore.ui.views.plane import PLANE, PlaneView
from kexplore.ui.widgets.file_tree import Entry, FileTree
from kexplore.ui.widgets.footer import KeysFooter
from kexplore.ui.widgets.search import SearchableText
from kexplore.ui.widgets.status_bar import StatusBar

PROBLEMS = (Severity.ERROR, Severity.WARNING)


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="main.filter",
                tooltip="Filter the tree by path: etcd, pki/"),
        Binding("n,right_square_bracket", "next_problem", "Next problem",
                id="main.next-problem", tooltip="Go to the next file with an error or warning"),
        Binding("N,left_square_bracket", "previous_problem", "Prev problem",
                id="main.previous-problem", show=False,
                tooltip="Go to the previous file with an error or warning"),
        Binding("o", "overview", "Overview", id="main.overview",
                tooltip="Every finding and every certificate by expiry"),
        Binding("i", "cluster", "Cluster", id="main.cluster",
                tooltip="The cluster's parameters as read from the tree, with their sources"),
        Binding("C", "control_plane", "Control plane", id="main.control-plane",
                tooltip="The components as they run and every link between them, ✓ ✗ ?"),
        Binding("c", "copy", "Copy", id="main.copy",
                tooltip="Copy the public value in view: a fingerprint, the PEM, a flag, a fix"),
        Binding("escape", "back", "Back", show=False, id="main.back",
                tooltip="Clear the filter, or go back to the tree"),
        # the overview's own s and p, from the tree too: the overview shows [s] and [p]
        # from the start, when the tree has the focus (no description: ? lists them once,
        # under Overview)
        Binding("s", "overview_key('cycle_severity')", show=False, id="main.severity"),
        Binding("p", "overview_key('cycle_profile')", show=False, id="main.profile"),
        Binding("less_than_sign", "narrower", "Narrower tree", show=False,
                id="main.tree-narrower", tooltip="Make the tree pane narrower"),
        Binding("greater_than_sign", "wider", "Wider tree", show=False,
                id="main.tree-wider", tooltip="Make the tree pane wider: long backup names"),
    ]
    # the tree pane's width, in columns: from a name and a mark up to most of the screen
    TREE_WIDTHS = (30, 36, 46, 64, 84, 110)
    # below 120 columns the tree starts at 36 (kexplore.tcss), which still holds every
    # name kubeadm writes whole: at 80 columns, 46 would leave the view too few to read
    # (typed as Textual types it, which mypy reads as an instance variable)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.profile = "kubeadm"
        self.level: Severity | None = None  # the overview's severity filter, kept across views
        self.current: str | None = None  # None: the overview
        self._view: View | None = None
        self._plane_link = ""  # the link last highlighted in the control-plane view

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Input(placeholder="filter by path: etcd, pki/", id="filter")
                yield FileTree(id="tree")
            yield Vertical(id="view-host")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._status()
        self.files.border_title = "files"
        self.files.focus()

    @property
    def files(self) -> FileTree:
        return self.query_one(FileTree)

    @property
    def view(self) -> View | None:
        """The view shown now: the one last mounted, not one still being removed."""
        return self._view

    # --- data ---------------------------------------------------------------------

    def show_session(self, session: Session, changed: frozenset[str] | None = None) -> None:
        """Show a (re)loaded tree, keeping the selection and the view where they were.

        `changed` names the paths a live update touched: an open file view none of them
        affects stays as it is, scroll position and tab included."""
        before = self.session
        self.session = session
        self._status()
        self.files.populate(session, self.profile, self.query_one("#filter", Input).value)
        if self.current is not None and self.current not in (CLUSTER, PLANE) and \
                session.tree.get(self.current) is None and \
                not session.for_path(self.current, self.profile):
            return  # the file is gone: the tree moves the cursor to its neighbour
        if changed is not None and before is not None and self._unaffected(before, changed):
            view = self.view
            if view is not None:
                view.session = session
            return
        self._show(self.current)

    def _unaffected(self, before: Session, changed: frozenset[str]) -> bool:
        """Whether the open file view would look the same on the new session."""
        path = self.current
        if path is None or path in (CLUSTER, PLANE) or path in changed or self.session is None:
            return False
        # a certificate's chain and its key live in other files of the same folders
        neighbours = {p for p in changed if p.rsplit("/", 1)[0] == path.rsplit("/", 1)[0]}
        return not neighbours and (before.for_path(path, self.profile)
                                   == self.session.for_path(path, self.profile)) \
            and before.uses(path) == self.session.uses(path)

    def show_part(self, part: str) -> None:
        """Select the part of the tree the user named: a file opens, a folder filters the
        tree to its files (esc shows them all)."""
        if self.session is None:
            return
        node = self.session.tree.get(part)
        if part in self.files.paths or (node is not None and node.kind is not Kind.DIRECTORY):
            self.jump(part)
            return
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = f"{part}/"
        self.files.focus()

    def show_failure(self, error: str) -> None:
        """The first load failed: say so where the cluster would be, not 'loading…'."""
        self.query_one(StatusBar).show_failure(getattr(self.app, "root_label", ""), error)

    def _status(self) -> None:
        app = self.app
        self.query_one(StatusBar).show(self.session, getattr(app, "root_label", ""),
                                       self.profile, getattr(app, "note", ""))

    def _show(self, path: str | None) -> AwaitMount | None:
        """Replace the right-hand view; await the result to act on the new view."""
        if self.session is None:
            return None
        from kexplore.ui.views.choose import view_for
        from kexplore.ui.views.cluster import CLUSTER, ClusterView
        from kexplore.ui.views.overview import OverviewView
        keep_focus = False
        if isinstance(self._view, PlaneView):
            self._plane_link = self._view.selected  # back on the same link next time
            keep_focus = path == PLANE and self._view.has_focus_within  # a reload
        self.current = path
        host = self.query_one("#view-host")
        if path is None:
            view: View = OverviewView(self.session, self.profile, self.level,
                                      lessons=getattr(self.app, "lessons", ()))
        elif path == CLUSTER:
            view = ClusterView(self.session, self.profile)
        elif path == PLANE:
            view = PlaneView(self.session, self.profile, self._plane_link)
        else:
            view = view_for(self.session, path, self.profile)
        shown = {None: "overview", CLUSTER: "cluster", PLANE: "control plane"}.get(path, path)
        host.border_title = fmt.literal(shown or "")
        host.remove_children()
        self._view = view
        mounted = host.mount(view)
        if keep_focus and isinstance(view, PlaneView):
            self.call_after_refresh(view.focus_links)
        return mounted

    # --- tree events --------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#tree")
    def _highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        entry = event.node.data
        if entry is not None and not entry.group and entry.path != self.current:
            self._show(entry.path)

    @on(Tree.NodeSelected, "#tree")
    async def _selected(self, event: Tree.NodeSelected[Entry]) -> None:
        entry = event.node.data
        if entry is None:
            return
        if entry.group:
            event.node.toggle()
            return
        if entry.path != self.current:
            shown = self._show(entry.path)
            if shown is not None:
                await shown
        self._focus_view()

    def _text_in_view(self) -> SearchableText | None:
        """The searchable text on show in the view, when the focus is in the view."""
        view, focused = self.view, self.focused
        if view is None or focused is None or view not in focused.ancestors_with_self:
            return None
        for text in view.query(SearchableText):
            if all(node.display for node in text.ancestors_with_self
                   if isinstance(node, Widget)):
                return text
        return None

    def _focus_view(self) -> None:
        view = self.view
        if view is None:
            return
        for selector in ("DataTable", "Tabs"):
            for widget in view.query(selector):
                shown = all(node.display for node in widget.ancestors_with_self
                            if isinstance(node, Widget))
                if widget.focusable and shown:
                    widget.focus()
                    return

    @on(JumpTo)
    def _jump(self, message: JumpTo) -> None:
        message.stop()
        self.jump(message.path)

    def jump(self, path: str) -> None:
        """Select a file in the tree and show it, clearing a filter that hides it."""
        if self.files.find(path) is None and self.query_one("#filter", Input).value:
            self._clear_filter()
        self.files.select_path(path)
        self._show(path)
        self.files.focus()

    @on(OpenCertificate)
    def _open_certificate(self, message: OpenCertificate) -> None:
        from kexplore.ui.screens.certificate import CertificateScreen

        if self.session is not None:
            self.app.push_screen(CertificateScreen(self.session, message, self.profile))

    @on(SeverityChanged)
    def _severity(self, message: SeverityChanged) -> None:
        self.level = message.level

    @on(ProfileChanged)
    def _profile(self, message: ProfileChanged) -> None:
        self.profile = message.profile
        if self.session is not None:
            self._status()
            self.files.populate(self.session, self.profile,
                               self.query_one("#filter", Input).value)

    # --- filter -------------------------------------------------------------------

    def action_filter(self) -> None:
        text = self._text_in_view()
        if text is not None:
            text.action_search()  # `/` in a YAML or PEM searches it, as in less
            return
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.session is not None:
            self.files.populate(self.session, self.profile, event.value)
        self.files.border_title = fmt.literal(
            f"files matching {event.value!r}" if event.value else "files")

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.files.focus()
        first = next(iter(self.files.paths), None)
        if first is not None:
            self.files.select_path(first)

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            self._clear_filter()
            self.files.focus()
        elif self.focused is not self.files:
            self.files.focus()

    # --- layout -------------------------------------------------------------------

    def _resize_tree(self, step: int) -> None:
        left = self.query_one("#left")
        now = left.styles.width.value if left.styles.width is not None else 46
        widths = self.TREE_WIDTHS
        index = min(range(len(widths)), key=lambda i: abs(widths[i] - now))
        chosen = widths[max(0, min(len(widths) - 1, index + step))]
        left.styles.width = chosen
        self.notify(f"tree pane {chosen} columns (< and > resize it)", title="Layout")

    def action_narrower(self) -> None:
        self._resize_tree(-1)

    def action_wider(self) -> None:
        self._resize_tree(1)

    # --- moving -------------------------------------------------------------------

    def _step_problem(self, step: int) -> None:
        if self.session is None:
            return
        paths = self.files.paths
        problems = [p for p in paths if self.session.worst(p, self.profile) in PROBLEMS]
        if not problems:
            self.notify("No errors or warnings in the tree.", title="Next problem")
            return
        here = paths.index(self.current) if self.current in paths else -1
        order = paths[here + 1:] + paths[: here + 1] if step > 0 else (
            list(reversed(paths[:here])) + list(reversed(paths[here:])) if here >= 0
            else list(reversed(paths)))
        target = next(p for p in order if p in problems)
        self.jump(target)

    def action_next_problem(self) -> None:
        self._step_problem(1)

    def action_previous_problem(self) -> None:
        self._step_problem(-1)

    async def action_overview_key(self, action: str) -> None:
        from kexplore.ui.views.overview import OverviewView

        view = self.view
        if isinstance(view, OverviewView):
            await getattr(view, f"action_{action}")()
        else:
            self.notify("s and p filter the overview's findings: o opens it.",
                        title="Overview")

    async def action_cluster(self) -> None:
        shown = self._show(CLUSTER)
        if shown is not None:
            await shown

    async def show_link(self, rid: str) -> None:
        """The control-plane view with the cursor on one link."""
        self._plane_link = rid
        if isinstance(self._view, PlaneView):
            self._view.selected = rid  # _show keeps what the old view had highlighted
        await self.action_control_plane()

    async def action_control_plane(self) -> None:
        shown = self._show(PLANE)
        if shown is not None:
            await shown
        if isinstance(self.view, PlaneView):
            self.view.focus_links()

    async def action_overview(self) -> None:
        shown = self._show(None)
        if shown is not None:
            await shown
        self._focus_view()

    def action_copy(self) -> None:
        view = self.view
        value = view.copy_value() if view is not None else None
        if value is None:
            self.notify("Nothing public to copy here.", severity="warning")
            return
        what, text = value
        text = printable_lines(text)  # a pasted name must not act in the next terminal
        self.app.copy_to_clipboard(text)
        shown = text if len(text) <= 60 else text[:57] + "…"
        self.notify(printable(shown), title=f"Copied {printable(what)}", markup=False)
