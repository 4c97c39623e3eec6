"""Write the trees of an HA control plane: one init node and the nodes that joined it.

Every node holds the same CAs and service-account pair and issues the rest for its own
name and address, as `kubeadm join --control-plane` leaves them: a joined node has no
super-admin.conf, and its etcd joins the members already there
(`--initial-cluster-state=existing`, `--initial-cluster` listing them and itself).
HA faults are planted on the last node, and so is every single-node fault.

A joined node's kubelet.conf is the one the kubelet's TLS bootstrap writes, in every
version: its own default-* names, the CA embedded, and the client pair named at
/var/lib/kubelet/pki/kubelet-client-current.pem, outside the tree (reference §3.3); its
server is the bootstrap kubeconfig's, the shared endpoint until 1.32 and the node's own
API server from 1.33 (ControlPlaneKubeletLocalMode). The init node keeps kubeadm's
embedded form (before kubelet-finalize), so the tree alone holds one node's identity.
With node_root each node is a node's / instead, its kubelet's files beside the tree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.conventions.ha import PER_NODE_BY_NAME
from kexplore.core.conventions.kubeconfigs import (
    JOINED_KUBELET_NAMES,
    KUBECONFIGS_BY_FILE,
    KUBELET_ROTATED_CERT,
)
from kexplore.core.faults import HA_FAULTS_BY_NAME, Fault
from kexplore.core.generate import (
    SharedPki,
    TargetNotEmpty,
    build_files,
    issue_one,
    issue_shared,
    kubelet_conf_planted,
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
    node_root: bool = False,
) -> dict[str, list[str]]:
    """Write ROOT/cp-1 ... ROOT/cp-N (each a node's / with node_root); return the paths
    written, by node folder."""
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
        if params.joined and not (last and kubelet_conf_planted(plain)):
            files["kubelet.conf"] = bootstrapped_kubelet_conf(files["kubelet.conf"], params)
        if last:
            _plant(files, trees[0], ha)
        trees.append(files)
    if node_root:
        from kexplore.core.generate_node import generate_node_root

        return {
            params.node_name: generate_node_root(
                root / params.node_name, params, now, plain if params is nodes[-1] else (),
                force, tree_files=files)
            for params, files in zip(nodes, trees, strict=True)
        }
    return {
        params.node_name: write_files(root / params.node_name, files, params,
                                      plain if params is nodes[-1] else ())
        for params, files in zip(nodes, trees, strict=True)
    }


def bootstrapped_kubelet_conf(kubeadm_form: bytes, params: ClusterParams) -> bytes:
    """kubelet.conf as the kubelet's TLS bootstrap writes it on a joined node, made from
    the one kubeadm writes: the same CA, the bootstrap kubeconfig's server, default-*
    names, and the rotated pair named instead of embedded."""
    from kexplore.core.read.yamlio import dump_yaml, load_yaml

    cluster_name, user_name, context_name = JOINED_KUBELET_NAMES
    doc = load_yaml(kubeadm_form)
    cluster = doc["clusters"][0]["cluster"]
    cluster["server"] = KUBECONFIGS_BY_FILE["kubelet.conf"].server_rule(
        params.version).url(params)
    doc["clusters"] = [{"cluster": cluster, "name": cluster_name}]
    doc["contexts"] = [{"context": {"cluster": cluster_name, "namespace": "default",
                                    "user": user_name},
                        "name": context_name}]
    doc["current-context"] = context_name
    doc["users"] = [{"name": user_name,
                     "user": {"client-certificate": KUBELET_ROTATED_CERT,
                              "client-key": KUBELET_ROTATED_CERT}}]
    return dump_yaml(doc)


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
