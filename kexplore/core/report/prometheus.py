"""Expiry rows as node_exporter textfile metrics (the Prometheus text format, 0.0.4).

The certificate metrics carry x509-certificate-exporter's names and labels
(`x509_cert_not_after{filepath=..., subject_CN=..., issuer_CN=..., serial_number=...}`),
so its dashboards and alerts work unchanged; kexplore's own gauges are `kexplore_*`.
Every value is a plain number: times as Unix seconds, never a duration baked in at scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kexplore import __version__
from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.model import ExpiryRow, Finding, Severity, Tree
from kexplore.core.records import record
from kexplore.core.secrets import shown as printable

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles
    from kexplore.core.plane import Plane


@record
class Gauge:
    name: str
    help: str
    samples: tuple[tuple[Mapping[str, str], float], ...]


@record
class Breaking:
    """A relation of the control plane and the moment it breaks: the plane's `breaks_at`,
    which `connections_gauge` turns into `kexplore_connection_breaks_at`."""

    id: str
    status: str
    breaks_at: datetime | None


def breakings(
    tree: Tree, now: datetime, node: NodeFiles | None = None, built: Plane | None = None,
) -> list[Breaking]:
    """Every relation of the tree's control plane that has a date it breaks; `node`, the
    node's files (a NodeFiles) when read, as `check` reads them; `built`, the plane the
    checks already made of them (Report.plane), if they did."""
    if built is None:
        from kexplore.core.plane import build_plane

        built = build_plane(tree, now, node=node)
    return [Breaking(r.id, r.status.value, r.breaks_at)
            for r in built.connections if r.breaks_at is not None]


def escape(value: str) -> str:
    """A label value as the text format requires: backslash, quote and newline escaped."""
    return printable(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(gauges: Iterable[Gauge]) -> str:
    lines = []
    for gauge in gauges:
        lines.append(f"# HELP {gauge.name} {gauge.help}")
        lines.append(f"# TYPE {gauge.name} gauge")
        # one sample per label set: Prometheus rejects a file that repeats one (the same
        # certificate twice in a bundle would)
        seen: set[str] = set()
        for labels, value in gauge.samples:
            text = _labels(labels)
            if text not in seen:
                seen.add(text)
                lines.append(f"{gauge.name}{text} {_number(value)}")
    return "\n".join(lines) + "\n"


def _cert_labels(root: Path, row: ExpiryRow) -> dict[str, str]:
    labels = {
        "filepath": str(root / row.path),
        "filename": row.path.rsplit("/", 1)[-1],
        "subject_CN": row.subject_cn,
        "issuer_CN": row.issuer_cn,
        "serial_number": row.serial,
    }
    if row.pointer.startswith("user "):
        # x509-certificate-exporter's labels for a certificate inside a kubeconfig
        labels["embedded_kind"] = "user"
        labels["embedded_key"] = row.pointer.removeprefix("user ")
    labels["kubeadm_name"] = row.name if row.name in CERTS_BY_NAME else ""
    return labels


def certificate_gauges(root: Path, rows: Sequence[ExpiryRow], now: datetime) -> list[Gauge]:
    present = [r for r in rows if not r.missing and r.not_after is not None]
    with_labels = [(_cert_labels(root, r), r) for r in present]
    return [
        Gauge(
            "x509_cert_not_after",
            "The certificate's notAfter, in Unix seconds.",
            tuple((labels, r.not_after.timestamp()) for labels, r in with_labels
                  if r.not_after is not None),
        ),
        Gauge(
            "x509_cert_not_before",
            "The certificate's notBefore, in Unix seconds.",
            tuple((labels, r.not_before.timestamp()) for labels, r in with_labels
                  if r.not_before is not None),
        ),
        Gauge(
            "x509_cert_expired",
            "1 when the certificate has expired at the time of the run.",
            tuple((labels, 1.0 if r.residual_seconds <= 0 else 0.0) for labels, r in with_labels),
        ),
        Gauge(
            "kexplore_cert_missing",
            "1 for a certificate kubeadm writes on this node that the tree does not hold.",
            tuple(
                ({"filepath": str(root / r.path), "kubeadm_name": r.name}, 1.0)
                for r in rows
                if r.missing
            ),
        ),
    ]


def findings_gauge(findings: Sequence[Finding]) -> Gauge:
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    return Gauge(
        "kexplore_findings",
        "Findings of `kexplore check` about the tree, by severity.",
        tuple(({"severity": s.value}, float(n)) for s, n in counts.items()),
    )


def connections_gauge(connections: Sequence[Breaking]) -> Gauge:
    return Gauge(
        "kexplore_connection_breaks_at",
        "When a control-plane connection breaks (its soonest certificate expiry), in Unix "
        "seconds.",
        tuple(
            ({"connection": c.id, "status": c.status}, c.breaks_at.timestamp())
            for c in connections
            if c.breaks_at is not None
        ),
    )


def run_gauges(root: Path, now: datetime, error: str = "") -> list[Gauge]:
    """What every textfile holds, a failed run's too: so a stale or broken file alerts."""
    return [
        Gauge(
            "kexplore_scrape_error",
            "1 when kexplore could not read the tree at all (the other metrics are absent).",
            (({"root": str(root)}, 1.0 if error else 0.0),),
        ),
        Gauge(
            "kexplore_last_run_timestamp_seconds",
            "When kexplore read the tree, in Unix seconds.",
            (({"root": str(root)}, now.timestamp()),),
        ),
        Gauge(
            "kexplore_build_info",
            "kexplore's version.",
            (({"version": __version__}, 1.0),),
        ),
    ]


def textfile(
    root: Path,
    rows: Sequence[ExpiryRow],
    findings: Sequence[Finding],
    now: datetime,
    connections: Sequence[Breaking] = (),
) -> str:
    gauges = [*certificate_gauges(root, rows, now), findings_gauge(findings)]
    if connections:
        gauges.append(connections_gauge(connections))
    return render([*gauges, *run_gauges(root, now)])


def failed_textfile(root: Path, now: datetime, error: str) -> str:
    return render(run_gauges(root, now, error))
