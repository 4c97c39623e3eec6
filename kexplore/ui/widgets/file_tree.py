"""The left pane: the tree as kubeadm lays it out, each node marked with its worst finding."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from kexplore.core.model import Kind, Node, Severity
from kexplore.core.pki import CertInfo
from kexplore.core.records import record
from kexplore.core.secrets import shown as printable
from kexplore.ui import format as fmt
from kexplore.ui.session import Session

# (key, title, expanded at start)
GROUPS: tuple[tuple[str, str, bool], ...] = (
    ("kubeconfigs", "kubeconfigs", True),
    ("manifests", "manifests", True),
    ("pki", "pki", True),
    ("pki/etcd", "pki/etcd", True),
    ("other", "other", True),
    ("tmp", "tmp (backups)", False),
    ("outside", "outside the tree", True),
)
PROBLEM = (Severity.ERROR, Severity.WARNING)
# A group with more files than this starts collapsed, its leaves made when first opened:
# years of backups must not slow the first frame.
LAZY_GROUP = 300
Member = tuple[str, str, "Node | None"]  # (name shown, path, node; None when missing)


@record
class Entry:
    """What a tree node stands for: a file (or a missing one) or a group."""

    path: str
    group: bool = False


def group_of(path: str, kind: Kind | None, certs: str = "pki") -> tuple[str, str]:
    """(group, name shown inside the group) for a root-relative path; the node's files
    outside the tree go by the absolute path the node keeps them at. `certs` is the tree
    folder behind certificatesDir (kubespray's ssl/): the pki groups hold its files."""
    if path.startswith("/"):
        return "outside", path
    if path.startswith("tmp/") or path == "tmp":
        return "tmp", path[4:] or "tmp"
    if path.startswith("manifests/"):
        return "manifests", path[len("manifests/"):]
    if path.startswith(f"{certs}/etcd/"):
        return "pki/etcd", path[len(f"{certs}/etcd/"):]
    if path.startswith(f"{certs}/"):
        return "pki", path[len(f"{certs}/"):]
    if "/" not in path and (kind is Kind.KUBECONFIG or path.endswith(".conf")):
        return "kubeconfigs", path
    return "other", path


def _shown(node: Node) -> bool:
    if node.kind is Kind.DIRECTORY:
        return bool(node.error)
    return True


class FileTree(Tree[Entry]):
    """kubeadm's layout, grouped; vi keys beside the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("h,left", "collapse_or_parent", "Collapse", show=False, id="tree.collapse"),
        Binding("l,right", "expand_or_open", "Expand", show=False, id="tree.expand"),
        Binding("g,home", "scroll_home", "First", show=False, id="tree.first"),
        Binding("G,end", "scroll_end", "Last", show=False, id="tree.last"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("root", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self._order: list[str] = []
        # groups whose leaves are made when first opened: (session, profile, members)
        self._pending: dict[str, tuple[Session, str, list[Member]]] = {}
        # the groups open before a filter began (a filter opens every group it matches);
        # None while no filter is on
        self._open_before_filter: set[str] | None = None
        self._built = False

    # --- building ------------------------------------------------------------------

    def populate(self, session: Session, profile: str, pattern: str = "") -> None:
        """Rebuild from a session, keeping expanded groups and the cursor's path."""
        current = self.cursor_node.data if self.cursor_node else None
        previous_order = list(self._order)
        scroll = self.scroll_y
        expanded = {
            child.data.path
            for child in self.root.children
            if child.data is not None and child.is_expanded
        }
        # a filter that matched nothing leaves no groups: that is not a first build
        first_build = not self.root.children and not self._built
        self._built = True
        if pattern and self._open_before_filter is None:
            self._open_before_filter = expanded
        elif not pattern and self._open_before_filter is not None:
            expanded, self._open_before_filter = self._open_before_filter, None
        self.clear()
        self._order = []
        self._pending = {}
        members: dict[str, list[tuple[str, str, Node | None]]] = {g: [] for g, _, _ in GROUPS}
        certs = session.cert_folder
        for node in session.tree:
            if _shown(node):
                group, name = group_of(node.path, node.kind, certs)
                members[group].append((name, node.path, node))
        # a file the findings name but the tree lacks (a missing kubeconfig or manifest)
        for path in sorted({f.path for f in session.findings(profile)}):
            if path and session.tree.get(path) is None:
                group, name = group_of(path, None, certs)
                members[group].append((name, path, None))
        needle = pattern.lower()
        for key, title, open_at_start in GROUPS:
            # the whole path: `etcd` finds pki/etcd/*, `pki/` every file under pki
            items = sorted(m for m in members[key] if needle in m[1].lower())
            if not items:
                continue
            worst = _worst([session.worst(p, profile) for _, p, _ in items])
            if certs != "pki" and key.startswith("pki"):
                title += f" ({certs}{key.removeprefix('pki')}/)"  # where they are
            label = fmt.mark(worst) + Text(f" {title} ", style="bold") + Text(
                f"{len(items)}", style=fmt.MUTED
            )
            expand = bool(needle) or (open_at_start if first_build else key in expanded)
            if first_build and len(items) > LAZY_GROUP:
                expand = False  # thousands of backups: opened on request
            group_node = self.root.add(label, Entry(key, group=True), expand=expand)
            self._order += [path for _, path, _ in items]
            leaves = (session, profile, items)
            if expand or len(items) <= LAZY_GROUP:
                self._add_leaves(group_node, *leaves)
            else:
                group_node.allow_expand = True
                self._pending[key] = leaves
        if isinstance(current, Entry):
            self.call_after_refresh(self._restore, current, previous_order, scroll)
        elif first_build and self.root.children:
            self.call_after_refresh(self.move_cursor, self.root.children[0])

    def _add_leaves(self, group: TreeNode[Entry], session: Session, profile: str,
                    items: list[Member]) -> None:
        for name, path, member in items:
            group.add_leaf(self._label(session, profile, name, path, member), Entry(path))

    def _materialise(self, group: TreeNode[Entry]) -> None:
        """Make a lazily kept group's leaves, once."""
        if group.data is not None and group.data.path in self._pending:
            self._add_leaves(group, *self._pending.pop(group.data.path))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        self._materialise(event.node)

    def _label(
        self, session: Session, profile: str, name: str, path: str, node: Node | None
    ) -> Text:
        worst = session.worst(path, profile)
        label = fmt.mark(worst) + Text(" ") + fmt.plain(name)
        if node is None:
            label.append("  missing", style=fmt.STYLE[Severity.ERROR])
        elif node.kind is Kind.SYMLINK and node.link_target:
            label.append(f" → {printable(node.link_target)}", style=fmt.MUTED)
        elif node.kind is Kind.CERTIFICATE and node.content:
            cert = node.content[0]
            if isinstance(cert, CertInfo):
                label.append(f"  {fmt.time_left(cert, session.now)}", style=fmt.style_for(worst)
                             if worst in PROBLEM else fmt.MUTED)
        elif node.error:
            label.append("  unreadable", style=fmt.style_for(worst))
        if node is not None and node.reads_as:
            label.append(f" → {printable(node.link_target)}", style=fmt.MUTED)
        elif linked := session.linked_from(path):
            label.append(f" ← {printable(linked)}", style=fmt.MUTED)
        if short := session.roles.get(path):
            label.append(f"  {short[0]}", style=fmt.MUTED)
        return label

    def _restore(self, entry: Entry, previous_order: list[str], scroll: float) -> None:
        """Put the cursor back where it was; on a vanished file, on its nearest neighbour."""
        self.scroll_to(y=scroll, animate=False)
        if entry.group:
            for child in self.root.children:
                if child.data == entry:
                    self.move_cursor(child)
                    return
        elif self.find(entry.path) is not None:
            self._move_quietly(entry.path)
        elif (neighbour := _neighbour(entry.path, previous_order, self._order)) is not None:
            self.select_path(neighbour)
        else:
            self.move_cursor(self.root.children[0] if self.root.children else None)

    def _move_quietly(self, path: str) -> None:
        leaf = self.find(path)
        if leaf is not None:
            self.move_cursor(leaf)

    # --- finding ------------------------------------------------------------------

    @property
    def paths(self) -> list[str]:
        """Every file in display order."""
        return list(self._order)

    def find(self, path: str) -> TreeNode[Entry] | None:
        if self._pending and path in self._order:
            for group in self.root.children:
                pending = self._pending.get(group.data.path if group.data else "")
                if pending and any(p == path for _, p, _ in pending[2]):
                    self._materialise(group)
        for group in self.root.children:
            for leaf in group.children:
                if leaf.data is not None and leaf.data.path == path:
                    return leaf
        return None

    def select_path(self, path: str, *, post: bool = True) -> bool:
        """Move the cursor to a file, opening its group; False when it is not shown."""
        leaf = self.find(path)
        if leaf is None:
            return False
        if leaf.parent is not None and not leaf.parent.is_expanded:
            leaf.parent.expand()
        self.call_after_refresh(self._move, leaf)
        return True

    def _move(self, leaf: TreeNode[Entry]) -> None:
        self.move_cursor(leaf)
        self.scroll_to_node(leaf, animate=False)

    @property
    def selected_path(self) -> str | None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.group:
            return None
        return node.data.path

    # --- actions ------------------------------------------------------------------

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_expand_or_open(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.allow_expand and node.children:
            self.move_cursor(node.children[0])
        else:
            self.action_select_cursor()


def _neighbour(gone: str, before: list[str], after: list[str]) -> str | None:
    """The file that took a vanished file's place: the next one that is still shown, else
    the previous one."""
    if not after:
        return None
    if gone not in before:
        return after[0]
    index = before.index(gone)
    remaining = set(after)
    for path in before[index + 1:] + list(reversed(before[:index])):
        if path in remaining:
            return path
    return after[0]


def _worst(severities: list[Severity | None]) -> Severity | None:
    present = [s for s in severities if s is not None]
    return max(present, key=lambda s: s.rank) if present else None
