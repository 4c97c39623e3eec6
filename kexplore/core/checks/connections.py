"""Rules about the control plane as it runs: each relation the plane finds broken is an
error on the file where it breaks, with the flag or kubeconfig entry as pointer, naming
both ends, what was expected and found, and what the component will log.

One cause, one finding: a cause that breaks several relations is reported once, and a
cause another rule already names (an expired certificate, a key beside its certificate
that does not match, a SAN kubeadm includes) is left to that rule."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator

from kexplore.core.checks.context import Context
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Finding, Node, Severity
from kexplore.core.paths import tree_path
from kexplore.core.plane import Cause, Reach, RelationKind
from kexplore.core.plane.connections import (
    ADDRESS,
    ALWAYS_ALLOW,
    IDENTITY,
    INSECURE,
    NO_RBAC,
    PEER_PORT,
    PLAIN_HTTP,
    TOKEN,
)
from kexplore.core.plane.judge import CA_RULE, EKU_RULE, NAME_RULE, NOT_MOUNTED, PAIR_RULE
from kexplore.core.plane.kubelet import SERVING_CA_RULE
from kexplore.core.plane.mounts import in_container, missing_at, on_host, pod_paths
from kexplore.core.plane.signing import SA_RULE, SIGNING_RULE
from kexplore.core.records import record

# Findings of these rules give way to a plane finding on the same flag or entry: the plane
# says what the difference breaks, and one cause gets one finding.
SUPERSEDED = frozenset({"kubeconfig-server", "manifest-flag"})


def _causes(ctx: Context, rule: str) -> dict[tuple[str, str, str], tuple[Cause, list[str]]]:
    """Each cause of `rule`, once, with the titles of the relations it breaks."""
    found: dict[tuple[str, str, str], tuple[Cause, list[str]]] = {}
    for relation in ctx.plane.connections:
        for cause in relation.causes:
            if cause.rule != rule:
                continue
            entry = found.setdefault(cause.key, (cause, []))
            if relation.kind is not RelationKind.PAIR:
                entry[1].append(relation.title)
    return found


def _without_echo(message: str, symptom: str) -> str:
    """The message without the error text its symptom ends with too: the peer's words
    ("x509: certificate signed by unknown authority") are said once, in the symptom."""
    at = message.find(": ")
    while at != -1:
        tail = message[at + 2:]
        if len(tail) >= 12 and symptom.endswith(tail):
            return message[:at]
        at = message.find(": ", at + 1)
    return message


def _findings(ctx: Context, rule: str) -> Iterator[Finding]:
    for cause, titles in _causes(ctx, rule).values():
        breaks = f"; breaks {', '.join(dict.fromkeys(titles))}" if titles else ""
        symptom = f" ({cause.symptom})" if cause.symptom else ""
        message = _without_echo(cause.message, cause.symptom)
        yield Finding(rule, Severity.ERROR, cause.path, f"{message}{breaks}{symptom}",
                      pointer=cause.pointer, fix=cause.fix)


def _cause_rule(rule: str, why: str) -> Callable[[Context], Iterator[Finding]]:
    """A rule that reports each cause of `rule` the plane found, once; `why` is its
    docstring, as every rule's says why the relation it holds matters."""

    def check(ctx: Context) -> Iterator[Finding]:
        yield from _findings(ctx, rule)

    check.__name__ = check.__qualname__ = rule.replace("-", "_")
    check.__doc__ = why
    return check


# The rules whose causes the plane finds, each with why it holds.
_CAUSES = (
    (CA_RULE, "A peer verifies with the exact CA file it is configured with; a "
     "certificate signed by another CA of the tree is refused at the handshake all the same."),
    (EKU_RULE, "Go refuses a server certificate without serverAuth and a client one "
     'without clientAuth: "x509: certificate specifies an incompatible key usage".'),
    (NAME_RULE, "A client refuses a server whose certificate does not name the host it "
     "dialled."),
    (PAIR_RULE, "A process loads each cert/key flag pair at start; a key that is not the "
     "cert's own stops it: \"tls: private key does not match public key\"."),
    (IDENTITY, "The server authorizes the identity in the certificate: the Node authorizer "
     "needs system:node:<name> in system:nodes, the front proxy a CN in "
     "--requestheader-allowed-names."),
    (ADDRESS, "An address that does not parse is never dialled: the client fails before TLS."),
    (PLAIN_HTTP, "An http:// server sends credentials and data in clear and verifies "
     "nothing."),
    (INSECURE, "insecure-skip-tls-verify hands the kubeconfig's credentials to whoever "
     "answers."),
    (TOKEN, "kubeadm writes client certificates; a bearer token in a file is a replayable "
     "secret."),
    (ALWAYS_ALLOW, "AlwaysAllow makes every authenticated identity cluster-admin, in every "
     "profile."),
    (NO_RBAC, "kubeadm authorizes the controller manager, the scheduler and its admins with "
     "RBAC bindings; without RBAC nothing grants them anything."),
    (PEER_PORT, "The API server speaks etcd's client protocol; the peer port serves raft "
     "only."),
    (SERVING_CA_RULE, "The kubelet signs its own serving certificate unless "
     "serverTLSBootstrap gets it one from the cluster: an API server told to verify "
     "kubelets (--kubelet-certificate-authority) refuses a self-signed one, and logs, exec "
     "and port-forward fail."),
    (SA_RULE, "Tokens verify only with the public half of the key that signed them."),
    (SIGNING_RULE, "Kubelets' rotated client certs are signed by the controller manager's "
     "signing CA; the API server must trust it, or every node drops out at its next "
     "rotation."),
)
CAUSE_RULES = tuple(_cause_rule(rule, why) for rule, why in _CAUSES)


@record
class PodPath:
    """A path a container's flag names, and what the container finds there."""

    node: Node
    pod: ManifestInfo
    container: Container
    flag: str
    path: str
    reach: Reach
    why: str


def _pod_paths(ctx: Context) -> Iterator[PodPath]:
    for node, pod in ctx.manifests():
        for ref, container in pod_paths(pod):
            r = in_container(ctx.tree, pod, container, ref.path)
            yield PodPath(node, pod, container, f"--{ref.flag}", ref.path, r.reach, r.reason)


def not_mounted(ctx: Context) -> Iterator[Finding]:
    """A container sees only what its volumes mount: a file of the tree that no hostPath
    shows it cannot be opened, and the component does not start."""
    breaks = _causes(ctx, NOT_MOUNTED)
    told: set[tuple[str, str]] = set()
    for ref in _pod_paths(ctx):
        node, flag, path = ref.node, ref.flag, ref.path
        if ref.reach is not Reach.NOT_MOUNTED or tree_path(path) is None:
            continue
        told.add((node.path, flag))
        if on_host(ctx.tree, path).reach is Reach.MISSING:
            continue  # not on the host either: manifest-file-missing says so
        titles = breaks.get((NOT_MOUNTED, node.path, flag), (None, []))[1]
        broken = f"; breaks {', '.join(dict.fromkeys(titles))}" if titles else ""
        yield Finding(
            NOT_MOUNTED, Severity.ERROR, node.path,
            f"{flag} names {path}, which is on the host but not in the container: {ref.why}"
            f"{broken} (open {path}: no such file or directory)",
            pointer=flag,
            fix=f"mount {shlex.quote(path)}'s folder as a hostPath volume, or move the file "
            "under a mounted one",
        )
    yield from _unmounted_in_kubeconfigs(breaks, told)


def _unmounted_in_kubeconfigs(
    breaks: dict[tuple[str, str, str], tuple[Cause, list[str]]], told: set[tuple[str, str]],
) -> Iterator[Finding]:
    """A kubeconfig a component reads may name files too (certificate-authority: a path,
    not data): the container sees them only through its own mounts, which kubeadm makes
    for the kubeconfig file alone."""
    for cause, titles in breaks.values():
        if (cause.path, cause.pointer) in told:
            continue
        # one missing on the host too is kubeconfig-file-missing's, which settle keeps
        broken = f"; breaks {', '.join(dict.fromkeys(titles))}" if titles else ""
        yield Finding(NOT_MOUNTED, Severity.ERROR, cause.path,
                      f"{cause.message}{broken} ({cause.symptom})", pointer=cause.pointer,
                      fix=cause.fix)


def file_missing(ctx: Context) -> Iterator[Finding]:
    """A component whose flag names a missing file crash-loops at start."""
    for ref in _pod_paths(ctx):
        where = missing_at(ctx.tree, ref.pod, ref.container, ref.path)
        if not where or ctx.reported_by_folder(where) or where in ctx.missing_alone:
            continue  # there; or file-missing counts it (alone or under its folder), or unreadable
        yield Finding(
            "manifest-file-missing",
            Severity.ERROR,
            ref.node.path,
            f"{ref.flag} names {ref.path}, which is not there",
            pointer=ref.flag,
            fix=f"restore {shlex.quote(ref.path)} or fix the flag",
        )


RULES = [*CAUSE_RULES, not_mounted, file_missing]
PLANE_RULES = frozenset({*(rule for rule, _ in _CAUSES), NOT_MOUNTED})


def settle(ctx: Context, findings: Iterable[Finding]) -> list[Finding]:
    """One cause, one finding: a plane finding whose cause another rule already reports
    gives way to it; a superseded finding on the very flag or entry of a plane finding
    gives way to the plane's."""
    findings = list(findings)
    covers, also = _cover_index(ctx)
    others = [f for f in findings if f.rule not in PLANE_RULES and f.rule not in SUPERSEDED
              and f.severity is not Severity.INFO]
    at_path = {f.path for f in others}
    at_pointer = {(f.path, f.pointer) for f in others}
    kept_plane = []
    for f in findings:
        if f.rule not in PLANE_RULES:
            continue
        anchors = covers.get((f.rule, f.path, f.pointer), ())
        if any((p in at_path) if ptr is None else ((p, ptr) in at_pointer)
               for p, ptr in anchors):
            continue
        kept_plane.append(f)
    planed = {(f.path, f.pointer) for f in kept_plane}
    planed |= {at for f in kept_plane for at in also.get((f.rule, f.path, f.pointer), ())}
    return [f for f in findings if f.rule not in PLANE_RULES
            and not (f.rule in SUPERSEDED and (f.path, f.pointer) in planed)] + kept_plane


Key = tuple[str, str, str]


def _cover_index(
    ctx: Context,
) -> tuple[dict[Key, tuple[tuple[str, str | None], ...]],
           dict[Key, tuple[tuple[str, str], ...]]]:
    """By cause: where another rule would already name it, and the other flags it spans."""
    covers: dict[Key, tuple[tuple[str, str | None], ...]] = {}
    also: dict[Key, tuple[tuple[str, str], ...]] = {}
    for relation in ctx.plane.connections:
        for cause in relation.causes:
            covers[cause.key] = covers.get(cause.key, ()) + cause.covered_if
            also[cause.key] = also.get(cause.key, ()) + cause.supersedes
    return covers, also
