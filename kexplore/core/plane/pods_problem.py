"""One thing the kubelet would do with a static pod that an operator must know."""

from __future__ import annotations

from kexplore.core.model import Severity
from kexplore.core.records import record


@record
class PodProblem:
    """A verdict on one place of one manifest: `pointer` is a field path in the kubelet's
    spelling (spec.containers[0].image) or a flag (--secure-port); `line` is where the
    YAML holds it, when known, and `field` the path that line belongs to."""

    rule: str
    severity: Severity
    path: str
    pointer: str
    message: str
    fix: str = ""
    line: int | None = None
    field: str = ""  # the field path the line was read from (a flag's command item)
    meant: str = ""  # a dropped field's: the field path it most likely misspells
