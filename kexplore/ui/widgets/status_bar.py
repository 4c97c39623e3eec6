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


class StatusBar(Static):
    """Root, inferred cluster, counts of errors and warnings, the soonest expiry."""

    def show_failure(self, root_label: str, error: str) -> None:
        line = Text("kexplore ", style="bold") + fmt.plain(root_label)
        line.append(f"  │  {printable(error)}  (r tries again)", style=fmt.STYLE[Severity.ERROR])
        self.update(line)

    def show(self, session: Session | None, root_label: str, profile: str, note: str = "") -> None:
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
        if session.inferred is not None:
            node, version, endpoint = session.inferred.headline()
            line.append("  │  ", style=fmt.MUTED)
            line.append(f"{printable(node)} ", style="bold")
            line.append(f"{printable(version)} ")
            line.append(printable(endpoint), style=fmt.MUTED)
        counts = {s: 0 for s in Severity}
        for finding in session.findings(profile):
            counts[finding.severity] += 1
        line.append("  │  ", style=fmt.MUTED)
        for sev in (Severity.ERROR, Severity.WARNING):
            style = fmt.STYLE[sev] if counts[sev] else fmt.MUTED
            word = sev.value + ("s" if counts[sev] != 1 else "")
            line.append(f"{fmt.GLYPH[sev]} {counts[sev]} {word}  ", style=style)
        soonest = next((r for r in session.expiry if r.not_after is not None), None)
        if soonest is not None:
            line.append("│  soonest expiry ", style=fmt.MUTED)
            left = soonest.not_after - session.now
            style = fmt.STYLE[Severity.ERROR] if left.total_seconds() <= 0 else ""
            line.append(f"{fmt.shortened(printable(soonest.name), SOONEST_WIDTH)} ",
                        style="bold")
            line.append("expired" if left.total_seconds() <= 0 else soonest.residual, style=style)
        if profile != "kubeadm":
            line.append(f"  │  profile {profile}", style=fmt.MUTED)
        if note:
            # a fact about the tree, not a finding
            line.append(f"\n{printable(note)}", style=fmt.MUTED)
        self.update(line)
