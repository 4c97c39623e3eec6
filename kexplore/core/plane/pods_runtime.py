"""What starts and then fails: a pod the kubelet accepts, whose container then exits, is
restarted by its own probes, or serves what it should not.

Every expectation here is read from the container's own flags (--secure-port,
--bind-address, etcd's --listen-metrics-urls): a moved port is fine as long as the probes
moved with it.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from kexplore.core.conventions.manifests import (
    ACCUMULATING_FLAGS,
    ETCD_DATA_DIR,
    STATIC_PODS_BY_NAME,
)
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.plane.mounts import container_host_path
from kexplore.core.plane.pods_flags import unknown_flags
from kexplore.core.plane.pods_problem import PodProblem
from kexplore.core.records import record
from kexplore.core.secrets import redact_flag_value

APISERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD = (
    "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd",
)
# The secure port each component serves when --secure-port is not given.
DEFAULT_SECURE_PORT = {APISERVER: 6443, CONTROLLER_MANAGER: 10257, SCHEDULER: 10259}
WILDCARDS = ("", "0.0.0.0", "::", "[::]")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HARM = {
    "livenessProbe": "the kubelet restarts the container again and again (CrashLoopBackOff)",
    "startupProbe": "the kubelet kills the container once its start-up allowance runs out, "
    "again and again",
    "readinessProbe": "the pod is never Ready",
}

# Flags whose value must parse as what they name; the component exits at start otherwise.
IP_FLAGS = {"advertise-address", "bind-address"}
CIDR_FLAGS = {"service-cluster-ip-range", "cluster-cidr"}
PORT_FLAGS = {"secure-port"}
URL_FLAGS = {
    "etcd-servers", "listen-client-urls", "listen-peer-urls", "listen-metrics-urls",
    "advertise-client-urls", "initial-advertise-peer-urls",
}
# Flags kube-apiserver will not start without (its options' validation), with the error it
# exits with, and the flags that stand in for one.
REQUIRED_FLAGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("etcd-servers", "--etcd-servers must be specified", ()),
    ("service-account-issuer", "service-account-issuer is a required flag", ()),
    ("service-account-signing-key-file",
     "--service-account-signing-key-file and --service-account-issuer are required flags",
     ("service-account-signing-endpoint",)),  # 1.32+: an external signer instead
)
# Admission plugins that refuse to start without their configuration file.
NEEDS_ADMISSION_CONFIG = ("EventRateLimit", "ImagePolicyWebhook")
# What the kubelet and the API server add to a pod: in a manifest, they mark an export of
# the mirror pod (kubectl get pod -o yaml), not a file someone wrote.
MIRROR_MARKERS = ("metadata.uid", "metadata.resourceVersion", "metadata.ownerReferences",
                  "metadata.managedFields", "spec.nodeName")
KUBELET_ANNOTATIONS = ("kubernetes.io/config.mirror", "kubernetes.io/config.hash",
                       "kubernetes.io/config.seen", "kubernetes.io/config.source")


# The container image reference grammar (distribution/reference): a domain may hold upper
# case, a repository path may not.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


def binary(container: Container) -> str:
    return posixpath.basename(container.command[0]) if container.command else ""


def runtime_problems(
    path: str, pod: ManifestInfo, node_name: str, kubeadm_name: str = ""
) -> list[PodProblem]:
    """What goes wrong once the pod runs; `kubeadm_name` is the pod kubeadm wrote in this
    file ("" for a pod of someone else's)."""
    out: list[PodProblem] = []
    for i, container in enumerate(pod.containers):
        at = f"spec.containers[{i}]"
        out += _image_name(path, pod, at, container)
        out += _probe_targets(path, pod, at, container)
        out += _anonymous_probes(path, pod, at, container)
        out += _etcd_plaintext(path, pod, at, container)
        out += _etcd_data_dir(path, pod, at, container)
        out += _flag_values(path, pod, at, container)
        out += _admission_config(path, pod, at, container)
        out += _required_flags(path, pod, at, container)
        out += _repeated_flags(path, pod, at, container)
        out += unknown_flags(path, pod, at, container, binary(container))
    exported = _mirror_export(path, pod, node_name)
    out += exported or _renamed(path, pod, kubeadm_name)
    return out


def flag_field(at: str, container: Container, name: str) -> str:
    """The command item of a flag's last occurrence (the one that counts)."""
    index = next((f.index for f in reversed(container.flags) if f.name == name), None)
    if index is None:
        return f"{at}.command"
    if index < len(container.command):
        return f"{at}.command[{index}]"
    return f"{at}.args[{index - len(container.command)}]"


def _problem(
    rule: str, severity: Severity, path: str, pointer: str, message: str, fix: str,
    pod: ManifestInfo, field: str,
) -> PodProblem:
    return PodProblem(rule, severity, path, pointer, message, fix=fix,
                      line=pod.line_of(field), field=field)


def _image_name(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """Validation only asks for an image; the runtime parses it when the container starts,
    and one that does not parse never starts (InvalidImageName)."""
    if c.image.strip() and not IMAGE_REFERENCE.fullmatch(c.image):
        yield _problem(
            "pod-image-name", Severity.ERROR, path, f"{at}.image",
            f"image {c.image!r} is not a valid image reference (a repository is lower "
            "case, without spaces): the kubelet accepts the pod, but the container never "
            "starts (InvalidImageName)",
            "write the image as registry/repository:tag, the repository in lower case",
            pod, f"{at}.image")


# --- probes ------------------------------------------------------------------------------


@record
class Served:
    """Where a component answers its health endpoints, and which flags say so."""

    scheme: str
    host: str
    port: int | None
    source: str


def served(container: Container) -> list[Served]:
    """The endpoints a kubeadm component's health checks can reach, from its flags."""
    name = binary(container)
    if name in DEFAULT_SECURE_PORT:
        port_text = container.flag_value("secure-port")
        port = _int(port_text) if port_text is not None else DEFAULT_SECURE_PORT[name]
        host = container.flag_value("bind-address") or ""
        return [Served("HTTPS", host, port, "--secure-port and --bind-address")]
    if name == ETCD:
        out = []
        for url in (container.flag_value("listen-metrics-urls") or "").split(","):
            parts = urlsplit(url.strip())
            if parts.scheme:
                out.append(Served(parts.scheme.upper(), parts.hostname or "", parts.port,
                                  "--listen-metrics-urls"))
        return out
    return []


def http_probes(c: Container) -> Iterator[tuple[str, dict[str, Any]]]:
    """(probe kind, its httpGet) for each of the container's HTTP probes, in PROBES order."""
    for kind in PROBES:
        probe = c.probes.get(kind)
        http = probe.get("httpGet") if isinstance(probe, dict) else None
        if isinstance(http, dict):
            yield kind, http


def probe_ports(c: Container) -> set[int]:
    """The ports the container's httpGet probes dial, a named port read as it declares it."""
    named = {p.name: p.container_port for p in c.ports if p.name}
    found: set[int] = set()
    for _, http in http_probes(c):
        port = http.get("port")
        port = named.get(port) if isinstance(port, str) else port
        if isinstance(port, int) and not isinstance(port, bool):
            found.add(port)
    return found


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _probe_targets(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """A probe must dial what the component serves, or it fails from the first try. Probes
    that miss for one reason (a --secure-port moved under all three, a ports: list
    deleted) are one finding, at the first of them."""
    endpoints = served(c)
    if not endpoints and binary(c) != ETCD:
        return
    named = {p.name: p.container_port for p in c.ports if p.name}
    undeclared: dict[str, list[str]] = {}
    missed: dict[tuple[str, str, Any], list[tuple[str, str]]] = {}
    for kind, http in http_probes(c):
        port: Any = http.get("port")
        if isinstance(port, str):
            if port not in named:
                undeclared.setdefault(port, []).append(kind)
                continue
            port = named[port]
        scheme = str(http.get("scheme") or "HTTP")
        host = str(http.get("host") or "")
        if not any(_reaches(e, scheme, host, port) for e in endpoints):
            missed.setdefault((scheme, host, port), []).append((kind, str(http.get("path") or "")))
    for port, kinds in undeclared.items():
        where = f"{at}.{kinds[0]}.httpGet.port"
        yield _problem(
            "pod-probe", Severity.ERROR, path, where,
            f"{_listed(kinds)} {_verb(kinds, 'names', 'name')} port {port!r}, which the "
            f"container does not declare: the {_verb(kinds, 'probe errors', 'probes error')} "
            "without ever running, so the container is never Ready and never restarted",
            f"declare ports: [{{name: {port}, containerPort: ...}}] or use the number",
            pod, where)
    shown = ", ".join(f"{e.scheme.lower()}://{e.host or '*'}:{e.port}" for e in endpoints)
    sources = ", ".join(sorted({e.source for e in endpoints})) or "--listen-metrics-urls is not set"
    for (scheme, host, port), probes in missed.items():
        kinds = [kind for kind, _ in probes]
        where = f"{at}.{kinds[0]}.httpGet"
        dialled = f"{scheme.lower()}://{host or '(pod IP)'}:{port}"
        paths = [p for _, p in probes if p]
        if len(set(paths)) == 1:
            dialled += paths[0]
        elif paths:
            dialled += f" ({', '.join(dict.fromkeys(paths))})"
        harm = "; ".join(PROBE_HARM[kind] for kind in kinds)
        yield _problem(
            "pod-probe", Severity.ERROR, path, where,
            f"{_listed(kinds)} {_verb(kinds, 'dials', 'dial')} {dialled}, but {binary(c)} "
            f"serves {shown or 'no health endpoint'} ({sources}): the "
            f"{_verb(kinds, 'probe fails', 'probes fail')} and {harm}",
            "make the probe's host, port and scheme match the component's flags",
            pod, where)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _verb(items: list[str], one: str, many: str) -> str:
    return one if len(items) == 1 else many


def _reaches(e: Served, scheme: str, host: str, port: Any) -> bool:
    if e.scheme != scheme.upper() or e.port != port:
        return False
    if e.host in WILDCARDS or not host:
        return True
    return _same_host(e.host, host)


def _same_host(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.strip("[]")) == ipaddress.ip_address(b.strip("[]"))
    except ValueError:
        return a.lower() == b.lower()


def _anonymous_probes(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """kubeadm's probes send no credentials; an API server that refuses anonymous requests
    answers them 401, and the kubelet restarts it."""
    if binary(c) != APISERVER or (c.flag_value("anonymous-auth") or "true").lower() != "false":
        return
    bare = [k for k in PROBES if isinstance(c.probes.get(k), dict)
            and isinstance(c.probes[k].get("httpGet"), dict)
            and not c.probes[k]["httpGet"].get("httpHeaders")]
    if bare:
        yield _problem(
            "pod-probe-auth", Severity.ERROR, path, "--anonymous-auth",
            f"--anonymous-auth=false, but {', '.join(bare)} send no credentials: the API "
            "server answers them 401, the probes fail and the kubelet restarts it",
            "keep --anonymous-auth=true (the health paths are public), or allow anonymous "
            "access to /livez, /readyz and /healthz only (an AuthenticationConfiguration)",
            pod, flag_field(at, c, "anonymous-auth"))


# --- flags -------------------------------------------------------------------------------


def _etcd_data_dir(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """etcd's data must outlive its container: a --data-dir on no hostPath volume lives in
    the container's own filesystem, empty at the first start (etcd then founds a new,
    empty cluster beside the data the pod mounts) and gone at every recreation."""
    if binary(c) != ETCD:
        return
    data_dir = c.flag_value("data-dir") or ""
    host, why = container_host_path(pod, c, data_dir) if data_dir.startswith("/") else (
        None, "a path relative to the container's working directory")
    if host is not None:
        return
    shown = data_dir or "(unset: etcd's default, <name>.etcd)"
    yield _problem(
        "etcd-data-dir", Severity.ERROR, path, "--data-dir",
        f"--data-dir {shown} is on no hostPath volume ({why}): etcd keeps the cluster's "
        "data in the container's own filesystem, starts there empty, as a new cluster "
        "without any object, and loses it whenever the container is recreated",
        f"point --data-dir at the folder a hostPath volume holds it in (kubeadm: "
        f"{ETCD_DATA_DIR}, volume etcd-data)",
        pod, flag_field(at, c, "data-dir") if data_dir else at)


def _etcd_plaintext(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """etcd holds every Secret of the cluster: over http:// it travels in the clear and no
    client certificate is asked for."""
    name = binary(c)
    flags = ("etcd-servers",) if name == APISERVER else (
        ("listen-client-urls", "advertise-client-urls") if name == ETCD else ())
    for flag in flags:
        # every occurrence: --etcd-servers is a list flag, and repeats add up
        urls = [u for v in c.flag_values(flag) for u in (v or "").split(",")]
        plain = [u for u in urls if u.strip().startswith("http://")]
        if plain:
            yield _problem(
                "etcd-plaintext", Severity.ERROR, path, f"--{flag}",
                f"--{flag} has {_shown(flag, ', '.join(plain))}: etcd traffic (every Secret) "
                "in the clear, with no client certificate",
                f"use https:// in --{flag}, with the etcd CA and client certificates",
                pod, flag_field(at, c, flag))


def _shown(flag: str, value: str) -> str:
    """A flag's value as a message may carry it: a secret one, or a URL's password, hidden."""
    return redact_flag_value(flag, value) or ""


def _bad_value(flag: str, value: str) -> str:
    """Why a flag's value cannot be what the flag needs; "" when it can."""
    try:
        if flag in IP_FLAGS:
            ipaddress.ip_address(value)
        elif flag in CIDR_FLAGS:
            for part in value.split(","):
                ipaddress.ip_network(part.strip(), strict=False)
        elif flag in PORT_FLAGS:
            if not value.isdigit() or not 0 <= int(value) < 65536:
                return "not a port number"
        elif flag in URL_FLAGS:
            for url in value.split(","):
                parts = urlsplit(url.strip())
                if parts.scheme not in ("http", "https", "unix", "unixs") or not parts.netloc:
                    return f"{url.strip()!r} is not a URL"
                _ = parts.port
        return ""
    except ValueError:
        kind = "an IP address" if flag in IP_FLAGS else "a CIDR" if flag in CIDR_FLAGS else "a URL"
        return f"not {kind}"


def _flag_values(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """A value that does not parse stops the component at start."""
    for flag in sorted(IP_FLAGS | CIDR_FLAGS | PORT_FLAGS | URL_FLAGS):
        value = c.flag_value(flag)
        if value is None:
            continue
        why = _bad_value(flag, value)
        if why:
            yield _problem(
                "pod-flag-value", Severity.ERROR, path, f"--{flag}",
                f"--{flag} is {_shown(flag, value)!r}: {why}, so {binary(c) or c.name} exits "
                "at start",
                f"give --{flag} a real value", pod, flag_field(at, c, flag))


def _admission_config(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """EventRateLimit and ImagePolicyWebhook read their settings from the admission
    configuration file; without one the API server does not start."""
    if binary(c) != APISERVER or c.flag_value("admission-control-config-file"):
        return
    enabled = [p.strip() for v in c.flag_values("enable-admission-plugins")
               for p in (v or "").split(",")]
    for plugin in NEEDS_ADMISSION_CONFIG:
        if plugin in enabled:
            yield _problem(
                "pod-admission-config", Severity.ERROR, path, "--enable-admission-plugins",
                f"{plugin} is enabled without --admission-control-config-file: the plugin "
                "has no configuration and kube-apiserver exits at start",
                f"add --admission-control-config-file naming a file that configures {plugin}",
                pod, flag_field(at, c, "enable-admission-plugins"))


def _required_flags(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """kube-apiserver refuses to start without a store and a service-account issuer."""
    if binary(c) != APISERVER:
        return
    for flag, error, instead in REQUIRED_FLAGS:
        if not c.flag_value(flag) and not any(c.flag_value(other) for other in instead):
            yield _problem(
                "pod-flag-missing", Severity.ERROR, path, f"--{flag}",
                f"kube-apiserver exits at start without --{flag}: \"{error}\"",
                f"give kube-apiserver --{flag} again (kubeadm writes it)", pod, at)


def _repeated_flags(path: str, pod: ManifestInfo, at: str, c: Container) -> Iterator[PodProblem]:
    """A flag given twice with different values: the component keeps the last, so an edit
    to the first changes nothing."""
    seen: dict[str, list[str]] = {}
    for f in c.flags:
        seen.setdefault(f.name, []).append(f.value if f.value is not None else "true")
    for name, values in seen.items():
        if len(set(values)) < 2 or name in ACCUMULATING_FLAGS:
            continue
        shown = [_shown(name, v) for v in values]
        yield _problem(
            "pod-flag-repeated", Severity.WARNING, path, f"--{name}",
            f"--{name} is given {len(values)} times ({', then '.join(map(repr, shown))}): "
            f"{binary(c) or c.name} uses the last, {shown[-1]!r}, and ignores the others",
            f"keep one --{name}", pod, flag_field(at, c, name))


# --- identity ----------------------------------------------------------------------------


def _renamed(path: str, pod: ManifestInfo, kubeadm_name: str) -> list[PodProblem]:
    """kubeadm finds its pods by name (upgrade, the component= selectors); a renamed one is
    a pod it no longer manages."""
    spec = STATIC_PODS_BY_NAME.get(kubeadm_name)
    if spec is None or not pod.name or pod.name == spec.name:
        return []
    return [_problem(
        "pod-renamed", Severity.WARNING, path, "metadata.name",
        f"the pod is named {pod.name!r}, not {spec.name!r}: kubeadm upgrade and everything "
        f"that looks for {spec.name} (the mirror pod {spec.name}-<node>) no longer finds it",
        f"name it {spec.name}", pod, "metadata.name")]


def _mirror_export(path: str, pod: ManifestInfo, node_name: str) -> list[PodProblem]:
    """`kubectl get pod -o yaml` saved as a manifest carries what the kubelet and the API
    server added: a fixed uid, a resourceVersion the API refuses on create, the node's
    suffix in the name (which the kubelet adds again), and the mirror annotation."""
    doc = pod.raw
    meta, spec = (v if isinstance(v, dict) else {} for v in (doc.get("metadata"), doc.get("spec")))
    markers = [m for m in MIRROR_MARKERS
               if (meta if m.startswith("metadata.") else spec).get(m.split(".", 1)[1])]
    if isinstance(doc.get("status"), dict) and doc["status"]:
        markers.append("status")
    markers += [f"annotation {a}" for a in KUBELET_ANNOTATIONS if a in pod.annotations]
    suffix = f"-{node_name.lower()}" if node_name else ""
    if suffix and pod.name.endswith(suffix):
        markers.append(f"the node suffix in {pod.name!r}")
    if len(markers) < 2:
        return []
    named = f"{pod.name}{suffix}" if suffix else pod.name
    return [_problem(
        "pod-mirror-export", Severity.WARNING, path, "metadata",
        f"an export of the running pod, not a manifest ({', '.join(markers)}): the kubelet "
        f"names the pod {named!r}, the API server refuses its mirror pod, and a "
        "kubernetes.io/config.mirror annotation can make the kubelet take it for a mirror "
        "pod",
        "rewrite it from the original manifest (kubeadm init phase control-plane), without "
        "status, uid, resourceVersion and the node suffix",
        pod, "metadata")]
