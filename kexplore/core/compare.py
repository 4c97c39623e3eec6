"""Several control-plane nodes of one cluster, held against each other.

Shared material must be identical on every node, per-node material must differ and name
its own node, and the cluster-wide parameters and flags must agree. Each finding concerns
one node: the odd one out. Where the nodes split evenly, the first node given is the
reference. A value a node's tree does not hold is unknown, and takes no part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from kexplore.core.conventions.ha import (
    AGREED,
    AGREED_FLAGS,
    MAX_MINOR_SKEW,
    PER_NODE,
    PER_NODE_FLAGS,
    SHARED,
    AgreedParameter,
    PerNodeMaterial,
    SharedMaterial,
)
from kexplore.core.inventory import CertRecord, Inventory
from kexplore.core.model import Finding, Severity
from kexplore.core.params import Version, split_host_port
from kexplore.core.records import record

V = TypeVar("V")
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
ABSENT = "(absent)"


@record
class NodeFinding:
    """A finding about one node of the set: check's shape, plus the node it concerns."""

    node: str
    finding: Finding

    def as_json(self) -> dict[str, str]:
        return {**self.finding.as_json(), "node": self.node}


@record
class Comparison:
    nodes: tuple[Inventory, ...]
    labels: tuple[str, ...]  # each node's name in the findings, unique within the set
    findings: tuple[NodeFinding, ...]

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.finding.severity.value] += 1
        return counts


@record
class _Node:
    label: str
    inv: Inventory


def compare(inventories: Sequence[Inventory]) -> Comparison:
    """Every disagreement between the nodes, worst first, node by node."""
    labels = _labels(inventories)
    nodes = [_Node(label, inv) for label, inv in zip(labels, inventories, strict=True)]
    found: list[NodeFinding] = []
    for material in SHARED:
        found += _shared(nodes, material)
    for per_node in PER_NODE:
        found += _copied(nodes, per_node)
    found += _version_skew(nodes)
    for parameter in AGREED:
        found += _parameter(nodes, parameter)
    found += _flags(nodes)
    found += _etcd_members(nodes)
    found += _endpoint_sans(nodes)
    order = {n.label: i for i, n in enumerate(nodes)}
    found.sort(key=lambda f: (-f.finding.severity.rank, order[f.node], f.finding.sort_key()))
    return Comparison(tuple(inventories), tuple(n.label for n in nodes), tuple(found))


def _labels(inventories: Sequence[Inventory]) -> list[str]:
    names = [inv.node for inv in inventories]
    repeated = {n for n, c in Counter(names).items() if c > 1}
    return [
        f"{n} ({inv.root})" if n in repeated else n
        for n, inv in zip(names, inventories, strict=True)
    ]


def _odd_ones(values: dict[str, V]) -> tuple[V, list[str]]:
    """The value most nodes hold (on a tie, the earliest node's), and the nodes that differ."""
    counts = Counter(values.values())
    best = max(counts.values())
    reference = next(v for v in values.values() if counts[v] == best)
    return reference, [label for label, v in values.items() if v != reference]


def _holders(values: dict[str, V], value: V) -> str:
    return ", ".join(label for label, v in values.items() if v == value)


def _finding(
    node: str, rule: str, severity: Severity, path: str, message: str, pointer: str = "",
    fix: str = "",
) -> NodeFinding:
    return NodeFinding(node, Finding(rule, severity, path, message, pointer, fix))


def _short(fingerprint: str) -> str:
    return fingerprint[:23] + "…" if len(fingerprint) > 23 else fingerprint


# --- shared material ----------------------------------------------------------------------


def _shared_fingerprint(inv: Inventory, material: SharedMaterial) -> str | None:
    if material.file.endswith(".pub"):
        key = inv.key(material.file) or inv.key(material.file.removesuffix(".pub") + ".key")
        return key.public_key_sha256 if key and key.public_key_sha256 else None
    cert = inv.cert(material.file)
    return cert.sha256 if cert else None


def _shared(nodes: list[_Node], material: SharedMaterial) -> list[NodeFinding]:
    """ha-shared-mismatch: the CAs and the sa pair are one set, copied to every node."""
    values = {
        n.label: fp for n in nodes if (fp := _shared_fingerprint(n.inv, material)) is not None
    }
    if len(values) < 2:
        return []
    reference, odd = _odd_ones(values)
    what = "public key" if material.file.endswith(".pub") else "certificate"
    return [
        _finding(
            label,
            "ha-shared-mismatch",
            Severity.ERROR,
            material.file,
            f"{material.file} is another {what} than the other nodes' "
            f"(sha256 {_short(values[label])}; {_holders(values, reference)}: "
            f"{_short(reference)}): {material.why}",
            fix=f"copy {material.name}'s files from {_holders(values, reference).split(', ')[0]}"
            " (kubeadm join --control-plane copies them) and reissue this node's certificates",
        )
        for label in odd
    ]


# --- per-node material --------------------------------------------------------------------


def _names_node(cert: CertRecord, inv: Inventory, material: PerNodeMaterial) -> bool:
    """Whether a per-node certificate is this node's own: its name or address in it."""
    node = inv.parameter("node_name")
    if material.file.endswith(".conf"):
        return node is not None and cert.subject_cn == f"system:node:{node}"
    address = inv.parameter("advertise_address")
    return (address is not None and address in cert.ip_sans) or (
        node is not None and node in cert.dns_sans
    )


def _copied(nodes: list[_Node], material: PerNodeMaterial) -> list[NodeFinding]:
    """ha-copied-cert: the same key pair on two nodes; the copy is the one not naming its node."""
    by_key: dict[str, list[tuple[_Node, CertRecord]]] = {}
    for n in nodes:
        cert = n.inv.cert(material.file)
        if cert is not None and cert.public_key_sha256:
            by_key.setdefault(cert.public_key_sha256, []).append((n, cert))
    out = []
    for holders in by_key.values():
        if len(holders) < 2:
            continue
        own = [n for n, cert in holders if _names_node(cert, n.inv, material)]
        origin = own[0] if own else holders[0][0]
        for n, cert in holders:
            if n is origin:
                continue
            out.append(
                _finding(
                    n.label,
                    "ha-copied-cert",
                    Severity.ERROR,
                    material.file,
                    f"{material.file} holds the same key as {origin.label}'s: a copy, naming "
                    f"{_naming(cert, material)} and not this node; {material.why}",
                    pointer=cert.pointer,
                    fix=f"issue {material.name} on this node itself "
                    f"(kubeadm init phase certs {material.name}, or kubeadm join)"
                    if not material.file.endswith(".conf")
                    else "let the kubelet bootstrap its own client certificate "
                    "(kubeadm join), or issue one for system:node:<this node>",
                )
            )
    return out


def _naming(cert: CertRecord, material: PerNodeMaterial) -> str:
    if material.file.endswith(".conf"):
        return cert.subject_cn
    own = [s for s in cert.sans if not s.startswith("kubernetes") and s not in ("localhost",)]
    return ", ".join(own[:4]) or "no node"


# --- versions -----------------------------------------------------------------------------


def _version(inv: Inventory) -> Version | None:
    text = inv.parameter("kubernetes_version")
    try:
        return Version.parse(text) if text else None
    except ValueError:
        return None


def _version_skew(nodes: list[_Node]) -> list[NodeFinding]:
    """ha-version-skew: API servers of one cluster may be one minor apart, during an upgrade."""
    versions = {n.label: v for n in nodes if (v := _version(n.inv)) is not None}
    if len(set(versions.values())) < 2:
        return []
    newest = max(versions.values())
    out = []
    for label, version in versions.items():
        if version == newest:
            continue
        minors = newest.minor - version.minor if version.major == newest.major else 99
        if minors == 0:
            severity, how = Severity.INFO, "another patch release: harmless"
        elif minors <= MAX_MINOR_SKEW:
            severity, how = Severity.WARNING, "allowed only while an upgrade runs: finish it"
        else:
            severity, how = Severity.ERROR, (
                f"more than {MAX_MINOR_SKEW} minor version apart, which Kubernetes does not "
                "support between API servers"
            )
        out.append(
            _finding(
                label,
                "ha-version-skew",
                severity,
                "manifests/kube-apiserver.yaml",
                f"runs {version}; the newest node runs {newest} ({_holders(versions, newest)}): "
                f"{how}",
                pointer="image",
                fix=f"kubeadm upgrade node on this node, to {newest}",
            )
        )
    return out


# --- parameters and flags -----------------------------------------------------------------


def _source_path(inv: Inventory, name: str) -> str:
    source = next((p.source for p in inv.parameters if p.name == name), "")
    return source.split(" ", 1)[0]


def _parameter(nodes: list[_Node], parameter: AgreedParameter) -> list[NodeFinding]:
    """ha-parameter-mismatch: a cluster-wide parameter that differs from node to node."""
    values = {
        n.label: v for n in nodes if (v := n.inv.parameter(parameter.name)) is not None
    }
    if len(values) < 2:
        return []
    reference, odd = _odd_ones(values)
    by_label = {n.label: n for n in nodes}
    return [
        _finding(
            label,
            "ha-parameter-mismatch",
            Severity.ERROR if parameter.error else Severity.WARNING,
            _source_path(by_label[label].inv, parameter.name),
            f"the {parameter.label} is {values[label]!r} here and {reference!r} on "
            f"{_holders(values, reference)}: {parameter.why}",
            pointer=parameter.label,
            fix=f"set the {parameter.label} to {reference!r} on this node",
        )
        for label in odd
    ]


def _flags(nodes: list[_Node]) -> list[NodeFinding]:
    """ha-flag-mismatch: a flag of a component that differs between nodes of one version;
    per-node flags (names, addresses) and the agreed parameters' flags are left out."""
    minors = {n.label: v.minor_tuple for n in nodes if (v := _version(n.inv)) is not None}
    common = Counter(minors.values()).most_common(1)[0][0] if minors else None
    same_version = [n for n in nodes if minors.get(n.label, common) == common]
    out: list[NodeFinding] = []
    for component in COMPONENTS:
        flags = {
            n.label: found for n in same_version if (found := _flags_of(n.inv, component))
            is not None
        }
        names = {name for values in flags.values() for name in values}
        skipped = PER_NODE_FLAGS.get(component, frozenset())
        for name in sorted(names):
            if name in skipped or (component, name) in AGREED_FLAGS:
                continue
            values = {label: held.get(name, ABSENT) for label, held in flags.items()}
            if len(set(values.values())) < 2:
                continue
            reference, odd = _odd_ones(values)
            out += [
                _finding(
                    label,
                    "ha-flag-mismatch",
                    Severity.WARNING,
                    f"manifests/{component}.yaml",
                    f"--{name} is {values[label]!r} here and {reference!r} on "
                    f"{_holders(values, reference)}: the cluster behaves differently "
                    "depending on which node serves it",
                    pointer=f"--{name}",
                    fix=f"make --{name} the same on every control-plane node "
                    "(ClusterConfiguration extraArgs apply to all)",
                )
                for label in odd
            ]
    return out


def _flags_of(inv: Inventory, component: str) -> dict[str, str] | None:
    """A component's effective flags (bare ones as "(bare)"), or None without its manifest."""
    manifest = inv.manifest(component)
    if manifest is None or not manifest.containers:
        return None
    container = next((c for c in manifest.containers if c.name == component),
                     manifest.containers[-1])
    return {name: container.flag(name) or "(bare)" for name, _ in container.flags}


# --- etcd members -------------------------------------------------------------------------


def _etcd_flag(inv: Inventory, name: str) -> str | None:
    manifest = inv.manifest("etcd")
    container = manifest.containers[0] if manifest and manifest.containers else None
    return container.flag(name) if container else None


def _etcd_members(nodes: list[_Node]) -> list[NodeFinding]:
    """ha-etcd-members: each member has one name and one peer URL, and every node that lists
    a member lists it as that member announces itself."""
    own: dict[str, tuple[str, str]] = {}  # etcd name -> (node label, peer URL)
    out = []
    for n in nodes:
        name = _etcd_flag(n.inv, "name")
        url = _etcd_flag(n.inv, "initial-advertise-peer-urls")
        if not name or not url:
            continue
        if name in own:
            out.append(_finding(
                n.label, "ha-etcd-members", Severity.ERROR, "manifests/etcd.yaml",
                f"etcd member name {name!r} is also {own[name][0]}'s: etcd refuses a second "
                "member of one name",
                pointer="--name", fix="give this member the node's own name",
            ))
            continue
        own[name] = (n.label, url)
    for n in nodes:
        listed = _etcd_flag(n.inv, "initial-cluster") or ""
        for entry in filter(None, listed.split(",")):
            name, _, url = entry.partition("=")
            if name in own and url != own[name][1] and own[name][0] != n.label:
                out.append(_finding(
                    n.label, "ha-etcd-members", Severity.ERROR, "manifests/etcd.yaml",
                    f"--initial-cluster lists {name} at {url}, but {own[name][0]} announces "
                    f"{own[name][1]}: etcd on this node cannot reach that member",
                    pointer="--initial-cluster",
                    fix=f"list {name}={own[name][1]}",
                ))
    return out


# --- the endpoint -------------------------------------------------------------------------


def _endpoint_sans(nodes: list[_Node]) -> list[NodeFinding]:
    """ha-endpoint-san: clients reach any node through the shared endpoint, so every API
    server's certificate must name it."""
    endpoints = {
        n.label: e for n in nodes if (e := n.inv.parameter("control_plane_endpoint"))
    }
    if not endpoints:
        return []
    endpoint = _odd_ones(endpoints)[0]
    host = split_host_port(endpoint)[0]
    out = []
    for n in nodes:
        cert = n.inv.cert("pki/apiserver.crt")
        if cert is None or host in cert.sans:
            continue
        out.append(_finding(
            n.label, "ha-endpoint-san", Severity.ERROR, "pki/apiserver.crt",
            f"the API server's certificate does not name the control-plane endpoint {host} "
            f"(SANs: {', '.join(cert.sans)}): clients sent to this node through {endpoint} "
            "fail the TLS handshake",
            pointer="subjectAltName",
            fix=f"reissue with {host} in certSANs: kubeadm init phase certs apiserver",
        ))
    return out



# --- side by side -------------------------------------------------------------------------


@record
class MaterialRow:
    """One line of the side-by-side view: what each node holds of one thing."""

    what: str
    kind: str  # "shared", "per-node" or "parameter"
    values: tuple[str, ...]  # one per node; "" where the node's tree does not hold it
    agrees: bool  # shared and parameters: one value; per-node: every value its own


def side_by_side(result: Comparison) -> list[MaterialRow]:
    nodes = result.nodes
    rows = []
    for material in SHARED:
        values = tuple(_short(_shared_fingerprint(inv, material) or "") for inv in nodes)
        rows.append(MaterialRow(f"{material.name} ({material.file})", "shared", values,
                                len(set(filter(None, values))) <= 1))
    for per_node in PER_NODE:
        certs = [inv.cert(per_node.file) for inv in nodes]
        values = tuple(_short(c.public_key_sha256) if c else "" for c in certs)
        known = [v for v in values if v]
        rows.append(MaterialRow(f"{per_node.name} ({per_node.file})", "per-node", values,
                                len(set(known)) == len(known)))
    for name, label in (("kubernetes_version", "Kubernetes version"),
                        ("advertise_address", "advertise address"),
                        *((p.name, p.label) for p in AGREED)):
        values = tuple(inv.parameter(name) or "" for inv in nodes)
        per_node_value = name == "advertise_address"
        known = [v for v in values if v]
        agrees = len(set(known)) == len(known) if per_node_value else len(set(known)) <= 1
        rows.append(MaterialRow(label, "per-node" if per_node_value else "parameter", values,
                                agrees))
    return rows
