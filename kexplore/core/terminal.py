"""What the headless commands hand to a terminal: rich renderables, escaped at the last step.

Every value is already escaped where a table or line is built (names.printable); this
wrapper is the backstop, so a field a future change forgets still cannot move the cursor,
set the window title or type into the terminal."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kexplore.core.names import escape_segments, printable

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult


class Escaped:
    """A renderable whose output text holds no control character."""

    def __init__(self, renderable: Any) -> None:
        from rich.text import Text

        # a plain string would be read as markup: show it as the text it is
        self.renderable = Text(printable(renderable)) if isinstance(renderable, str) else (
            renderable)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from escape_segments(console.render(self.renderable, options))


def render_text(parts: Iterable[Any], *, terminal: bool | None = None) -> str:
    """Renderables as the text a command prints: styled when stdout is a terminal."""
    from rich.console import Console  # here, so that is_terminal() loads no rich

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        highlight=False,
        markup=False,
        # a value such as `system:node:cp-1` is shown as written, never as an emoji (and
        # rich's table of emoji codes is not loaded)
        emoji=False,
        # the terminal's width, or COLUMNS in a pipe (120 when neither says)
        width=max(shutil.get_terminal_size((120, 40)).columns, 20),
        force_terminal=is_terminal() if terminal is None else terminal,
        color_system="auto",
    )
    for part in parts:
        # a table too wide for the width prints one line per row, never cut
        console.print(Escaped(part), crop=False)
    return buffer.getvalue()


def is_terminal() -> bool:
    """Whether stdout is a terminal: then the text is styled."""
    return sys.stdout.isatty()
