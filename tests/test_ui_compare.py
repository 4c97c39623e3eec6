"""`kexplore NODE NODE ...`: the nodes side by side, driven by Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from kexplore.ui.compare_app import CompareApp
from tests.conftest import NOW
from tests.hasets import write_ha_set


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def copied_set(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_ha_set(tmp_path_factory.mktemp("ha"), ["ha-copied-cert:etcd-peer"])


def rows(table: DataTable) -> list[list[str]]:
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
            for i in range(table.row_count)]


@pytest.mark.anyio
async def test_the_nodes_side_by_side(copied_set: list[Path]) -> None:
    app = CompareApp(copied_set, now=NOW)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = app.query_one("#nodes-title", Static).content
        assert str(title) == "3 nodes: 1 error, 0 warnings, 0 notes"
        material = {r[0][2:]: r for r in rows(app.query_one("#material", DataTable))}
        ca = material["ca (pki/ca.crt)"]
        assert ca[0].startswith("✓") and ca[1] == ca[2] == ca[3] != "—"
        peer = material["etcd-peer (pki/etcd/peer.crt)"]
        assert peer[0].startswith("✗") and peer[1] == peer[3] != peer[2]
        assert material["advertise address"][1:] == ["192.168.1.10", "192.168.1.11",
                                                     "192.168.1.12"]
        (finding,) = rows(app.query_one("#findings", DataTable))
        assert finding[:5] == ["error", "ha-copied-cert", "cp-3", "pki/etcd/peer.crt", ""]
        app.query_one("#findings", DataTable).focus()
        await pilot.pause()
        assert "kubeadm init phase certs etcd-peer" in str(app.query_one("#fix", Static).content)
        await pilot.press("q")


def test_a_node_that_is_not_a_folder_is_refused(copied_set: list[Path], tmp_path: Path) -> None:
    from kexplore.cli import main

    assert main([str(copied_set[0]), str(tmp_path / "absent")]) == 2


@pytest.mark.anyio
async def test_question_mark_lists_the_keys_as_in_the_explorer(copied_set: list[Path]) -> None:
    # `?` did nothing side by side, and the footer named q alone
    from kexplore.ui.screens.help import HelpScreen

    app = CompareApp(copied_set, now=NOW)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {(row[0], row[2]) for row in app.screen.rows}
        assert {("Everywhere", "Quit"), ("Everywhere", "Help")} <= described
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
