"""The material each side of a relation uses, as Sources: a file a flag names (through the
container's mounts) or an entry of a kubeconfig (embedded, or a path it names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kexplore.core.kubeconfig import ClusterEntry, KubeconfigInfo, UserEntry
from kexplore.core.model import Tree
from kexplore.core.pki import CertInfo, KeyInfo, PublicKeyInfo
from kexplore.core.plane.components import PodComponent
from kexplore.core.plane.model import Source
from kexplore.core.plane.mounts import Reach, Resolved, beside, in_container, on_host

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles

# How a node file that was looked for but not read begins its error (node_files._Reader)
NOT_READ = ("cannot read", "not looked", "leads outside")


def _content(tree: Tree, r: Resolved) -> tuple[Any, str]:
    """The decoded content at a resolved path, or why there is none."""
    if r.reach is not Reach.IN_TREE:
        return None, r.reason
    node = tree.get(r.node)
    if node is None:
        return None, f"{r.node} is not there"
    if node.content is None:
        return None, f"{r.node} cannot be read: {node.error or 'no content'}"
    return node.content, ""


def _source(tree: Tree, pointer: str, owner: str, r: Resolved) -> Source:
    content, why = _content(tree, r)
    path = r.node or r.host or r.named
    return Source(pointer, owner, r.named, r.reach, path, why, content)


def flag_source(tree: Tree, comp: PodComponent | None, flag: str) -> Source | None:
    """What `--flag` of a component names, as its container opens it; None when unset."""
    if comp is None:
        return None
    value = comp.flag(flag)
    if not value:
        return None
    r = in_container(tree, comp.pod, comp.container, value)
    return _source(tree, f"--{flag}", comp.path, r)


def node_source(
    tree: Tree, node: NodeFiles | None, pointer: str, owner: str, named: str
) -> Source:
    """A path a node file names (the kubelet's config.yaml): a file of the tree when it
    lies in /etc/kubernetes, else the node's own file as it was read, if it was."""
    resolved = on_host(tree, named)
    if resolved.reach is not Reach.OUTSIDE:
        return _source(tree, pointer, owner, resolved)
    found = node.get(resolved.host) if node is not None else None
    if found is None:
        return Source(pointer, owner, named, Reach.OUTSIDE, resolved.host,
                      "not read: outside the tree, and not among the node files read")
    error = found.node.error
    if found.missing and not error.startswith(NOT_READ):
        return Source(pointer, owner, named, Reach.MISSING, resolved.host,
                      f"{resolved.host} is not there")
    if found.missing or error.startswith(NOT_READ):
        return Source(pointer, owner, named, Reach.OUTSIDE, resolved.host, error)
    if found.node.content is None:
        return Source(pointer, owner, named, Reach.NODE, resolved.host,
                      f"{resolved.host} cannot be read: {error or 'no content'}")
    return Source(pointer, owner, named, Reach.NODE, resolved.host, "", found.node.content)


def kubeconfig_source(
    tree: Tree, comp: PodComponent | None, flag: str
) -> tuple[Source | None, KubeconfigInfo | None]:
    src = flag_source(tree, comp, flag)
    info = src.content if src and isinstance(src.content, KubeconfigInfo) else None
    return src, info


def _entry_path(tree: Tree, owner: str, comp: PodComponent | None, path: str) -> Resolved:
    """A path in a kubeconfig: a component reads it through its mounts, a host-side client
    (kubectl, the kubelet) from the host, relative to the kubeconfig's folder."""
    if comp is not None and path.startswith("/"):
        return in_container(tree, comp.pod, comp.container, path)
    return beside(tree, owner, path)


def _entry(
    tree: Tree, owner: str, pointer: str, comp: PodComponent | None,
    held: tuple[str, Any, str, str],
) -> Source | None:
    """A kubeconfig entry's material, `held` as (source, decoded data, field, path):
    embedded in `<field>-data`, or the file its path names; None when it has neither."""
    source, data, field, path = held
    if source == "data":
        return Source(pointer, owner, "", Reach.EMBEDDED, owner,
                      "" if data else f"{field}-data does not decode", data or None)
    if path:
        return _source(tree, pointer, owner, _entry_path(tree, owner, comp, path))
    return None


def cluster_ca(
    tree: Tree, owner: str, cluster: ClusterEntry, comp: PodComponent | None
) -> Source | None:
    return _entry(tree, owner, f"cluster {cluster.name}", comp, (
        cluster.ca_source, cluster.ca, "certificate-authority", cluster.ca_path))


def _on_node(
    tree: Tree, node: NodeFiles | None, comp: PodComponent | None, pointer: str,
    owner: str, path: str,
) -> Source | None:
    """A host-side client's file outside the tree (the kubelet's rotated pair), as the
    node's files hold it, when they were read; None for everything else."""
    if node is None or comp is not None or not path.startswith("/"):
        return None
    if on_host(tree, path).reach is not Reach.OUTSIDE:
        return None
    return node_source(tree, node, pointer, owner, path)


def user_cert(
    tree: Tree, owner: str, user: UserEntry, comp: PodComponent | None,
    node: NodeFiles | None = None,
) -> Source | None:
    outside = _on_node(tree, node, comp, f"user {user.name}", owner, user.client_cert_path)
    if outside is not None and user.client_cert_source != "data":
        return outside
    src = _entry(tree, owner, f"user {user.name}", comp, (
        user.client_cert_source, user.client_cert, "client-certificate", user.client_cert_path))
    if src and src.reach is Reach.IN_TREE and src.content is None and user.client_cert:
        return Source(src.pointer, owner, src.named, src.reach, src.path, "", user.client_cert)
    return src


def user_key(
    tree: Tree, owner: str, user: UserEntry, comp: PodComponent | None,
    node: NodeFiles | None = None,
) -> Source | None:
    outside = _on_node(tree, node, comp, f"user {user.name}", owner, user.client_key_path)
    if outside is not None and user.client_key_source != "data":
        found = node.get(outside.path) if node is not None else None
        if outside.readable and not isinstance(outside.content, KeyInfo):
            # a PEM holding cert and key (the kubelet's rotated file): its key's summary
            key = found.key if found is not None else None
            return Source(outside.pointer, owner, outside.named, outside.reach, outside.path,
                          "" if key else f"{outside.path} holds no private key", key)
        return outside
    src = _entry(tree, owner, f"user {user.name}", comp, (
        user.client_key_source, user.client_key, "client-key", user.client_key_path))
    if src and src.reach is Reach.IN_TREE and not isinstance(src.content, KeyInfo):
        # a PEM holding cert and key (the kubelet's rotated file) reads as a cert
        return Source(src.pointer, owner, src.named, src.reach, src.path, src.reason,
                      user.client_key)
    return src


def certs_of(src: Source | None) -> tuple[CertInfo, ...]:
    if src is None or not isinstance(src.content, tuple):
        return ()
    return tuple(c for c in src.content if isinstance(c, CertInfo))


def key_of(src: Source | None) -> KeyInfo | None:
    if src is None:
        return None
    return src.content if isinstance(src.content, KeyInfo) else None


def public_keys_of(src: Source | None) -> tuple[str, ...]:
    """SubjectPublicKeyInfo fingerprints a verifying file holds: public keys, certs' keys,
    or a private key's public half (the API server accepts all three)."""
    if src is None:
        return ()
    content = src.content
    if isinstance(content, PublicKeyInfo):
        return (content.fingerprint,)
    if isinstance(content, KeyInfo):
        return (content.public_key_fingerprint,) if content.public_key_fingerprint else ()
    return tuple(c.public_key_fingerprint for c in certs_of(src))
