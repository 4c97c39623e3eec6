"""The CIS results as text: a table per section, its counts in the title. Drawn here,
in the report, so that the checks never depend on how they are printed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from kexplore.core.cis import (
    FAIL,
    MANUAL,
    NOT_APPLICABLE,
    PASS,
    CisResult,
    cis_summary,
)
from kexplore.core.cis_data import SECTION_TITLES
from kexplore.core.report.texttable import PROSE, WHOLE, WORDS, Column, FittedTable

_STYLES = {PASS: "green", FAIL: "bold red", MANUAL: "yellow", NOT_APPLICABLE: "dim"}
_SHORT = {PASS: "pass", FAIL: "FAIL", MANUAL: "manual", NOT_APPLICABLE: "n/a"}


def cis_tables(results: Sequence[CisResult]) -> list[FittedTable]:
    """A table per section, its counts in the title, for the text report; the reasons
    name files, so they break only between words."""
    columns = (Column("id", WHOLE), Column("result", WHOLE), Column("check", PROSE),
               Column("why", WORDS))
    tables = []
    for section, counts in cis_summary(results).items():
        title = (
            f"CIS {section} {SECTION_TITLES.get(section, '')}: {counts[PASS]} pass, "
            f"{counts[FAIL]} fail, {counts[MANUAL]} manual, {counts[NOT_APPLICABLE]} n/a"
        )
        table = FittedTable(columns, title=Text(title), boxed=True)
        for r in results:
            if r.section == section:
                kind = "" if r.automated else " (manual)"
                table.add_row(
                    r.id, Text(_SHORT[r.result], style=_STYLES[r.result]),
                    Text(r.title + kind), Text(r.reason),
                )
        tables.append(table)
    return tables
