"""The static pods kubeadm writes, as data: flags, probes, volumes, and the pod around them.

`expected_pod` builds the Pod kubeadm would write for given parameters, as the plain
mapping its YAML holds; the generator dumps it, the diff holds a real manifest against it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from kexplore.core.conventions.versions import (
    ALWAYS,
    Span,
    Variant,
    etcd_minor_for,
    etcd_tag,
    pick,
    since,
    until,
)
from kexplore.core.params import ClusterParams, host_port
from kexplore.core.records import record

K8S_DIR = "/etc/kubernetes"
PKI_DIR = "/etc/kubernetes/pki"
ETCD_DATA_DIR = "/var/lib/etcd"
PRIORITY_CLASS = "system-node-critical"
ETCD_URLS_ANNOTATION = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
APISERVER_ENDPOINT_ANNOTATION = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
PRIORITY = 2000001000
NAMESPACE = "kube-system"
TIER = "control-plane"


@record
class PodConvention:
    """One of the conventions every control-plane static pod follows, and why it exists."""

    rule: str
    expected: str
    why: str


POD_CONVENTIONS: tuple[PodConvention, ...] = (
    PodConvention(
        "manifest-namespace",
        f"metadata.namespace: {NAMESPACE}",
        "kubelet publishes the static pod's mirror in this namespace; elsewhere the "
        "control plane is invisible to `kubectl -n kube-system` and to kubeadm upgrade",
    ),
    PodConvention(
        "manifest-labels",
        f"labels component: <name> and tier: {TIER}",
        "kubeadm upgrade, kubectl selectors and monitoring find control-plane pods by "
        "these labels; without them the pod is missed",
    ),
    PodConvention(
        "manifest-priority-class",
        f"spec.priorityClassName: {PRIORITY_CLASS}",
        "without the highest node priority the kubelet may evict or preempt the "
        "control plane under memory or disk pressure",
    ),
    PodConvention(
        "manifest-host-network",
        "spec.hostNetwork: true",
        "the control plane must listen on the node's own addresses before any pod "
        "network exists; off the host network it cannot start the cluster",
    ),
    PodConvention(
        "manifest-leader-elect",
        "--leader-elect=true",
        "with several control-plane nodes, two active controller managers or schedulers "
        "would fight over the same objects; leader election keeps exactly one active",
    ),
)
POD_CONVENTIONS_BY_RULE = {c.rule: c for c in POD_CONVENTIONS}
LEADER_ELECTED = ("kube-controller-manager", "kube-scheduler")


@record
class Volume:
    """A hostPath volume kubeadm gives a static pod, and where the container mounts it."""

    name: str
    host_path: str
    mount_path: str
    type: str = "DirectoryOrCreate"
    read_only: bool = True
    # Host-dependent: kubeadm adds it only where the path exists on the host.
    optional: bool = False


@record
class ProbePaths:
    """The HTTP paths of a static pod's liveness, readiness and startup probes."""

    liveness: str
    readiness: str | None
    startup: str


@record
class StaticPodSpec:
    """What kubeadm writes for one static pod: its flags, probes, resources and volumes."""

    name: str
    flags: Callable[[ClusterParams], dict[str, str]]
    probes: tuple[Variant[ProbePaths], ...]
    probe_port: Callable[[ClusterParams], int]
    probe_host: Callable[[ClusterParams], str]
    probe_scheme: str
    cpu: str
    volumes: Callable[[ClusterParams], list[Volume]]
    annotations: Callable[[ClusterParams], dict[str, str]]
    purpose: str
    memory: str | None = None
    local_etcd_only: bool = False

    @property
    def file(self) -> str:
        return f"manifests/{self.name}.yaml"

    def applies(self, params: ClusterParams) -> bool:
        return params.local_etcd or not self.local_etcd_only

    def image(self, params: ClusterParams) -> str:
        if self.name == "etcd":
            tag = params.etcd_image_tag or etcd_tag(params.version)
        else:
            tag = f"v{params.version.major}.{params.version.minor}.{params.version.patch}"
        return f"{params.image_repository}/{self.name}:{tag}"


# --- flags -----------------------------------------------------------------------------


def _pki(params: ClusterParams, name: str) -> str:
    return f"{params.cert_dir}/{name}"


def apiserver_flags(params: ClusterParams) -> dict[str, str]:
    if params.local_etcd:
        loopback = "[::1]" if params.ipv6 else "127.0.0.1"
        etcd = {
            "etcd-cafile": _pki(params, "etcd/ca.crt"),
            "etcd-certfile": _pki(params, "apiserver-etcd-client.crt"),
            "etcd-keyfile": _pki(params, "apiserver-etcd-client.key"),
            "etcd-servers": f"https://{loopback}:2379",
        }
    else:
        etcd = {
            "etcd-cafile": params.external_etcd_ca,
            "etcd-certfile": params.external_etcd_cert,
            "etcd-keyfile": params.external_etcd_key,
            "etcd-servers": ",".join(params.external_etcd_endpoints),
        }
    return {
        "advertise-address": params.advertise_address,
        "allow-privileged": "true",
        "authorization-mode": "Node,RBAC",
        "client-ca-file": _pki(params, "ca.crt"),
        "enable-admission-plugins": "NodeRestriction",
        "enable-bootstrap-token-auth": "true",
        **etcd,
        "kubelet-client-certificate": _pki(params, "apiserver-kubelet-client.crt"),
        "kubelet-client-key": _pki(params, "apiserver-kubelet-client.key"),
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": _pki(params, "front-proxy-client.crt"),
        "proxy-client-key-file": _pki(params, "front-proxy-client.key"),
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-client-ca-file": _pki(params, "front-proxy-ca.crt"),
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "secure-port": str(params.bind_port),
        "service-account-issuer": f"https://kubernetes.default.svc.{params.dns_domain}",
        "service-account-key-file": _pki(params, "sa.pub"),
        "service-account-signing-key-file": _pki(params, "sa.key"),
        "service-cluster-ip-range": params.service_subnet,
        "tls-cert-file": _pki(params, "apiserver.crt"),
        "tls-private-key-file": _pki(params, "apiserver.key"),
    }


def controller_manager_flags(params: ClusterParams) -> dict[str, str]:
    kubeconfig = f"{K8S_DIR}/controller-manager.conf"
    flags = {
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "bind-address": "127.0.0.1",
        "client-ca-file": _pki(params, "ca.crt"),
        "cluster-name": params.cluster_name,
        "cluster-signing-cert-file": _pki(params, "ca.crt"),
        "cluster-signing-key-file": _pki(params, "ca.key"),
        "controllers": "*,bootstrapsigner,tokencleaner",
        "kubeconfig": kubeconfig,
        "leader-elect": "true",
        "requestheader-client-ca-file": _pki(params, "front-proxy-ca.crt"),
        "root-ca-file": _pki(params, "ca.crt"),
        "service-account-private-key-file": _pki(params, "sa.key"),
        "use-service-account-credentials": "true",
    }
    if params.pod_subnet:
        # Node CIDR allocation only makes sense once kubeadm knows the pod network.
        flags["allocate-node-cidrs"] = "true"
        flags["cluster-cidr"] = params.pod_subnet
        flags["service-cluster-ip-range"] = params.service_subnet
    return flags


def scheduler_flags(_params: ClusterParams) -> dict[str, str]:
    kubeconfig = f"{K8S_DIR}/scheduler.conf"
    return {
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "bind-address": "127.0.0.1",
        "kubeconfig": kubeconfig,
        "leader-elect": "true",
    }


ETCD_36_FLAGS_ONLY: Span = since(36)
# The flags kubeadm picks by the etcd minor, and those etcd before 3.6 does not know.
ETCD_VERSIONED_FLAGS = (
    "feature-gates",
    "watch-progress-notify-interval",
    "experimental-initial-corrupt-check",
    "experimental-watch-progress-notify-interval",
)
ETCD_36_ONLY_FLAGS = ("feature-gates", "watch-progress-notify-interval")
# kubeadm 1.31+ probes etcd on /livez and /readyz (kubernetes#124465), which etcd serves
# from 3.5.11 on; an older etcd answers 404 there (static-pods.md §6.2)
ETCD_HEALTH_PATHS = ("/livez", "/readyz")
ETCD_HEALTH_PATHS_SINCE = (3, 5, 11)


def etcd_flags(params: ClusterParams) -> dict[str, str]:
    adv = params.advertise_address
    loopback = "[::1]" if params.ipv6 else "127.0.0.1"
    client_url = f"https://{host_port(adv, 2379)}"
    peer_url = f"https://{host_port(adv, 2380)}"
    flags = {
        "advertise-client-urls": client_url,
        "cert-file": _pki(params, "etcd/server.crt"),
        "client-cert-auth": "true",
        "data-dir": ETCD_DATA_DIR,
        "initial-advertise-peer-urls": peer_url,
        "initial-cluster": ",".join((*params.etcd_members, f"{params.node_name}={peer_url}")),
        "key-file": _pki(params, "etcd/server.key"),
        "listen-client-urls": f"https://{loopback}:2379,{client_url}",
        "listen-metrics-urls": f"http://{loopback}:2381",
        "listen-peer-urls": peer_url,
        "name": params.node_name,
        "peer-cert-file": _pki(params, "etcd/peer.crt"),
        "peer-client-cert-auth": "true",
        "peer-key-file": _pki(params, "etcd/peer.key"),
        "peer-trusted-ca-file": _pki(params, "etcd/ca.crt"),
        # etcd 3.7 kept --snapshot-count (etcd-io/etcd#21162); that kubeadm 1.37 still
        # passes it, and that etcd 3.7 still takes the InitialCorruptCheck gate below, are
        # presumed, not read [U]: no change was found in 1.37's notes.
        "snapshot-count": "10000",
        "trusted-ca-file": _pki(params, "etcd/ca.crt"),
    }
    if params.etcd_members:
        # a joining member: the cluster exists, and this node is added to it
        flags["initial-cluster-state"] = "existing"
    # etcd 3.6 graduated these from --experimental-* flags: kubeadm 1.34 and 1.35 pick by
    # the etcd version, 1.36 dropped the older branch (#135701) and always writes these.
    if ETCD_36_FLAGS_ONLY.covers(params.version) or etcd_minor_for(
        params.etcd_image_tag, params.version
    ) >= (3, 6):
        flags["feature-gates"] = "InitialCorruptCheck=true"
        flags["watch-progress-notify-interval"] = "5s"
    else:
        flags["experimental-initial-corrupt-check"] = "true"
        flags["experimental-watch-progress-notify-interval"] = "5s"
    return flags


# Flags whose loss or change weakens the control plane: never a mere customisation.
GUARDED_FLAGS = frozenset(
    {
        "authorization-mode",
        "enable-admission-plugins",
        "client-ca-file",
        "bind-address",
        "leader-elect",
        "tls-cert-file",
        "tls-private-key-file",
        "service-account-key-file",
        "service-account-signing-key-file",
        "service-account-private-key-file",
        "requestheader-client-ca-file",
        "kubelet-client-certificate",
        "kubelet-client-key",
        "etcd-cafile",
        "etcd-certfile",
        "etcd-keyfile",
        "client-cert-auth",
        "peer-client-cert-auth",
        "trusted-ca-file",
        "peer-trusted-ca-file",
        "cert-file",
        "key-file",
        "peer-cert-file",
        "peer-key-file",
        "kubeconfig",
        "root-ca-file",
        "use-service-account-credentials",
        "allow-privileged",
        "secure-port",
    }
)

# What each component does with a flag it is not given, for the flags where that matters
# to a comparison: an absent flag and the same flag set to its default are one thing.
COMPONENT_DEFAULTS: dict[str, dict[str, str]] = {
    "kube-apiserver": {"bind-address": "0.0.0.0", "secure-port": "6443"},
    "kube-controller-manager": {"bind-address": "0.0.0.0", "leader-elect": "true"},
    "kube-scheduler": {"bind-address": "0.0.0.0", "leader-elect": "true"},
}

# List flags where kubeadm relies on some members only: more members is a customisation,
# losing one of these is a weakening.
REQUIRED_MEMBERS: dict[str, tuple[str, ...]] = {
    "enable-admission-plugins": ("NodeRestriction",),
    "authorization-mode": ("Node", "RBAC"),
}
# Members that undo what the required ones give, wherever they stand in the list.
UNDOING_MEMBERS: dict[str, tuple[str, ...]] = {
    "authorization-mode": ("AlwaysAllow",),
    "disable-admission-plugins": ("NodeRestriction",),
}
# kubeadm join writes these on every control-plane node it adds to a stacked etcd.
ETCD_JOIN_STATE = ("initial-cluster-state", "existing")

# Flags whose absence or change is a known, deliberate customisation rather than a defect
# (what kubeadm's extraArgs are typically used for).
KNOWN_CUSTOMISATION_PREFIXES = (
    "audit-",
    "oidc-",
    "encryption-provider-config",
    "feature-gates",
    "profiling",
    "anonymous-auth",
    "kubelet-certificate-authority",
    "tls-cipher-suites",
    "tls-min-version",
    "event-ttl",
    "v",
    "authorization-config",
    "authentication-config",
    "admission-control-config-file",
    "terminated-pod-gc-threshold",
    "max-requests-inflight",
    "max-mutating-requests-inflight",
    "default-not-ready-toleration-seconds",
    "default-unreachable-toleration-seconds",
    "service-node-port-range",
    "node-monitor-grace-period",
    "cloud-provider",
    "flex-volume-plugin-dir",
)


# --- volumes ---------------------------------------------------------------------------

# The host's CA trust stores; which exist depends on the distribution (these are Debian's).
CA_TRUST_VOLUMES = (
    Volume("ca-certs", "/etc/ssl/certs", "/etc/ssl/certs"),
    Volume("etc-ca-certificates", "/etc/ca-certificates", "/etc/ca-certificates", optional=True),
    Volume(
        "usr-local-share-ca-certificates",
        "/usr/local/share/ca-certificates",
        "/usr/local/share/ca-certificates",
        optional=True,
    ),
    Volume(
        "usr-share-ca-certificates",
        "/usr/share/ca-certificates",
        "/usr/share/ca-certificates",
        optional=True,
    ),
)
# Present on RHEL-like hosts only; names per version (reference §4.2).
RHEL_CA_VOLUMES = (
    Volume("etc-pki", "/etc/pki", "/etc/pki", optional=True),
    Volume("etc-pki-ca-trust", "/etc/pki/ca-trust", "/etc/pki/ca-trust", optional=True),
    Volume("etc-pki-tls-certs", "/etc/pki/tls/certs", "/etc/pki/tls/certs", optional=True),
)
K8S_CERTS = Volume("k8s-certs", PKI_DIR, PKI_DIR)


def cert_volume(params: ClusterParams) -> Volume:
    """kubeadm mounts its certificatesDir at the same path inside the pod."""
    return Volume("k8s-certs", params.cert_dir, params.cert_dir)


def _external_etcd_volumes(params: ClusterParams) -> list[Volume]:
    """kubeadm mounts each external etcd file's folder unless a volume already covers it."""
    covered = [params.cert_dir, *(v.host_path for v in CA_TRUST_VOLUMES)]
    folders: list[str] = []
    for path in (params.external_etcd_ca, params.external_etcd_cert, params.external_etcd_key):
        folder = posixpath.dirname(path)
        inside = any(folder == c or folder.startswith(c + "/") for c in covered)
        if folder and not inside and folder not in folders:
            folders.append(folder)
    return [Volume(f"etcd-certs-{i}", folder, folder) for i, folder in enumerate(folders)]


def apiserver_volumes(params: ClusterParams) -> list[Volume]:
    extra = [] if params.local_etcd else _external_etcd_volumes(params)
    return [*CA_TRUST_VOLUMES, cert_volume(params), *extra]


FLEXVOLUME = Volume(
    "flexvolume-dir",
    "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
    "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
    read_only=False,
)
# kubeadm 1.36 removed its flex-volume support (#136423): no volume, no mount.
FLEXVOLUME_MOUNTED: Span = until(35)


def controller_manager_volumes(params: ClusterParams) -> list[Volume]:
    flex = [FLEXVOLUME] if FLEXVOLUME_MOUNTED.covers(params.version) else []
    return [
        *CA_TRUST_VOLUMES,
        cert_volume(params),
        *flex,
        Volume(
            "kubeconfig",
            f"{K8S_DIR}/controller-manager.conf",
            f"{K8S_DIR}/controller-manager.conf",
            type="FileOrCreate",
        ),
    ]


def scheduler_volumes(_params: ClusterParams) -> list[Volume]:
    path = f"{K8S_DIR}/scheduler.conf"
    return [Volume("kubeconfig", path, path, type="FileOrCreate")]


def etcd_volumes(params: ClusterParams) -> list[Volume]:
    # Listed data first: kubeadm writes etcd's mounts as an explicit list, not a sorted map.
    return [
        Volume("etcd-data", ETCD_DATA_DIR, ETCD_DATA_DIR, read_only=False),
        Volume("etcd-certs", f"{params.cert_dir}/etcd", f"{params.cert_dir}/etcd", read_only=False),
    ]


# --- the four static pods --------------------------------------------------------------


def _advertise(params: ClusterParams) -> str:
    return params.advertise_address


def _loopback(params: ClusterParams) -> str:
    return "::1" if params.ipv6 else "127.0.0.1"


STATIC_PODS: tuple[StaticPodSpec, ...] = (
    StaticPodSpec(
        name="etcd",
        flags=etcd_flags,
        probes=(
            Variant(
                until(30),
                ProbePaths(
                    "/health?exclude=NOSPACE&serializable=true", None, "/health?serializable=false"
                ),
            ),
            Variant(since(31), ProbePaths("/livez", "/readyz", "/readyz")),
        ),
        probe_port=lambda _p: 2381,
        probe_host=_loopback,
        probe_scheme="HTTP",
        cpu="100m",
        memory="100Mi",
        volumes=etcd_volumes,
        annotations=lambda p: {
            ETCD_URLS_ANNOTATION: f"https://{host_port(p.advertise_address, 2379)}"
        },
        purpose="etcd, the cluster's database, stacked on this node",
        local_etcd_only=True,
    ),
    StaticPodSpec(
        name="kube-apiserver",
        flags=apiserver_flags,
        probes=(Variant(ALWAYS, ProbePaths("/livez", "/readyz", "/livez")),),
        probe_port=lambda p: p.bind_port,
        probe_host=_advertise,
        probe_scheme="HTTPS",
        cpu="250m",
        volumes=apiserver_volumes,
        annotations=lambda p: {
            APISERVER_ENDPOINT_ANNOTATION: host_port(p.advertise_address, p.bind_port)
        },
        purpose="the API server, front door of the cluster",
    ),
    StaticPodSpec(
        name="kube-controller-manager",
        flags=controller_manager_flags,
        probes=(Variant(ALWAYS, ProbePaths("/healthz", None, "/healthz")),),
        probe_port=lambda _p: 10257,
        probe_host=lambda _p: "127.0.0.1",
        probe_scheme="HTTPS",
        cpu="200m",
        volumes=controller_manager_volumes,
        annotations=lambda _p: {},
        purpose="the controller manager, which drives the cluster towards its desired state",
    ),
    StaticPodSpec(
        name="kube-scheduler",
        flags=scheduler_flags,
        probes=(
            Variant(until(31), ProbePaths("/healthz", None, "/healthz")),
            Variant(since(32), ProbePaths("/livez", "/readyz", "/livez")),
        ),
        probe_port=lambda _p: 10259,
        probe_host=lambda _p: "127.0.0.1",
        probe_scheme="HTTPS",
        cpu="100m",
        volumes=scheduler_volumes,
        annotations=lambda _p: {},
        purpose="the scheduler, which places pods on nodes",
    ),
)
# pflag list and map flags add up when repeated; only a single-valued flag loses a value.
ACCUMULATING_FLAGS = frozenset({
    "enable-admission-plugins", "disable-admission-plugins", "tls-sni-cert-key",
    "api-audiences", "authorization-mode", "etcd-servers", "service-account-issuer",
    "service-account-key-file", "feature-gates", "runtime-config", "controllers",
    "tls-cipher-suites", "cors-allowed-origins", "requestheader-allowed-names",
    "requestheader-extra-headers-prefix", "requestheader-group-headers",
    "requestheader-username-headers", "etcd-servers-overrides", "kubelet-preferred-address-types",
    "allow-metric-labels", "authorization-always-allow-paths", "listen-client-urls",
    "listen-peer-urls", "listen-metrics-urls", "advertise-client-urls", "cipher-suites",
})
STATIC_PODS_BY_NAME = {spec.name: spec for spec in STATIC_PODS}
STATIC_PODS_BY_FILE = {spec.file: spec for spec in STATIC_PODS}
# The kubelet decodes every file of manifests/ alike, whatever its suffix: a JSON (or .yml)
# kube-controller-manager stands in for kubeadm's .yaml when that is not there.
STAND_IN_SUFFIXES = (".json", ".yml")


def manifest_file(spec: StaticPodSpec, present: Callable[[str], bool]) -> str:
    """The tree path holding kubeadm's pod for `spec`: its .yaml, else a .json or .yml of
    the same name standing in for it; the .yaml when none is there."""
    if present(spec.file):
        return spec.file
    stem = spec.file.removesuffix(".yaml")
    return next((stem + s for s in STAND_IN_SUFFIXES if present(stem + s)), spec.file)


def static_pod_in(path: str, present: Callable[[str], bool]) -> StaticPodSpec | None:
    """kubeadm's pod the file at `path` holds: its own .yaml, or the stand-in for one that
    is not there; None for any other file (a third-party pod, a .json beside the .yaml)."""
    spec = STATIC_PODS_BY_FILE.get(path)
    if spec is not None:
        return spec
    stem, dot, _ = path.rpartition(".")
    spec = STATIC_PODS_BY_FILE.get(f"{stem}.yaml") if dot else None
    return spec if spec is not None and manifest_file(spec, present) == path else None


def image_of_another(component: str, image: str) -> str:
    """The kubeadm component whose image `image` is, when it is not `component`'s own
    (kube-controller-manager:v1.30.0 under the scheduler); "" otherwise. kubeadm's images
    are distroless: each holds its own binary and no other."""
    repository = image.rsplit("/", 1)[-1].split("@", 1)[0].partition(":")[0]
    return repository if repository in STATIC_PODS_BY_NAME and repository != component else ""

# Version markers in the pod itself (reference §7).
NAMED_PROBE_PORT: Span = since(34)
CREATION_TIMESTAMP_NULL: Span = until(33)


def static_pods_for(params: ClusterParams) -> tuple[StaticPodSpec, ...]:
    return tuple(spec for spec in STATIC_PODS if spec.applies(params))


def command_line(spec: StaticPodSpec, params: ClusterParams) -> list[str]:
    """The binary, then every flag as --name=value, sorted by name as kubeadm sorts them.
    Since 1.36 (#135400) extraArgs overrides keep their own order after the sorted defaults
    or before them [U]; the checker compares flags by name, so either reads the same."""
    flags = spec.flags(params)
    return [spec.name, *(f"--{name}={flags[name]}" for name in sorted(flags))]


def _probe(kind: str, path: str, spec: StaticPodSpec, params: ClusterParams) -> dict[str, Any]:
    port: int | str = (
        "probe-port" if NAMED_PROBE_PORT.covers(params.version) else spec.probe_port(params)
    )
    probe: dict[str, Any] = {
        "httpGet": {
            "host": spec.probe_host(params),
            "path": path,
            "port": port,
            "scheme": spec.probe_scheme,
        },
        "timeoutSeconds": 15,
    }
    if kind == "readiness":
        probe.update(failureThreshold=3, periodSeconds=1)
    else:
        # The startup probe allows kubeadm's 4-minute control-plane health timeout.
        probe.update(
            failureThreshold=8 if kind == "liveness" else 24,
            initialDelaySeconds=10,
            periodSeconds=10,
        )
    return probe


def expected_pod(spec: StaticPodSpec, params: ClusterParams) -> dict[str, Any]:
    """The Pod kubeadm writes for `spec`, as the mapping its YAML holds."""
    version = params.version
    paths = pick(spec.probes, version)
    volumes = spec.volumes(params)
    container: dict[str, Any] = {
        "command": command_line(spec, params),
        "image": spec.image(params),
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("liveness", paths.liveness, spec, params),
        "name": spec.name,
        "resources": {
            "requests": {"cpu": spec.cpu, **({"memory": spec.memory} if spec.memory else {})}
        },
        "startupProbe": _probe("startup", paths.startup, spec, params),
        "volumeMounts": [_mount(v) for v in _mount_order(spec, volumes)],
    }
    if paths.readiness:
        container["readinessProbe"] = _probe("readiness", paths.readiness, spec, params)
    if NAMED_PROBE_PORT.covers(version):
        container["ports"] = [
            {"containerPort": spec.probe_port(params), "name": "probe-port", "protocol": "TCP"}
        ]
    metadata: dict[str, Any] = {
        "labels": {"component": spec.name, "tier": TIER},
        "name": spec.name,
        "namespace": NAMESPACE,
    }
    annotations = spec.annotations(params)
    if annotations:
        metadata["annotations"] = annotations
    if CREATION_TIMESTAMP_NULL.covers(version):
        metadata["creationTimestamp"] = None
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [container],
            "hostNetwork": True,
            "priority": PRIORITY,
            "priorityClassName": PRIORITY_CLASS,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [_volume(v) for v in sorted(volumes, key=lambda v: v.name)],
        },
        "status": {},
    }


def _mount_order(spec: StaticPodSpec, volumes: list[Volume]) -> list[Volume]:
    return volumes if spec.name == "etcd" else sorted(volumes, key=lambda v: v.name)


def _mount(volume: Volume) -> dict[str, Any]:
    mount: dict[str, Any] = {"mountPath": volume.mount_path, "name": volume.name}
    if volume.read_only:
        mount["readOnly"] = True
    return mount


def _volume(volume: Volume) -> dict[str, Any]:
    return {"hostPath": {"path": volume.host_path, "type": volume.type}, "name": volume.name}
