"""Which kubeadm versions a convention covers, and the facts that are pure version lookups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Generic, TypeVar

from kexplore.core.params import Version
from kexplore.core.records import record

T = TypeVar("T")

OLDEST_SUPPORTED = Version(1, 28, 0)
NEWEST_SUPPORTED = Version(1, 37, 0)
SUPPORTED_MINORS: tuple[int, ...] = tuple(range(OLDEST_SUPPORTED.minor, NEWEST_SUPPORTED.minor + 1))


@record
class Span:
    """A closed range of versions; None at either end means unbounded. An end is (1, 35)
    for a whole minor, or (1, 35, 5) where a fact changed in a patch release."""

    since: tuple[int, ...] | None = None
    until: tuple[int, ...] | None = None

    def covers(self, version: Version) -> bool:
        v = (version.major, version.minor, version.patch)
        return (self.since is None or v[: len(self.since)] >= self.since) and (
            self.until is None or v[: len(self.until)] <= self.until
        )

    def __str__(self) -> str:
        low = "v" + ".".join(map(str, self.since)) if self.since else ""
        high = "v" + ".".join(map(str, self.until)) if self.until else ""
        if low and high:
            return f"{low}–{high}"
        return f"{low}+" if low else (f"≤{high}" if high else "all versions")


ALWAYS = Span()
NEVER = Span(until=(0, 0))


def since(minor: int, patch: int | None = None) -> Span:
    return Span(since=(1, minor) if patch is None else (1, minor, patch))


def until(minor: int, patch: int | None = None) -> Span:
    return Span(until=(1, minor) if patch is None else (1, minor, patch))


def between(low: tuple[int, ...], high: tuple[int, ...]) -> Span:
    """From (minor[, patch]) to (minor[, patch]), both included."""
    return Span(since=(1, *low), until=(1, *high))


@record
class Variant(Generic[T]):
    """One value a convention takes over a span of versions."""

    span: Span
    value: T
    # Other values kubeadm may equally have written over this span, where the sources
    # disagree or are unverified: accepted from a real tree, never generated.
    also: tuple[T, ...] = ()
    note: str = ""


def pick(variants: Sequence[Variant[T]], version: Version) -> T:
    """The value that covers `version`; the data is written so that exactly one does."""
    for variant in variants:
        if variant.span.covers(version):
            return variant.value
    raise LookupError(f"no variant covers {version}")


def is_older(version: Version) -> bool:
    return version.minor_tuple < OLDEST_SUPPORTED.minor_tuple


def nearest_supported(version: Version) -> Version:
    """The version whose conventions stand in for one the data does not describe."""
    if version < OLDEST_SUPPORTED:
        return OLDEST_SUPPORTED
    if version.minor_tuple > NEWEST_SUPPORTED.minor_tuple:
        return NEWEST_SUPPORTED
    return version


def is_supported(version: Version) -> bool:
    return OLDEST_SUPPORTED.minor_tuple <= version.minor_tuple <= NEWEST_SUPPORTED.minor_tuple


# The etcd image tag kubeadm picks for each control-plane minor at its x.0 release
# (reference §7.1 and kubeadm-1.36-1.37.md §5.1). Patch releases move it within the same
# etcd minor, so only the etcd minor is ever held against a real tree. 1.37's "3.7.0-0"
# is the changelog's 3.7.0 in kubeadm's tag form: the tag itself was not read (only its
# minor is ever compared). 1.38 (3.7.1-0, announced in its alphas) is written down for
# when 1.38 is known; it is past NEWEST_SUPPORTED until then.
ETCD_TAGS: dict[int, str] = {
    28: "3.5.9-0",
    29: "3.5.10-0",
    30: "3.5.12-0",
    31: "3.5.15-0",
    32: "3.5.16-0",
    33: "3.5.21-0",
    34: "3.6.4-0",
    35: "3.6.6-0",
    36: "3.6.8-0",
    37: "3.7.0-0",
    38: "3.7.1-0",
}


def etcd_tag(version: Version) -> str:
    return ETCD_TAGS[nearest_supported(version).minor]


def etcd_minor(tag: str) -> tuple[int, int] | None:
    """(3, 6) for "3.6.6-0" or upstream's "v3.6.0"; None for a tag that names no version."""
    found = re.match(r"v?(\d+)\.(\d+)", tag)
    return (int(found.group(1)), int(found.group(2))) if found else None


def etcd_release(tag: str) -> tuple[int, int, int] | None:
    """(3, 5, 9) for "3.5.9-0" or "v3.5.9"; None for a tag that names no patch release."""
    found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", tag)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else None


def etcd_minor_for(tag: str, version: Version) -> tuple[int, int]:
    """The etcd minor a tree runs: its own tag's, else the one kubeadm pairs with `version`."""
    return etcd_minor(tag) or etcd_minor(etcd_tag(version)) or (3, 5)


# --- kubeadm older than the conventions describe -----------------------------------------

# The reference reaches back to kubeadm 1.24; nothing older was read.
OLDEST_DOCUMENTED = Version(1, 24, 0)


@record
class OlderFact:
    """A version-specific convention, and the versions below OLDEST_SUPPORTED over which
    the nearest known version's value is known to hold. Below that it is withheld."""

    name: str  # what a rule asks for: Context.withheld(name)
    what: str
    holds: Span


OLDER_FACTS: tuple[OlderFact, ...] = (
    # The etcd tags kubeadm 1.24-1.27 paired are partly unverified (reference §7.1).
    OlderFact("etcd-version", "the etcd minor kubeadm pairs with the version", since(28)),
    # 1.24 added --experimental-initial-corrupt-check, 1.25 the watch-progress interval.
    OlderFact("etcd-flags", "etcd's default flags", since(25)),
    # The reference found the API server's, controller manager's and scheduler's flags
    # unchanged from 1.24 on; it did not read anything older.
    OlderFact("control-plane-flags", "the control plane's default flags", since(24)),
    OlderFact("cert-subject", "the organisations in kubeadm's certificates", since(24)),
    OlderFact("kubeconfig-server", "the server each kubeconfig points at", since(24)),
    OlderFact("file-missing", "the files kubeadm writes", since(24)),
)


def withheld_facts(version: Version) -> tuple[OlderFact, ...]:
    """The version-specific conventions not held against a tree of `version`."""
    if version.minor_tuple >= OLDEST_SUPPORTED.minor_tuple:
        return ()
    return tuple(fact for fact in OLDER_FACTS if not fact.holds.covers(version))
