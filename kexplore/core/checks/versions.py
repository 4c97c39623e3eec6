"""Rules about versions: a kubeadm older than the conventions, and the etcd it runs."""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.checks.context import Context
from kexplore.core.conventions.manifests import ETCD_36_ONLY_FLAGS
from kexplore.core.conventions.versions import (
    OLDEST_SUPPORTED,
    etcd_minor,
    etcd_tag,
    is_older,
    withheld_facts,
)
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Finding, Severity

ETCD = "manifests/etcd.yaml"


def kubeadm_version_older(ctx: Context) -> Iterator[Finding]:
    """A kubeadm older than the conventions kexplore knows is checked for everything that
    does not depend on the version; what may have differed then is skipped, and said so
    once, so that a clean report is not read as a full one."""
    version = ctx.params.version
    if not ctx.inferred.version_found or not is_older(version):
        return
    skipped = withheld_facts(version)
    known = f"{OLDEST_SUPPORTED.major}.{OLDEST_SUPPORTED.minor}+"
    what = f": {', '.join(f.what for f in skipped)}" if skipped else ""
    yield Finding(
        "kubeadm-version-older",
        Severity.INFO,
        _version_source(ctx),
        f"kubeadm v{version.major}.{version.minor} is older than the conventions kexplore "
        f"knows ({known}): {len(skipped)} version-specific "
        f"{'check was' if len(skipped) == 1 else 'checks were'} skipped{what}",
    )


def _version_source(ctx: Context) -> str:
    return ctx.inferred.sources.get("kubernetes_version", "").split(" ", 1)[0]


def etcd_version(ctx: Context) -> Iterator[Finding]:
    """kubeadm pairs each Kubernetes version with an etcd minor and writes etcd's flags for
    it; an older etcd is one finding (not one per flag), an error when the manifest
    passes flags that etcd does not know, since it then refuses to start."""
    container = _etcd(ctx)
    if container is None or ctx.withheld("etcd-version"):
        return
    version = ctx.params.version
    running, paired = etcd_minor(container.image_tag), etcd_minor(etcd_tag(version))
    if running is None or paired is None or running == paired:
        return
    shown = f"{running[0]}.{running[1]}"
    pair = f"{paired[0]}.{paired[1]}"
    if running > paired:
        yield Finding(
            "etcd-version",
            Severity.INFO,
            ETCD,
            f"etcd {container.image_tag} is newer than the {pair} kubeadm {version} pairs "
            "with (a newer kubeadm's choice, or a pinned image)",
            pointer="image",
        )
        return
    unknown = [f"--{f}" for f in ETCD_36_ONLY_FLAGS if running < (3, 6) and container.has_flag(f)]
    yield Finding(
        "etcd-version",
        Severity.ERROR if unknown else Severity.WARNING,
        ETCD,
        f"etcd {container.image_tag} is older than the {pair} kubeadm {version} pairs with"
        + (
            f"; etcd {shown} does not know {', '.join(unknown)} and will not start"
            if unknown
            else ""
        ),
        pointer="image",
        fix="upgrade etcd with the control plane (kubeadm upgrade apply)",
    )


def _etcd(ctx: Context) -> Container | None:
    node = ctx.tree.get(ETCD)
    pod = node.content if node else None
    return pod.container() if isinstance(pod, ManifestInfo) else None


RULES = [kubeadm_version_older, etcd_version]
