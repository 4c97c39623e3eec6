"""How the files of a tree belong together: a certificate's chain up to its CA, and which
keys pair with which certificates. The faces show these; they never work them out."""

from __future__ import annotations

from kexplore.core.conventions.certs import CERTS_BY_FILE
from kexplore.core.model import Kind, Tree
from kexplore.core.pki import (
    CertInfo,
    KeyInfo,
    PublicKeyInfo,
    key_matches,
    public_key_matches,
)
from kexplore.core.read.crypto import find_issuer, verify_signature
from kexplore.core.records import record

# Longer than any real chain; it stops a loop of cross-signed CAs.
MAX_CHAIN = 8
CERT_SUFFIXES = (".crt", ".pem", ".cer")


@record
class Link:
    """One step up a chain: the issuer (None when it is not in the tree), its file and
    whether its key signed the certificate below it."""

    issuer: CertInfo | None
    path: str
    verified: bool
    issuer_name: str

    @property
    def self_signed_root(self) -> bool:
        return self.issuer is not None and self.issuer.self_issued


@record
class Pairing:
    """A file that pairs with a key: a certificate of the key, or the other half of a pair."""

    path: str
    label: str


def certificates(tree: Tree) -> list[tuple[str, CertInfo]]:
    """Every certificate held in a certificate file, with its path."""
    return [
        (node.path, cert)
        for node in tree.of_kind(Kind.CERTIFICATE)
        for cert in node.content or ()
        if isinstance(cert, CertInfo)
    ]


def chain(tree: Tree, cert: CertInfo) -> list[Link]:
    """Each link from `cert` up to a self-signed root or a missing issuer."""
    pool = certificates(tree)
    where = {c.sha256_fingerprint: path for path, c in pool}
    candidates = [c for _, c in pool]
    links: list[Link] = []
    current, seen = cert, {cert.sha256_fingerprint}
    for _ in range(MAX_CHAIN):
        issuer = find_issuer(current, candidates)
        if issuer is None:
            links.append(Link(None, "", False, current.issuer))
            break
        links.append(
            Link(
                issuer,
                where.get(issuer.sha256_fingerprint, ""),
                verify_signature(current, issuer),
                issuer.subject,
            )
        )
        if issuer.sha256_fingerprint in seen or issuer.self_issued:
            break
        seen.add(issuer.sha256_fingerprint)
        current = issuer
    return links


def key_path_for(cert_path: str) -> str | None:
    """Where a certificate's private key lives by kubeadm's layout: beside it, as .key."""
    spec = CERTS_BY_FILE.get(cert_path)
    if spec is not None and spec.key_file:
        return spec.key_file
    for suffix in CERT_SUFFIXES:
        if cert_path.endswith(suffix):
            return cert_path[: -len(suffix)] + ".key"
    return None


def pairings(tree: Tree, key: KeyInfo | PublicKeyInfo) -> list[Pairing]:
    """Every certificate and key in the tree that pairs with `key`."""
    found: list[Pairing] = []
    if isinstance(key, KeyInfo):
        found += [
            Pairing(path, cert.subject_cn or cert.subject)
            for path, cert in certificates(tree)
            if key_matches(key, cert)
        ]
        found += [
            Pairing(node.path, "public key")
            for node in tree.of_kind(Kind.PUBLIC_KEY)
            if isinstance(node.content, PublicKeyInfo) and public_key_matches(key, node.content)
        ]
    else:
        found += [
            Pairing(node.path, "private key")
            for node in tree.of_kind(Kind.PRIVATE_KEY)
            if isinstance(node.content, KeyInfo) and public_key_matches(node.content, key)
        ]
    return found
