"""The values the command line takes (instants, durations, versions), parsed once for
every command, so that cli and commands both read them without importing each other."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from kexplore.core.params import Version

# Past any validity kubeadm or an operator would give; also what an overflow becomes.
LONGEST_VALIDITY = timedelta(days=100 * 365)


def parse_time(text: str) -> datetime:
    """An ISO 8601 instant; a time without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_hours(text: str) -> timedelta:
    """A duration as kubeadm spells it (8760h), or plain days (365d) or minutes (90m)."""
    units = {"h": "hours", "d": "days", "m": "minutes"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(f"not a duration like 8760h or 365d: {text!r}")
    try:
        duration = timedelta(**{units[unit]: float(number)})
    except OverflowError:
        duration = LONGEST_VALIDITY * 2
    if not timedelta(0) < duration <= LONGEST_VALIDITY:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: choose more than 0 and at most {LONGEST_VALIDITY.days}d")
    return duration


def as_hours(duration: timedelta) -> str:
    return f"{int(duration.total_seconds() // 3600)}h"


def parse_version(text: str) -> Version:
    try:
        return Version.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
