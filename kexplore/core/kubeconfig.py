"""What a kubeconfig says: clusters, users and contexts, embedded certs decoded, secrets
never kept. Plain values, light to import (`read_kubeconfig` makes them).

A broken entry (bad base64, a dangling reference) is recorded on that entry so the rest
of the file still shows.
"""

from __future__ import annotations

from kexplore.core.pki import CertInfo, KeyInfo
from kexplore.core.records import record


@record
class ClusterEntry:
    """One entry of a kubeconfig's clusters: the server and the CA it is trusted with."""

    name: str
    server: str = ""
    tls_server_name: str = ""
    insecure: bool = False
    ca: tuple[CertInfo, ...] = ()
    ca_path: str = ""  # as written in the file
    ca_source: str = ""  # "data", "file" or "" (none given)
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@record
class UserEntry:
    """A user's credentials, summarised: the client cert decoded, the key as a KeyInfo."""

    name: str
    client_cert: tuple[CertInfo, ...] = ()
    client_cert_path: str = ""
    client_cert_source: str = ""
    client_key: KeyInfo | None = None
    client_key_path: str = ""
    client_key_source: str = ""
    has_token: bool = False
    has_password: bool = False
    exec_command: str = ""
    auth_provider: str = ""
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def cert(self) -> CertInfo | None:
        """The leaf: the first certificate of the client chain."""
        return self.client_cert[0] if self.client_cert else None


@record
class ContextEntry:
    """One entry of a kubeconfig's contexts: which cluster, as which user."""

    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = ""
    errors: tuple[str, ...] = ()


@record
class KubeconfigInfo:
    """A decoded kubeconfig. `references` are the in-root files it names (relative paths),
    so a rescan can re-decode it when one of them changes."""

    clusters: tuple[ClusterEntry, ...]
    users: tuple[UserEntry, ...]
    contexts: tuple[ContextEntry, ...]
    current_context: str
    api_version: str = ""
    kind: str = ""
    problems: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    outside_references: tuple[str, ...] = ()

    def cluster(self, name: str) -> ClusterEntry | None:
        return next((c for c in self.clusters if c.name == name), None)

    def user(self, name: str) -> UserEntry | None:
        return next((u for u in self.users if u.name == name), None)

    def context(self, name: str) -> ContextEntry | None:
        return next((c for c in self.contexts if c.name == name), None)

    def current(self) -> ContextEntry | None:
        return self.context(self.current_context)

    def all_problems(self) -> tuple[str, ...]:
        """Every error in the file and its entries, each naming where it is."""
        out = list(self.problems)
        for kind, entries in (
            ("cluster", self.clusters),
            ("user", self.users),
            ("context", self.contexts),
        ):
            out += [f"{kind} {e.name!r}: {err}" for e in entries for err in e.errors]
        return tuple(out)
