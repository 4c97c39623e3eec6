"""check on generated trees: each planted fault reported by name, clean trees clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import NOW, Factory
from faultpaths import target_path

from kexplore.core.check import check_tree
from kexplore.core.diff import CUSTOMISATION, DEFECT, VERSION, diff_manifest
from kexplore.core.expiry import expiry_rows
from kexplore.core.faults import FAULTS
from kexplore.core.infer import infer
from kexplore.core.model import Finding, Severity
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.core.read.scan import scan


def problems(root: Path) -> list[Finding]:
    """Warnings and errors: what must be exactly the planted fault."""
    report = check_tree(scan(root), NOW)
    return [f for f in report.findings if f.severity is not Severity.INFO]


def test_a_clean_generated_tree_has_no_findings(make_tree: Factory) -> None:
    assert check_tree(scan(make_tree()), NOW).findings == ()


@pytest.mark.parametrize("fault", [f.name for f in FAULTS])
def test_each_planted_fault_is_reported_by_its_rule_on_its_path(
    make_tree: Factory, fault: str
) -> None:
    found = {(f.rule, f.path) for f in problems(make_tree(faults=[fault]))}
    assert found == {(fault, target_path(fault))}


@pytest.mark.parametrize(
    "fault",
    [
        "key-mismatch:sa",
        "cert-san-missing:etcd-server",
        "cert-expired:admin.conf",
        "file-mode:super-admin.conf",
        "manifest-leader-elect:kube-controller-manager",
        "cert-usage:etcd-peer",
        "kubeconfig-client-cert:admin.conf",
        "kubeconfig-server:scheduler.conf",
        "manifest-host-network:kube-apiserver",
    ],
)
def test_faults_on_other_targets_are_reported_there(make_tree: Factory, fault: str) -> None:
    found = {(f.rule, f.path) for f in problems(make_tree(faults=[fault]))}
    assert found == {(fault.split(":")[0], target_path(fault))}


@pytest.mark.parametrize("minor", range(28, 38))
@pytest.mark.parametrize("etcd", list(EtcdMode))
def test_every_supported_version_and_etcd_mode_is_clean(
    make_tree: Factory, minor: int, etcd: EtcdMode
) -> None:
    params = ClusterParams(
        key_algorithm=KeyAlgorithm.ECDSA_P256, etcd=etcd, kubernetes_version=Version(1, minor, 2)
    )
    assert problems(make_tree(params)) == []


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_every_key_algorithm_is_clean_and_inferred(
    make_tree: Factory, algorithm: KeyAlgorithm
) -> None:
    tree = scan(make_tree(ClusterParams(key_algorithm=algorithm)))
    assert check_tree(tree, NOW).findings == ()
    assert infer(tree).params.key_algorithm is algorithm


def test_infer_reads_the_parameters_back_with_their_sources(make_tree: Factory) -> None:
    params = ClusterParams(
        key_algorithm=KeyAlgorithm.ECDSA_P384,
        node_name="cp-7",
        advertise_address="10.20.30.40",
        bind_port=8443,
        control_plane_endpoint="api.example.com:443",
        cluster_name="prod",
        dns_domain="corp.local",
        service_subnet="10.100.0.0/16",
        pod_subnet="10.244.0.0/16",
        cert_sans=("10.0.0.99", "api.alt"),
        kubernetes_version=Version(1, 34, 1),  # ECDSA-P384 came in 1.34
    )
    inferred = infer(scan(make_tree(params)))
    got = inferred.params
    for name in (
        "node_name",
        "advertise_address",
        "bind_port",
        "control_plane_endpoint",
        "cluster_name",
        "dns_domain",
        "service_subnet",
        "pod_subnet",
        "kubernetes_version",
        "key_algorithm",
    ):
        assert getattr(got, name) == getattr(params, name), name
    assert set(got.cert_sans) == set(params.cert_sans)
    assert inferred.sources["advertise_address"].startswith("manifests/kube-apiserver.yaml")
    assert inferred.sources["node_name"] == "manifests/etcd.yaml --name"
    assert problems(make_tree(params)) == []


def test_an_unknown_version_is_held_against_the_nearest_known(writable_tree) -> None:
    root = writable_tree()
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        path = root / f"manifests/{name}.yaml"
        path.write_text(path.read_text().replace(":v1.35.0", ":v1.39.1"))
    inferred = infer(scan(root))
    assert inferred.params.version == Version(1, 39, 1)
    assert inferred.conventions_version == Version(1, 37, 0)
    assert "nearest" in inferred.notes[0]


def test_an_advertise_address_that_differs_between_sources_is_a_finding(writable_tree) -> None:
    root = writable_tree()
    path = root / "manifests/etcd.yaml"
    path.write_text(
        path.read_text().replace("https://192.168.1.10:2379", "https://192.168.1.11:2379")
    )
    rules = {(f.rule, f.path) for f in problems(root)}
    assert ("manifest-advertise-address", "manifests/etcd.yaml") in rules


def test_a_128_tree_is_clean_and_differs_from_135_only_by_version(make_tree: Factory) -> None:
    tree = scan(
        make_tree(
            ClusterParams(
                key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=Version(1, 28, 4)
            )
        )
    )
    assert [f for f in check_tree(tree, NOW).findings if f.severity is not Severity.INFO] == []
    inferred = infer(tree)
    kinds = set()
    for pod in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        own = diff_manifest(tree, f"manifests/{pod}.yaml", inferred)
        assert own is not None and own.all == ()
        newer = diff_manifest(tree, f"manifests/{pod}.yaml", inferred, Version(1, 35, 0))
        assert newer is not None and newer.all
        kinds |= {d.kind for d in newer.all}
    assert kinds == {VERSION}


def _edit_apiserver(root: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = root / "manifests/kube-apiserver.yaml"
    pod = yaml.safe_load(path.read_text())
    command = pod["spec"]["containers"][0]["command"]
    edit(command)
    path.write_text(yaml.safe_dump(pod, sort_keys=True))


def _diff(root: Path):  # type: ignore[no-untyped-def]
    tree = scan(root)
    return diff_manifest(tree, "manifests/kube-apiserver.yaml", infer(tree))


def test_added_audit_flags_are_a_customisation(writable_tree) -> None:
    root = writable_tree()
    # under a folder the API server mounts: elsewhere it could not open it (plane-not-mounted)
    (root / "pki/audit-policy.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\n")

    def add(command: list[str]) -> None:
        command += [
            "--audit-log-path=/var/log/kubernetes/audit.log",
            "--audit-policy-file=/etc/kubernetes/pki/audit-policy.yaml",
            "--audit-log-maxage",
            "30",
        ]

    _edit_apiserver(root, add)
    diff = _diff(root)
    assert {d.where: d.kind for d in diff.flags} == {
        "--audit-log-path": CUSTOMISATION,
        "--audit-policy-file": CUSTOMISATION,
        "--audit-log-maxage": CUSTOMISATION,
    }
    assert next(d for d in diff.flags if d.where == "--audit-log-maxage").actual == "30"
    assert problems(root) == []


def test_etcd_servers_pointing_elsewhere_is_a_customisation_with_external_etcd(
    writable_tree,
) -> None:
    root = writable_tree()

    def point(command: list[str]) -> None:
        i = command.index("--etcd-servers=https://127.0.0.1:2379")
        command[i] = "--etcd-servers=https://10.0.0.5:2379"

    _edit_apiserver(root, point)
    tree = scan(root)
    inferred = infer(tree)
    assert inferred.params.etcd is EtcdMode.EXTERNAL
    assert inferred.params.external_etcd_endpoints == ("https://10.0.0.5:2379",)
    diff = diff_manifest(tree, "manifests/kube-apiserver.yaml", inferred)
    assert [(d.where, d.kind) for d in diff.flags] == [("--etcd-servers", CUSTOMISATION)]
    assert problems(root) == []


def test_a_removed_client_ca_file_is_a_defect(writable_tree) -> None:
    root = writable_tree()
    _edit_apiserver(root, lambda c: c.remove("--client-ca-file=/etc/kubernetes/pki/ca.crt"))
    diff = _diff(root)
    assert [(d.where, d.change, d.kind) for d in diff.flags] == [
        ("--client-ca-file", "removed", DEFECT)
    ]
    assert [(f.rule, f.pointer) for f in problems(root)] == [("manifest-flag", "--client-ca-file")]


def test_a_flag_naming_a_missing_file_is_a_defect(writable_tree) -> None:
    root = writable_tree()
    _edit_apiserver(
        root, lambda c: c.append("--encryption-provider-config=/etc/kubernetes/enc/config.yaml")
    )
    diff = _diff(root)
    assert [(d.where, d.kind) for d in diff.flags] == [("--encryption-provider-config", DEFECT)]
    assert [(f.rule, f.severity) for f in problems(root)] == [
        ("manifest-file-missing", Severity.ERROR)
    ]


def test_a_third_party_static_pod_is_not_diffed_but_checked(writable_tree) -> None:
    root = writable_tree()
    (root / "manifests/haproxy.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "haproxy", "namespace": "kube-system"},
                "spec": {
                    "hostNetwork": True,
                    "containers": [
                        {
                            "name": "haproxy",
                            "image": "haproxy:2.9",
                            "securityContext": {"privileged": True},
                            "env": [{"name": "STATS_PASSWORD", "value": "hunter2"}],
                        }
                    ],
                    "volumes": [{"name": "scratch", "hostPath": {"path": "/tmp/haproxy"}}],
                },
            }
        )
    )
    (root / "manifests/haproxy.yaml").chmod(0o600)
    tree = scan(root)
    assert diff_manifest(tree, "manifests/haproxy.yaml", infer(tree)) is None
    found = {f.rule for f in problems(root) if f.path == "manifests/haproxy.yaml"}
    assert found == {"manifest-privileged", "manifest-secret-env", "manifest-host-path"}


def test_a_128_admin_conf_on_a_129_tree_is_a_version_note_not_a_defect(
    make_tree: Factory, tmp_path: Path
) -> None:
    import shutil

    old = make_tree(
        ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=Version(1, 28, 4))
    )
    new = tmp_path / "t"
    shutil.copytree(
        make_tree(
            ClusterParams(
                key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=Version(1, 30, 0)
            )
        ),
        new,
    )
    # An upgraded node keeps its old certificates and CA; bring the whole pki along.
    for rel in ("admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"):
        shutil.copy(old / rel, new / rel)
    shutil.rmtree(new / "pki")
    shutil.copytree(old / "pki", new / "pki")
    (new / "super-admin.conf").unlink()
    report = check_tree(scan(new), NOW)
    admin = [f for f in report.findings if f.path == "admin.conf"]
    assert [(f.rule, f.severity) for f in admin] == [("cert-subject", Severity.INFO)]
    assert "version difference" in admin[0].message
    assert [f for f in report.findings if f.severity is not Severity.INFO] == []


def test_tmp_backups_are_history_not_drift(writable_tree) -> None:
    root = writable_tree(faults=["cert-expired"])
    backup = root / "tmp/kubeadm-backup-manifests-2026-01-02-03-04-05"
    backup.mkdir(parents=True)
    (backup / "kube-scheduler.yaml").write_text(
        (root / "manifests/kube-scheduler.yaml").read_text().replace("v1.35.0", "v1.34.0")
    )
    (backup / "apiserver.crt").write_bytes((root / "pki/apiserver.crt").read_bytes())
    report = check_tree(scan(root), NOW)
    in_tmp = [f for f in report.findings if f.path.startswith("tmp/")]
    # the expired copy is still mentioned, as history, and nothing in tmp/ is a problem
    assert ("cert-expired", Severity.INFO) in {(f.rule, f.severity) for f in in_tmp}
    assert all(f.severity is Severity.INFO for f in in_tmp)


def test_the_manifest_checklist_shows_which_conventions_pass(make_tree: Factory) -> None:
    from kexplore.core.diff import checklist

    tree = scan(make_tree(faults=["manifest-leader-elect"]))
    report = check_tree(tree, NOW)
    items = {i.rule: i.passed for i in checklist(tree, "manifests/kube-scheduler.yaml", report)}
    assert items["manifest-leader-elect"] is False
    assert all(passed for rule, passed in items.items() if rule != "manifest-leader-elect")
    etcd = {i.rule for i in checklist(tree, "manifests/etcd.yaml", report)}
    assert "manifest-leader-elect" not in etcd and "manifest-host-network" in etcd


ALL_TARGETS = [f"{spec.name}:{target}" for spec in FAULTS for target in spec.targets]


@pytest.mark.parametrize("fault", ALL_TARGETS)
def test_every_fault_on_every_target_is_reported_exactly(make_tree: Factory, fault: str) -> None:
    found = {(f.rule, f.path) for f in problems(make_tree(faults=[fault]))}
    assert found == {(fault.split(":")[0], target_path(fault))}


@pytest.mark.parametrize("path", ["manifests/etcd.yaml", "manifests/kube-apiserver.yaml",
                                  "kubelet.conf", "pki/apiserver.key", "pki/sa.pub",
                                  "pki/etcd/peer.crt", "scheduler.conf"])
def test_a_missing_kubeadm_file_is_reported_on_its_own_path(writable_tree, path: str) -> None:
    root = writable_tree()
    (root / path).unlink()
    found = {(f.rule, f.path) for f in problems(root)}
    assert ("file-missing", path) in found


def test_a_folder_where_a_manifest_belongs_is_missing_too(writable_tree) -> None:
    root = writable_tree()
    (root / "manifests/etcd.yaml").unlink()
    (root / "manifests/etcd.yaml").mkdir()
    assert ("file-missing", "manifests/etcd.yaml") in {(f.rule, f.path) for f in problems(root)}


def test_nodes_that_lack_files_by_design_are_not_flagged(writable_tree) -> None:
    root = writable_tree()
    (root / "super-admin.conf").unlink()  # a joined or upgraded control-plane node
    assert [f for f in problems(root) if f.rule == "file-missing"] == []
    # a worker node keeps only kubelet.conf and the cluster CA
    for path in list(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in ("kubelet.conf", "pki/ca.crt"):
            path.unlink()
    assert [f for f in problems(root) if f.rule == "file-missing"] == []


def test_every_parameter_says_where_it_was_read(make_tree: Factory) -> None:
    described = dict((label, (value, source)) for label, value, source in
                     infer(scan(make_tree())).described())
    assert described["node name"] == ("cp-1", "manifests/etcd.yaml --name")
    assert described["Kubernetes version"][1] == "manifests/kube-apiserver.yaml image tag"
    assert described["pod subnet"] == ("(none)", "kubeadm's default")


def _relink(root: Path, path: str, store: str) -> None:
    """Move a kubeadm file into `store` and leave a relative symlink in its place, as
    rotation tooling does."""
    here = root / path
    moved = root / store / f"{here.stem}-2026{here.suffix}"
    moved.parent.mkdir(parents=True, exist_ok=True)
    here.rename(moved)
    here.symlink_to(os.path.relpath(moved, here.parent))


LINKED = ("pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/apiserver.key", "admin.conf")


def test_kubeadm_files_behind_symlinks_are_checked_as_kubeadm_files(writable_tree) -> None:
    root = writable_tree()
    for path in LINKED:
        _relink(root, path, "store")
    assert check_tree(scan(root), NOW).findings == ()
    rows = {r.name: r for r in expiry_rows(scan(root), NOW)}
    assert rows["apiserver"].path == "pki/apiserver.crt" and rows["apiserver"].ca_name == "ca"
    assert not rows["ca"].externally_managed  # its key is found through its link too
    assert not any(r.path.startswith("store/") for r in rows.values())  # each cert once


def test_a_fault_behind_a_symlink_is_reported_on_kubeadm_s_path(writable_tree) -> None:
    root = writable_tree(faults=["cert-expired", "cert-san-missing:etcd-server"])
    _relink(root, "pki/apiserver.crt", "store")
    _relink(root, "pki/etcd/server.crt", "pki/etcd/rotated")
    found = {(f.rule, f.path) for f in problems(root)}
    assert found == {("cert-expired", "pki/apiserver.crt"),
                     ("cert-san-missing", "pki/etcd/server.crt")}


def test_a_broken_file_behind_a_symlink_is_one_finding_on_the_link(writable_tree) -> None:
    root = writable_tree()
    _relink(root, "pki/front-proxy-ca.crt", "store")
    (root / "store" / "front-proxy-ca-2026.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nno")
    found = [(f.rule, f.path) for f in problems(root) if f.rule == "parse-error"]
    assert found == [("parse-error", "pki/front-proxy-ca.crt")]


def test_another_name_for_a_kubeadm_file_hides_none_of_its_findings(writable_tree) -> None:
    root = writable_tree(faults=["cert-usage", "parse-error"])
    before = {(f.rule, f.path) for f in problems(root)}
    (root / "pki" / "apiserver-current.crt").symlink_to("apiserver.crt")
    (root / "pki" / "fp.crt").symlink_to("front-proxy-client.crt")
    (root / "pki" / "kubernetes-ca.crt").symlink_to("ca.crt")
    assert {(f.rule, f.path) for f in problems(root)} == before
    rows = {r.name: r for r in expiry_rows(scan(root), NOW)}
    assert "ca" in rows and not rows["ca"].externally_managed
    assert not any(name.startswith("pki/") for name in rows)  # only kubeadm's names


def test_a_link_among_the_backups_hides_no_live_file(writable_tree) -> None:
    root = writable_tree(faults=["cert-expired"])
    backup = root / "tmp" / "kubeadm-backup-certs-2026-01-01-00-00-00"
    backup.mkdir(parents=True)
    (backup / "apiserver.crt").symlink_to("../../pki/apiserver.crt")
    assert ("cert-expired", "pki/apiserver.crt") in {(f.rule, f.path) for f in problems(root)}
    assert "apiserver" in {r.name for r in expiry_rows(scan(root), NOW)}


def test_bad_yaml_behind_a_manifest_s_link_is_a_parse_error_there(writable_tree) -> None:
    root = writable_tree()
    (root / "store").mkdir()
    (root / "store" / "sched.txt").write_text("kind: Pod\nspec: [unclosed\n")
    (root / "manifests" / "kube-scheduler.yaml").unlink()
    (root / "manifests" / "kube-scheduler.yaml").symlink_to("../store/sched.txt")
    found = {(f.rule, f.path) for f in problems(root)}
    assert ("parse-error", "manifests/kube-scheduler.yaml") in found
