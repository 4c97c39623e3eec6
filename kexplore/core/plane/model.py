"""The records of the plane: components, the files they read, and every relation between
them (connections, signing relations, cert/key flag pairs), each with its verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from kexplore.core.plane.mounts import Reach
from kexplore.core.records import record
from kexplore.core.secrets import shown as printable


class Status(str, Enum):
    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"  # the files cannot decide; never shown as ok, never an error

    @property
    def mark(self) -> str:
        return {"ok": "✓", "broken": "✗", "unknown": "?"}[self.value]


class RelationKind(str, Enum):
    CONNECTION = "connection"  # a TLS dial from a client to a server
    SIGNING = "signing"  # a key that signs what another side verifies
    PAIR = "pair"  # a cert/key flag pair one process loads


@record
class Source:
    """One piece of material a side uses: a file a flag names, or data embedded in a
    kubeconfig. `path` is tree-relative when the material is in the tree (the kubeconfig
    itself when embedded), else the host path; `pointer` is the flag or field naming it."""

    pointer: str
    owner: str  # the file holding the flag or field: a manifest or a kubeconfig
    named: str  # the path as written ("" when embedded)
    reach: Reach
    path: str = ""
    reason: str = ""
    content: Any = field(default=None, compare=False, repr=False)

    @property
    def readable(self) -> bool:
        return (self.reach in (Reach.IN_TREE, Reach.EMBEDDED, Reach.NODE)
                and self.content is not None)

    def as_json(self) -> dict[str, str]:
        return {
            "path": printable(self.path),
            "named": printable(self.named),
            "pointer": printable(self.pointer),
            "owner": printable(self.owner),
            "reach": self.reach.value,
            "reason": printable(self.reason),
        }


@record
class Cause:
    """Why a relation breaks, where: the file to fix and the flag or entry in it. One cause
    may break several relations; the checker reports it once.

    `covered_if` lists places where another rule, when it reports anything there, already
    names this cause (an expired cert, a key beside its cert that does not match...)."""

    rule: str
    path: str
    pointer: str
    message: str
    symptom: str = ""
    fix: str = ""
    covered_if: tuple[tuple[str, str | None], ...] = ()
    # (path, pointer) of settings that are part of this one cause (the flags of a pair):
    # a flag difference reported there gives way to this finding
    supersedes: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.path, self.pointer)


@record
class Identity:
    """Who the server takes the client for, and what then lets it act."""

    user: str = ""
    groups: tuple[str, ...] = ()
    authorized_by: str = ""


@record
class Relation:
    """A connection, a signing relation or a flag pair: one shape for all three.

    For a connection: the client dials `address` (read from `address_source`), the server
    presents `server_cert`/`server_key`, the client verifies it with `server_ca`; the client
    presents `client_cert`/`client_key`, the server verifies it with `client_ca`. A signing
    relation has the signer as client: its key in `client_key` (and its CA in `client_cert`
    for cluster signing), and what the verifier checks with in `client_ca`; the root CA
    published to pods is the `server_ca` pods verify `server_cert` with. A pair uses
    `server_cert`/`server_key` for a serving pair, `client_cert`/`client_key` otherwise."""

    id: str
    kind: RelationKind
    client: str
    server: str
    purpose: str
    status: Status
    reason: str
    address: str = ""
    address_source: str = ""
    server_cert: Source | None = None
    server_key: Source | None = None
    server_ca: Source | None = None
    client_cert: Source | None = None
    client_key: Source | None = None
    client_ca: Source | None = None
    server_eku: str = ""
    client_eku: str = ""
    identity: Identity = Identity()
    breaks_at: datetime | None = None
    breaks_because: str = ""  # which cert or CA expires first
    anchor_path: str = ""
    anchor_pointer: str = ""
    symptom: str = ""
    # the certificate check of each side as its verifier does it: "" holds, else what it
    # logs; None when the files cannot decide it
    server_error: str | None = None
    client_error: str | None = None
    notes: tuple[str, ...] = ()
    causes: tuple[Cause, ...] = field(default=(), compare=False, repr=False)

    def sources(self) -> tuple[tuple[str, Source], ...]:
        """(role, source) for every piece of material the relation names."""
        roles = (
            ("server cert", self.server_cert),
            ("server key", self.server_key),
            ("server CA", self.server_ca),
            ("client cert", self.client_cert),
            ("client key", self.client_key),
            ("client CA", self.client_ca),
        )
        return tuple((role, s) for role, s in roles if s is not None)

    @property
    def title(self) -> str:
        return f"{self.client} → {self.server}"

    def as_json(self) -> dict[str, Any]:
        files = {role.replace(" ", "_").lower(): s.as_json() for role, s in self.sources()}
        return {
            "id": printable(self.id),
            "kind": self.kind.value,
            "client": printable(self.client),
            "server": printable(self.server),
            "purpose": self.purpose,
            "address": printable(self.address),
            "address_source": printable(self.address_source),
            "status": self.status.value,
            "reason": printable(self.reason),
            "breaks_at": _stamp(self.breaks_at),
            "breaks_because": printable(self.breaks_because),
            **files,
            "server_eku": self.server_eku,
            "client_eku": self.client_eku,
            "identity": {
                "user": printable(self.identity.user),
                "groups": [printable(g) for g in self.identity.groups],
                "authorized_by": printable(self.identity.authorized_by),
            },
            "anchor": {"path": printable(self.anchor_path),
                       "pointer": printable(self.anchor_pointer)},
            "symptom": printable(self.symptom),
            "server_error": None if self.server_error is None else printable(self.server_error),
            "client_error": None if self.client_error is None else printable(self.client_error),
            "notes": [printable(n) for n in self.notes],
        }


# A Connection is the common case of a Relation; the name the design uses for both.
Connection = Relation


@record
class FileUse:
    """A file a component opens: through which flag, and what it finds there."""

    pointer: str
    named: str
    reach: Reach
    path: str = ""
    host: str = ""
    mount: str = ""
    reason: str = ""


@record
class Component:
    """One process of the control plane, as its file describes it."""

    name: str
    source: str  # the manifest or kubeconfig it is read from ("" when absent)
    about: str  # what it does, in plain words
    present: bool = True
    files: tuple[FileUse, ...] = ()
    notes: tuple[str, ...] = ()
    # (field, value) of what the component was told, where its files say it (the
    # kubelet's config.yaml): shown as read, a field not set said to be so
    settings: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": printable(self.source),
            "about": self.about,
            "present": self.present,
            "notes": [printable(n) for n in self.notes],
            "settings": {k: printable(v) for k, v in self.settings},
        }


@record
class Usage:
    """How a component uses a file in a relation: presents it, or trusts it, to whom."""

    component: str
    pointer: str
    relation: str  # the relation's id
    peer: str  # the other end
    role: str  # "server cert", "client CA", ...


@record
class Plane:
    """The control plane as it runs, read from one tree at one moment."""

    root: Path
    now: datetime
    components: tuple[Component, ...]
    connections: tuple[Relation, ...]

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    def relation(self, rid: str) -> Relation | None:
        return self._by_id.get(rid)

    @cached_property
    def _by_id(self) -> Mapping[str, Relation]:
        return {r.id: r for r in self.connections}

    def of_kind(self, kind: RelationKind) -> tuple[Relation, ...]:
        return tuple(r for r in self.connections if r.kind is kind)

    def used_by(self, path: str) -> tuple[Usage, ...]:
        """Who presents this file (a cert or key), to whom, through which flag."""
        return self._uses.get(path, {}).get("used", ())

    def trusted_by(self, path: str) -> tuple[Usage, ...]:
        """Who verifies others with this file (a CA bundle or a public key)."""
        return self._uses.get(path, {}).get("trusted", ())

    @cached_property
    def _uses(self) -> Mapping[str, dict[str, tuple[Usage, ...]]]:
        index: dict[str, dict[str, list[Usage]]] = {}
        for r in self.connections:
            for role, src in r.sources():
                if not src.path:
                    continue
                presenter = r.client if role.startswith("client ") else r.server
                peer = r.server if presenter == r.client else r.client
                if role.endswith(" CA"):
                    # the client trusts the server CA; the server trusts the client CA
                    truster = r.client if role == "server CA" else r.server
                    other = r.server if truster == r.client else r.client
                    usage, bucket = Usage(truster, src.pointer, r.id, other, role), "trusted"
                else:
                    usage, bucket = Usage(presenter, src.pointer, r.id, peer, role), "used"
                index.setdefault(src.path, {}).setdefault(bucket, []).append(usage)
        return {p: {k: tuple(dict.fromkeys(v)) for k, v in b.items()} for p, b in index.items()}

    def opened_by(self, path: str) -> tuple[tuple[str, FileUse], ...]:
        """(component, how) for every component whose flag opens this tree file."""
        return tuple((c.name, use) for c in self.components for use in c.files
                     if use.path == path)

    def relations_with(self, path: str, pointer: str = "") -> tuple[Relation, ...]:
        """The connections and signing relations that present or trust this material: a
        file (pointer "") or an entry of a kubeconfig ("user x", "cluster y")."""
        return self._with.get((path, pointer), ())

    @cached_property
    def _with(self) -> Mapping[tuple[str, str], tuple[Relation, ...]]:
        index: dict[tuple[str, str], dict[str, Relation]] = {}
        for r in self.connections:
            if r.kind is RelationKind.PAIR:
                continue
            for _role, src in r.sources():
                pointer = src.pointer if src.reach is Reach.EMBEDDED else ""
                index.setdefault((src.path, pointer), {})[r.id] = r
        return {k: tuple(v.values()) for k, v in index.items()}

    def broken_through(self, path: str, pointer: str) -> tuple[str, ...]:
        """The relations (by title) that a problem reported at this path and pointer
        breaks: another rule's finding there is the cause the plane saw."""
        titles: dict[str, None] = {}
        for r in self.connections:
            if r.kind is RelationKind.PAIR:
                continue
            for cause in r.causes:
                if any(p == path and (ptr is None or ptr == pointer)
                       for p, ptr in cause.covered_if):
                    titles[r.title] = None
        return tuple(titles)

    def broken(self) -> tuple[Relation, ...]:
        return tuple(r for r in self.connections if r.status is Status.BROKEN)

    def as_json(self) -> dict[str, Any]:
        return {
            "root": printable(str(self.root)),
            "now": _stamp(self.now),
            "components": [c.as_json() for c in self.components],
            "connections": [r.as_json() for r in self.connections],
        }


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
