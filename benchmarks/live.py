"""How fast live reload follows the disk, and what an idle watcher costs.

Run by hand from the project root: python benchmarks/live.py [--idle SECONDS] [--writes N]

Prints figures only; nothing is asserted. On a generated RSA-2048 tree, for the inotify
watcher and then the polling one (--poll):
  a. latency: the time from a write returning to the refreshed Change being published by
     `live_changes`, median of 20 writes (alternately an in-place manifest edit and an
     atomic certificate replace, 0.4 s apart). Target: median ≤ 250 ms (inotify).
  b. idle CPU: the whole process's CPU time (all threads, from resource.getrusage) while
     the watcher runs and nothing changes, over 30 s, as a share of one core.
     Target: near zero.
Also prints what one `refresh` costs (rescan + check) after a single-file edit, the floor
under the latency.
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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warm import compile_package

from kexplore.core.generate import generate_tree
from kexplore.core.params import ClusterParams
from kexplore.live import Timing, live_changes, load, refresh

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SCHEDULER = "manifests/kube-scheduler.yaml"
CERT = "pki/apiserver.crt"
GAP_S = 0.4
WAIT_S = 10.0
TARGET_MS = 250


@dataclass
class Published:
    """Changes as the consumer thread saw them, with the moment each was published."""

    lock: threading.Condition
    times: list[float]

    def wait_beyond(self, seen: int) -> bool:
        """Wait until more than `seen` Changes were published; False after WAIT_S."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.times) > seen, WAIT_S)


def consume(root: Path, stop: threading.Event, poll: bool, published: Published) -> None:
    for _ in live_changes(load(root, NOW), stop, now=lambda: NOW, poll=poll):
        with published.lock:
            published.times.append(time.perf_counter())
            published.lock.notify_all()


def write(root: Path, i: int) -> None:
    """An edit a real operator makes: alternately in place and by atomic replace."""
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


def latencies(root: Path, published: Published, writes: int) -> list[float]:
    found: list[float] = []
    for i in range(writes):
        time.sleep(GAP_S)
        with published.lock:
            seen = len(published.times)
        began = time.perf_counter()
        write(root, i)
        if published.wait_beyond(seen):
            found.append(published.times[seen] - began)
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


def refresh_cost(root: Path, runs: int = 20) -> float:
    """Median seconds of one refresh after a one-file edit: the floor under the latency."""
    snapshot, times = load(root, NOW), []
    for i in range(runs):
        write(root, i)
        began = time.perf_counter()
        snapshot = refresh(snapshot, NOW).after
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(root: Path, poll: bool, writes: int, idle_s: float) -> None:
    name = f"polling every {Timing().poll_delay_ms} ms" if poll else "inotify"
    stop = threading.Event()
    published = Published(threading.Condition(), [])
    thread = threading.Thread(target=consume, args=(root, stop, poll, published))
    thread.start()
    try:
        time.sleep(1.5)  # past the first idle check: the watch is armed and synced
        found = latencies(root, published, writes)
        ms = sorted(x * 1000 for x in found)
        target = f" (target ≤ {TARGET_MS} ms)" if not poll else ""
        print(f"{name}: write → Change published, {len(ms)}/{writes} seen: "
              f"median {statistics.median(ms):.0f} ms{target}, "
              f"min {ms[0]:.0f}, p90 {ms[int(len(ms) * 0.9) - 1]:.0f}, max {ms[-1]:.0f}")
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
    parser.add_argument("--writes", type=int, default=20, help="writes to time (20)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()} "
          f"{platform.system()} {platform.release()}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "etc-kubernetes"
        generate_tree(root, ClusterParams(), NOW, [])
        print(f"tree: {sum(1 for _ in root.rglob('*'))} entries (RSA-2048)")
        print(f"one refresh after a one-file edit: median "
              f"{refresh_cost(root) * 1000:.1f} ms of 20")
        baseline, _ = idle_cpu(min(5.0, args.idle))
        print(f"no watcher, {min(5.0, args.idle):.0f} s: {baseline * 1000:.0f} ms of CPU")
        for poll in (False, True):
            measure(root, poll, args.writes, args.idle)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
