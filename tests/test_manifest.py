"""Static pod manifests: the Pod, its flags in order, the files they name."""

from __future__ import annotations

import json
from pathlib import Path

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest
import yaml

from kexplore.core.manifest import (
    Flag,
    parse_flags,
)
from kexplore.core.paths import host_beside, map_to_root, tree_path
from kexplore.core.pki import DecodeError
from kexplore.core.read.read_pod import decode_manifest
from kexplore.core.read.yamlio import load_yaml

APISERVER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "annotations": {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint":
                        "192.168.1.10:6443"},
        "labels": {"component": "kube-apiserver", "tier": "control-plane"},
        "name": "kube-apiserver",
        "namespace": "kube-system",
    },
    "spec": {
        "containers": [{
            "command": [
                "kube-apiserver",
                "--advertise-address=192.168.1.10",
                "--allow-privileged=true",
                "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                "--etcd-servers=https://127.0.0.1:2379",
                "--tls-sni-cert-key=/etc/kubernetes/pki/a.crt,/etc/kubernetes/pki/a.key:*.x",
            ],
            "args": ["--v", "2", "--profiling", "--enable-admission-plugins=NodeRestriction",
                     "--enable-admission-plugins", "NodeRestriction,AlwaysPullImages"],
            "image": "registry.k8s.io/kube-apiserver:v1.35.0",
            "imagePullPolicy": "IfNotPresent",
            "livenessProbe": {"httpGet": {"path": "/livez", "port": "probe-port"}},
            "name": "kube-apiserver",
            "ports": [{"containerPort": 6443, "name": "probe-port", "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "250m"}},
            "env": [{"name": "HTTPS_PROXY", "value": "http://p"},
                    {"name": "ETCD_PASSWORD", "value": "hunter2"},
                    {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
            "volumeMounts": [{"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs",
                              "readOnly": True}],
        }],
        "hostNetwork": True,
        "priority": 2000001000,
        "priorityClassName": "system-node-critical",
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "volumes": [
            {"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"},
             "name": "k8s-certs"},
            {"emptyDir": {}, "name": "scratch"},
        ],
    },
}


def test_decodes_the_pod() -> None:
    m = decode_manifest(yaml.safe_dump(APISERVER).encode())
    assert (m.name, m.namespace, m.priority, m.priority_class_name, m.host_network) == (
        "kube-apiserver", "kube-system", 2000001000, "system-node-critical", True)
    assert m.labels == {"component": "kube-apiserver", "tier": "control-plane"}
    assert m.security_context == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert [(v.name, v.host_path, v.type, v.source) for v in m.volumes] == [
        ("k8s-certs", "/etc/kubernetes/pki", "DirectoryOrCreate", "hostPath"),
        ("scratch", "", "", "emptyDir")]
    ctr = m.container()
    assert ctr is not None and ctr.image_tag == "v1.35.0"
    assert ctr.ports[0].container_port == 6443 and ctr.volume_mounts[0].read_only
    assert set(ctr.probes) == {"livenessProbe"} and ctr.resources == {"requests": {"cpu": "250m"}}
    assert [e.name for e in ctr.secret_env()] == ["ETCD_PASSWORD"]
    assert ctr.env[2].from_source and ctr.env[2].value is None
    assert "hunter2" not in repr(ctr.env[1])
    assert m.raw == APISERVER and m.problems == ()


def test_flags_are_ordered_with_repeats_and_last_wins() -> None:
    ctr = decode_manifest(json.dumps(APISERVER).encode()).container()
    assert ctr is not None
    assert ctr.flags[0] == Flag("advertise-address", "192.168.1.10", 1)
    assert ctr.flag_value("--v") == "2"
    assert ctr.flag_value("profiling") is None and ctr.has_flag("profiling")
    assert ctr.flag_values("enable-admission-plugins") == (
        "NodeRestriction", "NodeRestriction,AlwaysPullImages")
    assert ctr.flag_value("enable-admission-plugins") == "NodeRestriction,AlwaysPullImages"
    assert ctr.flag_value("missing") is None
    assert [f.index for f in ctr.flags] == sorted(f.index for f in ctr.flags)


@pytest.mark.parametrize(
    ("items", "flags", "positionals"),
    [
        (["--a=b"], [("a", "b")], []),
        (["--a", "b"], [("a", "b")], []),
        (["--a", "--b"], [("a", None), ("b", None)], []),
        (["--a", "-1"], [("a", None), ("1", None)], []),
        (["--leader-elect", "pos"], [("leader-elect", None)], ["pos"]),
        (["--a="], [("a", "")], []),
        (["-v=4"], [("v", "4")], []),
        (["--a", "x", "--", "--b"], [("a", "x")], ["--b"]),
        (["--a=x=y"], [("a", "x=y")], []),
        (["--a"], [("a", None)], []),
    ],
)
def test_parse_flags(items, flags, positionals) -> None:
    got, pos = parse_flags(tuple(items))
    assert [(f.name, f.value) for f in got] == flags and list(pos) == positionals


def test_file_paths_and_mapping(tmp_path: Path) -> None:
    m = decode_manifest(yaml.safe_dump(APISERVER).encode())
    paths = [(p.flag, p.path) for p in m.file_paths()]
    assert paths == [("client-ca-file", "/etc/kubernetes/pki/ca.crt"),
                     ("tls-sni-cert-key", "/etc/kubernetes/pki/a.crt"),
                     ("tls-sni-cert-key", "/etc/kubernetes/pki/a.key")]
    assert map_to_root("/etc/kubernetes/pki/ca.crt", tmp_path) == tmp_path / "pki" / "ca.crt"
    assert map_to_root("/etc/kubernetes", tmp_path) == tmp_path
    assert map_to_root("/etc/kubernetes/../shadow", tmp_path) is None
    assert map_to_root("/etc/kubernetesX/a", tmp_path) is None
    assert map_to_root("/var/lib/kubelet/pki/x.pem", tmp_path) is None


def test_host_and_tree_paths_as_client_go_reads_a_kubeconfig() -> None:
    # relative to the folder of the file that names it; absolute as written
    assert host_beside("admin.conf", "pki/ca.crt") == "/etc/kubernetes/pki/ca.crt"
    assert host_beside("pki/etcd/peer.crt", "ca.crt") == "/etc/kubernetes/pki/etcd/ca.crt"
    assert host_beside("admin.conf", "../passwd") == "/etc/passwd"
    assert host_beside("admin.conf", "/var/lib/kubelet/x.pem") == "/var/lib/kubelet/x.pem"
    assert tree_path("/etc/kubernetes/pki//ca.crt") == "pki/ca.crt"
    assert tree_path("/etc/kubernetes") == ""
    assert tree_path("/etc/passwd") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"- a\n", "not a Pod: the document is a list"),
        (b"3\n", "not a Pod: the document is a number"),
        (b"", "empty document"),
        (b"kind: Deployment\n", "not a Pod: kind is 'Deployment'"),
        (b"spec: {}\n", "not a Pod: no kind"),
        (b"kind: Pod\n", "spec is missing"),
        (b"kind: Pod\nspec: []\n", "spec is a list"),
        (c.pod(containers=3), "spec.containers is a number, not a list"),
        (c.pod(containers="x"), "spec.containers is a string, not a list"),
        (c.ALIAS_BOMB, "alias"),
        (b"kind: Pod\nspec: {\n", "invalid YAML"),
        (b"\xff\xfe\x00k", "not YAML"),
        pytest.param(b"[" * 10000, "YAML", id="unclosed-nesting"),
        # refused as too deep: by libyaml 0.2.5 itself, or before it by our nesting bound
        pytest.param(b"[" * 3000 + b"]" * 3000, "not a Pod|nest", id="deep-nesting"),
    ],
)
def test_wrong_shapes_raise_decode_error(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_manifest(data)


def test_malformed_parts_are_recorded_not_fatal() -> None:
    data = c.pod(containers=[
        {"name": "a", "command": "kube-scheduler --x", "env": ["NOT=A=MAP"], "ports": 5},
        "not a container",
    ], hostNetwork="yes please", priority="high", volumes=[{"name": "v", "hostPath": "/x"}])
    m = decode_manifest(data)
    assert m.container("a") is not None and m.container("a").flags == ()  # type: ignore[union-attr]
    text = " | ".join(m.problems)
    for fragment in ("command is a string", "env holds 1 item", "ports is a number",
                     "holds 1 item(s) that are not mappings", "hostNetwork",
                     "priority is a string", "hostPath is not a mapping"):
        assert fragment in text
    assert m.host_network is None and m.priority is None


def test_load_yaml_allows_small_anchors_and_tab_json() -> None:
    assert load_yaml(b"a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}
    assert load_yaml(b'{\n\t"kind": "Pod"\n}') == {"kind": "Pod"}
