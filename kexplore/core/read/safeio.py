"""Reading files safely: only regular files inside the tree, never more than a cap, never
a special file or one of /proc, /sys or /dev. Every read the core makes of a tree goes
through here."""

from __future__ import annotations

import os
import stat
from functools import cache
from pathlib import Path

READ_CAP = 1 << 20


class NotRegularFile(OSError):
    pass


class OutsideRoot(OSError):
    """A path that leads out of the tree being read: never opened."""


# Pseudo-file systems whose "regular" files are the kernel's state (a process's
# environment, a device's registers): nothing there is ever opened, whatever names it.
SPECIAL_PLACES = ("/proc", "/sys", "/dev")


def inside(real: str, real_root: str) -> bool:
    """Whether a real path (symlinks resolved) lies in or at the real root."""
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


@cache
def special_devices() -> frozenset[int]:
    """The devices /proc, /sys and /dev are mounted from, where they are their own mounts."""
    devices = set()
    try:
        system = os.stat("/").st_dev
    except OSError:
        return frozenset()
    for place in SPECIAL_PLACES:
        try:
            device = os.stat(place).st_dev
        except OSError:
            continue
        if device != system:
            devices.add(device)
    return frozenset(devices)


def on_special_place(real: str, st: os.stat_result) -> bool:
    """Whether a file or folder is part of /proc, /sys or /dev (by path, or by being on
    one of their mounts: a bind mount of /proc inside the tree counts too)."""
    return any(inside(real, place) for place in SPECIAL_PLACES) or (
        st.st_dev in special_devices())


def read_regular_file(path: Path, cap: int, *, root: Path) -> bytes:
    """Read at most `cap` bytes of a regular file inside `root`, following symlinks only to
    stat them: a path whose real place is outside the root raises OutsideRoot, and a FIFO,
    a device, a directory or a file of /proc, /sys or /dev raises instead of being opened."""
    real = os.path.realpath(path)
    if not inside(real, os.path.realpath(root)):
        raise OutsideRoot(0, "outside the tree; not opened")
    st = os.lstat(real)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(0, f"not a regular file ({mode_name(st.st_mode)})")
    if on_special_place(real, st):
        raise NotRegularFile(0, "a file of /proc, /sys or /dev; not read")
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

