"""The command line: one function per command, each a thin face over the core."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kexplore import __version__, helptext
from kexplore.argtypes import (
    as_hours,
    now_utc,
    parse_hours,
    parse_time,
    parse_version,
)
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm
from kexplore.core.records import record
from kexplore.errors import UsageError

if TYPE_CHECKING:
    from kexplore.core.sample import Lesson

DEFAULT_ROOT = Path("/etc/kubernetes")
COMMAND_SUMMARIES = helptext.COMMANDS
COMMANDS = tuple(name for name, _ in COMMAND_SUMMARIES)
# Longer than any CA kubeadm would make (ten years), short of datetime's year 9999.
# etcd's quorum makes more than a handful of control-plane nodes a mistake; 99 is no limit
# anyone meets, and keeps a typo (--nodes 3000) from filling a disk
MAX_NODES = 99


# --- generate ----------------------------------------------------------------------------


def add_generate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = helptext.command_parser(
        commands, "generate",
        "Write the /etc/kubernetes tree `kubeadm init` would write on its first node, "
        "following\nkubeadm's conventions for the version asked, with kubeadm's file modes. "
        "Faults plant\none named defect each, for tests and for learning what kexplore finds.",
        (
            ("kexplore generate /tmp/etc-kubernetes", "the default cluster, valid from now"),
            ("kexplore generate /tmp/k --kubernetes-version v1.31.0 --key-algorithm RSA-4096",
             "another version and key type"),
            ("kexplore generate /tmp/broken --fault cert-expired",
             "a tree with an expired API server certificate"),
            ("kexplore generate --list-faults", "every fault, with its default target"),
        ),
        ((0, "the tree was written (or the faults listed)"),
         (2, "DIR is not empty (see --force), or an argument is wrong")),
        helptext.supported_section(),
    )
    d = ClusterParams()
    p.add_argument("dir", type=Path, nargs="?", help="folder to write into (must be empty)")
    p.add_argument("--node-name", default=d.node_name, help="the node's name")
    p.add_argument("--advertise-address", default=d.advertise_address,
                   help="the API server's address on this node")
    p.add_argument("--bind-port", type=helptext.bounded(int, 1, 65535, "port"),
                   default=d.bind_port, help="the API server's port (1 to 65535)")
    p.add_argument(
        "--control-plane-endpoint",
        default=d.control_plane_endpoint,
        help="host[:port] of a shared endpoint such as a load balancer",
    )
    p.add_argument("--cluster-name", default=d.cluster_name, help="the kubeconfigs' cluster name")
    p.add_argument("--dns-domain", default=d.dns_domain, help="the cluster's DNS domain")
    p.add_argument("--service-subnet", default=d.service_subnet, help="CIDR of service IPs")
    p.add_argument("--pod-subnet", default=d.pod_subnet, help="CIDR of pod IPs")
    p.add_argument(
        "--cert-san",
        action="append",
        default=[],
        dest="cert_sans",
        help="extra API server SAN (repeatable)",
    )
    p.add_argument("--kubernetes-version", type=parse_version, default=d.kubernetes_version,
                   help=f"the version whose conventions to follow ({helptext.SUPPORTED})")
    p.add_argument(
        "--key-algorithm", choices=[a.value for a in KeyAlgorithm], default=d.key_algorithm.value,
        metavar="ALGORITHM",
        help=f"every key's type: {', '.join(a.value for a in KeyAlgorithm)} "
        "(ECDSA is much faster to generate)",
    )
    p.add_argument("--etcd", choices=[m.value for m in EtcdMode], default=d.etcd.value,
                   help="a stacked etcd pod, or an external etcd")
    p.add_argument(
        "--external-etcd-endpoint",
        action="append",
        default=[],
        help="endpoint of an external etcd (repeatable)",
    )
    p.add_argument("--cert-validity", type=parse_hours, default=as_hours(d.cert_validity),
                   help="each leaf certificate's life, in hours (8760h) or days (365d)")
    p.add_argument("--ca-validity", type=parse_hours, default=as_hours(d.ca_validity),
                   help="each CA's life, in hours or days")
    p.add_argument("--now", type=parse_time, metavar="TIME", help=helptext.TIME_HELP)
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
        type=helptext.bounded(int, 1, MAX_NODES, "nodes"),
        default=1,
        metavar="N",
        help="write an HA set: DIR/cp-1 (init) to DIR/cp-N (joined), one CA set; "
        f"needs --control-plane-endpoint (1 to {MAX_NODES})",
    )
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.add_argument(
        "--node-root",
        action="store_true",
        help="write a node's / instead: DIR/etc/kubernetes, DIR/var/lib/kubelet, "
        "DIR/root/.kube/config (node faults need it); with --nodes, one under each DIR/cp-N",
    )
    p.set_defaults(run=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from kexplore.core.faults import (
        FAULTS,
        HA_FAULTS,
        NODE_FAULT_NAMES,
        NODE_FAULTS,
        FaultError,
        parse_fault,
    )
    from kexplore.core.generate import TargetNotEmpty, generate_tree

    if args.list_faults:
        listed = (*FAULTS, *HA_FAULTS, *NODE_FAULTS)
        width = max(len(f.name) for f in listed)
        for fault in listed:
            node = " (with --node-root)" if fault.name in NODE_FAULT_NAMES else ""
            print(
                f"{fault.name:<{width}}  {fault.description} (default target: "
                f"{fault.default_target}){node}"
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
        if args.node_root and args.nodes > 1:
            from kexplore.core.generate_ha import generate_ha

            trees = generate_ha(args.dir, params, args.nodes, args.now or now_utc(), faults,
                                args.force, node_root=True)
            written = [f"{node}/{path}" for node, paths in trees.items() for path in paths]
        elif args.node_root:
            from kexplore.core.generate_node import generate_node_root

            written = generate_node_root(args.dir, params, args.now or now_utc(), faults,
                                         args.force)
        elif node_faults := [f for f in faults if f.name in NODE_FAULT_NAMES]:
            raise FaultError(f"{node_faults[0].name} is planted outside the tree: "
                             "add --node-root")
        elif args.nodes > 1:
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


@record
class Target:
    """The tree the explorer opens, what the header says about it, and the demo's lessons."""

    root: Path
    note: str = ""
    lessons: tuple[Lesson, ...] = ()


def default_root(now: datetime | None = None, *, demo: bool = False) -> Target:
    """/etc/kubernetes on a control-plane node; elsewhere (or with --demo) a sample made
    fresh by the generator in the cache, valid at `now`."""
    if DEFAULT_ROOT.is_dir() and not demo:
        return Target(DEFAULT_ROOT)
    from kexplore.core.sample import ensure_sample

    try:
        sample = ensure_sample(now or now_utc(), demo=demo)
    except OSError as exc:
        raise UsageError(f"cannot make the sample tree: {exc.strerror or exc}") from exc
    except OverflowError as exc:  # --now near year 1 or 9999: no certificate can span it
        raise UsageError("no sample can be valid at that --now: its certificates would run "
                         "past the years 1 to 9999; give a PATH") from exc
    from kexplore.core.names import printable

    where = printable(str(sample.root))  # $XDG_CACHE_HOME is the user's to name
    if demo:
        note = (f"demo: a sample with {len(sample.lessons)} planted faults, made in "
                f"{where}; the overview says what each teaches. "
                "kexplore PATH opens a real tree")
    else:
        note = (f"sample: no {DEFAULT_ROOT} here, so kexplore made one in {where}; "
                "kexplore PATH opens a real tree, kexplore --demo one with faults")
    return Target(sample.root, note, sample.lessons)


def explorer_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kexplore",
        formatter_class=helptext.Formatter,
        description="Explore and check a kubeadm /etc/kubernetes tree, in a terminal, "
        "read-only.\n\ncommands (kexplore COMMAND --help):\n"
        + "\n".join(f"  {name:<9} {summary}" for name, summary in COMMAND_SUMMARIES),
        epilog=helptext.epilog(
            (
                ("kexplore", "/etc/kubernetes, or a healthy sample where there is none"),
                ("kexplore --demo", "a sample with planted faults: the way to learn the tool"),
                ("kexplore /srv/backup/etc-kubernetes", "any copy of the tree"),
                ("kexplore /mnt/cp-1 /mnt/cp-2 /mnt/cp-3", "the nodes of one cluster side by side"),
                ("kexplore check /etc/kubernetes", "the findings as text, for scripts and CI"),
            ),
            ((0, "quit normally"), (2, "PATH cannot be read, or an argument is wrong")),
            "keys: ? in the explorer lists the keys of the focused view; ctrl+p searches "
            "files, rules and commands",
            helptext.supported_section(),
        ),
    )
    p.add_argument("path", nargs="?", type=Path,
                   help="the tree (default: /etc/kubernetes, else a sample made in the cache)")
    p.add_argument("more", nargs="*", type=Path, metavar="NODE",
                   help="further nodes' trees: opens the nodes side by side")
    p.add_argument("--demo", action="store_true",
                   help="open a sample with one planted fault of each kind, each explained")
    p.add_argument("--now", type=parse_time, metavar="TIME", help=helptext.TIME_HELP)
    p.add_argument("--no-watch", action="store_true", help="do not follow changes on disk")
    p.add_argument("--poll", action="store_true",
                   help="poll instead of inotify (NFS, some container mounts)")
    p.add_argument("--version", action="version", version=f"kexplore {__version__}")
    from kexplore.commands import add_node_args

    add_node_args(p)
    return p


def explorer_target(args: argparse.Namespace) -> Target:
    if args.demo and args.path:
        raise UsageError("--demo makes its own tree: give it no PATH")
    target = Target(args.path) if args.path else default_root(args.now, demo=args.demo)
    if not target.root.is_dir():
        raise UsageError(f"cannot read {target.root}: not a folder")
    return target


def run_explorer(argv: Sequence[str]) -> int:
    args = explorer_parser().parse_args(argv)
    if args.more:
        if args.demo:
            raise UsageError("--demo makes one tree: give it no NODE")
        return _run_side_by_side([args.path, *args.more], args.now)
    target = explorer_target(args)
    from kexplore.commands import node_sources
    from kexplore.ui import preload

    sources = node_sources(args, target.root)
    early = preload.start(target.root, args.now, sources)  # reads the tree while Textual loads
    from kexplore.ui.app import run_app

    return run_app(target.root, now=args.now, note=target.note, watch=not args.no_watch,
                   poll=args.poll, preload=early, lessons=target.lessons, node_sources=sources)


def _run_side_by_side(roots: list[Path], now: datetime | None) -> int:
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"cannot read {root}: not a folder")
    from kexplore.ui.compare_app import run_compare_app

    return run_compare_app(roots, now)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or with `only` that command's alone: a command needs only its
    own arguments and help, and building the others' (their defaults, their help texts) is
    start-up time every `kexplore check` would pay. A word that names no command gets them
    all, and argparse's own message."""
    parser = argparse.ArgumentParser(prog="kexplore", formatter_class=helptext.Formatter)
    commands = parser.add_subparsers(dest="command", required=True)
    from kexplore.commands import ADDERS

    adders = {"generate": add_generate, **ADDERS}
    for name, adder in adders.items():
        if only in (None, name) or only not in adders:
            adder(commands)
    return parser


def _run_command(argv: list[str]) -> int:
    """Parse and run a headless command. Parsing imports the command's modules: thousands
    of objects that live as long as the process, and no garbage. The cyclic collector
    would walk them again and again (a tenth of `check`'s start-up), so it rests while they
    are made, and then leaves them out (gc.freeze) while the command's own work runs."""
    gc.disable()
    try:
        args = build_parser(argv[0]).parse_args(argv)
    finally:
        gc.enable()
    gc.freeze()
    try:
        return int(args.run(args))
    finally:
        gc.unfreeze()  # a caller that runs on (a test) collects them again


def _is_a_command_word(word: str) -> bool:
    """A first word that is no option and no path the explorer could open: a command,
    mistyped (`kexplore cert /etc/kubernetes`)."""
    return not word.startswith("-") and "/" not in word and not Path(word).exists()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return _run_command(argv)
        if argv and _is_a_command_word(argv[0]):
            raise UsageError(helptext.unknown_command(argv[0], COMMANDS))
        return run_explorer(argv)
    except UsageError as exc:  # a wrong argument, or a root that cannot be read
        from kexplore.core.names import printable

        print(f"kexplore: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (`| head`) left: say nothing more, and end as a shell would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
