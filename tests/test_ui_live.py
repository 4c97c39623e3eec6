"""The explorer follows the disk: a real folder, the real watcher, the app driven by Pilot."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import NOW, Factory
from pilots import CEILING, until
from textual import events

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


class Settles:
    """A condition for `until`: the app shows what a fresh scan and check give. The disk is
    still while a test waits on it, so the costly comparison is made again only when the
    app holds a new session (or a second later, against a missed wake-up): a scan every
    50 ms on the app's own loop would slow the very refresh it waits for."""

    def __init__(self, app: KexploreApp, root: Path) -> None:
        self.app, self.root = app, root
        self.judged: object = None
        self.at = 0.0

    def __call__(self) -> bool:
        session, now = self.app.session, time.monotonic()
        if session is None or (session is self.judged and now - self.at < 1.0):
            return False
        self.judged, self.at = session, now
        return settled(self.app, self.root)


class KeyClock:
    """How long each key the test posts waits in the app's queue before the app handles it
    (run_test's message_hook sees each message as it is dispatched). The key is posted as
    the terminal driver posts it: Pilot's press() also waits for the whole process to go
    idle, up to a second each time while the watcher's worker is busy, which is not the
    app being slow to answer."""

    def __init__(self) -> None:
        self.posted: dict[int, tuple[events.Key, float]] = {}
        self.answers: list[float] = []

    def hook(self, message: object) -> None:
        key = self.posted.pop(id(message), None)
        if key is not None and key[0] is message:
            self.answers.append(time.monotonic() - key[1])

    async def press(self, app: KexploreApp, key: str) -> None:
        event = events.Key(key, key)
        event.set_sender(app)
        before = len(self.answers)
        self.posted[id(event)] = (event, time.monotonic())
        app.post_message(event)
        deadline = time.monotonic() + CEILING
        while len(self.answers) == before:
            assert time.monotonic() < deadline, f"{key} not handled in {CEILING} s"
            await asyncio.sleep(0.01)


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
        await until(pilot, Settles(app, root))
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
        await until(pilot, Settles(app, root))
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
        await until(pilot, Settles(app, root))
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
        settles = Settles(app, root)
        await until(pilot, lambda: not app.session.root_error and settles())
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
    """1,000 writes, renames and deletes over ~10 s while an operator moves through the tree
    (the length is not what is tested: the same churn, faster, loads the watcher more)."""
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
            time.sleep(max(0.0, start + (i + 1) * 0.01 - time.monotonic()))

    clock = KeyClock()
    async with app.run_test(size=SIZE, message_hook=clock.hook) as pilot:
        await until(pilot, lambda: app.session is not None)
        await pilot.pause(0.3)
        worker = threading.Thread(target=churn)
        worker.start()
        tree = app.screen.query_one(FileTree)
        while worker.is_alive():
            await clock.press(app, "j" if tree.cursor_line < 3 else "k")
            await asyncio.sleep(0.5)
        worker.join()
        # Keys are handled while the disk churns, in tens of milliseconds: the median, not
        # the slowest, so a moment the loaded machine gave another process fails nothing.
        answers = sorted(clock.answers)
        assert len(answers) >= 5, answers
        assert answers[len(answers) // 2] < 1.0, answers
        await until(pilot, Settles(app, root))
        before = tree.cursor_line  # and the keys still move the tree
        await pilot.press("j" if before < 3 else "k")
        await until(pilot, lambda: tree.cursor_line != before)
