"""The components of the control plane, read from the live static pod manifests (the
kubelet runs every file in manifests/) and from kubelet.conf for the kubelet itself."""

from __future__ import annotations

import posixpath

from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Kind, Tree
from kexplore.core.paths import tree_path
from kexplore.core.plane.model import Component, FileUse
from kexplore.core.plane.mounts import container_host_path, in_container
from kexplore.core.plane.pods import shadowed
from kexplore.core.records import record

APISERVER = "kube-apiserver"
ETCD = "etcd"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
KUBELET = "kubelet"
KUBE_PROXY = "kube-proxy"
CLOUD_CONTROLLER_MANAGER = "cloud-controller-manager"

# What each component does, for a newcomer: the explorer shows these beside the links.
ABOUT = {
    APISERVER: "the front end that exposes the Kubernetes API: every other part, and "
    "every user, talks to the cluster through it",
    ETCD: "the key-value store that holds all cluster data",
    CONTROLLER_MANAGER: "runs the control loops that move the current state of the "
    "cluster towards the desired state, like a thermostat",
    SCHEDULER: "picks a node for each new pod",
    KUBELET: "the agent on each node that keeps the node's pods running, these static "
    "pods included",
    KUBE_PROXY: "keeps each node's network rules in step with the cluster's Services",
    CLOUD_CONTROLLER_MANAGER: "runs the control loops that talk to the cloud provider",
}
STATIC_POD_COMPONENTS = (APISERVER, ETCD, CONTROLLER_MANAGER, SCHEDULER)
NAMED_WHEN_PRESENT = (KUBE_PROXY, CLOUD_CONTROLLER_MANAGER)
# Every cert/key flag pair, by component: (what it is for, cert flag, key flag).
PAIRS: dict[str, tuple[tuple[str, str, str], ...]] = {
    APISERVER: (
        ("serving", "tls-cert-file", "tls-private-key-file"),
        ("etcd client", "etcd-certfile", "etcd-keyfile"),
        ("kubelet client", "kubelet-client-certificate", "kubelet-client-key"),
        ("front-proxy client", "proxy-client-cert-file", "proxy-client-key-file"),
    ),
    ETCD: (
        ("serving", "cert-file", "key-file"),
        ("peer", "peer-cert-file", "peer-key-file"),
    ),
    CONTROLLER_MANAGER: (("serving", "tls-cert-file", "tls-private-key-file"),),
    SCHEDULER: (("serving", "tls-cert-file", "tls-private-key-file"),),
}
# The key flag of each cert flag, whichever component has it
KEY_FLAG = {cert: key for pairs in PAIRS.values() for _, cert, key in pairs}
KUBELET_CONF = "kubelet.conf"
MANIFESTS = "manifests"


@record
class PodComponent:
    """A component run by the kubelet from a manifest: its pod and its main container."""

    name: str
    path: str
    pod: ManifestInfo
    container: Container

    def flag(self, name: str) -> str | None:
        return self.container.flag_value(name)


def _runs(container: Container) -> str:
    return posixpath.basename(container.command[0]) if container.command else ""


def _named(pod: ManifestInfo) -> tuple[str, Container] | None:
    """Which component a pod runs: the binary of a container, else its component label."""
    known = (*STATIC_POD_COMPONENTS, *NAMED_WHEN_PRESENT)
    for container in pod.containers:
        if _runs(container) in known:
            return _runs(container), container
    label = pod.labels.get("component", "") or pod.name
    main = pod.container()
    if label in known and main is not None:
        return label, main
    return None


def pod_components(tree: Tree) -> dict[str, PodComponent]:
    """The live static pods by component: of two files defining one pod, the one the
    kubelet keeps; of two pods running one binary, kubeadm's own file."""
    found: dict[str, PodComponent] = {}
    replaced = shadowed(tree)
    candidates = sorted(
        (n for n in tree.of_kind(Kind.MANIFEST)
         if n.parent == MANIFESTS and isinstance(n.content, ManifestInfo)
         and n.path not in replaced),
        key=lambda n: (n.name.removesuffix(".yaml") not in STATIC_POD_COMPONENTS, n.path),
    )
    for node in candidates:
        named = _named(node.content)
        if named is not None and named[0] not in found:
            found[named[0]] = PodComponent(named[0], node.path, node.content, named[1])
    return found


def _files(tree: Tree, comp: PodComponent) -> tuple[FileUse, ...]:
    uses = []
    for ref in comp.pod.file_paths():
        if ref.container != comp.container.name:
            continue
        r = in_container(tree, comp.pod, comp.container, ref.path)
        uses.append(FileUse(f"--{ref.flag}", ref.path, r.reach, r.node, r.host, r.mount,
                            r.reason))
    return tuple(uses)


def cert_folder(tree: Tree, cert_dir: str) -> str | None:
    """The tree folder behind certificatesDir `cert_dir`, as the API server's pod mounts
    the folder its flags name (the same host path when no volume shows it); None when it
    lies elsewhere on the host."""
    cert_dir = posixpath.normpath(cert_dir)
    api = pod_components(tree).get(APISERVER)
    host = container_host_path(api.pod, api.container, cert_dir)[0] if api else None
    return tree_path(host if host is not None else cert_dir)


def kubelet_kubeconfig(tree: Tree) -> KubeconfigInfo | None:
    node = tree.get(KUBELET_CONF)
    return node.content if node and isinstance(node.content, KubeconfigInfo) else None


def components(tree: Tree, pods: dict[str, PodComponent]) -> tuple[Component, ...]:
    out = []
    for name in (*STATIC_POD_COMPONENTS, *NAMED_WHEN_PRESENT):
        comp = pods.get(name)
        if comp is not None:
            out.append(Component(name, comp.path, ABOUT[name], True, _files(tree, comp)))
        elif name in STATIC_POD_COMPONENTS:
            out.append(Component(name, "", ABOUT[name], False,
                                 notes=(f"no static pod in {MANIFESTS}/ runs {name}",)))
    kubelet = kubelet_kubeconfig(tree)
    out.append(Component(
        KUBELET, KUBELET_CONF if kubelet else "", ABOUT[KUBELET], kubelet is not None,
        notes=() if kubelet else (f"no readable {KUBELET_CONF}",),
    ))
    return tuple(out)
