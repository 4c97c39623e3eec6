"""Every certificate's expiry, in the spirit of `kubeadm certs check-expiration`, and beyond it:
certificates embedded in kubeconfigs and the kubelet's rotated client certificate too."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kexplore.core.checks.context import Context
from kexplore.core.conventions.certs import CERTS, CERTS_BY_NAME
from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE
from kexplore.core.infer import infer
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import ExpiryRow, Tree
from kexplore.core.params import Inferred
from kexplore.core.pki import CertInfo, residual_time

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles


def _ca_name(ctx: Context, cert: CertInfo, ca_paths: dict[int, str]) -> str:
    issuer = ctx.issuer_of(cert)
    if issuer is None:
        return cert.issuer_cn or cert.issuer
    path = ca_paths.get(id(issuer), "")
    if not path:
        return issuer.subject_cn or issuer.subject
    spec = ctx.cert_spec(path)
    return spec.name if spec else path


def _externally_managed(tree: Tree, ca_path: str) -> bool:
    """kubeadm's rule: a CA whose certificate is present without its key is managed elsewhere."""
    return tree.get(ca_path) is not None and tree.get(ca_path.removesuffix(".crt") + ".key") is None


def expiry_rows(
    tree: Tree, now: datetime, node: NodeFiles | None = None, inferred: Inferred | None = None,
) -> list[ExpiryRow]:
    """One row per certificate, sorted by expiry (soonest first); missing kubeadm certs last.
    With `node`, the kubelet's own certificates and the kubeconfig copies too; `inferred`
    is the tree's parameters when the caller has them already."""
    ctx = Context(tree=tree, now=now, warn_days=0, inferred=inferred or infer(tree))
    ca_paths = {id(c.cert): c.path for c in (*ctx.certs, *ctx.authority_files) if not c.embedded}
    ca_files = {spec.name: spec.file for spec in CERTS if spec.is_ca and spec.file}
    rows = []
    for at in ctx.certs:
        if at.archived or at.pointer.endswith(" CA"):
            continue
        name = at.spec.name if at.spec else (f"{at.path} ({at.pointer})" if at.pointer else at.path)
        ca = "" if at.cert.self_issued else _ca_name(ctx, at.cert, ca_paths)
        rows.append(
            _row(
                name,
                at.path,
                at.pointer,
                at.cert,
                now,
                ca,
                _externally_managed(tree, ca_files.get(ca, ""))
                if ca
                else _externally_managed(tree, at.path),
                at.cert.is_ca,
            )
        )
    rows += _rotated_kubelet_certs(ctx, ca_paths, ca_files)
    if node is not None:
        rows = [r for r in rows if node.present(r.name) is None] + _node_rows(
            ctx, node, ca_paths, ca_files
        )
    present = {r.name for r in rows}
    params = ctx.params
    for spec in CERTS:
        if spec.applies(params) and spec.name not in present and _expected_here(ctx, spec.name):
            rows.append(
                ExpiryRow(
                    spec.name,
                    spec.file or spec.name,
                    "",
                    None,
                    "",
                    0,
                    spec.ca or "",
                    False,
                    spec.is_ca,
                    missing=True,
                )
            )
    return sorted(rows, key=lambda r: (r.missing, r.not_after or now))


def _expected_here(ctx: Context, name: str) -> bool:
    """super-admin.conf exists only on the init node; kubelet.conf is the kubelet's to rotate.
    Nothing is missing from a tree that is no control plane's, from a folder the tree lacks
    as a whole (file-missing says so once) or cannot read, or from a pki/ that is not
    the node's certificatesDir."""
    if name in ("super-admin.conf", "kubelet.conf") or not ctx.is_control_plane:
        return False
    path = CERTS_BY_NAME[name].file or name
    if path.startswith("pki/") and not ctx.certs_here:
        return False
    return ctx.tree.get(path) is None and not ctx.reported_by_folder(path)


def _rotated_kubelet_certs(
    ctx: Context, ca_paths: dict[int, str], ca_files: dict[str, str]
) -> list[ExpiryRow]:
    rows = []
    for node, info in ctx.kubeconfigs():
        if node.path not in KUBECONFIGS_BY_FILE:
            continue
        for user in info.users:
            if user.cert and user.client_cert_source == "file":
                ca = _ca_name(ctx, user.cert, ca_paths)
                external = _externally_managed(ctx.tree, ca_files.get(ca, ""))
                rows.append(
                    _row(
                        user.client_cert_path,
                        node.path,
                        f"user {user.name}",
                        user.cert,
                        ctx.now,
                        ca,
                        external,
                        False,
                    )
                )
    return rows


def _node_rows(
    ctx: Context, node: NodeFiles, ca_paths: dict[int, str], ca_files: dict[str, str]
) -> list[ExpiryRow]:
    """The leaf of every certificate file read outside the tree, and each copy's client
    certs: named by where the node keeps them."""
    rows = []
    for found in node.files.values():
        certs = [("", found.certs[0])] if found.certs else []
        info = found.node.content if found.copy else None
        if isinstance(info, KubeconfigInfo):
            certs = [(f"user {u.name}", u.cert) for u in info.users if u.cert]
        for pointer, cert in certs:
            self_signed = cert.self_issued or cert.issuer in {c.subject for c in found.certs[1:]}
            ca = "" if self_signed else _ca_name(ctx, cert, ca_paths)
            external = _externally_managed(ctx.tree, ca_files.get(ca, "")) if ca else False
            rows.append(_row(found.path, found.path, pointer, cert, ctx.now, ca, external,
                             cert.is_ca))
    return rows


def _row(
    name: str,
    path: str,
    pointer: str,
    cert: CertInfo,
    now: datetime,
    ca: str,
    external: bool,
    is_ca: bool,
) -> ExpiryRow:
    seconds = int((cert.not_after - now).total_seconds())
    return ExpiryRow(
        name,
        path,
        pointer,
        cert.not_after,
        residual_time(seconds),
        seconds,
        ca,
        external,
        is_ca,
        not_before=cert.not_before,
        subject_cn=cert.subject_cn,
        issuer_cn=cert.issuer_cn,
        serial=str(cert.serial),
    )
