"""Write the trees of an HA control plane: one init node and the nodes that joined it.

Every node holds the same CAs and service-account pair and issues the rest for its own
name and address, as `kubeadm join --control-plane` leaves them: a joined node has no
super-admin.conf, and its etcd joins the members already there
(`--initial-cluster-state=existing`, `--initial-cluster` listing them and itself).
HA faults are planted on the last node, and so is every single-node fault.

One simplification: a joined kubelet bootstraps its own client certificate into
/var/lib/kubelet, outside the tree; here every node's kubelet.conf embeds it, as on the
init node, so that the tree alone holds the node's identity.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.conventions.ha import PER_NODE_BY_NAME
from kexplore.core.faults import HA_FAULTS_BY_NAME, Fault
from kexplore.core.generate import (
    SharedPki,
    TargetNotEmpty,
    build_files,
    issue_one,
    issue_shared,
    new_key,
    refuse_unwritable,
    set_flag,
    write_files,
)
from kexplore.core.params import ClusterParams, Version, host_port

FLAG_MISMATCH = ("profiling", "false")


def node_params(base: ClusterParams, count: int) -> list[ClusterParams]:
    """cp-1 (the init node) to cp-N, each at the next address, each joining those before."""
    if count < 2:
        raise ValueError("an HA set needs at least 2 nodes")
    if not base.control_plane_endpoint:
        raise ValueError(
            "an HA set needs --control-plane-endpoint: kubeadm refuses to join a control-plane "
            "node to a cluster without a shared endpoint"
        )
    stem = base.node_name.rsplit("-", 1)[0] if base.node_name[-1:].isdigit() else base.node_name
    first = ipaddress.ip_address(base.advertise_address)
    nodes: list[ClusterParams] = []
    members: list[str] = []
    for i in range(count):
        address = str(first + i)
        params = replace(
            base,
            node_name=f"{stem}-{i + 1}",
            advertise_address=address,
            joined=i > 0,
            etcd_members=tuple(members) if i > 0 and base.local_etcd else (),
        )
        members.append(f"{params.node_name}=https://{host_port(address, 2380)}")
        nodes.append(params)
    return nodes


def generate_ha(
    root: Path,
    base: ClusterParams,
    count: int,
    now: datetime,
    faults: Sequence[Fault] = (),
    force: bool = False,
) -> dict[str, list[str]]:
    """Write ROOT/cp-1 ... ROOT/cp-N; return the paths written, by node folder."""
    refuse_unwritable(base)
    nodes = node_params(base, count)
    ha = [f for f in faults if f.name in HA_FAULTS_BY_NAME]
    plain = [f for f in faults if f.name not in HA_FAULTS_BY_NAME]
    nodes[-1] = _skewed(nodes[-1], ha)
    for params in nodes:
        target = root / params.node_name
        if target.is_dir() and any(target.iterdir()) and not force:
            raise TargetNotEmpty(f"{target} is not empty; pass --force to write into it anyway")
    shared = issue_shared(base, now)
    trees: list[dict[str, bytes]] = []
    for i, params in enumerate(nodes):
        last = i == len(nodes) - 1
        own = _own_shared(shared, params, now, ha) if last else shared
        files = build_files(params, now, plain if last else (), own)
        if last:
            _plant(files, trees[0], ha)
        trees.append(files)
    return {
        params.node_name: write_files(root / params.node_name, files, params,
                                      plain if params is nodes[-1] else ())
        for params, files in zip(nodes, trees, strict=True)
    }


def _skewed(params: ClusterParams, faults: Sequence[Fault]) -> ClusterParams:
    for fault in faults:
        if fault.name == "ha-version-skew":
            behind = 1 if fault.target == "one-minor" else 2
            v = params.version
            params = replace(params, kubernetes_version=Version(v.major, v.minor - behind, 0))
    return params


def _own_shared(
    shared: SharedPki, params: ClusterParams, now: datetime, faults: Sequence[Fault]
) -> SharedPki:
    """The shared material as the last node holds it: a CA or sa pair of its own where a
    fault says so (what a second `kubeadm init` instead of a join leaves behind)."""
    cas = dict(shared.cas)
    sa = shared.sa
    for fault in faults:
        if fault.name != "ha-shared-mismatch":
            continue
        if fault.target == "sa":
            sa = new_key(params.key_algorithm)
        else:
            cas[fault.target] = issue_one(CERTS_BY_NAME[fault.target], params, now, None)
    return SharedPki(cas, sa)


def _plant(files: dict[str, bytes], first: dict[str, bytes], faults: Sequence[Fault]) -> None:
    for fault in faults:
        if fault.name == "ha-copied-cert":
            path = PER_NODE_BY_NAME[fault.target].file
            files[path] = first[path]
            if path.endswith(".crt"):
                key = path.removesuffix(".crt") + ".key"
                files[key] = first[key]
        elif fault.name == "ha-flag-mismatch":
            manifest = f"manifests/{fault.target}.yaml"
            name, value = FLAG_MISMATCH
            files[manifest] = _with_flag(files[manifest], name, value)


def _with_flag(manifest: bytes, name: str, value: str) -> bytes:
    """The manifest with `--name=value` set, in kubeadm's sorted flag order."""
    from kexplore.core.read.yamlio import dump_yaml, load_yaml

    pod = load_yaml(manifest)
    set_flag(pod["spec"]["containers"][0]["command"], name, value)
    return dump_yaml(pod)
