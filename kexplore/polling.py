"""The watcher's fallback where inotify is not available (NFS, some container mounts, WSL):
compare what the watched folders hold, poll after poll.

Not watchfiles' own poller: it keeps each file's mtime to the second and takes its first
look after it starts, so a write in the same second as that look, or as the previous
write it saw, is never reported. Here each entry's stamp is read to the nanosecond, with
its inode, size and change time, and the first look is taken before `poll_changes`
returns its generator: with the Watcher's rescan on the first poll after arming, nothing
written after the consumer's own scan is missed. The one limit left is the kernel's: an
in-place edit that keeps the size, made within one clock tick (a few ms) of the poll
before it, keeps the stamp on kernels without fine-grained timestamps (before 6.13).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

# inode, mode, size, mtime, ctime: an atomic save changes the inode, an in-place write the
# size or the times, a chmod the mode and ctime
Stamp = tuple[int, int, int, int, int]
State = dict[str, Stamp]
# Between polls, at least this many times what the last one took: at most a tenth of a
# core goes to polling, however many entries are watched.
IDLE_SHARE = 9


def folder_state(folders: Iterable[Path]) -> State:
    """Every watched folder and each entry in it (not below it), by path; a folder that
    cannot be listed contributes its own stamp only, a missing one nothing."""
    state: State = {}
    for folder in folders:
        try:
            state[str(folder)] = _stamp(os.stat(folder))
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        state[entry.path] = _stamp(entry.stat(follow_symlinks=False))
                    except OSError:
                        continue  # gone since it was listed: the next poll says so
        except OSError:
            continue
    return state


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def differences(before: State, after: State) -> frozenset[str]:
    """The paths added, removed or restamped from one state to the next."""
    return frozenset(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def poll_changes(
    folders: Iterable[Path], stop: threading.Event, delay_s: float
) -> Iterator[frozenset[str]]:
    """After every `delay_s`, the paths that changed since the previous poll (often none),
    until `stop` is set. The baseline is taken now, before this returns."""
    watched = tuple(folders)
    baseline = folder_state(watched)
    return _polls(watched, baseline, stop, delay_s)


def _polls(
    watched: tuple[Path, ...], state: State, stop: threading.Event, delay_s: float
) -> Iterator[frozenset[str]]:
    pause = delay_s
    while not stop.wait(pause):
        began = time.monotonic()
        current = folder_state(watched)
        # A tree of thousands of backups takes tens of ms a poll (~15 µs an entry): poll
        # it less often rather than spend more than a share of one core on waiting.
        pause = max(delay_s, (time.monotonic() - began) * IDLE_SHARE)
        yield differences(state, current)
        state = current
