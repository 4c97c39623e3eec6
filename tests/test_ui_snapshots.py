"""Snapshots of the key screens on the bundled sample: fixed size, clock and theme.

The sample's keys and certificates are files in the repository, so every fingerprint on
screen is the same on every run and machine. Regenerate with `pytest --snapshot-update`
only together with a Textual upgrade or a deliberate UI change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from kexplore import screenshots as shots
from kexplore.ui.app import KexploreApp

_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = shots.stable_sample(tmp_path_factory.mktemp("snap"))
    _ROOT[:] = [root]
    return root


def _app() -> KexploreApp:
    return shots.sample_app(_ROOT[0])


def test_overview(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), run_before=shots.overview, terminal_size=shots.SIZE)


def test_certificate(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), run_before=shots.certificate, terminal_size=shots.SIZE)


def test_certificate_pem(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[int]) -> None:
        await shots.show(pilot, "pki/etcd/ca.crt", tab="cert-pem")

    assert snap_compare(_app(), run_before=run_before, terminal_size=shots.SIZE)


def test_kubeconfig(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), run_before=shots.kubeconfig, terminal_size=shots.SIZE)


def test_manifest_checklist(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[int]) -> None:
        await shots.show(pilot, "manifests/kube-controller-manager.yaml", tab="mf-checklist")

    assert snap_compare(_app(), run_before=run_before, terminal_size=shots.SIZE)


def test_private_key(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[int]) -> None:
        await shots.show(pilot, "pki/sa.key")

    assert snap_compare(_app(), run_before=run_before, terminal_size=shots.SIZE)


def test_control_plane(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), run_before=shots.control_plane, terminal_size=shots.SIZE)


def test_help(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[int]) -> None:
        await shots.ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(_app(), run_before=run_before, terminal_size=shots.SIZE)
