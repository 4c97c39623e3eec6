"""The core calls the UI makes, in one place, each imported when first needed so the
explorer paints its first frame before the heavier parts of the core are loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kexplore.core.model import Report, Tree


def check_tree(tree: Tree, now: datetime, *, profile: str = "all") -> Report:
    from kexplore.core.check import check_tree as real

    return real(tree, now, profile=profile)


def infer(tree: Tree) -> Any:
    """The inferred cluster: `.params` is a ClusterParams."""
    from kexplore.core.infer import infer as real

    return real(tree)


def expiry_rows(tree: Tree, now: datetime) -> list[Any]:
    from kexplore.core.expiry import expiry_rows as real

    return list(real(tree, now))


def plane_outline(tree: Tree, now: datetime, inferred: Any) -> Any:
    """The control plane as plain values (a PlaneOutline): built where the tree is read,
    so the process that receives it never loads the signature checks."""
    from kexplore.core.plane import build_plane
    from kexplore.core.plane_outline import outline

    return outline(build_plane(tree, now, inferred))


def diff_manifest(tree: Tree, path: str, inferred: Any) -> Any | None:
    """The manifest against what kubeadm would write; None for a third-party static pod."""
    from kexplore.core.diff import diff_manifest as real

    return real(tree, path, inferred)


def checklist(tree: Tree, path: str, report: Report) -> list[Any]:
    """The conventions a static pod is held to: items with .rule, .passed and .why."""
    from kexplore.core.diff import checklist as real

    return list(real(tree, path, report))
