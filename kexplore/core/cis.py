"""CIS Kubernetes Benchmark (v1.12) control-plane checks, decided from the files alone.

Where kube-bench greps `ps` output, this reads the manifests the way the components parse
their command lines: `--a=b` and `--a b` for a flag that takes a value, a boolean flag that
never swallows the next item, repeated scalar flags where the last wins, list flags that
append, feature gates that merge, and each component's default when a flag is absent.
Modes compare as "at least as strict", owners as numeric 0:0. What the files cannot show (a
host path outside /etc/kubernetes, CNI state) is `not-applicable` with the reason, never a
fail; so is a check whose file is missing, which the kubeadm profile reports on its own.

Manual checks never fail (as in the benchmark): they pass when the files show compliance,
and are `manual` otherwise, with the reason saying what to review.
"""

from __future__ import annotations

import ipaddress
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field, replace
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit

from kexplore.core.cis_data import (
    BENCHMARK,
    CHECKS,
    STRONG_CIPHERS,
    CisCheck,
)
from kexplore.core.conventions.manifests import (
    ETCD_DATA_DIR,
    K8S_DIR,
    STAND_IN_SUFFIXES,
    STATIC_PODS_BY_NAME,
    manifest_file,
)
from kexplore.core.manifest import Container, Flag, ManifestInfo
from kexplore.core.model import Finding, Kind, Node, Severity, Tree
from kexplore.core.paths import tree_path
from kexplore.core.pki import CertInfo, DecodeError
from kexplore.core.plane.mounts import Reach, Resolved, container_host_path, in_container
from kexplore.core.read.safeio import read_regular_file
from kexplore.core.read.scan import follow
from kexplore.core.read.yamlio import load_yaml
from kexplore.core.records import record
from kexplore.core.secret_files import Holds, secret_files

Result = Literal["pass", "fail", "manual", "not-applicable"]
PASS: Result = "pass"
FAIL: Result = "fail"
MANUAL: Result = "manual"
NOT_APPLICABLE: Result = "not-applicable"
RESULTS: tuple[Result, ...] = (PASS, FAIL, MANUAL, NOT_APPLICABLE)

PROFILE = "cis"
# An unmet check is a warning: CIS asks for more than kubeadm gives by design (reference
# §1.5), and a stock tree must not fail `kexplore check`. These few are errors because
# failing them leaves the cluster or its database open to anyone who can reach it.
ERROR_CHECKS = frozenset({"1.2.6", "2.1", "2.2", "2.4", "2.5"})

_READ_CAP = 1 << 20
_NA_FILES = "not applicable from files: "


@record
class CisResult:
    """One benchmark check, evaluated."""

    id: str
    title: str
    section: str
    automated: bool
    result: Result
    reason: str
    remediation: str
    path: str = ""
    pointer: str = ""

    @property
    def rule(self) -> str:
        return f"cis-{self.id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "title": self.title,
            "section": self.section,
            "automated": self.automated,
            "result": self.result,
            "reason": self.reason,
            "remediation": self.remediation,
            "path": self.path,
            "pointer": self.pointer,
        }


@record
class _Outcome:
    result: Result
    reason: str
    path: str = ""
    pointer: str = ""


def _pass(reason: str, path: str = "", pointer: str = "") -> _Outcome:
    return _Outcome(PASS, reason, path, pointer)


def _fail(reason: str, path: str = "", pointer: str = "") -> _Outcome:
    return _Outcome(FAIL, reason, path, pointer)


def _na(reason: str, path: str = "", pointer: str = "") -> _Outcome:
    return _Outcome(NOT_APPLICABLE, reason, path, pointer)


# --- component facts: defaults of absent flags -----------------------------------------

# Go's strconv.ParseBool, which pflag and etcd's flag package both use.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})

# Admission plugins kube-apiserver enables when --enable-admission-plugins does not name
# them (k8s.io/kubernetes pkg/kubeapiserver/options/plugins.go, DefaultOffAdmissionPlugins'
# complement). Only membership matters here: the checks ask about ServiceAccount and
# NamespaceLifecycle being on, and NodeRestriction/AlwaysAdmit/... being off by default.
DEFAULT_ON_ADMISSION = frozenset(
    {
        "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "TaintNodesByCondition",
        "PodSecurity", "Priority", "DefaultTolerationSeconds", "DefaultStorageClass",
        "StorageObjectInUseProtection", "PersistentVolumeClaimResize", "RuntimeClass",
        "CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest",
        "CertificateSubjectRestriction", "DefaultIngressClass", "MutatingAdmissionPolicy",
        "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook",
        "ResourceQuota",
    }
)
# Without --authorization-mode or --authorization-config, kube-apiserver authorizes everything.
DEFAULT_AUTHORIZATION_MODE = "AlwaysAllow"
DEFAULT_BIND_ADDRESS = "0.0.0.0"
DEFAULT_REQUEST_TIMEOUT = "1m0s"
DEFAULT_TERMINATED_POD_GC_THRESHOLD = "12500"
# kube-apiserver/controller-manager/scheduler serve /debug/pprof unless told not to.
DEFAULT_PROFILING = True
ENCRYPTING_PROVIDERS = frozenset({"aescbc", "kms", "secretbox"})

# etcd reads ETCD_<FLAG> from its environment for a flag not given on the command line, and
# with --config-file ignores both: these are where that file keeps the TLS settings.
_ETCD_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "cert-file": ("client-transport-security", "cert-file"),
    "key-file": ("client-transport-security", "key-file"),
    "client-cert-auth": ("client-transport-security", "client-cert-auth"),
    "auto-tls": ("client-transport-security", "auto-tls"),
    "trusted-ca-file": ("client-transport-security", "trusted-ca-file"),
    "peer-cert-file": ("peer-transport-security", "cert-file"),
    "peer-key-file": ("peer-transport-security", "key-file"),
    "peer-client-cert-auth": ("peer-transport-security", "client-cert-auth"),
    "peer-auto-tls": ("peer-transport-security", "auto-tls"),
    "peer-trusted-ca-file": ("peer-transport-security", "trusted-ca-file"),
    "data-dir": ("data-dir",),
}


def parse_go_bool(text: str) -> bool | None:
    """A boolean as Go's strconv.ParseBool reads it; None for anything else."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


# --- reading a component's settings ----------------------------------------------------


@record
class Raw:
    """One setting as the component will see it.

    `value` is None when a flag is written bare. `shown` is how it is written, for reasons.
    `stray` is the item right after a bare flag that does not take it: `--profiling false`
    leaves profiling true and "false" a stray argument.
    """

    value: str | None
    shown: str
    stray: str = ""
    count: int = 1

    @property
    def text(self) -> str:
        return "" if self.value is None else self.value


@record
class Component:
    """A control-plane component as its static pod manifest defines it."""

    name: str
    path: str
    manifest: ManifestInfo | None = None
    container: Container | None = None
    problem: str = ""  # why its settings cannot be read; "" when they can
    config: Mapping[str, Any] | None = field(default=None, compare=False)  # etcd --config-file
    config_path: str = ""
    # the tree it was read from, to tell whether a file a flag names exists
    tree: Tree | None = field(default=None, compare=False, repr=False)

    @property
    def readable(self) -> bool:
        return self.container is not None and not self.problem

    def flags(self, name: str) -> tuple[Flag, ...]:
        if self.container is None:
            return ()
        return tuple(f for f in self.container.flags if f.name == name)

    def raw(self, name: str) -> Raw | None:
        """The effective setting: the last occurrence of the flag wins (pflag and Go flag)."""
        if self.config is not None:
            return _config_raw(self.config, self.config_path, name)
        found = self.flags(name)
        if found:
            last = found[-1]
            return Raw(last.value, str(last), self._stray(last), len(found))
        if self.name == "etcd" and self.container is not None:
            return _env_raw(self.container, name)
        return None

    def values(self, name: str) -> list[str]:
        """A list flag: pflag's string slices append on repeat; items split at commas."""
        out: list[str] = []
        for f in self.flags(name):
            out.extend(p.strip() for p in (f.value or "").split(",") if p.strip())
        return out

    def _stray(self, flag: Flag) -> str:
        if flag.value is not None or self.container is None:
            return ""
        items = (*self.container.command, *self.container.args)
        nxt = items[flag.index + 1] if flag.index + 1 < len(items) else ""
        return nxt if nxt and not nxt.startswith("-") else ""

    def host_path(self, path: str) -> str | None:
        """The host path behind a container path, through the pod's hostPath volumes
        (the plane's one mapping)."""
        if self.container is None or self.manifest is None:
            return None
        return container_host_path(self.manifest, self.container, path)[0]

    def resolve(self, path: str) -> Resolved:
        """A path as this component's container opens it: through its volumes, into the
        tree (the plane's one mapping)."""
        if self.container is None or self.manifest is None or self.tree is None:
            return Resolved(path, Reach.NOT_MOUNTED, reason=f"{self.path} holds no container")
        return in_container(self.tree, self.manifest, self.container, path)



def _env_raw(container: Container, name: str) -> Raw | None:
    key = "ETCD_" + name.upper().replace("-", "_")
    env = [e for e in container.env if e.name == key]
    if not env:
        return None
    last = env[-1]
    if last.from_source:
        return Raw("", f"env {key} (from a reference, value unknown)")
    return Raw(last.value or "", f"env {key}={last.value or ''}")


def _config_raw(config: Mapping[str, Any], path: str, name: str) -> Raw | None:
    keys = _ETCD_CONFIG_KEYS.get(name, (name,))
    value: Any = config
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    if value is None:
        return None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return Raw(text, f"{'.'.join(keys)}: {text} in {path}")


def _pick_container(manifest: ManifestInfo, name: str) -> Container | None:
    for c in manifest.containers:
        if c.command and posixpath.basename(c.command[0]) == name:
            return c
    return manifest.container(name) or manifest.container()


def _manifest_node(tree: Tree, name: str) -> tuple[str, Node | None]:
    """The manifest that defines `name`: kubeadm's file, else any manifest whose container
    runs that binary (the kubelet runs every file in manifests/, whatever it is called)."""
    path = _kubeadm_manifest(tree, name)
    node = tree.get(path)
    if node is not None:
        return path, follow(tree, node)
    for other in sorted(tree.of_kind(Kind.MANIFEST), key=lambda n: n.path):
        info = other.content
        if other.parent == "manifests" and isinstance(info, ManifestInfo):
            c = _pick_container(info, name)
            if c is not None and c.command and posixpath.basename(c.command[0]) == name:
                return other.path, other
    return path, None


def read_component(tree: Tree, name: str) -> Component:
    path, node = _manifest_node(tree, name)
    if node is None:
        return Component(name, path, problem=f"{path} is missing", tree=tree)
    if not isinstance(node.content, ManifestInfo):
        why = node.error or "not a Pod manifest"
        return Component(name, path, problem=f"{path} cannot be read: {why}", tree=tree)
    container = _pick_container(node.content, name)
    if container is None:
        return Component(name, path, node.content, problem=f"{path} holds no container",
                         tree=tree)
    comp = Component(name, path, node.content, container, tree=tree)
    if name == "etcd" and comp.flags("config-file"):
        return _with_etcd_config(tree, comp)
    return comp


def _with_etcd_config(tree: Tree, comp: Component) -> Component:
    # etcd ignores its flags and environment once --config-file is given
    target = comp.raw("config-file")
    where = target.text if target else ""
    doc, rel, why = read_document(tree, comp, where)
    if doc is None:
        return replace(comp, problem=why)
    if not isinstance(doc, Mapping):
        return replace(comp, problem=f"{rel} is not a mapping of etcd settings")
    return replace(comp, config=doc, config_path=rel)


def read_document(tree: Tree, comp: Component, path: str) -> tuple[Any, str, str]:
    """(document, tree path, why not) for a YAML file a flag names, read from the tree."""
    host = comp.host_path(path)
    if host is None:
        return None, "", f"{_NA_FILES}{path} is not in a hostPath volume of {comp.path}"
    rel = tree_path(host)
    if rel is None:
        return None, "", f"{_NA_FILES}{host} is outside {K8S_DIR}"
    node = tree.get(rel)
    if node is None:
        return None, rel, f"{rel} (named by {comp.name}) is missing"
    try:
        data = read_regular_file(tree.root.joinpath(*rel.split("/")), _READ_CAP, root=tree.root)
        return load_yaml(data), rel, ""
    except (OSError, DecodeError) as exc:
        return None, rel, f"{rel} cannot be read: {exc}"


@record
class _Context:
    tree: Tree
    apiserver: Component
    controller_manager: Component
    scheduler: Component
    etcd: Component

    @cached_property
    def pki(self) -> tuple[str | None, str]:
        """(the tree folder that holds the PKI, why not): kubeadm's certificatesDir as the
        API server's pod mounts it, the folder of its --client-ca-file followed through
        the volumes (a folder moved on the host is still the PKI). kubeadm's pki/ when the
        API server names none. When its volume shows it a folder beyond the tree, the
        tree's own folder at that path is still the node's PKI folder to audit."""
        raw = self.apiserver.raw("client-ca-file") if self.apiserver.readable else None
        if raw is None or not raw.text.startswith("/"):
            return "pki", ""
        folder = posixpath.dirname(posixpath.normpath(raw.text))
        host = self.apiserver.host_path(folder)
        rel = tree_path(host) if host is not None else None
        if rel:
            return rel, ""
        own = tree_path(folder)
        if own and self.tree.get(own) is not None:
            return own, ""
        if host is None:
            return None, (f"{_NA_FILES}the PKI folder {folder} is not in a hostPath volume "
                          f"of {self.apiserver.path}")
        return None, f"{_NA_FILES}the PKI folder: {_outside(self.apiserver, folder, host)}"


def _outside(comp: Component, path: str, host: str) -> str:
    """Why a file is not read: its host path, through the pod's volumes, lies beyond the
    tree. The container's own name for it is said too, so that a mounted path is never
    taken for the host's."""
    if posixpath.normpath(path) == host:
        return f"{host} is outside {K8S_DIR}"
    return f"{comp.name} reads {path} from the host's {host}, outside {K8S_DIR}"


def _context(tree: Tree) -> _Context:
    return _Context(
        tree,
        read_component(tree, "kube-apiserver"),
        read_component(tree, "kube-controller-manager"),
        read_component(tree, "kube-scheduler"),
        read_component(tree, "etcd"),
    )


# --- the evaluation machinery ------------------------------------------------------------

_Rule = Callable[[_Context], _Outcome]
_RULES: dict[str, _Rule] = {}


def _check(*ids: str) -> Callable[[_Rule], _Rule]:
    def register(rule: _Rule) -> _Rule:
        for check_id in ids:
            _RULES[check_id] = rule
        return rule

    return register


def evaluate_cis(tree: Tree) -> tuple[CisResult, ...]:
    """Every check once, in benchmark order."""
    ctx = _context(tree)
    return tuple(_evaluate(check, ctx) for check in CHECKS)


def _evaluate(check: CisCheck, ctx: _Context) -> CisResult:
    outcome = _RULES[check.id](ctx)
    result = outcome.result
    # the benchmark scores Manual checks as "review", never as failed
    if result == FAIL and not check.automated:
        result = MANUAL
    return CisResult(
        id=check.id,
        title=check.title,
        section=check.section,
        automated=check.automated,
        result=result,
        reason=outcome.reason,
        remediation=_in_place(check.remediation, outcome.path),
        path=outcome.path,
        pointer=outcome.pointer,
    )


def _in_place(remediation: str, path: str) -> str:
    """The remediation naming the file the check read: the .json standing in for
    kubeadm's .yaml, where the benchmark names the .yaml."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or f".{suffix}" not in STAND_IN_SUFFIXES:
        return remediation
    return remediation.replace(f"{K8S_DIR}/{stem}.yaml", f"{K8S_DIR}/{path}")


def cis_findings(results: Iterable[CisResult]) -> list[Finding]:
    """One finding per failed check, under rule `cis-<id>` in profile "cis"."""
    return [
        Finding(
            rule=r.rule,
            severity=Severity.ERROR if r.id in ERROR_CHECKS else Severity.WARNING,
            path=r.path,
            message=r.reason,
            pointer=r.pointer,
            fix=r.remediation,
            profile=PROFILE,
        )
        for r in results
        if r.result == FAIL
    ]


def cis_summary(results: Iterable[CisResult]) -> dict[str, dict[str, int]]:
    """Counts of each result per section, sections in benchmark order, every result keyed."""
    summary: dict[str, dict[str, int]] = {}
    for r in results:
        counts = summary.setdefault(r.section, dict.fromkeys(RESULTS, 0))
        counts[r.result] += 1
    return summary


def cis_json(results: Sequence[CisResult]) -> dict[str, Any]:
    """The CIS part of `check --format json`: the benchmark, every result, the counts."""
    return {
        "benchmark": BENCHMARK,
        "results": [r.as_json() for r in results],
        "summary": cis_summary(results),
    }


# --- files: modes and owners -------------------------------------------------------------


def _mode(mode: int) -> str:
    return f"{mode & 0o7777:04o}"


def _is_looser(actual: int, limit: int) -> bool:
    # "600 or more restrictive": no permission (nor setuid/setgid/sticky) beyond the limit
    return bool(actual & 0o7777 & ~limit)


def _resolve(tree: Tree, path: str) -> tuple[Node | None, str]:
    """The node whose stat applies to `path` (links followed inside the tree), or why not."""
    node = tree.get(path)
    if node is None:
        return None, f"not applicable: {path} is missing (nothing to check)"
    if node.kind is Kind.SYMLINK:
        target = follow(tree, node)
        if target is None:
            return None, f"{_NA_FILES}{path} is a symlink that leaves the tree ({node.error})"
        return target, ""
    if node.uid < 0:
        return None, f"{_NA_FILES}{path} could not be stat'ed ({node.error})"
    return node, ""


def _modes_ok(tree: Tree, paths: Sequence[str], limit: int, optional: bool = False) -> _Outcome:
    found: list[tuple[str, Node]] = []
    for path in paths:
        node, why = _resolve(tree, path)
        if node is None:
            if optional and why.startswith("not applicable:"):
                continue
            return _na(why, path)
        found.append((path, node))
    if not found:
        return _na(f"not applicable: none of {', '.join(paths)} exists", paths[0])
    bad = [(p, n) for p, n in found if _is_looser(n.mode, limit)]
    if bad:
        shown = ", ".join(f"{p} is {_mode(n.mode)}" for p, n in bad)
        return _fail(f"{shown}; expected {limit:04o} or stricter", bad[0][0])
    shown = ", ".join(f"{p} is {_mode(n.mode)}" for p, n in found)
    return _pass(f"{shown}: {limit:04o} or stricter", found[0][0])


def _owners_ok(tree: Tree, paths: Sequence[str], optional: bool = False) -> _Outcome:
    found: list[tuple[str, Node]] = []
    for path in paths:
        node, why = _resolve(tree, path)
        if node is None:
            if optional and why.startswith("not applicable:"):
                continue
            return _na(why, path)
        found.append((path, node))
    if not found:
        return _na(f"not applicable: none of {', '.join(paths)} exists", paths[0])
    return _owner_verdict(found)


def _owner_verdict(found: Sequence[tuple[str, Node]]) -> _Outcome:
    # numeric ids: a name looked up in a container's /etc/passwd can lie (kube-bench #842)
    bad = [(p, n) for p, n in found if (n.uid, n.gid) != (0, 0)]
    if bad:
        shown = ", ".join(f"{p} is {n.uid}:{n.gid}" for p, n in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return _fail(f"{shown}{more}; expected 0:0 (root:root)", bad[0][0])
    what = ", ".join(p for p, _ in found) if len(found) <= 3 else f"all {len(found)} entries"
    return _pass(f"{what} owned by 0:0 (root:root)", found[0][0])


def _kubeadm_manifest(tree: Tree, name: str) -> str:
    """kubeadm's manifest of `name`, or the .json or .yml standing in for it."""
    return manifest_file(STATIC_PODS_BY_NAME[name], lambda p: tree.get(p) is not None)


def _manifest_mode(name: str) -> Callable[[Tree], _Outcome]:
    return lambda tree: _modes_ok(tree, [_kubeadm_manifest(tree, name)], 0o600)


def _manifest_owner(name: str) -> Callable[[Tree], _Outcome]:
    return lambda tree: _owners_ok(tree, [_kubeadm_manifest(tree, name)])


_ADMIN_CONFS = ("admin.conf", "super-admin.conf")

_FILE_CHECKS: dict[str, Callable[[Tree], _Outcome]] = {
    "1.1.1": _manifest_mode("kube-apiserver"),
    "1.1.2": _manifest_owner("kube-apiserver"),
    "1.1.3": _manifest_mode("kube-controller-manager"),
    "1.1.4": _manifest_owner("kube-controller-manager"),
    "1.1.5": _manifest_mode("kube-scheduler"),
    "1.1.6": _manifest_owner("kube-scheduler"),
    # super-admin.conf exists only on the node that ran `kubeadm init`
    "1.1.13": lambda t: _modes_ok(t, _ADMIN_CONFS, 0o600, optional=True),
    "1.1.14": lambda t: _owners_ok(t, _ADMIN_CONFS, optional=True),
    "1.1.15": lambda t: _modes_ok(t, ["scheduler.conf"], 0o600),
    "1.1.16": lambda t: _owners_ok(t, ["scheduler.conf"]),
    "1.1.17": lambda t: _modes_ok(t, ["controller-manager.conf"], 0o600),
    "1.1.18": lambda t: _owners_ok(t, ["controller-manager.conf"]),
    "4.1.5": lambda t: _modes_ok(t, ["kubelet.conf"], 0o600),
    "4.1.6": lambda t: _owners_ok(t, ["kubelet.conf"]),
}


def _on_tree(rule: Callable[[Tree], _Outcome]) -> _Rule:
    return lambda ctx: rule(ctx.tree)


_RULES.update({check_id: _on_tree(rule) for check_id, rule in _FILE_CHECKS.items()})


def _etcd_is_external(ctx: _Context) -> str:
    """The --etcd-servers value when etcd is not this node's own, else ""."""
    raw = ctx.apiserver.raw("etcd-servers") if ctx.apiserver.readable else None
    if raw is None or not raw.text:
        return ""
    for url in raw.text.split(","):
        host = urlsplit(url.strip()).hostname or ""
        if host == "localhost" or _is_loopback(host):
            return ""
    return raw.text


def _etcd_absent(ctx: _Context) -> _Outcome | None:
    if ctx.etcd.manifest is not None:
        return None
    external = _etcd_is_external(ctx)
    if external:
        return _na(f"not applicable: etcd is external (--etcd-servers={external}); "
                   "run the etcd checks on the etcd hosts", ctx.etcd.path)
    return _na(f"not applicable: {ctx.etcd.problem} (nothing to check)", ctx.etcd.path)


@_check("1.1.7")
def _etcd_manifest_mode(ctx: _Context) -> _Outcome:
    return _etcd_absent(ctx) or _modes_ok(ctx.tree, [ctx.etcd.path], 0o600)


@_check("1.1.8")
def _etcd_manifest_owner(ctx: _Context) -> _Outcome:
    return _etcd_absent(ctx) or _owners_ok(ctx.tree, [ctx.etcd.path])


@_check("1.1.9", "1.1.10")
def _cni(_ctx: _Context) -> _Outcome:
    return _na(f"{_NA_FILES}CNI files live in /etc/cni/net.d and /var/lib/cni, "
               f"outside {K8S_DIR}")


@_check("1.1.11", "1.1.12")
def _etcd_data_dir(ctx: _Context) -> _Outcome:
    absent = _etcd_absent(ctx)
    if absent is not None:
        return absent
    raw = ctx.etcd.raw("data-dir") if ctx.etcd.readable else None
    where = raw.text if raw and raw.text else ETCD_DATA_DIR
    host = ctx.etcd.host_path(where) or where
    return _na(f"{_NA_FILES}etcd's data directory {host} is a host path outside {K8S_DIR}",
               ctx.etcd.path, "--data-dir")


def _pki_nodes(tree: Tree, folder: str) -> list[Node]:
    return sorted((n for n in tree if n.path == folder or n.path.startswith(folder + "/")),
                  key=lambda n: n.path)


@_check("1.1.19")
def _pki_owner(ctx: _Context) -> _Outcome:
    # like `find pki | xargs stat`: every entry, folders and links included, not followed
    folder, why = ctx.pki
    if folder is None:
        return _na(why, ctx.apiserver.path, "--client-ca-file")
    nodes = _pki_nodes(ctx.tree, folder)
    if not nodes:
        return _na(f"not applicable: {folder}/ is missing (nothing to check)", folder)
    unknown = [n for n in nodes if n.uid < 0]
    if unknown:
        return _na(f"{_NA_FILES}{unknown[0].path} could not be stat'ed", unknown[0].path)
    return _owner_verdict([(n.path, n) for n in nodes])


def _pki_files(ctx: _Context, suffix: str, limit: int) -> _Outcome:
    folder, why = ctx.pki
    if folder is None:
        return _na(why, ctx.apiserver.path, "--client-ca-file")
    paths = [n.path for n in _pki_nodes(ctx.tree, folder)
             if n.name.endswith(suffix) and n.kind is not Kind.DIRECTORY]
    if not paths:
        return _na(f"not applicable: no {folder}/**/*{suffix} file (nothing to check)",
                   folder)
    outcome = _modes_ok(ctx.tree, paths, limit)
    if outcome.result == PASS:
        return _pass(f"all {len(paths)} {folder}/**/*{suffix} files are {limit:04o} or "
                     "stricter", folder)
    return outcome


@_check("1.1.20")
def _pki_certs(ctx: _Context) -> _Outcome:
    return _pki_files(ctx, ".crt", 0o644)


@_check("1.1.21")
def _pki_keys(ctx: _Context) -> _Outcome:
    # every private key under pki/ by what it holds, not by its name: `ls pki/*.key` would
    # pass a world-readable pki/ca-backup.pem
    folder, why = ctx.pki
    if folder is None:
        return _na(why, ctx.apiserver.path, "--client-ca-file")
    paths = sorted(s.path for s in secret_files(ctx.tree)
                   if s.holds is not Holds.CREDENTIALS and s.path.startswith(folder + "/"))
    if not paths:
        return _na(f"not applicable: no private key under {folder}/ (nothing to check)",
                   folder)
    outcome = _modes_ok(ctx.tree, paths, 0o600)
    if outcome.result == PASS:
        return _pass(f"all {len(paths)} private keys under {folder}/ are 0600 or stricter",
                     folder)
    return outcome


def _kubelet_client_ca(ctx: _Context) -> tuple[str, str]:
    """(the tree path of the kubelet's clientCAFile, why none): kubeadm writes it as
    ca.crt of certificatesDir, the folder the API server's --client-ca-file names
    (kubespray's ssl/ca.crt). The kubelet runs on the host, through no volume."""
    raw = ctx.apiserver.raw("client-ca-file") if ctx.apiserver.readable else None
    if raw is None or not raw.text.startswith("/"):
        return "pki/ca.crt", ""
    host = posixpath.join(posixpath.dirname(posixpath.normpath(raw.text)), "ca.crt")
    rel = tree_path(host)
    return (rel, "") if rel else ("", f"{_NA_FILES}the kubelet's client CA {host} is "
                                      f"outside {K8S_DIR}")


@_check("4.1.7")
def _client_ca_mode(ctx: _Context) -> _Outcome:
    path, why = _kubelet_client_ca(ctx)
    return _modes_ok(ctx.tree, [path], 0o644) if path else _na(why)


@_check("4.1.8")
def _client_ca_owner(ctx: _Context) -> _Outcome:
    path, why = _kubelet_client_ca(ctx)
    return _owners_ok(ctx.tree, [path]) if path else _na(why)


@_check("4.1.1", "4.1.2")
def _kubelet_unit(_ctx: _Context) -> _Outcome:
    return _na(f"{_NA_FILES}the kubelet unit and its 10-kubeadm.conf drop-in live under "
               "/etc/systemd or /usr/lib/systemd")


@_check("4.1.9", "4.1.10")
def _kubelet_config(_ctx: _Context) -> _Outcome:
    return _na(f"{_NA_FILES}the kubelet's config.yaml lives in /var/lib/kubelet")


def _proxy_conf(ctx: _Context) -> str:
    for path in ("proxy.conf", "kube-proxy.conf"):
        if ctx.tree.get(path) is not None:
            return path
    return ""


@_check("4.1.3")
def _proxy_mode(ctx: _Context) -> _Outcome:
    path = _proxy_conf(ctx)
    if not path:
        return _na("not applicable: no proxy kubeconfig here (kubeadm's kube-proxy reads its "
                   "kubeconfig from a ConfigMap)")
    return _modes_ok(ctx.tree, [path], 0o600)


@_check("4.1.4")
def _proxy_owner(ctx: _Context) -> _Outcome:
    path = _proxy_conf(ctx)
    if not path:
        return _na("not applicable: no proxy kubeconfig here (kubeadm's kube-proxy reads its "
                   "kubeconfig from a ConfigMap)")
    return _owners_ok(ctx.tree, [path])


# --- flag helpers --------------------------------------------------------------------------


def _need(comp: Component) -> _Outcome | None:
    """Not applicable when the component's settings cannot be read from the files."""
    if comp.readable:
        return None
    if comp.problem.startswith(_NA_FILES):
        return _na(comp.problem, comp.path)
    return _na(f"not applicable: {comp.problem}, so {comp.name}'s flags cannot be read",
               comp.path)


def _bool_setting(comp: Component, name: str, default: bool) -> tuple[bool | None, str]:
    """(effective value, how it is written); None when the value is not a boolean."""
    raw = comp.raw(name)
    if raw is None:
        return default, f"--{name} is not set (default {str(default).lower()})"
    repeat = f" (last of {raw.count})" if raw.count > 1 else ""
    if raw.value is None:
        if raw.stray:
            return True, (f"--{name} is bare, so true; the next item {raw.stray!r} is a "
                          "stray argument, not its value")
        return True, f"--{name} is bare, so true{repeat}"
    value = parse_go_bool(raw.value)
    if value is None:
        return None, f"{raw.shown} is not a boolean{repeat}"
    return value, f"{raw.shown}{repeat}"


def _expect_bool(comp: Component, name: str, expected: bool, default: bool) -> _Outcome:
    blocked = _need(comp)
    if blocked:
        return blocked
    value, shown = _bool_setting(comp, name, default)
    want = f"expected {str(expected).lower()}"
    if value is expected:
        return _pass(f"{shown}; {want}", comp.path, f"--{name}")
    return _fail(f"{shown}; {want}", comp.path, f"--{name}")


def _expect_set(comp: Component, *names: str, must_exist: bool = True) -> _Outcome:
    """Every flag set to a value; a file it names must exist when it lies in the tree
    (unless `must_exist` is off: an audit log appears only once written)."""
    blocked = _need(comp)
    if blocked:
        return blocked
    shown = []
    for name in names:
        raw = comp.raw(name)
        if raw is None or not raw.text:
            what = "is not set" if raw is None else f"has no value ({raw.shown})"
            return _fail(f"--{name} {what}; expected a path", comp.path, f"--{name}")
        missing = _missing_file(comp, raw.text) if must_exist else ""
        if missing:
            return _fail(f"{raw.shown} names {missing}, which is missing", comp.path,
                         f"--{name}")
        shown.append(raw.shown)
    return _pass(f"{' and '.join(shown)}: set", comp.path, f"--{names[0]}")


def _missing_file(comp: Component, path: str) -> str:
    host = comp.host_path(path)
    rel = tree_path(host) if host else None
    return rel if rel is not None and rel != "" and _file_missing(comp, rel) else ""


def _file_missing(comp: Component, rel: str) -> bool:
    return comp.tree is not None and comp.tree.get(rel) is None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _expect_loopback_bind(comp: Component) -> _Outcome:
    blocked = _need(comp)
    if blocked:
        return blocked
    raw = comp.raw("bind-address")
    if raw is None:
        return _fail(f"--bind-address is not set, so it defaults to {DEFAULT_BIND_ADDRESS} "
                     "(every interface); expected 127.0.0.1", comp.path, "--bind-address")
    if _is_loopback(raw.text):
        return _pass(f"{raw.shown}: loopback only", comp.path, "--bind-address")
    return _fail(f"{raw.shown}; expected 127.0.0.1", comp.path, "--bind-address")


def _expect_int(comp: Component, name: str, minimum: int, default: int) -> _Outcome:
    blocked = _need(comp)
    if blocked:
        return blocked
    raw = comp.raw(name)
    if raw is None:
        return _fail(f"--{name} is not set (default {default}); expected {minimum} or more",
                     comp.path, f"--{name}")
    try:
        value = int(raw.text)
    except ValueError:
        return _fail(f"{raw.shown} is not a whole number; expected {minimum} or more",
                     comp.path, f"--{name}")
    verdict = _pass if value >= minimum else _fail
    return verdict(f"{raw.shown}; expected {minimum} or more", comp.path, f"--{name}")


# --- 1.2 API server ------------------------------------------------------------------------


@record
class _Admission:
    enabled: frozenset[str]
    disabled: frozenset[str]
    legacy: bool  # --admission-control replaces the default set

    def is_on(self, plugin: str) -> bool:
        on = plugin in self.enabled or (not self.legacy and plugin in DEFAULT_ON_ADMISSION)
        return on and plugin not in self.disabled


def _admission(comp: Component) -> _Admission:
    legacy = comp.values("admission-control")
    if legacy:
        enabled = frozenset(legacy) | frozenset(comp.values("enable-admission-plugins"))
    else:
        enabled = frozenset(comp.values("enable-admission-plugins"))
    return _Admission(enabled, frozenset(comp.values("disable-admission-plugins")), bool(legacy))


def _plugins_shown(comp: Component, flag: str) -> str:
    values = comp.values(flag)
    return f"--{flag}={','.join(values)}" if values else f"--{flag} is not set"


def _expect_plugin(comp: Component, plugin: str, on: bool) -> _Outcome:
    blocked = _need(comp)
    if blocked:
        return blocked
    adm = _admission(comp)
    pointer = "--enable-admission-plugins"
    if plugin in adm.enabled and plugin in adm.disabled:
        return _fail(f"{plugin} is both enabled and disabled, which kube-apiserver refuses; "
                     f"expected it {'on' if on else 'off'}", comp.path, pointer)
    shown = _plugins_shown(comp, "enable-admission-plugins")
    if plugin in adm.disabled:
        shown = _plugins_shown(comp, "disable-admission-plugins")
        pointer = "--disable-admission-plugins"
    elif plugin in DEFAULT_ON_ADMISSION and not adm.legacy and plugin not in adm.enabled:
        shown = f"{plugin} is on by default and not disabled"
    elif adm.legacy and plugin not in adm.enabled:
        shown = f"{_plugins_shown(comp, 'admission-control')} replaces the defaults"
        pointer = "--admission-control"
    is_on = adm.is_on(plugin)
    verdict = _pass if is_on == on else _fail
    return verdict(f"{shown}; expected {plugin} {'on' if on else 'off'}", comp.path, pointer)


@_check("1.2.1")
def _anonymous_auth(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    if comp.raw("anonymous-auth") is None and comp.raw("authentication-config") is not None:
        return _anonymous_from_config(ctx)
    outcome = _expect_bool(comp, "anonymous-auth", False, True)
    if outcome.result == FAIL:
        return replace(outcome, reason=outcome.reason + " (kubeadm keeps it on for its probes)")
    return outcome


def _anonymous_from_config(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    raw = comp.raw("authentication-config")
    doc, rel, why = read_document(ctx.tree, comp, raw.text if raw else "")
    pointer = "--authentication-config"
    if doc is None:
        return _na(why, comp.path, pointer) if why.startswith(_NA_FILES) else _fail(
            f"{why}; expected anonymous access off", comp.path, pointer)
    anonymous = doc.get("anonymous") if isinstance(doc, Mapping) else None
    if not isinstance(anonymous, Mapping):
        return _fail(f"{rel} has no anonymous section, so anonymous requests are allowed "
                     "(default); expected them off", rel, pointer)
    if anonymous.get("enabled") is False:
        return _pass(f"{rel}: anonymous.enabled is false", rel, pointer)
    paths = [c.get("path") for c in anonymous.get("conditions") or [] if isinstance(c, Mapping)]
    if paths:
        return _fail(f"{rel} allows anonymous requests only to {', '.join(map(str, paths))}; "
                     "review whether that is acceptable", rel, pointer)
    return _fail(f"{rel}: anonymous.enabled is true; expected false", rel, pointer)


@_check("1.2.2")
def _token_auth_file(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    raw = comp.raw("token-auth-file")
    if raw is None:
        return _pass("--token-auth-file is not set", comp.path, "--token-auth-file")
    return _fail(f"{raw.shown}; expected it not set (static tokens never expire)", comp.path,
                 "--token-auth-file")


@_check("1.2.3")
def _deny_external_ips(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "DenyServiceExternalIPs", on=True)


@_check("1.2.4")
def _kubelet_client_cert(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "kubelet-client-certificate", "kubelet-client-key")


@_check("1.2.5")
def _kubelet_ca(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "kubelet-certificate-authority")


def _authorizers(ctx: _Context) -> tuple[list[str] | None, str, _Outcome | None]:
    """(modes in order, how they are given, an outcome when they cannot be known)."""
    comp = ctx.apiserver
    config = comp.raw("authorization-config")
    modes = comp.values("authorization-mode")
    if config is not None and comp.flags("authorization-mode"):
        return None, "", _fail(
            "--authorization-config and --authorization-mode are both set, which "
            "kube-apiserver refuses", comp.path, "--authorization-config")
    if config is None:
        if not comp.flags("authorization-mode"):
            return [DEFAULT_AUTHORIZATION_MODE], (
                f"--authorization-mode is not set (default {DEFAULT_AUTHORIZATION_MODE})"), None
        return modes, f"--authorization-mode={','.join(modes)}", None
    doc, rel, why = read_document(ctx.tree, comp, config.text)
    if doc is None:
        if why.startswith(_NA_FILES):
            return None, "", _na(why, comp.path, "--authorization-config")
        return None, "", _fail(why, comp.path, "--authorization-config")
    authorizers = doc.get("authorizers") if isinstance(doc, Mapping) else None
    if not isinstance(authorizers, list):
        return None, "", _fail(f"{rel} lists no authorizers", rel, "--authorization-config")
    types = [str(a.get("type", "")) for a in authorizers if isinstance(a, Mapping)]
    return types, f"authorizers in {rel}: {','.join(types)}", None


def _expect_authz(ctx: _Context, check: Callable[[list[str]], bool], want: str) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    modes, shown, outcome = _authorizers(ctx)
    if outcome is not None:
        return outcome
    assert modes is not None
    pointer = "--authorization-config" if shown.startswith("authorizers") else (
        "--authorization-mode")
    verdict = _pass if check(modes) else _fail
    return verdict(f"{shown}; expected {want}", comp.path, pointer)


@_check("1.2.6")
def _authz_not_always_allow(ctx: _Context) -> _Outcome:
    return _expect_authz(ctx, lambda m: "AlwaysAllow" not in m, "no AlwaysAllow")


@_check("1.2.7")
def _authz_node(ctx: _Context) -> _Outcome:
    return _expect_authz(ctx, lambda m: "Node" in m, "Node among them")


@_check("1.2.8")
def _authz_rbac(ctx: _Context) -> _Outcome:
    return _expect_authz(ctx, lambda m: "RBAC" in m, "RBAC among them")


@_check("1.2.9")
def _event_rate_limit(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "EventRateLimit", on=True)


@_check("1.2.10")
def _always_admit(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "AlwaysAdmit", on=False)


@_check("1.2.11")
def _always_pull(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "AlwaysPullImages", on=True)


@_check("1.2.12")
def _service_account_plugin(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "ServiceAccount", on=True)


@_check("1.2.13")
def _namespace_lifecycle(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "NamespaceLifecycle", on=True)


@_check("1.2.14")
def _node_restriction(ctx: _Context) -> _Outcome:
    return _expect_plugin(ctx.apiserver, "NodeRestriction", on=True)


@_check("1.2.15")
def _apiserver_profiling(ctx: _Context) -> _Outcome:
    return _expect_bool(ctx.apiserver, "profiling", False, DEFAULT_PROFILING)


@_check("1.2.16")
def _audit_log_path(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "audit-log-path", must_exist=False)


@_check("1.2.17")
def _audit_maxage(ctx: _Context) -> _Outcome:
    return _expect_int(ctx.apiserver, "audit-log-maxage", 30, 0)


@_check("1.2.18")
def _audit_maxbackup(ctx: _Context) -> _Outcome:
    return _expect_int(ctx.apiserver, "audit-log-maxbackup", 10, 0)


@_check("1.2.19")
def _audit_maxsize(ctx: _Context) -> _Outcome:
    return _expect_int(ctx.apiserver, "audit-log-maxsize", 100, 0)


@_check("1.2.20")
def _request_timeout(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    raw = comp.raw("request-timeout")
    default = f"--request-timeout is not set (default {DEFAULT_REQUEST_TIMEOUT})"
    shown = raw.shown if raw else default
    return _Outcome(MANUAL, f"{shown}; whether it suits the cluster is a judgement",
                    comp.path, "--request-timeout")


@_check("1.2.21")
def _service_account_lookup(ctx: _Context) -> _Outcome:
    return _expect_bool(ctx.apiserver, "service-account-lookup", True, True)


@_check("1.2.22")
def _service_account_key(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "service-account-key-file")


@_check("1.2.23")
def _etcd_client_cert(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "etcd-certfile", "etcd-keyfile")


@_check("1.2.24")
def _apiserver_tls(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "tls-cert-file", "tls-private-key-file")


@_check("1.2.25")
def _client_ca(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "client-ca-file")


@_check("1.2.26")
def _etcd_ca(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "etcd-cafile")


@_check("1.2.27")
def _encryption_config_set(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.apiserver, "encryption-provider-config")


@_check("1.2.28")
def _encryption_providers(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    pointer = "--encryption-provider-config"
    raw = comp.raw("encryption-provider-config")
    if raw is None or not raw.text:
        return _fail("--encryption-provider-config is not set, so secrets are stored "
                     "unencrypted in etcd", comp.path, pointer)
    doc, rel, why = read_document(ctx.tree, comp, raw.text)
    if doc is None:
        return (_na if why.startswith(_NA_FILES) else _fail)(why, comp.path, pointer)
    first = _secrets_provider(doc)
    if first is None:
        return _fail(f"{rel} has no provider for secrets; expected aescbc, kms or secretbox "
                     "first", rel, pointer)
    verdict = _pass if first in ENCRYPTING_PROVIDERS else _fail
    return verdict(f"{rel}: the first provider for secrets is {first}; expected aescbc, kms "
                   "or secretbox", rel, pointer)


def _secrets_provider(doc: Any) -> str | None:
    """The provider that writes secrets: the first of the first rule that covers them."""
    resources = doc.get("resources") if isinstance(doc, Mapping) else None
    for rule in resources if isinstance(resources, list) else []:
        if not isinstance(rule, Mapping):
            continue
        names = rule.get("resources") or []
        if not any(n in ("secrets", "*.*", "*.") for n in names if isinstance(n, str)):
            continue
        providers = rule.get("providers") or []
        if providers and isinstance(providers[0], Mapping) and providers[0]:
            return str(next(iter(providers[0])))
    return None


@_check("1.2.29")
def _strong_ciphers(ctx: _Context) -> _Outcome:
    comp = ctx.apiserver
    blocked = _need(comp)
    if blocked:
        return blocked
    pointer = "--tls-cipher-suites"
    suites = comp.values("tls-cipher-suites")
    if not suites:
        return _fail("--tls-cipher-suites is not set, so Go's default suites apply; expected "
                     "only strong ones", comp.path, pointer)
    weak = [s for s in suites if s not in STRONG_CIPHERS]
    if weak:
        return _fail(f"--tls-cipher-suites allows {', '.join(weak)}; expected only strong "
                     "suites", comp.path, pointer)
    return _pass(f"all {len(suites)} --tls-cipher-suites are strong", comp.path, pointer)


@_check("1.2.30")
def _extend_token_expiration(ctx: _Context) -> _Outcome:
    return _expect_bool(ctx.apiserver, "service-account-extend-token-expiration", False, True)


# --- 1.3 controller manager, 1.4 scheduler ------------------------------------------------


@_check("1.3.1")
def _terminated_pod_gc(ctx: _Context) -> _Outcome:
    comp = ctx.controller_manager
    blocked = _need(comp)
    if blocked:
        return blocked
    raw = comp.raw("terminated-pod-gc-threshold")
    pointer = "--terminated-pod-gc-threshold"
    if raw is None:
        return _fail(f"--terminated-pod-gc-threshold is not set (default "
                     f"{DEFAULT_TERMINATED_POD_GC_THRESHOLD}); choose a value for the cluster",
                     comp.path, pointer)
    return _pass(f"{raw.shown}: set", comp.path, pointer)


@_check("1.3.2")
def _kcm_profiling(ctx: _Context) -> _Outcome:
    return _expect_bool(ctx.controller_manager, "profiling", False, DEFAULT_PROFILING)


@_check("1.3.3")
def _sa_credentials(ctx: _Context) -> _Outcome:
    return _expect_bool(ctx.controller_manager, "use-service-account-credentials", True, False)


@_check("1.3.4")
def _sa_private_key(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.controller_manager, "service-account-private-key-file")


@_check("1.3.5")
def _root_ca(ctx: _Context) -> _Outcome:
    return _expect_set(ctx.controller_manager, "root-ca-file")


def feature_gates(comp: Component) -> dict[str, str]:
    """--feature-gates merged across repeats, later keys winning, as the gate's Set does."""
    gates: dict[str, str] = {}
    for f in comp.flags("feature-gates"):
        for part in (f.value or "").split(","):
            key, _, value = part.partition("=")
            if key.strip():
                gates[key.strip()] = value.strip()
    return gates


@_check("1.3.6")
def _rotate_server_cert(ctx: _Context) -> _Outcome:
    comp = ctx.controller_manager
    blocked = _need(comp)
    if blocked:
        return blocked
    gate = "RotateKubeletServerCertificate"
    value = feature_gates(comp).get(gate)
    if value is None:
        return _pass(f"--feature-gates does not set {gate} (default true)", comp.path,
                     "--feature-gates")
    parsed = parse_go_bool(value)
    verdict = _pass if parsed is True else _fail
    return verdict(f"--feature-gates sets {gate}={value}; expected true", comp.path,
                   "--feature-gates")


@_check("1.3.7")
def _kcm_bind(ctx: _Context) -> _Outcome:
    return _expect_loopback_bind(ctx.controller_manager)


@_check("1.4.1")
def _scheduler_profiling(ctx: _Context) -> _Outcome:
    comp = ctx.scheduler
    config = comp.raw("config") if comp.readable else None
    if config is not None:
        return _scheduler_profiling_from_config(ctx, config)
    return _expect_bool(comp, "profiling", False, DEFAULT_PROFILING)


def _scheduler_profiling_from_config(ctx: _Context, config: Raw) -> _Outcome:
    # kube-scheduler ignores its deprecated --profiling once --config names a file
    comp = ctx.scheduler
    doc, rel, why = read_document(ctx.tree, comp, config.text)
    if doc is None:
        return (_na if why.startswith(_NA_FILES) else _fail)(why, comp.path, "--config")
    value = doc.get("enableProfiling", True) if isinstance(doc, Mapping) else True
    verdict = _pass if value is False else _fail
    return verdict(f"{rel}: enableProfiling is {str(value).lower()}; expected false", rel,
                   "enableProfiling")


@_check("1.4.2")
def _scheduler_bind(ctx: _Context) -> _Outcome:
    return _expect_loopback_bind(ctx.scheduler)


# --- 2 etcd --------------------------------------------------------------------------------


def _etcd_ready(ctx: _Context) -> _Outcome | None:
    return _etcd_absent(ctx) or _need(ctx.etcd)


@_check("2.1")
def _etcd_tls(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_set(ctx.etcd, "cert-file", "key-file")


@_check("2.2")
def _etcd_client_cert_auth(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_bool(ctx.etcd, "client-cert-auth", True, False)


@_check("2.3")
def _etcd_auto_tls(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_bool(ctx.etcd, "auto-tls", False, False)


@_check("2.4")
def _etcd_peer_tls(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_set(ctx.etcd, "peer-cert-file", "peer-key-file")


@_check("2.5")
def _etcd_peer_client_cert_auth(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_bool(ctx.etcd, "peer-client-cert-auth", True, False)


@_check("2.6")
def _etcd_peer_auto_tls(ctx: _Context) -> _Outcome:
    return _etcd_ready(ctx) or _expect_bool(ctx.etcd, "peer-auto-tls", False, False)


def _ca_cert(ctx: _Context, comp: Component, path: str) -> tuple[CertInfo | None, str]:
    """The CA a flag names, as the component opens it through its pod's volumes."""
    r = comp.resolve(path)
    if r.reach is Reach.NOT_MOUNTED:
        return None, f"{comp.name} cannot see {path}: {r.reason or comp.problem}"
    if r.reach is Reach.OUTSIDE and not r.node:
        return None, _outside(comp, path, r.host)
    node = ctx.tree.get(r.node) if r.node else None
    node = follow(ctx.tree, node) if node is not None else None
    if node is None or not isinstance(node.content, tuple) or not node.content:
        return None, f"{r.node} is missing or not a certificate"
    return node.content[0], r.node


@_check("2.7")
def _etcd_unique_ca(ctx: _Context) -> _Outcome:
    blocked = _etcd_ready(ctx)
    if blocked:
        return blocked
    comp = ctx.etcd
    raw = comp.raw("trusted-ca-file")
    if raw is None or not raw.text:
        return _fail("--trusted-ca-file is not set; expected a CA of etcd's own", comp.path,
                     "--trusted-ca-file")
    etcd_ca, etcd_where = _ca_cert(ctx, comp, raw.text)
    client = ctx.apiserver.raw("client-ca-file") if ctx.apiserver.readable else None
    if client is None or not client.text:
        cluster_ca, cluster_where = None, "the API server's --client-ca-file is unknown"
    else:
        cluster_ca, cluster_where = _ca_cert(ctx, ctx.apiserver, client.text)
    if etcd_ca is None or cluster_ca is None:
        why = etcd_where if etcd_ca is None else cluster_where
        return _fail(f"{raw.shown} is set, but it cannot be compared with the cluster CA: "
                     f"{why}", comp.path, "--trusted-ca-file")
    if etcd_ca.sha256_fingerprint == cluster_ca.sha256_fingerprint:
        return _fail(f"{etcd_where} is the cluster CA {cluster_where}: any cluster client "
                     "certificate is trusted by etcd; expected a CA of etcd's own",
                     comp.path, "--trusted-ca-file")
    return _pass(f"{etcd_where} ({etcd_ca.subject}) differs from the cluster CA "
                 f"{cluster_where} ({cluster_ca.subject})", comp.path, "--trusted-ca-file")
