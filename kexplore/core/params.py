"""The parameters of one kubeadm control-plane node: what every convention is a function of,
as given to the generator or inferred from a tree."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import field
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.model import Finding


class KeyAlgorithm(str, Enum):
    """kubeadm's `encryptionAlgorithm` values (v1beta4)."""

    RSA_2048 = "RSA-2048"
    RSA_3072 = "RSA-3072"
    RSA_4096 = "RSA-4096"
    ECDSA_P256 = "ECDSA-P256"
    ECDSA_P384 = "ECDSA-P384"

    @property
    def is_rsa(self) -> bool:
        return self.value.startswith("RSA")

    @property
    def bits(self) -> int:
        return int(self.value.split("-")[1].lstrip("P"))


class EtcdMode(str, Enum):
    LOCAL = "local"
    EXTERNAL = "external"


@record(order=True)
class Version:
    """A Kubernetes version such as v1.35.0; compares by number."""

    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Version:
        core = text.strip().lstrip("v").split("-")[0].split("+")[0]
        parts = [int(p) for p in core.split(".")]
        if len(parts) < 2:
            raise ValueError(f"not a Kubernetes version: {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    @property
    def minor_tuple(self) -> tuple[int, int]:
        return (self.major, self.minor)


DEFAULT_VERSION = Version(1, 35, 0)
# An RFC 1123 subdomain: what Kubernetes accepts as a node name.
NODE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DEFAULT_CERT_VALIDITY = timedelta(hours=8760)
DEFAULT_CA_VALIDITY = timedelta(hours=87600)


@record
class ClusterParams:
    """Everything kubeadm's output depends on, for one init node, as one frozen value."""

    node_name: str = "cp-1"
    advertise_address: str = "192.168.1.10"
    bind_port: int = 6443
    control_plane_endpoint: str = ""
    cluster_name: str = "kubernetes"
    dns_domain: str = "cluster.local"
    service_subnet: str = "10.96.0.0/12"
    pod_subnet: str = ""
    cert_sans: tuple[str, ...] = ()
    kubernetes_version: Version = DEFAULT_VERSION
    key_algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048
    etcd: EtcdMode = EtcdMode.LOCAL
    external_etcd_endpoints: tuple[str, ...] = ("https://10.0.0.21:2379",)
    external_etcd_ca: str = "/etc/etcd/ca.crt"
    external_etcd_cert: str = "/etc/etcd/apiserver-etcd-client.crt"
    external_etcd_key: str = "/etc/etcd/apiserver-etcd-client.key"
    cert_validity: timedelta = DEFAULT_CERT_VALIDITY
    ca_validity: timedelta = DEFAULT_CA_VALIDITY
    image_repository: str = "registry.k8s.io"
    etcd_image_tag: str = field(default="")
    # kubeadm's certificatesDir, as the components see it on the host.
    cert_dir: str = "/etc/kubernetes/pki"
    # A node that `kubeadm join --control-plane` wrote: no super-admin.conf, and its etcd
    # joins the members already there ("name=peer-url", in the order they joined).
    joined: bool = False
    etcd_members: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ipaddress.ip_address(self.advertise_address)
        # dual-stack clusters list one subnet per family
        for subnet in (*self.service_subnet.split(","), *filter(None, self.pod_subnet.split(","))):
            ipaddress.ip_network(subnet, strict=False)
        if not NODE_NAME.fullmatch(self.node_name):
            raise ValueError(
                f"node name {self.node_name!r} is not a lower-case DNS name, as Kubernetes requires"
            )
        if not self.dns_domain or not NODE_NAME.fullmatch(self.dns_domain):
            raise ValueError(f"DNS domain {self.dns_domain!r} is not a DNS name")
        if not 0 < self.bind_port < 65536:
            raise ValueError(f"bind port out of range: {self.bind_port}")

    @property
    def version(self) -> Version:
        return self.kubernetes_version

    @property
    def local_etcd(self) -> bool:
        return self.etcd is EtcdMode.LOCAL

    @property
    def ipv6(self) -> bool:
        return ipaddress.ip_address(self.advertise_address).version == 6

    @property
    def service_ip(self) -> str:
        """The first address of the service subnet: the `kubernetes` Service's ClusterIP."""
        return service_ip_of(self.service_subnet) or ""

    @property
    def local_endpoint(self) -> str:
        return f"https://{host_port(self.advertise_address, self.bind_port)}"

    @property
    def endpoint_url(self) -> str:
        """The control-plane endpoint as a URL, or the local endpoint when none is set."""
        if not self.control_plane_endpoint:
            return self.local_endpoint
        host, port = split_host_port(self.control_plane_endpoint)
        return f"https://{host_port(host, port or self.bind_port)}"

    @property
    def endpoint_host(self) -> str:
        return (
            split_host_port(self.control_plane_endpoint)[0] if self.control_plane_endpoint else ""
        )


def service_ip_of(subnets: str) -> str | None:
    """The `kubernetes` Service's ClusterIP, which in-cluster clients dial: the first
    address of the first of comma-separated service subnets; None when it does not parse."""
    try:
        net = ipaddress.ip_network(subnets.split(",")[0].strip(), strict=False)
    except ValueError:
        return None
    return str(net.network_address + 1) if net.num_addresses > 1 else None


def host_port(host: str, port: int) -> str:
    """Join a host and a port, bracketing an IPv6 address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_host_port(text: str) -> tuple[str, int | None]:
    """Split "host:port", "[v6]:port", "host" or a bare IPv6 address."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port) if port.isdigit() else None
    return text, None


# Runs of the characters an address is written with: one pass, no backtracking, however
# long a hostile flag value is.
_ADDRESS_RUN = re.compile(r"[0-9A-Fa-f:.]+")
_LONGEST_ADDRESS = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")


def canonical_addresses(text: str) -> str:
    """`text` with every IP address in it written the one way ipaddress writes it, so
    values compare as the components read them: "https://[FD00:0::10]:2379" is
    "https://[fd00::10]:2379". Anything that is not an address is left as it is."""

    def canonical(found: re.Match[str]) -> str:
        run = found.group(0)
        if len(run) > _LONGEST_ADDRESS or (":" not in run and run.count(".") != 3):
            return run
        try:
            return str(ipaddress.ip_address(run))
        except ValueError:
            return run

    return _ADDRESS_RUN.sub(canonical, text)


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# Parameters only the node's own files can give: without them they are unknown.
NODE_SPECIFIC = ("node_name", "advertise_address", "cert_dir")


@record
class Inferred:
    """The parameters kubeadm most likely ran with, and the evidence for each."""

    params: ClusterParams
    sources: dict[str, str]
    findings: tuple[Finding, ...] = ()
    version_found: bool = False
    # The version whose conventions are used; differs from params.version when the data
    # does not describe the tree's own version.
    conventions_version: Version = field(default_factory=lambda: ClusterParams().version)
    joined_node: bool = False
    notes: tuple[str, ...] = ()
    # the files the node role was read from: only those the tree holds
    role_source: str = "not in the tree"

    def described(self) -> list[tuple[str, str, str]]:
        """(parameter, value, where it was read) for each parameter, in plain words; a
        value nothing in the tree gave is kubeadm's default."""
        p = self.params
        rows = [
            ("node name", p.node_name, "node_name"),
            ("Kubernetes version", str(p.version), "kubernetes_version"),
            ("advertise address", p.advertise_address, "advertise_address"),
            ("API server port", str(p.bind_port), "bind_port"),
            (
                "control-plane endpoint",
                p.control_plane_endpoint or "(none: the local endpoint)",
                "control_plane_endpoint",
            ),
            ("cluster name", p.cluster_name, "cluster_name"),
            ("DNS domain", p.dns_domain, "dns_domain"),
            ("service subnet", p.service_subnet, "service_subnet"),
            ("pod subnet", p.pod_subnet or "(none)", "pod_subnet"),
            ("extra API server SANs", ", ".join(p.cert_sans) or "(none)", "cert_sans"),
            ("key algorithm", p.key_algorithm.value, "key_algorithm"),
            (
                "etcd",
                p.etcd.value
                + (": " + ", ".join(p.external_etcd_endpoints) if not p.local_etcd else ""),
                "etcd",
            ),
            ("etcd image tag", p.etcd_image_tag or "(kubeadm's for the version)", "etcd_image_tag"),
            ("node role", "joined control-plane node" if self.joined_node else "init node", ""),
        ]
        rows.insert(4, ("certificates folder", p.cert_dir, "cert_dir"))
        return [
            (label, *self._shown(value, key))
            for label, value, key in rows
        ]

    def _shown(self, value: str, key: str) -> tuple[str, str]:
        """A value and where it was read; a node-specific value the tree does not hold is
        unknown, never our default."""
        if not key:
            return value, self.role_source
        if key in self.sources:
            return value, self.sources[key]
        if key in NODE_SPECIFIC or (
            key == "control_plane_endpoint" and not self.knows("advertise_address")
        ):
            return "(unknown)", "not in the tree"
        if key == "kubernetes_version":
            return f"(unknown; held to {value}'s conventions)", "not in the tree"
        return value, "kubeadm's default"

    def headline(self) -> tuple[str, str, str]:
        """Node name, version and endpoint for a header; "?" for what the tree does not
        hold, never our sample's defaults."""
        p = self.params
        node = p.node_name if self.knows("node_name") else "?"
        version = str(p.version) if self.version_found else "?"
        endpoint_known = self.knows("control_plane_endpoint") or self.knows("advertise_address")
        return node, version, p.endpoint_url if endpoint_known else "?"

    def knows(self, name: str) -> bool:
        """Whether the tree itself gave parameter `name`; one it did not is unknown, and
        its value in `params` (a default) must never be held against the tree."""
        return name in self.sources

    @property
    def unknown_values(self) -> frozenset[str]:
        """The values in `params` of the node-specific parameters the tree did not give, and
        the names made from kubeadm's defaults where the tree gives none: what no
        expectation may carry into a finding."""
        values = {name: str(getattr(self.params, name)) for name in NODE_SPECIFIC}
        # Names made from kubeadm's defaults, where the tree gives no value to check them by.
        values["service_subnet"] = self.params.service_ip
        values["dns_domain"] = f"kubernetes.default.svc.{self.params.dns_domain}"
        return frozenset(v for name, v in values.items() if v and not self.knows(name))

    @property
    def expected_params(self) -> ClusterParams:
        """The parameters kubeadm's output is built from. The conventions are spans of
        versions open at both ends, so a version the data does not describe takes the
        nearest one's conventions by itself, while its image tags stay its own."""
        return self.params
