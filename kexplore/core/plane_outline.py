"""The control plane as plain values, for a face in another process.

The explorer reads the tree in a forked child and receives what the views show. The plane's
own records hold decoded certificates and live in a package whose import pulls in the
signature checks (and so cryptography); these records hold only strings and dates, copied
from the plane's verdicts. `outline` copies them, and decides one thing the plane leaves to
its faces: how a link's date reads at the plane's --now (`LinkLine.breaks`), so that the
text report and the explorer say it in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING

from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.plane import Plane, Relation, Source, Usage

BROKEN_NOW = "broken now"

# the roles of a relation's files, the client's own first: what `enter` opens on a link
# that does not break is the file the client side brings to it
OPENING_ORDER = ("client cert", "client key", "server cert", "server key", "server CA",
                 "client CA")


@record
class ComponentLine:
    """A component, what it does, and the file it is read from."""

    name: str
    source: str
    about: str
    present: bool
    notes: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()


@record
class FileLine:
    """One file a relation names: its role, the tree path (or host path), the flag."""

    role: str
    path: str
    pointer: str
    owner: str
    reach: str  # the plane's words for where the component finds it
    in_tree: bool  # in the scanned tree, or embedded in one of its kubeconfigs
    named: str = ""  # the path as the flag or field writes it


@record
class LinkLine:
    """A relation (connection, signing relation or flag pair) with its verdict."""

    id: str
    kind: str
    client: str
    server: str
    purpose: str
    status: str
    mark: str
    reason: str
    address: str
    address_source: str
    breaks_at: datetime | None
    breaks_because: str
    anchor_path: str
    anchor_pointer: str
    symptom: str
    identity: str
    files: tuple[FileLine, ...]
    opens: str  # where it breaks, else the first file of the client's side
    notes: tuple[str, ...] = ()  # what the verdict rests on (an assumption, said as such)
    expired: bool = False  # breaks_at is at or before the plane's --now

    @property
    def title(self) -> str:
        return f"{self.client} → {self.server}"

    @property
    def broken_now(self) -> bool:
        """Broken at --now: judged broken (for any cause), or past the date it breaks."""
        return self.status == "broken" or self.expired

    def breaks(self, stamp: str = "%Y-%m-%d %H:%M UTC") -> str:
        """When the link breaks, as every face says it: a link broken at --now breaks on
        no later day, whatever its dates (a date would read as a reprieve); else the
        date, in the face's `stamp` format; "" when no expiry bounds it."""
        if self.broken_now:
            return BROKEN_NOW
        return self.breaks_at.strftime(stamp) if self.breaks_at else ""


@record
class UseLine:
    """A component uses a file in a relation: presents it, or trusts it, to a peer."""

    component: str
    pointer: str
    owner: str  # the file holding the flag or entry
    role: str
    peer: str
    relation: str
    kind: str  # the relation's: connection, signing or pair
    status: str
    mark: str


@record
class PlaneOutline:
    """What the views show of the plane: components, relations, and who uses each file."""

    components: tuple[ComponentLine, ...]
    links: tuple[LinkLine, ...]
    used: Mapping[str, tuple[UseLine, ...]] = field(default_factory=dict)
    trusted: Mapping[str, tuple[UseLine, ...]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> tuple[LinkLine, ...]:
        return tuple(link for link in self.links if link.kind == kind)

    def link(self, rid: str) -> LinkLine | None:
        return next((link for link in self.links if link.id == rid), None)

    def used_by(self, path: str) -> tuple[UseLine, ...]:
        return tuple(self.used.get(path, ()))

    def trusted_by(self, path: str) -> tuple[UseLine, ...]:
        return tuple(self.trusted.get(path, ()))


def outline(plane: Plane) -> PlaneOutline:
    """Copy the plane's components, verdicts and file uses into plain records."""
    links = tuple(_link(r, plane.now) for r in plane.connections)
    paths = dict.fromkeys(s.path for r in plane.connections for _, s in r.sources() if s.path)
    return PlaneOutline(
        components=tuple(ComponentLine(c.name, c.source, c.about, c.present, c.notes,
                                       c.settings)
                         for c in plane.components),
        links=links,
        used={p: _uses(plane, p, plane.used_by(p)) for p in paths if plane.used_by(p)},
        trusted={p: _uses(plane, p, plane.trusted_by(p)) for p in paths
                 if plane.trusted_by(p)},
    )


def _link(r: Relation, now: datetime) -> LinkLine:
    files = tuple(FileLine(role, s.path, s.pointer, s.owner, s.reach.value, _in_tree(s),
                           s.named) for role, s in r.sources())
    ident = r.identity
    who = ""
    if ident.user:
        who = ident.user + (f" in {', '.join(ident.groups)}" if ident.groups else "")
        who += f"; allowed by {ident.authorized_by}" if ident.authorized_by else ""
    return LinkLine(
        id=r.id, kind=r.kind.value, client=r.client, server=r.server, purpose=r.purpose,
        status=r.status.value, mark=r.status.mark, reason=r.reason, address=r.address,
        address_source=r.address_source, breaks_at=r.breaks_at,
        breaks_because=r.breaks_because, anchor_path=r.anchor_path,
        anchor_pointer=r.anchor_pointer, symptom=r.symptom, identity=who, files=files,
        opens=r.anchor_path or _first_file(r), notes=r.notes,
        expired=r.breaks_at is not None and r.breaks_at <= now,
    )


def _first_file(r: Relation) -> str:
    by_role = dict(r.sources())
    for role in OPENING_ORDER:
        src = by_role.get(role)
        if src is not None and src.path and (_in_tree(src) or _on_node(src)):
            return src.path
    return ""


def _in_tree(src: Source) -> bool:
    from kexplore.core.plane import Reach  # the child has the plane loaded already

    return src.reach in (Reach.IN_TREE, Reach.EMBEDDED)


def _on_node(src: Source) -> bool:
    """A node file read beside the tree: the explorer shows it under its node path."""
    from kexplore.core.plane import Reach

    return src.reach is Reach.NODE


def _uses(plane: Plane, path: str, uses: tuple[Usage, ...]) -> tuple[UseLine, ...]:
    out = []
    for u in uses:
        relation = plane.relation(u.relation)
        if relation is None:
            continue
        owner = next((s.owner for role, s in relation.sources()
                      if s.path == path and role == u.role), "")
        out.append(UseLine(u.component, u.pointer, owner, u.role, u.peer, u.relation,
                           relation.kind.value, relation.status.value, relation.status.mark))
    return tuple(out)
