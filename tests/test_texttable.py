"""The fitted text tables: a message column keeps a readable width beside wide columns."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from kexplore.core.report.text import CONNECTION_COLUMNS
from kexplore.core.report.texttable import PROSE, PROSE_MIN, FittedTable


def _render(table: FittedTable, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table, crop=False)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [100, 120, 150, 200])
def test_a_message_beside_wide_columns_is_never_folded_a_character_a_line(width: int) -> None:
    """As `kexplore connections` printed a broken link at COLUMNS=120: the relation and id
    took their full widths and the reason came out one letter per line."""
    table = FittedTable(CONNECTION_COLUMNS, boxed=True)
    table.add_row("kube-apiserver → aggregated API servers",
                  "kube-apiserver->aggregated-apiservers", "each APIService's Service",
                  "2027-09-27 18:05 UTC", "the front proxy's certificate is issued by the "
                  "cluster CA, not the one the aggregated servers trust " * 8)
    lines = _render(table, width)
    header = next(line for line in lines if "relation" in line)
    if "┃" not in header:
        assert lines[1].startswith("kube-apiserver → aggregated API servers  ")
        return  # one line per row: nothing folded
    tail = header.rsplit("┃", 1)[-1]
    assert table.columns[-1].breaks == PROSE and len(tail) >= PROSE_MIN


def test_a_path_in_a_narrow_ratio_column_is_never_folded() -> None:
    """As `kexplore check` printed manifest-leader-elect at 120 columns: rich split the
    room 3:2 by ratio alone and the fix column cut "manifests/kube-scheduler.y" / "aml"."""
    from kexplore.core.report.text import FINDING_COLUMNS

    table = FittedTable(FINDING_COLUMNS, boxed=True)
    table.add_row("warning", "manifest-leader-elect", "--leader-elect",
                  "--leader-elect is false; expected --leader-elect=true: with several "
                  "control-plane nodes, two active schedulers would fight",
                  "set --leader-elect=true in manifests/kube-scheduler.yaml")
    lines = _render(table, 120)
    assert any("manifests/kube-scheduler.yaml" in line for line in lines)
    assert all(len(line) <= 120 for line in lines)
    message = next(line for line in lines if "┃" in line).split("┃")[3]
    assert len(message) > len(" message ") + PROSE_MIN  # the message keeps its larger share
