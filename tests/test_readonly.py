"""Never write, never leak: scanning changes nothing on disk, and no node holds key material."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest
import yaml

from kexplore.core.model import Tree
from kexplore.core.read.read_kubeconfig import redacted_yaml
from kexplore.core.read.scan import rescan, scan

HASH_LIMIT = 4 << 20  # the sparse 2 GiB file is compared by its stat, not its zeros


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry's type, mode, owner, size, mtime, inode and content or link target."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode) and st.st_size <= HASH_LIMIT:
                with open(full, "rb") as fh:
                    body: Any = hashlib.sha256(fh.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                body = os.readlink(full)
            elif stat.S_ISDIR(st.st_mode):
                body = tuple(sorted(os.listdir(full)))
            else:
                body = None
            out[os.path.relpath(full, root)] = (
                st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ino, body)
    st = os.lstat(root)
    out["."] = (st.st_mode, st.st_mtime_ns, tuple(sorted(os.listdir(root))))
    return out


@pytest.fixture
def hostile_root(tmp_path: Path) -> Path:
    root = tmp_path / "etc-kubernetes"
    root.mkdir()
    c.hostile_tree(root)
    # a kubeconfig that names files, so resolution is exercised too
    (root / "kubelet.conf").write_bytes(c.kubeconfig(
        user={"client-certificate": "/etc/kubernetes/combined.pem",
              "client-key": "/etc/kubernetes/combined.pem"},
        cluster={"certificate-authority": "pki/ca.crt", "server": "https://x:6443"}))
    return root


def test_scanning_writes_nothing(hostile_root: Path, make_tree: Callable[..., Path]) -> None:
    for root in (hostile_root, make_tree()):
        before = snapshot(root)
        tree = scan(root)
        rescan(tree)
        for node in tree:
            repr(node), repr(node.content)
        assert snapshot(root) == before


def _walk(value: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every value reachable from a node's content, fields hidden from repr included."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return
    seen.add(id(value))
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k, seen)
            yield from _walk(v, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _walk(v, seen)


def _key_fragments(root: Path) -> set[str]:
    """Lines of base64 from every private key PEM in the tree, and kubeconfig key data."""
    fragments: set[str] = set()
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            if not stat.S_ISREG(os.lstat(full).st_mode) or os.lstat(full).st_size > HASH_LIMIT:
                continue
            data = Path(full).read_bytes()
            for m in re.finditer(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END", data, re.S):
                fragments |= {ln.decode() for ln in m.group(1).split() if len(ln) >= 24
                              and b":" not in ln}
            if b"client-key-data" in data:
                doc = yaml.safe_load(data)
                for user in doc.get("users", []):
                    key = user.get("user", {}).get("client-key-data", "")
                    if len(key) > 40:
                        fragments.add(key[8:48])
    return fragments


def _all_text(tree: Tree) -> str:
    parts = []
    for node in tree:
        parts += [repr(node), str(node), repr(node.content), str(node.content)]
        for value in _walk(node.content):
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, bytes):
                parts.append(value.decode("latin-1"))
    return "\n".join(parts)


def test_no_private_key_material_in_any_node(hostile_root: Path,
                                             make_tree: Callable[..., Path]) -> None:
    for root in (hostile_root, make_tree()):
        tree = scan(root)
        fragments = _key_fragments(root)
        assert len(fragments) > 10
        text = _all_text(tree)
        assert not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text)
        leaked = sorted(f for f in fragments if f in text)
        assert leaked == []


def test_redacted_text_of_every_kubeconfig_holds_no_key(make_tree: Callable[..., Path]) -> None:
    root = make_tree()
    fragments = _key_fragments(root)
    for conf in root.glob("*.conf"):
        text = redacted_yaml(conf.read_bytes())
        assert not [f for f in fragments if f in text], conf.name
        assert "REDACTED" in text or "client-key-data" not in conf.read_text()
