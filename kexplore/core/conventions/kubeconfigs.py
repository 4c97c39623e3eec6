"""The kubeconfigs kubeadm writes: who each one is, and which API server it dials."""

from __future__ import annotations

from enum import Enum

from kexplore.core.conventions.certs import CERTS_BY_NAME, CertSpec
from kexplore.core.conventions.versions import ALWAYS, NEVER, Span, Variant, pick, since, until
from kexplore.core.params import ClusterParams, Version
from kexplore.core.records import record


class ServerRule(str, Enum):
    """Where a kubeconfig must point (reference §3.2)."""

    ENDPOINT = "control-plane endpoint"  # the load balancer, when there is one
    LOCAL = "local API endpoint"  # this node's own API server

    def url(self, params: ClusterParams) -> str:
        return params.endpoint_url if self is ServerRule.ENDPOINT else params.local_endpoint


@record
class KubeconfigSpec:
    """One kubeconfig kubeadm writes: its client certificate and the server it dials."""

    file: str
    cert: str  # name of the CertSpec of its client certificate
    servers: tuple[Variant[ServerRule], ...]
    why_server: str
    span: Span = ALWAYS
    # Where the version's rule is only a default (a feature gate can switch it), either
    # endpoint is what kubeadm writes.
    either_server: Span = NEVER
    init_only: bool = False  # written by `kubeadm init` alone, never by a join

    @property
    def client_cert(self) -> CertSpec:
        return CERTS_BY_NAME[self.cert]

    def user(self, params: ClusterParams) -> str:
        return self.client_cert.cn(params)

    def context(self, params: ClusterParams) -> str:
        return f"{self.user(params)}@{params.cluster_name}"

    def server_rule(self, version: Version) -> ServerRule:
        return pick(self.servers, version)

    def accepted_servers(self, params: ClusterParams) -> set[str]:
        """Every server URL kubeadm may have written into this file."""
        if self.either_server.covers(params.version):
            return {rule.url(params) for rule in ServerRule}
        return {self.server_rule(params.version).url(params)}

    def applies(self, params: ClusterParams) -> bool:
        return self.span.covers(params.version) and not (self.init_only and params.joined)


ADMIN_WHY = "admins reach the cluster through its shared endpoint, which survives a node loss"

KUBECONFIGS: tuple[KubeconfigSpec, ...] = (
    KubeconfigSpec(
        file="admin.conf",
        cert="admin.conf",
        servers=(Variant(ALWAYS, ServerRule.ENDPOINT),),
        why_server=ADMIN_WHY,
    ),
    KubeconfigSpec(
        file="super-admin.conf",
        cert="super-admin.conf",
        servers=(Variant(ALWAYS, ServerRule.ENDPOINT),),
        why_server=ADMIN_WHY,
        span=since(29),
        init_only=True,
    ),
    KubeconfigSpec(
        file="kubelet.conf",
        cert="kubelet.conf",
        # ControlPlaneKubeletLocalMode, on by default since 1.33, keeps a control-plane
        # kubelet talking to its own API server so an upgrade never skews them.
        servers=(
            Variant(until(32), ServerRule.ENDPOINT),
            Variant(since(33), ServerRule.LOCAL),
        ),
        why_server="a control-plane kubelet must not depend on a newer or older remote API server",
        # ControlPlaneKubeletLocalMode is a gate until 1.35; 1.36 removed it (#135773).
        either_server=until(35),
    ),
    KubeconfigSpec(
        file="controller-manager.conf",
        cert="controller-manager.conf",
        servers=(Variant(ALWAYS, ServerRule.LOCAL),),
        why_server="the controller manager must talk to the API server of its own node",
    ),
    KubeconfigSpec(
        file="scheduler.conf",
        cert="scheduler.conf",
        servers=(Variant(ALWAYS, ServerRule.LOCAL),),
        why_server="the scheduler must talk to the API server of its own node",
    ),
)

KUBECONFIGS_BY_FILE: dict[str, KubeconfigSpec] = {spec.file: spec for spec in KUBECONFIGS}


def kubeconfigs_for(params: ClusterParams) -> tuple[KubeconfigSpec, ...]:
    return tuple(spec for spec in KUBECONFIGS if spec.applies(params))


# What the kubelet's own TLS bootstrap writes on a joined node (reference §3.3):
# these names are normal there, never a defect.
JOINED_KUBELET_NAMES = ("default-cluster", "default-auth", "default-context")
KUBELET_ROTATED_CERT = "/var/lib/kubelet/pki/kubelet-client-current.pem"
