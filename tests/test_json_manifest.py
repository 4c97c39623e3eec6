"""A static pod written as JSON: the kubelet decodes manifests/kube-controller-manager.json
as it does the .yaml, so kexplore must hold it to the same conventions. The only finding
the JSON adds is the one about its name: `kubeadm upgrade` moves the .yaml aside first."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import FAST, NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.diff import diff_manifest
from kexplore.core.infer import infer
from kexplore.core.params import ClusterParams
from kexplore.core.read.scan import scan

KCM = "manifests/kube-controller-manager.yaml"
KCM_JSON = "manifests/kube-controller-manager.json"
# the one finding the name adds, whatever the pod holds
RENAMED = ("file-missing", "warning", KCM, "")
Edit = Callable[[dict], None]  # type: ignore[type-arg]


def as_json(tree: Path, edit: Edit | None = None) -> None:
    """The tree's controller manager rewritten as JSON (the same pod, the same mode)."""
    source = tree / KCM
    pod = yaml.safe_load(source.read_text())
    if edit:
        edit(pod)
    target = tree / KCM_JSON
    target.write_text(json.dumps(pod, indent=2) + "\n")
    target.chmod(source.stat().st_mode & 0o777)
    source.unlink()


def as_yaml(tree: Path, edit: Edit) -> None:
    source = tree / KCM
    pod = yaml.safe_load(source.read_text())
    edit(pod)
    source.write_text(yaml.safe_dump(pod))


def found(tree: Path) -> set[tuple[str, str, str, str]]:
    report = check_tree(scan(tree), NOW, profile="all")
    return {(f.rule, f.severity.value, f.path.replace(KCM_JSON, KCM), f.pointer)
            for f in report.findings}


def pair(make_tree: Factory, tmp_path: Path, faults: tuple[str, ...] = (),
         params: ClusterParams = FAST) -> tuple[Path, Path]:
    yaml_tree, json_tree = tmp_path / "yaml", tmp_path / "json"
    for target in (yaml_tree, json_tree):
        shutil.copytree(make_tree(params, list(faults)), target, symlinks=True)
    return yaml_tree, json_tree


@pytest.mark.parametrize("faults", [
    (),
    ("manifest-priority-class:kube-controller-manager",),
    ("manifest-leader-elect:kube-controller-manager",),
    ("manifest-file-missing:kube-controller-manager",),
    ("pod-weakened",),
    ("pod-mirror-export",),
    ("cluster-signing",),
    ("pod-host-access:kube-controller-manager",),
])
def test_a_json_controller_manager_gets_the_yaml_s_findings(
    make_tree: Factory, tmp_path: Path, faults: tuple[str, ...]
) -> None:
    yaml_tree, json_tree = pair(make_tree, tmp_path, faults)
    as_json(json_tree)
    expected = found(yaml_tree)
    assert expected or not faults  # the fault is seen on the YAML at all
    assert found(json_tree) == expected | {RENAMED}


@pytest.mark.parametrize("edit", [
    lambda pod: pod["metadata"].update(name="kcm"),  # pod-renamed
    lambda pod: pod["spec"]["containers"][0]["command"].append("--profiling=false"),
    lambda pod: pod["spec"]["containers"][0]["command"].remove(
        "--use-service-account-credentials=true"),
], ids=["renamed", "customised", "defect"])
def test_a_hand_edit_reads_the_same_in_json(make_tree: Factory, tmp_path: Path,
                                            edit: Edit) -> None:
    yaml_tree, json_tree = pair(make_tree, tmp_path)
    as_yaml(yaml_tree, edit)
    as_json(json_tree, edit)
    expected = found(yaml_tree)
    assert expected - found(make_tree())  # the edit is seen on the YAML at all
    assert found(json_tree) == expected | {RENAMED}


def test_a_loose_json_manifest_is_a_loose_manifest(make_tree: Factory,
                                                   tmp_path: Path) -> None:
    yaml_tree, json_tree = pair(make_tree, tmp_path)
    (yaml_tree / KCM).chmod(0o644)
    as_json(json_tree)
    (json_tree / KCM_JSON).chmod(0o644)
    expected = found(yaml_tree)
    assert ("file-mode", "warning", KCM, "") in expected
    assert found(json_tree) == expected | {RENAMED}


def test_the_diff_and_the_parameters_read_the_json(make_tree: Factory,
                                                   tmp_path: Path) -> None:
    params = ClusterParams(key_algorithm=FAST.key_algorithm, pod_subnet="10.244.0.0/16")
    yaml_tree, json_tree = pair(make_tree, tmp_path, params=params)
    as_json(json_tree)
    inferred = infer(scan(json_tree))
    assert inferred.params.pod_subnet == "10.244.0.0/16"
    assert inferred.sources["pod_subnet"] == f"{KCM_JSON} --cluster-cidr"
    # asked by kubeadm's name or its own, the diff is the JSON's, with the YAML's verdicts
    by_yaml_name = diff_manifest(scan(json_tree), KCM, inferred)
    by_own_name = diff_manifest(scan(json_tree), KCM_JSON, inferred)
    expected = diff_manifest(scan(yaml_tree), KCM, infer(scan(yaml_tree)))
    assert by_yaml_name is not None and by_own_name is not None and expected is not None
    assert by_yaml_name.path == by_own_name.path == KCM_JSON
    assert by_yaml_name.flags == expected.flags and by_yaml_name.fields == expected.fields


def test_a_json_beside_the_yaml_is_a_duplicate_not_kubeadm_s(make_tree: Factory,
                                                             tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(make_tree(), tree, symlinks=True)
    shutil.copy(tree / KCM, tree / KCM_JSON)
    assert {(f.rule, f.path) for f in check_tree(scan(tree), NOW).findings} == {
        ("pod-duplicate", KCM_JSON)}
