"""Write the tree kubeadm would write for an init node, from the conventions data.

Real keys, real certificates, real signatures: the output is accepted by openssl, etcd
and kubectl. Faults, when asked for, are planted on purpose and nowhere else.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kexplore.core.conventions.certs import (
    CLIENT_AUTH,
    KEY_ALGORITHMS,
    KEY_ENCIPHERMENT_RSA_ONLY,
    SA_KEY,
    SA_PUB,
    SERVER_AUTH,
    CertSpec,
    SANs,
    certs_for,
)
from kexplore.core.conventions.files import DIRECTORY_MODES, expected_mode
from kexplore.core.conventions.kubeconfigs import KubeconfigSpec, kubeconfigs_for
from kexplore.core.conventions.manifests import expected_pod, static_pods_for
from kexplore.core.conventions.versions import (
    NEWEST_SUPPORTED,
    OLDEST_SUPPORTED,
    is_supported,
    since,
)
from kexplore.core.faults import Fault
from kexplore.core.params import ClusterParams, KeyAlgorithm, Version
from kexplore.core.read.yamlio import dump_yaml
from kexplore.core.records import record

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
BACKDATE = timedelta(minutes=5)
# Leaf NotBefore: ≤1.30 copied the CA's NotBefore; 1.31+ backdates the issue time by 5 minutes.
LEAF_OWN_START = since(31)
EKU_OIDS = {
    SERVER_AUTH: ExtendedKeyUsageOID.SERVER_AUTH,
    CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
}


class TargetNotEmpty(Exception):
    """Raised instead of writing into a folder that already holds something."""


class NotWritableByKubeadm(ValueError):
    """Parameters no kubeadm release could have written a tree for."""


def refuse_unwritable(params: ClusterParams) -> None:
    """Raise NotWritableByKubeadm, saying why, for what kubeadm cannot write: a version
    the conventions do not describe, an algorithm that version lacks, no validity."""
    version = params.version
    if not is_supported(version):
        raise NotWritableByKubeadm(
            f"kubeadm {version} is outside the versions kexplore can write "
            f"(v{OLDEST_SUPPORTED.major}.{OLDEST_SUPPORTED.minor} to "
            f"v{NEWEST_SUPPORTED.major}.{NEWEST_SUPPORTED.minor})"
        )
    if not KEY_ALGORITHMS[params.key_algorithm].covers(version):
        raise NotWritableByKubeadm(
            f"kubeadm {version} cannot write {params.key_algorithm.value} keys "
            f"(that algorithm needs {KEY_ALGORITHMS[params.key_algorithm]})"
        )
    for name, validity in (("--cert-validity", params.cert_validity),
                           ("--ca-validity", params.ca_validity)):
        if validity <= timedelta(0):
            raise NotWritableByKubeadm(f"{name} must be longer than zero")


@record
class Issued:
    cert: x509.Certificate
    key: PrivateKey


# --- keys and certificates ---------------------------------------------------------------


def new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm.is_rsa:
        return rsa.generate_private_key(public_exponent=65537, key_size=algorithm.bits)
    curve = ec.SECP256R1() if algorithm is KeyAlgorithm.ECDSA_P256 else ec.SECP384R1()
    return ec.generate_private_key(curve)


def key_pem(key: PrivateKey) -> bytes:
    """PKCS#1 for RSA and SEC1 for EC, as kubeadm's keyutil writes them."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _hash_for(signer: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(signer, ec.EllipticCurvePrivateKey) and signer.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


@record
class CertPlan:
    """The facts one certificate is issued with; faults change a plan, never the data."""

    cn: str
    organizations: tuple[str, ...]
    sans: SANs
    usages: tuple[str, ...]
    is_ca: bool
    not_before: datetime
    not_after: datetime
    key_encipherment: bool = True


def plan_for(spec: CertSpec, params: ClusterParams, now: datetime, ca: Issued | None) -> CertPlan:
    if spec.is_ca or ca is None or LEAF_OWN_START.covers(params.version):
        start = now - BACKDATE
    else:
        start = ca.cert.not_valid_before_utc
    validity = params.ca_validity if spec.is_ca else params.cert_validity
    return CertPlan(
        cn=spec.cn(params),
        organizations=spec.organization(params.version),
        sans=spec.sans(params),
        usages=spec.usages,
        is_ca=spec.is_ca,
        not_before=start,
        not_after=now + validity,
        key_encipherment=params.key_algorithm.is_rsa
        or not KEY_ENCIPHERMENT_RSA_ONLY.covers(params.version),
    )


def issue(plan: CertPlan, key: PrivateKey, ca: Issued | None) -> x509.Certificate:
    """Sign a certificate for `key` by `ca`, or self-signed when `ca` is None."""
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in plan.organizations]
        + [x509.NameAttribute(NameOID.COMMON_NAME, plan.cn)]
    )
    issuer_name = ca.cert.subject if ca else subject
    signer = ca.key if ca else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(secrets.randbelow(2**63 - 2) + 1)
        .not_valid_before(plan.not_before)
        .not_valid_after(plan.not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=plan.key_encipherment,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=plan.is_ca,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=plan.is_ca, path_length=None), critical=True)
    )
    if plan.usages:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([EKU_OIDS[u] for u in plan.usages]), critical=False
        )
    if plan.is_ca:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if ca is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in plan.sans.dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in plan.sans.ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, _hash_for(signer))


# --- faults applied while issuing ---------------------------------------------------------


def _faulted_plan(
    plan: CertPlan, name: str, faults: Sequence[Fault], params: ClusterParams, now: datetime
) -> CertPlan:
    for fault in faults:
        if fault.target != name:
            continue
        if fault.name == "cert-expired":
            plan = replace(
                plan, not_before=now - timedelta(days=366), not_after=now - timedelta(days=1)
            )
        elif fault.name == "cert-expiring":
            plan = replace(plan, not_after=now + timedelta(days=10))
        elif fault.name == "cert-not-yet-valid":
            plan = replace(plan, not_before=now + timedelta(days=1))
        elif fault.name == "ca-constraints":
            plan = replace(plan, is_ca=False)
        elif fault.name == "cert-san-missing":
            dropped = params.advertise_address if name == "apiserver" else "127.0.0.1"
            plan = replace(
                plan, sans=SANs(plan.sans.dns, tuple(i for i in plan.sans.ips if i != dropped))
            )
        elif fault.name == "cert-subject":
            plan = replace(plan, cn=f"{plan.cn}-legacy")
        elif fault.name == "cert-usage":
            # A serving cert loses ServerAuth; a client-only cert gets ServerAuth instead.
            usages = (CLIENT_AUTH,) if SERVER_AUTH in plan.usages else (SERVER_AUTH,)
            plan = replace(plan, usages=usages)
    return plan


REPLACED_CA_AGE = timedelta(days=30)


def _has(faults: Iterable[Fault], name: str, target: str) -> bool:
    return any(f.name == name and f.target == target for f in faults)


def _impostor_ca(of: Issued, params: ClusterParams, now: datetime) -> Issued:
    """A CA with the same name as `of` but another key: what a careless re-init leaves behind."""
    key = new_key(params.key_algorithm)
    cn = of.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    plan = CertPlan(
        str(cn), (), SANs(dns=(str(cn),)), (), True, now - BACKDATE, now + params.ca_validity
    )
    return Issued(issue(plan, key, None), key)


@record
class SharedPki:
    """What every control-plane node of one cluster holds alike: the CAs and the sa key,
    copied to a joining node by `kubeadm join --control-plane --certificate-key`."""

    cas: dict[str, Issued]
    sa: PrivateKey


def issue_shared(params: ClusterParams, now: datetime) -> SharedPki:
    cas = {spec.name: issue_one(spec, params, now, None) for spec in certs_for(params)
           if spec.is_ca}
    return SharedPki(cas, new_key(params.key_algorithm))


def issue_one(spec: CertSpec, params: ClusterParams, now: datetime, ca: Issued | None) -> Issued:
    key = new_key(params.key_algorithm)
    return Issued(issue(plan_for(spec, params, now, ca), key, ca), key)


def issue_all(
    params: ClusterParams,
    now: datetime,
    faults: Sequence[Fault],
    shared: SharedPki | None = None,
) -> dict[str, Issued]:
    """Every certificate of the tree, CAs first, by kubeadm name. A shared CA is used as
    it is, unless a fault targets it: the fault then needs a CA of this node's own."""
    issued: dict[str, Issued] = {}
    for spec in certs_for(params):
        if shared and spec.name in shared.cas and not any(f.target == spec.name for f in faults):
            issued[spec.name] = shared.cas[spec.name]
            continue
        ca = issued[spec.ca] if spec.ca else None
        if ca is not None and _has(faults, "cert-chain", spec.name):
            ca = _impostor_ca(ca, params, now)
        if ca is not None and _has(faults, "connection-ca", spec.name):
            ca = issued["ca"]  # a real CA of the tree, but not the one the peer trusts
        plan = _faulted_plan(plan_for(spec, params, now, ca), spec.name, faults, params, now)
        key = new_key(params.key_algorithm)
        issued[spec.name] = Issued(issue(plan, key, ca), key)
    return issued


# --- files --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_document(
    spec: KubeconfigSpec, params: ClusterParams, ca_pem: bytes, client: Issued
) -> dict[str, Any]:
    user = spec.user(params)
    return {
        "apiVersion": "v1",
        "clusters": [
            {
                "cluster": {
                    "certificate-authority-data": _b64(ca_pem),
                    "server": spec.server_rule(params.version).url(params),
                },
                "name": params.cluster_name,
            }
        ],
        "contexts": [
            {
                "context": {"cluster": params.cluster_name, "user": user},
                "name": spec.context(params),
            }
        ],
        "current-context": spec.context(params),
        "kind": "Config",
        "preferences": {},
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(cert_pem(client.cert)),
                    "client-key-data": _b64(key_pem(client.key)),
                },
            }
        ],
    }


def _fault_kubeconfig(
    doc: dict[str, Any],
    file: str,
    faults: Sequence[Fault],
    issued: dict[str, Issued],
    params: ClusterParams,
    now: datetime,
) -> None:
    user = doc["users"][0]["user"]
    for fault in faults:
        if fault.target != file:
            continue
        if fault.name == "kubeconfig-ca-mismatch":
            impostor = _impostor_ca(issued["ca"], params, now)
            doc["clusters"][0]["cluster"]["certificate-authority-data"] = _b64(
                cert_pem(impostor.cert)
            )
        elif fault.name == "kubeconfig-client-cert":
            other = (
                "controller-manager.conf" if file != "controller-manager.conf" else "scheduler.conf"
            )
            user["client-certificate-data"] = _b64(cert_pem(issued[other].cert))
            user["client-key-data"] = _b64(key_pem(issued[other].key))
        elif fault.name == "kubeconfig-server":
            # A server apiserver.crt names, so TLS holds and only the convention differs
            # (one it does not name is connection-server-name). admin.conf's server is
            # what the endpoint is read from, so there the URL gains a proxy's path.
            server = doc["clusters"][0]["cluster"]["server"]
            doc["clusters"][0]["cluster"]["server"] = (
                f"{server}/proxy" if file in ENDPOINT_KUBECONFIGS
                else "https://kubernetes.default.svc:443")
        elif fault.name == "connection-server-name":
            doc["clusters"][0]["cluster"]["server"] = "https://10.255.0.1:6443"
        elif fault.name == "connection-address":
            cluster = doc["clusters"][0]["cluster"]
            cluster["server"] = cluster["server"].rsplit(":", 1)[0] + ":644300"
        elif fault.name == "connection-plain-http":
            cluster = doc["clusters"][0]["cluster"]
            cluster["server"] = cluster["server"].replace("https://", "http://", 1)
        elif fault.name == "kubeconfig-insecure":
            # kubectl refuses a CA beside the flag, so the hand edit drops the CA
            cluster = doc["clusters"][0]["cluster"]
            del cluster["certificate-authority-data"]
            cluster["insecure-skip-tls-verify"] = True
        elif fault.name == "kubeconfig-token":
            user.pop("client-certificate-data")
            user.pop("client-key-data")
            user["token"] = f"{secrets.token_hex(3)}.{secrets.token_hex(8)}"
        elif fault.name == "kubeconfig-context":
            doc["current-context"] = "kubernetes-admin@old-cluster"
        elif fault.name == "kubeconfig-file-missing":
            stem = file.removesuffix(".conf")
            user.pop("client-certificate-data")
            user.pop("client-key-data")
            user["client-certificate"] = f"/etc/kubernetes/pki/{stem}-client.crt"
            user["client-key"] = f"/etc/kubernetes/pki/{stem}-client.key"


ENDPOINT_KUBECONFIGS = ("admin.conf", "super-admin.conf")
K8S = "/etc/kubernetes"
# plane-not-mounted:kube-apiserver: a copy of apiserver.crt beside pki/, which the pod
# does not mount
MOVED_CERT = "apiserver.crt"
# connection-eku: a hand-made serving pair beside kubeadm's, for clients only
HAND_MADE = ("pki/apiserver-serving.crt", "pki/apiserver-serving.key")


def set_flag(command: list[str], name: str, value: str) -> None:
    prefix = f"--{name}="
    kept = [item for item in command[1:] if not item.startswith(prefix)]
    command[1:] = sorted([*kept, f"{prefix}{value}"])


def _fault_pod(
    pod: dict[str, Any], name: str, faults: Sequence[Fault], params: ClusterParams
) -> None:
    container = pod["spec"]["containers"][0]
    for fault in faults:
        if fault.target != name:
            continue
        if fault.name == "manifest-namespace":
            pod["metadata"]["namespace"] = "default"
        elif fault.name == "manifest-labels":
            del pod["metadata"]["labels"]["tier"]
        elif fault.name == "manifest-priority-class":
            del pod["spec"]["priorityClassName"]
            del pod["spec"]["priority"]
        elif fault.name == "manifest-host-network":
            pod["spec"]["hostNetwork"] = False
        elif fault.name == "manifest-leader-elect":
            set_flag(container["command"], "leader-elect", "false")
        elif fault.name == "manifest-file-missing":
            # A hand-added flag whose file was never copied: the component crash-loops.
            flag = "encryption-provider-config" if name == "kube-apiserver" else "config"
            set_flag(
                container["command"],
                flag,
                "/etc/kubernetes/encryption-config.yaml"
                if name == "kube-apiserver"
                else f"/etc/kubernetes/{name}-config.yaml",
            )
        elif fault.name == "connection-address":  # etcd: its client port on one address
            listen = next(item for item in container["command"]
                          if item.startswith("--listen-client-urls="))
            set_flag(container["command"], "listen-client-urls", listen.split(",")[-1])
        elif fault.name == "etcd-data-dir":
            set_flag(container["command"], "data-dir", "/var/lib/etcd-data")
        elif fault.name == "etcd-version":
            container["image"] = container["image"].rsplit(":", 1)[0] + ":3.4.13-0"
        elif fault.name == "plane-not-mounted":
            if name == "etcd":
                set_flag(container["command"], "trusted-ca-file", f"{K8S}/pki/ca.crt")
            else:
                set_flag(container["command"], "tls-cert-file", f"{K8S}/{MOVED_CERT}")
        elif fault.name == "connection-eku":
            set_flag(container["command"], "tls-cert-file", f"{K8S}/{HAND_MADE[0]}")
            set_flag(container["command"], "tls-private-key-file", f"{K8S}/{HAND_MADE[1]}")
        elif fault.name == "connection-key-pair":
            set_flag(container["command"], "proxy-client-key-file",
                      f"{K8S}/pki/apiserver-kubelet-client.key")
        elif fault.name == "connection-identity":
            set_flag(container["command"], "requestheader-allowed-names", "aggregator")
        elif fault.name == "authorization-always-allow":
            set_flag(container["command"], "authorization-mode", "AlwaysAllow")
        elif fault.name == "authorization-no-rbac":
            set_flag(container["command"], "authorization-mode", "Node")
        elif fault.name == "etcd-servers-peer-port":
            host = params.advertise_address
            host = f"[{host}]" if ":" in host else host
            set_flag(container["command"], "etcd-servers", f"https://{host}:2380")
        elif fault.name == "service-account-key":
            set_flag(container["command"], "service-account-key-file", f"{K8S}/pki/ca.crt")
        elif fault.name == "cluster-signing":
            set_flag(container["command"], "cluster-signing-cert-file",
                      f"{K8S}/pki/front-proxy-ca.crt")
            set_flag(container["command"], "cluster-signing-key-file",
                      f"{K8S}/pki/front-proxy-ca.key")
        elif fault.name == "manifest-version-skew":
            v = params.version
            older = Version(v.major, v.minor - 1, 0)
            container["image"] = container["image"].rsplit(":", 1)[0] + f":{older}"
        elif fault.name.startswith("pod-") or fault.name == "etcd-plaintext":
            _fault_kubelet_pod(pod, container, name, fault.name)


def _fault_kubelet_pod(pod: dict[str, Any], container: dict[str, Any], name: str,
                       fault: str) -> None:
    """The defects the kubelet reacts to (checks/pods), planted in one pod."""
    command: list[str] = container["command"]
    if fault == "pod-dropped-field":
        mount = next(m for m in container["volumeMounts"] if m.get("readOnly"))
        mount["readOlny"] = mount.pop("readOnly")
    elif fault == "pod-decode-error":
        container["resources"]["requests"]["cpu"] = "250 m"
    elif fault == "pod-invalid":
        container["volumeMounts"][-1]["name"] += "-gone"
    elif fault == "pod-probe":
        http = container["livenessProbe"]["httpGet"]
        port = next((p["containerPort"] for p in container.get("ports", ())), http["port"])
        http["port"] = port + 1
    elif fault == "pod-probe-auth":
        set_flag(command, "anonymous-auth", "false")
    elif fault == "etcd-plaintext":
        flag = "etcd-servers" if name == "kube-apiserver" else "listen-client-urls"
        set_flag(command, flag, "http://127.0.0.1:2379")
    elif fault == "pod-flag-value":
        set_flag(command, "advertise-address", "<api_ip>")
    elif fault == "pod-admission-config":
        set_flag(command, "enable-admission-plugins", "NodeRestriction,EventRateLimit")
    elif fault == "pod-flag-missing":
        command[:] = [item for item in command
                      if not item.startswith("--service-account-issuer=")]
    elif fault == "pod-flag-repeated":
        command.append("--bind-address=0.0.0.0")
    elif fault == "pod-host-port":
        set_flag(command, "secure-port", "10257")
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            if kind in container:
                container[kind]["httpGet"]["port"] = 10257
    elif fault == "pod-renamed":
        pod["metadata"]["name"] = name.removeprefix("kube-") + "-custom"
    elif fault == "pod-mirror-export":
        pod["metadata"].update(uid="5f0c1d7e-9a41-4c2b-8f3e-1d2a3b4c5d6e", resourceVersion="4711")
        pod["status"] = {"phase": "Running", "qosClass": "Burstable"}
    elif fault == "pod-image-name":
        container["image"] = container["image"].replace(f"/{name}:", f"/{name.title()}:")
    elif fault == "pod-image":
        container["image"] = "docker.io/mirror/" + container["image"].rsplit("/", 1)[-1]
    elif fault == "pod-pki-path":
        volume = next(v for v in pod["spec"]["volumes"] if v["name"] in ("k8s-certs", "etcd-certs"))
        volume["hostPath"]["path"] = "/srv/kubernetes" + volume["hostPath"]["path"].removeprefix(
            "/etc/kubernetes")
    elif fault == "pod-host-access":
        pod["spec"]["hostPID"] = True
    elif fault == "pod-weakened":
        del container["livenessProbe"]


def build_files(
    params: ClusterParams,
    now: datetime,
    faults: Sequence[Fault] = (),
    shared: SharedPki | None = None,
) -> dict[str, bytes]:
    """Every file of the tree as bytes, by path relative to the root."""
    issued = issue_all(params, now, faults, shared)
    files: dict[str, bytes] = {}
    for spec in certs_for(params):
        if spec.file is None:
            continue
        cert, key = issued[spec.name].cert, issued[spec.name].key
        if _has(faults, "key-mismatch", spec.name):
            key = new_key(params.key_algorithm)
        files[spec.file] = cert_pem(cert)
        files[spec.key_file or ""] = key_pem(key)
    sa = shared.sa if shared else new_key(params.key_algorithm)
    sa_public = new_key(params.key_algorithm) if _has(faults, "key-mismatch", "sa") else sa
    files[SA_KEY] = key_pem(sa)
    files[SA_PUB] = sa_public.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ca_pem = files["pki/ca.crt"]
    for kc in kubeconfigs_for(params):
        doc = kubeconfig_document(kc, params, ca_pem, issued[kc.cert])
        _fault_kubeconfig(doc, kc.file, faults, issued, params, now)
        files[kc.file] = dump_yaml(doc)
    for spec in certs_for(params):
        if spec.file and spec.key_file and _has(faults, "ca-replaced", spec.name):
            # after the kubeconfigs, which keep the CA that issued their certificates; the
            # replacement is an earlier init's CA, as a restore from the wrong backup gives
            replacement = issue_one(spec, params, now - REPLACED_CA_AGE, None)
            files[spec.file] = cert_pem(replacement.cert)
            files[spec.key_file] = key_pem(replacement.key)
    for pod_spec in static_pods_for(params):
        pod = expected_pod(pod_spec, params)
        _fault_pod(pod, pod_spec.name, faults, params)
        files[pod_spec.file] = dump_yaml(pod)
        if _has(faults, "pod-duplicate", pod_spec.name):
            # the copy an operator keeps "just in case": the kubelet runs it too
            files[pod_spec.file + ".bak"] = files[pod_spec.file]
        if _has(faults, "pod-backup-file", pod_spec.name):
            old = expected_pod(pod_spec, params)
            old["metadata"]["name"] = old["metadata"]["labels"]["component"] = (
                f"{pod_spec.name}-old")
            files[pod_spec.file + ".orig"] = dump_yaml(old)
        if _has(faults, "pod-extra-document", pod_spec.name):
            files[pod_spec.file] += b"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: notes\n"
        if _has(faults, "pod-duplicate-key", pod_spec.name):
            line = f"  priorityClassName: {pod['spec']['priorityClassName']}\n".encode()
            files[pod_spec.file] = files[pod_spec.file].replace(line, line + line, 1)
    for fault in faults:
        if fault.name == "plane-not-mounted" and fault.target == "kube-apiserver":
            files[MOVED_CERT] = files["pki/apiserver.crt"]
        if fault.name == "connection-eku":
            files.update(_client_only_serving_pair(params, now, issued))
        if fault.name == "manifest-volume-missing":
            files[f"manifests/{fault.target}.yaml"] = dump_yaml(_kube_vip(params))
            files.pop("super-admin.conf", None)  # a joined node's tree: the init node's alone
        if fault.name == "parse-error":
            path = next(s.file for s in certs_for(params) if s.name == fault.target)
            assert path is not None
            files[path] = files[path][: len(files[path]) // 2]
    return files


def _kube_vip(params: ClusterParams) -> dict[str, Any]:
    """kube-vip's static pod as its docs write it for 1.29+ (super-admin.conf as its
    admin.conf), copied as is onto a node that has no super-admin.conf."""
    env = {"vip_arp": "true", "port": str(params.bind_port), "vip_interface": "eth0",
           "cp_enable": "true", "vip_leaderelection": "true", "address": "192.168.1.100"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "containers": [{
                "args": ["manager"],
                "env": [{"name": k, "value": v} for k, v in env.items()],
                "image": "ghcr.io/kube-vip/kube-vip:v0.8.0",
                "name": "kube-vip",
                "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                "volumeMounts": [{"mountPath": f"{K8S}/admin.conf", "name": "kubeconfig"}],
            }],
            "hostAliases": [{"hostnames": ["kubernetes"], "ip": "127.0.0.1"}],
            "hostNetwork": True,
            "volumes": [{"hostPath": {"path": f"{K8S}/super-admin.conf"},
                         "name": "kubeconfig"}],
        },
    }


def _client_only_serving_pair(
    params: ClusterParams, now: datetime, issued: dict[str, Issued]
) -> dict[str, bytes]:
    """apiserver.crt's names and CA, but issued for clientAuth only (a hand-made cert)."""
    spec = next(s for s in certs_for(params) if s.name == "apiserver")
    plan = replace(plan_for(spec, params, now, issued["ca"]), usages=(CLIENT_AUTH,))
    key = new_key(params.key_algorithm)
    cert = issue(plan, key, issued["ca"])
    return {HAND_MADE[0]: cert_pem(cert), HAND_MADE[1]: key_pem(key)}


def _mode_for(path: str, faults: Sequence[Fault], params: ClusterParams) -> int:
    rule = expected_mode(path)
    mode = rule.mode if rule else 0o644
    for fault in faults:
        if fault.name == "file-mode" and path == _file_of_target(fault.target, params):
            mode = 0o644
    return mode


def _file_of_target(target: str, params: ClusterParams) -> str:
    if target.endswith(".conf"):
        return target
    if target == "sa":
        return SA_KEY
    spec = next(s for s in certs_for(params) if s.name == target)
    return spec.key_file or ""


def _check_target(root: Path, force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise TargetNotEmpty(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise TargetNotEmpty(f"{root} is not empty; pass --force to write the tree into it anyway")


def kubelet_conf_planted(faults: Sequence[Fault]) -> bool:
    """Whether a fault lives in kubelet.conf as kubeadm writes it (embedded): the forms the
    kubelet rewrites it to afterwards (kubelet-finalize, a join's TLS bootstrap) would
    overwrite it, so there it stays as planted."""
    return any(f.target == "kubelet.conf" or f.name == "kubelet-client-embedded"
               for f in faults)


def generate_tree(
    root: Path,
    params: ClusterParams,
    now: datetime,
    faults: Sequence[Fault] = (),
    force: bool = False,
    shared: SharedPki | None = None,
) -> list[str]:
    """Write the tree under `root`; return the paths written, relative to it."""
    refuse_unwritable(params)
    ha = [str(f) for f in faults if f.name.startswith("ha-")]
    if ha:
        raise ValueError(f"{', '.join(ha)}: a fault of an HA set; it needs --nodes 2 or more")
    _check_target(root, force)
    return write_files(root, build_files(params, now, faults, shared), params, faults)


def write_files(
    root: Path, files: dict[str, bytes], params: ClusterParams, faults: Sequence[Fault] = ()
) -> list[str]:
    """Write a tree's files under `root` with kubeadm's modes; return the paths written."""
    _check_in_the_way(root, [*DIRECTORY_MODES, *files])
    root.mkdir(parents=True, exist_ok=True)
    for folder, mode in DIRECTORY_MODES.items():
        if folder == "pki/etcd" and not params.local_etcd:
            continue
        target = root / folder
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(mode)
    for path, data in sorted(files.items()):
        _write(root / path, data, _mode_for(path, faults, params))
    for fault in faults:
        if fault.name == "dir-mode" and (root / fault.target).is_dir():
            (root / fault.target).chmod(0o777)  # everyone may write to it
    return sorted(files)


def _check_in_the_way(root: Path, paths: Iterable[str]) -> None:
    """Refuse, before writing anything, what --force must not write through: a symlink on
    the way (it would carry keys out of the folder) or a folder where a file goes."""
    for rel in paths:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            here = root.joinpath(*parts[:depth])
            if here.is_symlink():
                raise TargetNotEmpty(f"{here} is a symlink; refusing to write through it")
        target = root / rel
        if rel not in DIRECTORY_MODES and target.is_dir():
            raise TargetNotEmpty(f"{target} is a folder where kubeadm writes a file")


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` with `data` at `mode`, never leaving a secret briefly world-readable."""
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
