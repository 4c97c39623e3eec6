"""The start screen: every finding, filterable, and every certificate by expiry."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from kexplore.core.model import Finding, Severity
from kexplore.ui import format as fmt
from kexplore.ui.messages import ProfileChanged
from kexplore.ui.session import PROFILES, Session
from kexplore.ui.views.base import View, heading, title
from kexplore.ui.widgets.tables import FindingsTable, KeyTable

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
                 level: Severity | None = None) -> None:
        super().__init__(session, "", profile)
        self.level = level

    def compose(self) -> ComposeResult:
        yield title("Overview", f"{self.session.root.name or self.session.root} "
                    f"at {fmt.when(self.session.now)}")
        with VerticalScroll():
            yield Static(self._filter_line(), id="filters")
            yield self._findings_table()
            yield heading(f"Certificates by expiry ({len(self.session.expiry)})")
            yield self._expiry_table()


    def _shown(self) -> list[Finding]:
        found = self.session.findings(self.profile)
        if self.level is None:
            return found
        return [f for f in found if f.severity.rank >= self.level.rank]

    def _filter_line(self) -> Text:
        shown = self._shown()
        level = "all" if self.level is None else (
            "errors" if self.level is Severity.ERROR else "warnings and errors")
        line = Text(f"Findings ({len(shown)})", style="bold")
        line.append(f"   severity: {level} ", style=fmt.MUTED)
        line.append("[s]", style="bold")
        line.append(f"   profile: {self.profile} ", style=fmt.MUTED)
        line.append("[p]", style="bold")
        line.append("   enter opens the file", style=fmt.MUTED)
        return line

    def _findings_table(self) -> FindingsTable | Static:
        shown = self._shown()
        if not shown:
            return Static(Text("✓ no findings", style=fmt.OK_STYLE), id="findings",
                          classes="note")
        table = FindingsTable(shown[:MAX_ROWS], with_path=True, id="findings")
        if len(shown) > MAX_ROWS:
            table.add("", "", Text(f"… {len(shown) - MAX_ROWS} more; the worst are above",
                                   style=fmt.MUTED))
        return table

    def _expiry_table(self) -> KeyTable:
        table = KeyTable("CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY",
                         "EXTERNALLY MANAGED", id="expiry")
        rows = self.session.expiry
        for row in rows[:MAX_ROWS]:
            if row.not_after is None:
                table.add(Text(row.name, style=fmt.STYLE[Severity.ERROR]), "", Text(
                    "missing", style=fmt.STYLE[Severity.ERROR]), row.ca_name or "", "",
                    target=row.path)
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
            )
        if len(rows) > MAX_ROWS:
            table.add(Text(f"… {len(rows) - MAX_ROWS} more, expiring later", style=fmt.MUTED))
        return table

    async def _refilter(self) -> None:
        self.query_one("#filters", Static).update(self._filter_line())
        old = self.query_one("#findings")
        await old.remove()
        await self.query_one("#filters").parent.mount(  # type: ignore[union-attr]
            self._findings_table(), after="#filters")

    async def action_cycle_severity(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        await self._refilter()
        self.query_one("#findings").focus()

    async def action_cycle_profile(self) -> None:
        self.profile = PROFILES[(PROFILES.index(self.profile) + 1) % len(PROFILES)]
        await self._refilter()
        self.query_one("#findings").focus()
        self.app.post_message(ProfileChanged(self.profile))

