"""What every `--help` says beyond the options: examples, exit codes, profiles, the
supported kubeadm range. Each command states its own; the shared facts are written once."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Sequence

from kexplore.core.conventions.versions import NEWEST_SUPPORTED, OLDEST_SUPPORTED

# Every command, with the line `kexplore --help` gives it: a new command is one line here
# and one `add_*` function beside its `run_*`.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("check", "every finding about a tree; exit 1 on any error"),
    ("certs", "every certificate's expiry, like kubeadm certs check-expiration"),
    ("connections", "every link of the control plane, judged; exit 1 if one is broken"),
    ("diff", "each manifest against what kubeadm would write; exit 1 on a defect"),
    ("generate", "write the tree kubeadm writes, with real keys and certificates"),
    ("inventory", "one node's tree as secret-free JSON, for compare and for keeping"),
    ("compare", "the control-plane nodes of one cluster against each other"),
    ("serve", "serve /metrics and /inventory over HTTP (for a DaemonSet)"),
)
Example = tuple[str, str]  # (the command line, what it does)
Exit = tuple[int, str]

SUPPORTED = (f"kubeadm {OLDEST_SUPPORTED.major}.{OLDEST_SUPPORTED.minor} to "
             f"{NEWEST_SUPPORTED.major}.{NEWEST_SUPPORTED.minor}")
PROFILES: tuple[tuple[str, str], ...] = (
    ("kubeadm", "kubeadm's own conventions: what `kubeadm init` of the tree's version writes "
                "(the default)"),
    ("cis", "the CIS Kubernetes Benchmark checks the files alone can decide"),
    ("all", "both"),
)
CHECK_EXITS: tuple[Exit, ...] = (
    (0, "no error (warnings and notes may be present)"),
    (1, "at least one error"),
    (2, "PATH cannot be read, or an argument is wrong"),
)
TIME_HELP = "fix the clock: an ISO 8601 time, UTC when no zone is given (default: now)"


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout, and shows each option's default in its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, [], "", argparse.SUPPRESS)
        if shown and "%(default)" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


def command_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    description: str,
    examples: Sequence[Example],
    exits: Sequence[Exit],
    *extra: str,
) -> argparse.ArgumentParser:
    """A subcommand's parser with its one-line summary, examples and exit codes."""
    summary = dict(COMMANDS)[name]
    return commands.add_parser(
        name, help=summary, description=f"{summary}.\n\n" + paragraphs(description),
        formatter_class=Formatter, epilog=epilog(examples, exits, *extra),
    )


def epilog(examples: Sequence[Example], exits: Sequence[Exit], *extra: str) -> str:
    """The text after the options: examples, then exit codes, then any further sections."""
    lines = ["examples:"]
    for line, what in examples:
        lines += [f"  {line}", *_wrapped(what, "      ")]
    lines += ["", "exit codes:"]
    width = max((len(str(code)) for code, _ in exits), default=1)
    lines += [f"  {code:<{width}}  {meaning}" for code, meaning in exits]
    for section in extra:
        head, _, rest = section.partition("\n")
        lines += ["", *_wrapped(head, ""), *rest.splitlines()]
    return "\n".join(lines)


def paragraphs(text: str) -> str:
    """Text wrapped to 78 columns, keeping its blank-line paragraph breaks."""
    return "\n\n".join(textwrap.fill(" ".join(part.split()), width=78)
                       for part in text.split("\n\n"))


def _wrapped(text: str, indent: str) -> list[str]:
    # help is read at 80 columns and in pipes: no line longer than the terminal's
    return textwrap.wrap(text, width=78, initial_indent=indent, subsequent_indent=indent + "  ")


def profiles_section() -> str:
    width = max(len(name) for name, _ in PROFILES)
    lines = ["profiles:"]
    for name, meaning in PROFILES:
        lines += textwrap.wrap(meaning, width=78, initial_indent=f"  {name:<{width}}  ",
                               subsequent_indent=" " * (width + 4))
    return "\n".join(lines)


def supported_section() -> str:
    return (f"supported: {SUPPORTED}; a tree of another version is held against the "
            "nearest supported one, and says so")


def bounded(kind: Callable[[str], int], low: int, high: int, unit: str) -> Callable[[str], int]:
    """An argparse type that refuses a number outside [low, high], naming the unit."""

    def parse(text: str) -> int:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a whole number of {unit}: {text!r}") from exc
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: "
                                             f"choose {low} to {high} ({unit})")
        return value

    parse.__name__ = unit  # argparse names the type in its messages
    return parse


def unknown_command(word: str, commands: Sequence[str]) -> str:
    """The message for a word that is neither a command nor a folder."""
    import difflib  # only on this error path: not a cost of every start

    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.6)
    if close:
        return f"unknown command '{word}': did you mean '{close[0]}'? (kexplore --help)"
    return (f"'{word}' is neither a command nor a folder: commands are "
            f"{', '.join(commands)} (kexplore --help)")
