"""The core calls the UI makes, in one place, each imported when first needed so the
explorer paints its first frame before the heavier parts of the core are loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kexplore.core.model import Report, Tree


def check_tree(tree: Tree, now: datetime, *, profile: str = "all", node: Any = None) -> Report:
    from kexplore.core.check import check_tree as real

    return real(tree, now, profile=profile, node_files=node)


def read_node_files(tree: Tree, sources: Any) -> Any:
    """The node's files beside the tree (a NodeFiles), or None without sources."""
    if sources is None:
        return None
    from kexplore.core.node_files import read_node_files as real

    return real(tree, sources)


def infer(tree: Tree) -> Any:
    """The inferred cluster: `.params` is a ClusterParams."""
    from kexplore.core.infer import infer as real

    return real(tree)


def cert_folder(tree: Tree, inferred: Any) -> str:
    """The tree folder behind certificatesDir (pki, or kubespray's ssl); pki when it lies
    outside the tree, where the tree's pki/ is still kubeadm's layout."""
    from kexplore.core.plane.components import cert_folder as real

    return real(tree, inferred.params.cert_dir) or "pki"


def expiry_rows(tree: Tree, now: datetime, node: Any = None, inferred: Any = None) -> list[Any]:
    from kexplore.core.expiry import expiry_rows as real

    return list(real(tree, now, node, inferred))


def plane_outline(
    tree: Tree, now: datetime, inferred: Any, built: Any = None, node: Any = None
) -> Any:
    """The control plane as plain values (a PlaneOutline): drawn where the tree is read,
    so the process that receives it never loads the signature checks. `built` is the
    Plane the checks already made (Report.plane), if they did; else it is built here with
    the node's files (a NodeFiles) when they were read, as the check was."""
    from kexplore.core.plane_outline import outline

    if built is None:
        from kexplore.core.plane import build_plane

        built = build_plane(tree, now, inferred, node)
    return outline(built)


def diff_manifest(tree: Tree, path: str, inferred: Any) -> Any | None:
    """The manifest against what kubeadm would write; None for a third-party static pod."""
    from kexplore.core.diff import diff_manifest as real

    return real(tree, path, inferred)


def checklist(tree: Tree, path: str, report: Report) -> list[Any]:
    """The conventions a static pod is held to: items with .rule, .passed and .why."""
    from kexplore.core.diff import checklist as real

    return list(real(tree, path, report))


def kubelet_pods(tree: Tree, inferred: Any) -> Any:
    """The static pods as the kubelet reads manifests/: entries with .runs and .problems."""
    from kexplore.core.plane.pods import for_tree

    return for_tree(tree, inferred)


def yaml_lines(text: str) -> Any:
    """Where each field path of a YAML text lies (a mapping to 1-based lines)."""
    from kexplore.core.read.yamlio import load_first_document

    try:
        return load_first_document(text.encode()).lines
    except ValueError:
        return {}
