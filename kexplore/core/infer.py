"""Read a cluster's own parameters back out of its tree, saying where each value came from."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from kexplore.core.conventions.certs import apiserver_sans
from kexplore.core.conventions.manifests import (
    APISERVER_ENDPOINT_ANNOTATION,
    ETCD_URLS_ANNOTATION,
    STATIC_PODS_BY_FILE,
    image_of_another,
    manifest_file,
)
from kexplore.core.conventions.versions import is_older, is_supported, nearest_supported
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Finding, Kind, Severity, Tree
from kexplore.core.params import (
    ClusterParams,
    EtcdMode,
    Inferred,
    KeyAlgorithm,
    Version,
    canonical_addresses,
    is_ip,
    split_host_port,
)
from kexplore.core.paths import KUBERNETES_DIR
from kexplore.core.pki import CertInfo, KeyInfo

APISERVER = "manifests/kube-apiserver.yaml"
CONTROLLER_MANAGER = "manifests/kube-controller-manager.yaml"
SCHEDULER = "manifests/kube-scheduler.yaml"
ETCD = "manifests/etcd.yaml"


def _manifest(tree: Tree, path: str) -> ManifestInfo | None:
    node = tree.get(path)
    return node.content if node and isinstance(node.content, ManifestInfo) else None


def _manifest_at(tree: Tree, path: str) -> str:
    """kubeadm's manifest at `path`, or where a .json or .yml stands in for it."""
    return manifest_file(STATIC_PODS_BY_FILE[path], lambda p: tree.get(p) is not None)


def _container(tree: Tree, path: str) -> Container | None:
    pod = _manifest(tree, path)
    return pod.container() if pod else None


def _cert(tree: Tree, path: str) -> CertInfo | None:
    node = tree.get(path)
    if node and node.kind is Kind.CERTIFICATE and node.content:
        return node.content[0]
    return None


def _kubeconfig(tree: Tree, path: str) -> KubeconfigInfo | None:
    node = tree.get(path)
    return node.content if node and isinstance(node.content, KubeconfigInfo) else None


def _url_host(url: str) -> str:
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    return split_host_port(rest)[0]


def _folder_of(path: str | None) -> str:
    """The folder of an absolute path a flag names; "" for anything else."""
    if not path or not path.startswith("/") or "/" not in path.rstrip("/")[1:]:
        return ""
    return path.rsplit("/", 1)[0]


def _tag_version(container: Container | None) -> Version | None:
    if container is None:
        return None
    try:
        return Version.parse(container.image_tag)
    except ValueError:
        return None


class _Evidence:
    """Collects candidate values per parameter; the first source wins, disagreements are kept."""

    def __init__(self) -> None:
        self.values: dict[str, list[tuple[Any, str]]] = {}

    def add(self, name: str, value: Any, source: str) -> None:
        if value not in (None, "", ()):
            self.values.setdefault(name, []).append((value, source))

    def first(self, name: str) -> tuple[Any, str] | None:
        found = self.values.get(name)
        return found[0] if found else None

    def conflicts(self, name: str) -> list[tuple[Any, str]]:
        found = self.values.get(name, [])
        return found if len({v for v, _ in found}) > 1 else []


def _gather(tree: Tree) -> _Evidence:
    ev = _Evidence()
    # each read where the tree holds it: a .json standing in for kubeadm's .yaml too
    api_at, kcm_at, scheduler_at, etcd_at = (
        _manifest_at(tree, path) for path in (APISERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD))
    api = _container(tree, api_at)
    kcm = _container(tree, kcm_at)
    etcd = _container(tree, etcd_at)
    api_pod = _manifest(tree, api_at)
    etcd_pod = _manifest(tree, etcd_at)
    for component, path, container in (
        ("kube-apiserver", api_at, api),
        ("kube-controller-manager", kcm_at, kcm),
        ("kube-scheduler", scheduler_at, _container(tree, scheduler_at)),
    ):
        if container and image_of_another(component, container.image):
            continue  # another component's tag says nothing of this one (pod-image says so)
        ev.add("kubernetes_version", _tag_version(container), f"{path} image tag")
    if api:
        address = api.flag_value("advertise-address")
        ev.add(
            "advertise_address",
            # a value that is no address is no evidence of one (pod-flag-value says so)
            address if address and is_ip(address) else None,
            f"{api_at} --advertise-address",
        )
        port = api.flag_value("secure-port")
        ev.add(
            "bind_port",
            int(port) if port and port.isdigit() else None,
            f"{api_at} --secure-port",
        )
        ev.add(
            "service_subnet",
            api.flag_value("service-cluster-ip-range"),
            f"{api_at} --service-cluster-ip-range",
        )
        issuer = api.flag_value("service-account-issuer") or ""
        prefix = "https://kubernetes.default.svc."
        if issuer.startswith(prefix):
            ev.add("dns_domain", issuer[len(prefix) :], f"{api_at} --service-account-issuer")
        ev.add("etcd_servers", api.flag_value("etcd-servers"), f"{api_at} --etcd-servers")
        for flag in ("client-ca-file", "tls-cert-file"):
            ev.add("cert_dir", _folder_of(api.flag_value(flag)), f"{api_at} --{flag}")
        for flag, name in (
            ("etcd-cafile", "external_etcd_ca"),
            ("etcd-certfile", "external_etcd_cert"),
            ("etcd-keyfile", "external_etcd_key"),
        ):
            ev.add(name, api.flag_value(flag), f"{api_at} --{flag}")
    if api_pod:
        endpoint = api_pod.annotations.get(APISERVER_ENDPOINT_ANNOTATION, "")
        host, annotated_port = split_host_port(endpoint) if endpoint else ("", None)
        ev.add("advertise_address", host, f"{api_at} annotation")
        ev.add("bind_port", annotated_port, f"{api_at} annotation")
    if etcd:
        ev.add("node_name", etcd.flag_value("name"), f"{etcd_at} --name")
        ev.add(
            "advertise_address",
            _url_host(etcd.flag_value("advertise-client-urls") or ""),
            f"{etcd_at} --advertise-client-urls",
        )
        ev.add("etcd_tag", etcd.image_tag, f"{etcd_at} image tag")
        etcd_dir = _folder_of(etcd.flag_value("trusted-ca-file"))
        if etcd_dir.endswith("/etcd"):
            ev.add("cert_dir", etcd_dir.removesuffix("/etcd"), f"{etcd_at} --trusted-ca-file")
        ev.add("etcd_members", _joined_members(etcd), f"{etcd_at} --initial-cluster")
    if etcd_pod:
        ev.add(
            "advertise_address",
            _url_host(etcd_pod.annotations.get(ETCD_URLS_ANNOTATION, "")),
            f"{etcd_at} annotation",
        )
    if kcm:
        ev.add(
            "cluster_name", kcm.flag_value("cluster-name"), f"{kcm_at} --cluster-name"
        )
        ev.add("pod_subnet", kcm.flag_value("cluster-cidr"), f"{kcm_at} --cluster-cidr")
        ev.add(
            "cert_dir",
            _folder_of(kcm.flag_value("root-ca-file")),
            f"{kcm_at} --root-ca-file",
        )
    _gather_kubeconfigs(tree, ev)
    _gather_certs(tree, ev)
    return ev


def _gather_kubeconfigs(tree: Tree, ev: _Evidence) -> None:
    kubelet = _kubeconfig(tree, "kubelet.conf")
    if kubelet:
        for user in kubelet.users:
            if user.name.startswith("system:node:"):
                ev.add("node_name", user.name.removeprefix("system:node:"), "kubelet.conf user")
    admin = _kubeconfig(tree, "admin.conf")
    if admin and admin.clusters:
        ev.add("cluster_name", admin.clusters[0].name, "admin.conf cluster")
        ev.add("admin_server", admin.clusters[0].server, "admin.conf server")


def _cert_folder(ev: _Evidence) -> str:
    """The tree folder the flags name as certificatesDir (kubespray's ssl/), else pki/."""
    found = ev.first("cert_dir")
    prefix = KUBERNETES_DIR + "/"
    if found and str(found[0]).startswith(prefix):
        return str(found[0]).removeprefix(prefix).strip("/") or "pki"
    return "pki"


def _gather_certs(tree: Tree, ev: _Evidence) -> None:
    pki = _cert_folder(ev)
    server = _cert(tree, f"{pki}/etcd/server.crt")
    if server and ev.first("node_name") is None:
        # Only a fallback: a certificate's CN is what cert-subject holds to the node name.
        ev.add("node_name", server.subject_cn, f"{pki}/etcd/server.crt CN")
    api = _cert(tree, f"{pki}/apiserver.crt")
    if api:
        ev.add("apiserver_sans", (api.dns_sans, api.ip_sans), f"{pki}/apiserver.crt SANs")
        for name in api.dns_sans:
            if name.startswith("kubernetes.default.svc."):
                ev.add(
                    "dns_domain",
                    name.removeprefix("kubernetes.default.svc."),
                    f"{pki}/apiserver.crt SAN",
                )
    for path in (f"{pki}/ca.key", f"{pki}/apiserver.key", f"{pki}/sa.key"):
        node = tree.get(path)
        if node and isinstance(node.content, KeyInfo):
            algorithm = _algorithm(node.content)
            ev.add("key_algorithm", algorithm, f"{path} ({node.content.describe()})")
    if api:
        ev.add("key_algorithm", _algorithm_of_cert(api), f"{pki}/apiserver.crt public key")


def _algorithm(key: KeyInfo) -> KeyAlgorithm | None:
    return _algorithm_from(key.type, key.bits, key.curve)


def _algorithm_of_cert(cert: CertInfo) -> KeyAlgorithm | None:
    return _algorithm_from(cert.public_key_type, cert.public_key_bits, cert.curve)


def _algorithm_from(kind: str, bits: int, curve: str) -> KeyAlgorithm | None:
    if kind == "RSA":
        return {
            2048: KeyAlgorithm.RSA_2048,
            3072: KeyAlgorithm.RSA_3072,
            4096: KeyAlgorithm.RSA_4096,
        }.get(bits)
    if kind in ("ECDSA", "EC"):
        if "256" in curve or bits == 256:
            return KeyAlgorithm.ECDSA_P256
        if "384" in curve or bits == 384:
            return KeyAlgorithm.ECDSA_P384
    return None


def infer(tree: Tree) -> Inferred:
    """The cluster parameters, taken from the tree's own files, with their sources."""
    ev = _gather(tree)
    defaults = ClusterParams()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in (
        "node_name",
        "bind_port",
        "cluster_name",
        "dns_domain",
        "kubernetes_version",
        "key_algorithm",
        "cert_dir",
    ):
        found = ev.first(name)
        if found:
            values[name], sources[name] = found
    address = ev.first("advertise_address")
    if address and is_ip(address[0]):
        # Compared as an address from here on: FD00:0::10 is fd00::10.
        values["advertise_address"] = str(ipaddress.ip_address(address[0]))
        sources["advertise_address"] = address[1]
    for name in ("service_subnet", "pod_subnet"):
        found = ev.first(name)
        if found and _valid_network(found[0]):
            values[name], sources[name] = found
    _infer_etcd(ev, values, sources)
    params = _safe_params(defaults, values)
    params = _infer_endpoint_and_sans(ev, params, sources)
    version_found = "kubernetes_version" in values
    conventions_version = nearest_supported(params.version)
    notes = []
    if version_found and is_older(params.version):
        notes.append(
            f"kubeadm {params.version} is older than the conventions kexplore knows; "
            f"held to {conventions_version}'s only where they did not change since"
        )
    elif version_found and not is_supported(params.version):
        notes.append(
            f"kubeadm {params.version} is not described by kexplore's conventions; "
            f"holding the tree against {conventions_version}, the nearest it knows"
        )
    joined, role_source = _node_role(tree)
    return Inferred(
        params=params,
        sources=sources,
        findings=tuple(_conflicts(ev)),
        version_found=version_found,
        conventions_version=conventions_version,
        joined_node=joined,
        role_source=role_source,
        notes=tuple(notes),
    )


def _valid_network(text: str) -> bool:
    try:
        for part in text.split(","):
            ipaddress.ip_network(part, strict=False)
    except ValueError:
        return False
    return True


def _joined_members(etcd: Container) -> tuple[str, ...]:
    """The members a joining etcd was told of, itself left out; none for a new cluster."""
    if etcd.flag_value("initial-cluster-state") != "existing":
        return ()
    name = etcd.flag_value("name")
    listed = (etcd.flag_value("initial-cluster") or "").split(",")
    return tuple(m for m in listed if m and m.partition("=")[0] != name)


def _infer_etcd(ev: _Evidence, values: dict[str, Any], sources: dict[str, str]) -> None:
    servers = ev.first("etcd_servers")
    for name, evidence in (("etcd_image_tag", "etcd_tag"), ("etcd_members", "etcd_members")):
        found = ev.first(evidence)
        if found:
            values[name], sources[name] = found
    if servers is None:
        return
    endpoints = tuple(s for s in servers[0].split(",") if s)
    local = all(_url_host(e) in ("127.0.0.1", "::1", "localhost") for e in endpoints)
    values["etcd"] = EtcdMode.LOCAL if local else EtcdMode.EXTERNAL
    sources["etcd"] = servers[1]
    if not local:
        values["external_etcd_endpoints"] = endpoints
        for name in ("external_etcd_ca", "external_etcd_cert", "external_etcd_key"):
            found = ev.first(name)
            if found:
                values[name], sources[name] = found


def _safe_params(defaults: ClusterParams, values: dict[str, Any]) -> ClusterParams:
    """Build the parameters, dropping any single value that the tree got wrong."""
    try:
        return replace(defaults, **values)
    except (ValueError, TypeError):
        good: dict[str, Any] = {}
        for name, value in values.items():
            try:
                replace(defaults, **good, **{name: value})
            except (ValueError, TypeError):
                continue
            good[name] = value
        return replace(defaults, **good)


def _dialable(url: str) -> bool:
    """Whether a server URL parses with a host and a valid port: else it is no endpoint."""
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).hostname) and urlsplit(url).port != 0
    except ValueError:
        return False


def _infer_endpoint_and_sans(
    ev: _Evidence, params: ClusterParams, sources: dict[str, str]
) -> ClusterParams:
    admin = ev.first("admin_server")
    sans = ev.first("apiserver_sans")
    if admin:
        host_port = admin[0].split("://", 1)[-1].split("/", 1)[0]
        host = split_host_port(host_port)[0]
        # kubeadm puts the control-plane endpoint into the serving cert; an admin.conf
        # server the cert does not name is a wrong server, not an endpoint.
        named = sans is None or host in (*sans[0][0], *sans[0][1])
        # Without the node's own address, admin.conf's server is all the tree says of
        # the endpoint: kubeadm writes the control-plane endpoint there.
        local = params.local_endpoint if "advertise_address" in sources else ""
        if canonical_addresses(f"https://{host_port}") != local and named and _dialable(admin[0]):
            params = replace(params, control_plane_endpoint=host_port)
            sources["control_plane_endpoint"] = admin[1]
    if sans:
        (dns, ips), source = sans
        expected = apiserver_sans(params)
        extra = [n for n in dns if n not in expected.dns] + [
            i for i in ips if i not in expected.ips
        ]
        if extra:
            params = replace(params, cert_sans=tuple(extra))
            sources["cert_sans"] = source
    return params


def _node_role(tree: Tree) -> tuple[bool, str]:
    """Whether `kubeadm join` wrote this node, and the file that tells: super-admin.conf is
    the init node's alone; without it, a kubelet.conf with join's user is a joined node."""
    if tree.get("super-admin.conf") is not None:
        return False, "super-admin.conf"
    if tree.get("kubelet.conf") is not None:
        return _kubelet_joined(tree), "kubelet.conf"
    return False, "not in the tree"


def _kubelet_joined(tree: Tree) -> bool:
    kubelet = _kubeconfig(tree, "kubelet.conf")
    return bool(kubelet and any(u.name == "default-auth" for u in kubelet.users))


CONFLICT_RULES = {
    "advertise_address": (
        "manifest-advertise-address",
        "the advertise address differs between sources",
    ),
    "kubernetes_version": (
        "manifest-version-skew",
        "control-plane components run different Kubernetes versions",
    ),
    "node_name": ("node-name-conflict", "the node name differs between sources"),
}


def _conflicts(ev: _Evidence) -> list[Finding]:
    out = []
    for name, (rule, summary) in CONFLICT_RULES.items():
        found = ev.conflicts(name)
        if name == "kubernetes_version":
            found = _minor_conflicts(found)
        if not found:
            continue
        first_value, first_source = found[0]
        for value, source in found[1:]:
            if _same(name, value, first_value):
                continue
            out.append(
                Finding(
                    rule=rule,
                    severity=Severity.WARNING,
                    path=source.split(" ", 1)[0],
                    pointer=source.split(" ", 1)[1] if " " in source else "",
                    message=f"{summary}: {source} says {value}, {first_source} says {first_value}",
                    fix="make every component agree; kubeadm upgrade moves them together",
                )
            )
    return out


def _same(name: str, a: Any, b: Any) -> bool:
    if name == "kubernetes_version":
        return bool(a.minor_tuple == b.minor_tuple)
    if isinstance(a, str) and isinstance(b, str):
        return canonical_addresses(a) == canonical_addresses(b)
    return bool(a == b)


def _minor_conflicts(found: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """Patch versions may differ during an upgrade; a different minor is a real skew."""
    minors = {v.minor_tuple for v, _ in found}
    return found if len(minors) > 1 else []
