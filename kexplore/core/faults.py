"""The defects `kexplore generate --fault` can plant, each named after the rule that reports it."""

from __future__ import annotations

from kexplore.core.conventions.certs import CA_NAMES, CERTS
from kexplore.core.conventions.files import DIRECTORY_MODES
from kexplore.core.conventions.ha import PER_NODE, SHARED
from kexplore.core.conventions.kubeconfigs import KUBECONFIGS
from kexplore.core.conventions.manifests import LEADER_ELECTED, STATIC_PODS
from kexplore.core.records import record

CERT_NAMES = tuple(spec.name for spec in CERTS if spec.file)
LEAF_NAMES = tuple(name for name in CERT_NAMES if name not in CA_NAMES)
ALL_CERT_NAMES = tuple(spec.name for spec in CERTS)
KUBECONFIG_FILES = tuple(spec.file for spec in KUBECONFIGS)
POD_NAMES = tuple(spec.name for spec in STATIC_PODS)


@record
class FaultSpec:
    name: str  # also the rule id the checker reports for it
    description: str
    default_target: str
    targets: tuple[str, ...]


@record
class Fault:
    """One fault to plant, on one target."""

    name: str
    target: str

    def __str__(self) -> str:
        return f"{self.name}:{self.target}"


FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec("cert-expired", "a certificate that expired a day ago", "apiserver", ALL_CERT_NAMES),
    FaultSpec(
        "cert-expiring", "a certificate with 10 days left", "front-proxy-client", ALL_CERT_NAMES
    ),
    FaultSpec(
        "cert-not-yet-valid",
        "a certificate valid only from tomorrow",
        "apiserver-kubelet-client",
        ALL_CERT_NAMES,
    ),
    FaultSpec(
        "cert-chain",
        "a certificate signed by an impostor CA with the right name",
        "apiserver",
        tuple(n for n in ALL_CERT_NAMES if n not in CA_NAMES),
    ),
    FaultSpec(
        "ca-replaced",
        "a CA swapped for an earlier init's CA of the same name (a restore from the wrong "
        "backup), under the certificates the tree's own CA issued",
        "ca",
        ("ca", "etcd-ca"),
    ),
    FaultSpec(
        "key-mismatch",
        "a private key that does not match its certificate (target sa: sa.key against sa.pub)",
        "apiserver",
        (*CERT_NAMES, "sa"),
    ),
    FaultSpec(
        "ca-constraints",
        "a CA certificate without CA:TRUE and keyCertSign",
        "front-proxy-ca",
        CA_NAMES,
    ),
    FaultSpec(
        "cert-san-missing",
        "a serving certificate missing a SAN kubeadm includes "
        "(apiserver: the advertise address; etcd: 127.0.0.1)",
        "apiserver",
        ("apiserver", "etcd-server", "etcd-peer"),
    ),
    FaultSpec(
        "cert-subject",
        "a certificate with the wrong common name",
        "front-proxy-client",
        LEAF_NAMES,  # a kubeconfig's wrong identity is kubeconfig-client-cert
    ),
    FaultSpec(
        "cert-usage",
        "a certificate with the wrong extended key usage",
        "apiserver",
        tuple(n for n in ALL_CERT_NAMES if n not in CA_NAMES),
    ),
    FaultSpec(
        "kubeconfig-ca-mismatch",
        "a kubeconfig whose embedded CA is not pki/ca.crt",
        "admin.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-client-cert",
        "a kubeconfig that embeds another component's identity",
        "scheduler.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-server",
        "a kubeconfig pointing at the wrong API server",
        "controller-manager.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-context",
        "a kubeconfig whose current context does not exist",
        "admin.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-file-missing",
        "a kubeconfig naming client files that are not there",
        "kubelet.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "manifest-namespace", "a static pod outside kube-system", "kube-apiserver", POD_NAMES
    ),
    FaultSpec(
        "manifest-labels", "a static pod without its tier label", "kube-scheduler", POD_NAMES
    ),
    FaultSpec(
        "manifest-priority-class",
        "a static pod without system-node-critical",
        "kube-controller-manager",
        POD_NAMES,
    ),
    FaultSpec("manifest-host-network", "a static pod off the host network", "etcd", POD_NAMES),
    FaultSpec("manifest-leader-elect", "--leader-elect=false", "kube-scheduler", LEADER_ELECTED),
    FaultSpec(
        "manifest-file-missing",
        "a flag naming a file that is not there",
        "kube-apiserver",
        POD_NAMES,
    ),
    FaultSpec(
        "manifest-version-skew",
        "a component one minor version behind the API server",
        "kube-scheduler",
        tuple(n for n in POD_NAMES if n not in ("etcd", "kube-apiserver")),
    ),
    # would the kubelet run it (checks/pods): two targets at most, a kubeadm pod of each
    # shape; each target is a tree the tests generate and check
    FaultSpec(
        "pod-duplicate",
        "a copy of a static pod left in manifests/ as <name>.yaml.bak",
        "kube-scheduler",
        ("kube-scheduler", "etcd"),
    ),
    FaultSpec(
        "pod-backup-file",
        "an older copy of a static pod, renamed <name>-old, left in manifests/ as .yaml.orig",
        "kube-controller-manager",
        ("kube-controller-manager", "kube-scheduler"),
    ),
    FaultSpec(
        "pod-extra-document",
        "a second YAML document after the pod, which the kubelet never reads",
        "kube-controller-manager",
        ("kube-controller-manager", "etcd"),
    ),
    FaultSpec(
        "pod-duplicate-key",
        "priorityClassName given twice in one mapping",
        "kube-scheduler",
        ("kube-scheduler",),
    ),
    FaultSpec(
        "pod-dropped-field",
        "readOlny instead of readOnly on a mount: the kubelet mounts it read-write",
        "kube-apiserver",
        ("kube-apiserver", "kube-scheduler"),
    ),
    FaultSpec(
        "pod-decode-error",
        "a CPU request of '250 m'",
        "kube-controller-manager",
        ("kube-controller-manager", "etcd"),
    ),
    FaultSpec(
        "pod-invalid",
        "a volumeMount naming a volume that does not exist",
        "etcd",
        ("etcd", "kube-apiserver"),
    ),
    FaultSpec(
        "pod-probe",
        "a liveness probe on a port the component does not serve",
        "kube-apiserver",
        ("kube-apiserver", "etcd"),
    ),
    FaultSpec(
        "pod-probe-auth",
        "--anonymous-auth=false beside kubeadm's unauthenticated probes",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "etcd-plaintext",
        "http:// in --etcd-servers (kube-apiserver) or --listen-client-urls (etcd)",
        "kube-apiserver",
        ("kube-apiserver", "etcd"),
    ),
    FaultSpec(
        "pod-flag-value",
        "--advertise-address=<api_ip>, a placeholder where an IP is needed",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "pod-admission-config",
        "EventRateLimit enabled without --admission-control-config-file",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "pod-flag-missing",
        "--service-account-issuer, a flag kube-apiserver cannot start without, removed",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec("pod-flag-repeated", "--bind-address given twice", "kube-scheduler", LEADER_ELECTED),
    FaultSpec(
        "pod-host-port",
        "the scheduler moved onto the controller manager's --secure-port 10257, probes and all",
        "kube-scheduler",
        ("kube-scheduler",),
    ),
    FaultSpec(
        "pod-renamed",
        "a static pod with another metadata.name",
        "kube-scheduler",
        ("kube-scheduler", "kube-apiserver"),
    ),
    FaultSpec(
        "pod-mirror-export",
        "kubectl get pod -o yaml saved as the manifest (uid, resourceVersion, status)",
        "kube-controller-manager",
        ("kube-controller-manager", "etcd"),
    ),
    FaultSpec(
        "pod-image-name",
        "an image whose repository is not lower case (InvalidImageName)",
        "kube-scheduler",
        ("kube-scheduler",),
    ),
    FaultSpec(
        "pod-image",
        "an image from another registry",
        "kube-scheduler",
        ("kube-scheduler", "kube-apiserver"),
    ),
    FaultSpec(
        "pod-pki-path",
        "the pki hostPath moved away from /etc/kubernetes/pki",
        "kube-apiserver",
        ("kube-apiserver", "kube-controller-manager", "etcd"),
    ),
    FaultSpec(
        "manifest-volume-missing",
        "kube-vip copied from the init node: it mounts super-admin.conf, which this node "
        "lacks",
        "kube-vip",
        ("kube-vip",),
    ),
    FaultSpec(
        "pod-host-access",
        "hostPID: true on a kubeadm pod",
        "etcd",
        ("etcd", "kube-controller-manager"),
    ),
    FaultSpec(
        "pod-weakened",
        "the liveness probe removed",
        "kube-controller-manager",
        ("kube-controller-manager", "kube-scheduler"),
    ),
    FaultSpec(
        "etcd-data-dir",
        "etcd's --data-dir moved off the volume that holds its data",
        "etcd",
        ("etcd",),
    ),
    FaultSpec(
        "etcd-version",
        "etcd pinned to 3.4, older than the etcd kubeadm pairs with",
        "etcd",
        ("etcd",),
    ),
    FaultSpec(
        "file-mode",
        "a private key or kubeconfig readable by everyone",
        "apiserver",
        (*CERT_NAMES, "sa", *KUBECONFIG_FILES),
    ),
    FaultSpec(
        "dir-mode",
        "a folder of keys or static pods writable by everyone",
        "pki",
        tuple(DIRECTORY_MODES),
    ),
    FaultSpec(
        "parse-error", "a certificate cut off in the middle", "front-proxy-client", CERT_NAMES
    ),
    # --- the control plane as it runs (checks/connections.py) ---
    FaultSpec(
        "plane-not-mounted",
        "a flag naming a host file no volume shows the container (etcd: --trusted-ca-file "
        "is pki/ca.crt; kube-apiserver: --tls-cert-file is a copy outside pki/)",
        "etcd",
        ("etcd", "kube-apiserver"),
    ),
    FaultSpec(
        "connection-ca",
        "a certificate signed by another CA of the tree than the one its peer trusts "
        "(front-proxy-client by the cluster CA)",
        "front-proxy-client",
        ("front-proxy-client", "apiserver-etcd-client"),
    ),
    FaultSpec(
        "connection-eku",
        "--tls-cert-file naming a hand-made serving certificate without serverAuth",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "connection-key-pair",
        "--proxy-client-key-file naming the key of another pair",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "connection-server-name",
        "a kubeconfig dialling an address apiserver.crt does not name",
        "scheduler.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "connection-identity",
        "--requestheader-allowed-names without front-proxy-client's CN",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "connection-address",
        "a kubeconfig whose server is not a URL (port 64430 typed as 644300); target etcd: "
        "etcd no longer listening on the loopback address the API server dials",
        "kubelet.conf",
        (*KUBECONFIG_FILES, "etcd"),
    ),
    FaultSpec(
        "connection-plain-http",
        "a kubeconfig whose server is http://",
        "controller-manager.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-insecure",
        "a kubeconfig with insecure-skip-tls-verify instead of the CA",
        "admin.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "kubeconfig-token",
        "a kubeconfig user with a bearer token instead of a client certificate",
        "admin.conf",
        KUBECONFIG_FILES,
    ),
    FaultSpec(
        "authorization-always-allow",
        "--authorization-mode=AlwaysAllow",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "authorization-no-rbac",
        "--authorization-mode=Node: RBAC dropped",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "etcd-servers-peer-port",
        "--etcd-servers on etcd's peer port",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "service-account-key",
        "--service-account-key-file naming a certificate whose key signed no token",
        "kube-apiserver",
        ("kube-apiserver",),
    ),
    FaultSpec(
        "cluster-signing",
        "the controller manager signing CSRs with a CA the API server does not trust",
        "kube-controller-manager",
        ("kube-controller-manager",),
    ),
)
# Faults outside the tree, planted only by `generate DIR --node-root`: DIR is then a
# node's `/`, with etc/kubernetes, var/lib/kubelet and root/.kube/config.
KUBELET = ("kubelet",)
COPIES = ("/root/.kube/config",)
NODE_FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec("kubelet-client-expired", "the kubelet's rotated client cert expired a day ago",
              "kubelet", KUBELET),
    FaultSpec("kubelet-client-symlink",
              "kubelet-client-current.pem is a symlink to a file that is gone", "kubelet",
              KUBELET),
    FaultSpec("kubelet-client-ca", "the kubelet's rotated client cert signed by another CA",
              "kubelet", KUBELET),
    FaultSpec("kubelet-client-identity",
              "the kubelet's rotated client cert names another node", "kubelet", KUBELET),
    FaultSpec("kubelet-client-embedded",
              "kubelet.conf still embeds its first client cert (the pre-1.17 init node)",
              "kubelet", KUBELET),
    FaultSpec("kubelet-rotation", "config.yaml turns certificate rotation off", "kubelet",
              KUBELET),
    FaultSpec("kubelet-bootstrap-leftover", "bootstrap-kubelet.conf left behind after the join",
              "kubelet", KUBELET),
    FaultSpec("kubelet-serving-expired", "the kubelet's self-signed serving cert has expired",
              "kubelet", KUBELET),
    # reported by the plane's connection-ca on config.yaml (the API server → kubelet link)
    FaultSpec("kubelet-client-ca-file",
              "config.yaml's clientCAFile names front-proxy-ca.crt (other-ca) or nothing "
              "(none): the kubelet refuses the API server's --kubelet-client-certificate",
              "other-ca", ("other-ca", "none")),
    FaultSpec("kubelet-serving-ca",
              "the API server verifies kubelets (--kubelet-certificate-authority) but the "
              "kubelet's serving cert is self-signed", "kubelet", KUBELET),
    FaultSpec("kubelet-static-pod-path",
              "config.yaml's staticPodPath names another folder than the tree's manifests/",
              "kubelet", KUBELET),
    FaultSpec("kubeconfig-copy-stale",
              "~/.kube/config an old copy of admin.conf whose client cert expired",
              "/root/.kube/config", COPIES),
    FaultSpec("kubeconfig-copy-ca", "~/.kube/config copied from a re-initialised cluster",
              "/root/.kube/config", COPIES),
    FaultSpec("reference-missing",
              "a kubeconfig naming files outside the tree that do not exist", "scheduler.conf",
              KUBECONFIG_FILES),
)
FAULTS_BY_NAME = {spec.name: spec for spec in FAULTS}
NODE_FAULT_NAMES = frozenset(spec.name for spec in NODE_FAULTS)

# Faults of an HA set (`generate --nodes N`), planted on its last node and reported by
# `kexplore compare`; every fault above is planted on the last node too.
HA_FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec(
        "ha-shared-mismatch",
        "the last node holds a CA (or sa pair) of its own instead of the shared one",
        "ca",
        tuple(m.name for m in SHARED),
    ),
    FaultSpec(
        "ha-copied-cert",
        "the first node's per-node certificate and key copied onto the last node",
        "apiserver",
        tuple(m.name for m in PER_NODE),
    ),
    FaultSpec(
        "ha-version-skew",
        "the last node runs an older Kubernetes (one minor: mid-upgrade; two: unsupported)",
        "one-minor",
        ("one-minor", "two-minors"),
    ),
    FaultSpec(
        "ha-flag-mismatch",
        "a flag set on the last node alone (--profiling=false)",
        "kube-apiserver",
        tuple(n for n in POD_NAMES if n != "etcd"),
    ),
)
HA_FAULTS_BY_NAME = {spec.name: spec for spec in HA_FAULTS}
ANY_FAULT_BY_NAME = {spec.name: spec for spec in (*FAULTS, *HA_FAULTS, *NODE_FAULTS)}


class FaultError(ValueError):
    pass


def parse_fault(text: str) -> Fault:
    """Parse NAME or NAME:TARGET, checking both against the catalogue."""
    name, _, target = text.partition(":")
    spec = ANY_FAULT_BY_NAME.get(name)
    if spec is None:
        raise FaultError(f"unknown fault {name!r}; `kexplore generate --list-faults` lists them")
    target = target or spec.default_target
    if target not in spec.targets:
        raise FaultError(
            f"fault {name} cannot target {target!r}; choose one of: " + ", ".join(spec.targets)
        )
    return Fault(name, target)
