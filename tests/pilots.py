"""Helpers for driving the real explorer under Pilot: waiting on its state, and
recording the toasts it shows."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App


async def until(pilot, condition: Callable[[], bool], seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition` holds; the watcher and workers are real."""
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError("the app did not reach the expected state in time")


def recorded_toasts(app: App[object]) -> list[str]:
    """Every message the app notifies from now on, in order; the toasts still show."""
    toasts: list[str] = []
    notify = app.notify

    def spy(message: str, **kw: object) -> None:
        toasts.append(message)
        notify(message, **kw)  # type: ignore[arg-type]

    app.notify = spy  # type: ignore[method-assign]
    return toasts
