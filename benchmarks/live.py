"""How fast live reload follows the disk, and what an idle watcher costs.

Run by hand from the project root: python benchmarks/live.py [--idle SECONDS] [--writes N]

Prints figures only; nothing is asserted. On a generated RSA-2048 node root (the tree
in etc/kubernetes, the kubelet's files and a ~/.kube/config copy beside it, read as
`--node-root` reads them), for the inotify watcher and then the polling one (--poll):
  a. latency: the time from a write returning to the refreshed Change being published by
     `live_changes`, median of 20 writes to the tree (alternately an in-place manifest
     edit and an atomic certificate replace) and, in the same run, 20 to the node's files
     beside it (alternately a kubelet rotation, new dated pair then the
     kubelet-client-current.pem link swapped, and an in-place edit of the copy), one
     every 0.4 s, the two kinds taking turns. Target: median ≤ 250 ms (inotify), the node
     files no slower than the tree.
  b. idle CPU: the whole process's CPU time (all threads, from resource.getrusage) while
     the watcher runs and nothing changes, over 30 s, as a share of one core.
     Target: near zero.
Also prints what one `refresh` costs (rescan + node files + check) after a single-file
edit, the floor under the latency.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warm import compile_package

from kexplore.core.generate_node import _cluster_ca, _rotated_pair, generate_node_root
from kexplore.core.model import Tree
from kexplore.core.node_files import NodeFiles, read_node_files, sources_for
from kexplore.core.params import ClusterParams
from kexplore.live import Timing, live_changes, load, refresh

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SCHEDULER = "manifests/kube-scheduler.yaml"
CERT = "pki/apiserver.crt"
KUBELET_PKI = "var/lib/kubelet/pki"
CURRENT = f"{KUBELET_PKI}/kubelet-client-current.pem"
COPY = "root/.kube/config"
GAP_S = 0.4
WAIT_S = 10.0
TARGET_MS = 250

Write = Callable[[int], None]
NodeReader = Callable[[Tree], "NodeFiles | None"]


@dataclass
class Published:
    """Changes as the consumer thread saw them, with the moment each was published."""

    lock: threading.Condition
    times: list[float]

    def wait_beyond(self, seen: int) -> bool:
        """Wait until more than `seen` Changes were published; False after WAIT_S."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.times) > seen, WAIT_S)


def node_reader(node: Path) -> NodeReader:
    sources = sources_for(node / "etc/kubernetes", node_root=node)
    return lambda tree: read_node_files(tree, sources)  # type: ignore[arg-type]


def consume(node: Path, stop: threading.Event, poll: bool, published: Published) -> None:
    reader = node_reader(node)
    start = load(node / "etc/kubernetes", NOW, node_files=reader)
    for _ in live_changes(start, stop, now=lambda: NOW, poll=poll, node_files=reader):
        with published.lock:
            published.times.append(time.perf_counter())
            published.lock.notify_all()


def tree_write(root: Path) -> Write:
    """An edit a real operator makes: alternately in place and by atomic replace."""

    def write(i: int) -> None:
        if i % 2:
            path = root / SCHEDULER
            text = path.read_text()
            flip = ("=true", "=false") if "--leader-elect=true" in text else ("=false", "=true")
            path.write_text(text.replace(f"--leader-elect{flip[0]}", f"--leader-elect{flip[1]}"))
        else:
            path = root / CERT
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(path.read_bytes() + b"\n" * (i % 3 + 1))  # a new size each time
            os.replace(tmp, path)

    return write


def node_write(node: Path, count: int) -> Write:
    """What changes beside the tree: alternately the kubelet's rotation (a new dated pair,
    made beforehand so that only the writes are timed, then the link swapped in one
    rename) and `cp`-style in-place edits of the admin's copy."""
    ca = _cluster_ca(node / "etc/kubernetes")
    pairs = [_rotated_pair(ClusterParams(), NOW, ca, {}) for _ in range(count // 2 + 1)]
    copy = (node / COPY).read_bytes()

    def write(i: int) -> None:
        if i % 2:
            (node / COPY).write_bytes(copy + b"\n" * (i % 3 + 1))
            return
        dated = f"/{KUBELET_PKI}/kubelet-client-bench-{i:04d}.pem"
        (node / dated.lstrip("/")).write_bytes(pairs[i // 2])
        staged = node / KUBELET_PKI / ".current.new"
        staged.symlink_to(dated)
        os.replace(staged, node / CURRENT)

    return write


def latencies(published: Published, writes: dict[str, Write], count: int) -> dict[str, list[float]]:
    """Each kind of write `count` times, the kinds taking turns, GAP_S apart."""
    found: dict[str, list[float]] = {name: [] for name in writes}
    for i in range(count):
        for name, write in writes.items():
            time.sleep(GAP_S)
            with published.lock:
                seen = len(published.times)
            began = time.perf_counter()
            write(i)
            if published.wait_beyond(seen):
                found[name].append(published.times[seen] - began)
    return found


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle_cpu(seconds: float) -> tuple[float, float]:
    """(CPU seconds, share of one core) used by the whole process while nothing changes."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    time.sleep(seconds)
    used = cpu_seconds() - cpu
    return used, used / (time.perf_counter() - wall)


def refresh_cost(node: Path, write: Write, runs: int = 20) -> float:
    """Median seconds of one refresh after one edit: the floor under the latency."""
    reader = node_reader(node)
    snapshot, times = load(node / "etc/kubernetes", NOW, node_files=reader), []
    for i in range(runs):
        write(i)
        began = time.perf_counter()
        snapshot = refresh(snapshot, NOW, node_files=reader).after
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def describe(name: str, found: list[float], count: int, poll: bool) -> str:
    ms = sorted(x * 1000 for x in found)
    if not ms:
        return f"{name}: 0/{count} seen"
    target = f" (target ≤ {TARGET_MS} ms)" if not poll else ""
    return (f"{name}: write → Change published, {len(ms)}/{count} seen: "
            f"median {statistics.median(ms):.0f} ms{target}, "
            f"min {ms[0]:.0f}, p90 {ms[max(int(len(ms) * 0.9) - 1, 0)]:.0f}, max {ms[-1]:.0f}")


def measure(node: Path, poll: bool, writes: int, idle_s: float) -> None:
    name = f"polling every {Timing().poll_delay_ms} ms" if poll else "inotify"
    stop = threading.Event()
    published = Published(threading.Condition(), [])
    thread = threading.Thread(target=consume, args=(node, stop, poll, published))
    kinds = {"tree file": tree_write(node / "etc/kubernetes"),
             "node file": node_write(node, writes)}
    thread.start()
    try:
        time.sleep(1.5)  # past the first idle check: the watch is armed and synced
        for kind, found in latencies(published, kinds, writes).items():
            print(describe(f"{name}, {kind}", found, writes, poll))
        time.sleep(1.0)
        used, share = idle_cpu(idle_s)
        print(f"{name}: idle for {idle_s:.0f} s: {used * 1000:.0f} ms of CPU, "
              f"{share * 100:.2f}% of one core")
    finally:
        stop.set()
        began = time.perf_counter()
        thread.join()
        print(f"{name}: stopped in {(time.perf_counter() - began) * 1000:.0f} ms")


def main() -> None:
    compile_package()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=float, default=30.0, help="idle seconds to measure (30)")
    parser.add_argument("--writes", type=int, default=20, help="writes of each kind (20)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()} "
          f"{platform.system()} {platform.release()}")
    with tempfile.TemporaryDirectory() as scratch:
        node = Path(scratch) / "node"
        generate_node_root(node, ClusterParams(), NOW)
        print(f"node root: {sum(1 for _ in node.rglob('*'))} entries (RSA-2048)")
        for kind, write in (("tree", tree_write(node / "etc/kubernetes")),
                            ("node", node_write(node, 20))):
            print(f"one refresh after a one-file {kind} edit: median "
                  f"{refresh_cost(node, write) * 1000:.1f} ms of 20")
        baseline, _ = idle_cpu(min(5.0, args.idle))
        print(f"no watcher, {min(5.0, args.idle):.0f} s: {baseline * 1000:.0f} ms of CPU")
        for poll in (False, True):
            measure(node, poll, args.writes, args.idle)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
