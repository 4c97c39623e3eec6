"""Which kubeadm versions a convention covers, and the facts that are pure version lookups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from kexplore.core.params import Version

T = TypeVar("T")

OLDEST_SUPPORTED = Version(1, 28, 0)
NEWEST_SUPPORTED = Version(1, 35, 0)
SUPPORTED_MINORS: tuple[int, ...] = tuple(range(OLDEST_SUPPORTED.minor, NEWEST_SUPPORTED.minor + 1))


@dataclass(frozen=True)
class Span:
    """A closed range of minor versions; None at either end means unbounded."""

    since: tuple[int, int] | None = None
    until: tuple[int, int] | None = None

    def covers(self, version: Version) -> bool:
        v = version.minor_tuple
        return (self.since is None or v >= self.since) and (self.until is None or v <= self.until)

    def __str__(self) -> str:
        low = f"v{self.since[0]}.{self.since[1]}" if self.since else ""
        high = f"v{self.until[0]}.{self.until[1]}" if self.until else ""
        if low and high:
            return f"{low}–{high}"
        return f"{low}+" if low else (f"≤{high}" if high else "all versions")


ALWAYS = Span()


def since(minor: int) -> Span:
    return Span(since=(1, minor))


def until(minor: int) -> Span:
    return Span(until=(1, minor))


@dataclass(frozen=True)
class Variant(Generic[T]):
    """One value a convention takes over a span of versions."""

    span: Span
    value: T


def pick(variants: Sequence[Variant[T]], version: Version) -> T:
    """The value that covers `version`; the data is written so that exactly one does."""
    for variant in variants:
        if variant.span.covers(version):
            return variant.value
    raise LookupError(f"no variant covers {version}")


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
# (reference §7.1). Patch releases move it within the same etcd minor, so only the
# etcd minor is ever held against a real tree.
ETCD_TAGS: dict[int, str] = {
    28: "3.5.9-0",
    29: "3.5.10-0",
    30: "3.5.12-0",
    31: "3.5.15-0",
    32: "3.5.16-0",
    33: "3.5.21-0",
    34: "3.6.4-0",
    35: "3.6.6-0",
}


def etcd_tag(version: Version) -> str:
    return ETCD_TAGS[nearest_supported(version).minor]


def etcd_minor(tag: str) -> tuple[int, int] | None:
    """(3, 6) for "3.6.6-0" or upstream's "v3.6.0"; None for a tag that names no version."""
    found = re.match(r"v?(\d+)\.(\d+)", tag)
    return (int(found.group(1)), int(found.group(2))) if found else None


def etcd_minor_for(tag: str, version: Version) -> tuple[int, int]:
    """The etcd minor a tree runs: its own tag's, else the one kubeadm pairs with `version`."""
    return etcd_minor(tag) or etcd_minor(etcd_tag(version)) or (3, 5)
