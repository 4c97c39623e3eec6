"""The tree kexplore opens when it has none, and the demo: made fresh, healthy, reused
while valid, made again when the clock runs past it, and never from `sample_etc/`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from kexplore import cli
from kexplore.core.check import check_tree
from kexplore.core.read.scan import scan
from kexplore.core.sample import DEMO_LESSONS, ensure_sample
from tests.conftest import NOW

REPO = Path(__file__).resolve().parent.parent


def findings_at(root: Path, now=NOW):  # type: ignore[no-untyped-def]
    return list(check_tree(scan(root), now).findings)


def test_the_sample_is_made_healthy_with_kubeadm_modes(tmp_path: Path) -> None:
    sample = ensure_sample(NOW, home=tmp_path)
    assert sample.made and sample.root == tmp_path / "sample"
    assert findings_at(sample.root) == []  # not one error, warning or note
    for secret in ("pki/ca.key", "pki/etcd/peer.key", "admin.conf", "super-admin.conf"):
        assert stat.S_IMODE((sample.root / secret).stat().st_mode) == 0o600, secret
    assert stat.S_IMODE((sample.root / "pki/ca.crt").stat().st_mode) == 0o644


def test_the_sample_is_reused_while_valid(tmp_path: Path) -> None:
    first = ensure_sample(NOW, home=tmp_path)
    ca = (first.root / "pki/ca.crt").read_bytes()
    again = ensure_sample(NOW + timedelta(days=200), home=tmp_path)
    assert not again.made and (again.root / "pki/ca.crt").read_bytes() == ca
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("offset", [timedelta(days=2 * 365), timedelta(days=-1)])
def test_a_clock_outside_its_validity_makes_it_again(tmp_path: Path, offset: timedelta) -> None:
    first = ensure_sample(NOW, home=tmp_path)
    ca = (first.root / "pki/ca.crt").read_bytes()
    later = NOW + offset
    again = ensure_sample(later, home=tmp_path)
    assert again.made and (again.root / "pki/ca.crt").read_bytes() != ca
    assert findings_at(again.root, later) == []  # shown valid, never expired


def test_a_sample_made_by_another_kexplore_is_made_again(tmp_path: Path) -> None:
    ensure_sample(NOW, home=tmp_path)
    stamp = tmp_path / "sample.stamp.json"
    stamp.write_text(stamp.read_text().replace('"kexplore": "', '"kexplore": "0.0.0-old'))
    assert ensure_sample(NOW, home=tmp_path).made
    for broken in ("{not json", "[]", '{"valid_from": "2026-01-01", "valid_until": "2030-01-01"}'):
        stamp.write_text(broken)
        assert ensure_sample(NOW, home=tmp_path).made


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any mode")
def test_a_cache_that_cannot_be_written_falls_back_to_the_temp_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    sample = ensure_sample(NOW, home=locked / "kexplore")
    assert not sample.root.is_relative_to(locked) and findings_at(sample.root) == []


def test_an_unwritable_cache_falls_back_even_as_root(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    sample = ensure_sample(NOW, home=blocker / "kexplore")
    assert not sample.root.is_relative_to(tmp_path) and findings_at(sample.root) == []


def test_the_demo_plants_one_fault_per_lesson_and_nothing_else(tmp_path: Path) -> None:
    demo = ensure_sample(NOW, demo=True, home=tmp_path)
    assert demo.root == tmp_path / "demo" and demo.lessons == DEMO_LESSONS
    found = findings_at(demo.root)
    assert sorted(f.rule for f in found) == sorted(lesson.rule for lesson in DEMO_LESSONS)
    where = {(f.rule, f.path, f.pointer) for f in found}
    assert where == {
        ("cert-expired", "pki/apiserver-etcd-client.crt", ""),
        ("cert-chain", "pki/apiserver-kubelet-client.crt", ""),
        ("file-mode", "pki/apiserver.key", ""),
        ("manifest-leader-elect", "manifests/kube-scheduler.yaml", "--leader-elect"),
    }
    assert all(lesson.teaches for lesson in DEMO_LESSONS)
    assert findings_at(ensure_sample(NOW, home=tmp_path).root) == []  # the sample stays clean


def test_no_path_opens_etc_kubernetes_or_else_a_made_sample(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "DEFAULT_ROOT", tmp_path / "absent")
    target = cli.default_root(NOW)
    assert target.root == tmp_path / "cache" / "kexplore" / "sample"
    assert "sample" in target.note and "kexplore PATH" in target.note and not target.lessons
    demo = cli.default_root(NOW, demo=True)
    assert demo.root.name == "demo" and demo.lessons == DEMO_LESSONS and "demo" in demo.note
    monkeypatch.setattr(cli, "DEFAULT_ROOT", tmp_path)
    assert cli.default_root(NOW) == cli.Target(tmp_path)


# A plain install, as a user makes one: only what the package ships is there.
INSTALLED_START = r"""
import sys
from pathlib import Path
import kexplore, kexplore.cli as cli
from kexplore.ui.app import KexploreApp

assert not Path(kexplore.__file__).is_relative_to(Path(sys.argv[1])), kexplore.__file__
cli.DEFAULT_ROOT = Path("/nonexistent/etc/kubernetes")  # as on a laptop
target = cli.default_root()

async def first_frame(pilot):
    app = pilot.app
    while app.session is None:
        await pilot.pause(0.01)
    await pilot.pause()
    shown = [f.severity.value for f in app.session.findings("kubeadm")]  # what the header counts
    print("COUNTS", shown.count("error"), shown.count("warning"), target.root)
    print("HEADER", app.main.query_one("#status").content.plain.replace("\n", " "))
    app.exit()

KexploreApp(target.root, note=target.note).run(headless=True, auto_pilot=first_frame)
"""


def test_a_plain_install_opens_a_healthy_sample(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "kexplore"):  # no sample_etc/, no tests
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    # no pip of its own (seconds saved): the system's pip installs into the venv's prefix
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    built = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(source)],
                           capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        pytest.skip(f"no local package index to build the wheel from: {built.stderr[-300:]}")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "COLUMNS": "80"}
    env.pop("PYTHONPATH", None)
    helped = subprocess.run([venv / "bin" / "kexplore", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "--demo" in helped.stdout and "exit codes:" in helped.stdout
    started = subprocess.run([python, "-c", INSTALLED_START, str(REPO)], capture_output=True,
                             text=True, timeout=120, cwd=tmp_path, env=env)
    assert started.returncode == 0, started.stderr[-2000:]
    assert f"COUNTS 0 0 {tmp_path / 'cache' / 'kexplore' / 'sample'}" in started.stdout
    header = started.stdout.split("HEADER", 1)[1]
    assert "✖ 0 errors" in header and "▲ 0 warnings" in header
    assert "sample: no /nonexistent/etc/kubernetes here" in header and "kexplore PATH" in header
