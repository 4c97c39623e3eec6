"""The composition root: load the tree in a worker, hand it to the main screen."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from kexplore.core.model import tally
from kexplore.core.sample import Lesson
from kexplore.core.secrets import shown as printable
from kexplore.ui.commands import KexploreCommands
from kexplore.ui.format import EscapeControls
from kexplore.ui.messages import LiveChanged, LoadFailed, SessionLoaded
from kexplore.ui.preload import Preload
from kexplore.ui.screens.main import MainScreen
from kexplore.ui.session import Session, load_session

_ESCAPE = EscapeControls()


class KexploreApp(App[int]):
    CSS_PATH = "kexplore.tcss"
    TITLE = "kexplore"
    COMMANDS = App.COMMANDS | {KexploreCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave kexplore"),
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit-ctrl-c"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="The keys that apply here"),
        Binding("r", "reload", "Reload", id="app.reload", tooltip="Scan the tree again"),
    ]

    def __init__(
        self,
        root: Path,
        *,
        now: datetime | None = None,
        note: str = "",
        watch: bool = False,
        poll: bool = False,
        root_label: str | None = None,
        theme: str | None = None,
        preload: Preload | None = None,
        lessons: tuple[Lesson, ...] = (),
        node_sources: object = None,
        part: str = "",
    ) -> None:
        super().__init__()
        self.part = part  # the part of the tree named on the command line, selected at start
        self.node_sources = node_sources  # where the node's files are (a NodeSources)
        self.root = root
        self.now = now
        self.note = note
        self.live = watch  # follow the disk (not `watch`: Textual owns that name)
        self.poll = poll
        self.root_label = root_label if root_label is not None else str(root)
        self.session: Session | None = None
        self.preload = preload
        self.lessons = lessons  # the demo's planted faults, explained in the overview
        if theme:
            self.theme = theme

    def get_line_filters(self) -> Sequence[LineFilter]:
        return [*super().get_line_filters(), _ESCAPE]

    def on_mount(self) -> None:
        self.install_screen(MainScreen(), "main")
        self.push_screen("main")
        self.reload()

    @property
    def main(self) -> MainScreen:
        return self.get_screen("main")  # type: ignore[return-value]

    def reload(self) -> None:
        """Scan again (re-reading only changed files) and re-check; the one entry point for
        `r` and, later, the watcher."""
        previous = self.session.base_tree if self.session is not None else None
        self._load(previous)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, previous: object) -> None:
        early, self.preload = self.preload, None
        session = early.result() if early is not None and previous is None else None
        try:
            session = session or load_session(
                self.root, self.now, previous, self.node_sources  # type: ignore[arg-type]
            )
        except OSError as exc:
            self.post_message(LoadFailed(f"cannot read {self.root}: {exc.strerror or exc}"))
            return
        except Exception as exc:  # a defect in the core: say so rather than load forever
            self.post_message(LoadFailed(f"could not check {self.root}: {exc!r}"))
            return
        self.post_message(SessionLoaded(session))

    @on(SessionLoaded)
    def _loaded(self, message: SessionLoaded) -> None:
        first = self.session is None
        self.session = message.session
        self.main.show_session(message.session)
        if first and self.part:
            self.main.show_part(self.part)
        if not first:
            counts = message.session.report.counts()
            self.notify(
                f"{len(message.session.tree.nodes)} entries, "
                f"{tally(counts, ('error', 'warning'))}",
                title="Reloaded",
            )
        if self.live:
            self._follow(message.session)  # (re)start from what is now on screen

    @work(thread=True, exclusive=True, group="live", exit_on_error=False, name="live")
    def _follow(self, start: Session) -> None:
        """Follow the disk; every change arrives as one complete new session."""
        from kexplore.live import Snapshot, live_changes
        from kexplore.ui.session import CHECKED_PROFILE, session_from

        stop = get_current_worker().cancelled_event
        from kexplore.ui import core_api

        snapshot = Snapshot(start.base_tree, start.report, start.root_error)
        sources = self.node_sources
        for change in live_changes(
            snapshot, stop, now=self._clock, poll=self.poll, profile=CHECKED_PROFILE,
            node_files=(lambda tree: core_api.read_node_files(tree, sources)) if sources
            else None,
        ):
            session = session_from(change.tree, change.report, change.after.root_error)
            self.post_message(LiveChanged(session, change.summary(), frozenset(change.paths)))

    def _clock(self) -> datetime:
        return self.now or datetime.now(timezone.utc)

    @on(LiveChanged)
    def _changed(self, message: LiveChanged) -> None:
        self.session = message.session
        self.main.show_session(message.session, message.changed)
        gone = bool(message.session.root_error)
        self.notify(
            printable(message.summary),
            title="On disk",
            severity="warning" if gone else "information",
            markup=False,
        )

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(
                printable(f"{event.worker.error}"), title="Load failed", severity="error",
                markup=False
            )

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.notify(printable(message.error), title="Load failed", severity="error",
                    markup=False)
        if self.session is None:
            self.main.show_failure(message.error)

    def action_reload(self) -> None:
        self.reload()

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """Save an SVG of the screen in a folder that exists, and say where: Textual's own
        default (~/Downloads) is missing on most servers."""
        folder = Path(path) if path else screenshot_folder()
        if folder is None or not folder.is_dir():
            self.notify("No folder to save it in: start kexplore in a folder you can write "
                        "to, or set XDG_PICTURES_DIR.", title="Screenshot", severity="error")
            return None
        try:
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as exc:
            self.notify(f"{folder}: {exc.strerror or exc}", title="Screenshot not saved",
                        severity="error", markup=False)
            return None
        # name and folder on lines of their own: a toast crops a long path
        self.notify(f"{Path(saved).name}\nin {Path(saved).parent}", title="Screenshot saved",
                    markup=False)
        return saved

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, its "Keys" panel made our `?`: that panel takes
        over the right of the screen, and esc, which backs out everywhere else, leaves it."""
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                yield SystemCommand("Keys", "Every key that applies here (also ?)",
                                    self.action_help)
            else:
                yield command

    def action_help(self) -> None:
        from kexplore.ui.screens.help import HelpScreen, help_rows

        if isinstance(self.screen, HelpScreen):
            return
        view = self.main.view if self.screen is self.main else None
        widgets = [view, *view.query("*")] if view is not None else []
        self.push_screen(HelpScreen(help_rows(self.active_bindings, self.get_key_display,
                                              widgets)))


def screenshot_folder() -> Path | None:
    """Where a screenshot goes: the pictures folder the user named (XDG_PICTURES_DIR) if
    it exists, else the folder kexplore was started in if it can be written; never a
    folder kexplore would have to create."""
    named = os.environ.get("XDG_PICTURES_DIR", "")
    if named and Path(named).is_dir():
        return Path(named)
    here = Path.cwd()
    return here if os.access(here, os.W_OK) else None


def run_app(
    root: Path,
    now: datetime | None,
    note: str,
    watch: bool,
    poll: bool,
    preload: Preload | None = None,
    lessons: tuple[Lesson, ...] = (),
    node_sources: object = None,
    part: str = "",
) -> int:
    app = KexploreApp(root, now=now, note=note, watch=watch, poll=poll, preload=preload,
                      lessons=lessons, node_sources=node_sources, part=part)
    result = app.run()
    return result if isinstance(result, int) else 0
