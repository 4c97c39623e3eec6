"""A moved layout read by every face that maps a path: the tree's pki/ lives in another
host folder (certs/), and the pods mount it where their flags look. One mapping of paths
(plane/mounts), so check, CIS, the diff, the explorer's flag → file, the plane and the
inventory agree: nothing is missing, nothing lies outside."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.cis import FAIL, MANUAL, PASS, evaluate_cis
from kexplore.core.diff import CUSTOMISATION, diff_manifest
from kexplore.core.infer import infer
from kexplore.core.inventory import build_inventory
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Severity, Tree
from kexplore.core.plane import Reach, Status, build_plane
from kexplore.core.plane.mounts import flag_entry
from kexplore.core.read.scan import scan

PKI = "/etc/kubernetes/pki"
MOVED = "/etc/kubernetes/certs"  # the host folder that now holds the PKI
MANIFESTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
# what no face may say of a file the pods reach through their volumes
FALSE_ALARMS = {"file-missing", "manifest-file-missing", "plane-not-mounted", "pod-pki-path"}


def _moved(text: str, old: str, new: str) -> str:
    return new + text[len(old):] if text == old or text.startswith(old + "/") else text


def move_pki(root: Path, mount_at: str = PKI, edit_pods: bool = True,
             host: str = MOVED) -> Path:
    """pki/ renamed to certs/ (or `host`) on the host; each pod's hostPath follows it,
    mounted at `mount_at` in the container, and the flags name files there."""
    shutil.move(root / "pki", root / host.removeprefix("/etc/kubernetes/"))
    if not edit_pods:
        return root
    for name in MANIFESTS:
        path = root / "manifests" / f"{name}.yaml"
        doc = yaml.safe_load(path.read_text())
        spec = doc["spec"]
        for volume in spec["volumes"]:
            if volume.get("hostPath"):
                volume["hostPath"]["path"] = _moved(volume["hostPath"]["path"], PKI, host)
        for container in spec["containers"]:
            for mount in container.get("volumeMounts", []):
                mount["mountPath"] = _moved(mount["mountPath"], PKI, mount_at)
            container["command"] = [
                item.replace(f"={PKI}", f"={mount_at}") for item in container["command"]
            ]
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


@pytest.fixture
def moved(writable_tree) -> Path:  # type: ignore[no-untyped-def]
    return move_pki(writable_tree())


def _pod(tree: Tree, name: str) -> ManifestInfo:
    node = tree.get(f"manifests/{name}.yaml")
    assert node is not None and isinstance(node.content, ManifestInfo)
    return node.content


def test_check_sees_no_missing_file_in_a_moved_pki(moved: Path) -> None:
    assert check_tree(scan(moved), NOW).findings == ()


def test_the_same_move_without_the_mounts_is_reported(writable_tree) -> None:  # type: ignore[no-untyped-def]
    # the control: pki/ renamed but the pods still mount /etc/kubernetes/pki
    root = move_pki(writable_tree(), edit_pods=False)
    rules = {f.rule for f in check_tree(scan(root), NOW).findings}
    assert "file-missing" in rules


def test_cis_reads_the_mounted_folder_and_never_calls_it_outside(
    moved: Path, make_tree: Factory
) -> None:
    results = {r.id: r for r in evaluate_cis(scan(moved))}
    clean = {r.id: r for r in evaluate_cis(scan(make_tree()))}
    assert not [r.reason for r in results.values() if "outside" in r.reason and
                "outside" not in clean[r.id].reason]
    assert results["2.7"].result == PASS
    assert "certs/etcd/ca.crt" in results["2.7"].reason
    assert "the cluster CA certs/ca.crt" in results["2.7"].reason
    for check in ("1.1.19", "1.1.20", "1.1.21"):
        assert results[check].result == PASS, results[check].reason
    assert "certs/" in results["1.1.21"].reason
    # the kubelet's client CA is a host path its own config names, outside the tree:
    # kubeadm's default is all that is left, and it is no longer there
    differ = {i for i in results if results[i].result != clean[i].result}
    assert differ == {"4.1.7", "4.1.8"}
    assert all(results[i].result != FAIL for i in differ)


def test_cis_names_the_host_folder_a_pod_mounts_from_beyond_the_tree(
    make_tree: Factory,
) -> None:
    # pod-pki-path: the API server mounts /srv/kubernetes/pki as its pki: that, not the
    # path its flag names, is what lies outside the tree
    results = {r.id: r for r in evaluate_cis(scan(make_tree(faults=["pod-pki-path"])))}
    reasons = " ".join(r.reason for r in results.values())
    assert f"{PKI}/ca.crt is outside" not in reasons
    assert ("kube-apiserver reads /etc/kubernetes/pki/ca.crt from the host's "
            "/srv/kubernetes/pki/ca.crt, outside /etc/kubernetes") in results["2.7"].reason
    # the tree's own pki/ is still the node's PKI folder, audited as such
    for check in ("1.1.19", "1.1.20", "1.1.21", "4.1.7"):
        assert results[check].result == PASS and results[check].path.startswith("pki"), check


def test_the_tree_s_own_pki_keeps_its_mode_checks_when_the_pod_mounts_another(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(faults=["pod-pki-path"])
    before = {r.id: r.result for r in evaluate_cis(scan(root))}
    (root / "pki/apiserver.key").chmod(0o644)
    after = {r.id: r for r in evaluate_cis(scan(root))}
    assert {i for i in after if after[i].result != before[i]} == {"1.1.21"}
    assert after["1.1.21"].result == MANUAL and after["1.1.21"].path == "pki/apiserver.key"


SSL = "/etc/kubernetes/ssl"  # kubespray's certificatesDir: the flags and mounts name it


def test_a_changed_certificates_dir_is_audited_where_the_flags_put_it(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = move_pki(writable_tree(), mount_at=SSL, host=SSL)
    clean = {r.id: r for r in evaluate_cis(scan(root))}
    for check in ("1.1.19", "1.1.20", "1.1.21", "4.1.7", "4.1.8"):
        assert clean[check].result == PASS and clean[check].path.startswith("ssl"), check
    (root / "ssl/ca.crt").chmod(0o666)
    after = {r.id: r for r in evaluate_cis(scan(root))}
    assert {i for i in after if after[i].result != clean[i].result} == {"1.1.20", "4.1.7"}
    assert after["4.1.7"].result == MANUAL and after["4.1.7"].path == "ssl/ca.crt"


def test_a_fault_behind_a_changed_certificates_dir_is_found_as_in_pki(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    """kubeconfig-ca-mismatch reads the tree's CA where the API server's pod mounts
    certificatesDir from, not where its flags name it."""
    root = move_pki(writable_tree(faults=["kubeconfig-ca-mismatch"]))
    assert {(f.rule, f.path) for f in check_tree(scan(root), NOW).findings} == {
        ("kubeconfig-ca-mismatch", "admin.conf")}


def test_the_diff_shows_the_moved_volumes_as_customisations_only(moved: Path) -> None:
    tree = scan(moved)
    inferred = infer(tree)
    for name in MANIFESTS:
        diff = diff_manifest(tree, f"manifests/{name}.yaml", inferred)
        assert diff is not None
        assert diff.flags == ()
        assert {(d.kind, d.actual) for d in diff.fields} <= {
            (CUSTOMISATION, MOVED), (CUSTOMISATION, f"{MOVED}/etcd")}
        # the scheduler mounts no pki: nothing of it moved
        assert bool(diff.fields) is (name != "kube-scheduler"), name


def test_a_moved_mount_point_is_followed_by_every_face(writable_tree) -> None:  # type: ignore[no-untyped-def]
    # certs/ mounted at /srv/pki and the flags naming it there: every file is found
    root = move_pki(writable_tree(), mount_at="/srv/pki")
    tree = scan(root)
    report = check_tree(tree, NOW)
    assert not {f.rule for f in report.findings} & FALSE_ALARMS
    assert all(f.severity is Severity.INFO for f in report.findings), report.findings
    # kubeadm's certificatesDir is read back as /srv/pki: the flags are what it writes,
    # and only the host folder behind the mount is not
    diff = diff_manifest(tree, "manifests/kube-apiserver.yaml", infer(tree))
    assert diff is not None and diff.flags == ()
    assert {(d.kind, d.expected, d.actual) for d in diff.fields} == {
        (CUSTOMISATION, "/srv/pki", MOVED)}
    pod = _pod(tree, "kube-apiserver")
    container = pod.container()
    assert container is not None
    assert flag_entry(tree, pod, container, "/srv/pki/ca.crt") == "certs/ca.crt"
    assert flag_entry(tree, pod, container, f"{PKI}/ca.crt") is None  # not mounted there


def test_the_explorer_plane_and_inventory_follow_the_mounts(moved: Path) -> None:
    tree = scan(moved)
    pod = _pod(tree, "kube-apiserver")
    container = pod.container()
    assert container is not None
    assert flag_entry(tree, pod, container, container.flag_value("client-ca-file")) == (
        "certs/ca.crt")
    etcd = _pod(tree, "etcd")
    etcd_main = etcd.container()
    assert etcd_main is not None
    assert flag_entry(tree, etcd, etcd_main, etcd_main.flag_value("trusted-ca-file")) == (
        "certs/etcd/ca.crt")
    plane = build_plane(tree, NOW)
    assert not plane.broken()
    assert {c for c, _ in plane.opened_by("certs/ca.crt")} >= {
        "kube-apiserver", "kube-controller-manager"}
    named_pki = [u for c in plane.components for u in c.files if u.named.startswith(PKI)]
    assert named_pki
    assert all(u.reach is Reach.IN_TREE and u.path.startswith("certs/") for u in named_pki)
    report = check_tree(tree, NOW)
    inventory = build_inventory(tree, NOW, report)
    assert inventory.findings == report.findings == ()
    assert {c.path for c in inventory.certificates if c.path.endswith(".crt")} >= {
        "certs/ca.crt", "certs/etcd/ca.crt", "certs/apiserver.crt"}
    assert not [r for r in plane.connections if r.status is Status.BROKEN]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_enter_on_a_flag_opens_the_moved_file(moved: Path, anyio_backend: str) -> None:
    from tests.test_ui_firstrun import enter_on_flag

    # the flag names /etc/kubernetes/pki/etcd/ca.crt; the pod mounts it from certs/
    opened = await enter_on_flag(moved, "manifests/kube-apiserver.yaml", "--etcd-cafile")
    assert opened == ("certs/etcd/ca.crt", "certs/etcd/ca.crt")


def test_a_kubeconfig_copy_is_held_against_the_ca_where_the_flags_put_it(
    tmp_path: Path,
) -> None:
    """copies.py reads the live CA and API server cert from certificatesDir (ssl/), so a
    stale ~/.kube/config is still found stale."""
    from conftest import FAST

    from kexplore.core.faults import parse_fault
    from kexplore.core.generate_node import generate_node_root
    from kexplore.core.node_files import read_node_files, sources_for

    node_root = tmp_path / "node"
    generate_node_root(node_root, FAST, NOW, [parse_fault("kubeconfig-copy-stale")])
    tree_root = move_pki(node_root / "etc/kubernetes", mount_at=SSL, host=SSL)
    config = node_root / "var/lib/kubelet/config.yaml"  # kubeadm writes certificatesDir
    config.write_text(config.read_text().replace(f"{PKI}/ca.crt", f"{SSL}/ca.crt"))
    tree = scan(tree_root)
    node = read_node_files(tree, sources_for(tree.root, node_root=node_root))
    assert {(f.rule, f.path, f.pointer) for f in check_tree(tree, NOW, node_files=node).findings
            } == {("kubeconfig-copy-stale", "/root/.kube/config",
                   "context kubernetes-admin@kubernetes")}


def test_a_pki_left_behind_a_changed_certificates_dir_is_history(
    writable_tree,  # type: ignore[no-untyped-def]
    make_tree: Factory,
) -> None:
    """certificatesDir moved to ssl/ with the old pki/ kept: the live certificates are
    ssl/'s. A stale certificate in the pki/ no component opens is a note, as in a backup,
    and `certs` lists ssl/'s certificates alone."""
    from kexplore.core.expiry import expiry_rows

    root = writable_tree()
    shutil.copytree(root / "pki", root / "kept", symlinks=True)
    move_pki(root, mount_at=SSL, host=SSL)
    shutil.move(root / "kept", root / "pki")
    expired = make_tree(faults=["cert-expired"]) / "pki/apiserver.crt"
    shutil.copy(expired, root / "pki/apiserver.crt")
    tree = scan(root)
    assert {(f.rule, f.severity, f.path) for f in check_tree(tree, NOW).findings} == {
        ("cert-expired", Severity.INFO, "pki/apiserver.crt"),
        ("cert-chain", Severity.INFO, "pki/apiserver.crt")}
    rows = expiry_rows(tree, NOW)
    assert {r.path for r in rows if r.path.startswith("pki/")} == set()
    assert {r.path for r in rows if r.name == "apiserver"} == {"ssl/apiserver.crt"}
