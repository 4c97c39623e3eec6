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

# how a component uses a file, by the kind of relation: (presents it, trusts it)
HOW = {
    "connection": ("presents it to {peer}", "verifies {peer} with it"),
    "signing": ("signs for {peer}", "verifies what {peer} signs"),
    "pair": ("loads it with its pair", "loads it with its pair"),
}


def uses_section(session: Session, path: str, pointer: str = "") -> list[Widget]:
    """"Used by" and "Trusted by" for a file (or one entry of a kubeconfig); a section
    with nothing in it is left out."""
    plane = session.plane
    if plane is None:
        return []
    used = _at(plane.used_by(path), pointer)
    trusted = _at(plane.trusted_by(path), pointer)
    if not (used or trusted):
        return [heading("Used by"), Static(Text(
            "no component of the control plane names it", style=fmt.MUTED), classes="note")]
    out: list[Widget] = []
    if used:
        out += [heading("Used by"), _table(path, used, 0, "uses")]
    if trusted:
        out += [heading("Trusted by"), _table(path, trusted, 1, "trusts")]
    return out


def _at(uses: tuple[UseLine, ...], pointer: str) -> tuple[UseLine, ...]:
    return tuple(u for u in uses if u.pointer == pointer) if pointer else uses


def _table(path: str, uses: tuple[UseLine, ...], side: int, name: str) -> KeyTable:
    table = KeyTable("", "component", "how", "through", "as", "named in", classes=name)
    for u in uses:
        how = HOW.get(u.kind, ("uses it with {peer}", "trusts it for {peer}"))[side]
        # enter opens the file holding the flag, unless that is this very file
        table.add(fmt.status_mark(u.status, u.mark), fmt.plain(u.component, "bold"),
                  how.format(peer=u.peer), u.pointer, u.role, u.owner, copy=("flag", u.pointer),
                  target=u.owner if u.owner and u.owner != path else None)
    return table
