"""A kubeconfig: its clusters, users and contexts, each embedded certificate one key away."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from kexplore.core.kubeconfig import ClusterEntry, KubeconfigInfo, UserEntry
from kexplore.core.model import Severity
from kexplore.core.secrets import shown as printable
from kexplore.ui import format as fmt
from kexplore.ui.messages import JumpTo, OpenCertificate
from kexplore.ui.views.base import View, findings_section, heading, redacted_yaml_view, title
from kexplore.ui.views.uses import uses_section
from kexplore.ui.widgets.search import SearchableText
from kexplore.ui.widgets.tables import Copyable, KeyTable

REDACTED = Text("REDACTED", style="reverse")


class KubeconfigView(View):
    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.path)
        info = node.content if node else None
        assert isinstance(info, KubeconfigInfo)
        self.info = info
        current = info.current()
        subtitle = f"current context {info.current_context or '(none)'}"
        yield title(self.shown_path, subtitle)
        with TabbedContent(id="kc-tabs"):
            with TabPane("Config", id="kc-config"), VerticalScroll():
                yield heading("Contexts")
                yield self._contexts(current.name if current else "")
                yield heading("Clusters")
                yield self._clusters()
                yield heading("Users")
                yield self._users()
                yield Static(Text("enter on a cluster or user opens its certificate, or the "
                                  "file the kubeconfig names",
                                  style=fmt.MUTED), classes="note")
                problems = info.all_problems()
                if problems:
                    yield heading("Problems")
                    yield Static(Text("\n".join(map(printable, problems)),
                                      style=fmt.STYLE[Severity.ERROR]))
                yield from findings_section(self.findings)
                yield from uses_section(self.session, self.path)
            with TabPane("YAML (redacted)", id="kc-yaml"):
                yield SearchableText(redacted_yaml_view(self.session, self.path), text_id="yaml")

    def _contexts(self, current: str) -> KeyTable:
        table = KeyTable("", "context", "cluster", "user", "namespace", id="contexts")
        for ctx in self.info.contexts:
            mark = Text("*", style="bold") if ctx.name == current else Text("")
            table.add(mark, ctx.name, ctx.cluster, ctx.user, ctx.namespace,
                      copy=("context", ctx.name))
        return table

    def _clusters(self) -> KeyTable:
        table = KeyTable("cluster", "server", "CA", "CA expires", id="clusters")
        self._cluster_rows: list[ClusterEntry] = list(self.info.clusters)
        for c in self.info.clusters:
            ca = c.ca[0] if c.ca else None
            source = {"data": "embedded", "file": f"file {c.ca_path}"}.get(c.ca_source, "none")
            table.add(c.name, c.server, f"{ca.subject_cn} ({source})" if ca else source,
                      fmt.time_left(ca, self.session.now) if ca else "",
                      copy=("server URL", c.server))
        return table

    def _users(self) -> KeyTable:
        table = KeyTable("user", "client certificate", "expires", "client key", id="users")
        self._user_rows: list[UserEntry] = list(self.info.users)
        for u in self.info.users:
            cert = u.cert
            who = f"{cert.subject_cn}" + (f" (O={','.join(cert.subject_o)})"
                                          if cert.subject_o else "") if cert else _auth(u)
            key = Text("")
            if u.client_key is not None or u.client_key_source:
                key = REDACTED.copy()
                described = u.client_key.describe() if u.client_key else ""
                where = "embedded" if u.client_key_source == "data" else u.client_key_path
                key.append(Text(f" {described} {where}".rstrip(), style=fmt.MUTED))
            table.add(u.name, who, fmt.time_left(cert, self.session.now) if cert else "", key,
                      copy=("client certificate fingerprint", cert.sha256_fingerprint)
                      if cert else None)
        return table

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        if table.id == "clusters":
            entry = self._cluster_rows[event.cursor_row]
            if entry.ca_source == "file" and self._open_file(entry.ca_path):
                event.stop()
            elif entry.ca:
                event.stop()
                self.post_message(OpenCertificate(entry.ca, self.path, f"cluster {entry.name}"))
        elif table.id == "users":
            user = self._user_rows[event.cursor_row]
            if user.client_cert_source == "file" and self._open_file(user.client_cert_path):
                event.stop()
            elif user.client_cert:
                event.stop()
                self.post_message(
                    OpenCertificate(user.client_cert, self.path, f"user {user.name}")
                )

    def _open_file(self, path: str) -> bool:
        """Open a file the kubeconfig names when the tree holds it (its own view, with its
        findings, rather than a copy of its certificate)."""
        from kexplore.core.plane.mounts import entry_beside

        found = entry_beside(self.session.tree, self.path, path)
        if found is not None:
            self.post_message(JumpTo(found))
        return found is not None

    def default_copy(self) -> Copyable | None:
        current = self.info.current()
        cluster = self.info.cluster(current.cluster) if current else None
        return ("server URL", cluster.server) if cluster and cluster.server else None


def _auth(user: UserEntry) -> str:
    if user.has_token:
        return "token (redacted)"
    if user.exec_command:
        return f"exec {user.exec_command}"
    if user.auth_provider:
        return f"auth provider {user.auth_provider}"
    return "no client certificate"
