"""Path arithmetic between the host and the scanned tree: the scanned root stands for the
host's /etc/kubernetes, wherever the tree was copied. Pure string work, no file is opened
and no volume read: which host path a container's path lands on is the plane's question
(kexplore.core.plane.mounts), asked there once."""

from __future__ import annotations

import posixpath
from pathlib import Path

# The host folder the scanned root stands for: kubeadm's, wherever the tree was copied.
KUBERNETES_DIR = "/etc/kubernetes"
HOST_ROOT = KUBERNETES_DIR


def tree_path(host: str) -> str | None:
    """The tree-relative path of a host path under the scanned root ("" for the root
    itself); None when it lies elsewhere on the host."""
    norm = posixpath.normpath(host)
    if norm == HOST_ROOT:
        return ""
    if not norm.startswith(HOST_ROOT + "/"):
        return None
    return norm[len(HOST_ROOT) + 1 :]


def host_beside(holder: str, path: str) -> str:
    """The host path a file of the tree names, as client-go reads a kubeconfig's paths:
    absolute as written, or relative to the folder of the file that names it (`holder`,
    tree-relative)."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    folder = posixpath.dirname(holder)
    return posixpath.normpath(posixpath.join(HOST_ROOT, folder, path))


def map_to_root(host: str, root: Path) -> Path | None:
    """Where a host path under /etc/kubernetes lies in the scanned copy at `root`; None
    for a path elsewhere on the host."""
    rel = tree_path(host)
    if rel is None:
        return None
    return root.joinpath(*rel.split("/")) if rel else root
