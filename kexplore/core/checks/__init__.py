"""The rules, grouped by what they look at. Each rule is a function of a Context that
yields findings; its docstring says why the convention it holds exists."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kexplore.core.checks.context import Context
from kexplore.core.model import Finding

Rule = Callable[[Context], Iterable[Finding]]


def all_rules() -> list[Rule]:
    from kexplore.core.checks import (
        certs,
        connections,
        copies,
        files,
        kubeconfigs,
        kubelet_client,
        manifests,
        node_files,
        pods,
        references,
        replaced_ca,
        restarts,
        versions,
    )

    return [*files.RULES, *certs.RULES, *kubeconfigs.RULES, *manifests.RULES,
            *connections.RULES, *versions.RULES, *pods.RULES, *kubelet_client.RULES,
            *node_files.RULES, *copies.RULES, *references.RULES, *restarts.RULES,
            *replaced_ca.RULES]


def run_rules(ctx: Context) -> list[Finding]:
    from kexplore.core.checks.connections import settle
    from kexplore.core.checks.pods import settle_pods
    from kexplore.core.checks.replaced_ca import settle_replaced

    findings: list[Finding] = []
    for rule in all_rules():
        findings.extend(rule(ctx))
    return settle_replaced(ctx, settle_pods(ctx, settle(ctx, findings)))
