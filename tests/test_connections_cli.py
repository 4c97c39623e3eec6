"""`kexplore connections` as scripts use it: exit codes as for check, stable JSON, a table
grouped by status, and nothing from the tree reaching the terminal as control bytes."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import Factory

from kexplore.cli import main

AT = "2026-11-01T09:00:00Z"
KEYS = {"id", "kind", "client", "server", "purpose", "address", "address_source", "status",
        "reason", "breaks_at", "identity", "anchor", "symptom"}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_tree_exits_0_with_every_relation_ok(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["connections", str(make_tree()), "--now", AT, "--format", "json"],
                       capsys)
    doc = json.loads(out)
    assert code == 0
    assert set(doc) == {"root", "now", "components", "connections"} and doc["now"] == AT
    assert all(set(c) >= KEYS for c in doc["connections"])
    assert {c["status"] for c in doc["connections"]} == {"ok"}
    link = next(c for c in doc["connections"] if c["id"] == "kube-scheduler->kube-apiserver")
    assert link["address"] == "https://192.168.1.10:6443"
    assert link["server_cert"]["path"] == "pki/apiserver.crt"
    assert link["server_cert"]["pointer"] == "--tls-cert-file"
    assert link["client_ca"]["path"] == "pki/ca.crt"
    assert link["identity"]["user"] == "system:kube-scheduler"
    assert link["breaks_at"] == "2027-11-01T09:00:00Z"


def test_a_broken_relation_exits_1_and_says_where_and_why(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(faults=["connection-server-name"])
    code, out, _ = run(["connections", str(root), "--now", AT, "--format", "json"], capsys)
    assert code == 1
    (broken,) = [c for c in json.loads(out)["connections"] if c["status"] == "broken"]
    assert broken["id"] == "kube-scheduler->kube-apiserver"
    assert broken["anchor"] == {"path": "scheduler.conf", "pointer": "cluster kubernetes"}
    assert "not 10.255.0.1" in broken["reason"]
    code, text, _ = run(["connections", str(root), "--now", AT], capsys)
    assert code == 1
    assert text.index("broken (1)") < text.index("ok (")
    assert "✗ kube-scheduler" in text


def test_check_reports_the_broken_relation(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(faults=["connection-server-name"])
    code, out, _ = run(["check", str(root), "--now", AT, "--format", "json"], capsys)
    rules = {(f["rule"], f["path"]) for f in json.loads(out)["findings"]}
    assert code == 1 and ("connection-server-name", "scheduler.conf") in rules


def test_an_unreadable_root_or_a_bad_argument_exits_2(
    tmp_path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    code, _, err = run(["connections", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "cannot read" in err
    with pytest.raises(SystemExit) as exit_:
        main(["connections", str(tmp_path), "--format", "yaml"])
    assert exit_.value.code == 2


def test_unknown_relations_say_why_and_do_not_fail(
    make_tree: Factory, tmp_path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "t"
    shutil.copytree(make_tree(), root)
    for pod in (root / "manifests").iterdir():
        pod.unlink()
    code, out, _ = run(["connections", str(root), "--now", AT, "--format", "json"], capsys)
    unknown = [c for c in json.loads(out)["connections"] if c["status"] == "unknown"]
    assert code == 0 and unknown and all(c["reason"] for c in unknown)


def test_names_from_the_tree_never_reach_the_terminal_raw(
    make_tree: Factory, tmp_path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "t"
    shutil.copytree(make_tree(), root)
    shutil.copy(root / "admin.conf", root / "evil\x1b[2Jname.conf")
    code, out, _ = run(["connections", str(root), "--now", AT], capsys)
    assert code == 0
    assert "\x1b[2J" not in out and "evil\\x1b[2Jname.conf" in out
    _, out, _ = run(["connections", str(root), "--now", AT, "--format", "json"], capsys)
    assert "\x1b" not in json.loads(out)["connections"][0]["id"]
    assert any(c["id"].startswith("evil\\x1b") for c in json.loads(out)["connections"])


def test_a_broken_relation_breaks_now_in_the_table_and_keeps_its_date_in_json(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    # the front-proxy client cert is signed by the wrong CA: broken today, though its
    # certificates expire a year on; the table must not offer that year as a reprieve
    root = make_tree(faults=["connection-ca"])
    _, out, _ = run(["connections", str(root), "--now", AT, "--format", "json"], capsys)
    link = next(c for c in json.loads(out)["connections"]
                if c["id"] == "kube-apiserver->aggregated-apiservers")
    assert link["status"] == "broken" and link["breaks_at"] == "2027-11-01T09:00:00Z"
    _, text, _ = run(["connections", str(root), "--now", AT], capsys)
    (row,) = [line for line in text.splitlines() if "kube-apiserver->aggregated-apiservers" in line]
    assert "broken now" in row and "2027-11-01" not in row
    healthy = next(line for line in text.splitlines() if "kube-apiserver->etcd[0]" in line)
    assert "2027-11-01 09:00 UTC" in healthy and "broken now" not in healthy


def test_piped_text_is_a_block_per_relation_within_the_width_with_its_notes(
    make_tree: Factory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pipe at 120 columns is too narrow for the table: each relation is a heading (its
    # status, title, id and date, for grep) and a field a line, never a 500-column line
    monkeypatch.setenv("COLUMNS", "120")
    root = make_tree(faults=["connection-ca"])
    _, text, _ = run(["connections", str(root), "--now", AT], capsys)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert all(line == line.rstrip() for line in lines)
    head = lines.index(next(line for line in lines
                            if "kube-apiserver->aggregated-apiservers" in line))
    assert lines[head].startswith("✗ kube-apiserver → aggregated API servers")
    assert lines[head].endswith("broken now")
    block = lines[head + 1:lines.index("", head)]
    assert "    client cert  pki/front-proxy-client.crt (--proxy-client-cert-file)" in block
    assert any(line.startswith("    why          ") for line in block)
    assert any(line.startswith("    note         each extension server's own certificate")
               for line in block)
    kubelet = lines.index(next(line for line in lines if "  kube-apiserver->kubelet  " in line))
    assert "breaks 2027-11-01 09:00 UTC" in lines[kubelet]
    assert any("does not verify the kubelets' serving certificates" in line
               for line in lines[kubelet:lines.index("", kubelet)])


def test_a_wide_terminal_keeps_the_table_and_shows_the_notes_in_it(
    make_tree: Factory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")
    _, text, _ = run(["connections", str(make_tree()), "--now", AT], capsys)
    assert "┃ id" in text and "note: each extension server's own certificate" in text
    assert "    client cert  " not in text
