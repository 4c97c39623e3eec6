"""The header: where we are, which cluster this is, and how it is doing, at a glance."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kexplore.core.model import Severity
from kexplore.core.secrets import shown as printable
from kexplore.ui import format as fmt
from kexplore.ui.session import Session

# The soonest certificate's name in the header: kubeadm's longest is 24 characters, its
# longest path (pki/etcd/healthcheck-client.crt) 31.
SOONEST_WIDTH = 32
ROOT_WIDTH_MIN = 16  # the root keeps at least this much of itself, however narrow


class StatusBar(Static):
    """Root, inferred cluster, counts of errors and warnings, the soonest expiry."""

    _shown: tuple[list[Text], Text | None] | None = None  # what show() laid out last
    _root: str = ""

    def show_failure(self, root_label: str, error: str) -> None:
        self._shown = None
        line = Text("kexplore ", style="bold") + fmt.plain(root_label)
        line.append(f"  │  {printable(error)}  (r tries again)", style=fmt.STYLE[Severity.ERROR])
        self.update(line)

    def show(self, session: Session | None, root_label: str, profile: str, note: str = "") -> None:
        self._shown = None  # a resize lays out again only the groups of a tree read
        line = Text("kexplore ", style="bold") + fmt.plain(root_label)
        if session is None:
            line.append("  loading…", style=fmt.MUTED)
            self.update(line)
            return
        if session.root_error:
            line.append(f"  │  {printable(session.root_error)}: waiting for it to come back",
                        style=fmt.STYLE[Severity.ERROR])
            self.update(line)
            return
        groups = list(_state(session, profile))
        if profile != "kubeadm":
            groups.append(Text(f"profile {profile}", style=fmt.MUTED))
        # a fact about the tree, not a finding
        self._root = root_label
        self._shown = (groups, fmt.plain(note, style=fmt.MUTED) if note else None)
        self._lay_out()

    def on_resize(self) -> None:
        if self._shown is not None:
            self._lay_out()

    def _lay_out(self) -> None:
        """The groups joined by "│", a line broken between two groups, never inside one:
        at 80 columns "✖ 1 error" and "▲ 0 warnings" stay on one line."""
        rest, note = self._shown or ([], None)
        width = self.content_size.width or 10_000  # not laid out yet: one line
        # a root longer than the line is cut in its middle, as the soonest name is
        head = Text("kexplore ", style="bold") + Text(
            fmt.shortened(printable(self._root), max(ROOT_WIDTH_MIN, width - len("kexplore "))))
        out, used = Text(style="bold"), 0  # the header is bold, as it always was
        for group in (head, *rest):
            if used and used + len(SEPARATOR) + group.cell_len > width:
                out.append("\n")
                used = 0
            elif used:
                out.append(SEPARATOR, style=fmt.MUTED)
                used += len(SEPARATOR)
            out.append_text(group)
            used += group.cell_len
        if note is not None:
            out.append("\n")
            out.append_text(note)
        self.update(out)


SEPARATOR = "  │  "


def _state(session: Session, profile: str) -> list[Text]:
    """The cluster the tree names, its counts of problems, and its soonest expiry."""
    groups: list[Text] = []
    if session.inferred is not None:
        node, version, endpoint = session.inferred.headline()
        if (node, version, endpoint) == ("?", "?", "?"):
            # no manifest and no kubeconfig: "? ? ?" would read as a glitch
            groups.append(Text("cluster unknown (i: what was read)", style=fmt.MUTED))
        else:
            cluster = Text(f"{printable(node)} ", style="bold")
            cluster.append(f"{printable(version)} ")
            cluster.append(printable(endpoint), style=fmt.MUTED)
            groups.append(cluster)
    counts = {s: 0 for s in Severity}
    for finding in session.findings(profile):
        counts[finding.severity] += 1
    tallied = Text()
    for sev in (Severity.ERROR, Severity.WARNING):
        style = fmt.STYLE[sev] if counts[sev] else fmt.MUTED
        word = sev.value + ("s" if counts[sev] != 1 else "")
        tallied.append(("  " if tallied else "") + f"{fmt.GLYPH[sev]} {counts[sev]} {word}",
                       style=style)
    groups.append(tallied)
    soonest = next((r for r in session.expiry if r.not_after is not None), None)
    if soonest is not None:
        left = soonest.not_after - session.now
        expiry = Text("soonest expiry ", style=fmt.MUTED)
        expiry.append(f"{fmt.shortened(printable(soonest.name), SOONEST_WIDTH)} ", style="bold")
        expiry.append("expired" if left.total_seconds() <= 0 else soonest.residual,
                      style=fmt.STYLE[Severity.ERROR] if left.total_seconds() <= 0 else "")
        groups.append(expiry)
    return groups
