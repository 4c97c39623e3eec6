"""Which files of a tree hold a secret, found by what they hold and never by their names.

A private key is one wherever it lies and whatever it is called (`pki/ca-backup.pem`,
`backup/sa.key`, a key appended to a certificate), and a kubeconfig with an embedded client
key, a token or a password is a credential under any name. The file-mode rule and the CIS
permission checks read this one inventory, so they cannot disagree about what a key is.
"""

from __future__ import annotations

from enum import Enum

from kexplore.core.conventions.certs import CERTS, SA_KEY
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Kind, Node, Tree, is_archived
from kexplore.core.paths import map_to_root
from kexplore.core.pki import CertInfo, KeyInfo, PublicKeyInfo
from kexplore.core.records import record

# Where kubeadm keeps the keys that sign for the whole cluster: every CA's key, and the
# service-account key that signs every token. A key there that cannot be decoded (it is
# encrypted, or broken) is still treated as one of them.
_SIGNING_KEY_PATHS = frozenset(
    {str(spec.key_file) for spec in CERTS if spec.is_ca and spec.key_file} | {SA_KEY}
)


# The API server's flag naming the file with the keys for encryption at rest.
ENCRYPTION_FLAG = "encryption-provider-config"


class Holds(str, Enum):
    """What makes a file secret, from the worst for the cluster down."""

    SIGNING_KEY = "a key that signs for the cluster (a CA's or the service-account key)"
    PRIVATE_KEY = "a private key"
    CREDENTIALS = "credentials (a client key, a token or a password)"
    ENCRYPTION_KEYS = ("the keys that encrypt the cluster's Secrets in etcd (the API "
                       "server's --encryption-provider-config)")


@record
class SecretFile:
    """A file that holds a secret, and what it holds."""

    node: Node
    holds: Holds

    @property
    def path(self) -> str:
        return self.node.path


def secret_files(tree: Tree) -> list[SecretFile]:
    """Every regular file (never a link: its target is listed) that holds a secret."""
    signers = _signing_public_keys(tree)
    encryption = _encryption_configs(tree)
    found = []
    for node in tree:
        if node.reads_as or node.kind in (Kind.DIRECTORY, Kind.SYMLINK, Kind.SPECIAL):
            continue
        holds = _holds(node, signers)
        if holds is None and node.path in encryption:
            holds = Holds.ENCRYPTION_KEYS
        if holds is not None:
            found.append(SecretFile(node, holds))
    return found


def _holds(node: Node, signers: frozenset[str]) -> Holds | None:
    if node.size == 0:
        return None  # no byte, no secret: an empty sa.key holds nothing to steal
    if node.holds_private_key or node.kind is Kind.PRIVATE_KEY:
        return Holds.SIGNING_KEY if _signs(node, signers) else Holds.PRIVATE_KEY
    content = node.content
    if isinstance(content, KubeconfigInfo) and any(
        u.client_key_source == "data" or u.has_token or u.has_password for u in content.users
    ):
        return Holds.CREDENTIALS
    return None


def _encryption_configs(tree: Tree) -> frozenset[str]:
    """The tree files a live manifest reads as its encryption configuration: what the flag
    names is that file, whatever it is called (its keys are not read here)."""
    found = set()
    for node in tree:
        if node.kind is not Kind.MANIFEST or not isinstance(node.content, ManifestInfo) \
                or is_archived(node.path):
            continue
        for ref in node.content.file_paths():
            target = map_to_root(ref.path, tree.root) if ref.flag == ENCRYPTION_FLAG else None
            if target is not None and target != tree.root:
                found.add(target.relative_to(tree.root).as_posix())
    return frozenset(found)


def _signs(node: Node, signers: frozenset[str]) -> bool:
    """A key whose public half is a CA certificate's or the service-account public key, a
    CA certificate bundled with its key, or an undecodable key where kubeadm keeps one."""
    content = node.content
    if isinstance(content, KeyInfo) and content.public_key_fingerprint:
        return content.public_key_fingerprint in signers
    if isinstance(content, tuple) and any(
        isinstance(c, CertInfo) and c.is_ca for c in content
    ):
        return True
    return node.path in _SIGNING_KEY_PATHS


def _signing_public_keys(tree: Tree) -> frozenset[str]:
    """The public-key fingerprints of every CA certificate and every public key file (a
    public key alone in the tree is the service-account key's half: kubeadm's sa.pub)."""
    found: set[str] = set()
    for node in tree:
        content = node.content
        if isinstance(content, PublicKeyInfo) and content.fingerprint:
            found.add(content.fingerprint)
        elif isinstance(content, tuple):
            found.update(c.public_key_fingerprint for c in content
                         if isinstance(c, CertInfo) and c.is_ca)
        elif isinstance(content, KubeconfigInfo):
            found.update(ca.public_key_fingerprint for cluster in content.clusters
                         for ca in cluster.ca if ca.is_ca)
    return frozenset(found)
