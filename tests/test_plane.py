"""The plane on generated trees: every relation of a clean tree ok (or unknown, saying why),
each planted plane fault one broken relation and one finding, nothing else changing."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.faults import FAULTS
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.core.plane import Plane, Reach, RelationKind, Status, build_plane
from kexplore.core.read.scan import scan

PLANE_FAULTS = [spec.name for spec in FAULTS if spec.name in {
    "plane-not-mounted", "connection-ca", "connection-eku", "connection-key-pair",
    "connection-server-name", "connection-identity", "connection-address",
    "connection-plain-http", "kubeconfig-insecure", "kubeconfig-token",
    "authorization-always-allow", "authorization-no-rbac", "etcd-servers-peer-port",
    "service-account-key", "cluster-signing"}]
# Where each fault breaks: the finding's path and pointer, and a relation it breaks.
WHERE = {
    "plane-not-mounted": ("manifests/etcd.yaml", "--trusted-ca-file", "kube-apiserver->etcd[0]"),
    "plane-not-mounted:kube-apiserver": (
        "manifests/kube-apiserver.yaml", "--tls-cert-file", "admin.conf->kube-apiserver"),
    "connection-ca": ("pki/front-proxy-client.crt", "--proxy-client-cert-file",
                      "kube-apiserver->aggregated-apiservers"),
    "connection-ca:apiserver-etcd-client": (
        "pki/apiserver-etcd-client.crt", "--etcd-certfile", "kube-apiserver->etcd[0]"),
    "connection-eku": ("pki/apiserver-serving.crt", "--tls-cert-file",
                       "kube-scheduler->kube-apiserver"),
    "connection-key-pair": ("manifests/kube-apiserver.yaml", "--proxy-client-key-file",
                            "kube-apiserver->aggregated-apiservers"),
    "connection-server-name": ("scheduler.conf", "cluster kubernetes",
                               "kube-scheduler->kube-apiserver"),
    "connection-identity": ("manifests/kube-apiserver.yaml", "--requestheader-allowed-names",
                            "kube-apiserver->aggregated-apiservers"),
    "connection-address": ("kubelet.conf", "cluster kubernetes", "kubelet->kube-apiserver"),
    "connection-plain-http": ("controller-manager.conf", "cluster kubernetes",
                              "kube-controller-manager->kube-apiserver"),
    "kubeconfig-insecure": ("admin.conf", "cluster kubernetes", "admin.conf->kube-apiserver"),
    "kubeconfig-token": ("admin.conf", "user kubernetes-admin", "admin.conf->kube-apiserver"),
    "authorization-always-allow": ("manifests/kube-apiserver.yaml", "--authorization-mode",
                                   "kubelet->kube-apiserver"),
    "authorization-no-rbac": ("manifests/kube-apiserver.yaml", "--authorization-mode",
                              "kube-scheduler->kube-apiserver"),
    "etcd-servers-peer-port": ("manifests/kube-apiserver.yaml", "--etcd-servers",
                               "kube-apiserver->etcd[0]"),
    "connection-address:etcd": ("manifests/etcd.yaml", "--listen-client-urls",
                                "kube-apiserver->etcd[0]"),
    "service-account-key": ("manifests/kube-apiserver.yaml", "--service-account-key-file",
                            "service-account:kube-controller-manager"),
    "cluster-signing": ("manifests/kube-controller-manager.yaml", "--cluster-signing-cert-file",
                        "cluster-signing"),
}


def plane_of(root: Path) -> Plane:
    return build_plane(scan(root), NOW)


def keys(root: Path) -> set[tuple[str, str, str]]:
    return {(f.rule, f.path, f.pointer) for f in check_tree(scan(root), NOW).findings}


def assert_sound(plane: Plane) -> None:
    """Every relation ok or unknown with its reason; nothing broken."""
    for r in plane.connections:
        assert r.status is not Status.BROKEN, (r.id, r.reason)
        if r.status is Status.UNKNOWN:
            assert r.reason, r.id


def test_every_plane_fault_has_a_case_here() -> None:
    assert {w.split(":")[0] for w in WHERE} == set(PLANE_FAULTS)


@pytest.mark.parametrize("fault", sorted(WHERE))
def test_each_plane_fault_breaks_its_relation_and_is_one_finding(
    make_tree: Factory, fault: str
) -> None:
    path, pointer, rid = WHERE[fault]
    root = make_tree(faults=[fault])
    plane = plane_of(root)
    relation = plane.relation(rid)
    assert relation is not None and relation.status is Status.BROKEN, relation
    assert (relation.anchor_path, relation.anchor_pointer) == (path, pointer)
    assert relation.reason and relation.symptom
    assert keys(root) - keys(make_tree()) == {(fault.split(":")[0], path, pointer)}
    assert keys(make_tree()) - keys(root) == set()
    (finding,) = [f for f in check_tree(scan(root), NOW).findings
                  if f.rule == fault.split(":")[0]]
    # the peer's error ("x509: ...", "tls: ...") is said once, in the symptom
    last = relation.symptom.rsplit(": ", 1)[-1]
    assert finding.message.count(last) == 1, finding.message


@pytest.mark.parametrize("fault", [spec.name for spec in FAULTS])
def test_every_broken_relation_is_reported_by_check(make_tree: Factory, fault: str) -> None:
    """A relation broken by any planted fault has an error in the report: its own, or the
    finding of the rule that names the cause."""
    root = make_tree(faults=[fault])
    errors = [f for f in check_tree(scan(root), NOW).findings if f.severity.value == "error"]
    broken = plane_of(root).broken()
    assert not broken or errors, [(r.id, r.reason) for r in broken]
    for relation in broken:
        for cause in relation.causes:
            assert any(f.path == cause.path for f in errors) or any(
                f.path == p for p, _ in cause.covered_if for f in errors), (relation.id, cause)


def test_the_clean_tree_has_every_relation_the_issue_names(make_tree: Factory) -> None:
    plane = plane_of(make_tree())
    ids = {r.id for r in plane.connections}
    assert {
        "admin.conf->kube-apiserver", "super-admin.conf->kube-apiserver",
        "kubelet->kube-apiserver", "kube-controller-manager->kube-apiserver",
        "kube-scheduler->kube-apiserver", "kube-apiserver->etcd[0]", "etcd-peer:cp-1",
        "kube-apiserver->kubelet", "kube-apiserver->aggregated-apiservers",
        "service-account:kube-apiserver", "service-account:kube-controller-manager",
        "cluster-signing", "root-ca-file", "pair:kube-apiserver:tls-cert-file",
        "pair:kube-apiserver:etcd-certfile", "pair:kube-apiserver:kubelet-client-certificate",
        "pair:kube-apiserver:proxy-client-cert-file", "pair:etcd:cert-file",
        "pair:etcd:peer-cert-file",
    } <= ids
    assert all(r.status is Status.OK for r in plane.connections), [
        (r.id, r.reason) for r in plane.connections if r.status is not Status.OK]
    assert {r.kind for r in plane.connections} == set(RelationKind)
    json.dumps(plane.as_json())


@pytest.mark.parametrize("minor", range(28, 36))
@pytest.mark.parametrize("etcd", list(EtcdMode))
def test_every_version_and_etcd_mode_is_sound(make_tree: Factory, minor: int,
                                              etcd: EtcdMode) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256,
                           kubernetes_version=Version(1, minor, 0), etcd=etcd)
    plane = plane_of(make_tree(params))
    assert_sound(plane)
    if etcd is EtcdMode.EXTERNAL:
        link = plane.relation("kube-apiserver->etcd[0]")
        assert link is not None and link.status is Status.UNKNOWN
        assert "external etcd" in link.reason and "outside the tree" in link.reason


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_every_key_algorithm_is_sound(make_tree: Factory, algorithm: KeyAlgorithm) -> None:
    plane = plane_of(make_tree(ClusterParams(key_algorithm=algorithm)))
    assert all(r.status is Status.OK for r in plane.connections)


def test_ipv6_is_sound_and_dials_the_literal(make_tree: Factory) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, advertise_address="fd00::10",
                           service_subnet="fd00:10::/112")
    root = make_tree(params)
    plane = plane_of(root)
    assert all(r.status is Status.OK for r in plane.connections)
    link = plane.relation("kube-scheduler->kube-apiserver")
    assert link is not None and link.address == "https://[fd00::10]:6443"
    pods = plane.relation("root-ca-file")
    assert pods is not None and pods.address == "https://[fd00:10::1]:443"
    assert check_tree(scan(root), NOW).findings == ()


def test_pods_dial_the_first_address_of_the_service_range(make_tree: Factory) -> None:
    pods = plane_of(make_tree()).relation("root-ca-file")
    assert pods is not None and pods.status is Status.OK
    assert (pods.address, pods.address_source) == (
        "https://10.96.0.1:443", "manifests/kube-apiserver.yaml --service-cluster-ip-range")


def test_a_service_range_moved_without_a_new_cert_breaks_in_cluster_clients(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    """In-cluster clients dial the kubernetes Service, the range's first address: a range
    changed by hand, with apiserver.crt left as it was, fails them at the handshake."""
    root = writable_tree()
    manifest = root / "manifests/kube-apiserver.yaml"
    manifest.write_text(manifest.read_text().replace(
        "--service-cluster-ip-range=10.96.0.0/12", "--service-cluster-ip-range=10.100.0.0/16"))
    tree = scan(root)
    pods = build_plane(tree, NOW).relation("root-ca-file")
    assert pods is not None and pods.status is Status.BROKEN
    assert "pods dials 10.100.0.1, which pki/apiserver.crt" in pods.reason
    found = check_tree(tree, NOW).findings
    assert [(f.rule, f.severity.value, f.path, f.pointer) for f in found] == [
        ("cert-san-missing", "error", "pki/apiserver.crt", "IP:10.100.0.1")]
    assert found[0].message.endswith("this breaks pods → kube-apiserver")


def test_breaks_at_is_the_earliest_expiry_along_the_link(make_tree: Factory) -> None:
    clean = plane_of(make_tree()).relation("kube-apiserver->aggregated-apiservers")
    soon = plane_of(make_tree(faults=["cert-expiring:front-proxy-ca"])).relation(
        "kube-apiserver->aggregated-apiservers")
    assert clean is not None and soon is not None
    assert soon.breaks_at is not None and clean.breaks_at is not None
    assert soon.breaks_at < clean.breaks_at
    assert soon.breaks_because == "pki/front-proxy-ca.crt"
    assert soon.status is Status.OK  # expiring is not broken yet


def test_an_expiry_finding_says_what_it_breaks(make_tree: Factory) -> None:
    report = check_tree(scan(make_tree(faults=["cert-expiring:scheduler.conf"])), NOW)
    (finding,) = [f for f in report.findings if f.rule == "cert-expiring"]
    assert "kube-scheduler → kube-apiserver fails from 2026-11-11 09:00 UTC" in finding.message


def test_used_by_and_trusted_by_name_component_peer_and_flag(make_tree: Factory) -> None:
    plane = plane_of(make_tree())
    used = {(u.component, u.pointer, u.peer)
            for u in plane.used_by("pki/apiserver-etcd-client.crt")}
    assert ("kube-apiserver", "--etcd-certfile", "etcd") in used
    trusted = {(u.component, u.pointer) for u in plane.trusted_by("pki/etcd/ca.crt")}
    assert {("etcd", "--trusted-ca-file"), ("kube-apiserver", "--etcd-cafile"),
            ("etcd", "--peer-trusted-ca-file")} <= trusted
    assert {u.component for u in plane.trusted_by("pki/sa.pub")} == {"kube-apiserver"}
    opened = {(name, use.pointer) for name, use in plane.opened_by("controller-manager.conf")}
    assert opened == {("kube-controller-manager", f"--{f}") for f in (
        "kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig")}


def test_components_read_their_files_through_their_mounts(make_tree: Factory) -> None:
    plane = plane_of(make_tree())
    etcd = plane.component("etcd")
    assert etcd is not None and etcd.present
    uses = {u.pointer: u for u in etcd.files}
    assert uses["--cert-file"].reach is Reach.IN_TREE
    assert uses["--cert-file"].path == "pki/etcd/server.crt"
    assert uses["--cert-file"].mount == "etcd-certs"
    assert uses["--data-dir"].reach is Reach.OUTSIDE
    assert {c.name for c in plane.components} >= {
        "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kubelet"}
    assert all(c.about for c in plane.components)


def test_a_moved_cert_folder_is_read_from_the_flags(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """Paths come from the flags and volumes, never from kubeadm's defaults."""
    root = writable_tree()
    (root / "pki").rename(root / "certs")
    for name in ("kube-apiserver", "kube-controller-manager", "etcd"):
        path = root / f"manifests/{name}.yaml"
        path.write_text(path.read_text().replace("/etc/kubernetes/pki", "/etc/kubernetes/certs"))
    plane = plane_of(root)
    bad = [(r.id, r.reason) for r in plane.connections if r.status is not Status.OK]
    assert bad == []
    link = plane.relation("kube-apiserver->etcd[0]")
    assert link is not None and link.client_cert is not None
    assert link.client_cert.path == "certs/apiserver-etcd-client.crt"


def test_a_file_outside_the_tree_is_unknown_and_never_opened(writable_tree, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    path = root / "manifests/kube-apiserver.yaml"
    path.write_text(path.read_text().replace(
        "/etc/kubernetes/pki/front-proxy-ca.crt", "/etc/ssl/certs/front-proxy-ca.crt"))
    tree = scan(root)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the plane opened a file: {args}")

    monkeypatch.setattr("builtins.open", refuse)
    monkeypatch.setattr("os.open", refuse)
    plane = build_plane(tree, NOW)
    monkeypatch.undo()
    link = plane.relation("kube-apiserver->aggregated-apiservers")
    assert link is not None and link.status is Status.UNKNOWN
    assert "not checked: outside the tree" in link.reason


def test_a_tree_without_manifests_is_unknown_not_broken(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    for pod in (root / "manifests").iterdir():
        pod.unlink()
    plane = plane_of(root)
    assert not plane.broken()
    link = plane.relation("admin.conf->kube-apiserver")
    assert link is not None and link.status is Status.UNKNOWN
    assert "no kube-apiserver manifest" in link.reason
    assert {c.name: c.present for c in plane.components}["kube-apiserver"] is False


def test_the_kubelet_identity_must_be_a_node(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """kubelet.conf carrying another identity: kubeconfig-client-cert names it, once."""
    root = writable_tree()
    scheduler = (root / "scheduler.conf").read_text()
    kubelet = (root / "kubelet.conf").read_text()
    cert_line = next(ln for ln in scheduler.splitlines() if "client-certificate-data" in ln)
    key_line = next(ln for ln in scheduler.splitlines() if "client-key-data" in ln)
    lines = [cert_line if "client-certificate-data" in ln else key_line if "client-key-data"
             in ln else ln for ln in kubelet.splitlines()]
    (root / "kubelet.conf").write_text("\n".join(lines) + "\n")
    link = plane_of(root).relation("kubelet->kube-apiserver")
    assert link is not None and link.status is Status.BROKEN
    assert "system:node:" in link.reason
    rules = {f.rule for f in check_tree(scan(root), NOW).findings if f.path == "kubelet.conf"}
    assert "connection-identity" not in rules and "kubeconfig-client-cert" in rules


def test_the_kubelet_s_rotated_cert_is_outside_and_unknown(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """After kubelet-finalize, kubelet.conf names /var/lib/kubelet/pki: never read here."""
    root = writable_tree()
    doc = yaml.safe_load((root / "kubelet.conf").read_text())
    user = doc["users"][0]["user"]
    user.pop("client-certificate-data")
    user.pop("client-key-data")
    user["client-certificate"] = user["client-key"] = (
        "/var/lib/kubelet/pki/kubelet-client-current.pem")
    (root / "kubelet.conf").write_text(yaml.safe_dump(doc))
    link = plane_of(root).relation("kubelet->kube-apiserver")
    assert link is not None and link.status is Status.UNKNOWN
    assert link.client_cert is not None and link.client_cert.reach is Reach.OUTSIDE
    assert "not checked: outside the tree" in link.reason
    assert link.server_error == ""  # the server side is still checked


def test_a_built_plane_travels_without_the_parsing_libraries(make_tree: Factory,
                                                             tmp_path: Path) -> None:
    """The explorer's parent process gets the plane from its forked child: reading the
    records must not pull in cryptography or PyYAML."""
    session = tmp_path / "plane.pickle"
    session.write_bytes(pickle.dumps(plane_of(make_tree())))
    code = (
        "import pickle, sys\n"
        "import kexplore.core.plane\n"
        "p = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "print(len(p.used_by('pki/apiserver.crt')), p.as_json()['connections'][0]['id'])\n"
        "print(','.join(sorted(m for m in sys.modules\n"
        "                      if m.split('.')[0] in ('cryptography', 'yaml'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(session)], capture_output=True,
                         text=True, timeout=60, check=True)
    used, heavy = [*out.stdout.splitlines(), ""][:2]
    assert used.split()[0] != "0"
    assert heavy == "", f"loaded in the parent: {heavy}"


def test_without_rbac_only_system_masters_and_the_kubelets_get_through(
    make_tree: Factory,
) -> None:
    plane = plane_of(make_tree(faults=["authorization-no-rbac"]))
    status = {r.id: r.status for r in plane.connections if r.server == "kube-apiserver"
              and r.kind is RelationKind.CONNECTION}
    assert status["super-admin.conf->kube-apiserver"] is Status.OK  # system:masters
    assert status["kubelet->kube-apiserver"] is Status.OK  # the Node authorizer
    assert {rid for rid, s in status.items() if s is Status.BROKEN} == {
        "admin.conf->kube-apiserver", "kube-controller-manager->kube-apiserver",
        "kube-scheduler->kube-apiserver"}
