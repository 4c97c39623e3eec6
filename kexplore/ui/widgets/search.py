"""A long text (a YAML, a PEM) an operator searches as in less or k9s: `/`, then n and N."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from kexplore.ui import format as fmt

Shown = Syntax | Text
MATCH = "reverse"
CURRENT = "bold reverse #e5b84a"


def text_of(shown: Shown) -> str:
    return shown.code if isinstance(shown, Syntax) else shown.plain


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """(line, column) of every case-insensitive occurrence, lines counted from 0."""
    if not needle:
        return []
    wanted = needle.lower()
    found = []
    for number, line in enumerate(text.splitlines()):
        lowered, start = line.lower(), 0
        while (at := lowered.find(wanted, start)) >= 0:
            found.append((number, at))
            start = at + max(1, len(wanted))
    return found


class SearchableText(VerticalScroll):
    """A scrolling text with a search box; the matches are marked, the current one
    brightest, and the view scrolls to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="text.search",
                tooltip="Search this text (enter to find, n and N to move, esc to close)"),
        Binding("n", "next_match", "Next match", id="text.next-match",
                tooltip="Go to the next match of the search"),
        Binding("N", "previous_match", "Prev match", id="text.previous-match",
                tooltip="Go to the previous match of the search"),
        Binding("escape", "close_search", "Close search", show=False, id="text.close-search",
                tooltip="Close the search box"),
    ]

    def __init__(self, shown: Shown, *, text_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown = shown
        self.text_id = text_id
        self.matches: list[tuple[int, int]] = []
        self.needle = ""
        self.current = -1

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search: enter finds, esc closes", classes="text-search")
        yield Static(self.shown, id=self.text_id)

    @property
    def box(self) -> Input:
        return self.query_one(".text-search", Input)

    def action_search(self) -> None:
        self.box.display = True
        self.box.focus()

    @on(Input.Submitted, ".text-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.needle = event.value
        self.matches = find_all(text_of(self.shown), self.needle)
        self.current = 0 if self.matches else -1
        self.focus()
        self._show_current()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # before a search, n, N and esc keep their meaning for the explorer around
        if action in ("next_match", "previous_match"):
            return bool(self.needle)
        if action == "close_search":
            return bool(self.box.display)
        return True

    def action_close_search(self) -> None:
        self.box.display = False
        self.focus()

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        if not self.matches:
            self.notify("Press / to search this text." if not self.needle else
                        f"No match for {self.needle!r}.", title="Search", markup=False)
            return
        self.current = (self.current + step) % len(self.matches)
        self._show_current()

    def _show_current(self) -> None:
        self.query_one(f"#{self.text_id}", Static).update(self._marked())
        summary = (f"{self.current + 1} of {len(self.matches)} for {self.needle!r}"
                   if self.matches else f"no match for {self.needle!r}")
        # what was typed (or pasted: a name copied with `c`) is text, never markup
        self.border_subtitle = fmt.literal(summary)
        self.box.border_title = fmt.literal(summary)
        if self.matches:
            line = self.matches[self.current][0]
            self.scroll_to(y=max(0, line - 3), animate=False)  # a little context above

    def _marked(self) -> Shown:
        length = len(self.needle)
        marked = copy.deepcopy(self.shown)
        mark: Callable[[str, int, int], None]
        if isinstance(marked, Syntax):
            syntax = marked

            def mark(style: str, line: int, column: int) -> None:
                syntax.stylize_range(style, (line + 1, column), (line + 1, column + length))
        else:
            text = marked
            starts = _line_starts(text.plain)

            def mark(style: str, line: int, column: int) -> None:
                offset = starts[line] + column
                text.stylize(style, offset, offset + length)
        for index, (line, column) in enumerate(self.matches):
            mark(CURRENT if index == self.current else MATCH, line, column)
        return marked


def _line_starts(text: str) -> list[int]:
    starts, offset = [], 0
    for line in text.splitlines(keepends=True):
        starts.append(offset)
        offset += len(line)
    return starts or [0]
