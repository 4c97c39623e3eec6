"""compare: an HA set made by the generator, clean and with each HA fault planted on its
last node; each fault is asserted by rule, node, path and pointer, and nothing else."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from kexplore.cli import main
from kexplore.core.check import check_tree
from kexplore.core.compare import Comparison, compare
from kexplore.core.faults import HA_FAULTS
from kexplore.core.inventory import build_inventory, inventory_json, load_inventory
from kexplore.core.params import ClusterParams, EtcdMode, Version
from kexplore.core.read.scan import scan
from tests.conftest import NOW
from tests.hasets import HA, write_ha_set

HaFactory = Callable[..., list[Path]]


@pytest.fixture(scope="session")
def make_ha(tmp_path_factory: pytest.TempPathFactory) -> HaFactory:
    cache: dict[tuple[object, ...], list[Path]] = {}

    def make(faults: Sequence[str] = (), params=HA, nodes: int = 3) -> list[Path]:  # type: ignore[no-untyped-def]
        key = (tuple(faults), params, nodes)
        if key not in cache:
            cache[key] = write_ha_set(tmp_path_factory.mktemp("ha"), faults, params, nodes)
        return cache[key]

    return make


def compared(roots: Sequence[Path]) -> Comparison:
    return compare([build_inventory(scan(root), NOW) for root in roots])


def found(result: Comparison) -> set[tuple[str, str, str, str, str]]:
    return {
        (f.finding.rule, f.finding.severity.value, f.node, f.finding.path, f.finding.pointer)
        for f in result.findings
    }


# --- clean sets ------------------------------------------------------------------------------


CLEAN = [replace(HA, kubernetes_version=Version(1, minor, 0)) for minor in range(28, 36)]
CLEAN.append(replace(HA, etcd=EtcdMode.EXTERNAL))


@pytest.mark.parametrize("params", CLEAN, ids=[f"{p.version}-{p.etcd.value}" for p in CLEAN])
def test_a_clean_set_agrees_and_each_node_checks_clean(
    make_ha: HaFactory, params: ClusterParams
) -> None:
    roots = make_ha(params=params)
    assert [r.name for r in roots] == ["cp-1", "cp-2", "cp-3"]
    assert found(compared(roots)) == set()
    for root in roots:
        assert check_tree(scan(root), NOW).findings == ()


def test_joined_nodes_are_written_as_kubeadm_join_writes_them(make_ha: HaFactory) -> None:
    first, second, third = make_ha()
    assert (first / "super-admin.conf").is_file()
    assert not (second / "super-admin.conf").exists()
    etcd = (third / "manifests" / "etcd.yaml").read_text()
    assert "--initial-cluster-state=existing" in etcd
    assert ("--initial-cluster=cp-1=https://192.168.1.10:2380,cp-2=https://192.168.1.11:2380,"
            "cp-3=https://192.168.1.12:2380") in etcd
    assert "--initial-cluster-state" not in (first / "manifests" / "etcd.yaml").read_text()
    for name in ("ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "etcd/ca.crt"):
        assert (first / "pki" / name).read_bytes() == (third / "pki" / name).read_bytes(), name
    for name in ("apiserver.crt", "etcd/peer.crt", "etcd/server.crt"):
        assert (first / "pki" / name).read_bytes() != (third / "pki" / name).read_bytes(), name


def test_the_inventory_json_compares_as_the_tree_does(make_ha: HaFactory, tmp_path: Path) -> None:
    roots = make_ha(["ha-copied-cert:etcd-peer"])
    files = []
    for root in roots:
        path = tmp_path / f"{root.name}.json"
        path.write_text(inventory_json(build_inventory(scan(root), NOW)))
        files.append(path)
    from_json = compare([load_inventory(p.read_text()) for p in files])
    assert found(from_json) == found(compared(roots)) != set()


# --- each fault ------------------------------------------------------------------------------

EXPECTED = {
    "ha-shared-mismatch:ca": ("error", "pki/ca.crt", ""),
    "ha-shared-mismatch:etcd-ca": ("error", "pki/etcd/ca.crt", ""),
    "ha-shared-mismatch:front-proxy-ca": ("error", "pki/front-proxy-ca.crt", ""),
    "ha-shared-mismatch:sa": ("error", "pki/sa.pub", ""),
    "ha-copied-cert:apiserver": ("error", "pki/apiserver.crt", ""),
    "ha-copied-cert:etcd-server": ("error", "pki/etcd/server.crt", ""),
    "ha-copied-cert:etcd-peer": ("error", "pki/etcd/peer.crt", ""),
    "ha-copied-cert:kubelet.conf": ("error", "kubelet.conf", "user system:node:cp-1"),
    "ha-version-skew:one-minor": ("warning", "manifests/kube-apiserver.yaml", "image"),
    "ha-version-skew:two-minors": ("error", "manifests/kube-apiserver.yaml", "image"),
    "ha-flag-mismatch:kube-apiserver": ("warning", "manifests/kube-apiserver.yaml",
                                        "--profiling"),
    "ha-flag-mismatch:kube-controller-manager": (
        "warning", "manifests/kube-controller-manager.yaml", "--profiling"),
    "ha-flag-mismatch:kube-scheduler": ("warning", "manifests/kube-scheduler.yaml",
                                        "--profiling"),
}


def test_every_ha_fault_on_every_target_is_tested() -> None:
    assert set(EXPECTED) == {f"{s.name}:{t}" for s in HA_FAULTS for t in s.targets}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_is_one_finding_on_the_last_node(make_ha: HaFactory, fault: str) -> None:
    severity, path, pointer = EXPECTED[fault]
    result = compared(make_ha([fault]))
    assert found(result) == {(fault.split(":")[0], severity, "cp-3", path, pointer)}


def test_a_fault_on_a_two_node_set_names_the_second(make_ha: HaFactory) -> None:
    result = compared(make_ha(["ha-shared-mismatch:sa"], nodes=2))
    assert found(result) == {("ha-shared-mismatch", "error", "cp-2", "pki/sa.pub", "")}


# --- what only hand edits make ---------------------------------------------------------------


def copy_set(roots: Sequence[Path], tmp_path: Path) -> list[Path]:
    out = []
    for root in roots:
        shutil.copytree(root, tmp_path / root.name, symlinks=True)
        out.append(tmp_path / root.name)
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_member_listed_at_another_address(make_ha: HaFactory, tmp_path: Path) -> None:
    roots = copy_set(make_ha(), tmp_path)
    edit(roots[2] / "manifests" / "etcd.yaml", "cp-2=https://192.168.1.11:2380",
         "cp-2=https://192.168.1.99:2380")
    assert found(compared(roots)) == {
        ("ha-etcd-members", "error", "cp-3", "manifests/etcd.yaml", "--initial-cluster")
    }


def test_a_service_subnet_of_its_own(make_ha: HaFactory, tmp_path: Path) -> None:
    roots = copy_set(make_ha(), tmp_path)
    edit(roots[1] / "manifests" / "kube-apiserver.yaml", "10.96.0.0/12", "10.100.0.0/16")
    assert found(compared(roots)) == {
        ("ha-parameter-mismatch", "error", "cp-2", "manifests/kube-apiserver.yaml",
         "service subnet")
    }


def test_an_api_server_cert_without_the_endpoint(make_ha: HaFactory) -> None:
    inventories = [build_inventory(scan(root), NOW) for root in make_ha()]
    cert = inventories[1].cert("pki/apiserver.crt")
    assert cert is not None and "cp.example" in cert.dns_sans
    stripped = replace(cert, dns_sans=tuple(s for s in cert.dns_sans if s != "cp.example"))
    inventories[1] = replace(inventories[1], certificates=tuple(
        stripped if c is cert else c for c in inventories[1].certificates))
    assert found(compare(inventories)) == {
        ("ha-endpoint-san", "error", "cp-2", "pki/apiserver.crt", "subjectAltName")
    }


# --- the command -----------------------------------------------------------------------------


def test_the_command_exits_as_check_does(
    make_ha: HaFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = ["--now", "2026-11-01T09:00:00Z"]
    assert main(["compare", *map(str, make_ha()), *now]) == 0
    assert "0 errors, 0 warnings, 0 notes across 3 nodes" in capsys.readouterr().out
    bad = make_ha(["ha-copied-cert:apiserver", "ha-flag-mismatch:kube-scheduler"])
    assert main(["compare", *map(str, bad), "--format", "json", *now]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [n["node"] for n in doc["nodes"]] == ["cp-1", "cp-2", "cp-3"]
    assert [n["role"] for n in doc["nodes"]] == ["init", "joined", "joined"]
    assert [(f["rule"], f["node"]) for f in doc["findings"]] == [
        ("ha-copied-cert", "cp-3"), ("ha-flag-mismatch", "cp-3")]
    assert set(doc["findings"][0]) == {"rule", "severity", "path", "pointer", "message", "fix",
                                       "node"}
    junk = tmp_path / "junk.json"
    junk.write_text('{"schema": "something/else"}')
    assert main(["compare", str(bad[0]), str(junk)]) == 2
    assert "not a kexplore.inventory/v1 inventory" in capsys.readouterr().err
    assert main(["compare", str(bad[0])]) == 2
    assert main(["compare", str(bad[0]), str(tmp_path / "absent")]) == 2


def test_generate_writes_an_ha_set_or_says_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fast = ["--key-algorithm", "ECDSA-P256", "--now", "2026-11-01T09:00:00Z"]
    assert main(["generate", str(tmp_path / "ha"), "--nodes", "2",
                 "--control-plane-endpoint", "cp.example:6443", *fast]) == 0
    assert sorted(p.name for p in (tmp_path / "ha").iterdir()) == ["cp-1", "cp-2"]
    assert "wrote" in capsys.readouterr().out
    assert main(["generate", str(tmp_path / "no-endpoint"), "--nodes", "3", *fast]) == 2
    assert "--control-plane-endpoint" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "one"), "--fault", "ha-copied-cert", *fast]) == 2
    assert "needs --nodes 2 or more" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "ha"), "--nodes", "2",
                 "--control-plane-endpoint", "cp.example:6443", *fast]) == 2  # not empty
    assert not (tmp_path / "no-endpoint").exists() and not (tmp_path / "one").exists()
