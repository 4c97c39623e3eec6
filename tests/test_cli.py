"""The headless commands as scripts and CI use them: exit codes, JSON, and no secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Factory

from kexplore.cli import main

AT = "2026-11-01T09:00:00Z"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_exits_0_on_a_clean_tree_and_1_with_an_error(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", str(make_tree()), "--now", AT], capsys)
    assert code == 0 and "0 errors, 0 warnings" in out
    code, out, _ = run(["check", str(make_tree(faults=["cert-expired"])), "--now", AT], capsys)
    assert code == 1
    assert "pki/apiserver.crt" in out and "cert-expired" in out
    assert "kubeadm certs renew apiserver" in out
    assert "1 error, 0 warnings, 0 notes in" in out  # each noun in its number


def test_check_exits_0_with_warnings_only(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["check", str(make_tree(faults=["manifest-leader-elect"])), "--now", AT], capsys
    )
    assert code == 0 and "manifest-leader-elect" in out


def test_check_json_has_the_documented_shape(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(faults=["cert-expiring"])
    code, out, _ = run(["check", str(root), "--now", AT, "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0
    assert set(doc) == {"root", "now", "findings", "summary"}
    assert doc["now"] == AT and doc["root"] == str(root)
    assert doc["summary"] == {"error": 0, "warning": 1, "info": 0}
    [finding] = doc["findings"]
    assert set(finding) == {"rule", "severity", "path", "pointer", "message", "fix"}
    assert (finding["rule"], finding["path"]) == ("cert-expiring", "pki/front-proxy-client.crt")


def test_warn_days_moves_the_expiry_warning(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(make_tree(faults=["cert-expiring"]))  # 10 days left
    _, out, _ = run(["check", root, "--now", AT, "--format", "json", "--warn-days", "5"], capsys)
    assert json.loads(out)["findings"] == []
    _, out, _ = run(["check", root, "--now", AT, "--format", "json", "--warn-days", "400"], capsys)
    rules = {f["path"] for f in json.loads(out)["findings"] if f["rule"] == "cert-expiring"}
    assert "pki/apiserver.crt" in rules and "admin.conf" in rules


@pytest.mark.parametrize(
    "args",
    [
        ["check", "/no/such/tree"],
        ["certs", "/no/such/tree"],
        ["check", "{tree}", "--now", "yesterday"],
        ["check", "{tree}", "--format", "xml"],
        ["diff", "/no/such/tree"],
    ],
)
def test_bad_roots_and_arguments_exit_2_with_one_line(
    make_tree: Factory, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("{tree}", str(make_tree())) for a in args]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and err.strip()


def test_certs_lists_every_cert_with_kubeadm_names(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(faults=["cert-expiring"])
    code, out, _ = run(["certs", str(root), "--now", AT, "--format", "json"], capsys)
    doc = json.loads(out)
    names = [c["name"] for c in doc["certificates"]]
    assert code == 0
    assert set(names) == {
        "admin.conf",
        "apiserver",
        "apiserver-etcd-client",
        "apiserver-kubelet-client",
        "controller-manager.conf",
        "etcd-healthcheck-client",
        "etcd-peer",
        "etcd-server",
        "front-proxy-client",
        "scheduler.conf",
        "super-admin.conf",
        "kubelet.conf",
    }
    assert names[0] == "front-proxy-client"  # soonest expiry first
    first = doc["certificates"][0]
    assert first["residualTime"] == 10 * 86400 and first["residual"] == "10d"
    assert first["caName"] == "front-proxy-ca" and first["externallyManaged"] is False
    assert {c["name"] for c in doc["certificateAuthorities"]} == {"ca", "front-proxy-ca", "etcd-ca"}
    code, out, _ = run(["certs", str(root), "--now", AT], capsys)
    assert "RESIDUAL TIME" in out and "CERTIFICATE AUTHORITY" in out and "10d" in out


def test_certs_marks_a_ca_without_its_key_as_externally_managed(
    writable_tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = writable_tree()
    (root / "pki/front-proxy-ca.key").unlink()
    _, out, _ = run(["certs", str(root), "--now", AT, "--format", "json"], capsys)
    doc = json.loads(out)
    by_name = {c["name"]: c for c in doc["certificates"] + doc["certificateAuthorities"]}
    assert by_name["front-proxy-client"]["externallyManaged"] is True
    assert by_name["front-proxy-ca"]["externallyManaged"] is True
    assert by_name["apiserver"]["externallyManaged"] is False


def test_certs_shows_missing_kubeadm_certs(
    writable_tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = writable_tree()
    (root / "pki/apiserver.crt").unlink()
    _, out, _ = run(["certs", str(root), "--now", AT], capsys)
    assert "!MISSING! apiserver" in out


def test_diff_prints_kubeadm_differences(writable_tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = writable_tree(faults=["manifest-leader-elect"])
    code, out, _ = run(["diff", str(root), "--format", "json"], capsys)
    doc = json.loads(out)
    scheduler = next(m for m in doc["manifests"] if m["component"] == "kube-scheduler")
    assert scheduler["flags"] == [
        {
            "where": "--leader-elect",
            "change": "changed",
            "expected": "true",
            "actual": "false",
            "kind": "defect",
            "reason": scheduler["flags"][0]["reason"],
        }
    ]
    assert "-    - --leader-elect=false\n+    - --leader-elect=true" in scheduler["unified"]
    code, out, _ = run(["diff", str(root), "--format", "unified"], capsys)
    assert code == 1  # --leader-elect=false is a defect: diff is a CI gate
    assert out.startswith("--- /etc/kubernetes/manifests/kube-scheduler.yaml\n+++ new manifest")


def _fingerprint(root: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path)] = (data, st.st_mode, st.st_mtime_ns)
    return out


def _key_material(root: Path) -> list[str]:
    """Lines of every private key in the tree, and their base64 forms in kubeconfigs."""
    probes = []
    for path in root.rglob("*"):
        text = path.read_text(errors="replace") if path.is_file() else ""
        if "PRIVATE KEY-----" in text and path.suffix == ".key":
            probes += [line for line in text.splitlines()[1:-1] if len(line) > 40][:3]
    for conf in root.glob("*.conf"):
        for line in conf.read_text().splitlines():
            if "client-key-data" in line:
                data = line.split(":", 1)[1].strip()
                probes += [data[:60], base64.b64decode(data).decode().splitlines()[1][:40]]
    return probes


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--format", "json"],
        ["certs"],
        ["certs", "--format", "json"],
        ["diff"],
        ["diff", "--format", "json"],
        ["diff", "--format", "unified"],
    ],
)
def test_commands_never_write_and_never_print_a_key(
    make_tree: Factory, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(faults=["key-mismatch", "kubeconfig-client-cert"])
    before = _fingerprint(root)
    clock = [] if args[0] == "diff" else ["--now", AT]  # a manifest does not age
    _, out, err = run([args[0], str(root), *clock, *args[1:]], capsys)
    assert _fingerprint(root) == before
    probes = _key_material(root)
    assert len(probes) > 10
    for probe in probes:
        assert probe not in out and probe not in err
    assert "PRIVATE KEY" not in out


def test_python_dash_m_runs_the_cli(make_tree: Factory) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kexplore",
            "check",
            str(make_tree()),
            "--now",
            AT,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["error"] == 0


def test_profile_all_adds_every_cis_check_once_to_json(make_tree: Factory,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(make_tree()), "--now", AT, "--format", "json",
                        "--profile", "all"], capsys)
    doc = json.loads(out)
    ids = [c["id"] for c in doc["checks"]]
    assert len(ids) == len(set(ids)) == 77
    assert set(doc["checks"][0]) == {"id", "title", "result", "reason", "remediation"}
    failed = {c["id"] for c in doc["checks"] if c["result"] == "fail"}
    assert "cis-1.2.16" in failed  # a stock kubeadm tree leaves profiling on
    assert failed == {f["rule"] for f in doc["findings"] if f["rule"].startswith("cis-")}
    code_kubeadm, out, _ = run(["check", str(make_tree()), "--now", AT, "--format", "json"],
                               capsys)
    assert "checks" not in json.loads(out) and code_kubeadm == code == 0


def test_junit_output_is_xml_with_a_failure_per_failed_check(
        make_tree: Factory, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    _, out, _ = run(["check", str(make_tree(faults=["cert-expired"])), "--now", AT,
                     "--format", "junit", "--profile", "all"], capsys)
    root = ET.fromstring(out)
    failures = [case.get("name") or "" for case in root.iter("testcase")
                if case.find("failure") is not None]
    assert any("cert-expired" in name for name in failures)
    assert any("1.2.16" in name for name in failures)


def test_a_reader_that_leaves_early_gets_no_traceback(make_tree: Factory) -> None:
    done = subprocess.run(f"{sys.executable} -m kexplore check {make_tree()} --now {AT} "
                          "| head -c0", shell=True, capture_output=True, text=True, timeout=60)
    assert done.stderr == ""


def test_odd_file_names_never_reach_the_terminal_raw(writable_tree,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = writable_tree()
    (root / "manifests" / "\x1b[31mred\x1b[0m.yaml").write_text("x")
    hostile = root / "x;touch PWNED;.conf"
    hostile.write_text("x")
    hostile.chmod(0o644)
    (root / os.fsdecode(b"caf\xe9.crt")).write_bytes(b"garbage")
    for fmt in ("text", "json"):
        _, out, _ = run(["check", str(root), "--now", AT, "--format", fmt], capsys)
        assert "\x1b" not in out
        assert "\\ud" not in out  # no lone surrogates: strict JSON parsers refuse them
    _, out, _ = run(["check", str(root), "--now", AT, "--format", "json"], capsys)
    fixes = [f["fix"] for f in json.loads(out)["findings"] if f["rule"] == "file-mode"]
    assert "chmod 600 'x;touch PWNED;.conf'" in fixes
    assert any(f["path"] == "caf\\xe9.crt" for f in json.loads(out)["findings"])
