"""Where a kubeadm node keeps what lies outside /etc/kubernetes, and what each file is for.

The paths here are the kubelet's and kubeadm's defaults (the systemd drop-in's
`--config`, the kubelet's `--cert-dir`, kubeadm's `certificatesDir`). They say where to
look, never what runs: a path the tree itself names (kubelet.conf's client-certificate,
config.yaml's tlsCertFile) always wins over them.
"""

from __future__ import annotations

from kexplore.core.conventions.kubeconfigs import KUBELET_ROTATED_CERT
from kexplore.core.kubelet_config import KubeletConfig
from kexplore.core.records import record

KUBELET_DIR = "/var/lib/kubelet"
KUBELET_CONFIG = f"{KUBELET_DIR}/config.yaml"
KUBELET_PKI = f"{KUBELET_DIR}/pki"
# the kubelet's command-line flags kubeadm writes at init and join (KUBELET_KUBEADM_ARGS):
# --node-ip, --hostname-override and --cloud-provider, when set, say the Node's addresses
KUBEADM_FLAGS = f"{KUBELET_DIR}/kubeadm-flags.env"
KUBELET_SERVING_CERT = f"{KUBELET_PKI}/kubelet.crt"
KUBELET_SERVING_KEY = f"{KUBELET_PKI}/kubelet.key"
KUBELET_SERVING_ROTATED = f"{KUBELET_PKI}/kubelet-server-current.pem"
# What kubeadm writes as the kubelet's authentication.x509.clientCAFile, with the default
# certificatesDir: assumed, and said to be, only when config.yaml is not at hand.
KUBELET_DEFAULT_CLIENT_CA = "/etc/kubernetes/pki/ca.crt"
BOOTSTRAP_KUBECONFIG = "/etc/kubernetes/bootstrap-kubelet.conf"
ROOT_KUBECONFIG = "/root/.kube/config"
NODE_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
# The kubelet notices a manifest moved out of its static pod folder within
# fileCheckFrequency (20s by default): the documented way to restart a static pod.
FILE_CHECK_SECONDS = 20

__all__ = ["KUBELET_ROTATED_CERT"]


@record
class ServingPair:
    """The serving cert and key the kubelet presents on :10250, and the setting that
    chose them ("" for a key config.yaml leaves unset beside its tlsCertFile)."""

    cert: str
    key: str
    chosen_by: str


def kubelet_serving_pair(config: KubeletConfig | None) -> ServingPair:
    """As the kubelet picks its serving pair: config.yaml's tlsCertFile and
    tlsPrivateKeyFile; else, with serverTLSBootstrap, the rotated PEM that holds both;
    else the pair it self-signs in its cert dir (also what a node without config.yaml
    gets: the kubelet's defaults)."""
    if config is not None and config.tls_cert_file:
        return ServingPair(config.tls_cert_file, config.tls_private_key_file, "tlsCertFile")
    if config is not None and config.server_tls_bootstrap:
        return ServingPair(KUBELET_SERVING_ROTATED, KUBELET_SERVING_ROTATED,
                           "serverTLSBootstrap")
    return ServingPair(KUBELET_SERVING_CERT, KUBELET_SERVING_KEY, "(self-signed by the kubelet)")


@record
class Role:
    """What one file outside the tree is for, in plain words: a few words for a list,
    a sentence for its view, and who reads it."""

    short: str
    what: str
    who: str


ROLES: dict[str, Role] = {
    KUBELET_CONFIG: Role(
        "kubelet configuration",
        "the kubelet's configuration: whom it trusts on :10250 (clientCAFile), whether it "
        "rotates its certificates, where its static pods are",
        "read by the kubelet at start",
    ),
    KUBEADM_FLAGS: Role(
        "kubelet flags",
        "the kubelet's command-line flags kubeadm writes (KUBELET_KUBEADM_ARGS): its node "
        "IP, name override and cloud provider, when set",
        "read by the kubelet's systemd unit at start",
    ),
    KUBELET_ROTATED_CERT: Role(
        "kubelet client certificate",
        "the kubelet's client certificate and key, renewed by the kubelet itself: a symlink "
        "to the newest dated file",
        "presented by the kubelet to the API server (through kubelet.conf)",
    ),
    KUBELET_SERVING_CERT: Role(
        "kubelet serving certificate",
        "the kubelet's serving certificate on :10250, self-signed by the kubelet at first start",
        "shown to the API server (logs, exec) and to metrics-server",
    ),
    KUBELET_SERVING_KEY: Role(
        "kubelet serving key",
        "the private key of the kubelet's serving certificate",
        "used by the kubelet",
    ),
    KUBELET_SERVING_ROTATED: Role(
        "kubelet serving certificate",
        "the kubelet's serving certificate, signed by the cluster CA (serverTLSBootstrap)",
        "shown to the API server (logs, exec) and to metrics-server",
    ),
    BOOTSTRAP_KUBECONFIG: Role(
        "kubelet bootstrap kubeconfig",
        "the kubelet's TLS bootstrap kubeconfig (a bootstrap token): needed once, at join",
        "read by the kubelet only while kubelet.conf is missing",
    ),
}
COPY_ROLE = Role(
    "kubeconfig copy",
    "a kubeconfig copied for kubectl, held against admin.conf and super-admin.conf",
    "used by kubectl and other tools",
)
REFERENCE_ROLE = Role(
    "named by the tree", "a file the tree names outside itself", "named by a file in the tree"
)


def role_of(node_path: str) -> Role:
    if node_path in ROLES:
        return ROLES[node_path]
    if node_path.startswith(f"{KUBELET_PKI}/kubelet-client-"):
        return ROLES[KUBELET_ROTATED_CERT]
    return COPY_ROLE if node_path.endswith("/.kube/config") else REFERENCE_ROLE


# The documented recovery when the kubelet's client certificate is wrong or gone (the
# kubeadm troubleshooting guide, "Kubelet client certificate rotation fails").
KUBELET_CLIENT_RECOVERY = (
    "back up and delete /etc/kubernetes/kubelet.conf and /var/lib/kubelet/pki/kubelet-client*; "
    "on a control-plane node with pki/ca.key run `kubeadm kubeconfig user --org system:nodes "
    "--client-name system:node:<node>` into this node's /etc/kubernetes/kubelet.conf; restart "
    "the kubelet and wait for kubelet-client-current.pem; then point client-certificate and "
    "client-key in kubelet.conf at /var/lib/kubelet/pki/kubelet-client-current.pem and "
    "restart the kubelet again"
)
KUBELET_REFERENCE_FIX = (
    "in kubelet.conf replace client-certificate-data and client-key-data with "
    "client-certificate and client-key both set to "
    "/var/lib/kubelet/pki/kubelet-client-current.pem, then restart the kubelet"
)
COPY_FIX = (
    "copy the live file again: `sudo cp /etc/kubernetes/admin.conf ~/.kube/config` "
    "(and `sudo chown $(id -u):$(id -g) ~/.kube/config`)"
)
STATIC_POD_RESTART = (
    "restart the static pod: move its manifest out of /etc/kubernetes/manifests, wait "
    f"more than {FILE_CHECK_SECONDS}s (the kubelet's fileCheckFrequency) until the "
    "container is gone, and move it back"
)
