"""Would the kubelet run it: pod defects of our own, one at a time, on generated trees of
several versions. Each is reported by its rule, on its path, at its pointer, and nothing
else in the report changes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FAST, NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.params import ClusterParams, Version
from kexplore.core.read.scan import scan
from kexplore.core.read.yamlio import dump_yaml

APISERVER, CM, SCHEDULER, ETCD = (
    "manifests/kube-apiserver.yaml", "manifests/kube-controller-manager.yaml",
    "manifests/kube-scheduler.yaml", "manifests/etcd.yaml",
)
Pod = dict[str, Any]
Found = tuple[str, str, str, str]  # rule, severity, path, pointer


def c0(pod: Pod) -> dict[str, Any]:
    return pod["spec"]["containers"][0]


def volume(pod: Pod, name: str) -> dict[str, Any]:
    return next(v for v in pod["spec"]["volumes"] if v["name"] == name)


def mount(pod: Pod, name: str) -> dict[str, Any]:
    return next(m for m in c0(pod)["volumeMounts"] if m["name"] == name)


def index_of(items: list[Any], name: str) -> int:
    return next(i for i, item in enumerate(items) if item.get("name") == name)


def set_flag(pod: Pod, name: str, value: str | None) -> None:
    """Replace (or, with None, remove) --name in the command line, keeping its place."""
    command = c0(pod)["command"]
    at = next(i for i, item in enumerate(command) if item.startswith(f"--{name}="))
    if value is None:
        del command[at]
    else:
        command[at] = f"--{name}={value}"


def add_flag(pod: Pod, item: str) -> None:
    c0(pod)["command"].append(item)


@dataclass(frozen=True)
class Defect:
    name: str
    minor: int
    path: str
    edit: Callable[[Pod], None] | None  # on the decoded pod, written back as kubeadm writes
    expected: tuple[tuple[str, str, str, str], ...]  # rule, severity, path, pointer
    text: Callable[[bytes], bytes] | None = None  # or on the file's bytes
    extra_file: str = ""  # the edit lands in a new file beside the original


def rename_key(d: dict[str, Any], old: str, new: str) -> None:
    d[new] = d.pop(old)


def _volume_index(pod: Pod, name: str) -> int:
    return index_of(pod["spec"]["volumes"], name)


def _mount_index(pod: Pod, name: str) -> int:
    return index_of(c0(pod)["volumeMounts"], name)


ERR, WARN, INFO = "error", "warning", "info"
K = "spec.containers[0]"

DEFECTS: list[Defect] = [
    # --- the eight -------------------------------------------------------------
    Defect("volume name deleted", 35, ETCD,
           lambda p: volume(p, "etcd-data").pop("name"),
           (("pod-invalid", ERR, ETCD, "spec.volumes[1].name"),)),
    Defect("mount of a missing volume", 35, SCHEDULER,
           lambda p: mount(p, "kubeconfig").__setitem__("name", "kubeconfg"),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.volumeMounts[0].name"),)),
    Defect("readOlny", 35, APISERVER,
           lambda p: rename_key(mount(p, "k8s-certs"), "readOnly", "readOlny"),
           (("pod-dropped-field", WARN, APISERVER, f"{K}.volumeMounts[2].readOlny"),)),
    Defect("cpu 250 m", 35, APISERVER,
           lambda p: c0(p)["resources"]["requests"].__setitem__("cpu", "250 m"),
           (("pod-decode-error", ERR, APISERVER, f"{K}.resources.requests[cpu]"),)),
    Defect("empty image", 31, CM, lambda p: c0(p).__setitem__("image", ""),
           (("pod-invalid", ERR, CM, f"{K}.image"),)),
    Defect("container kube_scheduler", 28, SCHEDULER,
           lambda p: c0(p).__setitem__("name", "kube_scheduler"),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.name"),)),
    Defect("liveness on a port not served", 31, APISERVER,
           lambda p: c0(p)["livenessProbe"]["httpGet"].__setitem__("port", 6444),
           (("pod-probe", ERR, APISERVER, f"{K}.livenessProbe.httpGet"),)),
    Defect("scheduler backup left in manifests", 35, SCHEDULER, lambda p: None,
           (("pod-duplicate", ERR, SCHEDULER + ".bak", "metadata.name"),),
           extra_file=SCHEDULER + ".bak"),
    # --- the file source -----------------------------------------------------------------
    Defect("a renamed copy left as .orig", 34, SCHEDULER,
           lambda p: p["metadata"].update(name="kube-scheduler-old",
                                          labels={"component": "kube-scheduler-old",
                                                  "tier": "control-plane"}),
           (("pod-backup-file", ERR, SCHEDULER + ".orig", ""),), extra_file=SCHEDULER + ".orig"),
    Defect("a second pod on the scheduler's host port", 35, SCHEDULER,
           lambda p: p["metadata"].update(name="lb", labels={"app": "lb"}),
           (("pod-host-port", ERR, "manifests/lb.yaml", ""),), extra_file="manifests/lb.yaml"),
    Defect("a second document", 33, CM, None,
           (("pod-extra-document", WARN, CM, ""),),
           text=lambda b: b + b"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"),
    Defect("a key given twice", 32, SCHEDULER, None,
           (("pod-duplicate-key", WARN, SCHEDULER, "spec.priorityClassName"),),
           text=lambda b: b.replace(b"  priorityClassName: system-node-critical\n",
                                    b"  priorityClassName: system-node-critical\n"
                                    b"  priorityClassName: system-node-critical\n")),
    # a key given twice whose later value breaks something: that rule's finding, alone
    Defect("hostNetwork false given after true", 35, ETCD, None,
           (("manifest-host-network", WARN, ETCD, "spec.hostNetwork"),),
           text=lambda b: b.replace(b"  hostNetwork: true\n",
                                    b"  hostNetwork: true\n  hostNetwork: false\n")),
    Defect("another priorityClassName given after kubeadm's", 33, SCHEDULER, None,
           (("manifest-priority-class", WARN, SCHEDULER, "spec.priorityClassName"),),
           text=lambda b: b.replace(b"  priorityClassName: system-node-critical\n",
                                    b"  priorityClassName: system-node-critical\n"
                                    b"  priorityClassName: low\n")),
    Defect("etcd's image given after the scheduler's", 35, SCHEDULER, None,
           (("pod-image", ERR, SCHEDULER, f"{K}.image"),),
           text=lambda b: b.replace(b"    imagePullPolicy:",
                                    b"    image: registry.k8s.io/etcd:3.6.0-0\n"
                                    b"    imagePullPolicy:", 1)),
    Defect("a second command without kubeadm's flags", 34, SCHEDULER, None,
           tuple(("manifest-flag", WARN, SCHEDULER, f"--{flag}") for flag in (
               "authentication-kubeconfig", "authorization-kubeconfig", "bind-address")),
           text=lambda b: b.replace(b"    imagePullPolicy:",
                                    b"    command: [kube-scheduler, --leader-elect=true,"
                                    b" --kubeconfig=/etc/kubernetes/scheduler.conf]\n"
                                    b"    imagePullPolicy:", 1)),
    # --- the decoder ---------------------------------------------------------------------
    Defect("hostpath in the wrong case", 35, APISERVER,
           lambda p: rename_key(volume(p, "k8s-certs"), "hostPath", "hostpath"),
           (("pod-dropped-field", ERR, APISERVER, "spec.volumes[2].hostpath"),)),
    Defect("hostNetowrk", 30, ETCD, lambda p: rename_key(p["spec"], "hostNetwork", "hostNetowrk"),
           # one edit, the spelling, fixes both: the rule on what breaks says it
           (("manifest-host-network", WARN, ETCD, "spec.hostNetwork"),)),
    Defect("command as a string", 35, SCHEDULER,
           lambda p: c0(p).__setitem__("command", " ".join(c0(p)["command"])),
           (("pod-decode-error", ERR, SCHEDULER, f"{K}.command"),)),
    Defect("readOnly quoted", 29, CM,
           lambda p: mount(p, "k8s-certs").__setitem__("readOnly", "yes"),
           (("pod-decode-error", ERR, CM, f"{K}.volumeMounts[3].readOnly"),)),
    Defect("containerPort as a string", 35, ETCD,
           lambda p: c0(p)["ports"][0].__setitem__("containerPort", "2381"),
           (("pod-decode-error", ERR, ETCD, f"{K}.ports[0].containerPort"),)),
    Defect("apiVersion v2", 35, SCHEDULER, lambda p: p.__setitem__("apiVersion", "v2"),
           (("pod-decode-error", ERR, SCHEDULER, "apiVersion"),)),
    Defect("cpu 250mm", 28, ETCD,
           lambda p: c0(p)["resources"]["requests"].__setitem__("cpu", "250mm"),
           (("pod-decode-error", ERR, ETCD, f"{K}.resources.requests[cpu]"),)),
    # --- validation ----------------------------------------------------------------------
    Defect("negative cpu", 35, CM,
           lambda p: c0(p)["resources"]["requests"].__setitem__("cpu", "-1"),
           (("pod-invalid", ERR, CM, f"{K}.resources.requests[cpu]"),)),
    Defect("probe without a handler", 31, SCHEDULER,
           lambda p: c0(p)["livenessProbe"].pop("httpGet"),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.livenessProbe"),)),
    Defect("probe with two handlers", 31, SCHEDULER,
           lambda p: c0(p)["livenessProbe"].__setitem__("tcpSocket", {"port": 10259}),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.livenessProbe.tcpSocket"),)),
    Defect("probe scheme https", 35, CM,
           lambda p: c0(p)["startupProbe"]["httpGet"].__setitem__("scheme", "https"),
           (("pod-invalid", ERR, CM, f"{K}.startupProbe.httpGet.scheme"),)),
    Defect("probe port digits as a string", 31, CM,
           lambda p: c0(p)["livenessProbe"]["httpGet"].__setitem__("port", "10257"),
           (("pod-invalid", ERR, CM, f"{K}.livenessProbe.httpGet.port"),)),
    Defect("duplicate port name", 35, APISERVER,
           lambda p: c0(p)["ports"].append(
               {"containerPort": 6444, "name": "probe-port", "protocol": "TCP"}),
           (("pod-invalid", ERR, APISERVER, f"{K}.ports[1].name"),)),
    Defect("hostPort other than containerPort", 35, ETCD,
           lambda p: c0(p)["ports"][0].__setitem__("hostPort", 12381),
           (("pod-invalid", ERR, ETCD, f"{K}.ports[0].hostPort"),)),
    Defect("uppercase pod name", 30, SCHEDULER,
           lambda p: p["metadata"].__setitem__("name", "Kube-Scheduler"),
           (("pod-invalid", ERR, SCHEDULER, "metadata.name"),)),
    Defect("no pod name", 35, CM, lambda p: p["metadata"].pop("name"),
           (("pod-invalid", ERR, CM, "metadata.name"),)),
    Defect("duplicate mountPath", 35, APISERVER,
           lambda p: mount(p, "etc-ca-certificates").__setitem__("mountPath", "/etc/ssl/certs"),
           (("pod-invalid", ERR, APISERVER, f"{K}.volumeMounts[1].mountPath"),)),
    Defect("hostPath type Dir", 32, ETCD,
           lambda p: volume(p, "etcd-certs")["hostPath"].__setitem__("type", "Dir"),
           (("pod-invalid", ERR, ETCD, "spec.volumes[0].hostPath.type"),)),
    Defect("env name with a space", 28, SCHEDULER,
           lambda p: c0(p).__setitem__("env", [{"name": "GODEBUG X", "value": "1"}]),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.env[0].name"),)),
    Defect("a Secret volume on 1.34", 34, APISERVER,
           lambda p: p["spec"]["volumes"].append({"name": "extra", "secret": {"secretName": "x"}}),
           (("pod-invalid", ERR, APISERVER, "spec.volumes[5].secret"),)),
    Defect("containerPort 70000", 35, SCHEDULER,
           lambda p: c0(p)["ports"][0].__setitem__("containerPort", 70000),
           (("pod-invalid", ERR, SCHEDULER, f"{K}.ports[0].containerPort"),)),
    # --- runs, then fails ----------------------------------------------------------------
    Defect("another component's image, of another release", 36, SCHEDULER,
           lambda p: c0(p).__setitem__("image", "registry.k8s.io/kube-controller-manager:v1.30.0"),
           (("pod-image", ERR, SCHEDULER, f"{K}.image"),)),
    Defect("uppercase image", 33, SCHEDULER,
           lambda p: c0(p).__setitem__("image", c0(p)["image"].replace("kube-scheduler",
                                                                       "Kube-Scheduler")),
           (("pod-image-name", ERR, SCHEDULER, f"{K}.image"),)),
    Defect("named probe port not declared", 35, SCHEDULER, lambda p: c0(p).pop("ports"),
           (("pod-probe", ERR, SCHEDULER, f"{K}.livenessProbe.httpGet.port"),)),
    Defect("secure port moved, probes not", 31, CM,
           lambda p: set_flag(p, "bind-address", "127.0.0.1") or add_flag(p, "--secure-port=10300"),
           (("pod-probe", ERR, CM, f"{K}.livenessProbe.httpGet"),
            ("manifest-flag", WARN, CM, "--secure-port"))),
    Defect("scheduler moved onto the controller manager's port", 37, SCHEDULER,
           lambda p: add_flag(p, "--secure-port=10257"),
           # moving the flag back to the port its probes dial fixes both: one finding
           (("pod-host-port", ERR, SCHEDULER, "--secure-port"),)),
    Defect("etcd metrics moved onto the API server's port", 33, ETCD,
           lambda p: set_flag(p, "listen-metrics-urls", "http://127.0.0.1:6443"),
           (("pod-host-port", ERR, ETCD, "--listen-metrics-urls"),)),
    Defect("etcd metrics over https", 30, ETCD,
           lambda p: set_flag(p, "listen-metrics-urls", "https://127.0.0.1:2381"),
           (("pod-probe", ERR, ETCD, f"{K}.livenessProbe.httpGet"),
            ("manifest-flag", INFO, ETCD, "--listen-metrics-urls"))),
    Defect("anonymous auth off", 35, APISERVER,
           lambda p: add_flag(p, "--anonymous-auth=false"),
           (("pod-probe-auth", ERR, APISERVER, "--anonymous-auth"),)),
    Defect("etcd over http from the API server", 35, APISERVER,
           lambda p: set_flag(p, "etcd-servers", "http://127.0.0.1:2379"),
           (("etcd-plaintext", ERR, APISERVER, "--etcd-servers"),)),
    Defect("etcd listens for clients over http", 33, ETCD,
           lambda p: set_flag(p, "listen-client-urls", "http://127.0.0.1:2379"),
           (("etcd-plaintext", ERR, ETCD, "--listen-client-urls"),)),
    Defect("advertise address placeholder", 35, APISERVER,
           lambda p: set_flag(p, "advertise-address", "<api_ip>"),
           (("pod-flag-value", ERR, APISERVER, "--advertise-address"),)),
    Defect("service range with X", 29, APISERVER,
           lambda p: set_flag(p, "service-cluster-ip-range", "X.X.X.0/12"),
           (("pod-flag-value", ERR, APISERVER, "--service-cluster-ip-range"),)),
    Defect("EventRateLimit without its config", 35, APISERVER,
           lambda p: set_flag(p, "enable-admission-plugins", "NodeRestriction,EventRateLimit"),
           (("pod-admission-config", ERR, APISERVER, "--enable-admission-plugins"),)),
    Defect("flag given twice", 32, SCHEDULER,
           lambda p: add_flag(p, "--bind-address=0.0.0.0"),
           (("pod-flag-repeated", WARN, SCHEDULER, "--bind-address"),)),
    Defect("renamed pod", 35, CM,
           lambda p: p["metadata"].__setitem__("name", "controller-manager"),
           (("pod-renamed", WARN, CM, "metadata.name"),)),
    Defect("mirror pod export", 35, SCHEDULER,
           lambda p: p["metadata"].update(name="kube-scheduler-cp-1", uid="1b6f0d2e",
                                          resourceVersion="4711")
           or p.__setitem__("status", {"phase": "Running"}),
           (("pod-mirror-export", WARN, SCHEDULER, "metadata"),)),
    # --- field-level differences -----------------------------------------------------------
    Defect("image from another registry", 35, SCHEDULER,
           lambda p: c0(p).__setitem__("image", c0(p)["image"].replace("registry.k8s.io",
                                                                       "docker.io/someone")),
           (("pod-image", WARN, SCHEDULER, f"{K}.image"),)),
    Defect("another image", 33, CM,
           lambda p: c0(p).__setitem__("image", "registry.k8s.io/kube-controller-manager:debug"),
           (("pod-image", WARN, CM, f"{K}.image"),)),
    Defect("pki hostPath moved", 35, APISERVER,
           lambda p: volume(p, "k8s-certs")["hostPath"].__setitem__("path", "/srv/pki"),
           (("pod-pki-path", ERR, APISERVER, "spec.volumes[2].hostPath.path"),)),
    Defect("privileged", 35, ETCD,
           lambda p: c0(p).__setitem__("securityContext", {"privileged": True}),
           (("pod-host-access", WARN, ETCD, f"{K}.securityContext.privileged"),)),
    Defect("hostPID", 31, SCHEDULER, lambda p: p["spec"].__setitem__("hostPID", True),
           (("pod-host-access", WARN, SCHEDULER, "spec.hostPID"),)),
    Defect("the node's / mounted", 35, CM,
           lambda p: p["spec"]["volumes"].append(
               {"name": "host-root", "hostPath": {"path": "/", "type": "Directory"}}),
           (("pod-host-access", WARN, CM, "spec.volumes[7].hostPath.path"),)),
    Defect("liveness probe removed", 35, APISERVER, lambda p: c0(p).pop("livenessProbe"),
           (("pod-weakened", WARN, APISERVER, f"{K}.livenessProbe"),)),
    Defect("liveness probe slackened", 28, ETCD,
           lambda p: c0(p)["livenessProbe"].__setitem__("failureThreshold", 80),
           (("pod-weakened", INFO, ETCD, f"{K}.livenessProbe"),)),
    Defect("seccomp profile removed", 32, SCHEDULER, lambda p: p["spec"].pop("securityContext"),
           (("pod-weakened", WARN, SCHEDULER, "spec.securityContext.seccompProfile"),)),
    Defect("cpu request removed", 35, SCHEDULER, lambda p: c0(p).pop("resources"),
           (("pod-weakened", WARN, SCHEDULER, f"{K}.resources.requests[cpu]"),)),
    Defect("cpu request lowered", 30, APISERVER,
           lambda p: c0(p)["resources"]["requests"].__setitem__("cpu", "50m"),
           (("pod-weakened", INFO, APISERVER, f"{K}.resources.requests[cpu]"),)),
]


def _found(root: Path) -> set[Found]:
    report = check_tree(scan(root), NOW)
    return {(f.rule, f.severity.value, f.path, f.pointer) for f in report.findings}


def _params(minor: int) -> ClusterParams:
    return ClusterParams(key_algorithm=FAST.key_algorithm, kubernetes_version=Version(1, minor, 2))


def plant(root: Path, defect: Defect) -> None:
    target = root / defect.path
    data = target.read_bytes()
    if defect.text is not None:
        data = defect.text(data)
    if defect.edit is not None:
        pod = yaml.safe_load(data)
        defect.edit(pod)
        data = dump_yaml(pod)
    written = root / (defect.extra_file or defect.path)
    written.write_bytes(data)
    written.chmod(0o600)  # as kubeadm writes its manifests: the mode is not the defect


def test_the_corpus_is_large_and_spans_versions() -> None:
    assert len(DEFECTS) >= 30
    assert len({d.minor for d in DEFECTS}) >= 4
    assert len({d.name for d in DEFECTS}) == len(DEFECTS)


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_each_defect_is_reported_alone(make_tree: Factory, tmp_path: Path, defect: Defect) -> None:
    clean = make_tree(_params(defect.minor))
    root = tmp_path / "etc-kubernetes"
    shutil.copytree(clean, root, symlinks=True)
    plant(root, defect)
    before, after = _found(clean), _found(root)
    assert before == set()
    assert after - before == set(defect.expected)
    assert before - after == set()


def test_a_key_given_twice_is_named_by_the_finding_that_gives_its_harm(
    make_tree: Factory, tmp_path: Path
) -> None:
    """The file still shows hostNetwork: true; the finding says why that value does not count."""
    defect = next(d for d in DEFECTS if d.name == "hostNetwork false given after true")
    root = tmp_path / "etc-kubernetes"
    shutil.copytree(make_tree(_params(defect.minor)), root, symlinks=True)
    plant(root, defect)
    (finding,) = [f for f in check_tree(scan(root), NOW).findings if f.path == ETCD]
    assert finding.message.startswith("hostNetwork is False")
    assert "spec.hostNetwork is given twice (line " in finding.message
    assert finding.message.endswith("the kubelet keeps the later value")
