"""The kubelet's side of the plane: what its config.yaml (a node file, read only when the
node's files are at hand) says it trusts on :10250 and serves with, and the API server's
link to it judged with that. Without config.yaml, the CA it trusts is kubeadm's default,
an assumption said as such; every other field is then unknown."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from kexplore.core.conventions.node import (
    KUBEADM_FLAGS,
    KUBELET_CONFIG,
    KUBELET_DEFAULT_CLIENT_CA,
    KUBELET_ROTATED_CERT,
    NODE_PREFIX,
    kubelet_serving_pair,
)
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.kubelet_config import KubeletConfig
from kexplore.core.model import Tree
from kexplore.core.paths import HOST_ROOT
from kexplore.core.pki import CertInfo
from kexplore.core.plane.components import APISERVER, KUBELET
from kexplore.core.plane.connections import ApiServer, identity_of, relation
from kexplore.core.plane.judge import CA_RULE, Verdict, presented
from kexplore.core.plane.model import Cause, Component, Identity, Relation, Source
from kexplore.core.plane.mounts import Reach
from kexplore.core.plane.sides import NOT_READ, certs_of, flag_source, node_source
from kexplore.core.plane.verify import CLIENT_AUTH, SERVER_AUTH
from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles

CLIENT_CA = "authentication.x509.clientCAFile"
KUBELET_KIND = "KubeletConfiguration"
STATIC_POD_PATH = "staticPodPath"
# the tree's static pod folder, as the kubelet on the node names it
TREE_MANIFESTS = f"{HOST_ROOT}/manifests"
# the API server's own default when --kubelet-preferred-address-types is not given
DEFAULT_ADDRESS_TYPES = ("Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP")
UNAUTHORIZED = ("kubectl logs/exec: error: You must be logged in to the server (the server "
                "has asked for the client to provide credentials): {error}")
SERVING_REFUSED = ("kubectl logs/exec: Error from server: Get \"https://<node>:10250/…\": "
                   "tls: failed to verify certificate: {error}")
# the API server's verdict on the kubelet's serving certificate, on that certificate: the
# fault that plants it and the reports name it so
SERVING_CA_RULE = "kubelet-serving-ca"


@record
class KubeletSide:
    """The kubelet as its config.yaml describes it. `config` is None when config.yaml is
    not at hand (`absent` says why) or cannot be decoded (`unreadable` says why)."""

    config: KubeletConfig | None
    absent: str = ""
    unreadable: str = ""

    @classmethod
    def read(cls, node: NodeFiles | None) -> KubeletSide:
        if node is None:
            return cls(None, absent="the node's files were not read")
        found = node.get(KUBELET_CONFIG)
        if found is None or found.missing:
            why = found.node.error if found is not None else "not read"
            return cls(None, absent=f"{KUBELET_CONFIG}: {why} ({node.sources.where})")
        if found.node.error.startswith(NOT_READ):
            return cls(None, unreadable=f"{KUBELET_CONFIG}: {found.node.error}")
        config = found.node.content
        if not isinstance(config, KubeletConfig):
            return cls(None, unreadable=f"{KUBELET_CONFIG} cannot be read: "
                       f"{found.node.error or 'no content'}")
        if config.kind != KUBELET_KIND:
            # the kubelet refuses such a file at start: whom it would trust is moot
            return cls(None, unreadable=f"{KUBELET_CONFIG} is kind {config.kind!r}, not "
                       f"{KUBELET_KIND}")
        return cls(config)

    def client_ca(self, tree: Tree, node: NodeFiles | None, api: ApiServer) -> Source | None:
        """The CA file the kubelet verifies client certificates with; None when the files
        cannot say or config.yaml names none."""
        if self.config is not None:
            written = self.config.client_ca_file
            if not written:
                return None
            return node_source(tree, node, CLIENT_CA, KUBELET_CONFIG, written)
        if self.unreadable:
            return None
        return node_source(tree, None, f"{CLIENT_CA} (assumed: kubeadm's default)", "",
                           assumed_client_ca(api))

    def serving(self, tree: Tree, node: NodeFiles | None) -> tuple[Source | None, Source | None]:
        """The serving pair the kubelet presents on :10250, as it picks one: tlsCertFile,
        else the bootstrapped (rotated) one, else its self-signed kubelet.crt."""
        if node is None or self.config is None:
            return None, None
        pair = kubelet_serving_pair(self.config)
        cert = node_source(tree, node, pair.chosen_by, KUBELET_CONFIG, pair.cert)
        if not pair.key:
            return cert, None
        key_field = "tlsPrivateKeyFile" if pair.chosen_by == "tlsCertFile" else pair.chosen_by
        return cert, node_source(tree, node, key_field, KUBELET_CONFIG, pair.key)

    def settings(self, api: ApiServer) -> tuple[tuple[str, str], ...]:
        """The fields that decide whom the kubelet trusts and what it runs, for the views."""
        if self.config is None:
            return (("config.yaml", self.absent or self.unreadable),
                    (CLIENT_CA, f"{assumed_client_ca(api)} (assumed: kubeadm's default)"
                     if self.absent else "unknown"))
        cfg = self.config

        def said(value: object) -> str:
            if value is None or value == "":
                return "not set (the kubelet's default)"
            return str(value).lower() if isinstance(value, bool) else str(value)

        return (
            ("config.yaml", KUBELET_CONFIG),
            (CLIENT_CA, cfg.client_ca_file or "not set: the kubelet trusts no client "
             "certificate"),
            ("tlsCertFile", said(cfg.tls_cert_file)),
            ("tlsPrivateKeyFile", said(cfg.tls_private_key_file)),
            ("rotateCertificates", said(cfg.rotate_certificates)),
            ("serverTLSBootstrap", said(cfg.server_tls_bootstrap)),
            (STATIC_POD_PATH, said(cfg.static_pod_path)),
        )

    def static_pod_folder(self) -> str | None:
        """The folder the kubelet runs static pods from, when config.yaml names one."""
        if self.config is None or not self.config.static_pod_path:
            return None
        return posixpath.normpath(self.config.static_pod_path)


def assumed_client_ca(api: ApiServer) -> str:
    """kubeadm writes <certificatesDir>/ca.crt both as the kubelet's clientCAFile and as
    the API server's --client-ca-file: the folder of the latter is the tree's own
    certificatesDir, so a moved cert folder is assumed moved for the kubelet too."""
    named = api.client_ca.named if api.client_ca is not None else ""
    if not named.startswith("/"):
        return KUBELET_DEFAULT_CLIENT_CA
    return posixpath.join(posixpath.dirname(posixpath.normpath(named)),
                          posixpath.basename(KUBELET_DEFAULT_CLIENT_CA))


def _said(kubelet: KubeletSide, ca: Source | None) -> str:
    """Which source the CA the kubelet trusts comes from, in words."""
    if kubelet.config is not None:
        return (f"the kubelet's config.yaml ({KUBELET_CONFIG}) names clientCAFile "
                f"{kubelet.config.client_ca_file}" if ca is not None else
                f"the kubelet's config.yaml ({KUBELET_CONFIG}) names no clientCAFile")
    named = ca.named if ca is not None else KUBELET_DEFAULT_CLIENT_CA
    return (f"the kubelet's config.yaml is not at hand ({kubelet.absent}): its clientCAFile "
            f"is assumed to be kubeadm's default, {named}")


def _no_client_ca(v: Verdict, cert: Source) -> None:
    v.cause(Cause(
        CA_RULE, KUBELET_CONFIG, CLIENT_CA,
        f"{APISERVER} presents {cert.path} to the kubelet, but {KUBELET_CONFIG} names no "
        "clientCAFile: x509 client authentication is off and the kubelet takes the API "
        "server for anonymous",
        symptom=UNAUTHORIZED.format(error="401 Unauthorized"),
        fix="set authentication.x509.clientCAFile to the CA that signs "
        f"{cert.path} (kubeadm: {KUBELET_DEFAULT_CLIENT_CA}) and restart the kubelet",
    ))


def _ca_missing(v: Verdict, ca: Source) -> None:
    """A clientCAFile in the tree that is not there: the kubelet does not start. (One
    outside the tree is the reference rules' to say.)"""
    v.cause(Cause(
        CA_RULE, KUBELET_CONFIG, CLIENT_CA,
        f"{KUBELET_CONFIG} names clientCAFile {ca.named}, which is not there",
        symptom=f"kubelet: unable to load client CA file {ca.named}: no such file or "
        "directory; it does not start",
        fix=f"restore {ca.named}, or point clientCAFile at the CA that signs the API "
        "server's --kubelet-client-certificate",
    ))


def _serving_side(
    v: Verdict, api: ApiServer, server_ca: Source | None, cert: Source | None,
    node_name: str, notes: list[str], node: NodeFiles | None,
) -> None:
    """With --kubelet-certificate-authority the API server verifies the kubelet's serving
    certificate as any TLS client would, for the Node address it dials; without it, it
    verifies nothing."""
    if server_ca is None:
        notes.append("the API server does not verify the kubelets' serving certificates "
                      "(no --kubelet-certificate-authority)")
        return
    if cert is None:
        v.unknown("the kubelet's serving certificate is on each node, and this node's "
                  "config.yaml is not at hand to say which one it is (--node-root DIR)")
        return
    comp = api.comp
    assert comp is not None
    types = [t.strip() for t in (comp.flag("kubelet-preferred-address-types") or "")
             .split(",") if t.strip()] or list(DEFAULT_ADDRESS_TYPES)
    dialled = dialled_address(types, node_name, node)
    presented(v, cert, server_ca, SERVER_AUTH, holder=KUBELET, verifier=APISERVER,
              symptom=SERVING_REFUSED,
              host=dialled.host, host_src=(comp.path, "--kubelet-preferred-address-types"),
              chain_cause=lambda leaf, error: _serving_ca_cause(cert, server_ca, leaf, error))
    if not dialled.host:
        leaf = certs_of(cert)
        names = ", ".join([*leaf[0].dns_sans, *leaf[0].ip_sans]) if leaf else ""
        v.unknown(f"the API server dials this Node's {dialled.kind or 'address'}: "
                  f"{dialled.unknown}; {cert.path} names {names or 'nothing'}")


@record
class Dialled:
    """The Node address the API server dials a kubelet at: the first type of
    --kubelet-preferred-address-types the Node has, and its value when the files hold it
    (else why not)."""

    kind: str
    host: str = ""
    unknown: str = ""


def _no_flags(node: NodeFiles | None) -> str:
    if node is None:
        return "the node's files were not read"
    found = node.get(KUBEADM_FLAGS)
    gone = found is None or found.missing
    return f"{KUBEADM_FLAGS} is {'not there' if gone else 'not readable'}"


def dialled_address(types: list[str], node_name: str, node: NodeFiles | None) -> Dialled:
    """The Node's addresses are the kubelet's own report (InternalIP and Hostname), or, with
    a cloud provider, what the provider sets (ExternalIP, InternalDNS, ExternalDNS too):
    kubeadm-flags.env says which, and holds --node-ip and --hostname-override when set."""
    flags = node.kubelet_flags if node is not None else None
    where = "" if flags is not None else _no_flags(node)
    for kind in types:
        if kind == "Hostname":
            name = (flags or {}).get("hostname-override") or node_name
            return Dialled(kind, name, "" if name else "the node's name is not in the files")
        if kind == "InternalIP":
            ip = ((flags or {}).get("node-ip") or "").split(",")[0].strip()
            why = where or f"{KUBEADM_FLAGS} sets no --node-ip"
            return Dialled(kind, ip, "" if ip else f"the files do not hold it ({why}: the "
                           "kubelet takes the host's own address)")
        if flags is None or flags.get("cloud-provider"):
            # a cloud provider may set this type, or may not: the files cannot say
            return Dialled(kind, "", f"only a cloud provider sets an {kind}, and the files "
                           f"cannot say whether it did ({where or 'a cloud provider is set'})")
        # no cloud provider: the kubelet reports no such address, the next type counts
    return Dialled("", "", "no type of --kubelet-preferred-address-types is one a kubelet "
                   "without a cloud provider reports")


def _serving_ca_cause(cert: Source, ca: Source, leaf: CertInfo, error: str) -> Cause:
    """The kubelet's serving cert from another CA than --kubelet-certificate-authority: by
    default the kubelet signs its own (kubelet.crt beside its own CA), and only
    serverTLSBootstrap gets it one the cluster signs. The fix is on the kubelet's side."""
    chain = certs_of(cert)
    own = leaf.self_issued or leaf.issuer in {c.subject for c in chain[1:]}
    kind = "self-signed" if own else f"issued by {leaf.issuer or '(empty)'}"
    return Cause(
        SERVING_CA_RULE, cert.path, "",
        f"the kubelet's serving certificate {cert.path} is {kind}, but the API server "
        f"verifies kubelets with {ca.path or ca.named} ({ca.pointer} of {ca.owner}): "
        f"kubectl logs and exec fail at the handshake: {error}",
        symptom=SERVING_REFUSED.format(error=error),
        fix="set serverTLSBootstrap: true and approve the kubelet's serving CSRs",
    )


def node_name(tree: Tree, node: NodeFiles | None) -> str:
    """The node's name as its client certificate says it (system:node:<name>): the cert
    kubelet.conf embeds, else the rotated one."""
    conf = tree.get("kubelet.conf")
    info = conf.content if conf is not None else None
    certs = [c for u in info.users for c in u.client_cert] if isinstance(
        info, KubeconfigInfo) else []
    rotated = node.present(KUBELET_ROTATED_CERT) if node is not None else None
    certs += list(rotated.certs if rotated is not None else ())
    for cert in certs:
        if cert.subject_cn.startswith(NODE_PREFIX):
            return cert.subject_cn.removeprefix(NODE_PREFIX)
    return ""


def kubelet_link(
    tree: Tree, now: datetime, api: ApiServer, pairs: Verdict, node: NodeFiles | None
) -> list[Relation]:
    """The API server to each kubelet (logs, exec, port-forward): its
    --kubelet-client-certificate against the kubelet's clientCAFile, and, when it is
    told a CA to verify them with, the kubelet's serving certificate."""
    comp = api.comp
    if comp is None:
        return []
    v = Verdict(now)
    kubelet = KubeletSide.read(node)
    cert = flag_source(tree, comp, "kubelet-client-certificate")
    key = flag_source(tree, comp, "kubelet-client-key")
    client_ca = kubelet.client_ca(tree, node, api)
    notes = [_said(kubelet, client_ca)] if not kubelet.unreadable else []
    server_ca = flag_source(tree, comp, "kubelet-certificate-authority")
    serving, serving_key = kubelet.serving(tree, node) if server_ca else (None, None)
    _serving_side(v, api, server_ca, serving, node_name(tree, node), notes, node)
    if cert is None:
        v.unknown("--kubelet-client-certificate is not set")
    elif kubelet.unreadable:
        v.unknown(f"the CA the kubelet trusts cannot be known: {kubelet.unreadable}")
    elif client_ca is None:
        _no_client_ca(v, cert)
    elif kubelet.config is None and client_ca.reach is not Reach.IN_TREE:
        v.unknown(f"{_said(kubelet, client_ca)}, which is not in the tree")
    elif client_ca.reach is Reach.MISSING and client_ca.owner and client_ca.path \
            and not client_ca.path.startswith("/"):
        _ca_missing(v, client_ca)
    else:
        presented(v, cert, client_ca, CLIENT_AUTH, holder=APISERVER, verifier=KUBELET,
                  symptom=UNAUTHORIZED)
    v.absorb(pairs)
    ident = identity_of(cert)
    return [relation(
        v, f"{APISERVER}->{KUBELET}", APISERVER,
        "the API server reaches each kubelet for logs, exec and port-forward",
        server=KUBELET, address="each Node's address:10250",
        address_source=f"{comp.path} --kubelet-preferred-address-types",
        server_cert=serving, server_key=serving_key, server_ca=server_ca,
        client_cert=cert, client_key=key, client_ca=client_ca,
        identity=Identity(ident.user, ident.groups,
                          "the kubelet asks the API server (SubjectAccessReview)"),
        notes=tuple(notes),
    )]


def kubelet_component(
    base: Component, tree: Tree, node: NodeFiles | None, api: ApiServer
) -> Component:
    """The kubelet as kubelet.conf and its config.yaml describe it: whom it trusts, what it
    serves with, whether it rotates, and where it reads static pods from."""
    kubelet = KubeletSide.read(node)
    notes = list(base.notes)
    folder = kubelet.static_pod_folder()
    if folder is not None and folder != TREE_MANIFESTS:
        notes.append(f"staticPodPath is {folder}: the kubelet runs none of the tree's "
                     "static pods")
    return replace(base, notes=tuple(notes), settings=(
        *_client_settings(tree), *kubelet.settings(api)))


def _client_settings(tree: Tree) -> tuple[tuple[str, str], ...]:
    """How kubelet.conf's current user authenticates: embedded data or the file it names."""
    conf = tree.get("kubelet.conf")
    info = conf.content if conf is not None else None
    if not isinstance(info, KubeconfigInfo):
        return ()
    context = info.current()
    user = info.user(context.user) if context else None
    if user is None:
        return ()
    if user.client_cert_source == "data":
        return (("client certificate", "embedded in kubelet.conf"),)
    if user.client_cert_path:
        return (("client certificate", user.client_cert_path),)
    return ()
