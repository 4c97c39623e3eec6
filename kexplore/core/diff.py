"""A real manifest beside the one kubeadm would write: flag by flag, then field by field.

Every difference is classified: *version* (what kubeadm of the tree's own version writes
there), *customisation* (an extraArgs-style override or a host-dependent volume), or
*defect* (breaks a convention or loses something kubeadm relies on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field, replace
from functools import cached_property
from typing import Any

from kexplore.core.conventions.manifests import (
    ACCUMULATING_FLAGS,
    CA_TRUST_VOLUMES,
    COMPONENT_DEFAULTS,
    ETCD_JOIN_STATE,
    FLEXVOLUME,
    GUARDED_FLAGS,
    KNOWN_CUSTOMISATION_PREFIXES,
    REQUIRED_MEMBERS,
    RHEL_CA_VOLUMES,
    STATIC_PODS_BY_FILE,
    UNDOING_MEMBERS,
    StaticPodSpec,
    expected_pod,
    manifest_file,
    static_pod_in,
)
from kexplore.core.manifest import ManifestInfo, parse_flags
from kexplore.core.model import Report, Severity, Tree
from kexplore.core.params import EtcdMode, Inferred, Version, canonical_addresses
from kexplore.core.read.yamlio import dump_yaml
from kexplore.core.records import record
from kexplore.core.secrets import REDACTED, redact_document

VERSION, CUSTOMISATION, DEFECT = "version", "customisation", "defect"
LISTEN_FLAGS = ("bind-address",)

# Fields the five control-plane conventions cover; a change there is a defect.
CONVENTION_FIELDS = (
    "metadata.namespace",
    "metadata.labels",
    "spec.priorityClassName",
    "spec.hostNetwork",
)
# Markers that only ever vary with kubeadm's version (reference §8.3).
VERSION_FIELDS = ("metadata.creationTimestamp", "spec.priority")
OPTIONAL_VOLUMES = {v.name for v in (*CA_TRUST_VOLUMES, *RHEL_CA_VOLUMES) if v.optional}


@record
class Difference:
    """One way a manifest differs from what kubeadm writes, and what kind of difference it is."""

    where: str  # "--flag" or a field path such as spec.containers[kube-apiserver].image
    change: str  # "added", "removed" or "changed"
    expected: str | None
    actual: str | None
    kind: str  # version, customisation or defect
    reason: str


@record
class ManifestDiff:
    """A manifest held against the one kubeadm would write for the same cluster."""

    path: str
    component: str
    against: Version
    flags: tuple[Difference, ...]
    fields: tuple[Difference, ...]
    actual_doc: dict[str, Any] = field(compare=False, repr=False)
    expected_doc: dict[str, Any] = field(compare=False, repr=False)

    @cached_property
    def unified(self) -> str:
        """A classic unified YAML diff, as `kubeadm upgrade diff` prints (3 lines of context).
        Made on demand: the rules never need it, and rendering YAML is the slow part."""
        from difflib import unified_diff

        return "".join(
            unified_diff(
                dump_yaml(self.actual_doc).decode().splitlines(keepends=True),
                dump_yaml(self.expected_doc).decode().splitlines(keepends=True),
                fromfile=f"/etc/kubernetes/{self.path}",
                tofile="new manifest",
                n=3,
            )
        )

    @property
    def all(self) -> tuple[Difference, ...]:
        return self.flags + self.fields

    def of_kind(self, kind: str) -> tuple[Difference, ...]:
        return tuple(d for d in self.all if d.kind == kind)


def flag_map(command: list[str] | tuple[str, ...]) -> dict[str, str]:
    """--name → value as the components read their command line: the last one wins, but
    a list flag given twice holds both (--service-account-key-file during a key rotation)."""
    flags, _ = parse_flags(tuple(command[1:]))
    out: dict[str, str] = {}
    for f in flags:
        value = f.value if f.value is not None else "true"
        if f.name in ACCUMULATING_FLAGS and f.name in out:
            value = f"{out[f.name]},{value}"
        out[f.name] = value
    return out


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A pod as path → scalar; lists of named items are keyed by name, so order is ignored."""
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        if not value and prefix:
            out[prefix] = "{}"
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        if not value and prefix:
            out[prefix] = "[]"
        for i, item in enumerate(value):
            name = item.get("name") if isinstance(item, Mapping) else None
            out.update(flatten(item, f"{prefix}[{name if name is not None else i}]"))
    else:
        out[prefix] = "null" if value is None else str(value)
    return out


def _without_command(pod: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(pod)
    spec = copy.get("spec")
    if not isinstance(spec, Mapping):
        return copy
    spec = dict(spec)
    containers = spec.get("containers")
    if isinstance(containers, list):
        spec["containers"] = [
            {k: v for k, v in c.items() if k not in ("command", "args")}
            if isinstance(c, Mapping)
            else c
            for c in containers
        ]
    copy["spec"] = spec
    return copy


def _first_container(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = pod.get("spec")
    containers = spec.get("containers") if isinstance(spec, Mapping) else None
    if isinstance(containers, list) and containers and isinstance(containers[0], Mapping):
        return containers[0]
    return {}


def _items(value: object) -> list[str]:
    """A command or args list as strings; a hand-written string counts as one item."""
    if isinstance(value, str):
        return [value]
    return [str(x) for x in value] if isinstance(value, list) else []


def _command(pod: Mapping[str, Any]) -> list[str]:
    first = _first_container(pod)
    return _items(first.get("command")) + _items(first.get("args"))


def _flag_kind(
    name: str, expected: str | None, actual: str | None, own: dict[str, str], missing_file: bool
) -> tuple[str, str]:
    if own.get(name) == actual:
        return VERSION, "what kubeadm writes for the tree's own version"
    if missing_file:
        return DEFECT, "names a file that is not in the tree"
    members = _members_kind(name, actual)
    if members:
        return members
    if name in LISTEN_FLAGS and expected is None:
        # kubeadm leaves the API server on all addresses; one address is narrower.
        return CUSTOMISATION, "listens on fewer addresses than kubeadm's default: narrower"
    if name in ACCUMULATING_FLAGS and expected and actual and (
            set(expected.split(",")) <= set(actual.split(","))):
        return CUSTOMISATION, "keeps kubeadm's value and adds to it"
    if name in GUARDED_FLAGS:
        return DEFECT, "kubeadm relies on this flag; changing or dropping it weakens the node"
    if expected is None or name.startswith(KNOWN_CUSTOMISATION_PREFIXES):
        return CUSTOMISATION, "an extraArgs-style override"
    if actual is None:
        return DEFECT, "a default flag kubeadm writes is gone"
    return CUSTOMISATION, "an extraArgs-style override of a default"


def _members_kind(name: str, actual: str | None) -> tuple[str, str] | None:
    """A list flag judged by what it holds: kubeadm's members kept is a customisation,
    one lost or undone is a weakening."""
    held = set((actual or "").split(","))
    undoing = [m for m in UNDOING_MEMBERS.get(name, ()) if m in held]
    if undoing:
        return DEFECT, f"{', '.join(undoing)} undoes what kubeadm relies on"
    required = REQUIRED_MEMBERS.get(name)
    if required is None:
        return None
    lost = [m for m in required if m not in held]
    if lost:
        return DEFECT, f"loses {', '.join(lost)}, which kubeadm relies on"
    return CUSTOMISATION, f"keeps {', '.join(required)}: a customisation, not a weakening"


def _joined_etcd(
    name: str, actual: str | None, expected: str | None, have: dict[str, str]
) -> bool:
    """What kubeadm join writes on a control-plane node it adds to a stacked etcd: the
    state "existing" and an --initial-cluster that lists the members before it too."""
    state, existing = ETCD_JOIN_STATE
    if have.get(state) != existing:
        return False
    if name == state:
        return True
    if name != "initial-cluster" or not actual or not expected:
        return False
    members = {canonical_addresses(m) for m in actual.split(",")}
    return canonical_addresses(expected) in members


def _field_kind(where: str, actual: str | None, own: dict[str, str]) -> tuple[str, str]:
    if own.get(where) == actual or where.startswith(VERSION_FIELDS):
        return VERSION, "what kubeadm writes for the tree's own version"
    if f"[{FLEXVOLUME.name}]" in where and actual is not None:
        return VERSION, "kubeadm 1.35 and older mounted it; an upgraded manifest may keep it"
    if where.startswith(CONVENTION_FIELDS):
        return DEFECT, "breaks a control-plane convention"
    if any(f"[{name}]" in where for name in OPTIONAL_VOLUMES):
        return CUSTOMISATION, "a CA trust folder kubeadm mounts only where the host has it"
    if where.endswith(".image"):
        return DEFECT, "an image other than the version's own"
    return CUSTOMISATION, "a change kubeadm would not make"


def diff_pod(
    path: str,
    actual: Mapping[str, Any],
    spec: StaticPodSpec,
    inferred: Inferred,
    against: Version | None = None,
    missing: frozenset[str] = frozenset(),
    local_etcd_here: bool = False,
) -> ManifestDiff:
    """Differences between a real pod and kubeadm's, for `against` (default: its own version)."""
    own_params = inferred.expected_params
    if local_etcd_here and not own_params.local_etcd:
        # The node runs its own etcd yet the API server points elsewhere: hold it against
        # kubeadm's stacked layout so the redirection shows as the customisation it is.
        own_params = replace(own_params, etcd=EtcdMode.LOCAL)
    target = replace(own_params, kubernetes_version=against) if against else own_params
    if against:
        target = replace(target, etcd_image_tag="")
    expected, own = expected_pod(spec, target), expected_pod(spec, own_params)
    # Secrets are compared (two different tokens are a change) but only their redacted
    # forms are kept: nothing this returns (flags, fields, the unified diff, and the check
    # findings made from them) can carry a token, a password or a private key.
    shown_actual, shown_expected = redact_document(actual), redact_document(expected)
    want, have, own_flags = (
        flag_map(_command(expected)),
        flag_map(_command(actual)),
        flag_map(_command(own)),
    )
    shown_want, shown_have = flag_map(_command(shown_expected)), flag_map(_command(shown_actual))
    defaults = COMPONENT_DEFAULTS.get(spec.name, {})
    unknown = inferred.unknown_values
    flags = []
    for name in sorted(want.keys() | have.keys()):
        e, a = want.get(name), have.get(name)
        if _same_value(e, a, defaults.get(name)) or _needs_unknown(e, unknown):
            continue
        change = "added" if e is None else "removed" if a is None else "changed"
        if spec.name == "etcd" and _joined_etcd(name, a, e, have):
            kind, reason = VERSION, "what kubeadm join writes on a joined control-plane node"
        else:
            kind, reason = _flag_kind(name, e, a, own_flags, bool(a and a in missing))
        shown_e, shown_a = _shown(name, shown_want), _shown(name, shown_have)
        flag = f"--{name}" if name in shown_want or name in shown_have else REDACTED
        flags.append(Difference(flag, change, shown_e, shown_a, kind, reason))
    want_f, have_f = flatten(_without_command(expected)), flatten(_without_command(actual))
    own_f = flatten(_without_command(own))
    shown_want_f = flatten(_without_command(shown_expected))
    shown_have_f = flatten(_without_command(shown_actual))
    fields = []
    for where in sorted(want_f.keys() | have_f.keys()):
        e, a = want_f.get(where), have_f.get(where)
        if _same_value(e, a) or _needs_unknown(e, unknown):
            continue
        change = "added" if e is None else "removed" if a is None else "changed"
        kind, reason = _field_kind(where, a, own_f)
        shown_where = where if where in shown_want_f or where in shown_have_f else REDACTED
        fields.append(
            Difference(
                shown_where,
                change,
                _shown(where, shown_want_f),
                _shown(where, shown_have_f),
                kind,
                reason,
            )
        )
    return ManifestDiff(
        path, spec.name, target.version, tuple(flags), tuple(fields), shown_actual, shown_expected
    )


def _same_value(expected: str | None, actual: str | None, default: str | None = None) -> bool:
    """Equal as the component reads them: an absent flag is its default, and addresses
    compare as addresses."""
    e = expected if expected is not None else default
    a = actual if actual is not None else default
    if e is None or a is None:
        return e is a
    return e == a or canonical_addresses(e) == canonical_addresses(a)


def _needs_unknown(expected: str | None, unknown: frozenset[str]) -> bool:
    """An expectation built from a parameter the tree does not hold compares nothing."""
    return bool(expected) and any(value in str(expected) for value in unknown)


def _shown(key: str, shown: Mapping[str, str]) -> str | None:
    """A value as redaction left it; never a fallback to the real one (redaction keeps the
    document's shape, so a value is missing only where its name itself was hidden)."""
    return shown.get(key)


def diff_manifest(
    tree: Tree, path: str, inferred: Inferred, against: Version | None = None
) -> ManifestDiff | None:
    """The diff of one of kubeadm's manifests in `tree` (its .yaml, or the .json standing
    in for it, asked by either name); None for a third-party static pod."""
    present = _present(tree)
    spec = static_pod_in(path, present)
    if spec is not None:
        path = manifest_file(spec, present)
    node = tree.get(path)
    if spec is None or node is None or not isinstance(node.content, ManifestInfo):
        return None
    return diff_pod(
        path,
        node.content.raw,
        spec,
        inferred,
        against,
        _missing_files(tree, node.content),
        local_etcd_here=present(manifest_file(STATIC_PODS_BY_FILE["manifests/etcd.yaml"],
                                              present)),
    )


def _present(tree: Tree) -> Callable[[str], bool]:
    return lambda p: tree.get(p) is not None


def _missing_files(tree: Tree, pod: ManifestInfo) -> frozenset[str]:
    """The flag paths whose file is not there, read through the pod's mounts (the plane's
    one mapping of paths)."""
    from kexplore.core.plane.mounts import absent, pod_paths

    return frozenset(ref.path for ref, container in pod_paths(pod)
                     if absent(tree, pod, container, ref.path))


@record
class ChecklistItem:
    """One convention a manifest is held to, and whether it holds."""

    rule: str
    passed: bool
    why: str


# Beyond the five control-plane conventions, what else a manifest is held to.
EXTRA_CHECKS = (
    ("manifest-file-missing", "every file its flags name is in the tree"),
    ("manifest-flag", "kubeadm's default flags are all there, unchanged"),
    ("manifest-version-skew", "the same Kubernetes minor as the API server"),
    ("file-mode", "mode 0600 or stricter: only root reads the control plane's flags"),
)


def checklist(tree: Tree, path: str, report: Report) -> list[ChecklistItem]:
    """The conventions a static pod is held to, each passed or failed, with why it matters."""
    from kexplore.core.conventions.manifests import LEADER_ELECTED, POD_CONVENTIONS

    failed = {f.rule for f in report.for_path(path) if f.severity is not Severity.INFO}
    spec = static_pod_in(path, _present(tree))
    items = [
        ChecklistItem(c.rule, c.rule not in failed, c.why)
        for c in POD_CONVENTIONS
        if c.rule != "manifest-leader-elect" or (spec and spec.name in LEADER_ELECTED)
    ]
    items += [ChecklistItem(rule, rule not in failed, why) for rule, why in EXTRA_CHECKS]
    return items
