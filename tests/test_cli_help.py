"""A CLI that teaches: help with examples, exit codes, defaults and units; a "did you mean";
numbers range-checked with exit 2; diff as a CI gate; tables that never cut a path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Factory

from kexplore.cli import COMMANDS, main
from kexplore.core.conventions.versions import NEWEST_SUPPORTED, OLDEST_SUPPORTED

AT = "2026-11-01T09:00:00Z"
SUPPORTED = f"{OLDEST_SUPPORTED.major}.{OLDEST_SUPPORTED.minor} to " \
            f"{NEWEST_SUPPORTED.major}.{NEWEST_SUPPORTED.minor}"


def exit_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own exits: --help, usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_help_has_examples_exit_codes_and_defaults(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = exit_of([*command, "--help"], capsys)
    assert code == 0
    assert "examples:" in out and "exit codes:" in out and "  0  " in out
    assert all(len(line) <= 80 for line in out.splitlines()), "help fits 80 columns"
    examples = out.split("examples:")[1].split("exit codes:")[0]
    assert (f"kexplore {command[0]}" if command else "kexplore --demo") in examples
    # those hold nothing against kubeadm: connections reads the tree's own flags and fields
    if command not in (["certs"], ["serve"], ["connections"]):
        assert f"kubeadm {SUPPORTED}" in out  # from the conventions data


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_the_commands_and_exit_codes_line_up(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `connections` (11 letters) and `serve`'s 130 once pushed their line out of the column
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = exit_of([*command, "--help"], capsys)
    codes = out.split("exit codes:\n")[1].split("\n\n")[0].splitlines()
    assert len({len(re.match(r"  \d+ +", line).group()) for line in codes}) == 1  # type: ignore[union-attr]
    if not command:
        listed = out.split("commands (kexplore COMMAND --help):\n")[1].split("\n\n")[0]
        starts = {len(re.match(r"  \S+ +", line).group())  # type: ignore[union-attr]
                  for line in listed.splitlines()}
        assert len(listed.splitlines()) == len(COMMANDS) and len(starts) == 1


def test_check_help_names_units_defaults_and_profiles(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    _, out, _ = exit_of(["check", "--help"], capsys)
    flat = " ".join(out.split())
    assert "--warn-days DAYS" in flat and "(0 to 3650) (default: 30)" in flat
    assert "ISO 8601" in flat and "(default: now)" in flat
    for profile in ("kubeadm", "cis", "all"):
        assert re.search(rf"^  {profile}\s+\S", out, re.M), profile
    assert "1  at least one error" in out and "2  PATH cannot be read" in out
    _, out, _ = exit_of(["generate", "--help"], capsys)
    assert "(default: 8760h)" in " ".join(out.split()) and "in hours (8760h) or days" in out


@pytest.mark.parametrize(("word", "message"), [
    ("cert", "unknown command 'cert': did you mean 'certs'?"),
    ("chek", "unknown command 'chek': did you mean 'check'?"),
    ("zzz", "'zzz' is neither a command nor a folder"),
])
def test_an_unknown_command_gets_a_did_you_mean(
    word: str, message: str, make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = exit_of([word, str(make_tree())], capsys)
    assert code == 2 and message in err and not out and "Traceback" not in err


def test_a_folder_named_like_a_command_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kexplore import cli

    (tmp_path / "cert").mkdir()
    monkeypatch.chdir(tmp_path)
    assert not cli._is_a_command_word("cert")


@pytest.mark.parametrize("args", [
    ["check", "{tree}", "--warn-days", "99999999999"],
    ["check", "{tree}", "--warn-days", "-5"],
    ["check", "{tree}", "--warn-days", "3651"],
    ["check", "{tree}", "--warn-days", "ten"],
    ["generate", "{tmp}/t", "--bind-port", "0"],
    ["generate", "{tmp}/t", "--bind-port", "70000"],
    ["generate", "{tmp}/t", "--cert-validity", "99999999999999999h"],
    ["generate", "{tmp}/t", "--ca-validity", "0h"],
    ["generate", "{tmp}/t", "--nodes", "0"],
    ["generate", "{tmp}/t", "--nodes", "100000"],
    ["serve", "{tree}", "--port", "65536"],
    ["diff", "{tree}", "--now", AT],  # a manifest does not age: refused, not ignored
    ["--demo", "{tree}"],
    ["--now", "9999-12-31T00:00:00Z"],  # no sample can be made valid then
    ["--demo", "--now", "0001-01-01T00:00:00Z"],
])
def test_out_of_range_numbers_exit_2_without_a_traceback(
    args: list[str], make_tree: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kexplore import cli

    monkeypatch.setattr(cli, "DEFAULT_ROOT", tmp_path / "absent")  # as on a laptop
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = [a.replace("{tree}", str(make_tree())).replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = exit_of(args, capsys)
    assert code == 2 and err.strip() and "Traceback" not in err
    assert not (tmp_path / "t").exists()


def test_the_range_message_names_the_range(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = exit_of(["check", str(make_tree()), "--warn-days", "-5"], capsys)
    assert "-5 is out of range: choose 0 to 3650 (days)" in err
    code, _, _ = exit_of(["check", str(make_tree()), "--now", AT, "--warn-days", "0"], capsys)
    assert code == 0


def test_diff_refuses_now_and_says_why(make_tree: Factory,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = exit_of(["diff", str(make_tree()), "--now", AT], capsys)
    assert code == 2 and "no clock" in err and "--now would change nothing" in err


def test_diff_exits_1_on_a_defect_and_0_on_a_customised_clean_tree(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("text", "json", "unified"):
        code, _, _ = exit_of(["diff", str(make_tree()), "--format", fmt], capsys)
        assert code == 0, fmt
        faulty = make_tree(faults=["manifest-leader-elect"])
        code, _, _ = exit_of(["diff", str(faulty), "--format", fmt], capsys)
        assert code == 1, fmt


def _piped(args: list[str], columns: int) -> str:
    done = subprocess.run([sys.executable, "-m", "kexplore", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": str(columns)})
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_narrow_pipes_never_cut_a_path_or_break_a_flag(make_tree: Factory) -> None:
    root = str(make_tree(faults=["manifest-leader-elect", "cert-expired"]))
    certs = _piped(["certs", root, "--now", AT], 60)
    for path in ("pki/etcd/healthcheck-client.crt", "pki/apiserver-etcd-client.crt",
                 "pki/etcd/server.crt", "pki/front-proxy-ca.crt"):
        assert any(path in line.split() for line in certs.splitlines()), path
    assert "…" not in certs
    diff = _piped(["diff", root], 60)
    assert "--leader-elect" in diff and "…" not in diff
    assert "manifests/kube-apiserver.yaml --advertise-address" in diff  # read-from whole
    check = _piped(["check", root, "--now", AT], 60)
    assert "--leader-elect" in check and "pki/apiserver.crt" in check and "…" not in check
    cis = _piped(["check", root, "--now", AT, "--profile", "cis"], 60)
    assert "manifests/kube-controller-manager.yaml is 0600" in cis and "…" not in cis
    wide = _piped(["certs", root, "--now", AT], 200)
    assert all(len(line) <= 200 for line in wide.splitlines())
    assert "pki/etcd/healthcheck-client.crt" in wide and "━" not in wide
    assert wide.splitlines()[0].split()[:2] == ["CERTIFICATE", "EXPIRES"]


def test_a_narrow_terminal_gets_a_block_per_finding_a_pipe_its_line(
    make_tree: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # at 80 columns a finding's table no longer fits: a terminal once got one 400-column
    # line per finding, wrapped mid-word; a pipe keeps the line `grep` and `cut` read
    from datetime import datetime

    from kexplore.core.check import check_tree
    from kexplore.core.read.scan import scan
    from kexplore.core.report.text import findings_renderable
    from kexplore.core.terminal import render_text

    report = check_tree(scan(make_tree(faults=["connection-ca"])), datetime.fromisoformat(AT))
    monkeypatch.setenv("COLUMNS", "80")
    piped = render_text([findings_renderable(report)], terminal=False).splitlines()
    shown = render_text([findings_renderable(report)], terminal=True)
    (row,) = [line for line in piped if line.startswith("error  connection-ca  ")]
    assert "reissue pki/front-proxy-client.crt" in row
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown).splitlines()
    assert max(len(line) for line in plain) <= 80
    head = plain.index("error  connection-ca  --proxy-client-cert-file")
    assert plain[head + 1].startswith("    kube-apiserver's pki/front-proxy-client.crt")
    assert "    fix: reissue pki/front-proxy-client.crt from pki/front-proxy-ca.crt" in plain


def test_the_explorer_into_a_pipe_says_to_use_check(make_tree: Factory) -> None:
    # `kexplore PATH | less` once wrote the explorer's escape codes into the pipe and hung
    root = str(make_tree())
    for args in ([root], [root, root]):
        done = subprocess.run([sys.executable, "-m", "kexplore", *args], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 2 and not done.stdout
        assert "the explorer needs a terminal" in done.stderr
        assert "kexplore check PATH" in done.stderr


@pytest.mark.parametrize("command", ["check", "certs", "connections", "diff", "inventory"])
def test_without_a_path_the_commands_read_the_nodes_tree(
    command: str, make_tree: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # on a control-plane node `kexplore check` is what an operator types first; it once
    # answered "the following arguments are required: path"
    from kexplore import commands

    monkeypatch.setattr(commands, "DEFAULT_TREE", make_tree())
    code, out, err = exit_of([command, "--format", "json"], capsys)
    assert code == 0 and out.startswith("{") and not err
    monkeypatch.setattr(commands, "DEFAULT_TREE", tmp_path / "etc-kubernetes")
    code, _, err = exit_of([command], capsys)
    assert code == 2 and "no such folder (the default on a control-plane node" in err


def test_generate_says_how_to_open_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a learner who generated a tree was left to guess the next command
    base = ["--key-algorithm", "ECDSA-P256", "--now", AT]
    cases = (
        ([str(tmp_path / "one")], f"open it: kexplore {tmp_path / 'one'} (or kexplore check"),
        ([str(tmp_path / "node"), "--node-root"],
         f"kexplore {tmp_path / 'node'}/etc/kubernetes --node-root {tmp_path / 'node'}"),
        ([str(tmp_path / "ha"), "--nodes", "2", "--control-plane-endpoint", "cp:6443"],
         f"kexplore compare {tmp_path / 'ha'}/cp-1 {tmp_path / 'ha'}/cp-2"),
    )
    for args, said in cases:
        code, out, _ = exit_of(["generate", *args, *base], capsys)
        assert code == 0 and out.startswith("wrote ") and said in out.splitlines()[1]
