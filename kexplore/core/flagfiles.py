"""Which file of the tree a flag names, as its container reads it: through the pod's
hostPath mounts, never by assuming kubeadm's paths. A flag whose file no mount reaches
names no file on the node."""

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
        if on_node is None or not on_node.startswith(KUBERNETES_DIR + "/"):
            continue
        relative = on_node[len(KUBERNETES_DIR) + 1:]
        if tree.get(relative) is not None:
            return relative
    return None
