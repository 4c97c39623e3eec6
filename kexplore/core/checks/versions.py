"""Rules about versions: a kubeadm older than the conventions, and the etcd it runs."""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.checks.context import Context
from kexplore.core.conventions.manifests import (
    ETCD_36_ONLY_FLAGS,
    ETCD_HEALTH_PATHS,
    ETCD_HEALTH_PATHS_SINCE,
)
from kexplore.core.conventions.versions import (
    OLDEST_SUPPORTED,
    etcd_minor,
    etcd_release,
    etcd_tag,
    is_older,
    withheld_facts,
)
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Finding, Severity
from kexplore.core.plane.pods_runtime import PROBE_HARM, http_probes

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
    """kubeadm pairs each Kubernetes version with an etcd minor and writes etcd's flags and
    probes for it; an older etcd is one finding (not one per flag or probe), an error when
    it will not run: the manifest passes flags that etcd does not know, so it refuses to
    start, or probes a health path it does not serve, so the kubelet keeps killing it."""
    container = _etcd(ctx)
    if container is None or ctx.withheld("etcd-version"):
        return
    version = ctx.params.version
    running, paired = etcd_minor(container.image_tag), etcd_minor(etcd_tag(version))
    if running is None or paired is None:
        return
    probes = _unserved_probes(container)
    if running > paired:
        yield Finding(
            "etcd-version",
            Severity.INFO,
            ETCD,
            f"etcd {container.image_tag} is newer than the {pair_text(paired)} kubeadm "
            f"{version} pairs with (a newer kubeadm's choice, or a pinned image)",
            pointer="image",
        )
        return
    if running == paired and not probes:
        return
    unknown = [f"--{f}" for f in ETCD_36_ONLY_FLAGS if running < (3, 6) and container.has_flag(f)]
    harms = []
    if unknown:
        harms.append(f"etcd {pair_text(running)} does not know {', '.join(unknown)} and will "
                     "not start")
    if probes:
        harms.append(_probe_harm(probes))
    fatal = bool(unknown) or any(kind != "readinessProbe" for kind, _ in probes)
    older = running < paired
    yield Finding(
        "etcd-version",
        Severity.ERROR if fatal else Severity.WARNING,
        ETCD,
        (f"etcd {container.image_tag} is older than the {pair_text(paired)} kubeadm {version} "
         "pairs with" if older else f"etcd {container.image_tag} is older than its probes")
        + "".join(f"; {harm}" for harm in harms),
        pointer="image" if older else f"{probes[0][0]}.httpGet.path",
        fix="upgrade etcd with the control plane (kubeadm upgrade apply)" if older else
        f"use etcd {'.'.join(map(str, ETCD_HEALTH_PATHS_SINCE))} or later, or probe /health",
    )


def pair_text(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def _unserved_probes(container: Container) -> list[tuple[str, str]]:
    """(probe, path) for each HTTP probe on a health path this etcd is too old to serve;
    none when the image names no patch release (then it cannot be told)."""
    release = etcd_release(container.image_tag)
    if release is None or release >= ETCD_HEALTH_PATHS_SINCE:
        return []
    paths = ((kind, str(http.get("path") or "").split("?", 1)[0])
             for kind, http in http_probes(container))
    return [(kind, path) for kind, path in paths if path in ETCD_HEALTH_PATHS]


def _probe_harm(probes: list[tuple[str, str]]) -> str:
    since = ".".join(map(str, ETCD_HEALTH_PATHS_SINCE))
    asked = ", ".join(f"{kind} {path}" for kind, path in probes)
    harm = "; ".join(dict.fromkeys(PROBE_HARM[kind] for kind, _ in probes))
    return (f"it answers 404 to its {asked} (etcd serves /livez and /readyz from {since}): "
            f"{harm}")


def _etcd(ctx: Context) -> Container | None:
    node = ctx.tree.get(ETCD)
    pod = node.content if node else None
    return pod.container() if isinstance(pod, ManifestInfo) else None


RULES = [kubeadm_version_older, etcd_version]
