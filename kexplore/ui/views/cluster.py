"""The cluster as kexplore read it back out of the tree: each parameter and its source."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kexplore.ui import format as fmt
from kexplore.ui.session import Session
from kexplore.ui.views.base import View, title

CLUSTER = ":cluster"  # where the main screen is when it shows this view, not a file


class ClusterView(View):
    """What every convention is held against: node, version, addresses, subnets, etcd."""

    def __init__(self, session: Session, profile: str = "kubeadm") -> None:
        super().__init__(session, CLUSTER, profile)

    def compose(self) -> ComposeResult:
        from kexplore.core.report.text import parameters_table

        yield title("Cluster", "as read back out of the tree: what kubeadm is held to")
        with VerticalScroll():
            inferred = self.session.inferred
            if inferred is None:
                yield Static(Text("the cluster could not be read", style=fmt.MUTED), classes="note")
                return
            table = parameters_table(inferred).as_table()
            table.title = None
            yield Static(table, id="cluster", classes="note")  # the margin of every view
            for note in inferred.notes:
                yield Static(fmt.plain(note, style=fmt.MUTED), classes="note")
