"""A text table that never cuts what an operator copies: a path, a flag, a rule id.

Each column says how its cells may break. When the terminal (or `COLUMNS` in a pipe) is
too narrow for the table with every unbreakable cell whole, it prints one line per row
instead, which a terminal wraps and `grep` and `cut` read as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from rich import box as boxes
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from kexplore.core.records import record

WHOLE = "whole"  # never broken: a rule id, a date, a file path
WORDS = "words"  # broken only between words: a flag with its value, a pointer
PROSE = "prose"  # broken anywhere it must: a message
# narrower than this, a prose column is no longer worth reading in a table
PROSE_MIN = 16


@record
class Column:
    header: str
    breaks: str = PROSE
    style: str = ""
    ratio: int | None = None


@dataclass
class FittedTable:
    """A rich table when it fits at the console's width, else one plain line per row.

    Print it with `crop=False`: the fallback lines are meant to run past the width."""

    columns: Sequence[Column]
    title: Text | None = None
    boxed: bool = False
    rows: list[list[Text]] = field(default_factory=list)

    def add_row(self, *cells: str | Text) -> None:
        self.rows.append([c if isinstance(c, Text) else Text(c) for c in cells])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.needed_width() <= options.max_width:
            yield self._table(options.max_width)
        else:
            yield from self._lines(console)

    def needed_width(self) -> int:
        """The narrowest the table can be with every whole cell and word intact. A boxed
        table spreads itself with its ratio columns: rich gives every other column its
        whole width first, and a ratio column only what is left."""
        per_column = 3 if self.boxed else 2  # padding and the rule between columns
        spread = self.boxed and any(c.ratio for c in self.columns)
        return sum(
            (self._natural_width(i, c) if spread and not c.ratio else self._min_width(i, c))
            + per_column
            for i, c in enumerate(self.columns)
        )

    def _natural_width(self, index: int, column: Column) -> int:
        cells = [row[index].plain for row in self.rows if index < len(row)]
        return max((len(line) for c in [column.header, *cells] for line in c.splitlines()),
                   default=0)

    def _min_width(self, index: int, column: Column) -> int:
        cells = [row[index].plain for row in self.rows if index < len(row)]
        if column.breaks == WHOLE:
            return max((len(c) for c in [column.header, *cells]), default=0)
        if column.breaks == WORDS:
            return _longest_word([column.header, *cells])
        return min(PROSE_MIN, _longest_word([column.header, *cells]))

    def as_table(self, width: int | None = None) -> Table:
        """The rich table, whatever the width (a view that scrolls never needs the lines)."""
        return self._table(width)

    def _table(self, width: int | None = None) -> Table:
        table = Table(
            title=self.title, title_justify="left", expand=self.boxed, show_edge=False,
            pad_edge=False, box=boxes.HEAVY_HEAD if self.boxed else None, header_style="bold",
        )
        shares = self._shares(width) if width is not None else {}
        for i, column in enumerate(self.columns):
            table.add_column(
                column.header, style=column.style or None,
                ratio=None if i in shares else column.ratio, width=shares.get(i),
                no_wrap=column.breaks == WHOLE, overflow="fold",
                # a prose column too: left without a floor, rich gives the room to the
                # wider columns and folds the message one character a line
                min_width=self._min_width(i, column),
            )
        for row in self.rows:
            table.add_row(*row)
        return table

    def _shares(self, width: int) -> dict[int, int]:
        """The ratio columns' widths at `width`, each at least its floor: rich splits the
        room by ratio alone and would fold a path in a narrow fix column ("kube-scheduler.y"
        / "aml"). A floor is met first, from the share of the columns above theirs."""
        flexible = [i for i, c in enumerate(self.columns) if c.ratio]
        if not (self.boxed and flexible):
            return {}
        fixed = sum(self._natural_width(i, c) for i, c in enumerate(self.columns)
                    if not c.ratio)
        # each column is padded by one on both sides but the outer ones, and ruled off
        room = width - fixed - (3 * len(self.columns) - 3)
        total = sum(self.columns[i].ratio or 0 for i in flexible)
        floors = {i: self._min_width(i, self.columns[i]) for i in flexible}
        shares = {i: max(floors[i], room * (self.columns[i].ratio or 0) // total)
                  for i in flexible}
        widest = max(flexible, key=lambda i: self.columns[i].ratio or 0)
        shares[widest] += max(room - sum(shares.values()), 0)  # what rounding left
        for i in sorted(flexible, key=lambda i: shares[i] - floors[i], reverse=True):
            over = sum(shares.values()) - room  # a floor raised: taken from the others
            if over > 0:
                shares[i] -= min(over, shares[i] - floors[i])
        return shares

    def _lines(self, console: Console) -> Iterator[Segment]:
        lines = [Text("  ".join(c.header for c in self.columns), style="bold")]
        # an empty cell prints as "-": every line keeps the header's fields, in order
        lines += [Text("  ").join(cell if cell.plain else Text("-") for cell in row)
                  for row in self.rows]
        if self.title is not None:
            lines.insert(0, self.title)
        for line in lines:
            yield from line.render(console, end="")
            yield Segment.line()


def _longest_word(cells: Iterable[str]) -> int:
    return max((len(word) for cell in cells for word in cell.split()), default=0)


@dataclass
class TableOrBlocks:
    """A fitted table where it fits whole, else its rows as blocks: a heading line and the
    row's fields one below the other, each wrapped within the width. For rows too rich for
    one line (a relation and its six files), where a pipe would get lines of 500 columns."""

    table: FittedTable
    blocks: Sequence[RenderableType]
    # in a pipe, the table's own line per row (what `grep` and `cut` of `check` read)
    lines_in_a_pipe: bool = False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.table.needed_width() <= options.max_width:
            yield self.table.as_table(options.max_width)
            return
        if self.lines_in_a_pipe and not console.is_terminal:
            yield self.table
            return
        if self.table.title is not None:
            yield self.table.title
        for index, block in enumerate(self.blocks):
            if index:
                yield Segment.line()  # a blank line between blocks, none after the last
            yield from _unpadded(console, options, block)


def _unpadded(console: Console, options: ConsoleOptions, renderable: RenderableType
              ) -> Iterator[Segment]:
    """The lines of a renderable without the spaces rich pads them with to the width: a
    pipe's reader gets no trailing blanks."""
    for line in console.render_lines(renderable, options, pad=False):
        while line and not line[-1].control and not line[-1].text.strip():
            line.pop()
        if line and not line[-1].control:
            last = line.pop()
            line.append(Segment(last.text.rstrip(), last.style))
        yield from line
        yield Segment.line()
