"""The explorer follows the disk: a real folder, the real watcher, the app driven by Pilot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import NOW, Factory
from pilots import until

from kexplore.core.check import check_tree
from kexplore.core.read.scan import scan
from kexplore.ui.app import KexploreApp
from kexplore.ui.widgets.file_tree import FileTree

pytestmark = pytest.mark.anyio
SIZE = (160, 45)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settled(app: KexploreApp, root: Path) -> bool:
    """The app shows exactly what a fresh scan and check of the disk give."""
    session = app.session
    if session is None:
        return False
    fresh = scan(root)
    same_nodes = {p: n.stamp for p, n in session.tree.nodes.items()} == {
        p: n.stamp for p, n in fresh.nodes.items()
    }
    return same_nodes and set(session.report.findings) == set(
        check_tree(fresh, NOW, profile="all").findings
    )


def selected(app: KexploreApp) -> str | None:
    return app.screen.query_one(FileTree).selected_path


async def test_a_replaced_cert_shows_at_once_and_the_selection_stays(
    writable_tree, make_tree: Factory
) -> None:
    root = writable_tree()
    expired = make_tree(faults=["cert-expired"])
    app = KexploreApp(root, now=NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        app.main.jump("pki/apiserver.crt")
        await until(pilot, lambda: selected(app) == "pki/apiserver.crt")
        await pilot.pause(0.3)  # let the watcher arm
        staged = root / "pki/.apiserver.crt.new"
        shutil.copy(expired / "pki/apiserver.crt", staged)
        os.replace(staged, root / "pki/apiserver.crt")  # an atomic save
        await until(
            pilot, lambda: any(f.rule == "cert-expired" for f in app.session.report.findings)
        )
        await until(pilot, lambda: settled(app, root))
        assert selected(app) == "pki/apiserver.crt"
        assert app.main.current == "pki/apiserver.crt"


async def test_a_deleted_file_leaves_the_selection_on_its_neighbour(writable_tree) -> None:
    root = writable_tree()
    (root / "pki" / "old-backup.crt").write_bytes((root / "pki/ca.crt").read_bytes())
    app = KexploreApp(root, now=NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        app.main.jump("pki/old-backup.crt")
        await until(pilot, lambda: selected(app) == "pki/old-backup.crt")
        await pilot.pause(0.3)
        (root / "pki/old-backup.crt").unlink()
        await until(pilot, lambda: settled(app, root))
        await until(pilot, lambda: selected(app) == "pki/sa.key")


async def test_a_deleted_kubeadm_file_stays_in_view_as_missing(writable_tree) -> None:
    root = writable_tree()
    app = KexploreApp(root, now=NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        app.main.jump("pki/front-proxy-client.crt")
        await until(pilot, lambda: selected(app) == "pki/front-proxy-client.crt")
        await pilot.pause(0.3)
        (root / "pki/front-proxy-client.crt").unlink()
        await until(pilot, lambda: settled(app, root))
        assert selected(app) == "pki/front-proxy-client.crt"
        assert [f.rule for f in app.session.for_path("pki/front-proxy-client.crt")] == [
            "file-missing"]


async def test_a_vanished_root_shows_a_clear_state_and_recovers(
    writable_tree, tmp_path: Path
) -> None:
    root = writable_tree()
    keep = tmp_path / "kept"
    app = KexploreApp(root, now=NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        await pilot.pause(0.3)
        shutil.move(root, keep)
        await until(pilot, lambda: bool(app.session.root_error))
        status = str(app.screen.query_one("#status").render())
        assert "waiting for it to come back" in status
        shutil.move(keep, root)
        await until(pilot, lambda: not app.session.root_error and settled(app, root))
        assert len(app.session.tree.nodes) == len(scan(root).nodes)


async def test_no_watch_means_no_follow(writable_tree) -> None:
    root = writable_tree()
    app = KexploreApp(root, now=NOW, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        first = app.session
        (root / "manifests/kube-scheduler.yaml").write_text("not: [yaml")
        await pilot.pause(1.5)
        assert app.session is first
        await pilot.press("r")  # by hand
        await until(pilot, lambda: app.session is not first and settled(app, root))


async def test_churn_keeps_the_app_responsive_and_ends_exact(writable_tree) -> None:
    """1,000 writes, renames and deletes over 30 s while an operator moves through the tree."""
    import random
    import threading
    import time

    from churn import churn_step

    root = writable_tree()
    dirs = [root / "churn" / f"d{i}" for i in range(5)]
    for d in dirs:
        d.mkdir(parents=True)
    app = KexploreApp(root, now=NOW, watch=True)

    def churn() -> None:
        rng = random.Random(11)
        start = time.monotonic()
        for i in range(1000):
            churn_step(rng, root, dirs, i)
            time.sleep(max(0.0, start + (i + 1) * 0.03 - time.monotonic()))

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session is not None)
        await pilot.pause(0.3)
        worker = threading.Thread(target=churn)
        worker.start()
        tree = app.screen.query_one(FileTree)
        while worker.is_alive():
            before = tree.cursor_line
            await pilot.press("j" if before < 3 else "k")
            # a key is answered within a second, however busy the disk
            await until(pilot, lambda b=before: tree.cursor_line != b, seconds=1.0)
            await pilot.pause(0.5)
        worker.join()
        await until(pilot, lambda: settled(app, root), seconds=15)
