"""What the control-plane nodes of one cluster share, and what each must hold for itself.

kubeadm copies the CAs and the service-account pair to every joining control-plane node
(`kubeadm join --control-plane` with `--certificate-key`, or by hand) and issues everything
else on the node itself, for its own name and address. A shared file that differs breaks
trust between nodes; a per-node file that is the same on two nodes was copied, and names
the wrong node.
"""

from __future__ import annotations

from kexplore.core.records import record


@record
class SharedMaterial:
    """Material every control-plane node must hold identically."""

    name: str  # kubeadm's name, also the fault target
    file: str  # the file compared, relative to the root
    why: str


@record
class PerNodeMaterial:
    """A certificate each node issues for itself; it must name its own node."""

    name: str
    file: str  # a certificate file, or a kubeconfig whose embedded client cert is meant
    why: str


SHARED: tuple[SharedMaterial, ...] = (
    SharedMaterial(
        "ca",
        "pki/ca.crt",
        "every node's API server must trust the client certificates the others issued",
    ),
    SharedMaterial(
        "etcd-ca",
        "pki/etcd/ca.crt",
        "etcd members refuse peers whose certificates they cannot verify",
    ),
    SharedMaterial(
        "front-proxy-ca",
        "pki/front-proxy-ca.crt",
        "aggregated API servers verify requests proxied by any node's API server",
    ),
    SharedMaterial(
        "sa",
        "pki/sa.pub",
        "a token signed on one node is refused by the others: `invalid bearer token`",
    ),
)
SHARED_BY_NAME = {m.name: m for m in SHARED}

PER_NODE: tuple[PerNodeMaterial, ...] = (
    PerNodeMaterial(
        "apiserver",
        "pki/apiserver.crt",
        "its SANs hold the node's own address; a copy serves the other node's",
    ),
    PerNodeMaterial(
        "etcd-server",
        "pki/etcd/server.crt",
        "etcd serves clients under the node's own name and address",
    ),
    PerNodeMaterial(
        "etcd-peer",
        "pki/etcd/peer.crt",
        "members check a peer's certificate against its address: a copied one makes etcd fail",
    ),
    PerNodeMaterial(
        "kubelet.conf",
        "kubelet.conf",
        "the kubelet authenticates as system:node:<its own name>; the Node authorizer "
        "refuses it another node's objects",
    ),
)
PER_NODE_BY_NAME = {m.name: m for m in PER_NODE}

# Flags that kubeadm sets from the node's own name or address: they differ between nodes by
# design, so they take no part in the flag agreement.
PER_NODE_FLAGS: dict[str, frozenset[str]] = {
    "kube-apiserver": frozenset({"advertise-address"}),
    "etcd": frozenset(
        {
            "advertise-client-urls",
            "initial-advertise-peer-urls",
            "initial-cluster",
            "initial-cluster-state",
            "listen-client-urls",
            "listen-peer-urls",
            "name",
        }
    ),
    "kube-controller-manager": frozenset(),
    "kube-scheduler": frozenset(),
}

# kube-apiserver instances of one HA cluster may be one minor version apart, and only while
# an upgrade runs (the Kubernetes version skew policy).
MAX_MINOR_SKEW = 1


@record
class AgreedParameter:
    """A cluster-wide parameter every node must hold alike, with the flags that carry it."""

    name: str  # a ClusterParams field
    label: str
    error: bool  # a mismatch breaks the cluster (else it is a real risk: a warning)
    why: str
    flags: tuple[tuple[str, str], ...]  # (component, flag): compared here, not as flags


AGREED: tuple[AgreedParameter, ...] = (
    AgreedParameter(
        "service_subnet",
        "service subnet",
        True,
        "each API server hands out Service IPs from its own range; the others refuse them",
        (("kube-apiserver", "service-cluster-ip-range"),
         ("kube-controller-manager", "service-cluster-ip-range")),
    ),
    AgreedParameter(
        "pod_subnet",
        "pod subnet",
        True,
        "the active controller manager allocates node pod ranges from its own subnet",
        (("kube-controller-manager", "cluster-cidr"),),
    ),
    AgreedParameter(
        "dns_domain",
        "DNS domain",
        True,
        "service-account tokens name the issuer from the DNS domain; other nodes refuse them",
        (("kube-apiserver", "service-account-issuer"),),
    ),
    AgreedParameter(
        "cluster_name",
        "cluster name",
        False,
        "the cluster name tags cloud resources; two names leave resources behind",
        (("kube-controller-manager", "cluster-name"),),
    ),
    AgreedParameter(
        "control_plane_endpoint",
        "control-plane endpoint",
        True,
        "clients and kubelets reach the cluster through one shared endpoint",
        (),
    ),
)
AGREED_FLAGS = frozenset(pair for p in AGREED for pair in p.flags)
