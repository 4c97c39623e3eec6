"""deploy/: the DaemonSet that runs kexplore on every control-plane node, every manifest
there validated, the Containerfile, and `kexplore serve` that the DaemonSet runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kexplore.serve import make_server
from tests.conftest import NOW, Factory
from tests.promtext import parse

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DAEMONSET = DEPLOY / "kexplore-daemonset.yaml"
MANIFESTS = sorted(DEPLOY.glob("*.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.fixture(scope="module")
def daemonset() -> dict[str, Any]:
    (doc,) = documents(DAEMONSET)
    return doc


def pod(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def test_it_runs_on_control_plane_nodes_only(daemonset: dict[str, Any]) -> None:
    assert (daemonset["apiVersion"], daemonset["kind"]) == ("apps/v1", "DaemonSet")
    spec = pod(daemonset)
    assert spec["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert spec["tolerations"] == [{"key": "node-role.kubernetes.io/control-plane",
                                    "operator": "Exists", "effect": "NoSchedule"}]
    labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert daemonset["spec"]["selector"]["matchLabels"] == labels


def test_it_mounts_the_two_host_folders_read_only_and_nothing_else(
    daemonset: dict[str, Any],
) -> None:
    spec = pod(daemonset)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert {name: v["hostPath"]["path"] for name, v in volumes.items()} == {
        "etc-kubernetes": "/etc/kubernetes", "kubelet-pki": "/var/lib/kubelet/pki"}
    assert all(set(v) == {"name", "hostPath"} for v in volumes.values())  # no emptyDir either
    (container,) = spec["containers"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert set(mounts) == set(volumes)
    for name, mount in mounts.items():
        assert mount["readOnly"] is True
        assert mount["mountPath"] == volumes[name]["hostPath"]["path"]


def test_it_asks_for_no_host_namespace_privilege_or_capability(
    daemonset: dict[str, Any],
) -> None:
    spec = pod(daemonset)
    for key in ("hostPID", "hostNetwork", "hostIPC"):
        assert spec.get(key, False) is False, key
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context["privileged"] is False and context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert all("hostPort" not in p for p in container.get("ports", []))


def test_it_serves_what_the_containerfile_builds(daemonset: dict[str, Any]) -> None:
    (container,) = pod(daemonset)["containers"]
    assert container["command"] == ["kexplore", "serve", "/etc/kubernetes", "--address", "0.0.0.0",
                                    "--port", "9102"]
    assert container["ports"][0]["containerPort"] == 9102
    text = (ROOT / "Containerfile").read_text()
    assert ('CMD ["kexplore", "serve", "/etc/kubernetes", "--address", "0.0.0.0", "--port", '
            '"9102"]') in text
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_manifest_validates_against_the_kubernetes_schema(path: Path) -> None:
    validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (offline schemas) is not installed"
    )
    for doc in documents(path):
        validate.validate(doc, "1.32", strict=True)  # raises on an unknown or mistyped field


def test_the_schema_check_can_fail(daemonset: dict[str, Any]) -> None:
    validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate missing")
    broken = json.loads(json.dumps(daemonset))
    pod(broken)["hostBogus"] = True
    with pytest.raises(validate.ValidationError):
        validate.validate(broken, "1.32", strict=True)


def _kubectl(kubectl: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # no kubeconfig at all: nothing here may reach a real cluster
    env = {"KUBECONFIG": str(tmp / "none"), "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
    return subprocess.run([kubectl, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_kubectl_reads_every_manifest_client_side(path: Path, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    done = _kubectl(kubectl, tmp_path, "apply", "--dry-run=client", "--validate=false",
                    "-f", str(path), "-o", "json")
    if done.returncode != 0 and "connection refused" in done.stderr:
        # `apply --dry-run=client` asks a server for discovery, even with
        # --validate=false; `label --local` decodes the file with no server at all
        done = _kubectl(kubectl, tmp_path, "label", "--local", "-f", str(path), "-o", "json",
                        "kexplore.example/validated=true")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    (doc,) = documents(path)
    assert (obj["apiVersion"], obj["kind"]) == (doc["apiVersion"], doc["kind"])
    assert obj["spec"]["template"]["spec"] == pod(doc)


# --- kexplore serve ------------------------------------------------------------------------


@pytest.fixture
def served(make_tree: Factory) -> Iterator[str]:
    server = make_server(make_tree(), "127.0.0.1", 0, clock=lambda: NOW)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_serve_gives_the_metrics_and_the_inventory(served: str) -> None:
    code, kind, text = get(served + "/metrics")
    assert (code, kind) == (200, "text/plain; version=0.0.4; charset=utf-8")
    metrics = parse(text)
    assert len(metrics["x509_cert_not_after"]) == 10 + 5  # pki files, kubeconfig users
    assert [s.value for s in metrics["kexplore_scrape_error"]] == [0]
    code, kind, text = get(served + "/inventory")
    assert (code, kind) == (200, "application/json")
    assert json.loads(text)["schema"] == "kexplore.inventory/v1"
    assert get(served + "/healthz")[:1] == (200,)
    assert get(served + "/etc/kubernetes/pki/ca.key")[0] == 404


def _serve_once(server: Any, path: str) -> str:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, _, text = get(f"http://127.0.0.1:{server.server_port}{path}")
        assert code == 200
        return text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_serve_reads_the_node_files_where_the_flags_say(tmp_path: Path) -> None:
    """With --node-root, serve reads the kubelet's files as check does: its client cert is
    measured and its expiry counted among the findings; without, the tree alone."""
    from kexplore.cli import build_parser
    from kexplore.commands import node_sources
    from kexplore.core.faults import parse_fault
    from kexplore.core.generate_node import generate_node_root
    from kexplore.core.params import ClusterParams, KeyAlgorithm

    root = tmp_path / "node"
    generate_node_root(root, ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256), NOW,
                       [parse_fault("kubelet-client-expired")])
    tree = root / "etc/kubernetes"
    args = build_parser().parse_args(["serve", str(tree), "--node-root", str(root)])
    sources = node_sources(args, tree)
    assert sources is not None and sources.node_root == root
    with_node = parse(_serve_once(make_server(tree, "127.0.0.1", 0, lambda: NOW, sources),
                                  "/metrics"))
    alone = parse(_serve_once(make_server(tree, "127.0.0.1", 0, lambda: NOW), "/metrics"))
    kubelet = "/var/lib/kubelet/pki/kubelet-client-current.pem"
    assert any(kubelet in " ".join(s.labels.values()) for s in with_node["x509_cert_not_after"])
    assert not any(kubelet in " ".join(s.labels.values()) for s in alone["x509_cert_not_after"])
    errors = {p: next(s.value for s in m["kexplore_findings"] if s.labels["severity"] == "error")
              for p, m in (("node", with_node), ("tree", alone))}
    assert errors == {"node": 1, "tree": 0}  # kubelet-client-expired, and nothing else
    for flag in ("--no-node-files", "--kubelet-dir", "--kubeconfig"):
        extra = [] if flag == "--no-node-files" else [str(root / "var/lib/kubelet")
                                                      if flag == "--kubelet-dir" else
                                                      str(root / "root/.kube/config")]
        assert build_parser().parse_args(["serve", str(tree), flag, *extra]).run


def test_serve_on_this_machine_reads_only_what_is_mounted(tmp_path: Path) -> None:
    """A pod that mounts /etc/kubernetes alone has no /var/lib/kubelet: serve reads the tree
    alone there, where check would report every kubelet file as missing."""
    from kexplore.core.node_files import NodeSources
    from kexplore.serve import mounted

    here = NodeSources(Path("/"), this_machine=True)
    assert mounted(here, host=tmp_path) is None
    (tmp_path / "var/lib/kubelet/pki").mkdir(parents=True)
    assert mounted(here, host=tmp_path) == here
    named = NodeSources(Path("/"), tmp_path / "kubelet", this_machine=True)
    assert mounted(named, host=tmp_path / "nowhere") == named  # asked for by a flag
    copied = NodeSources(tmp_path / "node")
    assert mounted(copied, host=tmp_path / "nowhere") == copied
    assert mounted(None) is None
