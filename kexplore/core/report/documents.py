"""Findings, expiry rows, manifest diffs and the control plane as JSON: what
`--format json` prints. Data, not text for a terminal, so no rich: the encoder escapes
control characters, and secrets are redacted here as everywhere."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kexplore.core.secrets import redact_message

if TYPE_CHECKING:
    from kexplore.core.diff import ManifestDiff
    from kexplore.core.model import ExpiryRow, Report
    from kexplore.core.params import Inferred
    from kexplore.core.plane import Plane


def _moment(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def findings_json(report: Report, extra: dict[str, Any] | None = None) -> str:
    counts = report.counts()
    doc: dict[str, Any] = {
        "root": str(report.tree.root),
        "now": _moment(report.now),
        "findings": [f.as_json() for f in report.findings],
        "summary": {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]},
    }
    doc.update(extra or {})
    return json.dumps(doc, indent=2)


def expiry_json(root: str, now: datetime, rows: Sequence[ExpiryRow]) -> str:
    return json.dumps(
        {
            "root": root,
            "now": _moment(now),
            "certificates": [r.as_json() for r in rows if not r.is_ca],
            "certificateAuthorities": [
                {k: v for k, v in r.as_json().items() if k != "caName"} for r in rows if r.is_ca
            ],
        },
        indent=2,
    )


def _redacted(value: Any) -> Any:
    """JSON is data: redacted, not escaped (the encoder escapes control characters)."""
    return redact_message(value) if isinstance(value, str) else value


def diff_json(root: str, diffs: Sequence[ManifestDiff], inferred: Inferred | None = None) -> str:
    def entry(d: Any) -> dict[str, Any]:
        return {
            "where": _redacted(d.where),
            "change": d.change,
            "expected": _redacted(d.expected),
            "actual": _redacted(d.actual),
            "kind": d.kind,
            "reason": _redacted(d.reason),
        }

    return json.dumps(
        {
            "root": root,
            "parameters": [
                {"name": label, "value": redact_message(value),
                 "source": redact_message(source)}
                for label, value, source in (inferred.described() if inferred else [])
            ],
            "manifests": [
                {
                    "path": d.path,
                    "component": d.component,
                    "against": str(d.against),
                    "flags": [entry(x) for x in d.flags],
                    "fields": [entry(x) for x in d.fields],
                    "unified": redact_message(d.unified),
                }
                for d in diffs
            ],
        },
        indent=2,
    )


def connections_json(plane: Plane) -> str:
    return json.dumps(plane.as_json(), indent=2)
