"""Rules about files as files: can they be read, and who may read them."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from kexplore.core.checks.context import Context, denied, is_archived
from kexplore.core.conventions.certs import SA_KEY, SA_PUB, certs_for
from kexplore.core.conventions.files import DIRECTORY_MODES, expected_mode, is_looser
from kexplore.core.conventions.kubeconfigs import kubeconfigs_for
from kexplore.core.conventions.manifests import static_pods_for
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Finding, Kind, Severity

# Errors that another rule reports better: a referenced file that is not there
# (kubeconfig-file-missing) and dangling contexts (kubeconfig-context).
REPORTED_ELSEWHERE = ("file not found", "names no context")


def parse_error(ctx: Context) -> Iterator[Finding]:
    """A file kubeadm's components read must decode; one that does not stops the component."""
    for node in ctx.tree:
        if node.path in ctx.aliased or denied(node.error):
            continue  # reported on the link that reads as it; unreadable says why
        if node.error and node.kind is not Kind.DIRECTORY:
            yield Finding(
                "parse-error",
                _severity(node.path, node.kind),
                node.path,
                node.error,
                fix=_fix(node.kind),
            )
        elif node.error:
            yield Finding("parse-error", Severity.WARNING, node.path, node.error)
        for problem in _partial_problems(node.content):
            if not any(marker in problem for marker in REPORTED_ELSEWHERE):
                yield Finding(
                    "parse-error",
                    _severity(node.path, node.kind),
                    node.path,
                    problem,
                    pointer=problem.split(":", 1)[0] if ":" in problem else "",
                )


def _partial_problems(content: object) -> tuple[str, ...]:
    if isinstance(content, KubeconfigInfo):
        entries = (("cluster", content.clusters), ("user", content.users))
        return content.problems + tuple(
            f"{kind} {e.name!r}: {error}"
            for kind, group in entries
            for e in group
            for error in e.errors
        )
    if isinstance(content, ManifestInfo):
        return content.problems
    return ()


def _severity(path: str, kind: Kind) -> Severity:
    """An error where kubeadm's components read (whatever stands there instead), a warning
    for a stray file of no consequence to them."""
    if is_archived(path):
        return Severity.WARNING
    if expected_mode(path) is not None:
        return Severity.ERROR
    return Severity.WARNING if kind in (Kind.OTHER, Kind.SPECIAL, Kind.SYMLINK) else Severity.ERROR


def _fix(kind: Kind) -> str:
    return {
        Kind.CERTIFICATE: "restore the certificate from a backup, or reissue it "
        "(kubeadm certs renew <name>)",
        Kind.PRIVATE_KEY: "restore the key from a backup; a new key needs a new certificate",
        Kind.KUBECONFIG: "restore it, or regenerate it (kubeadm init phase kubeconfig <name>)",
        Kind.MANIFEST: "fix the YAML, or regenerate it "
        "(kubeadm init phase control-plane <component>)",
    }.get(kind, "")


RUN_AS_ROOT = "run kexplore as root (sudo), as kubeadm's components run"


def unreadable(ctx: Context) -> Iterator[Finding]:
    """What the user running kexplore may not read is not missing, only unseen: kubeadm
    makes manifests/ 0700 and keys 0600 for root. Said once per folder, with why."""
    for folder in sorted(ctx.unreadable_folders):
        if ctx.unseen(folder):
            continue
        yield Finding(
            "unreadable",
            Severity.WARNING,
            folder,
            f"cannot read {folder}/ (permission denied): nothing in it was checked, "
            "and nothing in it is reported missing",
            fix=RUN_AS_ROOT,
        )
    files: dict[str, list[str]] = {}
    for node in ctx.tree:
        if node.kind is not Kind.DIRECTORY and denied(node.error) and not ctx.unseen(node.path):
            files.setdefault(node.parent, []).append(node.path)
    for folder, paths in sorted(files.items()):
        shown = ", ".join(sorted(paths)[:3]) + (", ..." if len(paths) > 3 else "")
        yield Finding(
            "unreadable",
            Severity.WARNING,
            paths[0] if len(paths) == 1 else folder or ".",
            f"cannot read {_counted(len(paths), 'file')} (permission denied): {shown}; "
            "not checked",
            fix=RUN_AS_ROOT,
        )


def file_mode(ctx: Context) -> Iterator[Finding]:
    """Keys and kubeconfigs are identities: readable by anyone but root, they are stolen."""
    for node in ctx.tree:
        if node.kind in (Kind.DIRECTORY, Kind.SYMLINK, Kind.SPECIAL) or is_archived(node.path):
            continue
        rule = expected_mode(node.path)
        actual = node.mode & 0o777
        if rule and is_looser(actual, rule.mode):
            yield Finding(
                "file-mode",
                Severity.WARNING,
                node.path,
                f"mode is {actual:04o}, looser than kubeadm's {rule.mode:04o}: {rule.why}",
                fix=f"chmod {rule.mode:o} {shlex.quote(node.path)}",
            )


def file_missing(ctx: Context) -> Iterator[Finding]:
    """A file kubeadm writes that is not there: the component that reads it cannot start.
    A whole folder that is not there is one finding, counting what it takes with it."""
    if ctx.withheld("file-missing"):
        return
    by_folder: dict[str, list[str]] = {}
    for path, fix in _expected_files(ctx):
        node = ctx.tree.get(path)
        if not (node is None or node.kind is Kind.DIRECTORY) or ctx.unseen(path):
            continue
        folder = ctx.absent_folder(path)
        if folder is not None and folder not in DIRECTORY_MODES:
            folder = None
        if folder is None and path in ctx.missing_kubeconfigs:
            folder = "."
        if folder is not None:
            by_folder.setdefault(folder, []).append(path)
            continue
        severity = Severity.WARNING if path == "admin.conf" else Severity.ERROR
        yield Finding(
            "file-missing",
            severity,
            path,
            f"{path} is not there; kubeadm writes it on every control-plane node",
            fix=fix,
        )
    for folder, paths in sorted(by_folder.items()):
        yield _folder_missing(ctx, folder, paths)


def _folder_missing(ctx: Context, folder: str, paths: list[str]) -> Finding:
    if folder == ".":
        return _kubeconfigs_missing(ctx, paths)
    inside = folder + "/"
    flags = [r for r in ctx.file_references if r.target.startswith(inside)]
    sources = sorted({r.source for r in flags})
    named = (
        f"; {_counted(len(flags), 'flag')} in {', '.join(sources)} name files in it"
        if flags
        else ""
    )
    return Finding(
        "file-missing",
        Severity.ERROR,
        folder,
        f"{inside} is not there: it should hold {_counted(len(paths), 'file')} kubeadm "
        f"writes{named}",
        fix=f"restore {inside} from a backup, or point kexplore at the whole tree",
    )


def _kubeconfigs_missing(ctx: Context, paths: list[str]) -> Finding:
    flags = [r.source for r in ctx.file_references if r.target in paths]
    named = (
        f", and {_counted(len(flags), 'flag')} in {', '.join(sorted(set(flags)))} name them"
        if flags
        else ""
    )
    return Finding(
        "file-missing",
        Severity.ERROR,
        ".",
        f"{len(paths)} of kubeadm's kubeconfigs are not there ({', '.join(paths)}){named}",
        fix="restore them from a backup, or kubeadm init phase kubeconfig all",
    )


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _expected_files(ctx: Context) -> list[tuple[str, str]]:
    """kubeadm's files for this node, with the command that writes each again. Left out:
    super-admin.conf (the init node's alone, and absent after an upgrade from 1.28) and CA
    keys (absent by design with an external CA). A worker node has only kubelet.conf and
    the cluster CA, and nothing is expected of a tree that is neither."""
    params = ctx.params
    if not ctx.is_control_plane:
        return []
    expected = _expected_certs(ctx) if ctx.certs_here else []
    expected += [
        (spec.file, f"kubeadm init phase kubeconfig {spec.file.removesuffix('.conf')}")
        for spec in kubeconfigs_for(params)
        if spec.file != "super-admin.conf"
    ]
    expected += [
        (
            spec.file,
            "kubeadm init phase etcd local"
            if spec.name == "etcd"
            else f"kubeadm init phase control-plane {spec.name.removeprefix('kube-')}",
        )
        for spec in static_pods_for(params)
    ]
    return expected


def _expected_certs(ctx: Context) -> list[tuple[str, str]]:
    params = ctx.params
    expected = [
        (spec.file, f"kubeadm init phase certs {spec.name}")
        for spec in certs_for(params)
        if spec.file
    ]
    expected += [
        (str(spec.key_file), f"kubeadm init phase certs {spec.name}")
        for spec in certs_for(params)
        if spec.key_file and not spec.is_ca
    ]
    return [*expected, *((key, "kubeadm init phase certs sa") for key in (SA_KEY, SA_PUB))]


RULES = [parse_error, unreadable, file_mode, file_missing]
