"""A strict reader of the Prometheus text format (0.0.4), written for the tests: it refuses
what Prometheus or node_exporter's textfile collector would refuse, and more."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class FormatError(ValueError):
    pass


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _labels(text: str, line: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            raise FormatError(f"line {line}: bad label at {text[pos:]!r}")
        if m.group(1) in labels:
            raise FormatError(f"line {line}: label {m.group(1)} twice")
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise FormatError(f"line {line}: expected a comma at {text[pos:]!r}")
            pos += 1
    return labels


def parse(text: str) -> dict[str, list[Sample]]:
    """Samples by metric name; every metric has exactly one HELP and TYPE before its
    samples, its samples are contiguous, and no label set repeats."""
    if not text.endswith("\n"):
        raise FormatError("the last line must end with a newline")
    metrics: dict[str, list[Sample]] = {}
    typed: dict[str, str] = {}
    helped: set[str] = set()
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            raise FormatError(f"line {number}: blank line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                continue  # a plain comment
            name = parts[2]
            if not NAME.fullmatch(name):
                raise FormatError(f"line {number}: bad metric name {name!r}")
            if parts[1] == "HELP":
                if name in helped:
                    raise FormatError(f"line {number}: second HELP for {name}")
                helped.add(name)
            else:
                if name in typed or name in metrics:
                    raise FormatError(f"line {number}: TYPE for {name} late or twice")
                if len(parts) != 4 or parts[3] not in TYPES:
                    raise FormatError(f"line {number}: bad TYPE line")
                typed[name] = parts[3]
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?", line)
        if not m:
            raise FormatError(f"line {number}: not a sample: {line!r}")
        name, labels_text, value_text = m.group(1), m.group(2) or "", m.group(3)
        if name not in typed:
            raise FormatError(f"line {number}: {name} has no TYPE before it")
        if name != current and name in metrics:
            raise FormatError(f"line {number}: samples of {name} are not together")
        current = name
        labels = _labels(labels_text, number)
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise FormatError(f"line {number}: {name} repeats a label set")
        seen.add(key)
        try:
            value = float(value_text)
        except ValueError:
            raise FormatError(f"line {number}: bad value {value_text!r}") from None
        if math.isnan(value) and value_text != "NaN":
            raise FormatError(f"line {number}: bad value {value_text!r}")
        metrics.setdefault(name, []).append(Sample(name, labels, value))
    return metrics
