"""The validation a decoded static pod goes through before the kubelet runs it: the API
server's pod validation on create (pkg/apis/core/validation, ValidatePodCreate) after the
kubelet's own defaults (the node-suffixed name), and the kubelet's checks of its own.

Only what a schema cannot say is here: names that must be DNS labels, names that must be
unique, references between fields (a mount naming a volume, a probe naming a port), value
ranges and grammars. Messages follow the API's `<path>: <type>: <detail>` wording; rules
are keyed on the path, never on the prose, which changes between releases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.plane.pods_problem import PodProblem

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
C_IDENTIFIER_ENV = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
# RelaxedEnvironmentVariableValidation is on by default from 1.32: any printable ASCII
# character but '='.
RELAXED_ENV = re.compile(r"[ -<>-~]+")
RELAXED_ENV_MINOR = 32
# PreventStaticPodAPIReferences (1.34, on by default): a static pod may reference no API object.
API_REFERENCES_MINOR = 34
HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
HOST_PATH_TYPES = (
    "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
    "BlockDevice",
)
PROTOCOLS = ("TCP", "UDP", "SCTP")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "Never", "IfNotPresent")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
REFUSED = "the kubelet refuses the pod, and stops the one running from this file"


class _Errors:
    """Field errors as the API phrases them, each kept with its line."""

    def __init__(self, path: str, pod: ManifestInfo) -> None:
        self.path, self.pod = path, pod
        self.found: list[PodProblem] = []

    def add(self, where: str, body: str, fix: str = "") -> None:
        self.found.append(PodProblem(
            "pod-invalid", Severity.ERROR, self.path, where, f"{where}: {body}: {REFUSED}",
            fix=fix, line=self.pod.line_of(where), field=where,
        ))

    def required(self, where: str) -> None:
        self.add(where, "Required value", f"set {where}")

    def invalid(self, where: str, value: Any, detail: str) -> None:
        self.add(where, f"Invalid value: {_q(value)}: {detail}")

    def duplicate(self, where: str, value: Any) -> None:
        self.add(where, f"Duplicate value: {_q(value)}")

    def unsupported(self, where: str, value: Any, supported: tuple[str, ...]) -> None:
        shown = ", ".join(f'"{s}"' for s in supported if s)
        self.add(where, f"Unsupported value: {_q(value)}: supported values: {shown}")


def _q(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def validation_problems(
    path: str, pod: ManifestInfo, minor: int, node_name: str
) -> list[PodProblem]:
    """Every field error the kubelet would refuse this pod with."""
    errors = _Errors(path, pod)
    doc = pod.raw
    meta, spec = _map(doc.get("metadata")), _map(doc.get("spec"))
    _metadata(errors, meta, node_name)
    volumes = _volumes(errors, _list(spec.get("volumes")))
    containers = _list(spec.get("containers"))
    if not containers:
        errors.required("spec.containers")
    names: set[str] = set()
    host_ports: set[tuple[str, str, int]] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(_list(spec.get(group))):
            at = f"spec.{group}[{i}]"
            _container(errors, at, _map(c), volumes, names, minor, group == "containers")
            _ports(errors, at, _map(c), spec.get("hostNetwork") is True, host_ports)
    if spec.get("ephemeralContainers"):
        errors.add("spec.ephemeralContainers", "Forbidden: cannot be set on create")
    _enum(errors, "spec.restartPolicy", spec.get("restartPolicy"), RESTART_POLICIES)
    _enum(errors, "spec.dnsPolicy", spec.get("dnsPolicy"), DNS_POLICIES)
    if minor >= API_REFERENCES_MINOR:
        for where, resource in _api_references(spec):
            errors.add(where, f"Forbidden: static pods may not reference {resource}")
    return errors.found


def _enum(errors: _Errors, where: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in (None, "") and value not in allowed:
        errors.unsupported(where, value, allowed)


def _metadata(errors: _Errors, meta: dict[str, Any], node_name: str) -> None:
    name = _text(meta.get("name"))
    if not name:
        errors.add("metadata.name", "Required value: name is needed for the pod",
                   "set metadata.name")
        return
    # The kubelet validates the name it gives the pod: <name>-<node>.
    full = f"{name}-{node_name.lower()}" if node_name else name
    if len(full) > 253 or not DNS1123_SUBDOMAIN.fullmatch(full):
        errors.invalid("metadata.name", full, "a lowercase RFC 1123 subdomain must consist of "
                       "lower case alphanumeric characters, '-' or '.', and must start and "
                       "end with an alphanumeric character")
    namespace = _text(meta.get("namespace"))
    if namespace and (len(namespace) > 63 or not DNS1123_LABEL.fullmatch(namespace)):
        errors.invalid("metadata.namespace", namespace, "a lowercase RFC 1123 label must "
                       "consist of lower case alphanumeric characters or '-'")
    for key, value in _map(meta.get("labels")).items():
        where = f"metadata.labels[{key}]"
        if not _qualified_name(str(key)):
            errors.invalid(where, key, "name part must consist of alphanumeric characters, "
                           "'-', '_' or '.', and must start and end with an alphanumeric "
                           "character (at most 63)")
        text = "" if value is None else str(value)
        if len(text) > 63 or (text and not LABEL_VALUE.fullmatch(text)):
            errors.invalid(where, text, "a valid label must be an empty string or consist of "
                           "alphanumeric characters, '-', '_' or '.' (at most 63)")


def _qualified_name(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_VALUE.fullmatch(name))


def _volumes(errors: _Errors, volumes: list[Any]) -> set[str]:
    """Validate the volumes; the names a mount may use."""
    names: set[str] = set()
    for i, v in enumerate(volumes):
        v, at = _map(v), f"spec.volumes[{i}]"
        name = _text(v.get("name"))
        if "name" in v and not name:
            errors.required(f"{at}.name")
        elif name and (len(name) > 63 or not DNS1123_LABEL.fullmatch(name)):
            errors.invalid(f"{at}.name", name, "a lowercase RFC 1123 label must consist of "
                           "lower case alphanumeric characters or '-'")
        elif name in names:
            errors.duplicate(f"{at}.name", name)
        elif name:
            names.add(name)
        sources = [k for k in v if k != "name" and v[k] is not None]
        if len(sources) > 1:
            errors.add(f"{at}.{sources[1]}", "Forbidden: may not specify more than 1 volume type")
        host = _map(v.get("hostPath"))
        if "hostPath" in v:
            hp = _text(host.get("path"))
            if not hp:
                errors.required(f"{at}.hostPath.path")
            elif ".." in hp.split("/"):
                errors.invalid(f"{at}.hostPath.path", hp, "must not contain '..'")
            _enum(errors, f"{at}.hostPath.type", host.get("type"), HOST_PATH_TYPES)
    return names


def _container(
    errors: _Errors, at: str, c: dict[str, Any], volumes: set[str], names: set[str],
    minor: int, regular: bool,
) -> None:
    name = _text(c.get("name"))
    if "name" in c and not name:
        errors.required(f"{at}.name")
    elif name and (len(name) > 63 or not DNS1123_LABEL.fullmatch(name)):
        errors.invalid(f"{at}.name", name, "a lowercase RFC 1123 label must consist of lower "
                       "case alphanumeric characters or '-', and must start and end with an "
                       "alphanumeric character (e.g. 'my-name')")
    elif name in names:
        errors.duplicate(f"{at}.name", name)
    names.add(name)
    image = _text(c.get("image"))
    if not image:
        errors.required(f"{at}.image")
    elif image != image.strip():
        errors.invalid(f"{at}.image", image, "must not have leading or trailing whitespace")
    _enum(errors, f"{at}.imagePullPolicy", c.get("imagePullPolicy"), PULL_POLICIES)
    _env(errors, at, _list(c.get("env")), minor)
    _mounts(errors, at, _list(c.get("volumeMounts")), volumes)
    _resources(errors, at, _map(c.get("resources")))
    port_names = {_text(_map(p).get("name")) for p in _list(c.get("ports"))} - {""}
    for kind in PROBES:
        if kind in c and c[kind] is not None:
            if not regular and kind != "startupProbe":
                errors.add(f"{at}.{kind}", "Forbidden: may not be set for init containers")
                continue
            _probe(errors, f"{at}.{kind}", _map(c[kind]), kind, port_names)


def _env(errors: _Errors, at: str, env: list[Any], minor: int) -> None:
    pattern = RELAXED_ENV if minor >= RELAXED_ENV_MINOR else C_IDENTIFIER_ENV
    for i, e in enumerate(env):
        name = _text(_map(e).get("name"))
        where = f"{at}.env[{i}].name"
        if not name:
            errors.required(where)
        elif not pattern.fullmatch(name):
            errors.invalid(where, name, "a valid environment variable name must consist of "
                           + ("printable ASCII characters except '='" if minor >= RELAXED_ENV_MINOR
                              else "alphabetic characters, digits, '_', '-', or '.', and must "
                              "not start with a digit"))


def _mounts(errors: _Errors, at: str, mounts: list[Any], volumes: set[str]) -> None:
    # A volume that lost its name is the one cause: the mounts of it say nothing more.
    volumes_raw = _list(_map(errors.pod.raw.get("spec")).get("volumes"))
    unnamed = any(not _text(_map(v).get("name")) for v in volumes_raw)
    paths: set[str] = set()
    for i, m in enumerate(mounts):
        m, where = _map(m), f"{at}.volumeMounts[{i}]"
        name = _text(m.get("name"))
        if not name:
            errors.required(f"{where}.name")
        elif name not in volumes and not unnamed:
            errors.add(f"{where}.name", f'Not found: "{name}"',
                       f"add a volume named {name}, or mount one that exists")
        path = _text(m.get("mountPath"))
        if not path:
            errors.required(f"{where}.mountPath")
        elif path in paths:
            errors.invalid(f"{where}.mountPath", path, "must be unique")
        paths.add(path)
        sub = _text(m.get("subPath"))
        if sub and (sub.startswith("/") or ".." in sub.split("/")):
            errors.invalid(f"{where}.subPath", sub, "must be a relative path without '..'")


def _resources(errors: _Errors, at: str, resources: dict[str, Any]) -> None:
    parsed: dict[str, dict[str, float]] = {}
    for kind in ("requests", "limits"):
        for name, value in _map(resources.get(kind)).items():
            amount = quantity_value(value)
            if amount is None:
                continue  # the decoder already refused it
            where = f"{at}.resources.{kind}[{name}]"
            if amount < 0:
                errors.invalid(where, str(value), "must be greater than or equal to 0")
            parsed.setdefault(kind, {})[str(name)] = amount
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            errors.invalid(f"{at}.resources.requests[{name}]", str(resources["requests"][name]),
                           f"must be less than or equal to {name} limit of "
                           f"{resources['limits'][name]}")


_SUFFIX = {
    "": 1.0, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
    "Pi": 2.0**50, "Ei": 2.0**60,
}
_QUANTITY_PARTS = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))([eE][+-]?\d+|[A-Za-z]*)")


def quantity_value(value: Any) -> float | None:
    """A quantity's amount, or None when it does not parse."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY_PARTS.fullmatch(str(value))
    if match is None:
        return None
    number, suffix = match.groups()
    if suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        return float(number + suffix)
    factor = _SUFFIX.get(suffix)
    return None if factor is None else float(number) * factor


def _ports(
    errors: _Errors, at: str, c: dict[str, Any], host_network: bool,
    host_ports: set[tuple[str, str, int]],
) -> None:
    names: set[str] = set()
    for i, p in enumerate(_list(c.get("ports"))):
        p, where = _map(p), f"{at}.ports[{i}]"
        name = _text(p.get("name"))
        if name:
            if not _port_name(name):
                errors.invalid(f"{where}.name", name, "must be no more than 15 characters, "
                               "contain only lowercase letters, digits and '-', and at least "
                               "one letter")
            elif name in names:
                errors.duplicate(f"{where}.name", name)
            names.add(name)
        port = p.get("containerPort")
        if isinstance(port, int) and not 0 < port < 65536:
            errors.invalid(f"{where}.containerPort", port,
                           "must be between 1 and 65535, inclusive")
        protocol = p.get("protocol") or "TCP"
        _enum(errors, f"{where}.protocol", protocol, PROTOCOLS)
        host = p.get("hostPort")
        if isinstance(host, int) and host and not 0 < host < 65536:
            errors.invalid(f"{where}.hostPort", host, "must be between 1 and 65535, inclusive")
        if host_network:
            if isinstance(host, int) and host and host != port:
                errors.invalid(f"{where}.hostPort", host,
                               "must match `containerPort` when `hostNetwork` is true")
            host = host or port  # defaulting: hostPort = containerPort on the host network
        if isinstance(host, int) and host:
            key = (str(protocol), _text(p.get("hostIP")), host)
            if key in host_ports:
                errors.duplicate(f"{where}.hostPort", f"{protocol}/{key[1]}/{host}")
            host_ports.add(key)


def _port_name(name: str) -> bool:
    return (
        len(name) <= 15 and bool(IANA_SVC_NAME.fullmatch(name)) and "--" not in name
        and any(ch.isalpha() for ch in name)
    )


def _probe(
    errors: _Errors, at: str, probe: dict[str, Any], kind: str, port_names: set[str]
) -> None:
    handlers = [h for h in HANDLERS if probe.get(h) is not None]
    if not handlers:
        errors.add(at, "Required value: must specify a handler type",
                   "give the probe one of exec, httpGet, tcpSocket or grpc")
    for extra in handlers[1:]:
        errors.add(f"{at}.{extra}", "Forbidden: may not specify more than 1 handler type")
    if kind != "readinessProbe" and probe.get("successThreshold") not in (None, 0, 1):
        errors.invalid(f"{at}.successThreshold", probe["successThreshold"], "must be 1")
    for number in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                   "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"):
        value = probe.get(number)
        if isinstance(value, int) and value < 0:
            errors.invalid(f"{at}.{number}", value, "must be greater than or equal to 0")
    for handler in ("httpGet", "tcpSocket", "grpc"):
        action = _map(probe.get(handler))
        if handler in probe and "port" in action:
            _probe_port(errors, f"{at}.{handler}.port", action["port"], handler == "grpc")
    http = _map(probe.get("httpGet"))
    _enum(errors, f"{at}.httpGet.scheme", http.get("scheme"), ("HTTP", "HTTPS"))


def _probe_port(errors: _Errors, where: str, port: Any, number_only: bool) -> None:
    if isinstance(port, int):
        if not 0 < port < 65536:
            errors.invalid(where, port, "must be between 1 and 65535, inclusive")
    elif number_only:
        errors.invalid(where, port, "must be a number")
    elif isinstance(port, str) and not _port_name(port):
        errors.invalid(where, port, "must contain at least one letter (a-z), and be at most "
                       "15 lowercase letters, digits and '-'")


_ENV_REFERENCES = (("secretKeyRef", "secrets"), ("configMapKeyRef", "configmaps"))


def _api_references(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """What a 1.34+ kubelet refuses in a static pod: any reference to an API object."""
    if spec.get("serviceAccountName") or spec.get("serviceAccount"):
        yield "spec.serviceAccountName", "serviceaccounts"
    if spec.get("imagePullSecrets"):
        yield "spec.imagePullSecrets", "secrets"
    if spec.get("resourceClaims"):
        yield "spec.resourceClaims", "resourceclaims"
    sources = {
        "secret": "secrets", "configMap": "configmaps",
        "persistentVolumeClaim": "persistentvolumeclaims", "ephemeral": "persistentvolumeclaims",
    }
    for i, v in enumerate(_list(spec.get("volumes"))):
        for key, resource in sources.items():
            if _map(v).get(key) is not None:
                yield f"spec.volumes[{i}].{key}", resource
    for group in ("initContainers", "containers"):
        for i, c in enumerate(_list(spec.get(group))):
            for j, e in enumerate(_list(_map(c).get("env"))):
                ref = _map(_map(e).get("valueFrom"))
                for key, resource in _ENV_REFERENCES:
                    if key in ref:
                        yield f"spec.{group}[{i}].env[{j}].valueFrom.{key}", resource
            for j, e in enumerate(_list(_map(c).get("envFrom"))):
                for key, resource in (("secretRef", "secrets"), ("configMapRef", "configmaps")):
                    if key in _map(e):
                        yield f"spec.{group}[{i}].envFrom[{j}].{key}", resource
