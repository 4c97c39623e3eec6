"""Renewed on disk, still served from memory: a static pod whose files changed after its
manifest did. Files show when each changed; only the node can show what the running
process loaded, so this is said as a possibility, never as a fact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from kexplore.core.checks.context import Context
from kexplore.core.conventions.node import STATIC_POD_RESTART
from kexplore.core.model import Finding, Kind, Node, Severity

# Files written by one kubeadm run land within seconds of each other: only a change this
# much later than the manifest is a renewal after the pod was last (re)created.
SETTLE_NS = 60 * 10**9
CONSUMED = (Kind.CERTIFICATE, Kind.PRIVATE_KEY, Kind.PUBLIC_KEY, Kind.KUBECONFIG)
BACKUPS = "tmp/kubeadm-backup-manifests-"


def _moment(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)


def _consumed(ctx: Context, manifest: Node) -> list[Node]:
    """The tree files a manifest's flags name, each once, where its mounts lead."""
    found: dict[str, Node] = {}
    for ref in ctx.file_references:
        node = ctx.tree.get(ref.target) if ref.source == manifest.path else None
        if node is not None and node.kind in CONSUMED and node.mtime_ns:
            found.setdefault(node.path, node)
    return list(found.values())


def _last_backup(ctx: Context) -> str:
    names = sorted(n.path.split("/")[1] for n in ctx.tree if n.kind is Kind.DIRECTORY
                   and n.path.startswith(BACKUPS) and n.path.count("/") == 1)
    return names[-1] if names else ""


def renewed_not_restarted(ctx: Context) -> Iterator[Finding]:
    """kubeadm certs renew rewrites the files but restarts nothing; a component that does
    not reload them serves the old certificate until its pod is recreated."""
    backup = _last_backup(ctx)
    for manifest, info in ctx.manifests():
        if not manifest.mtime_ns:
            continue
        newer = [n for n in _consumed(ctx, manifest)
                 if n.mtime_ns > manifest.mtime_ns + SETTLE_NS]
        if not newer:
            continue
        newer.sort(key=lambda n: n.mtime_ns)
        renewed = ", ".join(f"{n.path} ({_moment(n.mtime_ns):%Y-%m-%d %H:%M})" for n in newer)
        since = f"; the last upgrade backup is tmp/{backup}" if backup else ""
        yield Finding(
            "renewed-not-restarted", Severity.INFO, manifest.path,
            f"{info.name or manifest.path}'s manifest has not changed since {renewed} "
            f"changed (manifest {_moment(manifest.mtime_ns):%Y-%m-%d %H:%M}{since}): the "
            "running process may still use the old files; the files cannot show what it "
            "loaded, only its restart time can",
            fix=STATIC_POD_RESTART,
        )


RULES = [renewed_not_restarted]
