"""The start screen: every finding, filterable, and every certificate by expiry."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from kexplore.core.model import Finding, Severity
from kexplore.core.sample import Lesson
from kexplore.ui import format as fmt
from kexplore.ui.messages import ProfileChanged, SeverityChanged
from kexplore.ui.session import PROFILES, Session
from kexplore.ui.views.base import View, heading, title
from kexplore.ui.widgets.tables import FindingsTable, KeyTable, SortableTable

# what the severity filter cycles through: the least severe shown
LEVELS: tuple[Severity | None, ...] = (None, Severity.WARNING, Severity.ERROR)
# Rows shown per table: both are sorted most urgent first, and a table of thousands of rows
# costs seconds to lay out; the rest stay one palette search or `n` away.
MAX_ROWS = 300


class OverviewView(View):
    """Findings filterable by severity (`s`) and profile (`p`); certificates by expiry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_severity", "Severity", id="overview.severity",
                tooltip="Show all findings, warnings and worse, or errors only"),
        Binding("p", "cycle_profile", "Profile", id="overview.profile",
                tooltip="kubeadm conventions only, or CIS benchmark findings too"),
    ]

    def __init__(self, session: Session, profile: str = "kubeadm",
                 level: Severity | None = None, lessons: tuple[Lesson, ...] = ()) -> None:
        super().__init__(session, "", profile)
        self.level = level
        self.lessons = lessons

    def compose(self) -> ComposeResult:
        yield title("Overview", f"{self.session.root.name or self.session.root} "
                    f"at {fmt.when(self.session.now)}")
        findings, expiry = self._findings_table(), self._expiry_table()
        # outside the scroll: the active filters stay in view whatever has the focus
        yield Static(self._filter_line(findings), id="filters", classes="note")
        with VerticalScroll():
            if self.lessons:
                yield heading(f"Demo: {len(self.lessons)} planted faults, and what each teaches")
                yield self._lessons_table()
                yield heading("The findings they cause")  # the table the filters above act on
            yield findings
            yield Static(self._expiry_heading(expiry), id="expiry-heading", classes="heading")
            yield expiry

    def _lessons_table(self) -> KeyTable:
        table = KeyTable("rule", "file", "what it teaches", widths={"what it teaches": 46},
                         id="lessons")
        every = self.session.findings("all")
        for lesson in self.lessons:
            path = next((f.path for f in every if f.rule == lesson.rule), "")
            table.add(Text(lesson.rule, style="bold"), path or "(not found)", lesson.teaches,
                      target=path or None, height=None, copy=("rule", lesson.rule))
        return table

    def _expiry_heading(self, table: object) -> Text:
        line = Text(f"Certificates ({len(self.session.expiry)})", style="bold")
        line.append(f"   sorted by {_sort_words(table)} ", style=fmt.MUTED)
        line.append("[t T]", style="bold")
        return line


    def _shown(self) -> list[Finding]:
        found = self.session.findings(self.profile)
        if self.level is None:
            return found
        return [f for f in found if f.severity.rank >= self.level.rank]

    def _filter_line(self, table: object) -> Text:
        shown = self._shown()
        level = "all" if self.level is None else (
            "errors" if self.level is Severity.ERROR else "warnings and errors")
        line = Text(f"Findings ({len(shown)})", style="bold")
        line.append(f"   severity: {level} ", style=fmt.MUTED)
        line.append("[s]", style="bold")
        line.append(f"   profile: {self.profile} ", style=fmt.MUTED)
        line.append("[p]", style="bold")
        line.append(f"   sorted by {_sort_words(table)} ", style=fmt.MUTED)
        line.append("[t T]", style="bold")
        line.append("   enter opens the file", style=fmt.MUTED)
        return line

    @on(SortableTable.Sorted)
    def _sorted(self, event: SortableTable.Sorted) -> None:
        self.query_one("#filters", Static).update(self._filter_line(self.query_one("#findings")))
        self.query_one("#expiry-heading", Static).update(
            self._expiry_heading(self.query_one("#expiry")))

    def _findings_table(self) -> FindingsTable | Static:
        shown = self._shown()
        if not shown:
            return Static(Text("✓ no findings", style=fmt.OK_STYLE), id="findings",
                          classes="note")
        table = FindingsTable(shown[:MAX_ROWS], with_path=True, id="findings",
                              default_order="worst first")
        if len(shown) > MAX_ROWS:
            table.add("", "", Text(f"… {len(shown) - MAX_ROWS} more; the worst are above",
                                   style=fmt.MUTED), last=True)
        return table

    def _expiry_table(self) -> KeyTable:
        table = SortableTable("CERTIFICATE", "EXPIRES", "RESIDUAL TIME",
                              "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED", id="expiry",
                              default_order="soonest expiry first")
        rows = self.session.expiry
        for row in rows[:MAX_ROWS]:
            if row.not_after is None:
                table.add(Text(row.name, style=fmt.STYLE[Severity.ERROR]), "", Text(
                    "missing", style=fmt.STYLE[Severity.ERROR]), row.ca_name or "", "",
                    target=row.path, sort=(row.name, "", -1.0, row.ca_name or "", ""))
                continue
            left = (row.not_after - self.session.now).total_seconds()
            worst = self.session.worst(row.path, self.profile)
            style = fmt.STYLE[Severity.ERROR] if left <= 0 else (
                fmt.style_for(worst) if worst in (Severity.ERROR, Severity.WARNING) else "")
            name = row.name
            table.add(
                Text(name, style="bold" if row.is_ca else ""),
                row.not_after.strftime("%b %d, %Y %H:%M UTC"),
                Text("expired" if left <= 0 else row.residual, style=style),
                row.ca_name or "",
                "yes" if row.externally_managed else "no",
                target=row.path,
                copy=("path", row.path),
                sort=(row.name, row.not_after.isoformat(), left, row.ca_name or "",
                      row.externally_managed),
            )
        if len(rows) > MAX_ROWS:
            table.add(Text(f"… {len(rows) - MAX_ROWS} more, expiring later", style=fmt.MUTED),
                      last=True)
        return table

    async def _refilter(self) -> None:
        old = self.query_one("#findings")
        sorting = old.sorting if isinstance(old, SortableTable) else None
        host = old.parent
        await old.remove()
        new = self._findings_table()
        await host.mount(new, before="#expiry-heading")  # type: ignore[union-attr]
        if sorting is not None and isinstance(new, SortableTable):
            new.sort_by(*sorting)
        self.query_one("#filters", Static).update(self._filter_line(new))

    async def action_cycle_severity(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        await self._refilter()
        self.query_one("#findings").focus()
        self.post_message(SeverityChanged(self.level))

    async def action_cycle_profile(self) -> None:
        self.profile = PROFILES[(PROFILES.index(self.profile) + 1) % len(PROFILES)]
        await self._refilter()
        self.query_one("#findings").focus()
        self.post_message(ProfileChanged(self.profile))  # up to the screen, which keeps it


def _sort_words(table: object) -> str:
    """How a table is sorted, as its heading says it."""
    return table.describe_sort() if isinstance(table, SortableTable) else "worst first"
