"""Shared fixtures: trees made by our own generator, with a fixed clock."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kexplore.core.faults import parse_fault
from kexplore.core.generate import generate_tree
from kexplore.core.params import ClusterParams, KeyAlgorithm

# Every test reads the clock from here: trees are generated at NOW and checked at NOW.
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
FAST = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256)

Factory = Callable[..., Path]

# Where programs keep their own files: a test that lets kexplore (or a peer) write one must
# not share it with a test running at the same time in another worker, nor with the user's.
PRIVATE_DIRS = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                "TMPDIR")
# The machine's temp folder, for the rare test that needs a folder another user can reach
# (pytest's own are 0700): make a fresh one in it, never a fixed name.
SHARED_TEMP = tempfile.gettempdir()


@pytest.fixture(autouse=True)
def private_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own home, XDG folders and temp folder (the sample's cache, its fallback
    under the temp folder, kubectl's cache): nothing a test writes there is seen by another.
    And the same environment in one process or in many."""
    base = tmp_path_factory.mktemp("private")
    for name in PRIVATE_DIRS:
        folder = base / name.lower()
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    # a width nobody asked for: xdist's workers run with COLUMNS=80, which a plain run
    # lacks, and text output is fitted to it (a test that wants a width sets it)
    for name in ("COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(base / "tmpdir"))


@pytest.fixture(scope="session")
def tree_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[object, ...], Path]:
    return {}


@pytest.fixture(scope="session")
def make_tree(
    tmp_path_factory: pytest.TempPathFactory, tree_cache: dict[tuple[object, ...], Path]
) -> Factory:
    """Generate (once per session) a tree for params and faults; tests must not modify it."""

    def make(params: ClusterParams = FAST, faults: Sequence[str] = (), now: datetime = NOW) -> Path:
        key = (params, tuple(faults), now)
        if key not in tree_cache:
            tree_cache[key] = _generated(tmp_path_factory, params, tuple(faults), now)
        return tree_cache[key]

    return make


def _generated(
    tmp_path_factory: pytest.TempPathFactory, params: ClusterParams, faults: tuple[str, ...],
    now: datetime,
) -> Path:
    """A tree generated for this run. xdist's workers share theirs (in the folder above
    their own), so an RSA-4096 tree, seconds of key generation, is made once, not once a
    worker: the first to want it makes it under a lock, the others wait and read it."""
    def generate(root: Path) -> None:
        generate_tree(root, params, now, [parse_fault(f) for f in faults])

    if "PYTEST_XDIST_WORKER" not in os.environ:
        root = tmp_path_factory.mktemp("tree") / "etc-kubernetes"
        generate(root)
        return root
    name = hashlib.sha256(repr((params, faults, now)).encode()).hexdigest()[:20]
    folder = tmp_path_factory.getbasetemp().parent / "trees" / name
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "etc-kubernetes"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "made").exists():
            shutil.rmtree(root, ignore_errors=True)  # a worker that failed half-way
            generate(root)
            (folder / "made").touch()
    return root


@pytest.fixture
def writable_tree(make_tree: Factory, tmp_path: Path) -> Callable[..., Path]:
    """A private copy of a generated tree, for tests that break it by hand."""

    def copy(params: ClusterParams = FAST, faults: Sequence[str] = ()) -> Path:
        target = tmp_path / "etc-kubernetes"
        # Fresh mtimes, as a tree just written: a cached tree's old ones would make any
        # later edit look like a renewal the pods never restarted for.
        shutil.copytree(make_tree(params, faults), target, symlinks=True,
                        copy_function=shutil.copy)
        return target

    return copy
