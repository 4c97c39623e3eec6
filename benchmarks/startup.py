"""Time from process start to the first complete frame (tree and overview populated).

    python benchmarks/startup.py [--runs N]

Runs the explorer headless in a fresh process: with no path on a machine without
/etc/kubernetes (the sample made in an empty cache, then reused from it), on the bundled
sample, and on a synthetic tree of 5,000 certificates; prints wall time to the first full
frame and peak RSS. Targets: no path, first time < 1.5 s (generation included); no path,
cached <= 400 ms; sample <= 400 ms; 5,000 certificates <= 1 s and < 200 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warm import compile_package

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_etc"
NOW = "2027-10-30T09:00:00+00:00"

# The child: start the app headless, and say when the tree and the overview are on screen.
CHILD = r"""
import sys, time
from datetime import datetime
from pathlib import Path
from kexplore.ui import preload
# as `kexplore PATH` does: the tree is read in a forked child while Textual loads
early = preload.start(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]))
from kexplore.ui.app import KexploreApp

async def until_ready(pilot):
    app = pilot.app
    while app.session is None or not app.main.query("OverviewView"):
        await pilot.pause(0.001)
    await pilot.pause()  # the frame with both in it
    print(f"READY {len(app.session.tree.nodes)}", flush=True)
    app.exit()

app = KexploreApp(Path(sys.argv[1]), now=datetime.fromisoformat(sys.argv[2]), preload=early)
app.run(headless=True, size=(160, 45), auto_pilot=until_ready)
"""


# The child with no path, as `kexplore` starts on a laptop: find or make the sample first.
NO_PATH_CHILD = CHILD.replace(
    "early = preload.start(Path(sys.argv[1])",
    "import kexplore.cli as cli\n"
    "cli.DEFAULT_ROOT = Path('/nonexistent/etc/kubernetes')\n"
    "target = cli.default_root(datetime.fromisoformat(sys.argv[2]))\n"
    "sys.argv[1] = str(target.root)\n"
    "early = preload.start(Path(sys.argv[1])",
)


def synthetic_tree(count: int) -> Path:
    """A kubeadm-shaped sample plus `count` leaf certificates under pki/bulk/ (cached)."""
    target = Path(tempfile.gettempdir()) / f"kexplore-bench-{count}"
    done = target / ".complete"
    if done.exists():
        return target
    import shutil

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(SAMPLE, target)
    bulk = target / "pki" / "bulk"
    bulk.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bulk-ca")])
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    for i in range(count):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"leaf-{i:05d}")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(i + 1)
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=30 + i % 700))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"leaf-{i}.example")]),
                           critical=False)
            .sign(key, hashes.SHA256())
        )
        (bulk / f"leaf-{i:05d}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    done.touch()
    return target


def run_once(root: Path, child: str = CHILD, cache: Path | None = None
             ) -> tuple[float, float, str]:
    """(seconds to the first full frame, peak RSS in MB, what was loaded)."""
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(root), NOW],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=env,
    )
    assert proc.stdout is not None
    ready = 0.0
    loaded = ""
    for line in proc.stdout:
        if line.startswith("READY"):
            ready = time.perf_counter() - started
            loaded = line.split()[1]
    proc.wait()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return ready, peak, loaded


def measure(label: str, root: Path, runs: int, target_s: float, target_mb: float,
            child: str = CHILD, cache: Callable[[], Path] | None = None) -> None:
    times = []
    peak = 0.0
    nodes = ""
    for _ in range(runs):
        seconds, rss, nodes = run_once(root, child, cache() if cache else None)
        times.append(seconds)
        peak = max(peak, rss)
    best, median = min(times), sorted(times)[len(times) // 2]
    ok = "ok" if median <= target_s and peak < target_mb else "OVER TARGET"
    print(f"{label:<28} {nodes:>6} entries  first frame: median {median * 1000:6.0f} ms, "
          f"best {best * 1000:6.0f} ms  peak RSS {peak:5.0f} MB  "
          f"(target {target_s * 1000:.0f} ms, {target_mb:.0f} MB) {ok}")


def main() -> int:
    compile_package()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--certs", type=int, default=5000)
    args = parser.parse_args()
    made = Path(tempfile.mkdtemp(prefix="kexplore-bench-cache-"))
    measure("no path, first time", SAMPLE, args.runs, 1.5, 200, NO_PATH_CHILD,
            cache=lambda: Path(tempfile.mkdtemp(prefix="kexplore-bench-cache-")))
    run_once(SAMPLE, NO_PATH_CHILD, made)  # makes the sample the cached runs reuse
    measure("no path, cached", SAMPLE, args.runs, 0.4, 200, NO_PATH_CHILD, cache=lambda: made)
    measure("sample_etc", SAMPLE, args.runs, 0.4, 200)
    measure(f"synthetic {args.certs} certs", synthetic_tree(args.certs), max(1, args.runs // 2),
            1.0, 200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
