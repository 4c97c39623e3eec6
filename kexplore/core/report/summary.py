"""The one line `check` ends with, and all it prints for a clean tree. It needs no rich:
a clean tree piped to a script is printed without loading it."""

from __future__ import annotations

from kexplore.core.model import Report, tally
from kexplore.core.secrets import shown


def summary_line(report: Report) -> str:
    c = report.counts()
    worst = "no problems" if not report.findings else "problems found"
    return (
        f"{tally(c)} in {sum(1 for _ in report.tree)} entries under {report.tree.root}: {worst}"
    )


def plain_summary(report: Report) -> str:
    """The line as printed to a pipe: redacted and escaped, with no style to draw."""
    return shown(summary_line(report)) + "\n"
