"""Check a scanned tree: infer its parameters, run every rule, and return one Report."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kexplore.core.checks import run_rules
from kexplore.core.checks.context import Context
from kexplore.core.infer import infer
from kexplore.core.model import Finding, Report, Tree

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles

PROFILES = ("kubeadm", "cis", "all")
DEFAULT_WARN_DAYS = 30


def check_tree(
    tree: Tree,
    now: datetime,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    profile: str = "kubeadm",
    node_files: NodeFiles | None = None,
) -> Report:
    """Every finding about `tree` at `now`, worst first, for the chosen profile; with
    `node_files`, about the node's files outside the tree too."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    findings: list[Finding] = []
    ctx = None
    if profile in ("kubeadm", "all"):
        inferred = infer(tree)
        ctx = Context(tree=tree, now=now, warn_days=warn_days, inferred=inferred,
                      node=node_files)
        findings += inferred.findings
        findings += run_rules(ctx)
    if profile in ("cis", "all"):
        from kexplore.core.cis import cis_findings, evaluate_cis

        findings += cis_findings(evaluate_cis(tree))
    unique = list(dict.fromkeys(findings))
    return Report(tree=tree, now=now, findings=tuple(sorted(unique, key=Finding.sort_key)),
                  node=node_files, plane=ctx.plane if ctx else None,
                  inferred=ctx.inferred if ctx else None, kubelet=ctx.kubelet if ctx else None)
