"""One loaded tree and everything the core says about it, at one moment."""

from __future__ import annotations

from dataclasses import field, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from kexplore.core.model import Finding, Report, Severity, Tree
from kexplore.core.plane_outline import PlaneOutline, UseLine
from kexplore.core.records import record
from kexplore.ui import core_api

PROFILES = ("kubeadm", "all")
# The session holds every profile's findings; views filter them.
CHECKED_PROFILE = "all"


@record
class Session:
    """What every view reads. `report` holds the findings of every profile; the UI only
    filters them by `Finding.profile`."""

    tree: Tree
    report: Report
    inferred: Any | None
    expiry: list[Any]
    now: datetime
    root_error: str = ""  # set while the root itself is gone; the tree is then empty
    kubelet: Any | None = None  # the static pods as the kubelet reads them
    plane: PlaneOutline | None = None  # the control plane as it runs, as plain values
    # the tree folder behind certificatesDir, as the pods mount it: what the pki groups hold
    cert_folder: str = "pki"
    # the tree as scanned, without the node's files (what a rescan starts from)
    scanned: Tree | None = None
    # what each file outside the tree is for: path -> (a few words, what, who uses it)
    roles: dict[str, tuple[str, str, str]] = field(default_factory=dict, compare=False)
    # where each file outside the tree was read on this machine, links resolved
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    _cache: dict[str, tuple[list[Finding], dict[str, list[Finding]]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def root(self) -> Path:
        return self.tree.root

    @property
    def base_tree(self) -> Tree:
        """The tree as scanned: what a rescan starts from."""
        return self.scanned if self.scanned is not None else self.tree

    def on_disk(self, path: str) -> tuple[Path, str]:
        """(folder, name) to read a shown file from again: the tree's own under the root,
        a node file where it was read (its link already resolved in the node's terms, so
        that no link is followed on this machine's)."""
        source = self.sources.get(path)
        if source:
            where = Path(source)
            return where.parent, where.name
        node = self.tree.get(path)
        return self.root, (node.reads_as or path) if node is not None else path

    def role(self, path: str) -> str:
        """What a file outside the tree is for, in plain words; "" for the tree's own."""
        _, what, who = self.roles.get(path, ("", "", ""))
        return f"{what}; {who}" if what else ""

    def _indexed(self, profile: str) -> tuple[list[Finding], dict[str, list[Finding]]]:
        if profile not in self._cache:
            chosen = sorted(
                (f for f in self.report.findings if profile == "all" or f.profile == profile),
                key=Finding.sort_key,
            )
            by_path: dict[str, list[Finding]] = {}
            for finding in chosen:
                by_path.setdefault(finding.path, []).append(finding)
            self._cache[profile] = (chosen, by_path)
        return self._cache[profile]

    def findings(self, profile: str = "kubeadm") -> list[Finding]:
        return list(self._indexed(profile)[0])

    def for_path(self, path: str, profile: str = "kubeadm") -> list[Finding]:
        return list(self._indexed(profile)[1].get(path, ()))

    @cached_property
    def _links_to(self) -> dict[str, str]:
        return {node.reads_as: node.path for node in self.tree if node.reads_as}

    def linked_from(self, path: str) -> str:
        """A symlink that reads as this file, if there is one; else ""."""
        return self._links_to.get(path, "")

    def uses(self, path: str) -> tuple[tuple[UseLine, ...], tuple[UseLine, ...]]:
        """Who presents this file and who trusts it, with the links' marks; () without a
        plane."""
        if self.plane is None:
            return (), ()
        return self.plane.used_by(path), self.plane.trusted_by(path)

    def worst(self, path: str, profile: str = "kubeadm") -> Severity | None:
        found = self.for_path(path, profile)
        return max((f.severity for f in found), key=lambda s: s.rank) if found else None



def load_session(
    root: Path, now: datetime | None, previous: Tree | None = None, sources: Any = None
) -> Session:
    """Scan, read the node's files when `sources` (a NodeSources) says where, and check."""
    from kexplore.core.read.scan import rescan, scan

    moment = now or datetime.now(timezone.utc)
    tree = rescan(previous) if previous is not None else scan(root, fork=True)
    node = core_api.read_node_files(tree, sources)
    return session_from(tree, core_api.check_tree(tree, moment, profile=CHECKED_PROFILE,
                                                  node=node))


def session_from(tree: Tree, report: Report, root_error: str = "") -> Session:
    """Everything the views read about a checked tree; runs in a worker, never the UI thread
    (the first time in the forked child, then on every live change).

    The node's files outside the tree, when read, join the shown tree under the paths the
    node keeps them at ("/var/lib/kubelet/config.yaml"), so every view reads them alike;
    `scanned` stays the tree as scanned, for the next rescan."""
    node = report.node
    shown = tree
    roles: dict[str, tuple[str, str, str]] = {}
    sources: dict[str, str] = {}
    if node is not None:
        outside = {p: f.node for p, f in node.files.items() if not f.missing}
        shown = Tree(tree.root, {**tree.nodes, **outside})
        roles = {p: (f.role.short, f.role.what, f.role.who) for p, f in node.files.items()}
        sources = {p: f.source for p, f in node.files.items() if f.source and not f.missing}
    # what the checks read the tree with, read again only when they did not (profile cis)
    inferred = report.inferred or core_api.infer(tree)
    # the plane the rules built, drawn once; the session keeps only its outline (plain
    # values), so the process it is sent to never loads the plane's signature checks
    plane = core_api.plane_outline(tree, report.now, inferred, report.plane, node)
    kubelet = report.kubelet or core_api.kubelet_pods(tree, inferred)
    report = replace(report, plane=None, kubelet=None)
    return Session(
        tree=shown,
        report=report,
        inferred=inferred,
        kubelet=kubelet,
        cert_folder=core_api.cert_folder(tree, inferred),
        expiry=core_api.expiry_rows(tree, report.now, node, inferred),
        now=report.now,
        root_error=root_error,
        scanned=tree,
        roles=roles,
        sources=sources,
        plane=plane,
    )
