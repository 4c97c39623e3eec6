"""Every certificate kubeadm makes, as one declarative entry each (after kubeadm's certlist.go).

The generator issues certificates from these entries; the checker holds real ones
against them. Kubeconfig client certificates are entries too, with no file of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from kexplore.core.conventions.versions import (
    ALWAYS,
    Span,
    Variant,
    between,
    pick,
    since,
    until,
)
from kexplore.core.params import ClusterParams, KeyAlgorithm, Version, is_ip, split_host_port
from kexplore.core.records import record

SERVER_AUTH = "ServerAuth"
CLIENT_AUTH = "ClientAuth"

LEAF_KEY_USAGE = ("digital_signature", "key_encipherment")
CA_KEY_USAGE = ("digital_signature", "key_encipherment", "key_cert_sign")
# kubeadm 1.38 (announced in its alphas, #142037) sets KeyEncipherment for RSA keys only;
# before, every key got it. Dormant until 1.38 is a known version.
KEY_ENCIPHERMENT_RSA_ONLY: Span = since(38)
# The kubeadm versions that can write each key algorithm: v1beta4's encryptionAlgorithm
# (1.31) brought RSA-3072/4096, 1.34 ECDSA-P384; ECDSA-P256 came before through the
# PublicKeysECDSA feature gate.
KEY_ALGORITHMS: dict[KeyAlgorithm, Span] = {
    KeyAlgorithm.RSA_2048: ALWAYS,
    KeyAlgorithm.ECDSA_P256: ALWAYS,
    KeyAlgorithm.RSA_3072: since(31),
    KeyAlgorithm.RSA_4096: since(31),
    KeyAlgorithm.ECDSA_P384: since(34),
}
# 1.38 also announces ML-DSA-44/65/87 as encryptionAlgorithm values; they are not in
# KeyAlgorithm until 1.38 is known and the crypto library can issue them.


@record
class SANs:
    """The names and addresses kubeadm puts in a certificate's subjectAltName."""

    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


def _no_sans(_: ClusterParams) -> SANs:
    return SANs()


@record
class CertSpec:
    """What kubeadm writes for one certificate."""

    name: str  # kubeadm's own name, as `kubeadm certs renew <name>` spells it
    file: str | None  # path of the .crt relative to the root; None when embedded
    ca: str | None  # name of the signing CA; None for a self-signed CA
    cn: Callable[[ClusterParams], str]
    organizations: tuple[Variant[tuple[str, ...]], ...]
    usages: tuple[str, ...]  # extended key usages
    purpose: str  # what the certificate is for, in plain words
    sans: Callable[[ClusterParams], SANs] = _no_sans
    is_ca: bool = False
    local_etcd_only: bool = False
    span: Span = ALWAYS
    init_only: bool = False  # written by `kubeadm init` alone, never by a join

    @property
    def key_file(self) -> str | None:
        return self.file[: -len(".crt")] + ".key" if self.file else None

    @property
    def key_usage(self) -> tuple[str, ...]:
        return CA_KEY_USAGE if self.is_ca else LEAF_KEY_USAGE

    def organization(self, version: Version) -> tuple[str, ...]:
        return pick(self.organizations, version)

    def accepted_organizations(self, version: Version) -> set[tuple[str, ...]]:
        """Every O kubeadm of `version` may have written, sorted: its own, and any other
        where the sources leave the version's value open."""
        for variant in self.organizations:
            if variant.span.covers(version):
                return {tuple(sorted(v)) for v in (variant.value, *variant.also)}
        return set()

    def organization_is_later(self, orgs: tuple[str, ...], version: Version) -> bool:
        """Whether `orgs` is a layout only a later kubeadm than `version` writes."""
        key = tuple(sorted(orgs))
        own = next((i for i, v in enumerate(self.organizations) if v.span.covers(version)), -1)
        return any(
            tuple(sorted(v.value)) == key
            for v in self.organizations[own + 1 :]
        ) and not any(tuple(sorted(v.value)) == key for v in self.organizations[: own + 1])

    def applies(self, params: ClusterParams) -> bool:
        return (
            self.span.covers(params.version)
            and (params.local_etcd or not self.local_etcd_only)
            and not (self.init_only and params.joined)
        )

    def validity_hours(self, params: ClusterParams) -> float:
        chosen = params.ca_validity if self.is_ca else params.cert_validity
        return chosen.total_seconds() / 3600


def _constant(value: str) -> Callable[[ClusterParams], str]:
    return lambda _params: value


def _node_name(params: ClusterParams) -> str:
    return params.node_name


NO_ORG: tuple[Variant[tuple[str, ...]], ...] = (Variant(ALWAYS, ()),)
# kubeadm 1.29 moved admins out of system:masters (which no RBAC can restrain) into a
# group bound to cluster-admin, and dropped the group from the etcd clients altogether.
Orgs = tuple[Variant[tuple[str, ...]], ...]
CLUSTER_ADMINS_SINCE_129: Orgs = (
    Variant(until(28), ("system:masters",)),
    Variant(since(29), ("kubeadm:cluster-admins",)),
)
MASTERS_UNTIL_128: Orgs = (Variant(until(28), ("system:masters",)), Variant(since(29), ()))
# #138957 took apiserver-kubelet-client out of kubeadm:cluster-admins: a ClusterRoleBinding
# to system:kubelet-api-admin authorises it instead. In 1.37.0, backported to 1.36.1 and
# 1.35.5 (as the task's sources state). Third parties also name 1.34.8 and 1.33.12 [U]:
# there either O is accepted, and the generator keeps the older one.
_ADMINS = ("kubeadm:cluster-admins",)
_UNVERIFIED_BACKPORT = "backport to 1.33.12/1.34.8 reported by third parties only"
KUBELET_CLIENT_ORGS: Orgs = (
    Variant(until(28), ("system:masters",)),
    Variant(between((29,), (33, 11)), _ADMINS),
    Variant(between((33, 12), (33,)), _ADMINS, also=((),), note=_UNVERIFIED_BACKPORT),
    Variant(between((34, 0), (34, 7)), _ADMINS),
    Variant(between((34, 8), (34,)), _ADMINS, also=((),), note=_UNVERIFIED_BACKPORT),
    Variant(between((35, 0), (35, 4)), _ADMINS),
    Variant(between((35, 5), (35,)), ()),
    Variant(between((36, 0), (36, 0)), _ADMINS),
    Variant(since(36, 1), ()),
)


def _self_sans(params_cn: str) -> Callable[[ClusterParams], SANs]:
    """A kubeadm CA names itself as its only SAN."""
    return lambda _params: SANs(dns=(params_cn,))


def apiserver_sans(params: ClusterParams) -> SANs:
    """The serving cert must answer to every name a client may dial the API server by."""
    dns = [
        params.node_name,
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{params.dns_domain}",
    ]
    ips = [params.service_ip, params.advertise_address]
    if params.control_plane_endpoint:
        host = split_host_port(params.control_plane_endpoint)[0]
        (ips if is_ip(host) else dns).append(host)
    for extra in params.cert_sans:
        (ips if is_ip(extra) else dns).append(extra)
    return _normalised(dns, ips)


def etcd_sans(params: ClusterParams) -> SANs:
    """etcd is dialled over loopback by the local API server and by address by its peers."""
    return _normalised(
        [params.node_name, "localhost"], [params.advertise_address, "127.0.0.1", "::1"]
    )


def _normalised(dns: list[str], ips: list[str]) -> SANs:
    """kubeadm de-duplicates and sorts DNS names, and de-duplicates IPs keeping their order."""
    return SANs(dns=tuple(sorted(set(dns))), ips=tuple(dict.fromkeys(ips)))


CERTS: tuple[CertSpec, ...] = (
    CertSpec(
        name="ca",
        file="pki/ca.crt",
        ca=None,
        cn=_constant("kubernetes"),
        organizations=NO_ORG,
        usages=(),
        purpose="cluster CA: signs the API server's certificates and every client identity",
        sans=_self_sans("kubernetes"),
        is_ca=True,
    ),
    CertSpec(
        name="apiserver",
        file="pki/apiserver.crt",
        ca="ca",
        cn=_constant("kube-apiserver"),
        organizations=NO_ORG,
        usages=(SERVER_AUTH,),
        purpose="serving certificate of the API server",
        sans=apiserver_sans,
    ),
    CertSpec(
        name="apiserver-kubelet-client",
        file="pki/apiserver-kubelet-client.crt",
        ca="ca",
        cn=_constant("kube-apiserver-kubelet-client"),
        organizations=KUBELET_CLIENT_ORGS,
        usages=(CLIENT_AUTH,),
        purpose="client certificate the API server presents to kubelets (logs, exec, port-forward)",
    ),
    CertSpec(
        name="front-proxy-ca",
        file="pki/front-proxy-ca.crt",
        ca=None,
        cn=_constant("front-proxy-ca"),
        organizations=NO_ORG,
        usages=(),
        purpose="front-proxy CA: vouches for requests the aggregation layer forwards",
        sans=_self_sans("front-proxy-ca"),
        is_ca=True,
    ),
    CertSpec(
        name="front-proxy-client",
        file="pki/front-proxy-client.crt",
        ca="front-proxy-ca",
        cn=_constant("front-proxy-client"),
        organizations=NO_ORG,
        usages=(CLIENT_AUTH,),
        purpose="client certificate of the aggregation layer's front proxy",
    ),
    CertSpec(
        name="etcd-ca",
        file="pki/etcd/ca.crt",
        ca=None,
        cn=_constant("etcd-ca"),
        organizations=NO_ORG,
        usages=(),
        purpose="etcd CA: signs etcd's serving and peer certs and its clients",
        sans=_self_sans("etcd-ca"),
        is_ca=True,
        local_etcd_only=True,
    ),
    CertSpec(
        name="etcd-server",
        file="pki/etcd/server.crt",
        ca="etcd-ca",
        cn=_node_name,
        organizations=NO_ORG,
        usages=(SERVER_AUTH, CLIENT_AUTH),
        purpose="serving certificate of etcd",
        sans=etcd_sans,
        local_etcd_only=True,
    ),
    CertSpec(
        name="etcd-peer",
        file="pki/etcd/peer.crt",
        ca="etcd-ca",
        cn=_node_name,
        organizations=NO_ORG,
        usages=(SERVER_AUTH, CLIENT_AUTH),
        purpose="certificate etcd members use to talk to each other",
        sans=etcd_sans,
        local_etcd_only=True,
    ),
    CertSpec(
        name="etcd-healthcheck-client",
        file="pki/etcd/healthcheck-client.crt",
        ca="etcd-ca",
        cn=_constant("kube-etcd-healthcheck-client"),
        organizations=MASTERS_UNTIL_128,
        usages=(CLIENT_AUTH,),
        purpose="client certificate for etcd liveness checks",
        local_etcd_only=True,
    ),
    CertSpec(
        name="apiserver-etcd-client",
        file="pki/apiserver-etcd-client.crt",
        ca="etcd-ca",
        cn=_constant("kube-apiserver-etcd-client"),
        organizations=MASTERS_UNTIL_128,
        usages=(CLIENT_AUTH,),
        purpose="client certificate the API server uses to reach etcd",
        local_etcd_only=True,
    ),
    # Client certificates embedded in kubeconfigs (kubeadm names them after their file).
    CertSpec(
        name="admin.conf",
        file=None,
        ca="ca",
        cn=_constant("kubernetes-admin"),
        organizations=CLUSTER_ADMINS_SINCE_129,
        usages=(CLIENT_AUTH,),
        purpose="admin identity for kubectl and for kubeadm itself",
    ),
    CertSpec(
        name="super-admin.conf",
        file=None,
        ca="ca",
        cn=_constant("kubernetes-super-admin"),
        organizations=(Variant(ALWAYS, ("system:masters",)),),
        usages=(CLIENT_AUTH,),
        purpose="break-glass identity in system:masters, which RBAC cannot restrain",
        span=since(29),
        init_only=True,
    ),
    CertSpec(
        name="kubelet.conf",
        file=None,
        ca="ca",
        cn=lambda params: f"system:node:{params.node_name}",
        organizations=(Variant(ALWAYS, ("system:nodes",)),),
        usages=(CLIENT_AUTH,),
        purpose="the kubelet's first client identity, until it rotates its own",
    ),
    CertSpec(
        name="controller-manager.conf",
        file=None,
        ca="ca",
        cn=_constant("system:kube-controller-manager"),
        organizations=NO_ORG,
        usages=(CLIENT_AUTH,),
        purpose="identity of the controller manager",
    ),
    CertSpec(
        name="scheduler.conf",
        file=None,
        ca="ca",
        cn=_constant("system:kube-scheduler"),
        organizations=NO_ORG,
        usages=(CLIENT_AUTH,),
        purpose="identity of the scheduler",
    ),
)

CERTS_BY_NAME: dict[str, CertSpec] = {spec.name: spec for spec in CERTS}
CERTS_BY_FILE: dict[str, CertSpec] = {spec.file: spec for spec in CERTS if spec.file}
CA_NAMES = tuple(spec.name for spec in CERTS if spec.is_ca)


def cert_spec_at(path: str, cert_folder: str | None) -> CertSpec | None:
    """kubeadm's certificate at tree path `path`, where the tree's certificatesDir is the
    tree folder `cert_folder` (kubespray's ssl/, say): its files are kubeadm's pki/ files
    under another name, and a pki/ left beside it is not. None for `cert_folder` when
    certificatesDir is outside the tree."""
    if cert_folder and cert_folder != "pki":
        if path.startswith(cert_folder + "/"):
            return CERTS_BY_FILE.get("pki/" + path.removeprefix(cert_folder + "/"))
        if path.startswith("pki/"):
            return None
    return CERTS_BY_FILE.get(path)


def certs_for(params: ClusterParams) -> tuple[CertSpec, ...]:
    return tuple(spec for spec in CERTS if spec.applies(params))


# The service-account signing pair: a bare key pair, no certificate, no expiry.
SA_KEY = "pki/sa.key"
SA_PUB = "pki/sa.pub"
