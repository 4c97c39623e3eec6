"""Decoding in two processes gives exactly what one process gives, or falls back to it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from conftest import Factory

from kexplore.core.read.parallel import map_in_two
from kexplore.core.read.scan import PARALLEL_FILES


def in_fresh_process(code: str) -> str:
    """Run in a new interpreter: this one may hold threads that earlier tests left."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_results_keep_their_order_and_half_come_from_a_child() -> None:
    out = in_fresh_process(
        "import os\n"
        "from kexplore.core.read.parallel import map_in_two\n"
        "parent = os.getpid()\n"
        "results = map_in_two(lambda x: (x * x, os.getpid() == parent), list(range(9)))\n"
        "print(results)\n"
    )
    assert out == str([(x * x, x % 2 == 0) for x in range(9)])


def test_a_child_that_dies_is_made_up_for_here() -> None:
    out = in_fresh_process(
        "import os\n"
        "from kexplore.core.read.parallel import map_in_two\n"
        "parent = os.getpid()\n"
        "def only_here(x):\n"
        "    if os.getpid() != parent:\n"
        "        os._exit(3)  # the child dies without a word\n"
        "    return x + 1\n"
        "print(map_in_two(only_here, [1, 2, 3, 4, 5]))\n"
    )
    assert out == "[2, 3, 4, 5, 6]"


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        pids = map_in_two(lambda _: os.getpid(), list(range(6)))
    finally:
        stop.set()
        other.join()
    assert set(pids) == {os.getpid()}


def test_a_large_tree_scans_the_same_in_two_processes(make_tree: Factory, tmp_path: Path) -> None:
    root = tmp_path / "etc"
    shutil.copytree(make_tree(), root, symlinks=True)
    files = sorted(p for p in (root / "pki").rglob("*") if p.is_file())
    backups = root / "tmp" / "kubeadm-backup-certs-2026-01-01-00-00-00"
    for i in range(PARALLEL_FILES // len(files) + 1):
        for f in files:
            target = backups / f"copy-{i}" / f.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    (backups / "copy-0" / "pki" / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nno")
    broken = "tmp/kubeadm-backup-certs-2026-01-01-00-00-00/copy-0/pki/broken.crt"
    # a fresh interpreter: no thread that earlier tests left can keep it from forking
    out = in_fresh_process(
        "import os, sys\n"
        "from pathlib import Path\n"
        "from kexplore.core.read.scan import scan\n"
        "forks, real_fork = [], os.fork\n"
        "os.fork = lambda: forks.append(1) or real_fork()\n"
        f"root = Path({str(root)!r})\n"
        "one = scan(root)\n"
        "before = len(forks)\n"
        "two = scan(root, fork=True)\n"
        "same = list(one.nodes) == list(two.nodes) and one.nodes == two.nodes and all(\n"
        "    one.nodes[p].content == two.nodes[p].content for p in one.nodes)\n"
        f"print(before, len(forks), len(one.nodes), same, bool(two.nodes[{broken!r}].error))\n"
    )
    before, after, nodes, same, broken_said = out.split()
    assert (before, after) == ("0", "1")  # one process, then two
    assert int(nodes) > PARALLEL_FILES
    assert same == "True"  # the same nodes, decoded alike, in the walk's order
    assert broken_said == "True"
