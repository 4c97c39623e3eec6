"""Bad input: every broken or hostile file gets a clear error on its own path, valid unusual
ones decode, the rest of the tree is untouched, and nothing raises or hangs."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest

from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Kind, Tree
from kexplore.core.read import scan as scan_module
from kexplore.core.read.scan import scan


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """A hang is a failure, not a stuck CI job."""

    def fail(signum: int, frame: object) -> None:
        raise TimeoutError("the scan hung")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, c.Expect], Tree]:
    root = tmp_path_factory.mktemp("hostile") / "etc-kubernetes"
    root.mkdir()
    expected = c.hostile_tree(root)
    start = time.monotonic()
    tree = scan(root)
    assert time.monotonic() - start < 5
    return root, expected, tree


def test_each_file_says_what_it_is(hostile) -> None:
    _, expected, tree = hostile
    wrong = []
    for path, want in sorted(expected.items()):
        node = tree.get(path)
        shown = scan_module.display_path(path)
        if node is None:
            wrong.append(f"{shown}: no node")
        elif node.kind is not want.kind:
            wrong.append(f"{shown}: kind {node.kind.value}, want {want.kind.value} "
                         f"({node.error})")
        elif want.error is None and node.error:
            wrong.append(f"{shown}: unexpected error {node.error!r}")
        elif want.error is None and node.content is None and want.kind not in (
            Kind.SYMLINK, Kind.OTHER, Kind.DIRECTORY
        ):
            wrong.append(f"{shown}: no content")
        elif want.error is not None and want.error not in node.error:
            wrong.append(f"{shown}: error {node.error!r}, want {want.error!r}")
        elif want.error and want.kind is not Kind.SYMLINK and node.content is not None:
            wrong.append(f"{shown}: content despite error")
    assert wrong == []


def test_every_entry_has_a_node(hostile) -> None:
    root, _, tree = hostile
    on_disk = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in dirnames + filenames:
            on_disk.add(name if rel == "." else f"{rel}/{name}")
    assert set(tree.nodes) == on_disk


def test_valid_neighbours_are_unaffected(hostile) -> None:
    _, _, tree = hostile
    assert tree.nodes["pki/ca.crt"].content[0].subject_cn == "kubernetes"
    assert tree.nodes["manifests/kube-scheduler.yaml"].content.name == "kube-scheduler"
    assert tree.nodes["special/ca.crt"].content == tree.nodes["pki/ca.crt"].content
    assert tree.nodes["special/ca.crt"].reads_as == "pki/ca.crt"
    assert tree.nodes["special/pki-dir"].content.target_is_dir
    assert not any(p.startswith(("special/pki-dir/", "special/root-dir/")) for p in tree.nodes)


def test_unusual_valid_files_decode_right(hostile) -> None:
    _, _, tree = hostile
    n = tree.nodes
    assert len(n["pki/bundle.pem"].content) == 2
    assert n["pki/encrypted-pkcs8.key"].content.encrypted
    assert n["pki/encrypted-legacy.key"].content.encrypted
    assert n["pki/openssh.key"].content.encoding == "OpenSSH"
    assert n["pki/rsa-pkcs1.pub"].content.encoding == "PKCS#1"
    assert n["pki/ed.crt"].content[0].public_key_type == "Ed25519"
    assert n["kubelet.json"].content.clusters == ()


def test_broken_kubeconfigs_record_entry_errors(hostile) -> None:
    _, _, tree = hostile
    bad = tree.nodes["bad-b64.conf"].content
    assert isinstance(bad, KubeconfigInfo)
    assert "user 'kubernetes-admin': client-certificate-data is not valid base64" in (
        bad.all_problems())
    dangling = tree.nodes["dangling.conf"].content
    assert len(dangling.all_problems()) == 3


def test_alias_bomb_is_rejected_fast() -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="alias"):
        from kexplore.core.read.read_pod import decode_manifest

        decode_manifest(c.ALIAS_BOMB)
    assert time.monotonic() - start < 1


def test_unreadable_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod 000 does not stop a read: simulate the refusal."""
    (tmp_path / "pki" / "etcd").mkdir(parents=True)
    (tmp_path / "pki" / "ca.key").write_bytes(c.key_pem(c.ec_key()))
    (tmp_path / "pki" / "etcd" / "ca.crt").write_bytes(c.cert_pem(c.small_pki().ca))
    (tmp_path / "pki" / "ok.crt").write_bytes(c.cert_pem(c.small_pki().ca))
    real_open = os.open

    def refusing_open(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        if os.fspath(path) in ("ca.key", "etcd"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refusing_open)
    tree = scan(tmp_path)
    key, etcd = tree.nodes["pki/ca.key"], tree.nodes["pki/etcd"]
    assert (key.kind, key.error) == (Kind.PRIVATE_KEY, "cannot read: permission denied")
    assert (etcd.kind, etcd.error) == (Kind.DIRECTORY, "cannot open folder: permission denied")
    assert "pki/etcd/ca.crt" not in tree.nodes
    assert tree.nodes["pki/ok.crt"].error == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads through chmod 000")
def test_chmod_000(tmp_path: Path) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "secret.key").write_bytes(c.key_pem(c.ec_key()))
    os.chmod(tmp_path / "locked", 0)
    os.chmod(tmp_path / "secret.key", 0)
    try:
        tree = scan(tmp_path)
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert "permission denied" in tree.nodes["secret.key"].error
    assert "permission denied" in tree.nodes["locked"].error


def test_fifo_with_a_writer_never_blocks_and_growth_is_capped(tmp_path: Path) -> None:
    """A file that grows past the cap after stat is cut off at cap+1 bytes."""
    (tmp_path / "big.crt").write_bytes(b"x" * 100)
    tree = scan(tmp_path, read_cap=10)
    assert tree.nodes["big.crt"].error == "file is larger than 10 bytes; not read"


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    d = tmp_path
    for _ in range(scan_module.MAX_DEPTH + 3):
        d = d / "d"
    d.mkdir(parents=True)
    tree = scan(tmp_path)
    deepest = max(tree.nodes, key=len)
    assert "not descended" in tree.nodes[deepest].error


def test_scan_in_a_subprocess_finishes(hostile) -> None:
    """Belt and braces for hangs the alarm cannot interrupt (a blocking open in C)."""
    root, _, _ = hostile
    code = ("import sys; from kexplore.core.read.scan import scan; "
            "t = scan(sys.argv[1]); print(len(t.nodes))")
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                         text=True, timeout=30, check=True)
    assert int(out.stdout) > 50
