"""Trees as they are found in the field: partial, moved, joined, hand-edited, unreadable.

Each case asserts what must be reported and that nothing else is."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from conftest import FAST, NOW, SHARED_TEMP, Factory
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kexplore.core.check import check_tree
from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.expiry import expiry_rows
from kexplore.core.generate import Issued, cert_pem, issue, new_key, plan_for
from kexplore.core.infer import infer
from kexplore.core.model import Finding, Severity
from kexplore.core.params import ClusterParams, KeyAlgorithm
from kexplore.core.read.scan import scan

TREES = Path(__file__).parent / "data" / "trees"
REPO = Path(__file__).parent.parent
KUBECONFIGS = ("admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf",
               "scheduler.conf")


def findings(root: Path) -> list[Finding]:
    return list(check_tree(scan(root), NOW).findings)


def rules(root: Path) -> list[tuple[str, Severity, str]]:
    return [(f.rule, f.severity, f.path) for f in findings(root)]


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new))


def only(source: Path, target: Path, *names: str) -> Path:
    """A copy of part of a tree, as people commit them."""
    target.mkdir()
    for name in names:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, symlinks=True)
        else:
            shutil.copy2(source / name, target / name)
    return target


def data_manifests(case: str, root: Path) -> None:
    """The hand-written manifests of tests/data/trees/<case>, with kubeadm's mode."""
    (root / "manifests").mkdir(exist_ok=True)
    for manifest in (TREES / case / "manifests").iterdir():
        target = root / "manifests" / manifest.name
        target.write_text(manifest.read_text())
        target.chmod(0o600)


# --- parameters read, never invented --------------------------------------------------


def test_a_kubeconfig_only_tree_invents_no_address(make_tree: Factory, tmp_path: Path) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, advertise_address="10.1.2.3",
                           node_name="cp-9")
    root = only(make_tree(params), tmp_path / "t", *KUBECONFIGS)
    edit(root, "controller-manager.conf", "https://10.1.2.3:6443", "https://10.9.9.9:6443")
    report = check_tree(scan(root), NOW)
    text = json.dumps([f.as_json() for f in report.findings])
    assert report.findings == ()  # this node's own address is not in the tree
    assert "192.168.1.10" not in text and "cp-1" not in text
    inferred = infer(scan(root))
    assert not inferred.knows("advertise_address")
    assert "192.168.1.10" in inferred.unknown_values


def test_embedded_cas_vouch_for_embedded_certs_without_pki(make_tree: Factory,
                                                           tmp_path: Path) -> None:
    root = only(make_tree(), tmp_path / "t", *KUBECONFIGS)
    assert [f for f in findings(root) if f.rule == "cert-chain"] == []
    rows = {r.name: r.ca_name for r in expiry_rows(scan(root), NOW)}
    assert rows["admin.conf"] == "kubernetes"


def test_a_minikube_cert_dir_is_legitimate(make_tree: Factory, tmp_path: Path) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, node_name="minikube",
                           advertise_address="192.168.49.2", kubernetes_version=FAST.version)
    root = only(make_tree(params), tmp_path / "t", *KUBECONFIGS)
    data_manifests("minikube", root)
    inferred = infer(scan(root))
    assert inferred.params.cert_dir == "/var/lib/minikube/certs"
    found = findings(root)
    # Two customisations (admission plugins that keep NodeRestriction, etcd's data dir);
    # not one "weakened", not one missing file.
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("manifest-flag", Severity.INFO, "manifests/etcd.yaml", "--data-dir"),
        ("manifest-flag", Severity.INFO, "manifests/kube-apiserver.yaml",
         "--enable-admission-plugins"),
    ]


def test_unknown_node_name_keeps_its_rules_silent(make_tree: Factory, tmp_path: Path) -> None:
    """Without etcd.yaml, kubelet.conf or an etcd cert, the node name is unknown: no CN
    and no SAN is held to the sample's "cp-1"."""
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, node_name="cp-5")
    source = make_tree(params)
    root = only(source, tmp_path / "t", "pki")
    for rel in ("pki/etcd/server.crt", "pki/etcd/peer.crt"):
        (root / rel).unlink()
    inferred = infer(scan(root))
    assert not inferred.knows("node_name")
    assert [f for f in findings(root) if "cp-1" in f.message] == []


# --- flags judged as the components read them ----------------------------------------


APISERVER = "manifests/kube-apiserver.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # the API server's default: no finding
        ("    - --advertise-address=192.168.1.10\n",
         "    - --advertise-address=192.168.1.10\n    - --bind-address=0.0.0.0\n", []),
        # one address instead of all: narrower, a customisation
        ("    - --advertise-address=192.168.1.10\n",
         "    - --advertise-address=192.168.1.10\n    - --bind-address=192.168.1.10\n",
         [("manifest-flag", Severity.INFO, APISERVER)]),
        # its default port, spelt out by kubeadm, left out: the same thing
        ("    - --secure-port=6443\n", "", []),
        ("--enable-admission-plugins=NodeRestriction",
         "--enable-admission-plugins=NodeRestriction,PodSecurity,AlwaysPullImages",
         [("manifest-flag", Severity.INFO, APISERVER)]),
        # EventRateLimit with no --admission-control-config-file: the API server exits
        ("--enable-admission-plugins=NodeRestriction",
         "--enable-admission-plugins=NodeRestriction,EventRateLimit",
         [("pod-admission-config", Severity.ERROR, APISERVER)]),
        ("--enable-admission-plugins=NodeRestriction",
         "--enable-admission-plugins=PodSecurity",
         [("manifest-flag", Severity.WARNING, APISERVER)]),
        ("--authorization-mode=Node,RBAC", "--authorization-mode=Node,RBAC,Webhook",
         [("manifest-flag", Severity.INFO, APISERVER)]),
        ("--authorization-mode=Node,RBAC", "--authorization-mode=AlwaysAllow,Node,RBAC",
         [("authorization-always-allow", Severity.ERROR, APISERVER)]),
    ],
)
def test_flags_are_judged_as_the_api_server_reads_them(
    writable_tree, old: str, new: str, expected: list[tuple[str, Severity, str]]
) -> None:
    root = writable_tree()
    edit(root, APISERVER, old, new)
    assert rules(root) == expected


def test_a_joined_nodes_etcd_flags_are_kubeadm_joins_own(writable_tree) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, node_name="cp-2",
                           advertise_address="192.168.1.11")
    root = writable_tree(params)
    data_manifests("joined-etcd", root)
    assert findings(root) == []


def test_a_joined_etcd_without_itself_in_the_cluster_is_still_reported(writable_tree) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, node_name="cp-2",
                           advertise_address="192.168.1.11")
    root = writable_tree(params)
    data_manifests("joined-etcd", root)
    edit(root, "manifests/etcd.yaml", ",cp-2=https://192.168.1.11:2380", "")
    assert [(f.rule, f.pointer) for f in findings(root)] == [
        ("manifest-flag", "--initial-cluster")
    ]


def test_addresses_compare_as_addresses(writable_tree) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, advertise_address="fd00::10",
                           service_subnet="fd00:96::/112")
    root = writable_tree(params)
    spelt = [*(f"manifests/{pod}.yaml" for pod in ("etcd", "kube-apiserver")),
             "controller-manager.conf", "scheduler.conf", "kubelet.conf"]
    for rel in spelt:
        edit(root, rel, "fd00::10", "FD00:0::10")
    assert findings(root) == []
    edit(root, "scheduler.conf", "FD00:0::10", "FD00:0::11")
    assert [(f.rule, f.path) for f in findings(root)] == [
        ("connection-server-name", "scheduler.conf")
    ]


# --- said once per folder ------------------------------------------------------------


def test_a_manifests_only_tree_is_one_finding_per_folder(make_tree: Factory,
                                                         tmp_path: Path) -> None:
    root = only(make_tree(), tmp_path / "t", "manifests")
    found = findings(root)
    assert [(f.rule, f.severity, f.path) for f in found] == [
        ("file-missing", Severity.ERROR, "."),
        ("file-missing", Severity.ERROR, "pki"),
    ]
    assert "4 of kubeadm's kubeconfigs" in found[0].message
    assert "pki/ is not there: it should hold 19 files kubeadm writes" in found[1].message
    assert "; 25 flags in manifests/etcd.yaml" in found[1].message


def test_a_missing_pki_in_a_full_tree_is_one_finding(writable_tree) -> None:
    root = writable_tree()
    shutil.rmtree(root / "pki")
    assert rules(root) == [("file-missing", Severity.ERROR, "pki")]


def test_one_missing_kubeconfig_is_still_named(writable_tree) -> None:
    root = writable_tree()
    (root / "scheduler.conf").unlink()
    # one cause, one finding: it counts the scheduler's flags that name the file
    (found,) = findings(root)
    assert (found.rule, found.path) == ("file-missing", "scheduler.conf")
    assert found.message.endswith("; 3 flags in manifests/kube-scheduler.yaml name it")


# --- the tree as it is -----------------------------------------------------------------


def test_a_copy_of_the_ca_is_a_copy(writable_tree) -> None:
    root = writable_tree()
    shutil.copy2(root / "pki/ca.crt", root / "pki/ca-old.crt")
    assert rules(root) == [("cert-copy", Severity.INFO, "pki/ca-old.crt")]
    rows = {r.name: r.ca_name for r in expiry_rows(scan(root), NOW)}
    assert rows["apiserver"] == "ca" and rows["admin.conf"] == "ca"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_ca_bundle_that_holds_the_tree_ca_matches(writable_tree) -> None:
    root = writable_tree()
    bundle = (root / "pki/front-proxy-ca.crt").read_bytes() + (root / "pki/ca.crt").read_bytes()
    doc = yaml.safe_load((root / "admin.conf").read_text())
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = _b64(bundle)
    (root / "admin.conf").write_text(yaml.safe_dump(doc))
    assert [f for f in findings(root) if f.rule == "kubeconfig-ca-mismatch"] == []


def test_an_intermediate_ca_is_a_trust_anchor(writable_tree) -> None:
    """pki/ca.crt re-issued, same key and name, by a root kept outside the tree."""
    root = writable_tree()
    ca_key = serialization.load_pem_private_key((root / "pki/ca.key").read_bytes(), None)
    outside_key = new_key(FAST.key_algorithm)
    plan = plan_for(CERTS_BY_NAME["ca"], FAST, NOW - timedelta(hours=1), None)
    outside = issue(replace(plan, cn="outside-root"), outside_key, None)
    intermediate = issue(plan, ca_key, Issued(outside, outside_key))  # type: ignore[arg-type]
    pem = cert_pem(intermediate)
    (root / "pki/ca.crt").write_bytes(pem)
    for name in KUBECONFIGS:
        doc = yaml.safe_load((root / name).read_text())
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = _b64(pem)
        (root / name).write_text(yaml.safe_dump(doc))
        (root / name).chmod(0o600)
    assert x509.load_pem_x509_certificate(pem).issuer.rfc4514_string() == "CN=outside-root"
    assert rules(root) == [("ca-intermediate", Severity.INFO, "pki/ca.crt")]


# --- unreadable is not missing ---------------------------------------------------------


@pytest.fixture
def shared_tree(make_tree: Factory) -> Iterator[Path]:
    """A generated tree where another user can reach it (pytest's folders are 0700)."""
    base = Path(tempfile.mkdtemp(prefix="kexplore-", dir=SHARED_TEMP))
    base.chmod(0o755)
    root = base / "etc-kubernetes"
    shutil.copytree(make_tree(), root, symlinks=True)
    root.chmod(0o755)
    yield root
    shutil.rmtree(base)


def _check_as_nobody(root: Path) -> tuple[list[dict[str, str]], str]:
    """check_tree in a forked child that has given up root: the findings, and what it
    wrote on stderr."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to fork a child that runs as another user")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                report = check_tree(scan(root), NOW)
            doc = {"findings": [f.as_json() for f in report.findings], "stderr": err.getvalue()}
            with os.fdopen(write_end, "w") as out:
                json.dump(doc, out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        text = source.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not text:
        pytest.skip("the child could not give up root (setuid refused?)")
    doc = json.loads(text)
    return doc["findings"], doc["stderr"]


def test_an_unreadable_manifests_folder_is_said_once(shared_tree: Path) -> None:
    (shared_tree / "manifests").chmod(0o700)
    found, stderr = _check_as_nobody(shared_tree)
    assert stderr == ""
    unreadable = [(f["rule"], f["path"]) for f in found if f["rule"] == "unreadable"]
    assert ("unreadable", "manifests") in unreadable
    assert [f for f in found if "missing" in f["rule"]] == []
    assert [f for f in found if "restore" in f["fix"]] == []
    assert [f for f in found if f["path"].startswith("manifests/")] == []
    assert all("run kexplore as root" in f["fix"] for f in found if f["rule"] == "unreadable")
    # kubeadm's 0600 keys and kubeconfigs: one finding per folder, none per file
    assert sorted(unreadable) == [("unreadable", p) for p in (".", "manifests", "pki", "pki/etcd")]


# --- pointed at a part -----------------------------------------------------------------


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kexplore", "check", *args, "--now", NOW.isoformat()],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_part_of_a_tree_is_checked_as_that_part(writable_tree) -> None:
    root = writable_tree(faults=["cert-expired", "manifest-leader-elect"])
    run = _check(str(root / "manifests"), "--format", "json")
    doc = json.loads(run.stdout)
    assert doc["part"] == "manifests" and doc["root"] == str(root)
    assert [(f["rule"], f["path"]) for f in doc["findings"]] == [
        ("manifest-leader-elect", "manifests/kube-scheduler.yaml")
    ]
    run = _check(str(root / "pki/apiserver.crt"), "--format", "json")
    assert [(f["rule"], f["path"]) for f in json.loads(run.stdout)["findings"]] == [
        ("cert-expired", "pki/apiserver.crt")
    ]
    assert run.returncode == 1 and run.stderr == ""


def test_a_loose_folder_of_manifests_says_how_to_point_at_the_root(make_tree: Factory,
                                                                   tmp_path: Path) -> None:
    loose = tmp_path / "copied"
    shutil.copytree(make_tree() / "manifests", loose)
    run = _check(str(loose))
    assert run.returncode == 2 and run.stdout == ""
    assert "point kexplore at the folder that holds manifests/" in run.stderr
    assert "Traceback" not in run.stderr


# --- nothing on stderr -----------------------------------------------------------------


def test_a_ca_with_serial_zero_is_a_note_and_stderr_stays_quiet(writable_tree,
                                                                tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; it makes the serial-0 certificate")
    root = writable_tree()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=kubernetes", "-set_serial", "0", "-days", "3650",
         "-keyout", str(tmp_path / "old.key"), "-out", str(root / "pki/legacy-ca.crt")],
        check=True, capture_output=True,
    )
    run = _check(str(root), "--format", "json")
    assert run.stderr == ""
    found = [f for f in json.loads(run.stdout)["findings"] if f["path"] == "pki/legacy-ca.crt"]
    assert [(f["rule"], f["severity"]) for f in found if f["rule"] != "cert-not-yet-valid"] == [
        ("cert-serial", "info")
    ]


def test_an_absent_leader_elect_is_the_components_default(writable_tree) -> None:
    root = writable_tree()
    edit(root, "manifests/kube-scheduler.yaml", "    - --leader-elect=true\n", "")
    assert findings(root) == []


def test_the_headline_names_nothing_the_tree_does_not_hold(make_tree: Factory,
                                                           tmp_path: Path) -> None:
    root = only(make_tree(), tmp_path / "t", "scheduler.conf")
    assert infer(scan(root)).headline() == ("?", "?", "?")
    assert infer(scan(make_tree())).headline() == ("cp-1", "v1.35.0", "https://192.168.1.10:6443")


def test_a_pki_only_tree_holds_its_certs_to_nothing_it_lacks(make_tree: Factory,
                                                             tmp_path: Path) -> None:
    """No manifest gives the address, the service subnet or the endpoint: the serving
    cert is not held to kubeadm's default subnet nor to our sample's address."""
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, node_name="cp-3",
                           advertise_address="10.5.5.5", service_subnet="10.100.0.0/16",
                           dns_domain="corp.local", control_plane_endpoint="lb.example.com:6443")
    root = only(make_tree(params), tmp_path / "t", "pki")
    assert rules(root) == [
        ("file-missing", Severity.ERROR, "."),
        ("file-missing", Severity.ERROR, "manifests"),
    ]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("https://[FD00:0::10]:2379", "https://[fd00::10]:2379"),
        ("cp-2=https://[FD00:0:0::11]:2380,cp-1=https://10.0.0.1:2380",
         "cp-2=https://[fd00::11]:2380,cp-1=https://10.0.0.1:2380"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("10.96.0.0/12", "10.96.0.0/12"),
        ("registry.k8s.io/etcd:3.6.6-0", "registry.k8s.io/etcd:3.6.6-0"),
        ("a" * 100_000 + ":" * 100_000, "a" * 100_000 + ":" * 100_000),
    ],
)
def test_addresses_are_written_one_way(text: str, canonical: str) -> None:
    from kexplore.core.params import canonical_addresses

    assert canonical_addresses(text) == canonical


def test_certs_lists_nothing_missing_from_a_kubeconfig_only_tree(make_tree: Factory,
                                                                 tmp_path: Path) -> None:
    root = only(make_tree(), tmp_path / "t", *KUBECONFIGS)
    rows = expiry_rows(scan(root), NOW)
    assert [r.name for r in rows if r.missing] == []
    assert {r.name for r in rows} == set(KUBECONFIGS)


def test_a_cert_copied_to_the_root_is_a_stray_not_a_pki_folder(writable_tree) -> None:
    """An operator's spare apiserver.crt at the top of /etc/kubernetes, named by
    --tls-cert-file: the tree is still a tree, and the flag is the one finding."""
    root = writable_tree()
    shutil.copy(root / "pki/apiserver.crt", root / "apiserver.crt")
    edit(root, "manifests/kube-apiserver.yaml", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
         "--tls-cert-file=/etc/kubernetes/apiserver.crt")
    run = _check(str(root), "--format", "json")
    assert run.returncode == 1 and run.stderr == ""
    assert [(f["rule"], f["path"], f["pointer"]) for f in json.loads(run.stdout)["findings"]] == [
        ("plane-not-mounted", "manifests/kube-apiserver.yaml", "--tls-cert-file")
    ]


def test_a_broken_stray_file_is_a_warning_and_a_broken_file_a_flag_names_an_error(
    writable_tree,
) -> None:
    """An empty notes.conf, a pki/old.crt of zero bytes or a binary blob that no component
    opens stops nothing; the same bytes where a flag points stop the API server."""
    root = writable_tree()
    for name, data in (("notes.conf", b""), ("pki/old.crt", b""),
                       ("blob.conf", bytes(range(256)) * 4)):
        (root / name).write_bytes(data)
        (root / name).chmod(0o600)
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [
        ("parse-error", Severity.WARNING, path, "")
        for path in ("blob.conf", "notes.conf", "pki/old.crt")
    ]
    edit(root, "manifests/kube-apiserver.yaml", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
         "--tls-cert-file=/etc/kubernetes/pki/old.crt")
    found = [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)]
    assert ("parse-error", Severity.ERROR, "pki/old.crt", "") in found
    assert [f for f in found if f[0] == "parse-error" and f[2] != "pki/old.crt"] == [
        ("parse-error", Severity.WARNING, path, "") for path in ("blob.conf", "notes.conf")
    ]


def _certs_moved_to(root: Path, folder: str) -> Path:
    """kubespray's layout: certificatesDir /etc/kubernetes/<folder>, every flag and
    hostPath pointing there."""
    (root / "pki").rename(root / folder)
    for manifest in (root / "manifests").iterdir():
        text = manifest.read_text().replace("/etc/kubernetes/pki", f"/etc/kubernetes/{folder}")
        manifest.write_text(text)
    return root


def _as_found(root: Path, folder: str = "pki") -> list[tuple[str, Severity, str, str]]:
    return [(f.rule, f.severity, f.path.replace(f"{folder}/", "pki/", 1), f.pointer)
            for f in findings(root)]


@pytest.mark.parametrize("fault", ["", "cert-san-missing", "cert-subject:apiserver-kubelet-client",
                                   "cert-usage:front-proxy-client", "connection-ca",
                                   "kubeconfig-ca-mismatch"])
def test_a_moved_certificates_dir_is_held_to_kubeadms_certificates(
    make_tree: Factory, writable_tree, fault: str
) -> None:
    """The same fault is the same one finding whether the certificates are in pki/ or in
    ssl/: kubeadm's names, groups, usages and SANs are checked wherever the flags point."""
    expected = _as_found(make_tree(faults=[fault] if fault else []))
    moved = _certs_moved_to(writable_tree(faults=[fault] if fault else []), "ssl")
    assert _as_found(moved, "ssl") == expected
    assert len(expected) == (1 if fault else 0)
    inferred = infer(scan(moved))
    assert inferred.sources["key_algorithm"] == "ssl/ca.key (ECDSA P-256 (SEC1))"
    assert inferred.params.key_algorithm is KeyAlgorithm.ECDSA_P256
    rows = {r.path: r for r in expiry_rows(scan(moved), NOW)}
    assert (rows["ssl/apiserver.crt"].name, rows["ssl/apiserver.crt"].ca_name) == ("apiserver",
                                                                                  "ca")
    assert rows["ssl/etcd/peer.crt"].ca_name == "etcd-ca"


def test_a_second_cluster_in_admin_conf_is_a_note(writable_tree) -> None:
    """kubectl users keep other clusters beside kubeadm's; the current context is the one
    kubeadm and the admin's kubectl dial, so another server there harms nothing."""
    root = writable_tree()
    doc = yaml.safe_load((root / "admin.conf").read_text())
    doc["clusters"].append({"name": "staging", "cluster": {
        **doc["clusters"][0]["cluster"], "server": "https://staging.example.com:6443"}})
    doc["contexts"].append({"name": "staging-admin",
                            "context": {"cluster": "staging", "user": "kubernetes-admin"}})
    (root / "admin.conf").write_text(yaml.safe_dump(doc))
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [
        ("kubeconfig-server", Severity.INFO, "admin.conf", "cluster staging")]
    doc["current-context"] = "staging-admin"
    (root / "admin.conf").write_text(yaml.safe_dump(doc))
    # now dialled: apiserver.crt does not name staging.example.com
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [
        ("connection-server-name", Severity.ERROR, "admin.conf", "cluster staging")]


def test_a_static_pod_kept_as_json_runs_and_is_one_warning(writable_tree) -> None:
    """The kubelet reads every file of manifests/, JSON too: the controller manager runs;
    what is at risk is the next kubeadm upgrade, which writes the .yaml beside it."""
    root = writable_tree()
    yaml_path = root / "manifests/kube-controller-manager.yaml"
    json_path = yaml_path.with_suffix(".json")
    json_path.write_text(json.dumps(yaml.safe_load(yaml_path.read_text()), indent=2))
    json_path.chmod(0o600)
    yaml_path.unlink()
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [
        ("file-missing", Severity.WARNING, "manifests/kube-controller-manager.yaml", "")]
    json_path.unlink()
    assert [(f.rule, f.severity, f.path) for f in findings(root)] == [
        ("file-missing", Severity.ERROR, "manifests/kube-controller-manager.yaml")]


def test_a_manifest_over_the_read_cap_but_under_the_kubelets_is_unchecked_not_broken(
    writable_tree,
) -> None:
    """kexplore reads at most 1 MiB of a file; the kubelet reads 10 MiB of a manifest, so
    a scheduler manifest bloated by a long comment still runs."""
    root = writable_tree()
    path = root / "manifests/kube-scheduler.yaml"
    path.write_text("# " + "x" * (2 << 20) + "\n" + path.read_text())
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [
        ("parse-error", Severity.WARNING, "manifests/kube-scheduler.yaml", "")]


def test_an_audit_log_the_api_server_writes_is_no_reference_to_check(tmp_path: Path) -> None:
    """--audit-log-path names the file the API server appends to; on a fresh node it is not
    there yet, and nothing that reads it fails."""
    from kexplore.core.generate_node import generate_node_root
    from kexplore.core.node_files import read_node_files, sources_for

    node_root = tmp_path / "node"
    generate_node_root(node_root, FAST, NOW, [])
    root = node_root / "etc/kubernetes"
    edit(root, "manifests/kube-apiserver.yaml", "    - --allow-privileged=true\n",
         "    - --allow-privileged=true\n"
         "    - --audit-log-path=/var/log/kubernetes/audit/audit.log\n")
    edit(root, "manifests/kube-apiserver.yaml", "    volumeMounts:\n",
         "    volumeMounts:\n    - mountPath: /var/log/kubernetes/audit\n      name: audit-log\n")
    edit(root, "manifests/kube-apiserver.yaml", "  volumes:\n",
         "  volumes:\n  - hostPath:\n      path: /var/log/kubernetes/audit\n"
         "      type: DirectoryOrCreate\n    name: audit-log\n")
    tree = scan(root)
    sources = sources_for(tree.root, node_root=node_root)
    assert sources is not None
    found = check_tree(tree, NOW, node_files=read_node_files(tree, sources)).findings
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("manifest-flag", Severity.INFO, "manifests/kube-apiserver.yaml", "--audit-log-path")]


def test_an_encryption_config_is_held_to_0600_wherever_the_flag_puts_it(writable_tree) -> None:
    """--encryption-provider-config names the keys that encrypt every Secret at rest;
    readable by everyone, they open any etcd snapshot. The flag says which file it is."""
    root = writable_tree()
    edit(root, "manifests/kube-apiserver.yaml", "    - --allow-privileged=true\n",
         "    - --allow-privileged=true\n"
         "    - --encryption-provider-config=/etc/kubernetes/pki/encryption.yaml\n")
    config = root / "pki/encryption.yaml"
    config.write_text("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"
                      "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n"
                      "      keys:\n      - name: key1\n"
                      "        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n")
    config.chmod(0o600)
    flag = ("manifest-flag", Severity.INFO, "manifests/kube-apiserver.yaml",
            "--encryption-provider-config")
    assert [(f.rule, f.severity, f.path, f.pointer) for f in findings(root)] == [flag]
    config.chmod(0o644)
    found = findings(root)
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("file-mode", Severity.ERROR, "pki/encryption.yaml", ""), flag]
    assert "Secret" in found[0].message and "c2VjcmV0" not in found[0].message


def test_a_kubeconfig_naming_a_ca_its_container_does_not_mount_is_an_error(writable_tree) -> None:
    """certificate-authority: /etc/kubernetes/pki/ca.crt in scheduler.conf is a real file
    on the host, but the scheduler's pod mounts scheduler.conf alone: it cannot start."""
    root = writable_tree()
    doc = yaml.safe_load((root / "scheduler.conf").read_text())
    cluster = doc["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["certificate-authority"] = "/etc/kubernetes/pki/ca.crt"
    (root / "scheduler.conf").write_text(yaml.safe_dump(doc))
    os.utime(root / "manifests/kube-scheduler.yaml")  # the pod restarted after the edit
    found = findings(root)
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("plane-not-mounted", Severity.ERROR, "scheduler.conf", "cluster kubernetes")]
    assert "kube-scheduler → kube-apiserver" in found[0].message
