"""One random step of file churn: writes, renames, deletes, and now and then a real edit."""

from __future__ import annotations

import os
import random
from pathlib import Path

SCHEDULER = "manifests/kube-scheduler.yaml"


def replace_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it, as editors and kubeadm do."""
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_bytes(data)
    os.replace(staged, path)


def churn_step(rng: random.Random, root: Path, dirs: list[Path], i: int) -> None:
    d = rng.choice(dirs)
    existing = list(d.iterdir())
    op = rng.random()
    if op < 0.5 or not existing:
        (d / f"f{rng.randrange(40)}.txt").write_text("x" * rng.randrange(1, 200))
    elif op < 0.75:
        os.replace(rng.choice(existing), rng.choice(dirs) / f"f{rng.randrange(40)}.txt")
    elif op < 0.95:
        rng.choice(existing).unlink()
    else:
        value = "false" if i % 2 else "true"
        text = (root / SCHEDULER).read_text()
        text = text.replace("--leader-elect=true", f"--leader-elect={value}")
        text = text.replace("--leader-elect=false", f"--leader-elect={value}")
        replace_atomically(root / SCHEDULER, text.encode())


