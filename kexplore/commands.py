"""The headless commands beside generate: check, certs and diff."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kexplore.core.cis import CisResult
    from kexplore.core.params import Version

from kexplore.errors import RootError

Commands = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _now(args: argparse.Namespace) -> datetime:
    return args.now or datetime.now(timezone.utc)


def _scan(path: Path):  # type: ignore[no-untyped-def]
    """The tree at `path`, or the whole tree `path` is a part of."""
    from kexplore.core.parts import locate, what_it_holds
    from kexplore.core.scan import scan

    part = locate(path)
    path = part.root if part else path

    if not path.is_dir():
        hint = (
            "not a folder; point kexplore at the tree that holds it "
            "(the folder with manifests/ and pki/, such as /etc/kubernetes)"
        )
        why = hint if path.exists() else "no such folder"
        raise RootError(f"cannot read {path}: {why}")
    looks = what_it_holds(path)
    if looks:
        raise RootError(
            f"{path} holds kubeadm's {looks}/ files but is not in a kubeadm tree; point "
            f"kexplore at the folder that holds {looks}/ (such as /etc/kubernetes)"
        )
    try:
        next(path.iterdir(), None)
    except OSError as exc:
        raise RootError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return scan(path, fork=True)


def _common(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json")) -> None:
    from kexplore.cli import parse_time

    p.add_argument("path", type=Path, help="the tree, such as /etc/kubernetes")
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("--now", type=parse_time, help="fix the clock (ISO 8601)")


# --- check -------------------------------------------------------------------------------


def add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "check",
        help="every finding about a tree; exit 1 on any error",
        description="Check a tree against kubeadm's conventions "
        "(and the CIS benchmark with --profile cis|all).",
    )
    _common(p, ("text", "json", "junit"))
    p.add_argument(
        "--warn-days",
        type=int,
        default=30,
        help="warn about certificates expiring within this many days (30)",
    )
    p.add_argument("--profile", choices=("kubeadm", "cis", "all"), default="kubeadm")
    p.add_argument(
        "--poll",
        action="store_true",
        help="with --watch: poll instead of inotify (NFS, some container mounts)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="print the findings again each time they change on disk",
    )
    p.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    if args.watch:
        from kexplore.watchcheck import watch_check

        return watch_check(args, render_check)
    report, text = render_check(args)
    print(text, end="" if text.endswith("\n") else "\n")
    return 1 if report.counts()["error"] else 0


def render_check(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The report for the arguments, and its text in the chosen format."""
    from kexplore.core.check import check_tree
    from kexplore.core.parts import locate
    from kexplore.core.report import findings_json, findings_renderable

    part = locate(args.path)
    tree = _scan(args.path)
    report = check_tree(tree, _now(args), warn_days=args.warn_days, profile=args.profile)
    note: dict[str, str] = {}
    if part is not None:
        # The part is checked in its tree, as the components read it; only its findings
        # are told.
        report = replace(report, findings=tuple(f for f in report.findings if part.holds(f.path)))
        note = {"part": part.part}
    cis = None
    if args.profile in ("cis", "all"):
        from kexplore.core.cis import evaluate_cis

        cis = evaluate_cis(tree)
    if args.format == "json":
        extra = {"checks": [_cis_json(r) for r in cis]} if cis is not None else {}
        return report, findings_json(report, {**note, **extra})
    if args.format == "junit":
        from kexplore.core.junit import to_junit

        profiles = ("kubeadm",) if args.profile in ("kubeadm", "all") else ()
        return report, to_junit(report.findings, cis or (), str(tree.root), profiles=profiles)
    parts: list[Any] = []
    if part is not None:
        parts.append(f"{part.part} checked as part of the tree at {tree.root}")
    if cis is not None:
        from kexplore.core.cis import cis_tables

        parts += cis_tables(cis)
    parts.append(findings_renderable(report))
    return report, _render_text(parts)


def _cis_json(result: CisResult) -> dict[str, str]:
    return {
        "id": result.rule,  # "cis-1.2.16": the same id as the finding a failed check yields
        "title": result.title,
        "result": result.result,
        "reason": result.reason,
        "remediation": result.remediation,
    }


def _render_text(parts: list) -> str:  # type: ignore[type-arg]
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        highlight=False,
        width=_width(),
        force_terminal=_is_terminal(),
        color_system="auto",
    )
    for part in parts:
        console.print(part)
    return buffer.getvalue()


def _width() -> int:
    import shutil

    return max(shutil.get_terminal_size((120, 40)).columns, 80)


def _is_terminal() -> bool:
    import sys

    return sys.stdout.isatty()


# --- certs -------------------------------------------------------------------------------


def add_certs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "certs",
        help="every certificate's expiry, like kubeadm certs check-expiration",
        description="The expiry of every certificate in the tree, those "
        "embedded in kubeconfigs and the kubelet's client cert included.",
    )
    _common(p, ("text", "json", "prometheus", "kubeadm-json"))
    p.set_defaults(run=run_certs)


def run_certs(args: argparse.Namespace) -> int:
    from kexplore.core.expiry import expiry_rows
    from kexplore.core.report import expiry_json, expiry_tables

    if args.format == "prometheus":
        return _certs_prometheus(args)
    tree = _scan(args.path)
    rows = expiry_rows(tree, _now(args))
    if args.format == "json":
        print(expiry_json(str(tree.root), _now(args), rows))
    elif args.format == "kubeadm-json":
        from kexplore.core.kubeadm_json import kubeadm_json

        print(kubeadm_json(rows))
    else:
        print(_render_text([expiry_tables(rows)]), end="")
    return 0


def _certs_prometheus(args: argparse.Namespace) -> int:
    """Textfile metrics; a tree that cannot be read still yields kexplore_scrape_error 1,
    so the collector's file says so instead of going stale."""
    import sys

    from kexplore.core.check import check_tree
    from kexplore.core.expiry import expiry_rows
    from kexplore.core.prometheus import failed_textfile, textfile

    now = _now(args)
    try:
        tree = _scan(args.path)
    except RootError as exc:
        print(failed_textfile(args.path, now, str(exc)), end="")
        print(f"kexplore: {exc}", file=sys.stderr)
        return 2
    rows = expiry_rows(tree, now)
    findings = check_tree(tree, now).findings
    # the control-plane connections' breaks_at join here once core/plane yields them
    print(textfile(args.path, rows, findings, now), end="")
    return 0


# --- diff --------------------------------------------------------------------------------


def add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kexplore.cli import parse_version

    p = commands.add_parser(
        "diff",
        help="each manifest against what kubeadm would write",
        description="Hold each static pod manifest against the one kubeadm "
        "would write for the tree's own parameters; no cluster needed.",
    )
    _common(p, ("text", "json", "unified"))
    p.add_argument(
        "--against",
        type=parse_version,
        help="compare with another kubeadm version (default: the tree's own)",
    )
    p.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    from kexplore.core.conventions.manifests import STATIC_PODS
    from kexplore.core.diff import diff_manifest
    from kexplore.core.infer import infer
    from kexplore.core.report import diff_json, diff_renderable

    tree = _scan(args.path)
    inferred = infer(tree)
    diffs = [
        d
        for spec in STATIC_PODS
        if (d := diff_manifest(tree, spec.file, inferred, args.against)) is not None
    ]
    if args.format == "json":
        print(diff_json(str(tree.root), diffs, inferred))
    elif args.format == "unified":
        print("".join(d.unified for d in diffs), end="")
    else:
        notes = [f"note: {n}" for n in (*inferred.notes, *_against_notes(args.against))]
        print(_render_text([*notes, diff_renderable(diffs, inferred)]), end="")
    return 0


def _against_notes(against: Version | None) -> list[str]:
    from kexplore.core.conventions.versions import is_supported, nearest_supported

    if against is None or is_supported(against):
        return []
    return [f"kexplore's conventions describe kubeadm 1.28 to 1.35: {against} is held against "
            f"those of {nearest_supported(against)}, with its own image tags"]


# --- inventory ---------------------------------------------------------------------------


def add_inventory(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "inventory",
        help="one node's tree as secret-free JSON, for compare and for keeping",
        description="Describe one node's tree without a secret: every certificate's "
        "fingerprints, names and validity, public-key fingerprints, each manifest's digest "
        "and flags (secret values redacted), the inferred parameters and the findings.",
    )
    _common(p, ("json",))
    p.set_defaults(run=run_inventory, format="json")


def run_inventory(args: argparse.Namespace) -> int:
    from kexplore.core.check import check_tree
    from kexplore.core.inventory import build_inventory, inventory_json

    tree = _scan(args.path)
    now = _now(args)
    print(inventory_json(build_inventory(tree, now, check_tree(tree, now))))
    return 0


# --- compare -----------------------------------------------------------------------------


def add_compare(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kexplore.cli import parse_time

    p = commands.add_parser(
        "compare",
        help="the control-plane nodes of one cluster against each other",
        description="Hold several nodes against each other, each a tree or an inventory "
        "JSON file: shared CAs and sa pair identical, per-node certificates not copied, "
        "versions, parameters, flags and etcd members in agreement. Exit 1 on any error.",
    )
    p.add_argument("nodes", type=Path, nargs="+", metavar="NODE",
                   help="a node's tree, or its `kexplore inventory` JSON file")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--now", type=parse_time, help="fix the clock (ISO 8601)")
    p.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from kexplore.core.compare import compare
    from kexplore.core.compare_output import comparison_json, comparison_renderable

    if len(args.nodes) < 2:
        raise RootError("compare needs two nodes or more")
    result = compare([_node_inventory(path, _now(args)) for path in args.nodes])
    if args.format == "json":
        print(comparison_json(result))
    else:
        print(_render_text([comparison_renderable(result)]), end="")
    return 1 if result.counts()["error"] else 0


def _node_inventory(path: Path, now: datetime):  # type: ignore[no-untyped-def]
    """A node as an inventory: made from its tree, or read back from its JSON file."""
    from kexplore.core.inventory import InventoryError, build_inventory, load_inventory
    from kexplore.core.safeio import read_regular_file

    if path.is_dir():
        return build_inventory(_scan(path), now)
    try:
        return load_inventory(read_regular_file(path, 64 << 20).decode("utf-8", "replace"))
    except OSError as exc:
        raise RootError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except InventoryError as exc:
        raise RootError(f"{path}: {exc}") from exc


# --- serve -------------------------------------------------------------------------------


def add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "serve",
        help="serve /metrics and /inventory over HTTP (for a DaemonSet)",
        description="Serve the tree's certificate metrics (/metrics, Prometheus text "
        "format) and its inventory (/inventory, JSON), read afresh on every request. "
        "Writes nothing.",
    )
    p.add_argument("path", type=Path, help="the tree, such as /etc/kubernetes")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (127.0.0.1; a pod needs 0.0.0.0)")
    p.add_argument("--port", type=int, default=9102, help="port to listen on (9102)")
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import sys

    from kexplore.serve import make_server

    try:
        server = make_server(args.path, args.address, args.port)
    except OSError as exc:
        raise RootError(f"cannot listen on {args.address}:{args.port}: {exc.strerror}") from exc
    print(f"kexplore: serving {args.path} on http://{args.address}:{server.server_port}/metrics",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


Adder = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]
ADDERS: list[Adder] = [add_check, add_certs, add_diff, add_inventory, add_compare, add_serve]
