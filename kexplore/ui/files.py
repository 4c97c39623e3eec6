"""Reading a file's bytes for display, with the core's safe reader. Never a key's bytes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kexplore.core.model import Kind, Node
from kexplore.core.read.safeio import OutsideRoot, inside, read_regular_file

VIEW_CAP = 1 << 20
PREVIEW_BYTES = 256
# What a preview reads to judge whether it may show its first bytes: a whole key (a DER
# key is recognised only whole), though only PREVIEW_BYTES are ever shown.
JUDGE_BYTES = 64 << 10


def secret_named(node: Node) -> bool:
    """Whether the file's kind or name says it may hold a private key or another secret."""
    from kexplore.core.secrets import secret_path

    names = (node.path, node.reads_as) if node.reads_as else (node.path,)
    return node.kind in (Kind.PRIVATE_KEY, Kind.KUBECONFIG) or any(map(secret_path, names))


def read_for_view(root: Path, path: str) -> bytes:
    """The whole file, for YAML views (capped; OSError with plain words otherwise)."""
    return read_regular_file(root.joinpath(*path.split("/")), VIEW_CAP, root=root)


def head(root: Path, path: str, size: int = PREVIEW_BYTES) -> bytes:
    """The first bytes of a regular file, without following a symlink or blocking."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    where = root.joinpath(*path.split("/"))
    if not inside(os.path.realpath(where), os.path.realpath(root)):
        raise OutsideRoot(0, "outside the tree; not opened")  # a folder swapped for a link
    fd = os.open(where, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        return os.read(fd, size)
    finally:
        os.close(fd)


def hex_preview(data: bytes, width: int = 16) -> str:
    """xxd-style lines: offset, hex, printable text."""
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in chunk).ljust(width * 3 - 1)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes}  {text}")
    return "\n".join(lines)
