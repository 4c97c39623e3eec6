"""Rules about kubeconfig copies for kubectl (~/.kube/config, $KUBECONFIG, --kubeconfig):
an old copy of admin.conf, a copy from before the cluster was re-initialised, a server
the API server's certificate does not name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from kexplore.core.checks.context import Context
from kexplore.core.conventions.node import COPY_FIX
from kexplore.core.copies import CopyState, copy_states, host_of, live_admin
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Finding, Severity
from kexplore.core.pki import CertInfo


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}"


def copies(ctx: Context) -> Iterator[Finding]:
    """An admin copy is a snapshot: `kubeadm certs renew` and `kubeadm init` replace
    admin.conf, never the copies, and kubectl then says expired, Unauthorized or
    unknown authority while the cluster is fine."""
    if ctx.node is None:
        return
    live = live_admin(ctx.tree, ctx.laid_out)
    for found in ctx.node.copies():
        info = found.node.content
        if not isinstance(info, KubeconfigInfo):
            continue
        seen: set[tuple[str, str]] = set()
        for state in copy_states(live, info):
            for finding in _say(ctx, found.path, state, live.clients):
                if (finding.rule, finding.pointer) not in seen:
                    seen.add((finding.rule, finding.pointer))
                    yield finding


def _say(
    ctx: Context, path: str, state: CopyState, clients: dict[str, CertInfo]
) -> Iterator[Finding]:
    pointer = f"context {state.context}"
    if state.kind == "foreign-ca":
        ca = state.cluster.ca[0]
        yield Finding(
            "kubeconfig-copy-ca", Severity.ERROR, path,
            f"{path}: cluster {state.cluster.name} trusts {ca.subject} issued "
            f"{_day(ca.not_before)}, not this cluster's CA pki/ca.crt: the cluster was "
            "re-initialised since this copy; kubectl says 'certificate signed by unknown "
            "authority'", pointer=pointer, fix=COPY_FIX,
        )
        return
    if state.kind == "older" and state.user is not None and state.user.cert is not None:
        cert, live = state.user.cert, clients[state.of]
        renewed = f"{state.of} was renewed on {_day(live.not_before)}"
        if cert.is_expired(ctx.now):
            severity, what = Severity.ERROR, f"its client cert expired on {_day(cert.not_after)}"
        elif cert.time_left(ctx.now) <= timedelta(days=ctx.warn_days):
            severity = Severity.WARNING
            what = f"its client cert expires on {_day(cert.not_after)}"
        else:
            severity = Severity.INFO
            what = f"its client cert is valid until {_day(cert.not_after)}"
        yield Finding(
            "kubeconfig-copy-stale", severity, path,
            f"{path} is an old copy of {state.of}: {what}; {renewed}",
            pointer=pointer, fix=COPY_FIX,
        )
    if not state.server_in_sans:
        host = host_of(state.cluster.server)
        yield Finding(
            "kubeconfig-copy-server", Severity.WARNING, path,
            f"{path}: cluster {state.cluster.name} dials {host}, which pki/apiserver.crt does "
            "not name: kubectl fails the handshake ('certificate is valid for ...')",
            pointer=pointer, fix=COPY_FIX,
        )


RULES = [copies]
