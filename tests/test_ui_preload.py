"""The first session may be read in a forked child while Textual starts: same result."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOW, Factory

from kexplore.ui import preload
from kexplore.ui.app import KexploreApp
from kexplore.ui.session import load_session

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_child_delivers_the_session_a_direct_load_gives(make_tree: Factory) -> None:
    root = make_tree(faults=["cert-expired"])
    early = preload.start(root, NOW)
    assert early is not None
    session = early.result()
    direct = load_session(root, NOW)
    assert session is not None
    assert set(session.report.findings) == set(direct.report.findings)
    assert session.tree.nodes.keys() == direct.tree.nodes.keys()
    assert not early.process.is_alive()


def test_a_child_that_fails_yields_nothing(tmp_path: Path) -> None:
    early = preload.start(tmp_path / "absent", NOW)
    assert early is not None
    assert early.result() is None
    assert not early.process.is_alive()


async def test_the_app_shows_the_preloaded_session(make_tree: Factory) -> None:
    root = make_tree(faults=["manifest-leader-elect"])
    app = KexploreApp(root, now=NOW, preload=preload.start(root, NOW))
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.session is not None:
                break
        assert app.session is not None
        assert any(f.rule == "manifest-leader-elect" for f in app.session.report.findings)
        assert app.preload is None
