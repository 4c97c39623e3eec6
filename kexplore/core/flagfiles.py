"""Which file of the tree a flag or a field names: a flag as its container reads it,
through the pod's hostPath mounts, never by assuming kubeadm's paths (a flag whose file
no mount reaches names no file on the node); a kubeconfig's path as client-go reads it,
relative to the kubeconfig itself."""

from __future__ import annotations

import posixpath

from kexplore.core.manifest import KUBERNETES_DIR, Container, ManifestInfo
from kexplore.core.model import Tree


def host_path(manifest: ManifestInfo, container: Container, path: str) -> str | None:
    """The node's path behind a container's path: the deepest mount covering it, when
    that mount is a hostPath volume."""
    norm = posixpath.normpath(path)
    best: tuple[str, str] | None = None
    for mount in container.volume_mounts:
        point = posixpath.normpath(mount.mount_path) if mount.mount_path else ""
        covers = point and (norm == point or norm.startswith(point.rstrip("/") + "/"))
        if covers and (best is None or len(point) > len(best[1])):
            best = (mount.name, point)
    if best is None:
        return None
    volume = manifest.volume(best[0])
    if volume is None or volume.source != "hostPath" or not volume.host_path:
        return None
    return posixpath.normpath(volume.host_path + norm[len(best[1]):])


def file_named(tree: Tree, manifest: ManifestInfo, container: Container,
               value: str | None) -> str | None:
    """The tree path of the first file a flag value names that the tree holds, or None.
    Comma lists are split, and `cert,key:domains` (--tls-sni-cert-key) read as paths."""
    for part in (value or "").split(","):
        path = part.split(":", 1)[0].strip()
        if not path.startswith("/"):
            continue
        on_node = host_path(manifest, container, path)
        found = node_file(tree, on_node) if on_node is not None else None
        if found is not None:
            return found
    return None


def node_file(tree: Tree, path: str, beside: str = "") -> str | None:
    """The tree path of a file the node names, absolute (the tree is the node's
    /etc/kubernetes) or relative to the tree's file `beside`; None when the tree lacks it."""
    if not path:
        return None
    if posixpath.isabs(path):
        norm = posixpath.normpath(path)
        if not norm.startswith(KUBERNETES_DIR + "/"):
            return None
        relative = norm[len(KUBERNETES_DIR) + 1:]
    else:
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(beside), path))
        if relative.startswith("../"):
            return None
    return relative if tree.get(relative) is not None else None
