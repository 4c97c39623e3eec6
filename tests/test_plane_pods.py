"""The kubelet's reading of manifests/: its file source, lines, and clean trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.checks.pods import DECODER, FILE_SOURCE, RUNTIME, VALIDATION
from kexplore.core.infer import infer
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.core.plane.pods import for_tree
from kexplore.core.read.scan import scan

POD_RULES = {*FILE_SOURCE, *DECODER, *VALIDATION, *RUNTIME, "pod-image", "pod-pki-path",
             "pod-host-access", "pod-weakened"}


def kubelet(root: Path):  # type: ignore[no-untyped-def]
    tree = scan(root)
    return for_tree(tree, infer(tree))


@pytest.mark.parametrize("minor", range(28, 36))
@pytest.mark.parametrize("etcd", list(EtcdMode))
def test_a_clean_tree_of_every_version_runs_every_pod_without_a_word(
    make_tree: Factory, minor: int, etcd: EtcdMode
) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, etcd=etcd,
                           kubernetes_version=Version(1, minor, 2))
    root = make_tree(params)
    view = kubelet(root)
    assert [e.path for e in view.entries] == sorted(
        f"manifests/{p.name}" for p in (root / "manifests").iterdir())
    assert all(e.runs and not e.problems for e in view.entries)
    report = check_tree(scan(root), NOW)
    assert [f for f in report.findings if f.rule in POD_RULES] == []


def test_the_kubelet_reads_every_entry_but_dotfiles_and_enters_no_folder(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    manifests = root / "manifests"
    (manifests / ".kube-scheduler.yaml.swp").write_bytes(b"\x00binary")
    (manifests / "old").mkdir()
    (manifests / "old" / "kube-scheduler.yaml").write_bytes(
        (manifests / "kube-scheduler.yaml").read_bytes())
    view = kubelet(root)
    paths = [e.path for e in view.entries]
    assert "manifests/.kube-scheduler.yaml.swp" not in paths
    assert "manifests/old/kube-scheduler.yaml" not in paths
    folder = view.get("manifests/old")
    assert folder is not None and not folder.runs
    assert [(p.rule, p.severity.value) for p in folder.problems] == [("pod-ignored", "warning")]
    assert "holds 1 entry" in folder.problems[0].message


def test_a_link_beside_its_target_is_a_second_file_for_one_pod(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    manifests = root / "manifests"
    os.rename(manifests / "kube-scheduler.yaml", manifests / "kube-scheduler-v2.yaml")
    os.symlink("kube-scheduler-v2.yaml", manifests / "kube-scheduler.yaml")
    view = kubelet(root)
    runs = {e.path: e.runs for e in view.entries if e.key == "kube-system/kube-scheduler"}
    # sorted names: kube-scheduler-v2.yaml < kube-scheduler.yaml, so the link wins
    assert runs == {
        "manifests/kube-scheduler-v2.yaml": False, "manifests/kube-scheduler.yaml": True}
    duplicate = [p for e in view.entries for p in e.problems if p.rule == "pod-duplicate"]
    assert [p.path for p in duplicate] == ["manifests/kube-scheduler-v2.yaml"]
    assert "the kubelet runs manifests/kube-scheduler.yaml" in duplicate[0].message


def test_a_list_is_refused_and_only_the_first_document_read(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    manifests = root / "manifests"
    pod = (manifests / "kube-scheduler.yaml").read_bytes()
    (manifests / "kube-scheduler.yaml").write_bytes(pod + b"---\nkind: Pod\nmetadata: {name: x}\n")
    (manifests / "pods.yaml").write_bytes(b"apiVersion: v1\nkind: List\nitems: []\n")
    (manifests / "pods.yaml").chmod(0o600)
    report = check_tree(scan(root), NOW)
    found = {(f.rule, f.path) for f in report.findings}
    assert found == {("pod-extra-document", "manifests/kube-scheduler.yaml"),
                     ("parse-error", "manifests/pods.yaml")}
    refused = next(f for f in report.findings if f.path == "manifests/pods.yaml")
    assert "refuses a list" in refused.message and refused.severity.value == "error"


def test_each_problem_names_the_line_the_yaml_holds_it_on(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    path = root / "manifests/kube-apiserver.yaml"
    text = path.read_text()
    text = text.replace("      readOnly: true\n", "      readOlny: true\n", 1)
    text = text.replace("        port: probe-port\n", "        port: 6444\n", 1)
    path.write_text(text)
    lines = text.splitlines()
    view = kubelet(root)
    entry = view.get("manifests/kube-apiserver.yaml")
    assert entry is not None and entry.runs
    by_rule = {p.rule: p for p in entry.problems}
    assert lines[by_rule["pod-dropped-field"].line - 1].strip() == "readOlny: true"  # type: ignore[operator]
    probe = by_rule["pod-probe"]
    assert lines[probe.line - 1].strip() == "httpGet:"  # type: ignore[operator]
    assert probe.field == probe.pointer == "spec.containers[0].livenessProbe.httpGet"


def test_a_flag_problem_names_the_line_of_the_flag_that_counts(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    path = root / "manifests/kube-scheduler.yaml"
    text = path.read_text().replace("    - --bind-address=127.0.0.1\n",
                                    "    - --bind-address=127.0.0.1\n    - --v=2\n"
                                    "    - --bind-address=0.0.0.0\n")
    path.write_text(text)
    entry = kubelet(root).get("manifests/kube-scheduler.yaml")
    assert entry is not None
    repeated = next(p for p in entry.problems if p.rule == "pod-flag-repeated")
    assert text.splitlines()[repeated.line - 1].strip() == "- --bind-address=0.0.0.0"  # type: ignore[operator]
    assert "uses the last, '0.0.0.0'" in repeated.message


def test_a_fifo_and_a_huge_file_are_ignored_once(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    manifests = root / "manifests"
    os.mkfifo(manifests / "pipe")
    with open(manifests / "huge.yaml", "wb") as handle:
        handle.truncate(11 << 20)  # sparse: 11 MiB that take no disk
    (manifests / "huge.yaml").chmod(0o600)
    report = check_tree(scan(root), NOW)
    found = {(f.rule, f.severity.value, f.path) for f in report.findings}
    assert found == {("pod-ignored", "warning", "manifests/pipe"),
                     ("pod-ignored", "error", "manifests/huge.yaml")}


def test_no_secret_flag_value_reaches_a_message(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    path = root / "manifests/kube-apiserver.yaml"
    text = path.read_text().replace(
        "    - --allow-privileged=true\n",
        "    - --allow-privileged=true\n    - --db-password=hunter2-first\n"
        "    - --db-password=hunter2-second\n"
        "    - --etcd-servers=http://root:hunter2-url@127.0.0.1:2379\n")
    path.write_text(text)
    report = check_tree(scan(root), NOW)
    rules = {f.rule for f in report.findings if f.path == "manifests/kube-apiserver.yaml"}
    assert {"pod-flag-repeated", "etcd-plaintext"} <= rules
    assert all("hunter2" not in f.message + f.fix for f in report.findings)


def test_a_third_party_pod_mounting_another_tree_file_is_fine(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """kube-vip mounts super-admin.conf as /etc/kubernetes/admin.conf: a file of the tree
    under another name, still the file that was checked."""
    root = writable_tree()
    target = root / "manifests/kube-vip.yaml"
    target.write_bytes((Path(__file__).parent / "data/static-pods/kube-vip.yaml").read_bytes())
    target.chmod(0o600)
    assert check_tree(scan(root), NOW).findings == ()


def test_a_patch_release_apart_is_an_upgrade_under_way_not_a_finding(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    path = root / "manifests/kube-scheduler.yaml"
    path.write_text(path.read_text().replace("kube-scheduler:v1.35.0", "kube-scheduler:v1.35.1"))
    assert "kube-scheduler:v1.35.1" in path.read_text()
    assert check_tree(scan(root), NOW).findings == ()


def test_the_plane_reads_the_copy_the_kubelet_keeps_not_the_edited_file(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """kube-apiserver.yaml.bak, a copy taken before an edit, defines the same pod and sorts
    later: the kubelet runs it and ignores the edit. The plane judges the API server the
    kubelet runs, so the edit's wrong serving cert breaks nothing yet, and the one finding
    is the copy that hides the edit."""
    from kexplore.core.plane import build_plane

    root = writable_tree()
    manifests = root / "manifests"
    edited = manifests / "kube-apiserver.yaml"
    (manifests / "kube-apiserver.yaml.bak").write_bytes(edited.read_bytes())
    edited.write_text(edited.read_text().replace(
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-cert-file=/etc/kubernetes/pki/front-proxy-client.crt").replace(
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
        "--tls-private-key-file=/etc/kubernetes/pki/front-proxy-client.key"))
    tree = scan(root)
    plane = build_plane(tree, NOW)
    api = next(c for c in plane.components if c.name == "kube-apiserver")
    assert api.source == "manifests/kube-apiserver.yaml.bak"
    assert all(r.status.value == "ok" for r in plane.connections
               if r.server == "kube-apiserver"), [r.reason for r in plane.connections]
    assert sorted((f.rule, f.path, f.pointer) for f in check_tree(tree, NOW).findings) == [
        ("manifest-flag", "manifests/kube-apiserver.yaml", "--tls-cert-file"),
        ("manifest-flag", "manifests/kube-apiserver.yaml", "--tls-private-key-file"),
        ("pod-duplicate", "manifests/kube-apiserver.yaml.bak", "metadata.name")]


# --- one cause, one finding: an edit that breaks two things the operator fixes at once ----


def _checked(root: Path) -> list[tuple[str, str, str]]:
    return [(f.rule, f.path, f.pointer) for f in check_tree(scan(root), NOW).findings]


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text()
    assert old in text
    (root / rel).write_text(text.replace(old, new))


def test_a_misspelt_host_network_is_one_finding_on_what_it_breaks(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """hostNetowrk: the decoder drops it, so hostNetwork is unset. Spelling it right fixes
    both, so manifest-host-network (what breaks) stands for both, with the misspelling, its
    line and the one edit; pod-dropped-field gives way for that field."""
    root = writable_tree()
    _edit(root, "manifests/etcd.yaml", "hostNetwork: true", "hostNetowrk: true")
    findings = check_tree(scan(root), NOW).findings
    assert [(f.rule, f.path, f.pointer) for f in findings] == [
        ("manifest-host-network", "manifests/etcd.yaml", "spec.hostNetwork")]
    (finding,) = findings
    assert "off the host network it cannot start the cluster" in finding.message
    assert finding.message.endswith("the file spells it spec.hostNetowrk (line 79), a field "
                                    "the kubelet drops without a word")
    assert finding.fix == "spell spec.hostNetowrk as hostNetwork"
    # a dropped field that misspells nothing another rule reports keeps its own finding
    _edit(root, "manifests/etcd.yaml", "hostNetowrk: true", "hostNetwork: true\n  hostPIDD: false")
    assert _checked(root) == [("pod-dropped-field", "manifests/etcd.yaml", "spec.hostPIDD")]


def test_a_secure_port_moved_onto_another_pods_is_one_finding_when_moving_it_back_fixes_all(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    """The scheduler's --secure-port moved onto the controller manager's 10257, its probes
    left on 10259: setting the flag back to 10259 fixes the clash and the probes at once,
    so pod-host-port stands for both, with the probes' facts and that fix."""
    root = writable_tree()
    _edit(root, "manifests/kube-scheduler.yaml", "    - --leader-elect=true\n",
          "    - --leader-elect=true\n    - --secure-port=10257\n")
    findings = check_tree(scan(root), NOW).findings
    assert [(f.rule, f.path, f.pointer) for f in findings] == [
        ("pod-host-port", "manifests/kube-scheduler.yaml", "--secure-port")]
    (finding,) = findings
    assert "bind: address already in use" in finding.message
    assert "its probes (spec.containers[0].livenessProbe.httpGet) still dial port 10259, " \
        "which it no longer serves" in finding.message
    assert finding.fix.startswith("move --secure-port back to port 10259, the port its probes "
                              "dial")


def test_a_secure_port_and_probes_moved_onto_two_taken_ports_are_two_fixes(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    """Two fixes, so two findings: the scheduler moved onto the controller manager's 10257
    and its probes onto etcd's 2381. Setting --secure-port to the probes' port would clash
    with etcd, so the operator must pick a free port (pod-host-port) and point the probes
    at it (pod-probe): neither edit fixes the other."""
    root = writable_tree()
    _edit(root, "manifests/kube-scheduler.yaml", "    - --leader-elect=true\n",
          "    - --leader-elect=true\n    - --secure-port=10257\n")
    _edit(root, "manifests/kube-scheduler.yaml", "port: probe-port", "port: 2381")
    assert _checked(root) == [
        ("pod-host-port", "manifests/kube-scheduler.yaml", "--secure-port"),
        ("pod-probe", "manifests/kube-scheduler.yaml",
         "spec.containers[0].livenessProbe.httpGet"),
    ]
    moved = next(f for f in check_tree(scan(root), NOW).findings if f.rule == "pod-host-port")
    assert "probes" not in moved.message
