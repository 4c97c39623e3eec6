"""Reading files safely: only regular files, never more than a cap, never following a
special file. Every read the core makes of a tree goes through here."""

from __future__ import annotations

import os
import stat
from pathlib import Path

READ_CAP = 1 << 20


class NotRegularFile(OSError):
    pass


def read_regular_file(path: Path, cap: int) -> bytes:
    """Read at most `cap` bytes of a regular file, following symlinks only to stat them:
    a FIFO, a device or a directory raises instead of being opened."""
    real = os.path.realpath(path)
    st = os.lstat(real)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(0, f"not a regular file ({mode_name(st.st_mode)})")
    if st.st_size > cap:
        raise NotRegularFile(0, f"file is larger than {human_size(cap)}; not read")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(real, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(0, "not a regular file")
        return read_capped(fd, cap)
    finally:
        os.close(fd)


def read_capped(fd: int, cap: int) -> bytes:
    """Read up to cap+1 bytes; more than cap raises, so a growing file cannot fill memory."""
    chunks = []
    total = 0
    while total <= cap:
        wanted = min(1 << 16, cap + 1 - total)
        chunk = os.read(fd, wanted)
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < wanted:
            break  # a regular file reads short only at its end: no second call to learn it
    if total > cap:
        raise NotRegularFile(0, f"file is larger than {human_size(cap)}; not read")
    return b"".join(chunks)


def human_size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def mode_name(mode: int) -> str:
    """What kind of file a mode says this is, in words: 'a FIFO', 'a directory', ..."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symlink"),
    ):
        if test(mode):
            return name
    return "a special file"


# --- redaction ---------------------------------------------------------------------------
