"""A CA file replaced under the certificates it issued: one finding on the CA.

When ca.crt is swapped for a new CA of the same name (a hand-made rotation that stopped
half-way, a restore from the wrong backup), every certificate that names it as issuer
fails its chain, and every kubeconfig that still embeds the old CA differs from it. They
are one cause with one fix, so they are one finding, on the CA file, naming the
certificates it strands and, where the tree still holds it, the CA that did sign them.
"""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.checks.context import CertAt, Context
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Finding, Kind, Severity, is_archived
from kexplore.core.pki import CertInfo
from kexplore.core.read.crypto import verify_signature
from kexplore.core.records import record

RULE = "ca-replaced"
SHOWN = 4  # certificates named in the message; the rest are counted
# What the replaced CA makes redundant: the chains it breaks, the kubeconfigs that still
# trust the CA it replaced.
ECHOES = ("cert-chain", "kubeconfig-ca-mismatch")


@record
class ReplacedCa:
    """A live CA file that signed none of the live certificates naming it as issuer."""

    path: str
    ca: CertInfo
    stranded: tuple[CertAt, ...]
    signer: str  # where the tree still holds the CA that did sign them; "" if nowhere


def replaced_cas(ctx: Context) -> list[ReplacedCa]:
    """Each of kubeadm's CA files that two or more live certificates name as issuer, none
    of them signed by it. One stray certificate could be from anywhere; all of them at
    once means the CA is what changed."""
    out = []
    for node in ctx.tree.of_kind(Kind.CERTIFICATE):
        spec = ctx.cert_spec(node.path)
        if spec is None or not spec.is_ca or is_archived(node.path) or not node.content:
            continue
        ca = node.content[0]
        named = tuple(at for at in ctx.certs
                      if at.path != node.path and not at.archived and not at.cert.self_issued
                      and at.cert.issuer == ca.subject)
        if len(named) >= 2 and not any(verify_signature(at.cert, ca) for at in named):
            out.append(ReplacedCa(node.path, ca, named, _signer(ctx, named[0].cert)))
    return out


def _signer(ctx: Context, cert: CertInfo) -> str:
    """Where the tree still holds the CA that signed `cert`: a backup, or a kubeconfig that
    embeds it."""
    for node in ctx.tree.of_kind(Kind.CERTIFICATE):
        if is_archived(node.path) and any(c.is_ca and verify_signature(cert, c)
                                          for c in node.content or ()):
            return node.path
    for node in ctx.tree.of_kind(Kind.KUBECONFIG):
        info = node.content
        if not isinstance(info, KubeconfigInfo):
            continue
        for cluster in info.clusters:
            if any(verify_signature(cert, c) for c in cluster.ca):
                return f"{node.path} (cluster {cluster.name}'s certificate-authority-data)"
    return ""


def ca_replaced(ctx: Context) -> Iterator[Finding]:
    """A CA that did not sign its certificates: every peer verifying with it refuses them."""
    for replaced in replaced_cas(ctx):
        labels = [at.label for at in replaced.stranded]
        shown = ", ".join(labels[:SHOWN]) + (
            f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else "")
        where = f"; the CA that did sign them is in {replaced.signer}" if replaced.signer else ""
        yield Finding(
            RULE,
            Severity.ERROR,
            replaced.path,
            f"did not sign any of the {len(labels)} certificates that name "
            f"{replaced.ca.subject} as their issuer ({shown}): it is not the CA they were "
            "issued from, so every component that verifies with it refuses them "
            f"(x509: certificate signed by unknown authority){where}",
            fix="put back the CA that signed them, with its key, or reissue every "
            "certificate and kubeconfig from this one (kubeadm certs renew all), then "
            "restart the control plane",
        )


def settle_replaced(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """Drop what a replaced CA already explains: the chains of the certificates it
    strands, and the kubeconfigs that still trust the CA it replaced."""
    if not any(f.rule == RULE for f in findings):
        return findings
    replaced = replaced_cas(ctx)
    stranded = {(at.path, at.pointer) for r in replaced for at in r.stranded}
    cluster_ca = ctx.laid_out("pki/ca.crt") in {r.path for r in replaced}
    return [f for f in findings
            if not (f.rule == "cert-chain" and (f.path, f.pointer) in stranded)
            and not (f.rule == "kubeconfig-ca-mismatch" and cluster_ca)]


RULES = [ca_replaced]
