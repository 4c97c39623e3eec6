"""Verification as Go's crypto/x509 and crypto/tls do it, on decoded values: the chain to
the exact CA bundle one side is configured with, validity at `now`, the extended key
usage, the name the client dialled, and the key of a cert/key pair. Each check returns
None when it holds, else the text the peer would log after its prefix."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from kexplore.core.pki import CertInfo, KeyInfo, PublicKeyInfo, key_matches

SERVER_AUTH = "ServerAuth"
CLIENT_AUTH = "ClientAuth"
# Longer than any real chain; it stops a loop of cross-signed CAs.
MAX_DEPTH = 8


@lru_cache(maxsize=4096)
def signed(child: CertInfo, issuer: CertInfo) -> bool:
    """verify_signature, once per pair: every relation through a CA asks again. The
    cryptography library is loaded here, when a verdict is asked for, not on import: the
    explorer's own process reads plane records without it."""
    from kexplore.core.read.crypto import verify_signature

    return verify_signature(child, issuer)


def _go_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def validity_error(cert: CertInfo, now: datetime) -> str | None:
    if now > cert.not_after:
        return (f"x509: certificate has expired or is not yet valid: current time "
                f"{_go_time(now)} is after {_go_time(cert.not_after)}")
    if now < cert.not_before:
        return (f"x509: certificate has expired or is not yet valid: current time "
                f"{_go_time(now)} is before {_go_time(cert.not_before)}")
    return None


def _verification_hint(cert: CertInfo, candidate: CertInfo) -> str:
    algorithm = "ecdsa" if candidate.public_key_type.upper().startswith("EC") else "rsa"
    return (f'x509: certificate signed by unknown authority (possibly because of '
            f'"crypto/{algorithm}: verification error" while trying to verify candidate '
            f'authority certificate "{candidate.subject_cn or candidate.subject}")')


def chain_to(
    leaf: CertInfo,
    roots: Sequence[CertInfo],
    intermediates: Sequence[CertInfo],
    now: datetime,
) -> tuple[CertInfo | None, str | None]:
    """(the root reached, None) when `leaf` chains to one of `roots` (a bundle file: any
    one suffices) through the intermediates the peer presented, each CA valid at `now` and
    allowed to sign; else (None, what the peer logs)."""
    root_prints = {r.sha256_fingerprint for r in roots}
    if leaf.sha256_fingerprint in root_prints:
        return leaf, None  # a pool member is trusted as itself
    pool = [*roots, *intermediates]
    current = leaf
    for _ in range(MAX_DEPTH):
        named = [c for c in pool if c.subject == current.issuer
                 and c.sha256_fingerprint != current.sha256_fingerprint]
        signer = next((c for c in named if signed(current, c)), None)
        if signer is None:
            if named:
                return None, _verification_hint(current, named[0])
            return None, "x509: certificate signed by unknown authority"
        if not signer.is_ca:
            return None, "x509: certificate is not authorized to sign other certificates"
        expired = validity_error(signer, now)
        if expired:
            return None, expired
        if signer.sha256_fingerprint in root_prints:
            return signer, None
        current = signer
    return None, "x509: certificate signed by unknown authority"


def signed_by_one_of(leaf: CertInfo, roots: Sequence[CertInfo]) -> CertInfo | None:
    """The bundle certificate whose key signed `leaf`, if any."""
    return next((r for r in roots if signed(leaf, r)), None)


def eku_error(cert: CertInfo, usage: str) -> str | None:
    """Go accepts a certificate without the extension, or with anyExtendedKeyUsage."""
    ekus = cert.ext_key_usage
    if not ekus or usage in ekus or "Any" in ekus:
        return None
    return "x509: certificate specifies an incompatible key usage"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _wildcard_matches(pattern: str, host: str) -> bool:
    """Go's matchHostnames: a '*' only as the whole left-most label, one label deep."""
    p_labels, h_labels = pattern.lower().split("."), host.lower().split(".")
    if len(p_labels) != len(h_labels) or not all(h_labels):
        return False
    for i, (p, h) in enumerate(zip(p_labels, h_labels, strict=True)):
        if i == 0 and p == "*":
            continue
        if p != h:
            return False
    return True


def hostname_error(cert: CertInfo, host: str) -> str | None:
    """Whether `cert` is valid for the host the client dialled, as Go's VerifyHostname."""
    ip = _ip(host)
    if ip is not None:
        sans = [a for a in (_ip(s) for s in cert.ip_sans) if a is not None]
        if ip in sans:
            return None
        if not sans:
            return (f"x509: cannot validate certificate for {ip} because it doesn't "
                    "contain any IP SANs")
        return f"x509: certificate is valid for {', '.join(cert.ip_sans)}, not {ip}"
    wanted = host.rstrip(".").lower()
    if any(_wildcard_matches(name.rstrip("."), wanted) for name in cert.dns_sans):
        return None
    if not cert.dns_sans:
        if cert.subject_cn and not cert.ip_sans:
            return "x509: certificate relies on legacy Common Name field, use SANs instead"
        return f"x509: certificate is not valid for any names, but wanted to match {host}"
    return f"x509: certificate is valid for {', '.join(cert.dns_sans)}, not {host}"


def pair_error(cert: CertInfo, key: KeyInfo) -> str | None:
    if key.encrypted:
        return None  # cannot be opened here: undecided, said by the caller
    if key_matches(key, cert):
        return None
    return "tls: private key does not match public key"


def public_key_of(material: object) -> str:
    """The SubjectPublicKeyInfo fingerprint of a cert, key or public key ("" if none)."""
    if isinstance(material, CertInfo):
        return material.public_key_fingerprint
    if isinstance(material, KeyInfo):
        return material.public_key_fingerprint
    if isinstance(material, PublicKeyInfo):
        return material.fingerprint
    return ""
