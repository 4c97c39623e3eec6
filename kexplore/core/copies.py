"""Kubeconfig copies (~/.kube/config and the like) held against the tree's admin.conf and
super-admin.conf: the same credential, an older one, or one of another cluster.

A copy may hold many clusters; only the entries that dial this cluster's API server, or
trust its CA, are held against it. Plain values: the rules and the views say them in words.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from kexplore.core.kubeconfig import ClusterEntry, KubeconfigInfo, UserEntry
from kexplore.core.model import Kind, Tree
from kexplore.core.pki import CertInfo
from kexplore.core.read.crypto import verify_signature
from kexplore.core.records import record

ADMIN_FILES = ("admin.conf", "super-admin.conf")
# A loopback server names no cluster: every API server answers there.
_LOCAL = frozenset({"127.0.0.1", "::1", "localhost"})


@record
class Live:
    """What the tree says a current admin credential is."""

    ca: CertInfo | None
    servers: frozenset[str]  # the hosts the live admin kubeconfigs dial
    sans: frozenset[str]  # the API server certificate's names and addresses
    clients: dict[str, CertInfo]  # file -> its client cert


@record
class CopyState:
    """One context of a copy that dials this cluster: what it holds against the live files.

    `kind` is "current" (the live admin credential), "older" (this cluster's CA signed it,
    but it is not the live file's), "foreign-ca" (its cluster trusts another CA), or
    "other" (a credential that is no admin copy: left alone)."""

    context: str
    cluster: ClusterEntry
    user: UserEntry | None
    kind: str
    of: str = ""  # the live file it is a copy of
    server_in_sans: bool = True


def _as_written(path: str) -> str:
    return path


def live_admin(tree: Tree, laid_out: Callable[[str], str] = _as_written) -> Live:
    """The live admin credential; `laid_out` maps kubeadm's pki/ paths to where the
    tree's certificatesDir holds them (kubespray's ssl/)."""
    ca_node = tree.get(laid_out("pki/ca.crt"))
    ca = ca_node.content[0] if ca_node and ca_node.kind is Kind.CERTIFICATE and \
        ca_node.content else None
    servers: set[str] = set()
    clients: dict[str, CertInfo] = {}
    for name in ADMIN_FILES:
        node = tree.get(name)
        if node is None or not isinstance(node.content, KubeconfigInfo):
            continue
        servers |= {host_of(c.server) for c in node.content.clusters if c.server}
        for user in node.content.users:
            if user.cert is not None:
                clients.setdefault(name, user.cert)
    api = tree.get(laid_out("pki/apiserver.crt"))
    sans: set[str] = set()
    if api is not None and api.kind is Kind.CERTIFICATE and api.content:
        sans = {*api.content[0].dns_sans, *(_ip(i) for i in api.content[0].ip_sans)}
    return Live(ca, frozenset(servers), frozenset(sans), clients)


def copy_states(live: Live, info: KubeconfigInfo) -> list[CopyState]:
    """Each context of the copy that concerns this cluster, judged."""
    states = []
    for ctx in info.contexts:
        cluster = info.cluster(ctx.cluster)
        if cluster is None:
            continue
        host = host_of(cluster.server)
        trusts_ours = bool(live.ca and cluster.ca and
                           cluster.ca[0].sha256_fingerprint == live.ca.sha256_fingerprint)
        ours = host in live.servers or (host in live.sans and host not in _LOCAL) or trusts_ours
        if not ours:
            continue  # another cluster's entry: not ours to judge
        user = info.user(ctx.user)
        in_sans = not live.sans or host in live.sans
        if cluster.ca and live.ca and not trusts_ours:
            states.append(CopyState(ctx.name, cluster, user, "foreign-ca", "", in_sans))
            continue
        states.append(_judge_user(live, ctx.name, cluster, user, in_sans))
    return states


def _judge_user(
    live: Live, context: str, cluster: ClusterEntry, user: UserEntry | None, in_sans: bool
) -> CopyState:
    cert = user.cert if user else None
    if cert is None:
        return CopyState(context, cluster, user, "other", "", in_sans)
    for name, client in live.clients.items():
        if cert.sha256_fingerprint == client.sha256_fingerprint:
            return CopyState(context, cluster, user, "current", name, in_sans)
    of = next((n for n, c in live.clients.items() if c.subject_cn == cert.subject_cn), "")
    signed = live.ca is not None and verify_signature(cert, live.ca)
    if of and signed:
        return CopyState(context, cluster, user, "older", of, in_sans)
    return CopyState(context, cluster, user, "other", of, in_sans)



def host_of(server: str) -> str:
    """The host a server URL dials, without brackets or port."""
    try:
        host = urlsplit(server if "//" in server else f"//{server}").hostname or ""
    except ValueError:
        return ""
    return _ip(host) if _is_ip(host) else host.lower()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text
