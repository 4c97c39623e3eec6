"""Which static pods the kubelet will run: its file source, decoder and validation, applied
to the tree's manifests/ folder as the kubelet reads it.

The kubelet (pkg/kubelet/config/file.go) lists every entry of its static pod folder whose
name does not start with a dot, whatever the extension, sorted; it follows symlinks, never
enters a subfolder, and reads the first YAML document of each file. Pods are keyed by
namespace/name, so of two files defining one pod the later name wins. Each file then goes
through the decoder (pods_decode), the API server's validation and the kubelet's own
checks (pods_validate), and what would start and then fail (pods_runtime).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Kind, Link, Node, Severity, Tree
from kexplore.core.params import Inferred
from kexplore.core.plane.pods_problem import PodProblem
from kexplore.core.records import record

MANIFESTS = "manifests"
# The kubelet's read cap for one manifest (maxConfigLength in pkg/kubelet/config/common.go).
MAX_MANIFEST_BYTES = 10 << 20
# Names an editor, a package manager or an operator leaves beside a file: the kubelet runs
# them all the same.
BACKUP_NAME = re.compile(
    r"(\.(bak|orig|old|save|backup|prev|dist|swp|tmp|dpkg-\w+|rpm\w+)|[-_.~]bak|~|#)$"
    r"|\.(ya?ml|json)[-_.]"
)

__all__ = ["MANIFESTS", "KubeletPods", "PodProblem", "StaticPod", "for_tree", "kubelet_pods"]


@record
class StaticPod:
    """One entry of the static pod folder and the kubelet's verdict on it."""

    path: str
    pod: ManifestInfo | None  # None: the file did not decode at all (parse-error says why)
    key: str  # namespace/name as the kubelet keys it; "" when it cannot
    runs: bool  # whether the kubelet runs this file's pod
    problems: tuple[PodProblem, ...]


@record
class KubeletPods:
    """Every entry of the static pod folder, in the kubelet's order."""

    entries: tuple[StaticPod, ...]

    def get(self, path: str) -> StaticPod | None:
        return next((e for e in self.entries if e.path == path), None)

    @property
    def problems(self) -> tuple[PodProblem, ...]:
        return tuple(p for e in self.entries for p in e.problems)


def for_tree(tree: Tree, inferred: Inferred) -> KubeletPods:
    """The kubelet's reading for the tree's own version and node (unknown: no suffix)."""
    from kexplore.core.conventions.manifests import STATIC_PODS, manifest_file

    params = inferred.expected_params
    node = params.node_name if "node_name" in inferred.sources else ""
    # kubeadm's pods where the tree holds them: a .json standing in for a .yaml too
    kubeadm = {manifest_file(s, lambda p: tree.get(p) is not None): s.name for s in STATIC_PODS}
    return kubelet_pods(tree, params.version.minor, node, kubeadm)


def folder_entries(tree: Tree) -> list[Node]:
    """What the kubelet's glob `[^.]*` lists in manifests/, sorted as Go sorts strings."""
    prefix = MANIFESTS + "/"
    found = [
        n for n in tree
        if n.path.startswith(prefix) and "/" not in n.path[len(prefix):]
        and not n.name.startswith(".")
    ]
    return sorted(found, key=lambda n: n.path.encode("utf-8", "surrogateescape"))


def pod_key(pod: ManifestInfo) -> str:
    """namespace/name, as the kubelet's file source keys a pod; "" for a pod with no name."""
    return f"{pod.namespace or 'default'}/{pod.name}" if pod.name else ""


def shadowed(tree: Tree) -> frozenset[str]:
    """The manifests whose pod a later name in manifests/ replaces: the kubelet keeps one
    pod per namespace/name, the later file's (kube-apiserver.yaml.bak's over
    kube-apiserver.yaml's)."""
    winners: dict[str, str] = {}
    named: list[tuple[str, str]] = []
    for node in folder_entries(tree):
        key = pod_key(node.content) if isinstance(node.content, ManifestInfo) else ""
        if key:
            winners[key] = node.path
            named.append((key, node.path))
    return frozenset(path for key, path in named if winners[key] != path)


def kubelet_pods(
    tree: Tree, minor: int, node_name: str, kubeadm_files: Mapping[str, str] | None = None
) -> KubeletPods:
    """The kubelet's reading of manifests/ for a kubelet of this minor on this node;
    `kubeadm_files` names the pod kubeadm wrote in each of its files."""
    kubeadm_files = kubeadm_files or {}
    from kexplore.core.plane.pods_decode import decode_problems
    from kexplore.core.plane.pods_runtime import runtime_problems
    from kexplore.core.plane.pods_validate import validation_problems

    entries: list[StaticPod] = []
    for node in folder_entries(tree):
        skipped = _skipped(tree, node)
        if skipped is not None:
            entries.append(StaticPod(node.path, None, "", False, (skipped,)))
            continue
        pod = node.content if isinstance(node.content, ManifestInfo) else None
        if pod is None:
            entries.append(StaticPod(node.path, None, "", False, ()))
            continue
        problems = decode_problems(node.path, pod, minor)
        # a file the decoder refuses is never validated; one it reads is validated whole
        if not any(p.rule == "pod-decode-error" for p in problems):
            problems += validation_problems(node.path, pod, minor, node_name)
        refused = any(p.severity is Severity.ERROR for p in problems)
        if not refused:
            problems += runtime_problems(node.path, pod, node_name,
                                         kubeadm_files.get(node.path, ""))
        key = pod_key(pod)
        entries.append(StaticPod(node.path, pod, key, not refused, tuple(_unique(problems))))
    return KubeletPods(tuple(_with_listen_clashes(
        _with_file_source(entries, frozenset(kubeadm_files)))))


def _with_listen_clashes(entries: list[StaticPod]) -> list[StaticPod]:
    """Two running pods on the host network that open one socket: one of them cannot. A
    copy left beside its original clashes with it too; the copy is the one cause there."""
    from kexplore.core.plane.pods_listen import listen_clashes, listening, one_edit

    copies = ("pod-duplicate", "pod-backup-file", "pod-host-port")
    running = [listening(e.path, e.key, e.pod) for e in entries
               if e.runs and e.pod is not None and not any(p.rule in copies for p in e.problems)]
    out = list(entries)
    for problem in listen_clashes(running):
        i = next(i for i, e in enumerate(out) if e.path == problem.path)
        # one cause, one finding: the probes left on the port the flag was moved from
        probe = next((p for p in out[i].problems if p.rule == "pod-probe"
                      and p.pointer.endswith(".httpGet")), None)
        pod = next(r for r in running if r.path == problem.path)
        merged = one_edit(problem, probe, pod, running) if probe is not None else None
        if merged is not None and probe is not None:
            out[i] = replace(out[i], problems=tuple(p for p in out[i].problems if p != probe))
            problem = merged
        out[i] = _add(out[i], problem)
    return out


def _skipped(tree: Tree, node: Node) -> PodProblem | None:
    """An entry the kubelet lists but never reads as a pod."""
    if node.kind is Kind.DIRECTORY or (
        isinstance(node.content, Link) and node.content.target_is_dir
    ):
        inside = sum(1 for n in tree if n.path.startswith(node.path + "/"))
        what = f"holds {inside} entr{'y' if inside == 1 else 'ies'}" if inside else "is empty"
        return PodProblem(
            "pod-ignored", Severity.WARNING, node.path, "",
            f"a folder in the static pod folder ({what}): the kubelet does not enter "
            "subfolders, so no pod in it runs",
            fix="move the manifests up into manifests/, or out of it",
        )
    if node.kind is Kind.SPECIAL:
        return PodProblem(
            "pod-ignored", Severity.WARNING, node.path, "",
            "not a regular file: the kubelet logs \"Manifest path is not a directory or file\" "
            "and runs nothing from it",
        )
    if node.size > MAX_MANIFEST_BYTES:
        return PodProblem(
            "pod-ignored", Severity.ERROR, node.path, "",
            f"{node.size} bytes: the kubelet reads at most {MAX_MANIFEST_BYTES} bytes of a "
            "manifest and refuses this one",
        )
    return None


def _unique(problems: list[PodProblem]) -> list[PodProblem]:
    """One finding per rule and place: the schema and the hand-written checks can meet."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.rule, p.pointer) not in seen:
            seen.add((p.rule, p.pointer))
            out.append(p)
    return out


def _with_file_source(entries: list[StaticPod], kubeadm_files: frozenset[str]) -> list[StaticPod]:
    """Two files, one pod: the kubelet keeps the later name. A backup-named file that is a
    pod of its own runs beside the original."""
    groups: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        if entry.runs and entry.key:
            groups.setdefault(entry.key, []).append(i)
    out = list(entries)
    for key, members in groups.items():
        paths = [entries[i].path for i in members]
        primary = next((p for p in paths if p in kubeadm_files), paths[0])
        winner = paths[-1]
        for i in members:
            entry = entries[i]
            if entry.path == primary:
                continue
            others = ", ".join(p for p in paths if p != entry.path)
            verdict = (
                "as the later name it is the one that runs, and edits to the others are "
                "ignored" if entry.path == winner
                else f"the kubelet runs {winner}, the later name, instead"
            )
            out[i] = _add(entry, PodProblem(
                "pod-duplicate", Severity.ERROR, entry.path, "metadata.name",
                f"defines pod {key}, as {others} does: the kubelet keeps one pod per name; "
                f"{verdict}",
                fix=f"move {entry.path} out of manifests/ (the kubelet reads every file there)",
                line=entry.pod.line_of("metadata.name") if entry.pod else None,
                field="metadata.name",
            ))
        for i in members:
            if entries[i].path != winner:
                out[i] = replace(out[i], runs=False)
    taken: dict[tuple[str, str, int], StaticPod] = {}
    for i, entry in enumerate(out):
        if not entry.runs or entry.pod is None:
            continue
        clash = next(((port, taken[port]) for port in host_ports(entry.pod) if port in taken),
                     None)
        for port in host_ports(entry.pod):
            taken.setdefault(port, entry)
        name = entry.path.rsplit("/", 1)[-1]
        shared = (f"; it takes host port {'/'.join(map(str, clash[0]))} as {clash[1].path} does, "
                  "so the kubelet refuses one of the two at admission") if clash else ""
        if any(p.rule == "pod-duplicate" for p in entry.problems):
            continue  # the one cause: the copy
        if entry.path not in kubeadm_files and BACKUP_NAME.search(name):
            out[i] = _add(entry, PodProblem(
                "pod-backup-file", Severity.ERROR, entry.path, "",
                f"{name} looks like a backup, but the kubelet runs every file in manifests/ "
                f"whatever its name: it runs pod {entry.key} from it{shared}",
                fix=f"move {entry.path} out of manifests/",
            ))
        elif clash:
            out[i] = _add(entry, PodProblem(
                "pod-host-port", Severity.ERROR, entry.path, "",
                f"pod {entry.key} takes host port {'/'.join(map(str, clash[0]))}, as "
                f"{clash[1].key} in {clash[1].path} does: on the host network two pods "
                "cannot share a port, and the kubelet refuses one of the two at admission",
                fix="give one of the two another port",
            ))
    return out


def host_ports(pod: ManifestInfo) -> list[tuple[str, str, int]]:
    """(protocol, host IP, port) a pod takes on the node: on the host network a
    containerPort is a host port (the API's defaulting sets hostPort to it)."""
    found = []
    for c in (*pod.init_containers, *pod.containers):
        for p in c.ports:
            port = p.host_port or (p.container_port if pod.host_network else None)
            if port:
                found.append((p.protocol or "TCP", "", port))
    return found


def _add(entry: StaticPod, problem: PodProblem) -> StaticPod:
    return replace(entry, problems=(*entry.problems, problem))
