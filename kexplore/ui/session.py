"""One loaded tree and everything the core says about it, at one moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from kexplore.core.model import Finding, Report, Severity, Tree
from kexplore.core.plane_outline import PlaneOutline, UseLine
from kexplore.ui import core_api

PROFILES = ("kubeadm", "all")
# The session holds every profile's findings; views filter them.
CHECKED_PROFILE = "all"


@dataclass(frozen=True)
class Session:
    """What every view reads. `report` holds the findings of every profile; the UI only
    filters them by `Finding.profile`."""

    tree: Tree
    report: Report
    inferred: Any | None
    expiry: list[Any]
    now: datetime
    root_error: str = ""  # set while the root itself is gone; the tree is then empty
    plane: PlaneOutline | None = None  # the control plane as it runs, as plain values
    _cache: dict[str, tuple[list[Finding], dict[str, list[Finding]]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def root(self) -> Path:
        return self.tree.root

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



def load_session(root: Path, now: datetime | None, previous: Tree | None = None) -> Session:
    from kexplore.core.scan import rescan, scan

    moment = now or datetime.now(timezone.utc)
    tree = rescan(previous) if previous is not None else scan(root, fork=True)
    return session_from(tree, core_api.check_tree(tree, moment, profile=CHECKED_PROFILE))


def session_from(tree: Tree, report: Report, root_error: str = "") -> Session:
    """Everything the views read about a checked tree; runs in a worker, never the UI thread
    (the first time in the forked child, then on every live change)."""
    inferred = core_api.infer(tree)
    return Session(
        tree=tree,
        report=report,
        inferred=inferred,
        expiry=core_api.expiry_rows(tree, report.now),
        now=report.now,
        root_error=root_error,
        plane=core_api.plane_outline(tree, report.now, inferred),
    )
