"""`kexplore /etc/kubernetes/pki` or `kexplore .../manifests/etcd.yaml`: the explorer reads
the whole tree the part belongs to and selects the part, as `check` checks a part in its
tree; a loose folder of kubeadm's files opens alone and says why its cluster is unknown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from kexplore import cli
from kexplore.errors import UsageError
from kexplore.ui.app import KexploreApp
from tests.conftest import NOW
from tests.test_ui_app import SIZE, started, tree_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_part_opens_its_whole_tree_and_names_the_part(make_tree) -> None:  # type: ignore[no-untyped-def]
    root = make_tree()
    folder = cli.tree_target(root / "pki")
    assert (folder.root, folder.part) == (root, "pki")
    assert f"pki/ is part of the tree at {root}" in folder.note
    file = cli.tree_target(root / "manifests" / "etcd.yaml")
    assert (file.root, file.part) == (root, "manifests/etcd.yaml")
    assert cli.tree_target(root) == cli.Target(root)


def test_what_cannot_be_opened_says_why(make_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_tree()
    with pytest.raises(UsageError, match="no such file or folder"):
        cli.tree_target(root / "pki" / "nothing.crt")
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    with pytest.raises(UsageError, match="nor a file of a kubeadm tree"):
        cli.tree_target(stray)
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(root / "pki" / "ca.crt", loose / "ca.crt")
    target = cli.tree_target(loose)
    assert target.root == loose and not target.part
    assert "holds kubeadm's pki/ files but is in no kubeadm tree" in target.note


async def test_a_folder_part_filters_the_tree_to_it(make_tree) -> None:  # type: ignore[no-untyped-def]
    target = cli.tree_target(make_tree() / "pki" / "etcd")
    app = KexploreApp(target.root, now=NOW, note=target.note, part=target.part)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.pause()
        assert app.main.query_one("#filter", Input).value == "pki/etcd/"
        paths = tree_of(app).paths
        assert len(paths) == 8 and all(p.startswith("pki/etcd/") for p in paths)
        assert app.session is not None and app.session.inferred is not None
        assert app.session.inferred.knows("node_name")  # the whole tree was read
        await pilot.press("escape")
        await pilot.pause()
        assert "kubelet.conf" in tree_of(app).paths


async def test_a_file_part_is_open_and_selected(make_tree) -> None:  # type: ignore[no-untyped-def]
    target = cli.tree_target(make_tree() / "manifests" / "etcd.yaml")
    app = KexploreApp(target.root, now=NOW, note=target.note, part=target.part)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.pause()
        await pilot.pause()
        assert app.main.current == "manifests/etcd.yaml"
        assert tree_of(app).selected_path == "manifests/etcd.yaml"


async def test_a_loose_folder_says_its_cluster_is_unknown(make_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(make_tree() / "pki" / "ca.crt", loose / "ca.crt")
    target = cli.tree_target(loose)
    app = KexploreApp(target.root, now=NOW, note=target.note)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        header = str(app.main.query_one("#status").render())
        assert "cluster unknown (i: what was read)" in header and "? ? ?" not in header
        assert "in no kubeadm tree" in header


async def test_a_manifest_without_a_diff_says_why(make_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # "The diff against kubeadm is not available for this file." said nothing of why
    from tests.test_ui_app import open_path, screen_text

    root = tmp_path / "t"
    shutil.copytree(make_tree(), root)
    backup = root / "tmp" / "kubeadm-backup-manifests-2026-01-01-00-00-00"
    backup.mkdir(parents=True)
    shutil.copy(root / "manifests" / "etcd.yaml", backup / "etcd.yaml")
    shutil.copy(root / "manifests" / "etcd.yaml", root / "manifests" / "my-etcd.yaml")
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, f"{backup.relative_to(root)}/etcd.yaml")
        assert "history, never held against kubeadm as drift" in screen_text(app)
        await open_path(app, pilot, "manifests/my-etcd.yaml")
        text = screen_text(app)
        assert "Not one of the static pods kubeadm writes (manifests/etcd.yaml," in text
