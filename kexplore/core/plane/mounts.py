"""Where a path a component names lands: from the container through its volumeMounts and
hostPath volumes to a host path, then to a node of the scanned tree. It is the one mapping
of paths in kexplore (the host ↔ tree arithmetic under it is core/paths.py): the rules, CIS,
the diff and the explorer's flag → file all ask here. Nothing here opens a file."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from enum import Enum
from functools import lru_cache

from kexplore.core.manifest import Container, FlagPath, ManifestInfo, VolumeMount, paths_in
from kexplore.core.model import Kind, Tree
from kexplore.core.paths import host_beside, tree_path
from kexplore.core.records import record


class Reach(str, Enum):
    """What a component finds when it opens a path."""

    IN_TREE = "in the tree"
    EMBEDDED = "embedded"  # data inside a kubeconfig: nothing to open
    OUTSIDE = "outside"  # a host file beyond the scanned root: not read
    NODE = "on the node"  # beyond the scanned root, read from the node's files
    MISSING = "missing"  # where the root holds it, nothing is there
    NOT_MOUNTED = "not mounted"  # no volume of the pod shows it to the container
    UNSET = "unset"  # the flag or field is absent or empty


@record
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


def pod_paths(pod: ManifestInfo) -> Iterator[tuple[FlagPath, Container]]:
    """Every path a pod's flags name, each once, with the container whose flag it is."""
    containers = {c.name: c for c in (*pod.init_containers, *pod.containers)}
    for ref in dict.fromkeys(pod.file_paths()):
        container = containers.get(ref.container)
        if container is not None:
            yield ref, container


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
    return on_host(tree, host_beside(holder, path), path)


def named_on_host(tree: Tree, pod: ManifestInfo, container: Container, path: str) -> Resolved:
    """The host file a container's flag names: where its volume leads, or, when no volume
    shows it, the host file by that name (there, but not visible to the container: the
    flag still names it)."""
    r = in_container(tree, pod, container, path)
    if r.reach is Reach.NOT_MOUNTED and tree_path(r.named) is not None:
        return on_host(tree, r.named)
    return r


def missing_at(tree: Tree, pod: ManifestInfo, container: Container, path: str) -> str | None:
    """The tree path where a file a container's flag names should be and is not (see
    named_on_host; a host file no volume shows is there, but not visible: a different
    problem). None when the file is there, or lies outside the tree."""
    r = named_on_host(tree, pod, container, path)
    return r.node if r.reach is Reach.MISSING else None


def absent(tree: Tree, pod: ManifestInfo, container: Container, path: str) -> bool:
    """Whether a file a container's flag names is not there (see missing_at)."""
    return missing_at(tree, pod, container, path) is not None


def flag_entry(tree: Tree, pod: ManifestInfo, container: Container,
               value: str | None) -> str | None:
    """The tree file (or folder) a flag value names, as its container opens it through the
    pod's volumes: the first of its paths the tree holds, for a view to open. A path no
    volume shows names nothing on the node."""
    for path in paths_in(value):
        found = tree_entry(tree, in_container(tree, pod, container, path))
        if found is not None:
            return found
    return None


def entry_beside(tree: Tree, holder: str, path: str) -> str | None:
    """The tree file (or folder) a host-side path names: a kubeconfig's, relative to it,
    or a hostPath (`holder` ""), for a view to open."""
    return tree_entry(tree, beside(tree, holder, path))


def tree_entry(tree: Tree, r: Resolved) -> str | None:
    """The node a resolved path lands on, folders included; None when the tree lacks it."""
    if r.reach is Reach.IN_TREE:
        return r.node
    folder = tree.get(r.node) if r.reach is Reach.MISSING and r.node else None
    return folder.path if folder is not None else None
