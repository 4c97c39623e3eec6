"""How long `kexplore generate` takes to write a fresh tree.

Run by hand from the project root: python benchmarks/generate.py

Prints figures only; nothing is asserted. Targets: the whole `kexplore generate DIR`
process with RSA-2048 under 2 s on a 2-core machine; the in-process `generate_tree` call
for every key algorithm, to show where the time goes (key generation dominates).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from warm import compile_package

from kexplore.core.generate import generate_tree
from kexplore.core.params import ClusterParams, KeyAlgorithm

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TARGET_PROCESS_S = 2.0
PROCESS_RUNS = 5
INPROCESS_RUNS = 5
PER_ALGORITHM_RUNS = 3


def kexplore_command() -> list[str]:
    """The console script when it is on PATH, else the module with this interpreter."""
    script = shutil.which("kexplore")
    return [script] if script else [sys.executable, "-m", "kexplore"]


def median_of(runs: int, once: Callable[[Path], float]) -> tuple[float, list[float]]:
    """Median seconds of `once` over `runs` fresh, not yet existing folders."""
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kexplore-bench-gen-") as base:
        for i in range(runs):
            times.append(once(Path(base) / f"run-{i}"))
    return statistics.median(times), times


def process_once(target: Path, algorithm: KeyAlgorithm) -> float:
    command = [
        *kexplore_command(),
        "generate",
        str(target),
        "--key-algorithm",
        algorithm.value,
        "--now",
        NOW.isoformat(),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def startup_once() -> float:
    """The same process without key generation: interpreter, imports, argument parsing."""
    start = time.perf_counter()
    subprocess.run(
        [*kexplore_command(), "generate", "--list-faults"], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def inprocess_once(target: Path, algorithm: KeyAlgorithm) -> float:
    params = ClusterParams(key_algorithm=algorithm)
    start = time.perf_counter()
    generate_tree(target, params, NOW)
    return time.perf_counter() - start


def fmt(times: list[float]) -> str:
    return " ".join(f"{t:.3f}" for t in times)


def main() -> int:
    compile_package()
    print(
        f"kexplore generate benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f" ({platform.machine()}, {platform.system()})"
    )
    print(f"command: {' '.join(kexplore_command())} generate DIR --key-algorithm A --now {NOW:%F}")
    print()

    rsa = KeyAlgorithm.RSA_2048
    proc_median, proc_times = median_of(PROCESS_RUNS, lambda d: process_once(d, rsa))
    inproc_median, inproc_times = median_of(INPROCESS_RUNS, lambda d: inprocess_once(d, rsa))
    floor_times = [startup_once() for _ in range(PROCESS_RUNS)]
    verdict = "met" if proc_median < TARGET_PROCESS_S else "MISSED"
    rows = [
        (f"whole process, subprocess (x{PROCESS_RUNS})", proc_median, proc_times),
        (f"generate_tree in-process (x{INPROCESS_RUNS})", inproc_median, inproc_times),
        (
            f"start-up floor: --list-faults (x{PROCESS_RUNS})",
            statistics.median(floor_times),
            floor_times,
        ),
    ]
    print(f"RSA-2048, fresh folder                    {'median':>8}  runs (s)")
    for label, median, times in rows:
        print(f"  {label:<38} {median:7.3f} s  {fmt(times)}")
    print(f"  target: whole process < {TARGET_PROCESS_S:.0f} s: {verdict}")
    print("  (RSA key generation searches for primes: single runs vary by +-30 %)")
    print()

    print(f"per key algorithm, generate_tree in-process, median of {PER_ALGORITHM_RUNS}")
    print(f"  {'algorithm':<11} {'median (s)':>10}  runs (s)")
    for algorithm in KeyAlgorithm:
        median, times = median_of(PER_ALGORITHM_RUNS, lambda d, a=algorithm: inprocess_once(d, a))
        print(f"  {algorithm.value:<11} {median:10.3f}  {fmt(times)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
