"""The one model every face reads: a scanned tree of nodes, and the findings about it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kexplore.core.records import record
from kexplore.core.secrets import redact_message, shown

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles
    from kexplore.core.params import Inferred
    from kexplore.core.plane import Plane
    from kexplore.core.plane.pods import KubeletPods


ARCHIVE_PREFIXES = ("tmp/",)


def is_archived(path: str) -> bool:
    """Upgrade backups and dry runs: history, never the live configuration."""
    return path.startswith(ARCHIVE_PREFIXES)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; sorts findings worst first."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


def tally(counts: dict[str, int], kinds: tuple[str, ...] = ("error", "warning", "info")) -> str:
    """"1 error, 2 warnings, 0 notes": counts by severity, each noun in its number."""
    nouns = {"error": "error", "warning": "warning", "info": "note"}
    return ", ".join(
        f"{counts[k]} {nouns[k]}{'' if counts[k] == 1 else 's'}" for k in kinds)


class Kind(str, Enum):
    """What a file is, decided by its place and its content."""

    DIRECTORY = "directory"
    KUBECONFIG = "kubeconfig"
    MANIFEST = "manifest"
    CERTIFICATE = "certificate"
    PRIVATE_KEY = "private-key"
    PUBLIC_KEY = "public-key"
    CSR = "csr"
    SYMLINK = "symlink"
    SPECIAL = "special"
    OTHER = "other"


@record
class Finding:
    """One thing worth telling an operator, under a stable rule id."""

    rule: str
    severity: Severity
    path: str
    message: str
    pointer: str = ""
    fix: str = ""
    profile: str = "kubeadm"

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.severity.rank, self.path, self.rule, self.pointer)

    def as_json(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": shown(self.path),
            "pointer": shown(self.pointer),
            "message": shown(self.message),
            "fix": shown(self.fix),
        }


@record
class Link:
    """The content of a symlink that is not read through (a link to a folder, or one
    that cannot be followed): where it says it points, and that place inside the root.

    `resolved` is the root-relative path of the final target when it lies inside the
    root, else None.
    """

    target: str
    resolved: str | None = None
    target_is_dir: bool = False


@record
class Node:
    """One entry under the root: a file, a folder, a link or something stranger.

    `path` is relative to the root, POSIX-style ("pki/etcd/ca.crt"). `content` holds
    the decoded value for its kind (see pki, kubeconfig and manifest), or None when
    decoding failed, in which case `error` says why in plain words.
    """

    path: str
    kind: Kind
    size: int = 0
    mode: int = 0
    mtime_ns: int = 0
    inode: int = 0
    uid: int = -1
    gid: int = -1
    error: str = ""
    link_target: str = ""  # a symlink's own text
    # A link to a file inside the root reads as that file: its root-relative path
    reads_as: str = ""
    # Whether the bytes hold a private key, whatever the kind and name: a key appended to a
    # certificate, a backup under an odd name. Its mode is held to a key's.
    holds_private_key: bool = False
    content: Any = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""

    @property
    def stamp(self) -> tuple[int, int, int, int]:
        """What tells a changed file from an unchanged one without reading it."""
        return (self.size, self.mtime_ns, self.inode, self.mode)


@record
class Tree:
    """Every node under one root, scanned at one moment."""

    root: Path
    nodes: Mapping[str, Node]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def get(self, path: str) -> Node | None:
        return self.nodes.get(path)

    def of_kind(self, *kinds: Kind) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind in kinds]


@record
class Report:
    """A checked tree: what the faces show."""

    tree: Tree
    now: datetime
    findings: tuple[Finding, ...]
    # the node's files outside the tree the findings were made with, when read
    node: NodeFiles | None = field(default=None, compare=False, repr=False)
    # the control plane the rules read, when they built one: a face that shows it reuses
    # it rather than building it again
    plane: Plane | None = field(default=None, compare=False, repr=False)
    # likewise what the rules read the tree with: its parameters, and the static pods as
    # the kubelet reads manifests/ (each read once, in the checks)
    inferred: Inferred | None = field(default=None, compare=False, repr=False)
    kubelet: KubeletPods | None = field(default=None, compare=False, repr=False)

    def for_path(self, path: str) -> list[Finding]:
        return [f for f in self.findings if f.path == path]

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts

    def worst(self, path: str) -> Severity | None:
        ranked = [f.severity for f in self.findings if f.path == path]
        return max(ranked, key=lambda s: s.rank) if ranked else None


@record
class ExpiryRow:
    """One line of the expiry table, in the spirit of `kubeadm certs check-expiration`."""

    name: str  # kubeadm's name where it has one, else the path
    path: str
    pointer: str
    not_after: datetime | None
    residual: str
    residual_seconds: int
    ca_name: str
    externally_managed: bool
    is_ca: bool
    missing: bool = False
    # What monitoring labels a certificate with (x509-certificate-exporter's labels)
    not_before: datetime | None = None
    subject_cn: str = ""
    issuer_cn: str = ""
    serial: str = ""  # decimal

    def as_json(self) -> dict[str, object]:
        return {
            # exact, as JSON is data, but never a key's base64 a file was named with
            "name": redact_message(self.name),
            "path": redact_message(self.path),
            "pointer": redact_message(self.pointer),
            "expirationDate": self.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
            if self.not_after
            else None,
            "residualTime": self.residual_seconds,
            "residual": self.residual,
            "caName": self.ca_name,
            "externallyManaged": self.externally_managed,
            "missing": self.missing,
        }
