"""Write a node root: a node's `/` as kubeadm and the kubelet leave it on an init node.

DIR/etc/kubernetes is the tree generate writes, with kubelet.conf as the kubelet-finalize
phase leaves it (pointing at the rotated cert); DIR/var/lib/kubelet holds config.yaml,
the rotated client pair behind its symlink and the self-signed serving pair; DIR/root/
.kube/config is the admin's copy of admin.conf. Node faults are planted there on purpose
and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kexplore.core.conventions.certs import CLIENT_AUTH, SERVER_AUTH, SANs, certs_for
from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE
from kexplore.core.conventions.node import (
    KUBELET_CONFIG,
    KUBELET_ROTATED_CERT,
    KUBELET_SERVING_CERT,
    KUBELET_SERVING_KEY,
    NODE_PREFIX,
    NODES_GROUP,
    ROOT_KUBECONFIG,
)
from kexplore.core.faults import NODE_FAULT_NAMES, Fault
from kexplore.core.generate import (
    BACKDATE,
    CertPlan,
    Issued,
    _b64,
    _check_target,
    _impostor_ca,
    _write,
    cert_pem,
    generate_tree,
    issue,
    key_pem,
    kubeconfig_document,
    kubelet_conf_planted,
    new_key,
    plan_for,
    write_files,
)
from kexplore.core.params import ClusterParams, KeyAlgorithm
from kexplore.core.read.yamlio import dump_yaml, load_yaml

TREE = "etc/kubernetes"
# The kubelet's CSRs use ECDSA P-256, whatever kubeadm's own key algorithm; the signer
# (the controller manager) gives them --cluster-signing-duration, a year by default.
ROTATED_VALIDITY = timedelta(days=365)
SERVING_VALIDITY = timedelta(days=365)
BOOTSTRAP_TOKEN = "abcdef.0123456789abcdef"  # a sample token, published here


def generate_node_root(
    root: Path,
    params: ClusterParams,
    now: datetime,
    faults: Sequence[Fault] = (),
    force: bool = False,
    tree_files: dict[str, bytes] | None = None,
) -> list[str]:
    """Write the node root under `root`; return the paths written, relative to it. An HA
    set passes each node's tree as `tree_files`, already built."""
    _check_target(root, force)
    tree_faults = [f for f in faults if f.name not in NODE_FAULT_NAMES]
    node_faults = {f.name: f for f in faults if f.name in NODE_FAULT_NAMES}
    tree = root / TREE
    written = [f"{TREE}/{p}" for p in (
        generate_tree(tree, params, now, tree_faults, force) if tree_files is None
        else write_files(tree, tree_files, params, tree_faults))]
    ca = _cluster_ca(tree)
    if "kubelet-serving-ca" in node_faults:
        _verify_kubelets(tree)
    files: dict[str, tuple[bytes, int]] = {}
    if not kubelet_conf_planted(faults):
        files[f"{TREE}/kubelet.conf"] = (_finalized_kubelet_conf(tree), 0o600)
    if "kubelet-bootstrap-leftover" in node_faults:
        files[f"{TREE}/bootstrap-kubelet.conf"] = (_bootstrap_kubeconfig(params, ca), 0o600)
    if "reference-missing" in node_faults:
        target = node_faults["reference-missing"].target
        files[f"{TREE}/{target}"] = (_dangling_references(tree / target), 0o600)
    files[KUBELET_CONFIG.lstrip("/")] = (_kubelet_config(params, node_faults), 0o644)
    stamp = now.strftime("%Y-%m-%d-%H-%M-%S")
    rotated = f"var/lib/kubelet/pki/kubelet-client-{stamp}.pem"
    if "kubelet-client-symlink" not in node_faults:
        files[rotated] = (_rotated_pair(params, now, ca, node_faults), 0o600)
    serving_cert, serving_key = _serving_pair(params, now, "kubelet-serving-expired" in node_faults)
    files[KUBELET_SERVING_CERT.lstrip("/")] = (serving_cert, 0o644)
    files[KUBELET_SERVING_KEY.lstrip("/")] = (serving_key, 0o600)
    files[ROOT_KUBECONFIG.lstrip("/")] = (_admin_copy(tree, params, now, ca, node_faults), 0o600)
    files.update(_external_etcd_files(tree, params, now))
    for folder, mode in (("var/lib/kubelet", 0o755), ("var/lib/kubelet/pki", 0o755),
                         ("root", 0o700), ("root/.kube", 0o750)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder).chmod(mode)
    for path, (data, mode) in sorted(files.items()):
        (root / path).parent.mkdir(parents=True, exist_ok=True)  # /etc/etcd for external etcd
        _write(root / path, data, mode)
    link = root / KUBELET_ROTATED_CERT.lstrip("/")
    if link.is_symlink() or link.exists():
        link.unlink()
    # the kubelet writes an absolute target: it lies inside the node root, not this machine
    os.symlink(f"/{rotated}", link)
    return sorted({*written, *files, KUBELET_ROTATED_CERT.lstrip("/")})


def _external_etcd_files(
    tree: Path, params: ClusterParams, now: datetime
) -> dict[str, tuple[bytes, int]]:
    """With external etcd, the API server's etcd CA and client pair where its flags name
    them (outside the tree): what the etcd operator put there, signed by etcd's own CA."""
    manifest = tree / "manifests/kube-apiserver.yaml"
    if params.local_etcd or not manifest.is_file():
        return {}
    flags = dict(item.removeprefix("--").split("=", 1) for item in
                 load_yaml(manifest.read_bytes())["spec"]["containers"][0]["command"][1:]
                 if "=" in item)
    paths = [flags.get(f"etcd-{name}", "") for name in ("cafile", "certfile", "keyfile")]
    if not all(p.startswith("/") and not p.startswith("/etc/kubernetes/") for p in paths):
        return {}
    ca_key = new_key(params.key_algorithm)
    start, end = now - BACKDATE, now + params.ca_validity
    etcd_ca = Issued(issue(CertPlan("etcd-ca", (), SANs(dns=("etcd-ca",)), (), True, start,
                                    end), ca_key, None), ca_key)
    key = new_key(params.key_algorithm)
    client = issue(CertPlan("kube-apiserver-etcd-client", (), SANs(), (CLIENT_AUTH,), False,
                            start, now + params.cert_validity), key, etcd_ca)
    ca_path, cert_path, key_path = (p.lstrip("/") for p in paths)
    return {ca_path: (cert_pem(etcd_ca.cert), 0o644), cert_path: (cert_pem(client), 0o644),
            key_path: (key_pem(key), 0o600)}


def _cluster_ca(tree: Path) -> Issued:
    cert = x509.load_pem_x509_certificate((tree / "pki/ca.crt").read_bytes())
    key = serialization.load_pem_private_key((tree / "pki/ca.key").read_bytes(), None)
    return Issued(cert, key)  # type: ignore[arg-type]


def _finalized_kubelet_conf(tree: Path) -> bytes:
    """kubelet.conf as kubeadm's kubelet-finalize phase leaves it: the embedded first cert
    replaced by references to the kubelet's own rotated pair."""
    doc = load_yaml((tree / "kubelet.conf").read_bytes())
    doc["users"][0]["user"] = {
        "client-certificate": KUBELET_ROTATED_CERT,
        "client-key": KUBELET_ROTATED_CERT,
    }
    return dump_yaml(doc)


def _dangling_references(kubeconfig: Path) -> bytes:
    """A kubeconfig naming its CA and client pair in a folder that does not exist."""
    doc = load_yaml(kubeconfig.read_bytes())
    cluster = doc["clusters"][0]["cluster"]
    cluster.pop("certificate-authority-data")
    cluster["certificate-authority"] = "/nonexistent/ca.crt"
    doc["users"][0]["user"] = {
        "client-certificate": "/nonexistent/u.crt",
        "client-key": "/nonexistent/u.key",
    }
    return dump_yaml(doc)


def _bootstrap_kubeconfig(params: ClusterParams, ca: Issued) -> bytes:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": _b64(cert_pem(ca.cert)),
                                  "server": params.endpoint_url},
                      "name": params.cluster_name}],
        "contexts": [{"context": {"cluster": params.cluster_name,
                                  "user": "tls-bootstrap-token-user"},
                      "name": f"tls-bootstrap-token-user@{params.cluster_name}"}],
        "current-context": f"tls-bootstrap-token-user@{params.cluster_name}",
        "kind": "Config",
        "preferences": {},
        "users": [{"name": "tls-bootstrap-token-user", "user": {"token": BOOTSTRAP_TOKEN}}],
    }
    return dump_yaml(doc)


def _kubelet_config(params: ClusterParams, faults: dict[str, Fault]) -> bytes:
    """The KubeletConfiguration kubeadm writes, with the fields that matter here."""
    doc: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"cacheTTL": "0s", "enabled": True},
            "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
        },
        "authorization": {"mode": "Webhook",
                          "webhook": {"cacheAuthorizedTTL": "0s", "cacheUnauthorizedTTL": "0s"}},
        "cgroupDriver": "systemd",
        "clusterDNS": [_dns_ip(params)],
        "clusterDomain": params.dns_domain,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "rotateCertificates": "kubelet-rotation" not in faults,
        "staticPodPath": "/etc/kubernetes/manifests",
    }
    if "kubelet-client-ca-file" in faults:
        x509_auth = doc["authentication"]["x509"]
        if faults["kubelet-client-ca-file"].target == "none":
            del x509_auth["clientCAFile"]
        else:
            x509_auth["clientCAFile"] = "/etc/kubernetes/pki/front-proxy-ca.crt"
    if "kubelet-static-pod-path" in faults:
        doc["staticPodPath"] = "/etc/kubernetes/manifests2"
    return dump_yaml(doc)


def _verify_kubelets(tree: Path) -> None:
    """The API server told to verify the kubelets' serving certs with the cluster CA."""
    manifest = tree / "manifests/kube-apiserver.yaml"
    doc = load_yaml(manifest.read_bytes())
    doc["spec"]["containers"][0]["command"].append(
        "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt")
    _write(manifest, dump_yaml(doc), manifest.stat().st_mode & 0o777)


def _dns_ip(params: ClusterParams) -> str:
    """kubeadm gives CoreDNS the tenth address of the service subnet."""
    import ipaddress

    net = ipaddress.ip_network(params.service_subnet.split(",")[0], strict=False)
    return str(net.network_address + 10)


def _rotated_pair(
    params: ClusterParams, now: datetime, ca: Issued, faults: dict[str, Fault]
) -> bytes:
    """The kubelet's client cert and key in one PEM, as its certificate manager writes it."""
    start, end = now - BACKDATE, now + ROTATED_VALIDITY
    if "kubelet-client-expired" in faults:
        start, end = now - ROTATED_VALIDITY - timedelta(days=1), now - timedelta(days=1)
    node = "other-node" if "kubelet-client-identity" in faults else params.node_name
    signer = _impostor_ca(ca, params, now) if "kubelet-client-ca" in faults else ca
    plan = CertPlan(f"{NODE_PREFIX}{node}", (NODES_GROUP,), SANs(), (CLIENT_AUTH,), False,
                    start, end)
    key = new_key(KeyAlgorithm.ECDSA_P256)
    return cert_pem(issue(plan, key, signer)) + key_pem(key)


def _serving_pair(params: ClusterParams, now: datetime, expired: bool) -> tuple[bytes, bytes]:
    """The self-signed pair the kubelet makes at first start: a leaf `<host>@<time>` signed
    by a throwaway `<host>-ca@<time>`, both in kubelet.crt."""
    start = now - timedelta(hours=1)
    if expired:
        start = now - SERVING_VALIDITY - timedelta(days=1)
    end = start + SERVING_VALIDITY
    unix = int(start.timestamp())
    host = params.node_name
    ca_key = new_key(KeyAlgorithm.ECDSA_P256)
    ca = Issued(issue(CertPlan(f"{host}-ca@{unix}", (), SANs(), (), True, start, end),
                      ca_key, None), ca_key)
    key = new_key(KeyAlgorithm.ECDSA_P256)
    leaf = issue(CertPlan(f"{host}@{unix}", (), SANs(dns=(host,)), (SERVER_AUTH,), False,
                          start, end), key, ca)
    return cert_pem(leaf) + cert_pem(ca.cert), key_pem(key)


def _admin_copy(
    tree: Path, params: ClusterParams, now: datetime, ca: Issued, faults: dict[str, Fault]
) -> bytes:
    """`cp /etc/kubernetes/admin.conf ~/.kube/config`, or a copy gone wrong."""
    if "kubeconfig-copy-stale" not in faults and "kubeconfig-copy-ca" not in faults:
        return (tree / "admin.conf").read_bytes()
    spec = next(s for s in certs_for(params) if s.name == "admin.conf")
    signer = ca
    if "kubeconfig-copy-ca" in faults:
        signer = _impostor_ca(ca, params, now)
    plan = plan_for(spec, params, now, signer)
    if "kubeconfig-copy-stale" in faults:
        plan = CertPlan(plan.cn, plan.organizations, plan.sans, plan.usages, False,
                        now - timedelta(days=400), now - timedelta(days=35))
    key = new_key(params.key_algorithm)
    client = Issued(issue(plan, key, signer), key)
    doc = kubeconfig_document(KUBECONFIGS_BY_FILE["admin.conf"], params,
                              cert_pem(signer.cert), client)
    return dump_yaml(doc)
