"""Rules about files as files: can they be read, and who may read them."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from kexplore.core.checks.context import Context, denied, is_archived, is_kubeadm_file
from kexplore.core.conventions.certs import SA_KEY, SA_PUB, certs_for
from kexplore.core.conventions.files import DIRECTORY_MODES, expected_mode, is_looser
from kexplore.core.conventions.kubeconfigs import kubeconfigs_for
from kexplore.core.conventions.manifests import (
    STATIC_PODS_BY_FILE,
    manifest_file,
    static_pods_for,
)
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Finding, Kind, Node, Severity
from kexplore.core.plane.pods import MAX_MANIFEST_BYTES
from kexplore.core.secret_files import Holds, SecretFile, secret_files

# Errors that another rule reports better: a referenced file that is not there
# (kubeconfig-file-missing) and dangling contexts (kubeconfig-context).
REPORTED_ELSEWHERE = ("file not found", "names no context")
# How the scanner says a file is over its read cap (read/scan.py).
OVER_READ_CAP = "file is larger than"


def parse_error(ctx: Context) -> Iterator[Finding]:
    """A file kubeadm's components read must decode; one that does not stops the component."""
    read = {ref.target for ref in ctx.file_references}
    for node in ctx.tree:
        if node.path in ctx.aliased or denied(node.error):
            continue  # reported on the link that reads as it; unreadable says why
        if _read_by_kubelet(node.path) and (
            node.kind is Kind.SPECIAL or node.size > MAX_MANIFEST_BYTES
        ):
            continue  # pod-ignored says what the kubelet makes of it
        if node.error and _read_by_kubelet(node.path) and OVER_READ_CAP in node.error:
            # kexplore's cap, not the kubelet's: the pod runs, only unchecked
            yield Finding(
                "parse-error", Severity.WARNING, node.path,
                f"{node.error}: the kubelet reads a manifest up to {MAX_MANIFEST_BYTES >> 20} "
                "MiB and runs this one, unchecked here",
                fix="move the bulk (a long comment, an embedded file) out of the manifest")
        elif node.error and node.kind is not Kind.DIRECTORY:
            yield Finding(
                "parse-error",
                _severity(node.path, node.path in read),
                node.path,
                node.error + _broken_pair(ctx, node),
                fix=_fix(node.kind),
            )
        elif node.error:
            yield Finding("parse-error", Severity.WARNING, node.path, node.error)
        if _read_by_kubelet(node.path) and isinstance(node.content, ManifestInfo):
            continue  # the kubelet's decoder and validation say it (checks/pods)
        for problem in _partial_problems(node.content):
            if not any(marker in problem for marker in REPORTED_ELSEWHERE):
                yield Finding(
                    "parse-error",
                    _severity(node.path, node.path in read),
                    node.path,
                    problem,
                    pointer=problem.split(":", 1)[0] if ":" in problem else "",
                )


def _empty_key(node: Node) -> bool:
    """A key file (by its name) with no byte in it: no secret, a broken pair."""
    return node.kind is Kind.PRIVATE_KEY and node.size == 0 and not denied(node.error)


def _broken_pair(ctx: Context, node: Node) -> str:
    """What an empty key file breaks: the pair of the certificate beside it, for each
    component whose flag opens it."""
    if not _empty_key(node):
        return ""
    stem = node.path.removesuffix(".key")
    partner = next((p for p in (stem + ".crt", stem + ".pub")
                    if node.path.endswith(".key") and ctx.tree.get(p) is not None), "")
    if not partner:
        return ": a private key file with no key in it"
    opened = ctx.plane.opened_by(node.path)
    users = " and ".join(f"{name} ({use.pointer})" for name, use in opened)
    verb = "do not start" if len(opened) > 1 else "does not start"
    loads = f"; {users} cannot load it and {verb}" if users else ""
    return f": the private key of {partner} is gone, so the pair is broken{loads}"


def _read_by_kubelet(path: str) -> bool:
    folder, _, name = path.partition("/")
    return folder == "manifests" and "/" not in name and not name.startswith(".")


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


def _severity(path: str, read: bool) -> Severity:
    """An error where a component reads: kubeadm's own files, the files a flag or a
    kubeconfig names, and every manifest the kubelet runs (whatever stands there instead).
    A warning for a stray file no component opens, an empty notes.conf or a pki/old.crt:
    it stops nothing."""
    if is_archived(path):
        return Severity.WARNING
    if read or is_kubeadm_file(path) or _read_by_kubelet(path):
        return Severity.ERROR
    return Severity.WARNING


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
    """Keys and credentials are identities: readable by anyone but root, they are stolen.
    Which files are secret is read from their content (secret_files), so a key is held to
    0600 under any name and in any folder, backups included. A file with no secret is held
    to the mode kubeadm gives it, and its severity is what a looser mode exposes."""
    secrets = secret_files(ctx.tree)
    for secret in secrets:
        finding = _secret_mode(secret)
        if finding is not None:
            yield finding
    secret_paths = {s.path for s in secrets}
    for node in ctx.tree:
        if node.path in secret_paths or node.reads_as or is_archived(node.path) or node.kind in (
                Kind.DIRECTORY, Kind.SYMLINK, Kind.SPECIAL) or _empty_key(node):
            continue  # it exposes nothing: parse-error says which pair it breaks
        rule = expected_mode(node.path)
        actual = node.mode & 0o777
        if rule and is_looser(actual, rule.mode):
            # secrets were held to 0600 above, so a file read here holds none; one that
            # could not be read may, and keeps the rule's own why
            why = rule.why if denied(node.error) else rule.why_without_secret or rule.why
            yield Finding(
                "file-mode",
                _public_severity(node.path, actual),
                node.path,
                f"mode is {actual:04o}, looser than kubeadm's {rule.mode:04o}: {why}",
                fix=f"chmod {rule.mode:o} {shlex.quote(node.path)}",
            )


SECRET_MODE = 0o600


def _secret_mode(secret: SecretFile) -> Finding | None:
    actual = secret.node.mode & 0o777
    loose = actual & ~SECRET_MODE
    if not loose:
        return None
    others = loose & 0o077
    if secret.holds is Holds.SIGNING_KEY:
        severity = Severity.ERROR if others else Severity.INFO
        why = ("whoever can read or replace it can sign certificates or tokens for the whole "
               "cluster" if others else "only the owner's execute bit: harmless")
    elif actual & 0o004 and secret.holds is Holds.ENCRYPTION_KEYS:
        severity, why = (Severity.ERROR, "every local user can read it, and with it every "
                         "Secret of an etcd snapshot")
    elif actual & 0o004:
        severity, why = Severity.ERROR, "every local user can read it and act as this identity"
    elif others:
        severity, why = Severity.WARNING, "users other than its owner can read or replace it"
    else:
        severity, why = Severity.INFO, "only the owner's execute bit: harmless"
    return Finding(
        "file-mode",
        severity,
        secret.path,
        f"mode is {actual:04o}, looser than {SECRET_MODE:04o}: it holds "
        f"{secret.holds.value}; {why}",
        fix=f"chmod {SECRET_MODE:o} {shlex.quote(secret.path)}",
    )


def _public_severity(path: str, actual: int) -> Severity:
    """A file with no secret: writable by others is the harm (a static pod runs as root; a
    replaced certificate changes whom a component trusts); readable by others is not."""
    writable = bool(actual & 0o022)
    if path.startswith(MANIFESTS_FOLDER + "/"):
        return Severity.ERROR if writable else Severity.WARNING
    return Severity.WARNING if writable else Severity.INFO


MANIFESTS_FOLDER = "manifests"


def dir_mode(ctx: Context) -> Iterator[Finding]:
    """A folder of keys, certificates or static pods that others may write to hands them
    the cluster: they can swap a key or a CA, or drop in a static pod the kubelet runs as
    root. kubeadm's folders, and every live folder that holds a secret, are held to it."""
    folders = set(DIRECTORY_MODES) | {
        s.node.parent for s in secret_files(ctx.tree)
        if s.node.parent and not is_archived(s.path)
    }
    for path in sorted(folders):
        node = ctx.tree.get(path)
        if node is None or node.kind is not Kind.DIRECTORY or node.uid < 0:
            continue
        writable = node.mode & 0o022
        if not writable:
            continue
        who = " and ".join(w for w, bit in (("its group", 0o020), ("every user", 0o002))
                           if writable & bit)
        harm = ("plant a static pod, which the kubelet runs as root"
                if path == MANIFESTS_FOLDER else "replace the keys and certificates in it")
        yield Finding(
            "dir-mode",
            Severity.ERROR,
            path,
            f"folder mode is {node.mode & 0o7777:04o}: {who} can write to it, and so {harm}",
            fix=f"chmod go-w {shlex.quote(path)}",
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
        elsewhere = _pod_runs_from(ctx, path)
        if elsewhere:
            yield Finding(
                "file-missing",
                Severity.WARNING,
                path,
                f"{path} is not there; its pod is in {elsewhere}, which the kubelet reads "
                f"alike but kubeadm does not know: kubeadm upgrade moves {path} aside "
                "before writing the new one, and fails without it",
                fix=f"rename {elsewhere} to {path}",
            )
            continue
        severity = Severity.WARNING if path == "admin.conf" else Severity.ERROR
        yield Finding(
            "file-missing",
            severity,
            path,
            f"{path} is not there; kubeadm writes it on every control-plane node"
            f"{_what_needs(ctx, path)}",
            fix=fix,
        )
    for folder, paths in sorted(by_folder.items()):
        yield _folder_missing(ctx, folder, paths)


def missing_alone(ctx: Context) -> frozenset[str]:
    """kubeadm's files file-missing reports one by one: the flags that name one and the
    certificates it should verify give way to that one finding."""
    if ctx.withheld("file-missing"):
        return frozenset()
    return frozenset(
        path for path, _ in _expected_files(ctx)
        if (ctx.tree.get(path) is None or ctx.tree.nodes[path].kind is Kind.DIRECTORY)
        and not ctx.reported_by_folder(path) and not _pod_runs_from(ctx, path)
    )


def _what_needs(ctx: Context, path: str) -> str:
    """What else a missing file takes with it: the flags that name it, the certificates
    of the tree it would verify."""
    flags = [r for r in ctx.file_references if r.target == path]
    sources = sorted({r.source for r in flags})
    verb = "names" if len(flags) == 1 else "name"
    named = f"; {_counted(len(flags), 'flag')} in {', '.join(sources)} {verb} it" if flags else ""
    spec = ctx.cert_spec(path)
    signed = [at for at in ctx.certs if spec is not None and spec.is_ca and at.spec
              and at.spec.ca == spec.name and not at.archived]
    unverified = (f"; {_counted(len(signed), 'certificate')} it signed cannot be verified"
                  if signed else "")
    return named + unverified


def _pod_runs_from(ctx: Context, path: str) -> str:
    """The other file in manifests/ that holds kubeadm's pod (a .json or .yml standing in
    for kube-controller-manager.yaml, read or not; else any file the kubelet runs the pod
    from), when `path` is a static pod kubeadm writes."""
    spec = STATIC_PODS_BY_FILE.get(path)
    if spec is None:
        return ""
    stand_in = manifest_file(spec, lambda p: ctx.tree.get(p) is not None)
    if stand_in != path:
        return stand_in
    return next((e.path for e in ctx.kubelet.entries
                 if e.runs and e.key == f"kube-system/{spec.name}"), "")


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


RULES = [parse_error, unreadable, file_mode, dir_mode, file_missing]
