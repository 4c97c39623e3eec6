"""Live reload without a UI: watch a root, and turn each burst of changes into one Change.

Three layers, each testable alone:
- `Watcher.batches` yields "something under the root was touched", once per burst. It
  watches folders, never single files, so atomic saves, editor swap files and `..data`
  symlink swaps are all seen; it notices a root (or any watched folder) that is deleted,
  renamed away or replaced and re-arms on the new folder; it stops within one step of
  its stop event being set. Beside the tree it watches the folders of the node's files
  that were read (the kubelet's, ~/.kube), so a rotation outside the tree is seen too.
  Where inotify is not available it polls (kexplore.polling).
- `refresh` builds a complete new Tree and Report (re-decoding only files whose stamp
  changed) and says what differs from the previous Snapshot. Nothing is patched in place:
  a consumer swaps one whole Snapshot for another, so it never sees half a renewal.
- `live_changes` joins them: the generator a thread worker iterates.

No Textual here: the UI posts each Change as a message; `check --watch` prints it.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles

from kexplore.core.check import DEFAULT_WARN_DAYS, check_tree
from kexplore.core.model import Finding, Kind, Node, Report, Severity, Tree
from kexplore.core.names import printable
from kexplore.core.read.safeio import special_devices
from kexplore.core.read.scan import MAX_DEPTH, rescan, resolved_path
from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles

# Reads the node's files outside the tree beside a fresh scan of it.
NodeReader = Callable[[Tree], "NodeFiles | None"]


@record
class Timing:
    """How the watcher trades latency for calm; the defaults suit an /etc/kubernetes tree."""

    # A burst is handed over once no new event arrived for one to two steps. 50 ms keeps a
    # single save under ~100 ms while `kubeadm certs renew all` (dozens of writes a few ms
    # apart) still arrives as one batch.
    step_ms: int = 50
    # A steady stream of events is still handed over at least this often, so a churning
    # tree keeps refreshing instead of waiting for a quiet moment that never comes.
    debounce_ms: int = 1000
    # Where inotify is not available (kexplore.polling): watchfiles' own default; NFS and
    # container mounts rarely need faster.
    poll_delay_ms: int = 300
    # When idle, check this often that the root is still the folder being watched: a root
    # renamed away and replaced by another folder raises no event on the new one.
    idle_check_ms: int = 1000
    # While the root is missing, look for it this often.
    missing_retry_s: float = 0.25


# --- the watcher -------------------------------------------------------------------------

Identity = tuple[int, int]


def _identity(root: Path) -> Identity | None:
    """The folder now at `root` (device, inode), or None if there is no folder there."""
    try:
        st = os.stat(root)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


class Watcher:
    """Batches of touched paths under one root, one batch per burst, until stopped.

    The paths are a hint for logs and tests only: the event type and even the path lie
    (an atomic save reports `added`, a root renamed away reports events under its old
    name), so a consumer rescans on every batch. A batch naming only the root itself
    means "rescan everything": the root vanished, came back, or the watch was re-armed
    and changes made while nothing watched must be picked up.
    """

    def __init__(
        self,
        root: Path,
        *,
        poll: bool = False,
        timing: Timing | None = None,
        folders: Callable[[], frozenset[Path]] | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.poll = poll
        self.timing = timing or Timing()
        self._whole = frozenset({str(self.root)})
        # Each folder is watched on its own, never recursively: a recursive watch follows
        # directory symlinks out of the root (a link to / cost hundreds of watches), and
        # the scanner never does. `folders` names what the scanner read (by default, a
        # walk that descends as it does) and the folders of the node's files read beside
        # it; a folder that comes, goes or is replaced re-arms the watch.
        self.folders = folders or (lambda: walked_folders(self.root))

    def batches(self, stop: threading.Event) -> Iterator[frozenset[str]]:
        """Yield until `stop` is set; returns within one step (or, while the root is
        missing, one retry) of it being set."""
        while not stop.is_set():
            identity = _identity(self.root)
            if identity is None:
                yield self._whole  # the consumer records the root as missing
                if not self._await_root(stop):
                    return
                yield self._whole  # it is back: report that before arming the new watch
                continue
            yield from self._watch(identity, stop)

    def _await_root(self, stop: threading.Event) -> bool:
        """Wait for a folder at the root; False when stopped first."""
        while _identity(self.root) is None:
            if stop.wait(self.timing.missing_retry_s):
                return False
        return True

    def _watch(self, identity: Identity, stop: threading.Event) -> Iterator[frozenset[str]]:
        """One armed watch on the folder `identity`; returns when it is no longer at the root.

        The first result after arming (a batch, or the idle timeout) always yields, so
        writes made between the consumer's last scan and the arming are not lost.
        """
        synced = False
        armed = self._wanted()
        try:
            for touched in self._events(sorted(armed), stop):
                if touched or not synced:
                    synced = True
                    yield touched or self._whole
                if _identity(self.root) != identity:
                    return  # gone or replaced: inotify would stay on the old folder
                if self._wanted() != armed:
                    return  # a folder came, went or was replaced: arm again on the new set
        except FileNotFoundError:
            return  # a folder vanished while arming; the caller arms again without it
        except watchfiles_error() as exc:
            if "decode path" not in str(exc):
                raise
            # A name that is not UTF-8 (the bytes of \x9b, say) ends watchfiles' batch with
            # every path in it: read everything again, then arm again. The scanner reads
            # such a name as it is.
            yield self._whole

    def _wanted(self) -> dict[Path, Identity]:
        """The folders to watch that are there now, each with the folder it is: one
        deleted and made again is a new folder, and needs a new watch."""
        found = {}
        for folder in self.folders() | {self.root}:
            identity = _identity(folder)
            if identity is not None:
                found[folder] = identity
        return found

    def _events(self, folders: list[Path], stop: threading.Event) -> Iterator[frozenset[str]]:
        """The paths touched in `folders`, a batch at a time, and an empty batch at least
        once per idle check."""
        t = self.timing
        if self.poll or polling_forced():
            from kexplore.polling import poll_changes

            # the baseline is taken here, before the first batch is asked for
            yield from poll_changes(folders, stop, t.poll_delay_ms / 1000)
            return
        for changes in watchfiles.watch(
            *folders,
            # every entry is a node in the tree, swap files included: filter nothing
            watch_filter=None,
            debounce=t.debounce_ms,
            step=t.step_ms,
            stop_event=stop,
            rust_timeout=t.idle_check_ms,
            yield_on_timeout=True,
            # the main thread gets Ctrl-C as KeyboardInterrupt; a worker thread never
            # sees signals, so this changes nothing there
            raise_interrupt=True,
            force_polling=False,
            recursive=False,
            # a 0700 folder when not root must not end the watch of everything else
            ignore_permission_denied=True,
        ):
            yield frozenset(path for _, path in changes)


def watchfiles_error() -> type[Exception]:
    """The error watchfiles raises from its Rust side (a RuntimeError), by name: it is not
    part of watchfiles' public API."""
    from watchfiles import _rust_notify

    found = getattr(_rust_notify, "WatchfilesRustInternalError", RuntimeError)
    return found if isinstance(found, type) and issubclass(found, Exception) else RuntimeError


def polling_forced() -> bool:
    """Whether the environment asks for polling, as watchfiles reads it: its variable
    WATCHFILES_FORCE_POLLING, or WSL, whose inotify misses the Windows side's writes."""
    import platform

    wanted = os.environ.get("WATCHFILES_FORCE_POLLING", "")
    if wanted:
        return wanted.lower() not in {"false", "disable", "disabled"}
    uname = platform.uname()
    return uname.system == "Linux" and "microsoft-standard" in uname.release.lower()


def walked_folders(root: Path) -> frozenset[Path]:
    """The folders under `root` the scanner descends: real folders only, never a symlink,
    never a mount of /proc, /sys or /dev, no deeper than it goes."""
    found = {root}
    for parent, dirs, _files in os.walk(root, followlinks=False):
        depth = Path(parent).relative_to(root).parts
        if len(depth) >= MAX_DEPTH:
            dirs.clear()
            continue
        kept = []
        for name in dirs:
            path = Path(parent, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_dev not in special_devices():
                kept.append(name)
                found.add(path)
        dirs[:] = kept
    return frozenset(found)


def tree_folders(tree: Tree) -> frozenset[Path]:
    """The folders a scan descended: the root and every folder node it could list."""
    return frozenset({tree.root} | {
        tree.root.joinpath(*node.path.split("/"))
        for node in tree.of_kind(Kind.DIRECTORY)
        if not node.error
    })


def watched_folders(snapshot: Snapshot) -> frozenset[Path]:
    """What a Snapshot was read from: the tree's folders, and those of the node's files
    beside it when they were read (none with --no-node-files)."""
    node = snapshot.report.node
    return tree_folders(snapshot.tree) | (node.folders() if node is not None else frozenset())


# --- snapshots and changes ---------------------------------------------------------------


@record
class Snapshot:
    """One complete, checked state of the root: what a face shows at any moment."""

    tree: Tree
    report: Report
    # why the root cannot be read ("" while it can); the tree is then empty
    root_error: str = ""

    @property
    def root_missing(self) -> bool:
        return bool(self.root_error)


@record
class Change:
    """From one Snapshot to the next: what a face applies in one step and announces."""

    before: Snapshot
    after: Snapshot
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    findings_added: tuple[Finding, ...] = ()
    findings_resolved: tuple[Finding, ...] = ()

    @property
    def tree(self) -> Tree:
        return self.after.tree

    @property
    def report(self) -> Report:
        return self.after.report

    @property
    def root_missing(self) -> bool:
        return self.after.root_missing

    @property
    def root_lost(self) -> bool:
        return self.after.root_missing and not self.before.root_missing

    @property
    def root_returned(self) -> bool:
        return self.before.root_missing and not self.after.root_missing

    @property
    def paths(self) -> tuple[str, ...]:
        """Every added, removed or modified path, sorted."""
        return tuple(sorted({*self.added, *self.removed, *self.modified}))

    @property
    def is_empty(self) -> bool:
        """Nothing a face would show differently: no need to publish it."""
        return not (
            self.added
            or self.removed
            or self.modified
            or self.findings_added
            or self.findings_resolved
            or self.before.root_error != self.after.root_error
        )

    def summary(self) -> str:
        """One line for a notification, such as
        "manifests/kube-apiserver.yaml changed: 1 new warning"."""
        if self.root_lost:
            if self.after.root_error == os.strerror(errno.ENOENT):
                return "root disappeared"
            return f"root cannot be read: {printable(self.after.root_error)}"
        if self.root_returned:
            return f"root is back: {_counts(self.after.report)}"
        if self.is_empty:
            return "nothing changed"
        return f"{self._subject()}: {self._findings_delta()}"

    def _subject(self) -> str:
        files = [p for p in self.paths if not self._is_folder(p)]
        if len(files) == 1:
            path = files[0]
            verb = "added" if path in self.added else "removed" if path in self.removed else (
                "changed")
            return f"{printable(path)} {verb}"
        if files:
            return f"{len(files)} files changed"
        folders = self.paths
        if len(folders) == 1:
            return f"{printable(folders[0])}/ changed"
        return f"{len(folders)} folders changed"

    def _is_folder(self, path: str) -> bool:
        node = self.after.tree.get(path) or self.before.tree.get(path)
        return node is not None and node.kind is Kind.DIRECTORY

    def _findings_delta(self) -> str:
        parts = [
            *(_plural(n, s.value, "new ") for s, n in _by_severity(self.findings_added)),
            *(f"{_plural(n, s.value)} resolved" for s, n in _by_severity(self.findings_resolved)),
        ]
        return ", ".join(parts) if parts else "findings unchanged"


def _by_severity(findings: Iterable[Finding]) -> list[tuple[Severity, int]]:
    counts: dict[Severity, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[0].rank)


def _plural(n: int, noun: str, prefix: str = "") -> str:
    return f"{n} {prefix}{noun}{'' if n == 1 else 's'}"


def _counts(report: Report) -> str:
    counts = _by_severity(report.findings)
    return ", ".join(_plural(n, s.value) for s, n in counts) if counts else "no findings"


def load(
    root: Path,
    now: datetime,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    profile: str = "kubeadm",
    node_files: NodeReader | None = None,
) -> Snapshot:
    """The first Snapshot of `root`; a missing root gives an empty one, not an exception."""
    # start from "missing" so that both outcomes go through the one path in refresh
    unknown = _missing(Path(os.path.abspath(root)), now, os.strerror(errno.ENOENT))
    return refresh(unknown, now, warn_days=warn_days, profile=profile,
                   node_files=node_files).after


def refresh(
    previous: Snapshot,
    now: datetime,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    profile: str = "kubeadm",
    node_files: NodeReader | None = None,
) -> Change:
    """Scan the root again (re-decoding only files whose stamp changed), check it, and say
    what differs from `previous`. `node_files` reads the node's files beside the tree."""
    root = previous.tree.root
    try:
        tree = rescan(previous.tree)
    except OSError as exc:
        after = _missing(root, now, exc.strerror or str(exc))
    else:
        node = node_files(tree) if node_files is not None else None
        report = check_tree(tree, now, warn_days=warn_days, profile=profile, node_files=node)
        after = Snapshot(tree, report)
    return difference(previous, after)


def _missing(root: Path, now: datetime, why: str) -> Snapshot:
    # no findings: "every file is missing" about a folder that is not there is noise
    empty = Tree(root, {})
    return Snapshot(empty, Report(empty, now, ()), root_error=why)


def difference(before: Snapshot, after: Snapshot) -> Change:
    """The Change from `before` to `after`: the tree's files by their path in it, the
    node's files beside it by theirs on the node ("/var/lib/kubelet/config.yaml")."""
    old = {**before.tree.nodes, **_outside(before)}
    new = {**after.tree.nodes, **_outside(after)}
    old_findings, new_findings = set(before.report.findings), set(after.report.findings)
    return Change(
        before=before,
        after=after,
        added=tuple(sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        modified=tuple(sorted(p for p in new.keys() & old.keys() if _differs(old[p], new[p]))),
        findings_added=tuple(sorted(new_findings - old_findings, key=Finding.sort_key)),
        findings_resolved=tuple(sorted(old_findings - new_findings, key=Finding.sort_key)),
    )


def _outside(snapshot: Snapshot) -> dict[str, Node]:
    """The node's files that were there when the Snapshot was read, by node path."""
    node = snapshot.report.node
    if node is None:
        return {}
    return {path: file.node for path, file in node.files.items() if not file.missing}


def _differs(a: Node, b: Node) -> bool:
    # A node's content is left out of its equality; for a symlink what it resolves to is
    # the change that matters: a `..data` swap keeps the visible link's own stamp.
    return a != b or resolved_path(a) != resolved_path(b)


# --- the loop a thread worker runs -------------------------------------------------------


def live_changes(
    start: Snapshot,
    stop: threading.Event,
    *,
    now: Callable[[], datetime],
    poll: bool = False,
    warn_days: int = DEFAULT_WARN_DAYS,
    profile: str = "kubeadm",
    timing: Timing | None = None,
    node_files: NodeReader | None = None,
) -> Iterator[Change]:
    """Each Change to the tree from `start` on, until `stop` is set; empty ones are skipped.

    Blocking: iterate it in a thread worker, passing the worker's cancelled event as
    `stop`, and post each Change to the UI. `now` is called once per refresh (a fixed
    `--now` gives a function that returns it).
    """
    current = start
    watcher = Watcher(start.tree.root, poll=poll, timing=timing,
                      folders=lambda: watched_folders(current))
    for _ in watcher.batches(stop):
        change = refresh(current, now(), warn_days=warn_days, profile=profile,
                         node_files=node_files)
        current = change.after
        if not change.is_empty:
            yield change
