"""Rules about the files the tree names outside itself, in any kubeconfig or manifest:
read and checked where the node's files are at hand, said to be unchecked where not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from kexplore.core.checks.context import Context
from kexplore.core.model import Finding, Severity, Tree
from kexplore.core.node_files import NodeFiles, OutsideFile, Reference, outside_references

KUBELET_CONF = "kubelet.conf"


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}"


def _by_file(refs: tuple[Reference, ...] | list[Reference]) -> dict[str, list[Reference]]:
    grouped: dict[str, list[Reference]] = {}
    for ref in refs:
        grouped.setdefault(ref.path, []).append(ref)
    return grouped


def _named_by(refs: list[Reference]) -> str:
    first = refs[0]
    more = len({(r.source, r.pointer) for r in refs}) - 1
    also = f" and {more} more place{'s' if more > 1 else ''}" if more else ""
    return f"named by {first.source} ({first.pointer}){also}"


NOT_READ = ("node files were not read (a copy of a node's tree, or --no-node-files; "
            "--node-root DIR says where the node's / is)")


def unchecked_notes(tree: Tree) -> list[str]:
    """Without node files, what the tree names outside itself, once per file, said as a
    note: a copy that names files elsewhere (external etcd's certificates) is normal, so
    this is no finding, but the operator must know those files went unchecked."""
    return [f"not checked: {path}, {_named_by(named)}, lies outside the tree and {NOT_READ}"
            for path, named in _by_file(outside_references(tree)).items()]


def references(ctx: Context) -> Iterator[Finding]:
    """A file named outside the tree is as much part of the node as one inside it: absent,
    its component does not start. Without node files, unchecked_notes says so instead."""
    node = ctx.node
    if node is None:
        return
    for path, named in _by_file(node.references).items():
        first = named[0]
        if _kubelets_own(node, named):
            continue  # the kubelet's client pair: kexplore.core.checks.kubelet_client says it
        if not node.locatable(path):
            why = f"it is not under the folders given ({node.sources.where})"
            yield Finding(
                "reference-unchecked", Severity.INFO, first.source,
                f"{path}, {_named_by(named)}, lies outside the tree and was not checked: {why}",
                pointer=first.pointer,
            )
            continue
        found = node.get(path)
        if found is None:
            continue
        yield from _check_file(ctx, node, found, named)


def _kubelets_own(node: NodeFiles, named: list[Reference]) -> bool:
    return all(r.source == KUBELET_CONF and r.pointer.startswith("user ") for r in named)


def _check_file(
    ctx: Context, node: NodeFiles, found: OutsideFile, named: list[Reference]
) -> Iterator[Finding]:
    first = named[0]
    if found.missing:
        yield Finding(
            "reference-missing", Severity.ERROR, first.source,
            f"{found.path}, {_named_by(named)}, is not there on {node.sources.where}: "
            "what reads it fails", pointer=first.pointer,
            fix=f"restore {found.path}, or correct the reference in {first.source}",
        )
        return
    for cert in found.certs[:1]:
        if cert.is_expired(ctx.now):
            yield Finding(
                "cert-expired", Severity.ERROR, found.path,
                f"expired {_day(cert.not_after)}; it must be valid at {_day(ctx.now)} "
                f"({_named_by(named)})",
            )
        elif cert.time_left(ctx.now) <= timedelta(days=ctx.warn_days):
            yield Finding(
                "cert-expiring", Severity.WARNING, found.path,
                f"expires {_day(cert.not_after)}, in {cert.residual(ctx.now)} "
                f"({_named_by(named)})",
            )


RULES = [references]
