"""The node beyond /etc/kubernetes: generated node roots, one fault each, read read-only."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import corpus as c
import pytest
from conftest import FAST, NOW
from test_readonly import snapshot

from kexplore.cli import main
from kexplore.core.check import check_tree
from kexplore.core.checks.node_files import Lapse, lapse
from kexplore.core.checks.references import unchecked_notes
from kexplore.core.expiry import expiry_rows
from kexplore.core.faults import NODE_FAULTS, parse_fault
from kexplore.core.generate_node import generate_node_root
from kexplore.core.model import Finding, Kind, Severity
from kexplore.core.node_files import NodeFiles, NodeSources, read_node_files, sources_for
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.core.plane import Relation, Status, build_plane
from kexplore.core.read.scan import scan

NodeFactory = Callable[..., Path]
CLIENT = "/var/lib/kubelet/pki/kubelet-client-current.pem"
USER = "user system:node:cp-1"
COPY = "/root/.kube/config"
ADMIN_CONTEXT = "context kubernetes-admin@kubernetes"
CONFIG = "/var/lib/kubelet/config.yaml"
CLIENT_CA = "authentication.x509.clientCAFile"
SERVING = "/var/lib/kubelet/pki/kubelet.crt"
SERVING_ROTATED = "/var/lib/kubelet/pki/kubelet-server-current.pem"
KUBELET_LINK = "kube-apiserver->kubelet"


@pytest.fixture(scope="session")
def make_node_root(tmp_path_factory: pytest.TempPathFactory) -> NodeFactory:
    """Generate (once per session) a node root for params and faults; never modified."""
    cache: dict[tuple[object, ...], Path] = {}

    def make(params: ClusterParams = FAST, faults: Sequence[str] = ()) -> Path:
        key = (params, tuple(faults))
        if key not in cache:
            root = tmp_path_factory.mktemp("node") / "node"
            generate_node_root(root, params, NOW, [parse_fault(f) for f in faults])
            cache[key] = root
        return cache[key]

    return make


def node_check(root: Path, now: datetime = NOW) -> tuple[list[Finding], NodeFiles]:
    tree = scan(root / "etc/kubernetes")
    sources = sources_for(tree.root, node_root=root)
    assert sources is not None
    node = read_node_files(tree, sources)
    return list(check_tree(tree, now, node_files=node).findings), node


def found(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.path, f.pointer) for f in findings}


@pytest.mark.parametrize("minor", [28, 31, 35])
@pytest.mark.parametrize("etcd", list(EtcdMode))
def test_a_clean_node_root_has_no_findings(
    make_node_root: NodeFactory, minor: int, etcd: EtcdMode
) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, etcd=etcd,
                           kubernetes_version=Version(1, minor, 0))
    findings, node = node_check(make_node_root(params))
    assert findings == []
    external = {"/etc/etcd/ca.crt", "/etc/etcd/apiserver-etcd-client.crt",
                "/etc/etcd/apiserver-etcd-client.key"} if etcd is EtcdMode.EXTERNAL else set()
    assert {p for p, f in node.files.items() if not f.missing} == {
        "/var/lib/kubelet/config.yaml", CLIENT, "/var/lib/kubelet/pki/kubelet.crt",
        "/var/lib/kubelet/pki/kubelet.key", COPY, *external,
    }


# Each node fault: exactly the findings it must cause, and nothing else.
EXPECTED: dict[str, set[tuple[str, str, str]]] = {
    "kubelet-client-expired": {("kubelet-client-expired", CLIENT, "")},
    "kubelet-client-symlink": {("kubelet-client-symlink", CLIENT, USER)},
    "kubelet-client-ca": {("kubelet-client-ca", CLIENT, "")},
    "kubelet-client-identity": {("kubelet-client-identity", CLIENT, "")},
    "kubelet-client-embedded": {("kubelet-client-embedded", "kubelet.conf", USER)},
    "kubelet-rotation": {
        ("kubelet-rotation", "/var/lib/kubelet/config.yaml", "rotateCertificates")
    },
    # one cause, one finding: the token a bootstrap kubeconfig holds by design is no
    # kubeconfig-token of the plane's
    "kubelet-bootstrap-leftover": {("kubelet-bootstrap-leftover", "bootstrap-kubelet.conf", "")},
    # the plane's API server → kubelet link, on the field that breaks it
    "kubelet-client-ca-file:other-ca": {("connection-ca", CONFIG, CLIENT_CA)},
    "kubelet-client-ca-file:none": {("connection-ca", CONFIG, CLIENT_CA)},
    "kubelet-serving-ca": {
        ("kubelet-serving-ca", SERVING, ""),
        # the fault's own setting, a customisation (info): the API server verifies kubelets
        ("manifest-flag", "manifests/kube-apiserver.yaml", "--kubelet-certificate-authority"),
    },
    "kubelet-static-pod-path": {("kubelet-static-pod-path", CONFIG, "staticPodPath")},
    "kubelet-serving-expired": {
        ("kubelet-serving-expired", "/var/lib/kubelet/pki/kubelet.crt", "")
    },
    "kubeconfig-copy-stale": {("kubeconfig-copy-stale", COPY, ADMIN_CONTEXT)},
    "kubeconfig-copy-ca": {("kubeconfig-copy-ca", COPY, ADMIN_CONTEXT)},
    "reference-missing": {
        ("reference-missing", "scheduler.conf", "cluster kubernetes"),
        ("reference-missing", "scheduler.conf", "user system:kube-scheduler"),
    },
}


def test_every_node_fault_has_an_expectation() -> None:
    assert {name.split(":")[0] for name in EXPECTED} == {spec.name for spec in NODE_FAULTS}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_node_fault_is_reported_and_nothing_else(
    make_node_root: NodeFactory, fault: str
) -> None:
    findings, _ = node_check(make_node_root(faults=[fault]))
    assert found(findings) == EXPECTED[fault]


def test_the_findings_say_it_in_plain_words(make_node_root: NodeFactory) -> None:
    stale, _ = node_check(make_node_root(faults=["kubeconfig-copy-stale"]))
    assert stale[0].message == (
        "/root/.kube/config is an old copy of admin.conf: its client cert expired on "
        "2026-09-27; admin.conf was renewed on 2026-11-01"
    )
    foreign, _ = node_check(make_node_root(faults=["kubeconfig-copy-ca"]))
    assert "the cluster was re-initialised" in foreign[0].message
    dangling, _ = node_check(make_node_root(faults=["kubelet-client-symlink"]))
    assert "dangling symlink" in dangling[0].message
    assert "kubeadm kubeconfig user --org system:nodes" in dangling[0].fix
    missing, _ = node_check(make_node_root(faults=["reference-missing"]))
    assert sorted(f.message.split(",")[0] for f in missing) == [
        "/nonexistent/ca.crt", "/nonexistent/u.crt", "/nonexistent/u.key"]


def test_a_copy_without_node_files_says_once_per_file_it_was_not_checked(
    make_node_root: NodeFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a finding (a copy naming files elsewhere is normal): a note per file."""
    root = make_node_root(faults=["reference-missing"])
    tree = scan(root / "etc/kubernetes")
    assert check_tree(tree, NOW).findings == ()
    assert main(["check", str(tree.root), "--format", "json", "--now", NOW.isoformat()]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    # kubelet.conf names the rotated PEM as cert and key: one file, one note
    assert sorted(n.split(",")[0] for n in notes) == [
        f"not checked: {p}" for p in (
            "/nonexistent/ca.crt", "/nonexistent/u.crt", "/nonexistent/u.key", CLIENT)]
    assert all("--node-root DIR" in n for n in notes)
    main(["check", str(tree.root), "--now", NOW.isoformat()])
    assert "note: not checked: /nonexistent/ca.crt" in capsys.readouterr().out


def test_reading_node_files_changes_nothing(make_node_root: NodeFactory) -> None:
    root = make_node_root(faults=["kubeconfig-copy-stale", "kubelet-client-expired"])
    before = snapshot(root)
    node_check(root)
    assert main(["check", str(root / "etc/kubernetes"), "--node-root", str(root),
                 "--format", "json", "--now", NOW.isoformat()]) == 1
    assert main(["certs", str(root / "etc/kubernetes"), "--node-root", str(root),
                 "--now", NOW.isoformat()]) == 0
    assert snapshot(root) == before


def test_no_key_or_token_reaches_the_output(
    make_node_root: NodeFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_node_root(faults=["kubelet-bootstrap-leftover"])
    main(["check", str(root / "etc/kubernetes"), "--node-root", str(root), "--format", "json",
          "--now", NOW.isoformat()])
    out = capsys.readouterr().out
    assert json.loads(out)["findings"]
    assert "PRIVATE KEY" not in out and "0123456789abcdef" not in out
    pem = (root / "var/lib/kubelet/pki/kubelet-client-2026-11-01-09-00-00.pem").read_text()
    key_line = pem.split("PRIVATE KEY-----\n")[1].splitlines()[0]
    assert key_line not in out


def test_the_kubelet_config_is_exposed_for_the_plane(make_node_root: NodeFactory) -> None:
    _, node = node_check(make_node_root())
    assert node.kubelet is not None and node.kubelet.rotate_certificates is True
    assert node.kubelet.client_ca_file == "/etc/kubernetes/pki/ca.crt"


def test_the_kubelet_trusting_another_ca_breaks_logs_and_exec(
    make_node_root: NodeFactory,
) -> None:
    """config.yaml's clientCAFile is the CA the plane's API server → kubelet link checks
    --kubelet-client-certificate against: one finding, on the field, naming both ends."""
    findings, node = node_check(make_node_root(faults=["kubelet-client-ca-file:other-ca"]))
    (finding,) = findings
    assert (finding.rule, finding.path, finding.pointer) == ("connection-ca", CONFIG, CLIENT_CA)
    assert "kube-apiserver's pki/apiserver-kubelet-client.crt is checked by kubelet against " \
        "pki/front-proxy-ca.crt (authentication.x509.clientCAFile of " \
        "/var/lib/kubelet/config.yaml)" in finding.message
    assert "breaks kube-apiserver → kubelet" in finding.message
    assert "You must be logged in to the server" in finding.message
    assert finding.fix == ("point authentication.x509.clientCAFile at the CA that issued "
                           "pki/apiserver-kubelet-client.crt")
    link = _kubelet_link(make_node_root(faults=["kubelet-client-ca-file:other-ca"]), node)
    assert link.status is Status.BROKEN and link.client_ca is not None
    assert (link.client_ca.path, link.client_ca.owner) == ("pki/front-proxy-ca.crt", CONFIG)
    assert link.notes[0] == ("the kubelet's config.yaml (/var/lib/kubelet/config.yaml) names "
                             "clientCAFile /etc/kubernetes/pki/front-proxy-ca.crt")


def test_a_kubelet_config_naming_no_client_ca_refuses_every_client_cert(
    make_node_root: NodeFactory,
) -> None:
    root = make_node_root(faults=["kubelet-client-ca-file:none"])
    (finding,), node = node_check(root)
    assert "names no clientCAFile" in finding.message and "Unauthorized" in finding.message
    link = _kubelet_link(root, node)
    assert link.status is Status.BROKEN and link.client_ca is None
    assert link.notes[0] == ("the kubelet's config.yaml (/var/lib/kubelet/config.yaml) names "
                             "no clientCAFile")


def _kubelet_link(root: Path, node: NodeFiles | None) -> Relation:
    link = build_plane(scan(root / "etc/kubernetes"), NOW, node=node).relation(KUBELET_LINK)
    assert link is not None
    return link


def test_the_kubelet_link_says_which_client_ca_it_used(make_node_root: NodeFactory) -> None:
    """config.yaml when read; kubeadm's default, said to be assumed, when not."""
    root = make_node_root()
    _, node = node_check(root)
    read = _kubelet_link(root, node)
    assert read.status is Status.OK and read.client_ca is not None
    assert (read.client_ca.pointer, read.client_ca.owner) == (CLIENT_CA, CONFIG)
    assumed = _kubelet_link(root, None)
    assert assumed.status is Status.OK and assumed.client_ca is not None
    assert assumed.client_ca.path == "pki/ca.crt" and "assumed" in assumed.client_ca.pointer
    assert assumed.notes[0] == (
        "the kubelet's config.yaml is not at hand (the node's files were not read): its "
        "clientCAFile is assumed to be kubeadm's default, /etc/kubernetes/pki/ca.crt")


def test_a_client_ca_file_missing_from_the_tree_stops_the_kubelet(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    config = root / "var/lib/kubelet/config.yaml"
    config.write_text(config.read_text().replace("pki/ca.crt", "pki/kubelet-ca.crt"))
    findings, node = node_check(root)
    (finding,) = findings
    assert (finding.rule, finding.path, finding.pointer) == ("connection-ca", CONFIG, CLIENT_CA)
    assert "names clientCAFile /etc/kubernetes/pki/kubelet-ca.crt, which is not there" in \
        finding.message
    assert "unable to load client CA file" in finding.message
    assert _kubelet_link(root, node).status is Status.BROKEN


def test_an_unreadable_or_unread_client_ca_is_unknown(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    config = root / "var/lib/kubelet/config.yaml"
    config.write_text(config.read_text().replace("/etc/kubernetes/pki/ca.crt",
                                                 "/srv/elsewhere/ca.crt"))
    tree = scan(root / "etc/kubernetes")
    # only the kubelet folder given: /srv is not among the folders read
    sources = sources_for(tree.root, kubelet_dir=root / "var/lib/kubelet")
    assert sources is not None
    link = _kubelet_link(root, read_node_files(tree, sources))
    assert link.status is Status.UNKNOWN and "/srv/elsewhere/ca.crt" in link.reason
    config.write_text("kind: [KubeletConfiguration\n")
    _, node = node_check(root)
    link = _kubelet_link(root, node)
    assert link.status is Status.UNKNOWN and "cannot be read" in link.reason


def test_certs_lists_the_kubelet_and_the_copies(make_node_root: NodeFactory) -> None:
    root = make_node_root(faults=["kubeconfig-copy-stale"])
    _, node = node_check(root)
    rows = {r.name: r for r in expiry_rows(scan(root / "etc/kubernetes"), NOW, node)}
    assert rows[CLIENT].ca_name == "ca"
    assert rows["/var/lib/kubelet/pki/kubelet.crt"].ca_name == ""  # self-signed
    assert rows[COPY].residual_seconds < 0


# --- what is read, and how ---------------------------------------------------------------


def test_links_leaving_the_node_root_and_special_files_are_not_followed(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    outside = tmp_path / "secret.pem"
    outside.write_bytes(c.cert_pem(c.make_cert("outside", c.ec_key())))
    link = root / CLIENT.lstrip("/")
    link.unlink()
    link.symlink_to(os.path.relpath(outside, link.parent))
    os.mkfifo(root / "var/lib/kubelet/pki/kubelet.crt.fifo")
    (root / "var/lib/kubelet/pki/kubelet.crt").unlink()
    (root / "var/lib/kubelet/pki/kubelet.crt").symlink_to("kubelet.crt.fifo")
    findings, node = node_check(root)
    client = node.files[CLIENT]
    # `..` stops at the node's own /, as it would on the node: the file outside is not read
    assert client.node.error == "dangling symlink: /secret.pem does not exist"
    assert client.certs == ()
    serving = node.files["/var/lib/kubelet/pki/kubelet.crt"]
    assert serving.node.kind is Kind.SPECIAL and serving.node.content is None
    assert ("kubelet-client-symlink", CLIENT, USER) in found(findings)
    # a folder on the way that leads out of the node root is not followed either
    (root / "var/lib/kubelet/config.yaml").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.yaml").write_text("kind: KubeletConfiguration\n")
    shutil.rmtree(root / "var/lib/kubelet/pki")
    (root / "var/lib/kubelet/pki").symlink_to(elsewhere)
    os.symlink("pki/config.yaml", root / "var/lib/kubelet/config.yaml")
    _, node = node_check(root)
    config = node.files["/var/lib/kubelet/config.yaml"]
    assert config.node.content is None and "leads outside" in config.node.error


def test_a_kubelet_folder_alone_and_named_copies(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = make_node_root(faults=["kubeconfig-copy-ca"])
    copy = tmp_path / "admin-copy.conf"
    shutil.copy(root / "root/.kube/config", copy)
    tree = scan(root / "etc/kubernetes")
    sources = sources_for(tree.root, kubelet_dir=root / "var/lib/kubelet", kubeconfigs=[copy])
    assert sources is not None and not sources.this_machine
    node = read_node_files(tree, sources)
    findings = check_tree(tree, NOW, node_files=node).findings
    assert found(list(findings)) == {("kubeconfig-copy-ca", str(copy), ADMIN_CONTEXT)}


def test_this_machine_reads_the_invoking_users_files_as_injected(tmp_path: Path) -> None:
    sources = sources_for(Path("/etc/kubernetes"), home=tmp_path / "home" / "ada",
                          environ={"KUBECONFIG": "/srv/a.conf:relative.conf"})
    assert sources == NodeSources(Path("/"), None, (), True, tmp_path / "home" / "ada",
                                  "/srv/a.conf:relative.conf")
    assert sources_for(Path("/etc/kubernetes"), off=True) is None
    assert sources_for(tmp_path) is None  # a copy nobody said where its node is


def test_references_to_nonexistent_files_on_this_machine_and_on_a_copy(tmp_path: Path) -> None:
    """The corpus case: a kubeconfig naming /nonexistent files. On this machine (faked: a
    node root standing for /) each is an error, once per file; on a copy, each is said
    once, in a note, to be unchecked."""
    root = tmp_path / "etc-kubernetes"
    root.mkdir()
    (root / "admin.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": "/nonexistent/u.key", "client-key": "/nonexistent/u.key"},
        cluster={"certificate-authority": "/nonexistent/ca.crt", "server": "https://x:6443"}))
    tree = scan(root)
    fake = tmp_path / "machine"
    fake.mkdir()
    machine = NodeSources(node_root=fake, this_machine=True, home=fake / "home" / "ada")
    here = check_tree(tree, NOW, node_files=read_node_files(tree, machine)).findings
    copy = unchecked_notes(tree)
    ours = ("reference-missing", "reference-unchecked")
    assert sorted((f.rule, f.severity.value, f.message.split(",")[0])
                  for f in here if f.rule in ours) == [
        ("reference-missing", "error", "/nonexistent/ca.crt"),
        ("reference-missing", "error", "/nonexistent/u.key"),
    ]
    assert "this machine" in next(f for f in here if f.rule in ours).message
    assert not any(f.rule in ours for f in check_tree(tree, NOW).findings)
    assert sorted(n.split(",")[0] for n in copy) == [
        "not checked: /nonexistent/ca.crt", "not checked: /nonexistent/u.key"]


# --- renewed on disk, still served from memory -------------------------------------------


def test_a_cert_renewed_after_its_pod_last_changed_is_said_once_per_pod(
    writable_tree: Callable[..., Path],
) -> None:
    root = writable_tree()
    manifest = os.stat(root / "manifests/kube-apiserver.yaml").st_mtime_ns
    later = manifest + 3600 * 10**9
    for name in ("pki/apiserver.crt", "pki/apiserver.key"):
        os.utime(root / name, ns=(later, later))
    findings = check_tree(scan(root), NOW).findings
    assert found(list(findings)) == {("renewed-not-restarted", "manifests/kube-apiserver.yaml", "")}
    assert "pki/apiserver.crt" in findings[0].message
    assert "cannot show" in findings[0].message
    assert "fileCheckFrequency" in findings[0].fix


# --- the command line --------------------------------------------------------------------


def test_generate_and_check_a_node_root_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "node"
    now = ["--now", NOW.isoformat()]
    assert main(["generate", str(out), "--node-root", "--key-algorithm", "ECDSA-P256",
                 "--fault", "kubelet-client-expired", *now]) == 0
    assert os.readlink(out / CLIENT.lstrip("/")).startswith("/var/lib/kubelet/pki/")
    assert main(["check", str(out / "etc/kubernetes"), "--node-root", str(out), *now]) == 1
    assert "kubelet-client-expired" in capsys.readouterr().out
    assert main(["check", str(out / "etc/kubernetes"), "--no-node-files",
                 "--node-root", str(out), *now]) == 0
    assert main(["generate", str(tmp_path / "tree"), "--fault", "kubelet-rotation"]) == 2
    assert "--node-root" in capsys.readouterr().err
    assert main(["check", str(out / "etc/kubernetes"), "--node-root",
                 str(tmp_path / "nowhere"), *now]) == 2


# --- the rules no generator fault plants: a hand edit each -------------------------------


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _point_at_dated_file(root: Path) -> None:
    _edit(root, "etc/kubernetes/kubelet.conf", "kubelet-client-current.pem",
          "kubelet-client-2026-11-01-09-00-00.pem")


def _server_not_in_sans(root: Path) -> None:
    # the copy still trusts this cluster's CA: it is ours, dialled at a name not in the cert
    _edit(root, "root/.kube/config", "https://192.168.1.10:6443", "https://cp.example:6443")


def _broken_config(root: Path) -> None:
    (root / "var/lib/kubelet/config.yaml").write_text("kind: [unclosed\n")


def _verified_self_signed(root: Path) -> None:
    _edit(root, "etc/kubernetes/manifests/kube-apiserver.yaml",
          "    - --kubelet-client-certificate",
          "    - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt\n"
          "    - --kubelet-client-certificate")


def _bootstrapped_without_cert(root: Path) -> None:
    _edit(root, "var/lib/kubelet/config.yaml", "rotateCertificates: true",
          "rotateCertificates: true\nserverTLSBootstrap: true")


def _serving_key_of_another(root: Path) -> None:
    other = c.key_pem(c.ec_key(7))
    (root / "var/lib/kubelet/pki/kubelet.key").write_bytes(other)


def _rotated_key_of_another(root: Path) -> None:
    pem = root / "var/lib/kubelet/pki/kubelet-client-2026-11-01-09-00-00.pem"
    cert = pem.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    pem.write_bytes(cert.encode() + c.key_pem(c.ec_key(7)))


HAND_EDITS: dict[str, tuple[Callable[[Path], None], set[tuple[str, str, str]]]] = {
    "dated file": (_point_at_dated_file, {("kubelet-client-reference", "kubelet.conf", USER)}),
    "server": (_server_not_in_sans, {("kubeconfig-copy-server", COPY, ADMIN_CONTEXT)}),
    "broken config": (_broken_config, {("node-file-unreadable",
                                        "/var/lib/kubelet/config.yaml", "")}),
    "verified serving": (_verified_self_signed, {
        ("kubelet-serving-ca", "/var/lib/kubelet/pki/kubelet.crt", ""),
        # the hand-added flag itself, as a customisation
        ("manifest-flag", "manifests/kube-apiserver.yaml", "--kubelet-certificate-authority"),
    }),
    "rotated key": (_rotated_key_of_another, {("key-mismatch", CLIENT, "")}),
    "serving key": (_serving_key_of_another, {
        ("key-mismatch", "/var/lib/kubelet/pki/kubelet.crt", "")}),
    "bootstrap": (_bootstrapped_without_cert, {("kubelet-serving-bootstrap",
                                               "/var/lib/kubelet/pki/kubelet-server-current.pem",
                                               "")}),
}


def test_the_serving_cert_judged_is_the_one_the_kubelet_picks(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """An expired kubelet-server-current.pem left beside a kubelet that does not bootstrap
    its serving cert is not what :10250 serves: the reading, the checks and the plane all
    hold the self-signed kubelet.crt, as the kubelet does (one choice, in conventions)."""
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    pki = make_node_root(faults=["kubelet-serving-expired"]) / "var/lib/kubelet/pki"
    (root / "var/lib/kubelet/pki/kubelet-server-current.pem").write_bytes(
        (pki / "kubelet.crt").read_bytes() + (pki / "kubelet.key").read_bytes())
    findings, node = node_check(root)
    assert found(findings) == set()
    _verified_self_signed(root)
    findings, node = node_check(root)
    assert ("kubelet-serving-expired", SERVING_ROTATED, "") not in found(findings)
    link = _kubelet_link(root, node)
    assert link.server_cert is not None and link.server_cert.path.endswith("kubelet.crt")


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
def test_each_hand_edit_is_reported_and_nothing_else(
    make_node_root: NodeFactory, tmp_path: Path, edit: str
) -> None:
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    change, expected = HAND_EDITS[edit]
    change(root)
    findings, _ = node_check(root)
    assert found(findings) == expected


def test_this_machines_copies_are_the_users_roots_and_kubeconfigs(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """On this machine (faked: a folder standing for /), the invoking user's
    ~/.kube/config, /root/.kube/config and each absolute $KUBECONFIG entry are read."""
    fake = tmp_path / "machine"
    shutil.copytree(make_node_root(faults=["kubeconfig-copy-stale"]), fake, symlinks=True)
    (fake / "home/ada/.kube").mkdir(parents=True)
    shutil.copy(fake / "root/.kube/config", fake / "home/ada/.kube/config")
    (fake / "srv").mkdir()
    shutil.copy(fake / "etc/kubernetes/admin.conf", fake / "srv/a.conf")
    tree = scan(fake / "etc/kubernetes")
    sources = NodeSources(node_root=fake, this_machine=True, home=Path("/home/ada"),
                          env_kubeconfig="/srv/a.conf:relative.conf")
    node = read_node_files(tree, sources)
    assert [f.path for f in node.copies()] == [
        "/home/ada/.kube/config", COPY, "/srv/a.conf"]
    findings = check_tree(tree, NOW, node_files=node).findings
    assert found(list(findings)) == {
        ("kubeconfig-copy-stale", "/home/ada/.kube/config", ADMIN_CONTEXT),
        ("kubeconfig-copy-stale", COPY, ADMIN_CONTEXT),
    }


def test_a_file_the_tree_names_is_read_only_when_kexplore_decodes_its_kind(
    tmp_path: Path,
) -> None:
    root = tmp_path / "etc-kubernetes"
    root.mkdir()
    (root / "admin.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": "/etc/shadow", "client-key": "/proc/self/environ"}))
    fake = tmp_path / "machine"
    (fake / "etc").mkdir(parents=True)
    (fake / "etc/shadow").write_text("root:$6$not-a-cert:1::::::\n")
    tree = scan(root)
    node = read_node_files(tree, NodeSources(node_root=fake, this_machine=True))
    shadow = node.files["/etc/shadow"]
    assert not shadow.missing and shadow.node.content is None and shadow.node.size > 0
    assert node.files["/proc/self/environ"].missing  # looked for in the fake root only
    findings = check_tree(tree, NOW, node_files=node).findings
    assert not any("not-a-cert" in f.message for f in findings)


# --- a real peer agrees with the generator and the checker --------------------------------


def test_openssl_agrees_with_the_kubelet_client_verdicts(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """openssl accepts the clean rotated cert against pki/ca.crt (the API server's
    --client-ca-file) and refuses the one kexplore reports as kubelet-client-ca."""
    import peers

    openssl = peers.require_binary("openssl")

    def verify(root: Path) -> bool:
        pem = root / CLIENT.lstrip("/")
        target = root / os.readlink(pem).lstrip("/")  # the node's own absolute link
        done = peers.run([openssl, "verify", "-CAfile", root / "etc/kubernetes/pki/ca.crt",
                          "-attime", str(int(NOW.timestamp())), target])
        return done.returncode == 0

    assert verify(make_node_root())
    assert not verify(make_node_root(faults=["kubelet-client-ca"]))
    serving = make_node_root() / "var/lib/kubelet/pki/kubelet.crt"
    split = serving.read_text().split("-----END CERTIFICATE-----\n")
    chain = tmp_path / "kubelet-ca-only.pem"
    chain.write_text(split[1] + "-----END CERTIFICATE-----\n")
    done = peers.run([openssl, "verify", "-CAfile", chain,
                      "-attime", str(int(NOW.timestamp())), serving])
    assert done.returncode == 0  # the kubelet's own throwaway CA signed its serving cert


def test_the_kubelets_client_cert_lapses_in_one_shape_expiring_then_expired(
    make_node_root: NodeFactory,
) -> None:
    """One lapse helper decides both: a warning with the time left inside --warn-days, an
    error from the second after notAfter; the serving cert and the embedded one say it
    in the same words."""
    root = make_node_root()
    _, node = node_check(root)
    cert = node.files[CLIENT].certs[0]
    end = cert.not_after
    assert lapse(cert, end - timedelta(days=31), 30) is None
    assert lapse(cert, end - timedelta(days=30), 30) == Lapse(
        Severity.WARNING, f"expires {end:%Y-%m-%d}, in 30d")
    assert lapse(cert, end - timedelta(days=30), None) is None
    assert lapse(cert, end, 30) == Lapse(Severity.WARNING, f"expires {end:%Y-%m-%d}, in 0s")
    gone = lapse(cert, end + timedelta(seconds=1), None)
    assert gone == Lapse(Severity.ERROR, f"expired {end:%Y-%m-%d}") and gone.expired
    rotate = ": check the kubelet's log and pending CSRs (kubectl get csr)"
    for moment, severity, words in (
        (end - timedelta(days=10), Severity.WARNING,
         f"expires {end:%Y-%m-%d}, in 10d, and has not been rotated{rotate}"),
        (end + timedelta(days=1), Severity.ERROR,
         f"expired {end:%Y-%m-%d}: the API server answers it Unauthorized"),
    ):
        findings, _ = node_check(root, now=moment)
        (late,) = [f for f in findings if f.rule == "kubelet-client-expired"]
        assert late.severity is severity
        assert late.message == f"the kubelet's client certificate {words}"
