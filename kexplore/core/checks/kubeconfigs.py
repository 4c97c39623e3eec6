"""Rules about kubeconfigs: whom they trust, who they are, and where they connect."""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.checks.context import Context
from kexplore.core.conventions.kubeconfigs import (
    JOINED_KUBELET_NAMES,
    KUBECONFIGS_BY_FILE,
    KubeconfigSpec,
    ServerRule,
)
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Finding, Kind, Node, Severity
from kexplore.core.params import canonical_addresses
from kexplore.core.plane.mounts import Reach, beside


def _tree_ca_fingerprint(ctx: Context) -> str:
    node = ctx.tree.get(ctx.laid_out("pki/ca.crt"))
    if node and node.kind is Kind.CERTIFICATE and node.content:
        return str(node.content[0].sha256_fingerprint)
    return ""


def ca_mismatch(ctx: Context) -> Iterator[Finding]:
    """A kubeconfig that trusts another CA cannot verify the API server: every call fails."""
    tree_ca = _tree_ca_fingerprint(ctx)
    ca_path = ctx.laid_out("pki/ca.crt")
    if not tree_ca:
        return
    for node, info in ctx.kubeconfigs():
        if node.path not in KUBECONFIGS_BY_FILE:
            continue
        for cluster in info.clusters:
            # A bundle that holds the tree's CA trusts it (kubeadm's manual CA rotation
            # puts the old and the new CA side by side).
            if cluster.ca and all(c.sha256_fingerprint != tree_ca for c in cluster.ca):
                yield Finding(
                    "kubeconfig-ca-mismatch",
                    Severity.ERROR,
                    node.path,
                    f"cluster {cluster.name} trusts {cluster.ca[0].subject} "
                    f"({cluster.ca[0].sha256_fingerprint[:23]}…), not {ca_path} "
                    f"({tree_ca[:23]}…)",
                    pointer=f"cluster {cluster.name}",
                    fix="kubeadm init phase kubeconfig " + node.path.removesuffix(".conf"),
                )


def context(ctx: Context) -> Iterator[Finding]:
    """kubectl and the components use the current context; if it dangles, nothing connects."""
    for node, info in ctx.kubeconfigs():
        if not info.current_context:
            yield Finding(
                "kubeconfig-context",
                Severity.ERROR,
                node.path,
                "current-context is empty",
                pointer="current-context",
            )
        elif info.current() is None:
            names = ", ".join(c.name for c in info.contexts) or "none"
            yield Finding(
                "kubeconfig-context",
                Severity.ERROR,
                node.path,
                f"current-context {info.current_context!r} is not defined (contexts: {names})",
                pointer="current-context",
            )
        for entry in info.contexts:
            for error in entry.errors:
                yield Finding(
                    "kubeconfig-context",
                    Severity.ERROR,
                    node.path,
                    f"context {entry.name}: {error}",
                    pointer=f"context {entry.name}",
                )


def file_missing(ctx: Context) -> Iterator[Finding]:
    """A kubeconfig that names a certificate or key that is not there cannot authenticate."""
    for node, info in ctx.kubeconfigs():
        refs = [
            (f"user {u.name}", p)
            for u in info.users
            for p in (u.client_cert_path, u.client_key_path)
            if p
        ]
        refs += [(f"cluster {c.name}", c.ca_path) for c in info.clusters if c.ca_path]
        for pointer, path in dict.fromkeys(refs):
            rel = _inside(ctx, node, path)
            if rel is not None and ctx.tree.get(rel) is None and not ctx.reported_by_folder(rel):
                yield Finding(
                    "kubeconfig-file-missing",
                    Severity.ERROR,
                    node.path,
                    f"{pointer} names {path}, which is not there",
                    pointer=pointer,
                    fix=f"restore {path}",
                )


def _inside(ctx: Context, node: Node, path: str) -> str | None:
    """The tree-relative path a kubeconfig reference lands on, if it lies in the tree."""
    resolved = beside(ctx.tree, node.path, path)
    return resolved.node if resolved.reach in (Reach.IN_TREE, Reach.MISSING) else None


def client_cert(ctx: Context) -> Iterator[Finding]:
    """Each component is authorised by the identity in its certificate, not by its file name."""
    params = ctx.params
    for node, info in ctx.kubeconfigs():
        spec = KUBECONFIGS_BY_FILE.get(node.path)
        if spec is None or _joined_kubelet(node.path, info):
            continue
        if spec.file == "kubelet.conf" and not ctx.knows("node_name"):
            continue  # its identity names the node, which the tree does not give
        expected = spec.user(params)
        for user in info.users:
            cert = user.cert
            if cert is None:
                continue
            if cert.subject_cn != expected:
                yield Finding(
                    "kubeconfig-client-cert",
                    Severity.ERROR,
                    node.path,
                    f"user {user.name} presents CN {cert.subject_cn!r}; "
                    f"{node.path} must be {expected!r}",
                    pointer=f"user {user.name}",
                    fix=f"kubeadm init phase kubeconfig {node.path.removesuffix('.conf')}",
                )


def _joined_kubelet(path: str, info: KubeconfigInfo) -> bool:
    return path == "kubelet.conf" and any(u.name in JOINED_KUBELET_NAMES for u in info.users)


def server(ctx: Context) -> Iterator[Finding]:
    """Some kubeconfigs must reach the shared endpoint, others this node's own API server."""
    params = ctx.params
    if ctx.withheld("kubeconfig-server"):
        return
    for node, info in ctx.kubeconfigs():
        spec = KUBECONFIGS_BY_FILE.get(node.path)
        if spec is None or not _server_known(ctx, spec):
            continue
        rule = spec.server_rule(params.version)
        allowed = {canonical_addresses(url) for url in spec.accepted_servers(params)}
        current = info.current()
        for cluster in info.clusters:
            server = canonical_addresses(cluster.server.rstrip("/"))
            if not cluster.server or server in allowed:
                continue
            # An operator's second cluster beside kubeadm's (a staging context in
            # admin.conf) is dialled by no component: they all use the current context.
            idle = current is not None and current.cluster != cluster.name
            aside = (f"; no component dials it: the current context uses cluster "
                     f"{current.cluster}" if idle and current else "")
            yield Finding(
                "kubeconfig-server",
                Severity.INFO if idle else Severity.WARNING,
                node.path,
                f"cluster {cluster.name} points at {cluster.server}; kubeadm points "
                f"{node.path} at the {rule.value} {rule.url(params)}: {spec.why_server}{aside}",
                pointer=f"cluster {cluster.name}",
            )


def _server_known(ctx: Context, spec: KubeconfigSpec) -> bool:
    """Whether the tree gives every address this kubeconfig may be held to: the node's
    own for the local endpoint, the endpoint (or the node's address, when there is none
    beside it) for the shared one."""
    version = ctx.params.version
    rules = set(ServerRule) if spec.either_server.covers(version) else {spec.server_rule(version)}
    local = ctx.knows("advertise_address")
    shared = ctx.knows("control_plane_endpoint") or local
    return (ServerRule.LOCAL not in rules or local) and (ServerRule.ENDPOINT not in rules or shared)


RULES = [ca_mismatch, context, file_missing, client_cert, server]
