"""Live reload follows the node's files beside the tree: a generated node root, the real
watcher, real rotations. No sleeps: every wait is on a published Change."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FAST, NOW
from test_confinement import _inotify_watches, _wait
from test_live import LiveRun

from kexplore.core.faults import parse_fault
from kexplore.core.generate_node import _admin_copy, _cluster_ca, _rotated_pair, generate_node_root
from kexplore.core.model import Finding
from kexplore.core.node_files import holding_folder, read_node_files, sources_for
from kexplore.core.read.scan import scan
from kexplore.live import NodeReader, Snapshot, load, tree_folders, watched_folders

CLIENT = "/var/lib/kubelet/pki/kubelet-client-current.pem"
COPY = "/root/.kube/config"
PKI = "var/lib/kubelet/pki"
Live = Callable[..., LiveRun]


@pytest.fixture(scope="module")
def clean_node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("node") / "node"
    generate_node_root(root, FAST, NOW)
    return root


@pytest.fixture
def node(clean_node: Path, tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the clean node root (links kept as the kubelet wrote them)."""
    copy = tmp_path / "node"
    shutil.copytree(clean_node, copy, symlinks=True)
    yield copy


@pytest.fixture
def live() -> Iterator[Live]:
    runs: list[LiveRun] = []

    def start(root: Path, **kwargs: object) -> LiveRun:
        runs.append(LiveRun(root, **kwargs))  # type: ignore[arg-type]
        return runs[-1]

    yield start
    for run in runs:
        run.close()


def reader(node: Path) -> NodeReader:
    sources = sources_for(node / "etc/kubernetes", node_root=node)
    assert sources is not None
    return lambda tree: read_node_files(tree, sources)


def fresh(node: Path) -> Snapshot:
    return load(node / "etc/kubernetes", NOW, node_files=reader(node))


def found(findings: tuple[Finding, ...]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.path, f.pointer) for f in findings}


def rotate(node: Path, faults: tuple[str, ...], when: str) -> str:
    """What the kubelet's certificate manager does: a new dated pair, then the
    kubelet-client-current.pem link swapped onto it in one rename."""
    tree = node / "etc/kubernetes"
    pair = _rotated_pair(FAST, NOW, _cluster_ca(tree), {f: parse_fault(f) for f in faults})
    dated = f"/{PKI}/kubelet-client-{when}.pem"
    (node / dated.lstrip("/")).write_bytes(pair)
    os.chmod(node / dated.lstrip("/"), 0o600)
    staged = node / PKI / ".kubelet-client-current.pem.new"
    staged.symlink_to(dated)  # absolute, in the node's own terms
    os.replace(staged, node / CLIENT.lstrip("/"))
    return dated


def start_run(live: Live, node: Path, **kwargs: object) -> LiveRun:
    run = live(node / "etc/kubernetes", node_files=reader(node), **kwargs)
    assert run.start.report.findings == ()  # a clean node root: the baseline is quiet
    return run


def wait_findings(run: LiveRun, node: Path, expected: set[tuple[str, str, str]]) -> None:
    """Until the published findings are `expected` and equal a fresh read of the node."""
    run.wait_for(lambda: found(run.latest().report.findings) == expected
                 and run.latest().report.findings == fresh(node).report.findings,
                 f"the findings {expected}")


# --- rotation ----------------------------------------------------------------------------


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "polling"])
def test_a_rotation_to_an_expired_cert_shows_and_a_good_one_clears_it(
    node: Path, live: Live, poll: bool
) -> None:
    run = start_run(live, node, poll=poll)
    first = rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")
    wait_findings(run, node, {("kubelet-client-expired", CLIENT, "")})
    changed = run.since(0)
    assert any(CLIENT in c.modified for c in changed)
    assert run.latest().report.node is not None
    client = run.latest().report.node.files[CLIENT]
    assert client.node.reads_as == first
    assert changed[-1].summary() == f"{CLIENT} changed: 1 new error"

    # the kubelet rotates again, to a valid pair: the finding is resolved
    seen = run.count()
    rotate(node, (), "2026-11-30-11-00-00")
    wait_findings(run, node, set())
    assert any("1 error resolved" in c.summary() for c in run.since(seen))


def test_the_copy_finding_follows_an_edit_of_the_admins_copy(node: Path, live: Live) -> None:
    """`cp` of an old admin.conf over ~/.kube/config (the node root's /root, never this
    machine's), then a fresh copy back."""
    run = start_run(live, node)
    tree = node / "etc/kubernetes"
    stale = _admin_copy(tree, FAST, NOW, _cluster_ca(tree),
                        {"kubeconfig-copy-stale": parse_fault("kubeconfig-copy-stale")})
    copy = node / COPY.lstrip("/")
    copy.write_bytes(stale)  # in place, as cp does
    wait_findings(run, node, expected_stale(node))
    assert any(COPY in c.modified for c in run.since(0))
    shutil.copyfile(tree / "admin.conf", copy)
    wait_findings(run, node, set())


def expected_stale(node: Path) -> set[tuple[str, str, str]]:
    """What the generator's stale-copy fault yields, read from a node root planted with it
    (the fault's own test pins it to one finding)."""
    planted = node.parent / "planted"
    generate_node_root(planted, FAST, NOW, [parse_fault("kubeconfig-copy-stale")])
    findings = fresh(planted).report.findings
    return found(findings)


def test_a_new_copy_in_a_folder_made_after_the_start_is_seen(node: Path, live: Live) -> None:
    """No ~/.kube at the start: its home is watched, so `mkdir ~/.kube; cp` is seen."""
    shutil.rmtree(node / "root/.kube")
    run = live(node / "etc/kubernetes", node_files=reader(node))
    assert run.start.report.node is not None
    assert run.start.report.node.files[COPY].missing
    (node / "root/.kube").mkdir()
    shutil.copyfile(node / "etc/kubernetes/admin.conf", node / "root/.kube/config")
    run.wait_for(lambda: any(COPY in c.added for c in run.since(0)), "the copy to be added")
    wait_findings(run, node, set())


# --- what is watched ---------------------------------------------------------------------


NODE_FOLDERS = ("var/lib/kubelet", "var/lib/kubelet/pki", "root/.kube")


def test_the_node_folders_are_the_ones_read_and_no_link_out(node: Path, tmp_path: Path) -> None:
    snapshot = fresh(node)
    assert snapshot.report.node is not None
    assert snapshot.report.node.folders() == {node / f for f in NODE_FOLDERS}
    # a folder that is a link out of the node root is not followed, nor watched
    outside = tmp_path / "elsewhere"
    shutil.move(node / "root/.kube", outside)
    (node / "root/.kube").symlink_to(outside)
    moved = fresh(node).report.node
    assert moved is not None
    assert moved.folders() == {node / f for f in NODE_FOLDERS[:2]}
    # a missing file that is not a copy is watched through its own folder only
    shutil.rmtree(node / "var/lib/kubelet")
    gone = fresh(node).report.node
    assert gone is not None and gone.folders() == set()


def test_no_folder_of_a_system_place_is_watched(tmp_path: Path) -> None:
    """A reference to /proc/self/environ on this machine is looked at, never watched
    through /proc/self; nor /dev/shm, nor a folder that leads out of its base."""
    assert holding_folder(Path("/proc/self/environ"), Path("/"), climb=False) == set()
    assert holding_folder(Path("/dev/shm/x.crt"), Path("/"), climb=True) == set()
    (tmp_path / "base").mkdir()
    (tmp_path / "base/out").symlink_to(tmp_path)
    assert holding_folder(tmp_path / "base/out/x.crt", tmp_path / "base", climb=True) == set()
    assert holding_folder(tmp_path / "base/x/y.crt", tmp_path / "base", climb=True) == {
        tmp_path / "base"}


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("off", [False, True], ids=["node-files", "no-node-files"])
def test_one_inotify_watch_per_folder_read(node: Path, off: bool, live: Live) -> None:
    root = node / "etc/kubernetes"
    tree_only = tree_folders(scan(root))
    sources = sources_for(root, node_root=node, off=off)
    expected = len(tree_only) + (0 if off else len(NODE_FOLDERS))
    before = _inotify_watches()
    run = live(root, node_files=(lambda t: read_node_files(t, sources)) if sources else None)
    assert len(watched_folders(run.start)) == expected
    run.prime()  # a Change published: the watch is armed
    assert _inotify_watches() - before == expected
    if off:
        return
    # a change in a node folder rebuilds the report; with --no-node-files none is heard
    seen = run.count()
    rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")
    _wait(lambda: run.count() > seen)


def test_no_node_files_hears_no_rotation(node: Path, live: Live) -> None:
    """With --no-node-files the node's folders are not watched: a rotation is silent, and
    the next tree change still carries no node files."""
    root = node / "etc/kubernetes"
    assert sources_for(root, node_root=node, off=True) is None
    run = live(root)
    run.prime()
    seen = run.count()
    rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")
    run.prime()  # heard: the primer; the rotation before it produced nothing of its own
    assert all(not c.paths or c.paths == (".primer",) for c in run.since(seen))
    assert run.latest().report.node is None


def test_the_rotated_clock_is_the_reports(node: Path) -> None:
    """The expired pair the rotation writes is expired at NOW, not only by the wall clock."""
    dated = rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")
    snapshot = fresh(node)
    assert snapshot.report.node is not None
    cert = snapshot.report.node.files[CLIENT].certs[0]
    assert cert.not_after < NOW - timedelta(hours=1)
    assert snapshot.report.node.files[CLIENT].node.reads_as == dated
