"""Beyond one node: `kexplore compare` of five nodes, and `kexplore inventory` as a tree grows.

    python benchmarks/fleet.py

a. A five-node HA set of the sample's size (RSA-2048, kubeadm v1.35.0), written by
   `kexplore generate --nodes 5`: `kexplore compare` of the five trees as a subprocess,
   median of 5 (target: at most 1 s), and in process (scan, inventory and compare of the
   five trees), median of 5. Also the compare of the five inventory JSON files.
b. The synthetic tree of benchmarks/check.py at 1,250 / 2,500 / 5,000 certificates: in
   process `scan` + `check_tree` + `build_inventory` + `inventory_json`, median of 3, in
   seconds and µs per file (target: linear, about the same µs per file at every size).
   Then `kexplore inventory` of the 5,000-certificate tree as a subprocess, median of 3.
Prints figures; checks nothing.
"""

from __future__ import annotations

import platform
import sys
import tempfile
from pathlib import Path

# this checkout's kexplore, in process and in the children, whatever is installed
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEXPLORE = [sys.executable, "-m", "kexplore"]

from check import (  # noqa: E402
    SIZES,
    build_synthetic,
    count,
    fmt,
    median_time,
    run_many,
)
from warm import compile_package  # noqa: E402

from kexplore.core.check import check_tree  # noqa: E402
from kexplore.core.compare import compare  # noqa: E402
from kexplore.core.generate import generate_tree  # noqa: E402
from kexplore.core.generate_ha import generate_ha  # noqa: E402
from kexplore.core.inventory import (  # noqa: E402
    build_inventory,
    inventory_json,
    load_inventory,
)
from kexplore.core.params import ClusterParams  # noqa: E402
from kexplore.core.read.scan import scan  # noqa: E402

NOW = "2026-11-25T12:00:00Z"
NODES = 5
RUNS = 5
TARGET_COMPARE_S = 1.0


def inventory_of(root: Path) -> str:
    from datetime import datetime

    now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    tree = scan(root)
    return inventory_json(build_inventory(tree, now, check_tree(tree, now)))


def main() -> int:
    from datetime import datetime

    compile_package()
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    print(f"{platform.machine()}, Python {platform.python_version()}, "
          f"{len(__import__('os').sched_getaffinity(0))} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        params = ClusterParams(control_plane_endpoint="cp.example:6443")
        roots = [base / "ha" / name for name in generate_ha(base / "ha", params, NODES, now)]
        files = []
        for root in roots:
            path = base / f"{root.name}.json"
            path.write_text(inventory_of(root))
            files.append(path)
        command = [*KEXPLORE, "compare", *map(str, roots), "--now", NOW]
        runs = run_many(RUNS, command, ROOT)
        times = sorted(r.seconds for r in runs)
        median = times[len(times) // 2]
        verdict = "met" if median <= TARGET_COMPARE_S else "MISSED"
        print(f"a. compare of {NODES} trees, process: median {median:.3f} s "
              f"(target <= {TARGET_COMPARE_S} s: {verdict}); runs {fmt(times)}; "
              f"exit {runs[0].exit_code}; {runs[0].last_line}")
        inproc, each = median_time(RUNS, lambda: compare(
            [build_inventory(scan(r), now) for r in roots]))
        print(f"   in process (scan + inventory + compare): median {inproc:.3f} s; "
              f"runs {fmt(each)}")
        runs = run_many(RUNS, [*KEXPLORE, "compare", *map(str, files)], ROOT)
        times = sorted(r.seconds for r in runs)
        print(f"   compare of {NODES} inventory files, process: median "
              f"{times[len(times) // 2]:.3f} s; runs {fmt(times)}")
        inproc, each = median_time(RUNS, lambda: compare(
            [load_inventory(f.read_text()) for f in files]))
        print(f"   in process, from the files: median {inproc * 1000:.1f} ms")

        single = base / "single"
        generate_tree(single, ClusterParams(), now)
        inventory_of(single)  # warm: the first call pays for lazy imports and caches
        print("b. inventory, synthetic tree of backups (scan + check + inventory + JSON):")
        for certs, manifests in SIZES:
            target = base / f"synthetic-{certs}"
            build_synthetic(single, target, certs, manifests)
            have_certs, have_pods = count(target)
            seconds, each = median_time(3, lambda t=target: inventory_of(t))
            size = len(inventory_of(target))
            print(f"   {have_certs} certificates + {have_pods} manifests: median {seconds:.3f} s, "
                  f"{seconds / (have_certs + have_pods) * 1e6:.0f} µs/file, "
                  f"{size / 1e6:.1f} MB of JSON; runs {fmt(each)}")
        biggest = base / f"synthetic-{SIZES[-1][0]}"
        runs = run_many(3, [*KEXPLORE, "inventory", str(biggest), "--format", "json",
                            "--now", NOW], ROOT)
        times = sorted(r.seconds for r in runs)
        print(f"   `kexplore inventory` of the {SIZES[-1][0]}-certificate tree, process: "
              f"median {times[1]:.3f} s, peak RSS {max(r.max_rss_kib for r in runs) / 1024:.0f} "
              f"MB; runs {fmt(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
