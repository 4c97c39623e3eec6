"""What every right-hand view shares: its session, its file, and what `c` copies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from kexplore.core.model import Finding
from kexplore.ui import format as fmt
from kexplore.ui.session import Session
from kexplore.ui.widgets.tables import Copyable, FindingsTable, KeyTable

if TYPE_CHECKING:
    from rich.syntax import Syntax


class View(Vertical):
    """A view of one file (or of the whole tree); subclasses compose the body."""

    DEFAULT_CLASSES = "view"

    def __init__(self, session: Session, path: str, profile: str = "kubeadm") -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.profile = profile

    @property
    def shown_path(self) -> str:
        """The file's path, and what it links to when it is a symlink read through."""
        node = self.session.tree.get(self.path)
        shown = self.path
        if node is not None and node.reads_as:
            shown = f"{self.path} → {node.link_target}"
        elif linked := self.session.linked_from(self.path):
            shown = f"{self.path} ← {linked}"
        if role := self.session.role(self.path):
            shown += f"  ({role})"  # a file outside the tree says what it is for
        return shown

    @property
    def findings(self) -> list[Finding]:
        return self.session.for_path(self.path, self.profile)

    def copy_value(self) -> Copyable | None:
        """The highlighted row's value when a table of this view has focus, else the
        view's own default; never anything secret."""
        focused = self.app.focused
        if isinstance(focused, KeyTable) and focused in self.query(KeyTable):
            value = focused.copy_value()
            if value is not None:
                return value
        return self.default_copy()

    def default_copy(self) -> Copyable | None:
        return None


def title(text: str, subtitle: str = "") -> Static:
    """A view's first line; both parts may name files and certificate fields."""
    line = fmt.plain(text, style="bold")
    if subtitle:
        line.append_text(fmt.plain(f"  {subtitle}", style=fmt.MUTED))
    return Static(line, classes="view-title")


def heading(text: str) -> Static:
    return Static(fmt.plain(text, style="bold"), classes="heading")


def findings_section(findings: list[Finding]) -> list[Static | FindingsTable]:
    if not findings:
        return [heading("Findings"), Static(Text("✓ no findings", style=fmt.OK_STYLE),
                                            classes="note")]
    return [heading(f"Findings ({len(findings)})"), FindingsTable(findings, with_path=False)]


def redacted_yaml_view(
    session: Session, path: str, line_numbers: bool = False, highlight: int | None = None
) -> Syntax | Text:
    """A file's YAML, highlighted, with every secret value replaced by REDACTED (and, when
    asked, one line marked)."""
    from rich.syntax import Syntax  # with pygments, only once a YAML tab is built

    # redacted as a document (read_kubeconfig.redacted_yaml): a certificate's base64 stays
    from kexplore.core.names import printable_lines
    from kexplore.core.read.read_kubeconfig import redacted_yaml
    from kexplore.ui import files

    try:
        data = files.read_for_view(*session.on_disk(path))
    except OSError as exc:
        return Text(f"cannot read: {exc.strerror or exc}", style=fmt.MUTED)
    return Syntax(printable_lines(redacted_yaml(data)), "yaml", theme="ansi_dark", word_wrap=True,
                  line_numbers=line_numbers, background_color="default",
                  highlight_lines={highlight} if highlight else None)
