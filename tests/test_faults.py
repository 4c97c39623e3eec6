"""Each planted fault is in the written tree, decoded independently, and nothing else differs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import NOW, Factory
from treeshape import describe

from kexplore.core.conventions.certs import CERTS
from kexplore.core.faults import FAULTS, FAULTS_BY_NAME, KUBECONFIG_FILES

Shape = dict[str, Any]


def _user(shape: Shape) -> dict[str, Any]:
    return shape["doc"]["users"][0]["user"]


def _container(shape: Shape) -> dict[str, Any]:
    return shape["doc"]["spec"]["containers"][0]


# For each fault: the file it lands in, and what must be true of that file afterwards.
EXPECTED: dict[str, tuple[str, Callable[[Shape], bool]]] = {
    "cert-expired": ("pki/apiserver.crt", lambda s: s["cert"]["not_after"] < NOW),
    "cert-expiring": (
        "pki/front-proxy-client.crt",
        lambda s: 0 < (s["cert"]["not_after"] - NOW).days <= 30,
    ),
    "cert-not-yet-valid": (
        "pki/apiserver-kubelet-client.crt",
        lambda s: s["cert"]["not_before"] > NOW,
    ),
    "cert-chain": (
        "pki/apiserver.crt",
        lambda s: s["signed_by"] is None and s["cert"]["issuer"] == "CN=kubernetes",
    ),
    "key-mismatch": ("pki/apiserver.key", lambda s: s["matches"] is False),
    "ca-replaced": (
        "pki/ca.crt",
        lambda s: s["cert"]["ca"] is True and s["cert"]["not_before"] < NOW - timedelta(days=29),
    ),
    "ca-constraints": ("pki/front-proxy-ca.crt", lambda s: s["cert"]["ca"] is False),
    "cert-san-missing": (
        "pki/apiserver.crt",
        lambda s: "<IPAddress(value=192.168.1.10)>" not in s["cert"]["sans"],
    ),
    "cert-subject": (
        "pki/front-proxy-client.crt",
        lambda s: s["cert"]["cn"] != ["front-proxy-client"],
    ),
    "cert-usage": ("pki/apiserver.crt", lambda s: s["cert"]["eku"] == ["1.3.6.1.5.5.7.3.2"]),
    "kubeconfig-ca-mismatch": (
        "admin.conf",
        lambda s: not s["ca_is_tree_ca"] and s["client_signed_by"] == "pki/ca.crt",
    ),
    "kubeconfig-client-cert": (
        "scheduler.conf",
        lambda s: _user(s)["cert"]["cn"] == ["system:kube-controller-manager"],
    ),
    "kubeconfig-server": (
        "controller-manager.conf",
        lambda s: s["doc"]["clusters"][0]["cluster"]["server"] != "https://192.168.1.10:6443",
    ),
    "kubeconfig-context": (
        "admin.conf",
        lambda s: s["doc"]["current-context"] not in [c["name"] for c in s["doc"]["contexts"]],
    ),
    "kubeconfig-file-missing": (
        "kubelet.conf",
        lambda s: _user(s).get("client-certificate", "").startswith("/etc/kubernetes/pki/"),
    ),
    "manifest-namespace": (
        "manifests/kube-apiserver.yaml",
        lambda s: s["doc"]["metadata"]["namespace"] != "kube-system",
    ),
    "manifest-labels": (
        "manifests/kube-scheduler.yaml",
        lambda s: "tier" not in s["doc"]["metadata"]["labels"],
    ),
    "manifest-priority-class": (
        "manifests/kube-controller-manager.yaml",
        lambda s: "priorityClassName" not in s["doc"]["spec"],
    ),
    "manifest-host-network": (
        "manifests/etcd.yaml",
        lambda s: s["doc"]["spec"]["hostNetwork"] is False,
    ),
    "manifest-leader-elect": (
        "manifests/kube-scheduler.yaml",
        lambda s: "--leader-elect=false" in _container(s)["command"],
    ),
    "manifest-file-missing": (
        "manifests/kube-apiserver.yaml",
        lambda s: (
            "--encryption-provider-config=/etc/kubernetes/"
            "encryption-config.yaml" in _container(s)["command"]
        ),
    ),
    "manifest-version-skew": (
        "manifests/kube-scheduler.yaml",
        lambda s: _container(s)["image"].endswith(":v1.34.0"),
    ),
    "pod-duplicate": (
        "manifests/kube-scheduler.yaml.bak",
        lambda s: s["doc"]["metadata"]["name"] == "kube-scheduler",
    ),
    "pod-backup-file": (
        "manifests/kube-controller-manager.yaml.orig",
        lambda s: s["doc"]["metadata"]["name"] == "kube-controller-manager-old",
    ),
    "pod-extra-document": (
        "manifests/kube-controller-manager.yaml",
        lambda s: s["documents"] == 2,
    ),
    "pod-duplicate-key": (
        "manifests/kube-scheduler.yaml",
        lambda s: s["raw"].count(b"priorityClassName:") == 2,
    ),
    "pod-dropped-field": (
        "manifests/kube-apiserver.yaml",
        lambda s: any("readOlny" in m for m in _container(s)["volumeMounts"]),
    ),
    "pod-decode-error": (
        "manifests/kube-controller-manager.yaml",
        lambda s: _container(s)["resources"]["requests"]["cpu"] == "250 m",
    ),
    "pod-invalid": (
        "manifests/etcd.yaml",
        lambda s: _container(s)["volumeMounts"][-1]["name"].endswith("-gone"),
    ),
    "pod-probe": (
        "manifests/kube-apiserver.yaml",
        lambda s: _container(s)["livenessProbe"]["httpGet"]["port"] == 6444,
    ),
    "pod-probe-auth": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--anonymous-auth=false" in _container(s)["command"],
    ),
    "etcd-plaintext": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--etcd-servers=http://127.0.0.1:2379" in _container(s)["command"],
    ),
    "pod-flag-value": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--advertise-address=<api_ip>" in _container(s)["command"],
    ),
    "pod-flag-missing": (
        "manifests/kube-apiserver.yaml",
        lambda s: not any(item.startswith("--service-account-issuer=")
                          for item in _container(s)["command"]),
    ),
    "pod-admission-config": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--enable-admission-plugins=NodeRestriction,EventRateLimit"
        in _container(s)["command"],
    ),
    "pod-flag-repeated": (
        "manifests/kube-scheduler.yaml",
        lambda s: sum(i.startswith("--bind-address=") for i in _container(s)["command"]) == 2,
    ),
    "pod-host-port": (
        "manifests/kube-scheduler.yaml",
        lambda s: "--secure-port=10257" in _container(s)["command"]
        and _container(s)["livenessProbe"]["httpGet"]["port"] == 10257,
    ),
    "pod-renamed": (
        "manifests/kube-scheduler.yaml",
        lambda s: s["doc"]["metadata"]["name"] == "scheduler-custom",
    ),
    "pod-mirror-export": (
        "manifests/kube-controller-manager.yaml",
        lambda s: s["doc"]["metadata"].get("resourceVersion") == "4711" and s["doc"]["status"],
    ),
    "pod-image-name": (
        "manifests/kube-scheduler.yaml",
        lambda s: "/Kube-Scheduler:" in _container(s)["image"],
    ),
    "pod-image": (
        "manifests/kube-scheduler.yaml",
        lambda s: _container(s)["image"].startswith("docker.io/mirror/kube-scheduler:"),
    ),
    "pod-pki-path": (
        "manifests/kube-apiserver.yaml",
        lambda s: {"path": "/srv/kubernetes/pki", "type": "DirectoryOrCreate"}
        in [v.get("hostPath") for v in s["doc"]["spec"]["volumes"]],
    ),
    "pod-host-access": ("manifests/etcd.yaml", lambda s: s["doc"]["spec"].get("hostPID") is True),
    "pod-weakened": (
        "manifests/kube-controller-manager.yaml",
        lambda s: "livenessProbe" not in _container(s),
    ),
    "file-mode": ("pki/apiserver.key", lambda s: s["mode"] == 0o644),
    "dir-mode": ("pki", lambda s: s["mode"] == 0o777),
    "parse-error": ("pki/front-proxy-client.crt", lambda s: s.get("unreadable") is True),
    "etcd-data-dir": (
        "manifests/etcd.yaml",
        lambda s: "--data-dir=/var/lib/etcd-data" in _container(s)["command"],
    ),
    "etcd-version": (
        "manifests/etcd.yaml",
        lambda s: _container(s)["image"] == "registry.k8s.io/etcd:3.4.13-0",
    ),
    "plane-not-mounted": (
        "manifests/etcd.yaml",
        lambda s: "--trusted-ca-file=/etc/kubernetes/pki/ca.crt" in _container(s)["command"],
    ),
    "connection-ca": (
        "pki/front-proxy-client.crt",
        lambda s: s["signed_by"] == "pki/ca.crt" and s["cert"]["issuer"] == "CN=kubernetes",
    ),
    "connection-eku": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--tls-cert-file=/etc/kubernetes/pki/apiserver-serving.crt"
        in _container(s)["command"],
    ),
    "connection-key-pair": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--proxy-client-key-file=/etc/kubernetes/pki/apiserver-kubelet-client.key"
        in _container(s)["command"],
    ),
    "connection-server-name": (
        "scheduler.conf",
        lambda s: s["doc"]["clusters"][0]["cluster"]["server"] == "https://10.255.0.1:6443",
    ),
    "connection-identity": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--requestheader-allowed-names=aggregator" in _container(s)["command"],
    ),
    "connection-address": (
        "kubelet.conf",
        lambda s: s["doc"]["clusters"][0]["cluster"]["server"].endswith(":644300"),
    ),
    "connection-plain-http": (
        "controller-manager.conf",
        lambda s: s["doc"]["clusters"][0]["cluster"]["server"].startswith("http://"),
    ),
    "kubeconfig-insecure": (
        "admin.conf",
        lambda s: s["doc"]["clusters"][0]["cluster"].get("insecure-skip-tls-verify") is True
        and "ca" not in s["doc"]["clusters"][0]["cluster"],
    ),
    "kubeconfig-token": (
        "admin.conf",
        lambda s: "token" in _user(s) and "cert" not in _user(s),
    ),
    "authorization-always-allow": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--authorization-mode=AlwaysAllow" in _container(s)["command"],
    ),
    "authorization-no-rbac": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--authorization-mode=Node" in _container(s)["command"],
    ),
    "etcd-servers-peer-port": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--etcd-servers=https://192.168.1.10:2380" in _container(s)["command"],
    ),
    "service-account-key": (
        "manifests/kube-apiserver.yaml",
        lambda s: "--service-account-key-file=/etc/kubernetes/pki/ca.crt"
        in _container(s)["command"],
    ),
    "cluster-signing": (
        "manifests/kube-controller-manager.yaml",
        lambda s: "--cluster-signing-cert-file=/etc/kubernetes/pki/front-proxy-ca.crt"
        in _container(s)["command"],
    ),
    "manifest-volume-missing": (
        "manifests/kube-vip.yaml",
        lambda s: s["doc"]["spec"]["volumes"][0]["hostPath"]["path"]
        == "/etc/kubernetes/super-admin.conf",
    ),
}
# A cut-off certificate also leaves its key with nothing to be matched against.
ALSO_CHANGED = {
    # the node kube-vip was copied to is a joined one: no super-admin.conf
    "manifest-volume-missing": {"super-admin.conf"},
    "parse-error": {"pki/front-proxy-client.key"},
    # its new key, and what is worked out from it: every certificate the old CA issued and
    # every kubeconfig (which keeps the old CA) no longer chain to pki/ca.crt
    "ca-replaced": {*KUBECONFIG_FILES,
                    *(str(spec.file) for spec in CERTS if spec.ca == "ca" and spec.file)},
    "connection-eku": {"pki/apiserver-serving.crt", "pki/apiserver-serving.key"},
}
# A fault whose flag names a host file outside the pod's mounts also writes that file.
ALSO_WRITTEN = {
    "manifest-volume-missing:kube-vip": {"super-admin.conf"},
    "ca-replaced:ca": {"pki/ca.key"},
    "ca-replaced:etcd-ca": {"pki/etcd/ca.key"},
    "plane-not-mounted:kube-apiserver": {"apiserver.crt"},
    # its fault path is the new cert; the flags naming it change in the manifest
    "connection-eku:kube-apiserver": {"pki/apiserver-serving.key",
                                      "manifests/kube-apiserver.yaml"},
}


def test_every_fault_in_the_catalogue_is_tested() -> None:
    assert set(EXPECTED) == set(FAULTS_BY_NAME)


@pytest.mark.parametrize("fault", [f.name for f in FAULTS])
def test_fault_lands_in_its_target_and_nowhere_else(make_tree: Factory, fault: str) -> None:
    clean = describe(make_tree())
    broken = describe(make_tree(faults=[fault]))
    path, holds = EXPECTED[fault]
    changed = {p for p in clean.keys() | broken.keys() if clean.get(p) != broken.get(p)}
    assert changed == {path} | ALSO_CHANGED.get(fault, set())
    assert holds(broken[path])
    assert path not in clean or not holds(clean[path])  # some faults add a file


@pytest.mark.parametrize(
    "fault,path",
    [
        ("key-mismatch:sa", "pki/sa.key"),
        ("cert-san-missing:etcd-server", "pki/etcd/server.crt"),
        ("cert-expired:admin.conf", "admin.conf"),
        ("file-mode:super-admin.conf", "super-admin.conf"),
        ("manifest-leader-elect:kube-controller-manager", "manifests/kube-controller-manager.yaml"),
    ],
)
def test_fault_targets_reach_other_files(make_tree: Factory, fault: str, path: str) -> None:
    clean = describe(make_tree())
    broken = describe(make_tree(faults=[fault]))
    changed = {p for p in clean if clean[p] != broken.get(p)}
    assert changed == {path}


ALL_TARGETS = [f"{spec.name}:{target}" for spec in FAULTS for target in spec.targets]
DERIVED = ("signed_by", "client_signed_by", "matches", "ca_is_tree_ca")


def own(shape: Any) -> Any:
    """A file's own content: without what is worked out from other files, and without the
    copy of pki/ca.crt a kubeconfig embeds (a fault on the CA rightly changes every copy)."""
    if not isinstance(shape, dict):
        return shape
    kept = {k: v for k, v in shape.items() if k not in DERIVED}
    if "doc" in kept and "clusters" in kept["doc"]:
        doc = dict(kept["doc"])
        doc["clusters"] = [{**c, "cluster": {k: v for k, v in c["cluster"].items() if k != "ca"}}
                           for c in doc["clusters"]]
        kept["doc"] = doc
    return kept


@pytest.mark.parametrize("fault", ALL_TARGETS)
def test_every_fault_on_every_target_changes_only_its_file(make_tree: Factory, fault: str) -> None:
    from faultpaths import target_path

    clean = describe(make_tree())
    broken = describe(make_tree(faults=[fault]))
    path = target_path(fault)
    assert clean.get(path) != broken[path]
    others = (clean.keys() | broken.keys()) - {path} - ALSO_WRITTEN.get(fault, set())
    assert {p for p in others if own(clean.get(p)) != own(broken.get(p))} == set()
