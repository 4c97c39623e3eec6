"""Where a path lies in a kubeadm tree: its root, or a part of one (manifests/, pki/, a
single file), so that a command pointed at a part checks it as that part."""

from __future__ import annotations

from pathlib import Path

from kexplore.core.conventions.certs import CERTS_BY_FILE
from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE
from kexplore.core.conventions.manifests import STATIC_PODS_BY_FILE
from kexplore.core.records import record

# What only the root of a kubeadm tree holds at its top.
ROOT_MARKERS = ("manifests", "pki", *KUBECONFIGS_BY_FILE)
PART_FOLDERS = ("manifests", "pki", "pki/etcd")
# A depth the parts never exceed: pki/etcd/ca.crt is two folders below the root.
MAX_PART_DEPTH = 3


@record
class Part:
    """`part` (a tree path: "manifests", "pki/ca.crt") of the tree at `root`."""

    root: Path
    part: str

    def holds(self, path: str) -> bool:
        return path == self.part or path.startswith(self.part + "/")


def looks_like_root(folder: Path) -> bool:
    try:
        return folder.is_dir() and any((folder / name).exists() for name in ROOT_MARKERS)
    except OSError:
        return False


def locate(path: Path) -> Part | None:
    """The tree `path` is a part of, when it is one of kubeadm's folders or files under a
    folder that looks like a kubeadm root; None for a root, or anything else."""
    path = path.absolute()
    try:
        is_dir = path.is_dir()
    except OSError:
        return None  # the command says why it cannot read it
    if is_dir and looks_like_root(path):
        return None
    for depth, ancestor in enumerate(path.parents, start=1):
        if depth > MAX_PART_DEPTH:
            break
        rel = path.relative_to(ancestor).as_posix()
        if _kubeadm_part(rel, is_dir) and looks_like_root(ancestor):
            return Part(ancestor, rel)
    return None


def _kubeadm_part(rel: str, is_dir: bool) -> bool:
    if is_dir:
        return rel in PART_FOLDERS
    top = rel.split("/", 1)[0]
    return rel in KUBECONFIGS_BY_FILE or top in ("manifests", "pki") or rel.endswith(".conf")


def what_it_holds(folder: Path) -> str:
    """For a folder that is no tree and no part of one: which of kubeadm's folders it
    looks like, from the names in it ("" when none). A root is never a part, whatever
    strays sit at its top (an apiserver.crt copied beside manifests/)."""
    if looks_like_root(folder):
        return ""
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError:
        return ""
    for part, files in (
        ("manifests", STATIC_PODS_BY_FILE),
        ("pki", CERTS_BY_FILE),
    ):
        if any(Path(f).name in names and f.startswith(part + "/") for f in files):
            return part
    return ""
