"""Nothing outside the root is opened: not a file a kubeconfig or a manifest names, not a
link's target, not /proc, /sys or /dev; and the watcher watches only the folders the
scanner reads. The proof runs the real commands under an audit hook on `open`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import corpus as c
import pytest
import yaml

from kexplore.core.read import safeio
from kexplore.core.read.read_kubeconfig import NOT_CHECKED, decode_kubeconfig
from kexplore.core.read.scan import scan
from kexplore.live import Watcher, tree_folders

REPO = Path(__file__).resolve().parent.parent


def _outside_tree(root: Path, outside: Path) -> list[str]:
    """Kubeconfigs and a manifest in the tree naming files outside it; links out of it.
    Returns the outside paths named."""
    p = c.small_pki()
    outside.mkdir()
    other_key = outside / "other-host-ca.key"
    other_key.write_bytes(c.key_pem(p.ca_key))
    pair = outside / "kubelet-client-current.pem"
    pair.write_bytes(c.cert_pem(p.leaf) + c.key_pem(p.leaf_key))
    named = ["/proc/self/environ", str(other_key), str(pair), "/dev/zero", "/sys/kernel/notes"]
    (root / "environ.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": "/proc/self/environ", "client-key": str(other_key)},
        cluster={"certificate-authority": "/dev/zero", "server": "https://x:6443"}))
    (root / "kubelet.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": str(pair), "client-key": str(pair)},
        cluster={"certificate-authority": "/sys/kernel/notes", "server": "https://x:6443"}))
    (root / "relative.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": "../outside/kubelet-client-current.pem",
              "client-key": "pki/escape.key"},
        cluster={"certificate-authority": "pki/ca.crt", "server": "https://x:6443"}))
    api = root / "manifests" / "kube-apiserver.yaml"
    pod = yaml.safe_load(api.read_text())
    pod["spec"]["containers"][0]["command"] += [
        f"--tls-private-key-file={other_key}", "--client-ca-file=/proc/self/environ",
        f"--authentication-config={pair}"]
    pod["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    api.write_text(yaml.safe_dump(pod))
    os.symlink(str(other_key), root / "pki" / "escape.key")
    os.symlink("/", root / "rootlink")
    os.symlink("/proc/self/environ", root / "environ")
    return named


# Runs each command with every `open` recorded (builtins.open and os.open raise it alike).
CHILD = r"""
import json, os, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(args[0]) if event == "open" else None)
from kexplore.cli import main
from kexplore.ui.session import load_session
root = sys.argv[1]
for command in json.loads(sys.argv[2]):
    clock = [] if command[0] == "diff" else ["--now", "2026-11-01T09:00:00Z"]
    main([command[0], root, *command[1:], *clock])
load_session(__import__("pathlib").Path(root), None)  # what the explorer loads
sys.stdout.flush()
paths = [p if isinstance(p, str) else repr(p) for p in opened]
os.write(int(sys.argv[3]), json.dumps(paths).encode())
"""
COMMANDS = [["check", "--profile", "all", "--format", "json"], ["check", "--format", "junit"],
            ["certs", "--format", "json"], ["diff", "--format", "json"], ["check"],
            ["connections", "--format", "json"], ["inventory"]]


def _allowed(path: str, root: str) -> bool:
    """What a Python process may open besides the tree: its own code and libraries."""
    real = os.path.realpath(path)
    places = {sys.prefix, sys.base_prefix, str(REPO), *(p for p in sys.path if p)}
    return safeio.inside(real, os.path.realpath(root)) or any(
        safeio.inside(real, os.path.realpath(p)) for p in places
    ) or real == os.devnull


def test_no_path_outside_the_root_is_opened(writable_tree: Callable[..., Path]) -> None:
    root = writable_tree()
    named = _outside_tree(root, root.parent / "outside")
    read, write = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), json.dumps(COMMANDS), str(write)], cwd=root.parent,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write,),
        env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read()
    assert child.wait(120) == 0, child.stderr.read() if child.stderr else ""
    opened = json.loads(report)
    absolute = [p for p in opened if p.startswith("/")]
    assert str(root) in " ".join(absolute)  # the hook did see the tree being read
    outside = [p for p in absolute if not _allowed(p, str(root))]
    assert outside == [], outside
    for path in named:
        assert path not in opened
    # the scanner's opens are relative to a folder it opened inside the root
    relative = [p for p in opened if not p.startswith("/")]
    assert not any(name in relative for name in ("environ", "other-host-ca.key", "notes"))


def test_outside_references_are_reported_as_not_checked(
    writable_tree: Callable[..., Path],
) -> None:
    root = writable_tree()
    _outside_tree(root, root.parent / "outside")
    tree = scan(root)
    environ = tree.get("environ.conf")
    assert environ is not None
    user, cluster = environ.content.users[0], environ.content.clusters[0]
    assert user.cert is None and user.client_key is None and user.errors == ()
    assert all(n.endswith(NOT_CHECKED) for n in (*user.notes, *cluster.notes))
    assert "/proc/self/environ" in environ.content.outside_references
    relative = tree.get("relative.conf").content.users[0]  # type: ignore[union-attr]
    assert relative.cert is None and relative.client_key is None
    for link in ("rootlink", "environ", "pki/escape.key"):
        assert "outside the root" in tree.get(link).error  # type: ignore[union-attr]


def test_special_places_are_never_read(tmp_path: Path) -> None:
    with pytest.raises(safeio.NotRegularFile, match="/proc"):
        safeio.read_regular_file(Path("/proc/self/environ"), 1 << 20, root=Path("/"))
    with pytest.raises(safeio.OutsideRoot):
        safeio.read_regular_file(Path("/etc/hostname"), 1 << 20, root=tmp_path)
    with pytest.raises(OSError, match="/proc"):
        scan(Path("/proc/self"))
    os.mkfifo(tmp_path / "pipe.crt")
    info = decode_kubeconfig(c.kubeconfig(
        user={"client-certificate": "pipe.crt", "client-key": "pipe.crt"}),
        source_dir=tmp_path, tree_root=tmp_path)
    assert "not a regular file (a FIFO)" in info.users[0].errors[0]


# --- the watcher ------------------------------------------------------------------------


def _inotify_watches() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fdinfo"):
        try:
            with open(f"/proc/self/fdinfo/{fd}") as info:
                count += sum(1 for line in info if line.startswith("inotify wd:"))
        except OSError:
            continue
    return count


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
def test_the_watcher_watches_the_scanned_folders_only(
    writable_tree: Callable[..., Path],
) -> None:
    root = writable_tree()
    os.symlink("/", root / "rootlink")
    os.symlink("/usr", root / "pki" / "usrlink")
    folders = tree_folders(scan(root))
    assert root / "pki" / "etcd" in folders and len(folders) == 4  # root, manifests, pki, etcd
    stop, batches = threading.Event(), []
    before = _inotify_watches()
    watcher = Watcher(root)
    thread = threading.Thread(target=lambda: batches.extend(watcher.batches(stop)))
    thread.start()
    try:
        _wait(lambda: len(batches) >= 1)
        assert _inotify_watches() - before == len(folders)
        (root / "pki" / "new").mkdir()  # a new folder is watched too, once it is there
        _wait(lambda: _inotify_watches() - before == len(folders) + 1)
        (root / "pki" / "new" / "x.crt").write_text("x")
        _wait(lambda: any(str(root / "pki" / "new" / "x.crt") in b for b in batches))
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def _wait(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
