"""Rules about the kubelet's own files outside the tree: its client identity, its serving
certificate, and whom it trusts. They speak only when node files were read."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from datetime import timedelta

from kexplore.core.checks.context import Context
from kexplore.core.conventions.node import (
    KUBELET_CLIENT_RECOVERY,
    KUBELET_CONFIG,
    KUBELET_REFERENCE_FIX,
    KUBELET_ROTATED_CERT,
    KUBELET_SERVING_ROTATED,
    NODE_PREFIX,
    NODES_GROUP,
)
from kexplore.core.crypto import verify_signature
from kexplore.core.kubeconfig import KubeconfigInfo, UserEntry
from kexplore.core.manifest import ManifestInfo, map_to_root
from kexplore.core.model import Finding, Kind, Severity
from kexplore.core.node_files import NodeFiles, OutsideFile, in_tree
from kexplore.core.pki import CertInfo, KeyInfo, key_matches

KUBELET_CONF = "kubelet.conf"
ROTATED_NAME = posixpath.basename(KUBELET_ROTATED_CERT)
APISERVER = "manifests/kube-apiserver.yaml"


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}"


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


def apiserver_flag(ctx: Context, flag: str) -> str | None:
    node = ctx.tree.get(APISERVER)
    if node is None or not isinstance(node.content, ManifestInfo):
        return None
    container = node.content.container()
    return container.flag_value(flag) if container else None


def tree_certs(ctx: Context, path: str | None) -> tuple[CertInfo, ...]:
    """The certificates of an /etc/kubernetes path named by a flag or field, if in the tree."""
    if not path:
        return ()
    local = map_to_root(path, ctx.tree.root)
    if local is None:
        return ()
    rel = local.relative_to(ctx.tree.root).as_posix()
    found = ctx.tree.get(rel)
    if found is None or found.kind is not Kind.CERTIFICATE or not found.content:
        return ()
    return tuple(found.content)


def embedded(ctx: Context) -> Iterator[Finding]:
    """kubeadm before 1.17 left the init node's kubelet.conf with its first client cert
    embedded: the kubelet rotates into kubelet-client-current.pem but starts again from the
    embedded cert, so once that expires a restart fails although a valid rotated cert exists."""
    user = kubelet_user(ctx)
    if ctx.node is None or user is None or user.client_cert_source != "data" or not user.cert:
        return
    if ctx.node.present(KUBELET_ROTATED_CERT) is None:
        return  # nothing rotated to point at: the embedded cert is all the kubelet has
    cert = user.cert
    expired = cert.is_expired(ctx.now)
    when = "expired" if expired else "expires"
    yield Finding(
        "kubelet-client-embedded",
        Severity.ERROR if expired else Severity.WARNING,
        KUBELET_CONF,
        f"kubelet.conf embeds its first client certificate ({when} {_day(cert.not_after)}) "
        f"instead of naming {KUBELET_ROTATED_CERT}: after a restart the kubelet starts from "
        "the embedded one, the pre-1.17 init-node trap",
        pointer=f"user {user.name}",
        fix=KUBELET_REFERENCE_FIX,
    )


def reference(ctx: Context) -> Iterator[Finding]:
    """The kubelet renews its client cert by writing a new dated file and moving the
    kubelet-client-current.pem link: a kubeconfig naming anything else stops following."""
    user = kubelet_user(ctx)
    if ctx.node is None or user is None or user.client_cert_source != "file":
        return
    names = {posixpath.basename(p) for p in (user.client_cert_path, user.client_key_path) if p}
    if names and names != {ROTATED_NAME}:
        yield Finding(
            "kubelet-client-reference",
            Severity.WARNING,
            KUBELET_CONF,
            f"kubelet.conf names {', '.join(sorted(names))}, not {ROTATED_NAME}: the "
            "certificates the kubelet rotates to are never used",
            pointer=f"user {user.name}",
            fix=KUBELET_REFERENCE_FIX,
        )


def symlink(ctx: Context) -> Iterator[Finding]:
    """kubelet-client-current.pem must be a symlink to the newest dated file, and that file
    must exist: without it the kubelet cannot authenticate and does not come back."""
    found = kubelet_client(ctx)
    user = kubelet_user(ctx)
    if found is None or user is None or not ctx.node or not ctx.node.locatable(found.path):
        return
    pointer = f"user {user.name}"
    problem = ""
    severity = Severity.ERROR
    if found.missing:
        problem = f"{found.path}, named by kubelet.conf, is not there"
    elif found.node.kind is Kind.SYMLINK:
        problem = f"{found.path} is a {found.node.error or 'symlink that cannot be followed'}"
    elif not found.node.link_target and posixpath.basename(found.path) == ROTATED_NAME:
        severity = Severity.WARNING
        problem = (f"{found.path} is a regular file, not a symlink to a dated file: the "
                   "kubelet's next rotation may not replace it")
    if problem:
        yield Finding("kubelet-client-symlink", severity, found.path, problem,
                      pointer=pointer, fix=KUBELET_CLIENT_RECOVERY)


def client_time(ctx: Context) -> Iterator[Finding]:
    """The kubelet rotates its client cert at 70 to 90% of its life: one that expired, or
    that is close to it, says rotation stopped; expired, the node goes NotReady."""
    found = kubelet_client(ctx)
    if found is None or not found.certs:
        return
    cert = found.certs[0]
    if cert.is_expired(ctx.now):
        yield Finding(
            "kubelet-client-expired", Severity.ERROR, found.path,
            f"the kubelet's client certificate expired {_day(cert.not_after)}: the API server "
            "answers it Unauthorized", fix=KUBELET_CLIENT_RECOVERY,
        )
    elif cert.time_left(ctx.now) <= timedelta(days=ctx.warn_days):
        yield Finding(
            "kubelet-client-expired", Severity.WARNING, found.path,
            f"the kubelet's client certificate expires {_day(cert.not_after)}, in "
            f"{cert.residual(ctx.now)}, and has not been rotated: check the kubelet's log "
            "and pending CSRs (kubectl get csr)", fix=KUBELET_CLIENT_RECOVERY,
        )


def client_ca(ctx: Context) -> Iterator[Finding]:
    """The API server accepts the kubelet only with a cert from the CA its --client-ca-file
    names; the controller manager's signer must be that CA."""
    found = kubelet_client(ctx)
    if found is None or not found.certs:
        return
    ca_file = apiserver_flag(ctx, "client-ca-file")
    cas = tree_certs(ctx, ca_file)
    if not cas:
        return  # the API server's CA is unknown here: nothing to hold it against
    cert = found.certs[0]
    if not signed_by(cert, cas):
        yield Finding(
            "kubelet-client-ca", Severity.ERROR, found.path,
            f"the kubelet's client certificate is issued by {cert.issuer}, not signed by "
            f"the CA the API server's --client-ca-file names ({ca_file}, {cas[0].subject}): "
            "the kubelet is answered Unauthorized", fix=KUBELET_CLIENT_RECOVERY,
        )


def identity(ctx: Context) -> Iterator[Finding]:
    """The Node authorizer treats a caller as a node only as `system:node:<name>` in group
    system:nodes, and NodeRestriction lets it modify only the node of that name."""
    found = kubelet_client(ctx)
    if found is None or not found.certs:
        return
    cert = found.certs[0]
    node_name = ctx.params.node_name if "node_name" in ctx.inferred.sources else ""
    expected = f"{NODE_PREFIX}{node_name}" if node_name else ""
    wrong = []
    if not cert.subject_cn.startswith(NODE_PREFIX) or (expected and cert.subject_cn != expected):
        wrong.append(f"CN {cert.subject_cn!r}, not {expected or NODE_PREFIX + '<node>'!r}")
    if NODES_GROUP not in cert.subject_o:
        wrong.append(f"O {', '.join(cert.subject_o) or '(none)'}, not {NODES_GROUP!r}")
    if wrong:
        yield Finding(
            "kubelet-client-identity", Severity.ERROR, found.path,
            f"the kubelet's client certificate has {' and '.join(wrong)}: the Node "
            "authorizer refuses it, or NodeRestriction forbids it this node",
            fix=KUBELET_CLIENT_RECOVERY,
        )


def rotation(ctx: Context) -> Iterator[Finding]:
    """Without rotateCertificates the kubelet keeps its client cert until it expires, a
    year after the join, and then the node goes NotReady."""
    kubelet = ctx.node.kubelet if ctx.node else None
    if kubelet is not None and kubelet.rotate_certificates is False:
        yield Finding(
            "kubelet-rotation", Severity.WARNING, KUBELET_CONFIG,
            "rotateCertificates is false: the kubelet's client certificate is never renewed "
            "(kubeadm sets it to true)", pointer="rotateCertificates",
            fix="set rotateCertificates: true in /var/lib/kubelet/config.yaml and restart "
            "the kubelet",
        )


def bootstrap_leftover(ctx: Context) -> Iterator[Finding]:
    """kubeadm join deletes bootstrap-kubelet.conf once the kubelet has its own cert; the
    kubelet reads it only when kubelet.conf is missing, and its token has long expired."""
    if ctx.tree.get("bootstrap-kubelet.conf") is not None and ctx.tree.get(KUBELET_CONF):
        yield Finding(
            "kubelet-bootstrap-leftover", Severity.INFO, "bootstrap-kubelet.conf",
            "bootstrap-kubelet.conf is still here beside kubelet.conf: the kubelet uses it only "
            "if kubelet.conf is gone, and its bootstrap token has most likely expired, so it "
            "cannot recover the node", fix="delete it once kubelet.conf works",
        )


def serving(ctx: Context) -> Iterator[Finding]:
    """The kubelet's serving cert is self-signed by default and never renewed; the API
    server does not verify it (no --kubelet-certificate-authority), metrics-server does."""
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
    if cert.is_expired(ctx.now):
        who = ("the API server (--kubelet-certificate-authority) and metrics-server refuse it"
               if verifier else "metrics-server and any client that verifies :10250 refuse it")
        renew = ("the kubelet rotates it with serverTLSBootstrap once a CSR is approved"
                 if bootstrapped else "delete it and its key and restart the kubelet: it makes "
                 "a new self-signed pair only when none is there")
        yield Finding(
            "kubelet-serving-expired", Severity.ERROR if verifier else Severity.WARNING,
            found.path, f"the kubelet's serving certificate expired {_day(cert.not_after)}: {who}",
            fix=renew,
        )
    elif verifier:
        cas = tree_certs(ctx, verifier)
        chain = found.certs[1:]
        if cas and not signed_by(cert, cas):
            kind = "self-signed" if cert.issuer in {c.subject for c in chain} else (
                f"issued by {cert.issuer}")
            yield Finding(
                "kubelet-serving-ca", Severity.ERROR, found.path,
                f"the kubelet's serving certificate is {kind}, but the API server verifies "
                f"kubelets with {verifier}: kubectl logs and exec fail at the handshake",
                fix="set serverTLSBootstrap: true and approve the kubelet's serving CSRs",
            )


def _serving_file(node: NodeFiles) -> OutsideFile | None:
    kubelet = node.kubelet
    for path in ((kubelet.tls_cert_file if kubelet else ""), KUBELET_SERVING_ROTATED,
                 "/var/lib/kubelet/pki/kubelet.crt"):
        if path and (found := node.present(path)) is not None:
            return found
    return None


def client_ca_file(ctx: Context) -> Iterator[Finding]:
    """The kubelet accepts the API server (logs, exec, port-forward) only with a client
    cert from its clientCAFile; any other CA and every such call is Unauthorized."""
    if ctx.node is None or ctx.node.kubelet is None:
        return
    written, rel = ctx.node.kubelet_client_ca()
    client = tree_certs(ctx, apiserver_flag(ctx, "kubelet-client-certificate"))
    if not client:
        return
    if not written:
        message = "config.yaml names no clientCAFile: the kubelet trusts no client certificate"
    else:
        outside = ctx.node.present(written) if rel is None else None
        cas = tree_certs(ctx, written) if rel is not None else (outside.certs if outside else ())
        if not cas or signed_by(client[0], cas):
            return  # unknown (not read), or it trusts the API server: nothing to say
        message = (f"clientCAFile {written} ({cas[0].subject}) did not sign the API server's "
                   "--kubelet-client-certificate")
    yield Finding(
        "kubelet-client-ca-file", Severity.ERROR, KUBELET_CONFIG,
        f"{message}: kubectl logs, exec and port-forward are answered Unauthorized",
        pointer="authentication.x509.clientCAFile",
        fix="set authentication.x509.clientCAFile to the CA that signs "
        "apiserver-kubelet-client.crt (kubeadm: /etc/kubernetes/pki/ca.crt) and restart the "
        "kubelet",
    )


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


RULES = [embedded, reference, symlink, client_time, client_ca, identity, rotation,
         bootstrap_leftover, serving, client_ca_file, key_pairs, unreadable]
