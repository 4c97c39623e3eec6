"""Rules about static pods: the control-plane conventions, and the files their flags name."""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.checks.context import Context
from kexplore.core.conventions.manifests import (
    ETCD_VERSIONED_FLAGS,
    LEADER_ELECTED,
    NAMESPACE,
    POD_CONVENTIONS_BY_RULE,
    PRIORITY_CLASS,
    TIER,
)
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Finding, Node, Severity
from kexplore.core.paths import tree_path


def _convention(rule: str, node: Node, actual: str, pointer: str) -> Finding:
    convention = POD_CONVENTIONS_BY_RULE[rule]
    return Finding(
        rule,
        Severity.WARNING,
        node.path,
        f"{actual}; expected {convention.expected}: {convention.why}",
        pointer=pointer,
        fix=f"set {convention.expected} in {node.path}",
    )


def _is_control_plane(ctx: Context, node: Node, pod: ManifestInfo) -> bool:
    """kubeadm's own pods, and any pod that claims to be part of the control plane."""
    return ctx.static_pod(node.path) is not None or pod.labels.get("tier") == TIER


def conventions(ctx: Context) -> Iterator[Finding]:
    """The five conventions every control-plane static pod follows (see POD_CONVENTIONS)."""
    from kexplore.core.checks.pods import decode_refused

    refused = decode_refused(ctx)
    for node, pod in ctx.manifests():
        if not _is_control_plane(ctx, node, pod):
            continue
        spec = ctx.static_pod(node.path)
        name = spec.name if spec else pod.name
        if pod.namespace != NAMESPACE:
            yield _convention(
                "manifest-namespace",
                node,
                f"namespace is {pod.namespace or '(unset)'!r}",
                "metadata.namespace",
            )
        labels = pod.labels
        if labels.get("component") != name or labels.get("tier") != TIER:
            shown = {k: labels[k] for k in ("component", "tier") if k in labels}
            yield _convention(
                "manifest-labels", node, f"labels are {shown or 'missing'}", "metadata.labels"
            )
        if pod.priority_class_name != PRIORITY_CLASS:
            yield _convention(
                "manifest-priority-class",
                node,
                f"priorityClassName is {pod.priority_class_name or '(unset)'!r}",
                "spec.priorityClassName",
            )
        if pod.host_network is not True:
            yield _convention(
                "manifest-host-network",
                node,
                f"hostNetwork is {pod.host_network}",
                "spec.hostNetwork",
            )
        container = pod.container()
        if name in LEADER_ELECTED and container is not None and node.path not in refused:
            # Absent, the flag is the components' default: true.
            value = container.flag_value("leader-elect")
            if (value or "true").lower() != "true":
                yield _convention(
                    "manifest-leader-elect",
                    node,
                    f"--leader-elect is {value if value is not None else 'absent'}",
                    "--leader-elect",
                )


# Flag differences another rule already reports by name.
COVERED_FLAGS = {"--leader-elect"}


def manifest_flags(ctx: Context) -> Iterator[Finding]:
    """A default flag kubeadm writes that is gone or changed is a defect; an added one is a
    customisation worth knowing about."""
    from kexplore.core.checks.pods import decode_refused, flags_reported
    from kexplore.core.diff import CUSTOMISATION, DEFECT, diff_manifest

    named = flags_reported(ctx)  # a pod rule says what such a flag breaks
    refused = decode_refused(ctx)
    for node, _pod in ctx.manifests():
        if node.path in refused or ctx.withheld(_fact_of(ctx, node.path)):
            continue
        diff = diff_manifest(ctx.tree, node.path, ctx.inferred)
        if diff is None:
            continue
        covered = COVERED_FLAGS | _etcd_version_flags(ctx, node.path)
        for d in diff.flags:
            if d.where in covered or "not in the tree" in d.reason or (
                (node.path, d.where) in named
            ):
                continue
            if d.kind == DEFECT:
                yield Finding(
                    "manifest-flag",
                    Severity.WARNING,
                    node.path,
                    f"{d.where} is {_shown(d.actual)}; kubeadm writes "
                    f"{_shown(d.expected)}: {d.reason}",
                    pointer=d.where,
                    fix=f"restore {d.where}={d.expected}" if d.expected else "",
                )
            elif d.kind == CUSTOMISATION:
                yield Finding(
                    "manifest-flag",
                    Severity.INFO,
                    node.path,
                    f"{d.where} is {_shown(d.actual)} (kubeadm: {_shown(d.expected)}): {d.reason}",
                    pointer=d.where,
                )


def _is_etcd(ctx: Context, path: str) -> bool:
    spec = ctx.static_pod(path)
    return spec is not None and spec.name == "etcd"


def _fact_of(ctx: Context, path: str) -> str:
    return "etcd-flags" if _is_etcd(ctx, path) else "control-plane-flags"


def _etcd_version_flags(ctx: Context, path: str) -> set[str]:
    """The flags kubeadm picks by etcd's minor, when etcd-version already reports that
    minor as other than kubeadm's: one cause, one finding."""
    if not _is_etcd(ctx, path):
        return set()
    from kexplore.core.checks.versions import etcd_version

    return {f"--{f}" for f in ETCD_VERSIONED_FLAGS} if any(etcd_version(ctx)) else set()


def _shown(value: str | None) -> str:
    return "absent" if value is None else repr(value)


def third_party(ctx: Context) -> Iterator[Finding]:
    """A static pod kubeadm did not write (keepalived, haproxy) runs as root on every boot;
    what would let it leak or escalate is worth an operator's eye."""
    for node, pod in ctx.manifests():
        if ctx.static_pod(node.path) is not None:
            continue
        for container in pod.containers:
            if (container.security_context or {}).get("privileged") is True:
                yield Finding(
                    "manifest-privileged",
                    Severity.WARNING,
                    node.path,
                    f"container {container.name} is privileged: it owns the node",
                    pointer=f"container {container.name}",
                )
            for env in container.secret_env():
                yield Finding(
                    "manifest-secret-env",
                    Severity.WARNING,
                    node.path,
                    f"container {container.name} has a secret-looking value in "
                    f"plain env var {env.name}; anyone who can read pods sees it",
                    pointer=f"env {env.name}",
                )
        for volume in pod.volumes:
            if volume.host_path == "/tmp" or volume.host_path.startswith("/tmp/"):
                yield Finding(
                    "manifest-host-path",
                    Severity.WARNING,
                    node.path,
                    f"volume {volume.name} mounts {volume.host_path}, which any user "
                    "of the node can write",
                    pointer=f"volume {volume.name}",
                )


# hostPath types the kubelet checks before it starts the pod: a missing path stops it
CHECKED_TYPES = frozenset({"File", "Directory", "Socket", "CharDevice", "BlockDevice"})


def volume_missing(ctx: Context) -> Iterator[Finding]:
    """A third-party static pod (kube-vip, haproxy) names its files only in its volumes:
    one that mounts a file of this tree that is not there gets no file (kube-vip copied
    from the init node to a joined one mounts super-admin.conf, which only the init node
    has). kubeadm's own pods say it through their flags (manifest-file-missing)."""
    for node, pod in ctx.manifests():
        entry = ctx.kubelet.get(node.path)
        if ctx.static_pod(node.path) is not None or entry is None or not entry.runs:
            continue  # a pod the kubelet refuses has its own finding
        for volume in pod.volumes:
            rel = tree_path(volume.host_path) if volume.host_path.startswith("/") else None
            if not rel or ctx.tree.get(rel) is not None or ctx.unseen(rel):
                continue
            refused = volume.type in CHECKED_TYPES
            yield Finding(
                "manifest-volume-missing",
                Severity.ERROR if refused else Severity.WARNING,
                node.path,
                f"volume {volume.name} mounts {volume.host_path}, which is not in the tree: "
                + ("the kubelet refuses to start the pod" if refused else
                   "the container finds no file there (the runtime makes an empty folder, "
                   "or the pod does not start)"),
                pointer=f"volume {volume.name}",
                fix=f"restore {rel}, or mount the file this node has",
            )


RULES = [conventions, manifest_flags, third_party, volume_missing]
