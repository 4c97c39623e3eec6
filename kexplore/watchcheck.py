"""`kexplore check PATH --watch`: print the findings, then again each time they change.

A reprint follows a change in the set of findings, not every event on disk: an editor's
swap file or a renewal that changes nothing a rule sees stays quiet. Each printout opens
with a timestamped header; with --format json or junit the headers go to stderr, so
stdout stays a plain sequence of documents a program can read one after another.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TextIO

from kexplore.core.model import Finding, Report
from kexplore.core.secrets import shown as printable
from kexplore.live import Change, NodeReader, Snapshot, live_changes

Render = Callable[[argparse.Namespace], tuple[Report, str]]

INTERRUPTED = 130  # what a shell reports for a command ended by Ctrl-C (128 + SIGINT)
UNREADABLE = 2


def watch_check(
    args: argparse.Namespace,
    render: Render,
    *,
    stop_event: threading.Event | None = None,
    max_updates: int | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    node_files: NodeReader | None = None,
) -> int:
    """Print the findings now and after each change to them, until Ctrl-C (130), `stop_event`
    is set, or `max_updates` reprints were made (then the exit code of a plain check).
    `node_files` reads the node's files beside each new scan, as `render` does: their
    folders are watched too."""
    from kexplore.errors import RootError

    out = out or sys.stdout
    err = err or sys.stderr
    headers = out if args.format == "text" else err
    try:
        report, text = render(args)
    except RootError as exc:
        print(printable(str(exc)), file=err)
        return UNREADABLE
    _show(out, headers, f"watching {args.path}; Ctrl-C to stop", text)
    if max_updates == 0:
        return _status(report)
    try:
        return _follow(args, render, report, stop_event or threading.Event(), max_updates,
                       out, headers, node_files)
    except KeyboardInterrupt:
        return INTERRUPTED


def _follow(
    args: argparse.Namespace,
    render: Render,
    first: Report,
    stop: threading.Event,
    max_updates: int | None,
    out: TextIO,
    headers: TextIO,
    node_files: NodeReader | None,
) -> int:
    from kexplore.errors import RootError

    printed: frozenset[Finding] | None = frozenset(first.findings)
    status = _status(first)
    updates = 0
    for change in live_changes(
        Snapshot(first.tree, first),
        stop,
        now=lambda: args.now or datetime.now(timezone.utc),
        poll=getattr(args, "poll", False),
        warn_days=args.warn_days,
        profile=args.profile,
        node_files=node_files,
    ):
        if change.root_lost:
            _show(out, headers, change.summary(), "")
            printed, status = None, UNREADABLE
        elif not _reprint_needed(change, printed):
            continue
        else:
            try:
                report, text = render(args)  # the chosen format, from the same rules
            except (RootError, OSError):
                continue  # gone again already: the next Change says so
            printed, status = frozenset(report.findings), _status(report)
            _show(out, headers, change.summary(), text)
        updates += 1
        if max_updates is not None and updates >= max_updates:
            break
    return status


def _reprint_needed(change: Change, printed: frozenset[Finding] | None) -> bool:
    # against what was last printed, not the previous Change: a finding that came and went
    # between two printouts needs no reprint
    return change.root_returned or frozenset(change.report.findings) != printed


def _status(report: Report) -> int:
    return 1 if report.counts()["error"] else 0


def _show(out: TextIO, headers: TextIO, title: str, text: str) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    # the title names files from the tree: escaped like every other name
    print(f"── {stamp} · {printable(title)} ──", file=headers, flush=True)
    if text:
        print(text, end="" if text.endswith("\n") else "\n", file=out, flush=True)
