"""Where a path a component names lands: from the container through its volumeMounts and
hostPath volumes to a host path, then to a node of the scanned tree. It is the one mapping
of paths in kexplore; nothing here opens a file."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from kexplore.core.manifest import KUBERNETES_DIR, Container, ManifestInfo, VolumeMount
from kexplore.core.model import Kind, Tree

# The scanned root stands for this host folder: kubeadm's, wherever the tree was copied.
HOST_ROOT = KUBERNETES_DIR


class Reach(str, Enum):
    """What a component finds when it opens a path."""

    IN_TREE = "in the tree"
    EMBEDDED = "embedded"  # data inside a kubeconfig: nothing to open
    OUTSIDE = "outside"  # a host file beyond the scanned root: not read
    NODE = "on the node"  # beyond the scanned root, read from the node's files
    MISSING = "missing"  # where the root holds it, nothing is there
    NOT_MOUNTED = "not mounted"  # no volume of the pod shows it to the container
    UNSET = "unset"  # the flag or field is absent or empty


@dataclass(frozen=True)
class Resolved:
    """A path as a component sees it, followed to the host and into the tree.

    `host` is the host path ("" when not mounted); `node` the tree-relative path of the
    file the component reads ("" unless in the tree); `mount` the volume that shows it."""

    named: str
    reach: Reach
    host: str = ""
    node: str = ""
    mount: str = ""
    reason: str = ""


def tree_path(host: str) -> str | None:
    """The tree-relative path of a host path under the scanned root ("" for the root
    itself); None when it lies elsewhere on the host."""
    norm = posixpath.normpath(host)
    if norm == HOST_ROOT:
        return ""
    if not norm.startswith(HOST_ROOT + "/"):
        return None
    return norm[len(HOST_ROOT) + 1 :]


def container_host_path(
    pod: ManifestInfo, container: Container, path: str
) -> tuple[str | None, str]:
    """(host path, volume name) behind a container path: the longest mountPath that
    covers it, through a hostPath volume. (None, why) when nothing shows it."""
    norm = posixpath.normpath(path)
    best: tuple[str, str] | None = None
    for name, mp, below in _mount_points(container.volume_mounts):
        covers = norm == mp or norm.startswith(below)
        if covers and (best is None or len(mp) > len(best[1])):
            best = (name, mp)
    if best is None:
        mounted = ", ".join(sorted({m.mount_path for m in container.volume_mounts})) or "none"
        return None, f"no volumeMount covers {norm} (mounts: {mounted})"
    volume = pod.volume(best[0])
    if volume is None:
        return None, f"volumeMount {best[0]} names no volume of the pod"
    if volume.source != "hostPath" or not volume.host_path:
        return None, f"volume {best[0]} is a {volume.source or 'volume'}, not a hostPath"
    rest = norm[len(best[1]) :]
    return posixpath.normpath(volume.host_path.rstrip("/") + rest), best[0]


@lru_cache(maxsize=256)
def _mount_points(mounts: tuple[VolumeMount, ...]) -> tuple[tuple[str, str, str], ...]:
    """(volume, mountPath, the prefix of what lies below it), normalised once per pod
    layout: every flag of every component is resolved through them."""
    points = []
    for mount in mounts:
        mp = posixpath.normpath(mount.mount_path) if mount.mount_path else ""
        if mp:
            points.append((mount.name, mp, mp.rstrip("/") + "/"))
    return tuple(points)


def on_host(tree: Tree, host: str, named: str = "", mount: str = "") -> Resolved:
    """A host path, found in the tree or said to lie outside it."""
    rel = tree_path(host)
    named = named or host
    if rel is None:
        return Resolved(named, Reach.OUTSIDE, host, "", mount, "not checked: outside the tree")
    node = tree.get(rel)
    if node is not None and node.kind is Kind.SYMLINK and not node.reads_as:
        return Resolved(named, Reach.OUTSIDE, host, rel, mount,
                        "not checked: outside the tree (a link that leaves it)")
    if node is None or node.kind is Kind.DIRECTORY:
        why = "a folder, not a file" if node is not None else "not there"
        return Resolved(named, Reach.MISSING, host, rel, mount, f"{host} is {why}")
    # the name the component opens, even behind a link: findings use it
    return Resolved(named, Reach.IN_TREE, host, node.path, mount)


def in_container(tree: Tree, pod: ManifestInfo, container: Container, path: str) -> Resolved:
    """A path a container's flag names, as that container will open it."""
    if not path:
        return Resolved(path, Reach.UNSET, reason="not set")
    if not path.startswith("/"):
        # the kubelet starts control-plane containers in /, so a relative path is from there
        path = "/" + path
    host, how = container_host_path(pod, container, path)
    if host is None:
        return Resolved(path, Reach.NOT_MOUNTED, "", "", "", how)
    return on_host(tree, host, path, how)


def beside(tree: Tree, holder: str, path: str) -> Resolved:
    """A path a host-side file names (a kubeconfig read by kubectl or the kubelet):
    absolute on the host, or relative to the file's own folder."""
    if not path:
        return Resolved(path, Reach.UNSET, reason="not set")
    if path.startswith("/"):
        return on_host(tree, path)
    folder = posixpath.dirname(holder)
    host = posixpath.normpath(posixpath.join(HOST_ROOT, folder, path))
    return on_host(tree, host, path)


def absent(tree: Tree, pod: ManifestInfo, container: Container, path: str) -> bool:
    """Whether a file a container's flag names is not there: not where its volume leads,
    and, when no volume shows it, not on the host by that name either (a host file no
    volume shows is there, but not visible: a different problem)."""
    r = in_container(tree, pod, container, path)
    if r.reach is Reach.NOT_MOUNTED and tree_path(r.named) is not None:
        return on_host(tree, r.named).reach is Reach.MISSING
    return r.reach is Reach.MISSING
