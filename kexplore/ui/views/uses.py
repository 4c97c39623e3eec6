"""Who uses a file in the running control plane: which component presents it, to whom,
through which flag; and who trusts it to verify others. Read from the session's plane."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from kexplore.core.plane_outline import UseLine
from kexplore.ui import format as fmt
from kexplore.ui.session import Session
from kexplore.ui.views.base import heading
from kexplore.ui.widgets.tables import KeyTable


def uses_section(session: Session, path: str, pointer: str = "") -> list[Widget]:
    """"Used by" and "Trusted by" for a file (or one entry of a kubeconfig)."""
    plane = session.plane
    if plane is None:
        return []
    used = _at(plane.used_by(path), pointer)
    trusted = _at(plane.trusted_by(path), pointer)
    return [
        heading("Used by"),
        _table(path, used, "presents it to", "uses") if used else _none(
            "no component of the control plane presents it"),
        heading("Trusted by"),
        _table(path, trusted, "verifies", "trusts") if trusted else _none(
            "no component verifies anything with it"),
    ]


def _at(uses: tuple[UseLine, ...], pointer: str) -> tuple[UseLine, ...]:
    return tuple(u for u in uses if u.pointer == pointer) if pointer else uses


def _table(path: str, uses: tuple[UseLine, ...], verb: str, name: str) -> KeyTable:
    table = KeyTable("", "component", verb, "through", "as", "named in", classes=name)
    for u in uses:
        # enter opens the file holding the flag, unless that is this very file
        table.add(fmt.status_mark(u.status, u.mark), fmt.plain(u.component, "bold"), u.peer,
                  u.pointer, u.role, u.owner, copy=("flag", u.pointer),
                  target=u.owner if u.owner and u.owner != path else None)
    return table


def _none(words: str) -> Static:
    return Static(Text(words, style=fmt.MUTED), classes="note")
