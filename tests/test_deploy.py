"""The audit Job: a valid Kubernetes object that reads /etc/kubernetes and nothing more."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

JOB = Path(__file__).resolve().parent.parent / "deploy" / "kexplore-audit-job.yaml"


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    docs = list(yaml.safe_load_all(JOB.read_text()))
    assert len(docs) == 1
    return docs[0]


def pod_spec(job: dict[str, Any]) -> dict[str, Any]:
    return job["spec"]["template"]["spec"]


def test_it_is_a_batch_v1_job_that_never_restarts(job: dict[str, Any]) -> None:
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["metadata"]["name"] == "kexplore-audit"
    assert job["spec"]["backoffLimit"] == 0
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_it_runs_the_check_on_the_mounted_tree(job: dict[str, Any]) -> None:
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == [
        "kexplore", "check", "/host/etc/kubernetes", "--profile", "all", "--format", "json",
    ]
    assert "args" not in container


def test_it_runs_on_a_control_plane_node(job: dict[str, Any]) -> None:
    spec = pod_spec(job)
    assert spec["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
            "effect": "NoSchedule"} in spec["tolerations"]


def test_it_mounts_only_etc_kubernetes_read_only(job: dict[str, Any]) -> None:
    spec = pod_spec(job)
    (volume,) = spec["volumes"]
    assert volume["hostPath"] == {"path": "/etc/kubernetes", "type": "Directory"}
    (container,) = spec["containers"]
    (mount,) = container["volumeMounts"]
    assert mount == {"name": volume["name"], "mountPath": "/host/etc/kubernetes",
                     "readOnly": True}


def test_it_asks_for_no_host_namespace_privilege_or_capability(job: dict[str, Any]) -> None:
    spec = pod_spec(job)
    for key in ("hostPID", "hostNetwork", "hostIPC"):
        assert spec.get(key, False) is False, key
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    # root is needed to read 0600 root-owned keys; as their owner it needs no capability
    assert spec["securityContext"]["runAsUser"] == 0
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context.get("privileged", False) is False
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}


def test_it_validates_against_the_kubernetes_schema(job: dict[str, Any]) -> None:
    validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (offline schemas) is not installed"
    )
    validate.validate(job, "1.32", strict=True)  # raises on an unknown or mistyped field


def _kubectl(kubectl: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # a private kubeconfig naming a port nothing listens on: never a real cluster
    config = tmp / "kubeconfig"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
        "users": [{"name": "none", "user": {"token": "none"}}],
    }))
    env = {"KUBECONFIG": str(config), "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
    return subprocess.run([kubectl, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


def test_kubectl_accepts_it_client_side(job: dict[str, Any], tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    done = _kubectl(kubectl, tmp_path, "create", "--dry-run=client", "-f", str(JOB), "-o", "json")
    if done.returncode != 0 and "127.0.0.1:1" in done.stderr:
        # kubectl's client dry run still asks a server for discovery; --local decodes the
        # file with kubectl's own machinery without any server
        done = _kubectl(kubectl, tmp_path, "label", "--local", "-f", str(JOB), "-o", "json",
                        "kexplore.example/validated=true")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    assert (obj["apiVersion"], obj["kind"]) == ("batch/v1", "Job")
    assert obj["spec"]["template"]["spec"] == pod_spec(job)
