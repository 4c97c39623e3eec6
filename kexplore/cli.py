"""The command line: one function per command, each a thin face over the core."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kexplore import __version__
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.errors import UsageError

DEFAULT_ROOT = Path("/etc/kubernetes")
SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "sample_etc"
COMMANDS = ("check", "certs", "diff", "generate", "inventory", "compare", "serve")


def parse_time(text: str) -> datetime:
    """An ISO 8601 instant; a time without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_hours(text: str) -> timedelta:
    """A duration as kubeadm spells it (8760h), or plain days (365d)."""
    units = {"h": "hours", "d": "days", "m": "minutes"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(f"not a duration like 8760h or 365d: {text!r}")
    return timedelta(**{units[unit]: float(number)})


def parse_version(text: str) -> Version:
    try:
        return Version.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# --- generate ----------------------------------------------------------------------------


def add_generate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "generate",
        help="write a realistic kubeadm tree with real keys and certificates",
        description="Write the /etc/kubernetes tree kubeadm would write on an init node.",
    )
    d = ClusterParams()
    p.add_argument("dir", type=Path, nargs="?", help="folder to write into")
    p.add_argument("--node-name", default=d.node_name)
    p.add_argument("--advertise-address", default=d.advertise_address)
    p.add_argument("--bind-port", type=int, default=d.bind_port)
    p.add_argument(
        "--control-plane-endpoint",
        default=d.control_plane_endpoint,
        help="host[:port] of a shared endpoint such as a load balancer",
    )
    p.add_argument("--cluster-name", default=d.cluster_name)
    p.add_argument("--dns-domain", default=d.dns_domain)
    p.add_argument("--service-subnet", default=d.service_subnet)
    p.add_argument("--pod-subnet", default=d.pod_subnet)
    p.add_argument(
        "--cert-san",
        action="append",
        default=[],
        dest="cert_sans",
        help="extra API server SAN (repeatable)",
    )
    p.add_argument("--kubernetes-version", type=parse_version, default=d.kubernetes_version)
    p.add_argument(
        "--key-algorithm", choices=[a.value for a in KeyAlgorithm], default=d.key_algorithm.value
    )
    p.add_argument("--etcd", choices=[m.value for m in EtcdMode], default=d.etcd.value)
    p.add_argument(
        "--external-etcd-endpoint",
        action="append",
        default=[],
        help="endpoint of an external etcd (repeatable)",
    )
    p.add_argument("--cert-validity", type=parse_hours, default=d.cert_validity)
    p.add_argument("--ca-validity", type=parse_hours, default=d.ca_validity)
    p.add_argument("--now", type=parse_time, help="fix the clock (ISO 8601)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:TARGET]",
        help="plant a named defect (repeatable); see --list-faults",
    )
    p.add_argument(
        "--nodes",
        type=int,
        default=1,
        metavar="N",
        help="write an HA set: DIR/cp-1 (init) to DIR/cp-N (joined), one CA set; "
        "needs --control-plane-endpoint",
    )
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.set_defaults(run=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from kexplore.core.faults import FAULTS, HA_FAULTS, FaultError, parse_fault
    from kexplore.core.generate import TargetNotEmpty, generate_tree

    if args.list_faults:
        width = max(len(f.name) for f in (*FAULTS, *HA_FAULTS))
        for fault in (*FAULTS, *HA_FAULTS):
            print(
                f"{fault.name:<{width}}  {fault.description} (default target: "
                f"{fault.default_target})"
            )
        return 0
    if args.dir is None:
        raise UsageError("generate needs a folder: kexplore generate DIR")
    try:
        faults = [parse_fault(text) for text in args.fault]
        params = ClusterParams(
            node_name=args.node_name,
            advertise_address=args.advertise_address,
            bind_port=args.bind_port,
            control_plane_endpoint=args.control_plane_endpoint,
            cluster_name=args.cluster_name,
            dns_domain=args.dns_domain,
            service_subnet=args.service_subnet,
            pod_subnet=args.pod_subnet,
            cert_sans=tuple(args.cert_sans),
            kubernetes_version=args.kubernetes_version,
            key_algorithm=KeyAlgorithm(args.key_algorithm),
            etcd=EtcdMode(args.etcd),
            cert_validity=args.cert_validity,
            ca_validity=args.ca_validity,
            external_etcd_endpoints=tuple(args.external_etcd_endpoint)
            or ClusterParams.external_etcd_endpoints,
        )
        if args.nodes > 1:
            from kexplore.core.generate_ha import generate_ha

            trees = generate_ha(args.dir, params, args.nodes, args.now or now_utc(), faults,
                                args.force)
            written = [f"{node}/{path}" for node, paths in trees.items() for path in paths]
        else:
            written = generate_tree(args.dir, params, args.now or now_utc(), faults, args.force)
    except (FaultError, TargetNotEmpty, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    except OverflowError as exc:
        raise UsageError("--now and the validity run past the year 9999") from exc
    planted = f", faults: {', '.join(map(str, faults))}" if faults else ""
    print(
        f"wrote {len(written)} files to {args.dir} (kubeadm {params.version}, "
        f"{params.key_algorithm.value}, {params.etcd.value} etcd{planted})"
    )
    return 0


# --- the explorer ------------------------------------------------------------------------


def default_root() -> tuple[Path, str]:
    """/etc/kubernetes when this is a control-plane node, else the bundled sample."""
    if DEFAULT_ROOT.is_dir():
        return DEFAULT_ROOT, ""
    note = f"{DEFAULT_ROOT} not found: showing the bundled sample {SAMPLE_ROOT}"
    if _modes_lost(SAMPLE_ROOT / "pki" / "ca.key"):
        note += " (a git checkout keeps no 0600 modes: its file-mode warnings are that)"
    return SAMPLE_ROOT, note


def _modes_lost(key: Path) -> bool:
    try:
        return bool(key.stat().st_mode & 0o077)
    except OSError:
        return False


def run_explorer(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="kexplore",
        description="Explore and check a kubeadm /etc/kubernetes tree. "
        f"Commands: {', '.join(COMMANDS)} (kexplore COMMAND --help).",
    )
    p.add_argument("path", nargs="?", type=Path, help="the tree (default /etc/kubernetes)")
    p.add_argument("more", nargs="*", type=Path, metavar="NODE",
                   help="further nodes' trees: opens the nodes side by side")
    p.add_argument("--now", type=parse_time, help="fix the clock (ISO 8601)")
    p.add_argument("--no-watch", action="store_true", help="do not follow changes on disk")
    p.add_argument("--poll", action="store_true", help="poll instead of inotify (NFS)")
    p.add_argument("--version", action="version", version=f"kexplore {__version__}")
    args = p.parse_args(argv)
    if args.more:
        return _run_side_by_side([args.path, *args.more], args.now)
    root, note = (args.path, "") if args.path else default_root()
    if not root.is_dir():
        raise UsageError(f"cannot read {root}: not a folder")
    from kexplore.ui import preload

    early = preload.start(root, args.now)  # reads the tree while Textual loads
    from kexplore.ui.app import run_app

    return run_app(root, now=args.now, note=note, watch=not args.no_watch, poll=args.poll,
                   preload=early)


def _run_side_by_side(roots: list[Path], now: datetime | None) -> int:
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"cannot read {root}: not a folder")
    from kexplore.ui.compare_app import run_compare_app

    return run_compare_app(roots, now)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kexplore")
    commands = parser.add_subparsers(dest="command", required=True)
    add_generate(commands)
    from kexplore.commands import ADDERS

    for adder in ADDERS:
        adder(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            return int(args.run(args))
        return run_explorer(argv)
    except UsageError as exc:  # a wrong argument, or a root that cannot be read
        print(f"kexplore: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (`| head`) left: say nothing more, and end as a shell would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
