"""Tables with vi keys, and the rows they hold that `c` may copy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from kexplore.core.model import Finding
from kexplore.ui import format as fmt
from kexplore.ui.messages import JumpTo

Copyable = tuple[str, str]  # (what it is, in words; the text)


class KeyTable(DataTable[object]):
    """A row-cursor table; each row may carry a public value to copy and a file to open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g", "scroll_top", "First", show=False, id="table.first"),
        Binding("G", "scroll_bottom", "Last", show=False, id="table.last"),
    ]

    def __init__(self, *columns: str, widths: dict[str, int] | None = None,
                 **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        # a fixed width makes a column wrap (in rows added with height=None) instead of
        # pushing the table wider than the view
        for column in columns:
            self.add_column(column, width=(widths or {}).get(column))
        self._copy: dict[int, Copyable] = {}
        self._targets: dict[int, str] = {}

    def add(
        self, *cells: str | Text, copy: Copyable | None = None, target: str | None = None,
        height: int | None = 1,
    ) -> None:
        index = self.row_count
        self.add_row(*(fmt.shown(c) for c in cells),
                     key=str(index), height=height)
        if copy is not None:
            self._copy[index] = copy
        if target is not None:
            self._targets[index] = target

    def copy_value(self) -> Copyable | None:
        return self._copy.get(self.cursor_row) if self.row_count else None

    def target(self) -> str | None:
        return self._targets.get(self.cursor_row) if self.row_count else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        target = self._targets.get(event.cursor_row)
        if target is not None:
            event.stop()
            self.post_message(JumpTo(target))


class FindingsTable(KeyTable):
    """Findings, worst first; `c` copies the fix, `enter` opens the file when asked to."""

    def __init__(self, findings: Iterable[Finding], *, with_path: bool, **kwargs: Any) -> None:
        # one line a row when listing a whole tree's findings: measuring wrapped rows is
        # what makes thousands of them slow; a file's own findings show their fix inline.
        # Across the whole tree the file leads and the pointer joins the message, so the
        # message starts as far left as it can: it is what an operator reads.
        columns = ["", "file", "rule", "message"] if with_path else [
            "", "rule", "where", "message"]
        super().__init__(*columns, **kwargs)
        for f in findings:
            cells: list[str | Text] = [fmt.mark(f.severity)]
            inline_fix = bool(f.fix and not with_path)
            if with_path:
                where = f"{f.pointer}: " if f.pointer else ""
                cells += [f.path, Text(f.rule, style="bold"), where + f.message]
            else:
                message = fmt.plain(f.message)
                if inline_fix:
                    message.append("\nfix: ")
                    message.append_text(fmt.plain(f.fix))
                cells += [Text(f.rule, style="bold"), f.pointer, message]
            self.add(
                *cells,
                copy=("fix", f.fix) if f.fix else ("message", f.message),
                target=f.path if with_path and f.path else None,
                height=None if inline_fix else 1,
            )
