"""Shared fixtures: trees made by our own generator, with a fixed clock."""

from __future__ import annotations

import shutil
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
            root = tmp_path_factory.mktemp("tree") / "etc-kubernetes"
            generate_tree(root, params, now, [parse_fault(f) for f in faults])
            tree_cache[key] = root
        return tree_cache[key]

    return make


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
