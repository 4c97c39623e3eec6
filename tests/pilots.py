"""Helpers for driving the real explorer under Pilot: waiting on its state, and
recording the toasts it shows."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App

# A ceiling, not a pace: `until` returns as soon as the state is reached, and a loaded CI
# machine may take many times the usual fraction of a second to reach it.
CEILING = 60.0


async def until(pilot, condition: Callable[[], bool], seconds: float = CEILING) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition` holds, for `seconds` of wall time at most; the
    watcher and workers are real."""
    deadline = time.monotonic() + seconds
    while True:
        await pilot.pause(0.05)
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not reach the expected state in {seconds} s")


def recorded_toasts(app: App[object]) -> list[str]:
    """Every message the app notifies from now on, in order; the toasts still show."""
    toasts: list[str] = []
    notify = app.notify

    def spy(message: str, **kw: object) -> None:
        toasts.append(message)
        notify(message, **kw)  # type: ignore[arg-type]

    app.notify = spy  # type: ignore[method-assign]
    return toasts
