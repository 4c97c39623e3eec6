"""Load the first session in a forked process while this one imports and starts Textual.

Start-up is two halves of similar size: importing the UI, and reading and checking the
tree. On a 2-core node they run side by side, and the first frame comes sooner. Anything
unusual (no fork, a failure in the child) falls back to loading in-process.
"""

from __future__ import annotations

import gc
import multiprocessing
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kexplore.ui.session import Session

# A tree large enough to take longer than this is better loaded again in-process.
WAIT_SECONDS = 60.0


@dataclass
class Preload:
    process: BaseProcess
    conn: Connection

    def result(self) -> Session | None:
        """The session the child loaded, or None if it could not deliver one."""
        try:
            if not self.conn.poll(WAIT_SECONDS):
                return None
            kind, value = self.conn.recv()
            # The first session lives long: spare it the collector's walks while the first
            # frame is built (reference counting still frees it when a reload replaces it).
            gc.freeze()
        except (EOFError, OSError, ValueError):
            return None
        finally:
            self.close()
        return value if kind == "ok" else None

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=1)


def start(root: Path, now: datetime | None, sources: object = None) -> Preload | None:
    """Fork a child that loads the session; None where fork is not available."""
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_load, args=(root, now, sender, sources), daemon=True, name="kexplore-preload"
    )
    try:
        process.start()
    except OSError:
        return None
    sender.close()
    return Preload(process, receiver)


def _load(root: Path, now: datetime | None, conn: Connection, sources: object = None) -> None:
    from kexplore.ui.session import load_session

    gc.disable()  # a short-lived child that frees nothing: the collector would only walk
    try:
        conn.send(("ok", load_session(root, now, None, sources)))
    except Exception as exc:  # the parent loads again and reports it properly
        conn.send(("error", str(exc)))
    finally:
        conn.close()
