"""Static pod manifests: the Pod, its containers, and the command line as ordered flags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from kexplore.core.pki import DecodeError
from kexplore.core.records import record

# --- command-line flags ------------------------------------------------------------------

# Flags that never take the next item as their value. Go's pflag lets a boolean flag be
# written bare, so "--leader-elect /x" would otherwise swallow a positional.
BOOLEAN_FLAGS = frozenset(
    {
        # kube-apiserver
        "allow-privileged",
        "anonymous-auth",
        "enable-bootstrap-token-auth",
        "profiling",
        "enable-aggregator-routing",
        "enable-priority-and-fairness",
        "enable-garbage-collector",
        "enable-logs-handler",
        "contention-profiling",
        "service-account-lookup",
        "audit-log-compress",
        "kubelet-https",
        "enable-swagger-ui",
        "permit-port-sharing",
        "permit-address-sharing",
        "authentication-tolerate-lookup-failure",
        "service-account-extend-token-expiration",
        "debug-socket-path-enabled",
        # kube-controller-manager
        "use-service-account-credentials",
        "leader-elect",
        "allocate-node-cidrs",
        "configure-cloud-routes",
        "enable-hostpath-provisioner",
        "enable-dynamic-provisioning",
        "enable-taint-manager",
        "disable-attach-detach-reconcile-sync",
        # etcd
        "client-cert-auth",
        "peer-client-cert-auth",
        "experimental-initial-corrupt-check",
        "strict-reconfig-check",
        "enable-v2",
        "enable-pprof",
        "auto-tls",
        "peer-auto-tls",
        "force-new-cluster",
        "debug",
        # klog and friends
        "logtostderr",
        "alsologtostderr",
        "skip-headers",
        "one-output",
        "help",
        "version",
    }
)


@record
class Flag:
    """One flag from command+args: name without dashes, value (None when bare), position."""

    name: str
    value: str | None
    index: int

    def __str__(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


def parse_flags(items: tuple[str, ...]) -> tuple[tuple[Flag, ...], tuple[str, ...]]:
    """Split a command line into flags (in order, repeats kept) and positionals."""
    flags: list[Flag] = []
    positionals: list[str] = []
    i = 0
    only_positionals = False
    while i < len(items):
        item = items[i]
        if only_positionals or not item.startswith("-") or item == "-":
            positionals.append(item)
        elif item == "--":
            only_positionals = True
        else:
            name, eq, value = item.lstrip("-").partition("=")
            if eq:
                flags.append(Flag(name, value, i))
            elif (
                name not in BOOLEAN_FLAGS
                and i + 1 < len(items)
                and not items[i + 1].startswith("-")
            ):
                flags.append(Flag(name, items[i + 1], i))
                i += 1
            else:
                flags.append(Flag(name, None, i))
        i += 1
    return tuple(flags), tuple(positionals)


# --- the Pod -----------------------------------------------------------------------------


@record
class Volume:
    """One volume of a pod, with the host path when it is a hostPath."""

    name: str
    host_path: str = ""
    type: str = ""
    source: str = ""  # hostPath, emptyDir, ...: the volume's kind


@record
class VolumeMount:
    """Where a container mounts one of the pod's volumes."""

    name: str
    mount_path: str
    read_only: bool = False


@record
class Port:
    """One port a container declares."""

    name: str
    container_port: int | None
    protocol: str = "TCP"
    host_port: int | None = None


_SECRETISH = re.compile(r"(?i)(pass(word)?|secret|token|key|credential|auth)")


@record
class EnvVar:
    """One environment variable of a container; its value never reaches a repr."""

    name: str
    value: str | None = field(default=None, repr=False)
    from_source: bool = False  # valueFrom: secretKeyRef, fieldRef, ...

    @property
    def looks_secret(self) -> bool:
        """Whether a face should hide the value: its name sounds like a secret."""
        return bool(_SECRETISH.search(self.name))


@record
class Container:
    """One container of a static pod, with its command line read into flags."""

    name: str
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    flags: tuple[Flag, ...]
    positionals: tuple[str, ...] = ()
    image_pull_policy: str = ""
    probes: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    volume_mounts: tuple[VolumeMount, ...] = ()
    ports: tuple[Port, ...] = ()
    env: tuple[EnvVar, ...] = ()
    security_context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def image_tag(self) -> str:
        tail = self.image.rsplit("/", 1)[-1]
        return tail.split("@", 1)[0].partition(":")[2]

    def flag_values(self, name: str) -> tuple[str | None, ...]:
        key = name.lstrip("-")
        return tuple(f.value for f in self.flags if f.name == key)

    def flag_value(self, name: str) -> str | None:
        """The effective value: pflag lets the last repeat win."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def has_flag(self, name: str) -> bool:
        key = name.lstrip("-")
        return any(f.name == key for f in self.flags)

    def secret_env(self) -> tuple[EnvVar, ...]:
        return tuple(e for e in self.env if e.looks_secret)


@record
class FlagPath:
    """A file path named by a flag, with where it came from."""

    container: str
    flag: str
    path: str


@record
class ManifestInfo:
    """A static Pod. `problems` lists malformed parts that did not stop the decode."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    priority_class_name: str
    priority: int | None
    host_network: bool | None
    security_context: Mapping[str, Any]
    volumes: tuple[Volume, ...]
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...] = ()
    api_version: str = ""
    problems: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Where each field path was read (1-based lines), keys given twice, and the documents
    # after the first, which the kubelet never reads.
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    duplicate_keys: tuple[str, ...] = ()
    more_documents: int = 0

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)

    def container(self, name: str | None = None) -> Container | None:
        """The named container, or the first one (a kubeadm pod has exactly one)."""
        for c in self.containers:
            if name is None or c.name == name:
                return c
        return None

    def volume(self, name: str) -> Volume | None:
        return next((v for v in self.volumes if v.name == name), None)

    def file_paths(self) -> tuple[FlagPath, ...]:
        """Every absolute path a flag value names (comma lists split), in flag order."""
        return tuple(FlagPath(c.name, f.name, path)
                     for c in (*self.init_containers, *self.containers)
                     for f in c.flags for path in paths_in(f.value))


def paths_in(value: str | None) -> list[str]:
    """The absolute paths a flag value names: comma lists split, and --tls-sni-cert-key's
    "cert,key:domains" read as its paths."""
    parts = (part.split(":", 1)[0].strip() for part in (value or "").split(","))
    return [path for path in parts if path.startswith("/")]


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of a field path, or of the nearest enclosing part that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def manifest_from_doc(doc: Any) -> ManifestInfo:
    """A Pod from a document already loaded (kexplore.core.read.read_pod.decode_manifest
    loads it from bytes; the scanner sniffs before it decodes)."""
    if doc is None:
        raise DecodeError("empty document")
    if not isinstance(doc, dict):
        raise DecodeError(f"not a Pod: the document is {type_name(doc)}, not a mapping")
    kind = doc.get("kind")
    if kind in ("List", "PodList"):
        raise DecodeError(
            f"not a Pod: kind is {kind!r}; the kubelet reads one Pod per file and refuses a list"
        )
    if kind != "Pod":
        raise DecodeError(f"not a Pod: kind is {kind!r}" if kind else "not a Pod: no kind")
    problems: list[str] = []
    meta = _mapping(doc, "metadata", problems)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise DecodeError(f"spec is {type_name(spec)}, not a mapping")
    raw_containers = spec.get("containers")
    if not isinstance(raw_containers, list):
        raise DecodeError(f"spec.containers is {type_name(raw_containers)}, not a list")
    containers = _containers(raw_containers, "spec.containers", problems)
    if not containers:
        problems.append("spec.containers holds no container")
    init_raw = spec.get("initContainers") or []
    if not isinstance(init_raw, list):
        problems.append(f"spec.initContainers is {type_name(init_raw)}, not a list")
        init_raw = []
    priority = spec.get("priority")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        problems.append(f"spec.priority is {type_name(priority)}, not an integer")
        priority = None
    host_network = spec.get("hostNetwork")
    if host_network is not None and not isinstance(host_network, bool):
        problems.append(f"spec.hostNetwork is {host_network!r}, not true or false")
        host_network = None
    return ManifestInfo(
        name=scalar_text(meta.get("name")),
        namespace=scalar_text(meta.get("namespace")),
        labels=_str_map(meta, "labels", problems, "metadata."),
        annotations=_str_map(meta, "annotations", problems, "metadata."),
        priority_class_name=scalar_text(spec.get("priorityClassName")),
        priority=priority,
        host_network=host_network,
        security_context=_mapping(spec, "securityContext", problems, "spec."),
        volumes=_volumes(spec.get("volumes"), problems),
        containers=containers,
        init_containers=_containers(init_raw, "spec.initContainers", problems),
        api_version=scalar_text(doc.get("apiVersion")),
        problems=tuple(problems),
        raw=doc,
    )


def type_name(value: object) -> str:
    """What a YAML value is, in words for a message: "a list", "a string", "missing"."""
    if value is None:
        return "missing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)


def scalar_text(value: object) -> str:
    """A YAML scalar as text: missing is empty, a number or boolean its spelling."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _mapping(doc: Mapping[str, Any], key: str, problems: list[str], prefix: str = "") -> dict:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{prefix}{key} is {type_name(value)}, not a mapping")
        return {}
    return value


def _str_map(doc: Mapping[str, Any], key: str, problems: list[str], prefix: str) -> dict:
    return {str(k): scalar_text(v) for k, v in _mapping(doc, key, problems, prefix).items()}


def _str_list(value: object, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"{where} is {type_name(value)}, not a list")
        return ()
    good = [v for v in value if isinstance(v, str | int | float) and not isinstance(v, bool)]
    if len(good) != len(value):
        problems.append(f"{where} holds {len(value) - len(good)} item(s) that are not strings")
    return tuple(scalar_text(v) for v in good)


def _list_of_maps(value: object, where: str, problems: list[str]) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where} is {type_name(value)}, not a list")
        return []
    good = [v for v in value if isinstance(v, dict)]
    if len(good) != len(value):
        problems.append(f"{where} holds {len(value) - len(good)} item(s) that are not mappings")
    return good


def _volumes(value: object, problems: list[str]) -> tuple[Volume, ...]:
    out = []
    for v in _list_of_maps(value, "spec.volumes", problems):
        sources = [k for k in v if k != "name"]
        host = v.get("hostPath")
        if "hostPath" in v and not isinstance(host, dict):
            problems.append(f"volume {v.get('name')!r}: hostPath is not a mapping")
            host = {}
        host = host or {}
        out.append(
            Volume(
                name=scalar_text(v.get("name")),
                host_path=scalar_text(host.get("path")),
                type=scalar_text(host.get("type")),
                source=sources[0] if sources else "",
            )
        )
    return tuple(out)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _containers(value: list[Any], where: str, problems: list[str]) -> tuple[Container, ...]:
    out = []
    for i, c in enumerate(_list_of_maps(value, where, problems)):
        name = scalar_text(c.get("name")) or f"#{i}"
        at = f"{where}[{name}]"
        command = _str_list(c.get("command"), f"{at}.command", problems)
        args = _str_list(c.get("args"), f"{at}.args", problems)
        items = command + args
        # the first command item is the binary, not a flag nor a positional argument
        skip = 1 if command and not command[0].startswith("-") else 0
        flags, positionals = parse_flags(items[skip:])
        flags = tuple(Flag(f.name, f.value, f.index + skip) for f in flags)
        probes = {k: c[k] for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in c}
        mounts = tuple(
            VolumeMount(
                scalar_text(m.get("name")),
                scalar_text(m.get("mountPath")),
                m.get("readOnly") is True,
            )
            for m in _list_of_maps(c.get("volumeMounts"), f"{at}.volumeMounts", problems)
        )
        ports = tuple(
            Port(
                scalar_text(p.get("name")),
                _int_or_none(p.get("containerPort")),
                scalar_text(p.get("protocol")) or "TCP",
                _int_or_none(p.get("hostPort")),
            )
            for p in _list_of_maps(c.get("ports"), f"{at}.ports", problems)
        )
        env = tuple(
            EnvVar(
                scalar_text(e.get("name")),
                None if "value" not in e else scalar_text(e.get("value")),
                "valueFrom" in e,
            )
            for e in _list_of_maps(c.get("env"), f"{at}.env", problems)
        )
        out.append(
            Container(
                name=name,
                image=scalar_text(c.get("image")),
                command=command,
                args=args,
                flags=flags,
                positionals=positionals,
                image_pull_policy=scalar_text(c.get("imagePullPolicy")),
                probes=probes,
                resources=_mapping(c, "resources", problems, f"{at}."),
                volume_mounts=mounts,
                ports=ports,
                env=env,
                security_context=_mapping(c, "securityContext", problems, f"{at}."),
            )
        )
    return tuple(out)
