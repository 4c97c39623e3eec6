"""Tables with vi keys, and the rows they hold that `c` may copy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
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


Cell = str | Text
SortValue = Any  # what a column sorts by, when its text would sort wrongly (dates, marks)
Row = tuple[tuple[Cell, ...], "Copyable | None", "str | None", "int | None", tuple[SortValue, ...]]


class SortableTable(KeyTable):
    """A table an operator sorts: `t` picks the next column (then the default order
    again), `T` reverses. Rows keep their copy value and target whatever the order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "sort_column", "Sort", id="table.sort",
                tooltip="Sort by the next column (after the last: the default order)"),
        Binding("T", "sort_order", "Order", id="table.order",
                tooltip="Reverse the sort order"),
    ]

    @dataclass
    class Sorted(Message):
        table: SortableTable

    def __init__(self, *columns: str, default_order: str = "default order",
                 **kwargs: Any) -> None:
        super().__init__(*columns, **kwargs)
        self.headers = columns
        self.default_order = default_order
        self._rows: list[Row] = []
        self._last: list[Row] = []
        self._sort: tuple[int, bool] | None = None  # (column, descending)

    def add(
        self, *cells: str | Text, copy: Copyable | None = None, target: str | None = None,
        height: int | None = 1, sort: tuple[SortValue, ...] | None = None,
        last: bool = False,
    ) -> None:
        """`sort` gives what each column sorts by; a `last` row (a "… more" line) stays
        at the end whatever the order."""
        values = sort if sort is not None else tuple(
            c.plain if isinstance(c, Text) else c for c in cells)
        (self._last if last else self._rows).append((cells, copy, target, height, values))
        super().add(*cells, copy=copy, target=target, height=height)

    def column_name(self, index: int) -> str:
        return self.headers[index] or f"column {index + 1}"

    @property
    def sorting(self) -> tuple[str, bool] | None:
        """(the column sorted by, descending), or None in the default order."""
        if self._sort is None:
            return None
        return self.column_name(self._sort[0]), self._sort[1]

    def describe_sort(self) -> str:
        if self._sort is None:
            return self.default_order
        name, descending = self.sorting or ("", False)
        return f"{name} {'↓' if descending else '↑'}"

    def sort_by(self, name: str, descending: bool) -> None:
        names = [self.column_name(i) for i in range(len(self.headers))]
        if name in names:
            self._sort = (names.index(name), descending)
            self._rebuild()

    def action_sort_column(self) -> None:
        following = 0 if self._sort is None else self._sort[0] + 1
        self._sort = (following, False) if following < len(self.headers) else None
        self._rebuild()

    def action_sort_order(self) -> None:
        column, descending = self._sort if self._sort is not None else (0, False)
        self._sort = (column, not descending)
        self._rebuild()

    def _rebuild(self) -> None:
        rows = list(self._rows)
        if self._sort is not None:
            column, descending = self._sort
            rows.sort(key=lambda row: _orderable(row[4][column]), reverse=descending)
        self.clear()
        self._copy.clear()
        self._targets.clear()
        for cells, copy, target, height, _ in [*rows, *self._last]:
            KeyTable.add(self, *cells, copy=copy, target=target, height=height)
        self.post_message(self.Sorted(self))


def _orderable(value: SortValue) -> tuple[int, Any]:
    """Numbers before text, and never a comparison of a number with a string."""
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value).lower())


class FindingsTable(SortableTable):
    """Findings, worst first; `c` copies the fix, `enter` opens the file when asked to."""

    def __init__(self, findings: Iterable[Finding], *, with_path: bool, **kwargs: Any) -> None:
        # one line a row when listing a whole tree's findings: measuring wrapped rows is
        # what makes thousands of them slow; a file's own findings show their fix inline.
        # Across the whole tree the file leads and the pointer joins the message, so the
        # message starts as far left as it can: it is what an operator reads.
        columns = ["", "file", "rule", "message"] if with_path else [
            "", "rule", "where", "message"]
        kwargs.setdefault("default_order", "worst first")
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
                sort=(f.severity.rank, *(c.plain if isinstance(c, Text) else c
                                         for c in cells[1:])),
            )

    def column_name(self, index: int) -> str:
        return "severity" if index == 0 else super().column_name(index)
