"""The headless commands beside generate: check, certs, connections, diff, inventory, compare
and serve."""

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

from kexplore import helptext
from kexplore.errors import RootError

Commands = "argparse._SubParsersAction[argparse.ArgumentParser]"
# Ten years: kubeadm's CA lifetime, the longest any certificate of the tree lives.
MAX_WARN_DAYS = 3650


def _now(args: argparse.Namespace) -> datetime:
    return args.now or datetime.now(timezone.utc)


def _scan(path: Path):  # type: ignore[no-untyped-def]
    """The tree at `path`, or the whole tree `path` is a part of."""
    from kexplore.core.parts import locate, what_it_holds
    from kexplore.core.read.scan import scan

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


def _common(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json"),
            *, clock: bool = True) -> None:
    """PATH and --format; --now only for a command whose result depends on the time."""
    from kexplore.argtypes import parse_time

    p.add_argument("path", type=Path, help="the tree, such as /etc/kubernetes")
    p.add_argument("--format", choices=formats, default="text", help="what to print")
    if clock:
        p.add_argument("--now", type=parse_time, metavar="TIME", help=helptext.TIME_HELP)
    else:  # refused with the reason, never accepted and ignored
        p.add_argument("--now", type=_no_clock, help=argparse.SUPPRESS)


def _no_clock(text: str) -> None:
    raise argparse.ArgumentTypeError("this command has no clock: what it compares does not "
                                     "age, so --now would change nothing")


def add_node_args(p: argparse.ArgumentParser) -> None:
    """Where the node's files outside the tree are: read only when asked for (or when the
    root is this machine's own /etc/kubernetes)."""
    p.add_argument("--node-root", type=Path, metavar="DIR",
                   help="a copied node's / (DIR/var/lib/kubelet, DIR/root/.kube/config, ...)")
    p.add_argument("--kubelet-dir", type=Path, metavar="DIR",
                   help="the node's /var/lib/kubelet (config.yaml, pki/)")
    p.add_argument("--kubeconfig", type=Path, action="append", default=[], metavar="PATH",
                   dest="kubeconfigs",
                   help="a kubeconfig copy to hold against admin.conf (repeatable)")
    p.add_argument("--no-node-files", action="store_true",
                   help="read nothing outside the tree, even on this machine")


def node_sources(args: argparse.Namespace, root: Path):  # type: ignore[no-untyped-def]
    """Where the node's files are, as the arguments ask (a NodeSources), or None."""
    from kexplore.core.node_files import sources_for

    for folder in (args.node_root, args.kubelet_dir):
        if folder is not None and not folder.is_dir():
            raise RootError(f"cannot read {folder}: not a folder")
    return sources_for(root, node_root=args.node_root, kubelet_dir=args.kubelet_dir,
                       kubeconfigs=args.kubeconfigs, off=args.no_node_files)


def node_files_for(args: argparse.Namespace, tree):  # type: ignore[no-untyped-def]
    """The node's files beside `tree` as the arguments ask, or None."""
    from kexplore.core.node_files import read_node_files

    sources = node_sources(args, tree.root)
    return read_node_files(tree, sources) if sources is not None else None


def _node_files_now(args: argparse.Namespace, tree):  # type: ignore[no-untyped-def]
    """As node_files_for, for a watch that must outlive a node root gone for a moment:
    none read while it is not there, and the next change reads them again."""
    try:
        return node_files_for(args, tree)
    except RootError:
        return None


# --- check -------------------------------------------------------------------------------


def add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kexplore.core.check import DEFAULT_WARN_DAYS

    p = helptext.command_parser(
        commands, "check",
        "Hold every certificate, key, kubeconfig and manifest against what kubeadm of the\n"
        "tree's own version writes (and the CIS benchmark with --profile cis or all).\n"
        "Findings are error (something fails or the cluster is exposed), warning (a real\n"
        "risk) or info (a harmless difference), each with a stable rule id.",
        (
            ("kexplore check /etc/kubernetes", "a table per file, worst first"),
            ("kexplore check /etc/kubernetes --format json | jq .summary",
             "counts for a script"),
            ("kexplore check /etc/kubernetes --profile all --format junit > cis.xml",
             "kubeadm conventions and CIS checks as JUnit XML for CI"),
            ("kexplore check /etc/kubernetes --warn-days 90",
             "warn three months before a certificate expires"),
            ("kexplore check /etc/kubernetes --watch", "print again on every change"),
        ),
        helptext.CHECK_EXITS,
        helptext.profiles_section(),
        helptext.supported_section(),
    )
    _common(p, ("text", "json", "junit"))
    p.add_argument(
        "--warn-days",
        type=helptext.bounded(int, 0, MAX_WARN_DAYS, "days"), metavar="DAYS",
        default=DEFAULT_WARN_DAYS,
        help=f"warn about certificates expiring within this many days (0 to {MAX_WARN_DAYS})",
    )
    p.add_argument("--profile", choices=("kubeadm", "cis", "all"), default="kubeadm",
                   help="which checks to run (see profiles below)")
    add_node_args(p)
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

        return watch_check(args, render_check, node_files=lambda tree: _node_files_now(args, tree))
    report, text = render_check(args)
    print(text, end="" if text.endswith("\n") else "\n")
    return 1 if report.counts()["error"] else 0


def render_check(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The report for the arguments, and its text in the chosen format."""
    from kexplore.core.check import check_tree
    from kexplore.core.parts import locate

    part = locate(args.path)
    tree = _scan(args.path)
    node = node_files_for(args, tree)
    report = check_tree(tree, _now(args), warn_days=args.warn_days, profile=args.profile,
                        node_files=node)
    notes = _unchecked(tree) if node is None and args.profile != "cis" else []
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
        from kexplore.core.report.documents import findings_json

        extra: dict[str, Any] = {"checks": [_cis_json(r) for r in cis]} if cis is not None else {}
        if notes:
            extra["notes"] = notes
        return report, findings_json(report, {**note, **extra})
    if args.format == "junit":
        from kexplore.core.report.junit import to_junit

        profiles = ("kubeadm",) if args.profile in ("kubeadm", "all") else ()
        return report, to_junit(report.findings, cis or (), str(tree.root), profiles=profiles)
    from kexplore.core.terminal import is_terminal

    if not (report.findings or notes or part or cis or is_terminal()):
        from kexplore.core.report.summary import plain_summary

        return report, plain_summary(report)  # one line, no table: no rich to load
    from rich.text import Text  # a path is never read as markup

    from kexplore.core.report.text import findings_renderable

    parts: list[Any] = [Text(f"note: {n}") for n in notes]
    if part is not None:
        from kexplore.core.names import printable

        where = printable(str(tree.root))
        parts.append(Text(f"{part.part} checked as part of the tree at {where}"))
    if cis is not None:
        from kexplore.core.report.cis_tables import cis_tables

        parts += cis_tables(cis)
    parts.append(findings_renderable(report))
    return report, _render_text(parts)


def _unchecked(tree) -> list[str]:  # type: ignore[no-untyped-def]
    """What the tree names outside itself and went unchecked, fit to print."""
    from kexplore.core.checks.references import unchecked_notes
    from kexplore.core.secrets import shown

    return [shown(note) for note in unchecked_notes(tree)]


def _cis_json(result: CisResult) -> dict[str, str]:
    return {
        "id": result.rule,  # "cis-1.2.16": the same id as the finding a failed check yields
        "title": result.title,
        "result": result.result,
        "reason": result.reason,
        "remediation": result.remediation,
    }


def _render_text(parts: list) -> str:  # type: ignore[type-arg]
    from kexplore.core.terminal import render_text

    return render_text(parts)


# --- certs -------------------------------------------------------------------------------


def add_certs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = helptext.command_parser(
        commands, "certs",
        "The expiry of every certificate in the tree, those embedded in kubeconfigs and the\n"
        "kubelet's rotated client certificate included, soonest first, with the columns of\n"
        "`kubeadm certs check-expiration`. RESIDUAL TIME is in days (d) or hours (h).",
        (
            ("kexplore certs /etc/kubernetes", "the two tables, certificates then CAs"),
            ("kexplore certs /etc/kubernetes --format json",
             "residualTime in seconds, for monitoring"),
            ("kexplore certs /etc/kubernetes --now 2027-06-01",
             "what will be left on that day"),
        ),
        ((0, "the certificates were listed (expired ones too: `check` is the gate)"),
         (2, "PATH cannot be read, or an argument is wrong")),
    )
    _common(p, ("text", "json", "prometheus", "kubeadm-json"))
    add_node_args(p)
    p.set_defaults(run=run_certs)


def run_certs(args: argparse.Namespace) -> int:
    from kexplore.core.expiry import expiry_rows

    if args.format == "prometheus":
        return _certs_prometheus(args)
    tree = _scan(args.path)
    rows = expiry_rows(tree, _now(args), node_files_for(args, tree))
    if args.format == "json":
        from kexplore.core.report.documents import expiry_json

        print(expiry_json(str(tree.root), _now(args), rows))
    elif args.format == "kubeadm-json":
        from kexplore.core.report.kubeadm_json import kubeadm_json

        print(kubeadm_json(rows))
    else:
        from kexplore.core.report.text import expiry_tables

        print(_render_text([expiry_tables(rows)]), end="")
    return 0


def _certs_prometheus(args: argparse.Namespace) -> int:
    """Textfile metrics; a tree that cannot be read still yields kexplore_scrape_error 1,
    so the collector's file says so instead of going stale."""
    import sys

    from kexplore.core.check import check_tree
    from kexplore.core.expiry import expiry_rows
    from kexplore.core.report.prometheus import breakings, failed_textfile, textfile

    now = _now(args)
    try:
        tree = _scan(args.path)
    except RootError as exc:
        print(failed_textfile(args.path, now, str(exc)), end="")
        print(f"kexplore: {exc}", file=sys.stderr)
        return 2
    node = node_files_for(args, tree)
    rows = expiry_rows(tree, now, node)
    findings = check_tree(tree, now, node_files=node).findings
    print(textfile(args.path, rows, findings, now, breakings(tree, now, node)), end="")
    return 0


# --- connections -------------------------------------------------------------------------


def add_connections(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = helptext.command_parser(
        commands, "connections",
        "Every connection, signing relation and cert/key flag pair of the control plane as\n"
        "the files make it run, each verified as its peer would: ok, broken, or unknown\n"
        "with the reason; both ends, the files and flags of each side, and the date it\n"
        "breaks (the soonest expiry of either certificate or CA along it). Paths come from\n"
        f"the flags, never from defaults; trees of {helptext.SUPPORTED} are read.",
        (
            ("kexplore connections /etc/kubernetes", "a table per status, broken first"),
            ("kexplore connections /etc/kubernetes --format json",
             "{root, now, connections: [{id, client, server, status, reason, breaks_at, ...}]}"),
            ("kexplore connections /etc/kubernetes --now 2027-06-01",
             "what will have broken by that day"),
        ),
        ((0, "no relation is broken (some may be unknown)"),
         (1, "at least one relation is broken"),
         (2, "PATH cannot be read, or an argument is wrong")),
    )
    _common(p)
    add_node_args(p)
    p.set_defaults(run=run_connections)


def run_connections(args: argparse.Namespace) -> int:
    from kexplore.core.plane import build_plane

    tree = _scan(args.path)
    plane = build_plane(tree, _now(args), node=node_files_for(args, tree))
    if args.format == "json":
        from kexplore.core.report.documents import connections_json

        print(connections_json(plane))
    else:
        from kexplore.core.report.text import connections_renderable

        print(_render_text([connections_renderable(plane)]), end="")
    return 1 if plane.broken() else 0


# --- diff --------------------------------------------------------------------------------


def add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kexplore.argtypes import parse_version

    p = helptext.command_parser(
        commands, "diff",
        "Hold each static pod manifest against the one kubeadm would write for the tree's\n"
        "own parameters (read back from the tree and shown first); no cluster needed.\n"
        "Each difference is a version note, a customisation, or a defect. No clock: a\n"
        "manifest does not age, so there is no --now.",
        (
            ("kexplore diff /etc/kubernetes", "every difference, with why it matters"),
            ("kexplore diff /etc/kubernetes --format unified", "a patch towards kubeadm's"),
            ("kexplore diff /etc/kubernetes --against v1.35.0",
             "what an upgrade to 1.35 would change"),
        ),
        ((0, "no defect (versions and customisations may differ)"),
         (1, "at least one difference is a defect"),
         (2, "PATH cannot be read, or an argument is wrong")),
        helptext.supported_section(),
    )
    _common(p, ("text", "json", "unified"), clock=False)
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

    tree = _scan(args.path)
    inferred = infer(tree)
    diffs = [
        d
        for spec in STATIC_PODS
        if (d := diff_manifest(tree, spec.file, inferred, args.against)) is not None
    ]
    if args.format == "json":
        from kexplore.core.report.documents import diff_json

        print(diff_json(str(tree.root), diffs, inferred))
    elif args.format == "unified":
        from kexplore.core.secrets import shown_lines

        print(shown_lines("".join(d.unified for d in diffs)), end="")
    else:
        from rich.text import Text

        from kexplore.core.report.text import diff_renderable
        from kexplore.core.secrets import shown

        notes = [Text(f"note: {shown(n)}")
                 for n in (*inferred.notes, *_against_notes(args.against))]
        print(_render_text([*notes, diff_renderable(diffs, inferred)]), end="")
    return 1 if any(d.of_kind("defect") for d in diffs) else 0


def _against_notes(against: Version | None) -> list[str]:
    from kexplore.core.conventions.versions import is_supported, nearest_supported

    if against is None or is_supported(against):
        return []
    return [f"kexplore's conventions describe kubeadm 1.28 to 1.35: {against} is held against "
            f"those of {nearest_supported(against)}, with its own image tags"]


# --- inventory ---------------------------------------------------------------------------


def add_inventory(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = helptext.command_parser(
        commands, "inventory",
        "Describe one node's tree without a secret: every certificate's fingerprints, names "
        "and validity, public-key fingerprints, each manifest's digest and flags (secret "
        "values redacted), the inferred parameters and the findings. Schema "
        "kexplore.inventory/v1.",
        (
            ("kexplore inventory /etc/kubernetes --format json > cp-1.json",
             "a file safe to copy off the node"),
            ("kexplore compare cp-1.json cp-2.json cp-3.json", "what the files are for"),
        ),
        ((0, "the inventory was printed (whatever its findings)"),
         (2, "PATH cannot be read, or an argument is wrong")),
        helptext.supported_section(),
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
    from kexplore.argtypes import parse_time

    p = helptext.command_parser(
        commands, "compare",
        "Hold several nodes against each other, each a tree or an inventory JSON file: "
        "shared CAs and sa pair identical, per-node certificates not copied, versions, "
        "parameters, flags and etcd members in agreement.",
        (
            ("kexplore compare /mnt/cp-1 /mnt/cp-2 /mnt/cp-3", "trees, copied or mounted"),
            ("kexplore compare cp-*.json --format json", "inventories, as JSON for a script"),
        ),
        ((0, "no error (warnings and notes may be present)"),
         (1, "at least one error"),
         (2, "a NODE cannot be read or is not an inventory, or an argument is wrong")),
        helptext.supported_section(),
    )
    p.add_argument("nodes", type=Path, nargs="+", metavar="NODE",
                   help="a node's tree, or its `kexplore inventory` JSON file")
    p.add_argument("--format", choices=("text", "json"), default="text", help="what to print")
    p.add_argument("--now", type=parse_time, metavar="TIME", help=helptext.TIME_HELP)
    p.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from kexplore.core.compare import compare
    from kexplore.core.report.compare import comparison_json, comparison_renderable

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
    from kexplore.core.read.safeio import read_regular_file

    if path.is_dir():
        return build_inventory(_scan(path), now)
    try:
        # the operator named this file: its folder is the root it may be read from
        data = read_regular_file(path, 64 << 20, root=path.absolute().parent)
        return load_inventory(data.decode("utf-8", "replace"))
    except OSError as exc:
        raise RootError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except InventoryError as exc:
        raise RootError(f"{path}: {exc}") from exc


# --- serve -------------------------------------------------------------------------------


def add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = helptext.command_parser(
        commands, "serve",
        "Serve the tree's certificate metrics (/metrics, Prometheus text format) and its "
        "inventory (/inventory, JSON), read afresh on every request. Writes nothing. Runs "
        "until stopped.\n"
        "The node's files beside the tree are read as check reads them (--node-root,\n"
        "--kubelet-dir, --kubeconfig; none with --no-node-files). With none of these, on\n"
        "this machine's /etc/kubernetes they are read only when /var/lib/kubelet is there\n"
        "(mounted, in a pod): a pod that mounts /etc/kubernetes alone reads the tree alone.",
        (
            ("kexplore serve /etc/kubernetes", "http://127.0.0.1:9102/metrics on this node"),
            ("kexplore serve /etc/kubernetes --address 0.0.0.0",
             "in a pod, for Prometheus to scrape"),
            ("kexplore serve /host/etc/kubernetes --node-root /host",
             "the node's / mounted at /host: the kubelet's files too"),
        ),
        ((0, "stopped normally"), (2, "the address cannot be listened on, or an argument "
                                       "is wrong"), (130, "stopped by ctrl+c")),
    )
    p.add_argument("path", type=Path, help="the tree, such as /etc/kubernetes")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (a pod needs 0.0.0.0)")
    p.add_argument("--port", type=helptext.bounded(int, 0, 65535, "port; 0 picks a free one"),
                   default=9102, help="port to listen on (0 to 65535; 0 picks a free one)")
    add_node_args(p)
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import sys

    from kexplore.serve import make_server, mounted

    sources = mounted(node_sources(args, args.path))
    try:
        server = make_server(args.path, args.address, args.port, sources=sources)
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
# by command word: `kexplore check` builds the check parser alone
ADDERS: dict[str, Adder] = {
    "check": add_check, "certs": add_certs, "connections": add_connections, "diff": add_diff,
    "inventory": add_inventory, "compare": add_compare, "serve": add_serve,
}
