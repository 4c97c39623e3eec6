"""Hostile-but-legal YAML: a 1 MB kubeconfig of 20,000 clusters, no aliases.

    python benchmarks/yaml_large.py [--runs N]

Prints the median wall and CPU time of `load_yaml` and of `decode_kubeconfig` on it, and of the
same document through PyYAML's own CSafeLoader for comparison, then the time the
alias-bomb defence takes to refuse the billion-laughs document. Target: the kubeconfig
decodes in well under a second (it was refused as an alias bomb after 3.8 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml
from warm import compile_package

from kexplore.core.pki import DecodeError
from kexplore.core.read.read_kubeconfig import decode_kubeconfig
from kexplore.core.read.yamlio import load_yaml

CLUSTERS = 20_000
BOMB = b"""a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def large_kubeconfig(clusters: int = CLUSTERS) -> bytes:
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    for i in range(clusters):
        lines += [f"- name: c{i}", "  cluster:", f"    server: https://{i}"]
    return ("\n".join(lines) + "\n").encode()


def median(call: Callable[[], object], runs: int) -> str:
    """Median wall and CPU time: on a shared machine the CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return f"{statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU"


def refuse_bomb() -> None:
    try:
        load_yaml(BOMB)
    except DecodeError:
        return
    raise SystemExit("the alias bomb was accepted")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    compile_package()
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}, PyYAML {yaml.__version__}")
    data = large_kubeconfig()
    info = decode_kubeconfig(data)
    assert len(info.clusters) == CLUSTERS and not info.problems
    text = data.decode()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"kubeconfig: {len(data) / (1 << 20):.2f} MiB, {CLUSTERS} clusters, no aliases")
    print(f"  load_yaml          {median(lambda: load_yaml(data), runs)}")
    print(f"  decode_kubeconfig  {median(lambda: decode_kubeconfig(data), runs)}")
    print(f"  PyYAML CSafeLoader {median(lambda: yaml.load(text, Loader=loader), runs)}")
    print(f"alias bomb refused in {median(refuse_bomb, runs)}")


if __name__ == "__main__":
    main()
