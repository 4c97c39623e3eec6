"""Would the kubelet run it: the static pods as the kubelet reads, decodes and validates
them (kexplore.core.plane.pods), and what of kubeadm's pods has been changed for the worse.

The verdicts come from the plane; the rules here say why each matters and turn them into
findings. An edit to a static pod is the most common change on a control-plane node, and
the kubelet's only answer to a mistake is a log line every 20 seconds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from kexplore.core.checks.context import Context
from kexplore.core.conventions.manifests import (
    StaticPodSpec,
    expected_pod,
    image_of_another,
)
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Finding, Node, Severity
from kexplore.core.paths import KUBERNETES_DIR
from kexplore.core.plane.pods_problem import PodProblem

FILE_SOURCE = ("pod-ignored", "pod-duplicate", "pod-backup-file", "pod-host-port")
DECODER = ("pod-dropped-field", "pod-decode-error", "pod-duplicate-key", "pod-extra-document")
VALIDATION = ("pod-invalid",)
RUNTIME = (
    "pod-image-name", "pod-probe", "pod-probe-auth", "etcd-plaintext", "pod-flag-value",
    "pod-admission-config", "pod-flag-repeated", "pod-renamed", "pod-mirror-export",
    "pod-flag-missing", "etcd-data-dir",
)


def _findings(ctx: Context, rules: tuple[str, ...]) -> Iterator[Finding]:
    for p in ctx.kubelet.problems:
        if p.rule in rules:
            yield as_finding(p)


def as_finding(p: PodProblem) -> Finding:
    where = f" (line {p.line})" if p.line else ""
    return Finding(p.rule, p.severity, p.path, p.message + where, pointer=p.pointer, fix=p.fix)


def file_source(ctx: Context) -> Iterator[Finding]:
    """The kubelet runs every file in manifests/ whose name does not start with a dot,
    whatever its extension, and one pod per name: a backup left there runs too, or wins."""
    yield from _findings(ctx, FILE_SOURCE)


def decoder(ctx: Context) -> Iterator[Finding]:
    """The kubelet's decoder drops fields it does not know without a word, and refuses a
    file whose values have the wrong type: a typo either changes the pod silently or stops it."""
    yield from _findings(ctx, DECODER)


def validation(ctx: Context) -> Iterator[Finding]:
    """A pod the API server's validation refuses is never started, and the one running
    from the same file is stopped at the kubelet's next pass."""
    yield from _findings(ctx, VALIDATION)


def runtime(ctx: Context) -> Iterator[Finding]:
    """Accepted, then failing: probes that cannot succeed, flags that cannot parse, etcd in
    the clear, an identity kubeadm no longer recognises."""
    yield from _findings(ctx, RUNTIME)


def decode_refused(ctx: Context) -> frozenset[str]:
    """Files the kubelet's decoder refuses: their flags run nowhere, so holding them to
    kubeadm's says nothing more than pod-decode-error does."""
    return frozenset(p.path for p in ctx.kubelet.problems if p.rule == "pod-decode-error")


def settle_pods(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """One cause, one finding, where the kubelet's reading meets the connection plane: a
    pod the kubelet refuses runs no connection at all (its refusal is the cause), and
    plaintext etcd flags are etcd-plaintext's."""
    refused = {e.path for e in ctx.kubelet.entries
               if e.pod is not None and not e.runs
               and any(p.severity is Severity.ERROR for p in e.problems)}
    plaintext = {(f.path, f.pointer) for f in findings if f.rule == "etcd-plaintext"}
    # a volume source the decoder dropped empties the mount: pod-dropped-field is the cause
    emptied = {p.path for p in ctx.kubelet.problems
               if p.rule == "pod-dropped-field" and p.severity is Severity.ERROR}
    findings = _settle_misspellings(ctx, _settle_duplicate_keys(ctx, findings))
    return [
        f for f in findings
        if not (f.rule.startswith(("plane-", "connection-")) and f.path in refused)
        and not (f.rule == "plane-not-mounted" and f.path in emptied)
        and not (f.rule == "connection-plain-http" and (f.path, f.pointer) in plaintext)
    ]


def _settle_duplicate_keys(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """A key given twice whose later value some rule reports (hostNetwork: false after true,
    another component's image, a second command without kubeadm's flags): that rule says
    what breaks, at the severity of the harm, with its fix, so pod-duplicate-key gives way
    for that key and the finding says, instead, why the file's first value does not count."""
    twice = {(p.path, p.pointer): p for p in ctx.kubelet.problems
             if p.rule == "pod-duplicate-key"}
    covered: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = None if f.rule == "pod-duplicate-key" else _duplicated_key(twice, f)
        if key is not None:
            covered.add(key)
            line = twice[key].line
            where = f" (line {line})" if line else ""
            f = replace(f, message=f"{f.message}; {key[1]} is given twice{where} and the "
                        "kubelet keeps the later value")
        out.append(f)
    return [f for f in out
            if not (f.rule == "pod-duplicate-key" and (f.path, f.pointer) in covered)]


def _settle_misspellings(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """A misspelt field (hostNetowrk) the decoder drops, so that the field it meant is
    absent and a rule reports that (manifest-host-network): one edit, the spelling, fixes
    both. The rule on the field meant says what breaks, so it stays, with the misspelling
    and its fix; pod-dropped-field gives way for that field."""
    meant = {(p.path, p.meant): p for p in ctx.kubelet.problems
             if p.rule == "pod-dropped-field" and p.meant}
    covered: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        typo = meant.get((f.path, f.pointer)) if f.rule != "pod-dropped-field" else None
        if typo is not None:
            covered.add((typo.path, typo.pointer))
            where = f" (line {typo.line})" if typo.line else ""
            name = f.pointer.rpartition(".")[2]
            f = replace(f, message=f"{f.message}; the file spells it {typo.pointer}{where}, "
                        "a field the kubelet drops without a word",
                        fix=f"spell {typo.pointer} as {name}",
                        severity=max(f.severity, typo.severity, key=lambda s: s.rank))
        out.append(f)
    return [f for f in out
            if not (f.rule == "pod-dropped-field" and (f.path, f.pointer) in covered)]


def _duplicated_key(twice: dict[tuple[str, str], PodProblem], f: Finding
                    ) -> tuple[str, str] | None:
    """The duplicated key of f's file whose value f is about: f's own field or one inside
    it, or, for a duplicated command or args, any of its flags."""
    for path, key in twice:
        if path != f.path or not f.pointer:
            continue
        if f.pointer == key or f.pointer.startswith((key + ".", key + "[")):
            return path, key
        if f.pointer.startswith("--") and key.endswith((".command", ".args")):
            return path, key
    return None


def flags_reported(ctx: Context) -> frozenset[tuple[str, str]]:
    """(path, --flag) that a pod rule names: manifest-flag leaves them to it."""
    return frozenset((p.path, p.pointer) for p in ctx.kubelet.problems
                     if p.pointer.startswith("--"))


# --- kubeadm's own pods, held to what kubeadm writes -------------------------------------


def _kubeadm_pods(ctx: Context) -> Iterator[tuple[Node, ManifestInfo, StaticPodSpec, int]]:
    """kubeadm's manifests that the kubelet runs, with the index of the component's container."""
    for node, pod in ctx.manifests():
        spec = ctx.static_pod(node.path)
        entry = ctx.kubelet.get(node.path)
        if spec is None or entry is None or not entry.runs:
            continue
        index = next((i for i, c in enumerate(pod.containers) if c.name == spec.name), 0)
        if pod.containers:
            yield node, pod, spec, index


def _registry(image: str) -> str:
    return image.rsplit("/", 1)[0] if "/" in image else ""


def images(ctx: Context) -> Iterator[Finding]:
    """A component runs the code of its image: another build than the version's own, or one
    from a registry the rest of the control plane does not use, is code nobody reviewed."""
    pods = list(_kubeadm_pods(ctx))
    params = ctx.params
    registries = Counter(_registry(pod.containers[i].image) for _, pod, _, i in pods)
    usual = registries.most_common(1)[0][0] if registries else params.image_repository
    unparsed = {(p.path, p.pointer) for p in ctx.kubelet.problems if p.rule == "pod-image-name"}
    for node, pod, spec, i in pods:
        image = pod.containers[i].image
        wanted = spec.image(params)
        name_tag = wanted.rsplit("/", 1)[-1]
        where = f"spec.containers[{i}].image"
        if (node.path, where) in unparsed:
            continue  # pod-image-name: it never starts, whatever it is
        line = pod.line_of(where)
        other = image_of_another(spec.name, image)
        if other:
            binary = pod.containers[i].command[0] if pod.containers[i].command else spec.name
            yield _field(
                "pod-image", Severity.ERROR, node, where,
                f"image {image!r} is {other}'s, not {spec.name}'s: it holds no {binary}, so "
                f"the container fails to start (exec: \"{binary}\": executable file not found "
                "in $PATH) and the kubelet restarts it again and again",
                f"use {usual}/{name_tag}", line)
        elif _registry(image) != usual and image.rsplit("/", 1)[-1] == name_tag:
            yield _field(
                "pod-image", Severity.WARNING, node, where,
                f"image {image!r} comes from {_registry(image) or 'Docker Hub'!r}, while the "
                f"rest of the control plane uses {usual!r}", f"use {usual}/{name_tag}", line)
        elif image.rsplit("/", 1)[-1] != name_tag and not _another_release(image, wanted):
            yield _field(
                "pod-image", Severity.WARNING, node, where,
                f"image {image!r} is not {spec.name}'s image for {params.version} "
                f"({usual}/{name_tag})", f"use {usual}/{name_tag}", line)


def _another_release(image: str, wanted: str) -> bool:
    """Another release of the same image: a minor apart, manifest-version-skew says so; a
    patch apart, it is an upgrade under way (kubeadm moves the components one by one)."""
    name, _, tag = image.rpartition(":")
    wanted_name = wanted.rpartition(":")[0]
    if name.rsplit("/", 1)[-1] != wanted_name.rsplit("/", 1)[-1]:
        return False
    return bool(re.fullmatch(r"v\d+\.\d+\.\d+", tag))


def pki_mounts(ctx: Context) -> Iterator[Finding]:
    """A container reads /etc/kubernetes/... through its hostPath mounts: mounted from
    elsewhere, what it reads is not the tree that was checked."""
    for node, pod in ctx.manifests():
        entry = ctx.kubelet.get(node.path)
        if entry is None or not entry.runs:
            continue
        for c in pod.containers:
            for mount in c.volume_mounts:
                volume = pod.volume(mount.name)
                inside = mount.mount_path.rstrip("/")
                if volume is None or volume.source != "hostPath" or not (
                    inside == KUBERNETES_DIR or inside.startswith(KUBERNETES_DIR + "/")
                ):
                    continue
                host = volume.host_path.rstrip("/")
                # another file of the tree under this name (kube-vip mounts super-admin.conf
                # as admin.conf) is still a file that was checked
                if host != KUBERNETES_DIR and not host.startswith(KUBERNETES_DIR + "/"):
                    where = f"spec.volumes[{_volume_index(pod, volume.name)}].hostPath.path"
                    yield _field(
                        "pod-pki-path", Severity.ERROR, node, where,
                        f"{c.name} reads {mount.mount_path} from the host's "
                        f"{volume.host_path}, not from this tree's "
                        f"{inside.removeprefix(KUBERNETES_DIR + '/') or '/'}: what was checked "
                        "here is not what it uses", f"mount {inside} from {inside}",
                        pod.line_of(where))
                    break


def _volume_index(pod: ManifestInfo, name: str) -> int:
    return next(i for i, v in enumerate(pod.volumes) if v.name == name)


def host_access(ctx: Context) -> Iterator[Finding]:
    """kubeadm's pods need no privilege, no host PID or IPC namespace and no mount of the
    node's root: each hands a compromised component the whole node."""
    for node, pod, _spec, _index in _kubeadm_pods(ctx):
        spec = pod.raw.get("spec") or {}
        for field in ("hostPID", "hostIPC"):
            if spec.get(field) is True:
                yield _field("pod-host-access", Severity.WARNING, node, f"spec.{field}",
                             f"spec.{field} is true: the component sees every process of the "
                             "node" if field == "hostPID" else
                             f"spec.{field} is true: the component shares the node's IPC",
                             f"remove spec.{field}", pod.line_of(f"spec.{field}"))
        for j, c in enumerate(pod.containers):
            if (c.security_context or {}).get("privileged") is True:
                where = f"spec.containers[{j}].securityContext.privileged"
                yield _field("pod-host-access", Severity.WARNING, node, where,
                             f"container {c.name} is privileged: it owns the node",
                             "remove privileged: true", pod.line_of(where))
        for k, v in enumerate(pod.volumes):
            if v.source == "hostPath" and v.host_path.rstrip("/") == "":
                where = f"spec.volumes[{k}].hostPath.path"
                yield _field("pod-host-access", Severity.WARNING, node, where,
                             f"volume {v.name} mounts the node's root folder /",
                             "mount only the folders the component reads", pod.line_of(where))


def weakened(ctx: Context) -> Iterator[Finding]:
    """kubeadm's probes restart a hung component, its seccomp profile narrows what it may
    call, and its requests keep it scheduled under load: removing one weakens the node."""
    params = ctx.params
    for node, pod, spec, i in _kubeadm_pods(ctx):
        want = expected_pod(spec, params)
        wanted_c: dict[str, Any] = want["spec"]["containers"][0]
        actual_c: dict[str, Any] = pod.raw["spec"]["containers"][i]
        at = f"spec.containers[{i}]"
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            if kind in wanted_c and not actual_c.get(kind):
                yield _field("pod-weakened", Severity.WARNING, node, f"{at}.{kind}",
                             f"the {kind} kubeadm writes is gone: "
                             + ("a hung component is never restarted" if kind == "livenessProbe"
                                else "the pod is reported Ready before it serves"
                                if kind == "readinessProbe"
                                else "the liveness probe runs from the start, with no grace"),
                             f"restore the {kind}", pod.line_of(at))
            elif kind in wanted_c and _slower(actual_c[kind], wanted_c[kind]):
                yield _field("pod-weakened", Severity.INFO, node, f"{at}.{kind}",
                             f"the {kind} tolerates more failures or waits longer than "
                             "kubeadm's: a hung component is noticed later",
                             "", pod.line_of(f"{at}.{kind}"))
        wanted_seccomp = want["spec"]["securityContext"].get("seccompProfile", {}).get("type")
        seccomp = ((pod.raw["spec"].get("securityContext") or {}).get("seccompProfile") or {})
        if wanted_seccomp and seccomp.get("type") != wanted_seccomp:
            where = "spec.securityContext.seccompProfile"
            yield _field("pod-weakened", Severity.WARNING, node, where,
                         f"seccompProfile is {seccomp.get('type') or 'not set'}, not "
                         f"{wanted_seccomp}: the component may make any system call",
                         f"restore seccompProfile: {{type: {wanted_seccomp}}}",
                         pod.line_of(where))
        yield from _requests(node, pod, at, actual_c, wanted_c)


def _requests(node: Node, pod: ManifestInfo, at: str, actual: dict[str, Any],
              wanted: dict[str, Any]) -> Iterator[Finding]:
    from kexplore.core.plane.pods_validate import quantity_value

    have = ((actual.get("resources") or {}).get("requests") or {})
    for name, value in wanted["resources"]["requests"].items():
        where = f"{at}.resources.requests[{name}]"
        got = have.get(name)
        if got is None:
            yield _field("pod-weakened", Severity.WARNING, node, where,
                         f"the {name} request kubeadm writes ({value}) is gone: under load "
                         "the component gets no guaranteed share and can be starved",
                         f"restore requests: {{{name}: {value}}}", pod.line_of(f"{at}.resources"))
        elif (quantity_value(got) or 0) < (quantity_value(value) or 0):
            yield _field("pod-weakened", Severity.INFO, node, where,
                         f"the {name} request is {got}, below kubeadm's {value}", "",
                         pod.line_of(where))


def _slower(actual: Any, wanted: dict[str, Any]) -> bool:
    """Whether a probe gives a failing component more time than kubeadm's does."""
    if not isinstance(actual, dict):
        return False

    def allowance(p: dict[str, Any]) -> float:
        def num(key: str, default: int) -> float:
            value = p.get(key, default)
            return float(value) if isinstance(value, int | float) else float(default)

        return num("initialDelaySeconds", 0) + num("failureThreshold", 3) * (
            num("periodSeconds", 10) + num("timeoutSeconds", 1))

    return allowance(actual) > allowance(wanted)


def _field(rule: str, severity: Severity, node: Node, pointer: str, message: str, fix: str,
           line: int | None) -> Finding:
    where = f" (line {line})" if line else ""
    return Finding(rule, severity, node.path, message + where, pointer=pointer, fix=fix)


RULES = [file_source, decoder, validation, runtime, images, pki_mounts, host_access, weakened]
