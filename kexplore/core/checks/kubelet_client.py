"""Rules about the kubelet's client identity: kubelet.conf, the rotated certificate behind
kubelet-client-current.pem, and what the API server and the Node authorizer accept. Each
failure names the documented recovery. They speak only when node files were read."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from kexplore.core.checks.context import Context
from kexplore.core.checks.node_files import (
    KUBELET_CONF,
    ROTATED_NAME,
    apiserver_certs,
    apiserver_flag,
    kubelet_client,
    kubelet_user,
    lapse,
    signed_by,
)
from kexplore.core.conventions.node import (
    KUBELET_CLIENT_RECOVERY,
    KUBELET_CONFIG,
    KUBELET_REFERENCE_FIX,
    KUBELET_ROTATED_CERT,
    NODE_PREFIX,
    NODES_GROUP,
)
from kexplore.core.model import Finding, Kind, Severity


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}"


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
    # the embedded cert is never renewed: it is a trap from the day of the join, and an
    # error once a restart would start from an expired one
    expired = lapse(cert, ctx.now, None)
    when = expired.when if expired else f"expires {_day(cert.not_after)}"
    yield Finding(
        "kubelet-client-embedded",
        Severity.ERROR if expired else Severity.WARNING,
        KUBELET_CONF,
        f"kubelet.conf embeds its first client certificate ({when}) "
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
    late = lapse(found.certs[0], ctx.now, ctx.warn_days)
    if late is None:
        return
    harm = ("the API server answers it Unauthorized" if late.expired else
            "and has not been rotated: check the kubelet's log and pending CSRs "
            "(kubectl get csr)")
    yield Finding(
        "kubelet-client-expired", late.severity, found.path,
        f"the kubelet's client certificate {late.when}{':' if late.expired else ','} {harm}",
        fix=KUBELET_CLIENT_RECOVERY,
    )


def client_ca(ctx: Context) -> Iterator[Finding]:
    """The API server accepts the kubelet only with a cert from the CA its --client-ca-file
    names; the controller manager's signer must be that CA."""
    found = kubelet_client(ctx)
    if found is None or not found.certs:
        return
    ca_file = apiserver_flag(ctx, "client-ca-file")
    cas = apiserver_certs(ctx, "client-ca-file")
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


RULES = [embedded, reference, symlink, client_time, client_ca, identity, rotation,
         bootstrap_leftover]
