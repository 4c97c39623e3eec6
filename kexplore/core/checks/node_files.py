"""Rules about the kubelet's own files outside the tree: its serving certificate, whom it
trusts, its key pairs; and the helpers the kubelet client rules share. They speak only
when node files were read."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from datetime import datetime, timedelta

from kexplore.core.checks.context import Context
from kexplore.core.conventions.node import (
    KUBELET_CLIENT_RECOVERY,
    KUBELET_CONFIG,
    KUBELET_ROTATED_CERT,
    KUBELET_SERVING_ROTATED,
    kubelet_serving_pair,
)
from kexplore.core.kubeconfig import KubeconfigInfo, UserEntry
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Finding, Kind, Severity
from kexplore.core.node_files import NodeFiles, OutsideFile, in_tree
from kexplore.core.pki import CertInfo, KeyInfo, key_matches
from kexplore.core.plane.kubelet import STATIC_POD_PATH, TREE_MANIFESTS, KubeletSide
from kexplore.core.plane.mounts import Reach, in_container
from kexplore.core.read.crypto import verify_signature
from kexplore.core.records import record

KUBELET_CONF = "kubelet.conf"
ROTATED_NAME = posixpath.basename(KUBELET_ROTATED_CERT)
APISERVER = "kube-apiserver"


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}"


@record
class Lapse:
    """How close a certificate is to its end at --now: expired (an error) or inside the
    warning window (a warning), with the words a message says it in."""

    severity: Severity
    when: str  # "expired 2026-11-01", "expires 2026-11-20, in 19d"

    @property
    def expired(self) -> bool:
        return self.severity is Severity.ERROR


def lapse(cert: CertInfo, now: datetime, warn_days: int | None) -> Lapse | None:
    """The certificate's lapse at `now`; None while it has more than `warn_days` left, or,
    with no window (None), while it has not expired."""
    if cert.is_expired(now):
        return Lapse(Severity.ERROR, f"expired {_day(cert.not_after)}")
    if warn_days is None or cert.time_left(now) > timedelta(days=warn_days):
        return None
    return Lapse(Severity.WARNING, f"expires {_day(cert.not_after)}, in {cert.residual(now)}")


def signed_by(cert: CertInfo, cas: tuple[CertInfo, ...]) -> bool:
    """Whether one of `cas` really signed `cert`: a CA of the same name is not enough."""
    return any(verify_signature(cert, ca) for ca in cas)


def kubelet_user(ctx: Context) -> UserEntry | None:
    """The user kubelet.conf's current context authenticates as (its first user else)."""
    node = ctx.tree.get(KUBELET_CONF)
    info = node.content if node is not None else None
    if not isinstance(info, KubeconfigInfo) or not info.users:
        return None
    current = info.current()
    return (info.user(current.user) if current else None) or info.users[0]


def kubelet_client(ctx: Context) -> OutsideFile | None:
    """The kubelet's client certificate file outside the tree, as kubelet.conf names it,
    or the rotated one when kubelet.conf embeds its own."""
    user, node = kubelet_user(ctx), ctx.node
    if user is None or node is None:
        return None
    if user.client_cert_source == "file":
        path = posixpath.normpath(user.client_cert_path)
        return node.get(path) if path.startswith("/") and in_tree(path) is None else None
    return node.present(KUBELET_ROTATED_CERT)


def _apiserver(ctx: Context) -> tuple[ManifestInfo, Container] | None:
    """The API server that runs here: the static pod whose command is kube-apiserver,
    whatever its manifest is called, and that container."""
    for _, info in ctx.manifests():
        for container in info.containers:
            program = posixpath.basename(container.command[0]) if container.command else ""
            if program == APISERVER:
                return info, container
    return None


def apiserver_flag(ctx: Context, flag: str) -> str | None:
    """A flag of the API server that runs here."""
    found = _apiserver(ctx)
    return found[1].flag_value(flag) if found is not None else None


def apiserver_certs(ctx: Context, flag: str) -> tuple[CertInfo, ...]:
    """The certificates of the file an API server flag names, as its container opens it
    through the pod's volumes; () when no volume shows it or the tree does not hold it
    (the plane's rules say which)."""
    found = _apiserver(ctx)
    value = found[1].flag_value(flag) if found is not None else None
    if found is None or not value:
        return ()
    opened = in_container(ctx.tree, found[0], found[1], value)
    node = ctx.tree.get(opened.node) if opened.reach is Reach.IN_TREE else None
    if node is None or node.kind is not Kind.CERTIFICATE or not node.content:
        return ()
    return tuple(node.content)


def serving(ctx: Context) -> Iterator[Finding]:
    """The kubelet's serving cert is self-signed by default and never renewed; the API
    server does not verify it (no --kubelet-certificate-authority), metrics-server does.
    One it does verify from another CA is the plane's (kubelet-serving-ca)."""
    if ctx.node is None:
        return
    kubelet = ctx.node.kubelet
    bootstrapped = kubelet is not None and bool(kubelet.server_tls_bootstrap)
    found = _serving_file(ctx.node)
    verifier = apiserver_flag(ctx, "kubelet-certificate-authority")
    if bootstrapped and found is None:
        yield Finding(
            "kubelet-serving-bootstrap", Severity.WARNING, KUBELET_SERVING_ROTATED,
            "serverTLSBootstrap is true but the kubelet has no serving certificate yet: its "
            "CSR waits for an approver (kubectl get csr); :10250 has no certificate until then",
            fix="approve the kubelet-serving CSR (kubectl certificate approve) or run an approver",
        )
        return
    if found is None or not found.certs:
        return
    cert = found.certs[0]
    expired = lapse(cert, ctx.now, None)
    if expired:
        who = ("the API server (--kubelet-certificate-authority) and metrics-server refuse it"
               if verifier else "metrics-server and any client that verifies :10250 refuse it")
        renew = ("the kubelet rotates it with serverTLSBootstrap once a CSR is approved"
                 if bootstrapped else "delete it and its key and restart the kubelet: it makes "
                 "a new self-signed pair only when none is there")
        yield Finding(
            "kubelet-serving-expired", Severity.ERROR if verifier else Severity.WARNING,
            found.path, f"the kubelet's serving certificate {expired.when}: {who}",
            fix=renew,
        )
    # a serving cert the API server's CA did not sign is the plane's to judge: its API
    # server → kubelet link reports it as kubelet-serving-ca, once


def _serving_file(node: NodeFiles) -> OutsideFile | None:
    """The serving cert the kubelet presents, as it picks it, when it is at hand."""
    return node.present(kubelet_serving_pair(node.kubelet).cert)


def key_pairs(ctx: Context) -> Iterator[Finding]:
    """A certificate whose key is not its own fails every handshake it is presented in:
    the kubelet's rotated PEM holds both, its serving pair is two files."""
    if ctx.node is None:
        return
    for found in ctx.node.files.values():
        cert = found.certs[0] if found.certs else None
        if cert is None:
            continue
        key, partner = found.key, ""
        if key is None and found.path.endswith(".crt"):
            partner = found.path.removesuffix(".crt") + ".key"
            pair = ctx.node.present(partner)
            key = pair.node.content if pair is not None and isinstance(
                pair.node.content, KeyInfo) else None
        if key is not None and not key_matches(key, cert):
            where = f"{partner} does not match it" if partner else "its key does not match it"
            yield Finding(
                "key-mismatch", Severity.ERROR, found.path,
                f"{where}: the key's public key {key.public_key_fingerprint[:23]}… is not the "
                f"certificate's {cert.public_key_fingerprint[:23]}…",
                fix=KUBELET_CLIENT_RECOVERY if found.key else "delete both files and restart "
                "the kubelet: it makes a new self-signed pair",
            )


def unreadable(ctx: Context) -> Iterator[Finding]:
    """A node file that is there but cannot be read or decoded: the kubelet fails on it,
    or kexplore could not look (then it only says so)."""
    if ctx.node is None:
        return
    for found in ctx.node.files.values():
        node = found.node
        if found.missing or node.kind is Kind.SYMLINK or not node.error:
            continue
        not_read = node.error.startswith(("cannot read", "not looked", "leads outside"))
        yield Finding(
            "node-file-unreadable", Severity.INFO if not_read else Severity.ERROR, found.path,
            f"{found.path}: {node.error}" + (": not checked" if not_read else ""),
        )


def static_pod_path(ctx: Context) -> Iterator[Finding]:
    """The kubelet runs the static pods of the one folder config.yaml's staticPodPath
    names: pointed anywhere but the tree's manifests/, it runs none of them, and the
    control plane on this node is gone although every manifest is right."""
    kubelet = KubeletSide.read(ctx.node)
    folder = kubelet.static_pod_folder()
    if folder is None or folder == TREE_MANIFESTS:
        return
    pods = sorted(n.path for n, _ in ctx.manifests() if n.parent == "manifests")
    named = ", ".join(pods) if pods else "none"
    yield Finding(
        "kubelet-static-pod-path", Severity.ERROR, KUBELET_CONFIG,
        f"staticPodPath is {folder}, not {TREE_MANIFESTS}: the kubelet runs none of the "
        f"tree's {len(pods)} static pods ({named}); every one of them is absent",
        pointer=STATIC_POD_PATH,
        fix=f"set staticPodPath: {TREE_MANIFESTS} in {KUBELET_CONFIG} and restart the kubelet",
    )


# whom the kubelet trusts (config.yaml's clientCAFile) is the plane's: its API server →
# kubelet link reports a wrong or absent one as connection-ca, once
RULES = [serving, static_pod_path, key_pairs, unreadable]
