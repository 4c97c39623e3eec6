"""build_plane: the components and every relation of one tree, judged at `now`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kexplore.core.model import Tree
from kexplore.core.params import Inferred
from kexplore.core.plane.components import (
    APISERVER,
    ETCD,
    KUBELET,
    components,
    pod_components,
)
from kexplore.core.plane.connections import (
    ApiServer,
    etcd_links,
    front_proxy_link,
    kubeconfig_clients,
    kubeconfig_link,
    peer_links,
)
from kexplore.core.plane.judge import Verdict
from kexplore.core.plane.kubelet import kubelet_component, kubelet_link
from kexplore.core.plane.model import Plane, Relation
from kexplore.core.plane.signing import pair_verdicts, signing_relations

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles


def _merged(now: datetime, *verdicts: Verdict | None) -> Verdict:
    """The pairs a connection relies on: their causes break it too."""
    merged = Verdict(now)
    for v in verdicts:
        if v is not None:
            merged.absorb(v)
    return merged


def build_plane(
    tree: Tree, now: datetime, inferred: Inferred | None = None,
    node: NodeFiles | None = None,
) -> Plane:
    """The control plane as the files make it run. `inferred` is accepted for the views
    that have it at hand; every path and address here is read from the tree itself, and,
    when `node` holds the node's files, from the kubelet's own config.yaml too."""
    del inferred  # the plane reads flags and fields only, never the inferred defaults
    pods = pod_components(tree)
    api = ApiServer.read(tree, pods.get(APISERVER))
    etcd = pods.get(ETCD)
    pair_relations, pairs = pair_verdicts(tree, now, pods)
    tls = _merged(now, pairs.get((APISERVER, "tls-cert-file")))
    relations: list[Relation] = []
    for rid, client, kc, info, comp in kubeconfig_clients(tree, pods):
        relations.append(kubeconfig_link(tree, now, api, rid, client, kc, info, comp, tls,
                                         node))
    relations += etcd_links(tree, now, api, etcd, _merged(
        now, pairs.get((APISERVER, "etcd-certfile")), pairs.get((ETCD, "cert-file"))))
    relations += peer_links(tree, now, etcd)
    relations += kubelet_link(tree, now, api, _merged(
        now, pairs.get((APISERVER, "kubelet-client-certificate"))), node)
    relations += front_proxy_link(tree, now, api, _merged(
        now, pairs.get((APISERVER, "proxy-client-cert-file"))))
    relations += signing_relations(tree, now, pods, api.client_ca, api.cert)
    relations += pair_relations
    parts = tuple(kubelet_component(c, tree, node, api) if c.name == KUBELET else c
                  for c in components(tree, pods))
    return Plane(tree.root, now, parts, tuple(relations))
