"""Share a list of independent jobs between this process and one forked child.

Decoding thousands of certificates is CPU work in Python: on a node with a second core, a
child takes every other job and sends back its results, pickled. The child inherits the
work by fork, so nothing but the results crosses the pipe. Anything unusual (no fork, a
child that dies or sends garbage) ends in the same place: this process does the rest.

It never forks while another thread runs (the child would inherit that thread's locks
half-held): the explorer's reloads, on a worker thread, decode in one process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_CHUNK = 1 << 16


def map_in_two(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[fn(x) for x in items], the odd-indexed ones computed in a forked child."""
    if len(items) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return [fn(x) for x in items]
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return [fn(x) for x in items]
    if pid == 0:  # the child: never returns into the caller's stack
        _child(fn, items[1::2], read_end, write_end)
    os.close(write_end)
    try:
        mine = [fn(x) for x in items[0::2]]
        theirs = _receive(read_end, expected=len(items) // 2)
    finally:
        os.close(read_end)
        _reap(pid)
    if theirs is None:
        theirs = [fn(x) for x in items[1::2]]
    out: list[R] = []
    for i, value in enumerate(mine):
        out.append(value)
        if i < len(theirs):
            out.append(theirs[i])
    return out


def _child(fn: Callable[[T], R], items: Sequence[T], read_end: int, write_end: int) -> None:
    status = 1
    try:
        os.close(read_end)
        gc.disable()  # it lives for one batch: the collector would only walk
        data = pickle.dumps([fn(x) for x in items], protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view[:_CHUNK]) :]
        status = 0
    except BaseException:  # the parent redoes the work; a child says nothing
        pass
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _receive(read_end: int, expected: int) -> list | None:  # type: ignore[type-arg]
    parts = []
    while chunk := os.read(read_end, _CHUNK):
        parts.append(chunk)
    try:
        results = pickle.loads(b"".join(parts))
    except Exception:  # a child that died mid-write: its share is redone here
        return None
    return results if isinstance(results, list) and len(results) == expected else None


def _reap(pid: int) -> None:
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)  # still at work: the parent stopped early
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
