"""The command-line flags kubeadm's four components accept, version by version.

A component given a flag it does not know exits before it serves anything: kube-apiserver,
kube-controller-manager and kube-scheduler parse with pflag ("Error: unknown flag: --x"),
etcd with Go's flag package ("flag provided but not defined: -x"), and the kubelet restarts
them forever. The data (component_flags.json, package data) is extracted by
scripts/extract_component_flags.py from the reference pages generated from each release's
flag sets (kubernetes/website) and from etcd's own pages and `etcd --help`; it is read on
first use only, when a static pod is checked.

For each component the data holds the versions read; those whose list is complete (etcd's,
read from its code: a flag missing there is surely unknown); and for each flag the first and
last version read that has it. A Kubernetes reference page lists every flag a release adds,
but not those pflag hides as deprecated (--apiserver-count), so a flag missing from every
page, or gone from the later ones, may still be accepted: the data cannot say. Between two
versions read, a flag is present when both have it: removed flags do not come back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from kexplore.core.records import record

Release = tuple[int, int]  # (1, 31), (3, 5)


@record
class FlagSpan:
    """The versions read that have a flag: first and last."""

    first: Release
    last: Release


@record
class ComponentFlags:
    """What was read of one component's flags."""

    component: str
    read: tuple[Release, ...]  # every version read, oldest first
    complete: frozenset[Release]  # those whose list is the whole list (etcd's)
    hidden_before: frozenset[str]  # first seen deprecated: likely there, hidden, before
    spans: Mapping[str, FlagSpan]

    def span(self, flag: str) -> FlagSpan | None:
        return self.spans.get(flag)

    def known_in(self, flag: str, version: Release) -> bool | None:
        """Whether `version` accepts `flag`: True, False, or None when the data cannot say."""
        span = self.spans.get(flag)
        if span is None:
            return False if version in self.complete else None
        if span.first <= version <= span.last:
            return True
        if version < span.first:
            if flag in self.hidden_before:
                return True
            # every version read lists the flags it adds: absent from one between, not yet there
            return False if any(version <= v < span.first for v in self.read) else None
        # gone from a whole list between: gone for good (a page's gap may be a hidden flag)
        return False if any(span.last < v <= version for v in self.complete) else None

    def versions_with(self, flag: str) -> str:
        """The versions read that have `flag`, in words: "1.29–1.31", "3.6"."""
        span = self.spans[flag]
        first, last = (".".join(map(str, v)) for v in (span.first, span.last))
        return first if first == last else f"{first}–{last}"

    def read_text(self) -> str:
        """The versions read, in words: "1.28–1.31, 1.35"."""
        runs: list[list[Release]] = []
        for v in self.read:
            if runs and v == (runs[-1][-1][0], runs[-1][-1][1] + 1):
                runs[-1].append(v)
            else:
                runs.append([v])
        shown = [[".".join(map(str, v)) for v in (run[0], run[-1])] for run in runs]
        return ", ".join(a if a == b else f"{a}–{b}" for a, b in shown)


def _release(text: str) -> Release:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


@cache
def _data() -> dict[str, Any]:
    # shipped beside this module (package data); read directly, without importlib.resources
    text = Path(__file__).with_name("component_flags.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def component_flags(component: str) -> ComponentFlags | None:
    """The flags read for one of kubeadm's components, by binary name; None for another."""
    entry = _data()["components"].get(component)
    if entry is None:
        return None
    spans = {name: FlagSpan(_release(a), _release(b)) for name, (a, b) in entry["flags"].items()}
    return ComponentFlags(
        component,
        tuple(_release(v) for v in entry["versions"]),
        frozenset(_release(v) for v in entry["complete"]),
        frozenset(entry["hidden_before"]),
        spans,
    )


def nearest_flags(flag: str, known: list[str], distance: int = 2) -> list[str]:
    """The known flags within `distance` edits of `flag` (a typo's likely intent), closest
    first."""
    near = [(d, name) for name in known
            if abs(len(name) - len(flag)) <= distance
            and (d := edit_distance(flag, name, distance)) <= distance]
    return [name for _, name in sorted(near)]


def edit_distance(a: str, b: str, bound: int) -> int:
    """Levenshtein distance with adjacent transpositions (a swapped pair is one slip of the
    fingers), or bound + 1 once it must exceed `bound`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        if min(row) > bound:
            return bound + 1
        previous2, previous = previous, row
    return previous[-1]
