"""Every TLS connection of the control plane, built from the flags and kubeconfig fields
of the tree and judged as the two peers would (see shared/reference/connections.md):
each kubeconfig to the API server, the API server to each etcd server, etcd to its peers,
the API server to the kubelets and to aggregated API servers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE
from kexplore.core.conventions.node import BOOTSTRAP_KUBECONFIG
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Kind, Tree
from kexplore.core.params import Version, host_port
from kexplore.core.paths import tree_path
from kexplore.core.plane.components import (
    APISERVER,
    CONTROLLER_MANAGER,
    ETCD,
    KUBELET,
    KUBELET_CONF,
    SCHEDULER,
    PodComponent,
)
from kexplore.core.plane.judge import Verdict, paired, presented, readable
from kexplore.core.plane.model import Cause, Identity, Relation, RelationKind, Source
from kexplore.core.plane.mounts import Reach
from kexplore.core.plane.sides import (
    certs_of,
    cluster_ca,
    flag_source,
    kubeconfig_source,
    user_cert,
    user_key,
)
from kexplore.core.plane.verify import CLIENT_AUTH, SERVER_AUTH
from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles

PLAIN_HTTP = "connection-plain-http"
INSECURE = "kubeconfig-insecure"
TOKEN = "kubeconfig-token"
IDENTITY = "connection-identity"
ALWAYS_ALLOW = "authorization-always-allow"
NO_RBAC = "authorization-no-rbac"
PEER_PORT = "etcd-servers-peer-port"
ADDRESS = "connection-address"
ARCHIVE = "tmp/"
# the kubelet's bootstrap kubeconfig, where the kubelet's systemd drop-in names it
BOOTSTRAP = tree_path(BOOTSTRAP_KUBECONFIG) or ""

# The component that reads each kubeconfig flag, by flag: one connection per distinct file.
KUBECONFIG_FLAGS = ("kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig")
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
ANY_HOSTS = frozenset({"0.0.0.0", "::", ""})


@record
class Address:
    """Where a client dials: scheme, host and port, as read from a URL."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def parse(cls, url: str) -> Address | None:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return None
        if not parts.scheme or not parts.hostname:
            return None
        default = {"https": 443, "http": 80}.get(parts.scheme)
        return cls(parts.scheme, parts.hostname, port if port is not None else default)


@record
class ApiServer:
    """What the API server presents and trusts, once for every link to it."""

    comp: PodComponent | None
    cert: Source | None
    key: Source | None
    client_ca: Source | None
    modes: tuple[str, ...]

    @classmethod
    def read(cls, tree: Tree, comp: PodComponent | None) -> ApiServer:
        modes = tuple((comp.flag("authorization-mode") or "").split(",")) if comp else ()
        return cls(
            comp,
            flag_source(tree, comp, "tls-cert-file"),
            flag_source(tree, comp, "tls-private-key-file"),
            flag_source(tree, comp, "client-ca-file"),
            tuple(m.strip() for m in modes if m.strip()),
        )

    def defeat(self, v: Verdict) -> None:
        """AlwaysAllow anywhere in the chain grants everything to every identity."""
        if self.comp is not None and "AlwaysAllow" in self.modes:
            v.cause(Cause(
                ALWAYS_ALLOW, self.comp.path, "--authorization-mode",
                f"--authorization-mode is {','.join(self.modes)}: with AlwaysAllow every "
                "authenticated identity, any kubelet or pod token included, is cluster-admin",
                symptom="no request is ever Forbidden", fix="--authorization-mode=Node,RBAC",
            ))

    def forbids(self, v: Verdict, ident: Identity) -> None:
        """Without RBAC, and with no authorizer whose decisions the files cannot see
        (Webhook, ABAC, an --authorization-config), only system:masters and the kubelets'
        own requests are allowed: every identity kubeadm binds with RBAC is Forbidden."""
        comp = self.comp
        if (comp is None or not ident.user or not self.modes or "RBAC" in self.modes
                or comp.flag("authorization-config")
                or set(self.modes) & {"AlwaysAllow", "Webhook", "ABAC"}
                or "system:masters" in ident.groups or ident.user.startswith("system:node:")):
            return
        v.cause(Cause(
            NO_RBAC, comp.path, "--authorization-mode",
            f"--authorization-mode is {','.join(self.modes)}, without RBAC: the roles kubeadm "
            "binds are never consulted, so every identity but system:masters and the kubelets "
            "is Forbidden everything",
            symptom="403 Forbidden on every request",
            fix="--authorization-mode=Node,RBAC",
        ))

    def authorizer(self, ident: Identity) -> str:
        if "system:masters" in ident.groups:
            return "the system:masters group, allowed everything ahead of any authorizer"
        if "AlwaysAllow" in self.modes:
            return "AlwaysAllow: everything"
        if (ident.user.startswith("system:node:") and "system:nodes" in ident.groups
                and "Node" in self.modes):
            return "the Node authorizer (and NodeRestriction), then RBAC"
        if "RBAC" in self.modes:
            return _rbac(ident)
        return ",".join(self.modes) or "unknown: no API server manifest"


# The RBAC binding kubeadm or the bootstrap policy gives each identity (cluster data: the
# files cannot show it exists, only name it).
BINDINGS = {
    "kubeadm:cluster-admins": "ClusterRoleBinding kubeadm:cluster-admins (cluster-admin)",
    "system:kube-controller-manager": "ClusterRoleBinding system:kube-controller-manager",
    "system:kube-scheduler": "ClusterRoleBinding system:kube-scheduler",
}


def _rbac(ident: Identity) -> str:
    named = [BINDINGS[n] for n in (*ident.groups, ident.user) if n in BINDINGS]
    return "RBAC: " + (", ".join(named) if named else "bindings for the user or its groups")


def identity_of(cert_src: Source | None) -> Identity:
    chain = certs_of(cert_src)
    if not chain:
        return Identity()
    leaf = chain[0]
    return Identity(leaf.subject_cn, (*leaf.subject_o, "system:authenticated"))


def kubeconfig_clients(
    tree: Tree, pods: dict[str, PodComponent]
) -> list[tuple[str, str, Source, KubeconfigInfo | None, PodComponent | None]]:
    """(id, client, kubeconfig source, info, component reading it) for every kubeconfig a
    component names and every other live kubeconfig of the tree."""
    out: list[tuple[str, str, Source, KubeconfigInfo | None, PodComponent | None]] = []
    seen: set[str] = set()
    for name in (CONTROLLER_MANAGER, SCHEDULER):
        comp = pods.get(name)
        by_file: dict[str, list[str]] = {}
        for flag in KUBECONFIG_FLAGS:
            src, _ = kubeconfig_source(tree, comp, flag)
            if src is not None:
                by_file.setdefault(src.path, []).append(flag)
        for i, (path, flags) in enumerate(by_file.items()):
            src, info = kubeconfig_source(tree, comp, flags[0])
            assert src is not None
            pointer = "/".join(f"--{f}" for f in flags)
            src = Source(pointer, src.owner, src.named, src.reach, src.path, src.reason,
                         src.content)
            rid = f"{name}->{APISERVER}" + ("" if i == 0 else f"[{flags[0]}]")
            out.append((rid, name, src, info, comp))
            seen.add(path)
    for node in sorted(tree.of_kind(Kind.KUBECONFIG), key=lambda n: n.path):
        if node.path in seen or node.path.startswith(ARCHIVE):
            continue
        info = node.content if isinstance(node.content, KubeconfigInfo) else None
        if info is None and node.path not in (*KUBECONFIGS_BY_FILE, BOOTSTRAP):
            continue  # a stray .conf that is no kubeconfig dials nothing (parse-error says)
        src = Source("", node.path, node.path, Reach.IN_TREE, node.path, node.error, info)
        if node.path == KUBELET_CONF:
            out.append((f"{KUBELET}->{APISERVER}", KUBELET, src, info, None))
        elif node.path == BOOTSTRAP:
            out.append((f"{KUBELET}-bootstrap->{APISERVER}", f"{KUBELET} (TLS bootstrap)",
                        src, info, None))
        else:
            out.append((f"{node.path}->{APISERVER}", node.path, src, info, None))
    return out


def _not_a_url(client: str, url: str, path: str, pointer: str) -> Cause:
    return Cause(
        ADDRESS, path, pointer,
        f"{client} is to dial {url!r}, which is not a URL with a host (and a port from "
        "1 to 65535)",
        symptom=f"{client}: parse {url!r}: invalid URL; it never connects",
        fix="write it as https://HOST:PORT",
    )


def _symptom_server(client: str) -> str:
    if client == KUBELET or client in (CONTROLLER_MANAGER, SCHEDULER):
        return client + " logs: tls: failed to verify certificate: {error}"
    return "kubectl: Unable to connect to the server: tls: failed to verify certificate: {error}"


def _symptom_client(client: str) -> str:
    return (client + " gets 401: error: You must be logged in to the server (Unauthorized); "
            "the API server logs: verifying certificate … failed: {error}")


def kubeconfig_link(
    tree: Tree, now: datetime, api: ApiServer, rid: str, client: str, kc: Source,
    info: KubeconfigInfo | None, comp: PodComponent | None, pairs: Verdict,
    node: NodeFiles | None = None,
) -> Relation:
    """One kubeconfig's current context to the API server, checked from both ends."""
    v = Verdict(now)
    purpose = f"{client} reads and writes cluster state through the API server"
    if not readable(v, kc, f"{client}'s kubeconfig"):
        return relation(v, rid, client, purpose)
    assert info is not None
    context = info.current()
    cluster = info.cluster(context.cluster) if context else None
    user = info.user(context.user) if context else None
    if cluster is None or user is None:
        v.fails(f"{kc.path}: current-context {info.current_context!r} does not name a "
                "cluster and a user")  # kubeconfig-context says so
        return relation(v, rid, client, purpose)
    where = (kc.path, f"cluster {cluster.name}")
    address = Address.parse(cluster.server)
    host = cluster.tls_server_name or (address.host if address else "")
    server_ca = cluster_ca(tree, kc.path, cluster, comp)
    if address is None:
        v.cause(_not_a_url(client, cluster.server, *where))
    elif address.scheme == "http":
        v.cause(Cause(
            PLAIN_HTTP, *where,
            f"{client} dials {cluster.server} in plain http; the API server at "
            f"{APISERVER} serves only https, and nothing would be verified",
            symptom=f"{client}: the server gave HTTP response to HTTPS client / "
            "Client sent an HTTP request to an HTTPS server",
            fix=f"server: https://{address.host}:{address.port or 6443}",
        ))
    elif cluster.insecure:
        v.cause(Cause(
            INSECURE, *where,
            f"cluster {cluster.name} sets insecure-skip-tls-verify: {client} trusts any "
            f"server that answers at {cluster.server}, its credentials included",
            symptom="no error: a man in the middle is accepted silently",
            fix="remove insecure-skip-tls-verify; embed pki/ca.crt as "
            "certificate-authority-data",
        ))
    else:
        presented(v, api.cert, server_ca, SERVER_AUTH, holder=APISERVER, verifier=client,
                  symptom=_symptom_server(client), host=host, host_src=where)
    v.absorb(pairs)
    cert = user_cert(tree, kc.path, user, comp, node)
    key = user_key(tree, kc.path, user, comp, node)
    bootstrap = kc.path == BOOTSTRAP and cert is None and user.has_token
    if bootstrap:
        # the one kubeconfig that holds a token by design, used once to ask for a cert
        v.unknown("the bootstrap token is checked against its Secret in kube-system "
                  "(cluster data); the file itself is left over once kubelet.conf exists")
    elif cert is None and (user.has_token or user.has_password):
        v.cause(Cause(
            TOKEN, kc.path, f"user {user.name}",
            f"user {user.name} authenticates with a "
            f"{'token' if user.has_token else 'password'} instead of a client certificate: "
            "a bearer secret in a file, replayable by anyone who reads it",
            symptom="no error until the token is revoked or expires: then 401 Unauthorized",
            fix="use the client certificate kubeadm writes (kubeadm init phase kubeconfig)",
        ))
    elif cert is None and (user.exec_command or user.auth_provider):
        v.unknown(f"user {user.name} gets its credential from a plugin at run time")
    else:
        presented(v, cert, api.client_ca, CLIENT_AUTH, holder=client, verifier=APISERVER,
                  symptom=_symptom_client(client))
        if cert is not None and cert.readable:
            paired(v, cert, key, client)
    ident = identity_of(cert)
    if client == KUBELET and ident.user:
        _kubelet_identity(v, ident, kc.path, user.name, cert)
    api.defeat(v)
    api.forbids(v, ident)
    if api.comp is None:
        v.unknown(f"no {APISERVER} manifest in the tree: its certificate cannot be checked")
    ident = Identity(ident.user, ident.groups, api.authorizer(ident)) if ident.user else ident
    if bootstrap:
        ident = Identity("system:bootstrap:<token id>", ("system:bootstrappers",),
                         "the bootstrap token authenticator, then RBAC "
                         "(system:node-bootstrapper, CSR auto-approval)")
    return relation(
        v, rid, client, purpose,
        address=cluster.server, address_source=f"{kc.path} cluster {cluster.name} server",
        server_cert=api.cert, server_key=api.key, server_ca=server_ca,
        client_cert=cert, client_key=key, client_ca=api.client_ca, identity=ident,
    )


def _kubelet_identity(
    v: Verdict, ident: Identity, path: str, user: str, cert: Source | None
) -> None:
    """The Node authorizer knows a node only as system:node:<name> in system:nodes."""
    if ident.user.startswith("system:node:") and "system:nodes" in ident.groups:
        return
    v.cause(Cause(
        IDENTITY, path, f"user {user}",
        f"the kubelet presents CN {ident.user!r} O {list(ident.groups[:-1])}; the Node "
        "authorizer needs CN system:node:<node> in O system:nodes",
        symptom='kubelet: nodes "<node>" is forbidden',
        # the rotated cert's own rule (kubelet-client-identity) names it there
        covered_if=((path, f"user {user}"),
                    *(((cert.path, None),) if cert and cert.reach is Reach.NODE else ())),
    ))


def relation(v: Verdict, rid: str, client: str, purpose: str, **fields: object) -> Relation:
    server = str(fields.pop("server", APISERVER))
    kind = fields.pop("kind", RelationKind.CONNECTION)
    moment, because = v.breaks_at
    path, pointer = v.anchor
    symptom = v.causes[0].symptom if v.causes else ""
    notes = fields.pop("notes", ())
    if kind is RelationKind.CONNECTION:
        # what each side's verifier requires of the other's certificate
        fields.setdefault("server_eku", SERVER_AUTH if fields.get("server_cert") else "")
        fields.setdefault("client_eku", CLIENT_AUTH if fields.get("client_cert") else "")
    return Relation(
        id=rid, kind=kind, client=client, server=server, purpose=purpose,  # type: ignore[arg-type]
        status=v.status, reason=v.reason, breaks_at=moment, breaks_because=because,
        anchor_path=path, anchor_pointer=pointer, symptom=symptom,
        server_error=v.sides.get("server"), client_error=v.sides.get("client"),
        notes=tuple(notes),  # type: ignore[arg-type]
        causes=tuple(dict((c.key, c) for c in v.causes).values()),
        **fields,  # type: ignore[arg-type]
    )


# --- etcd ---------------------------------------------------------------------------------


def _urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


def _refused(url: str, at: Address, where: tuple[str, str], etcd: PodComponent,
             listening: list[str]) -> Cause:
    """The API server dials this node's etcd where etcd opens no socket: refused."""
    return Cause(
        ADDRESS, etcd.path, "--listen-client-urls",
        f"kube-apiserver dials {url} (--etcd-servers of {where[0]}) on this node, where "
        f"{etcd.path} listens on {', '.join(listening)} only (--listen-client-urls): "
        "nothing answers there",
        symptom=f"kube-apiserver logs: dial tcp {host_port(at.host, at.port or 2379)}: "
        "connect: connection refused; it never becomes ready",
        fix=f"add {url} to {etcd.path}'s --listen-client-urls, or dial one it lists",
        supersedes=(where,),
    )


def _serves(urls: list[str], at: Address) -> bool:
    for url in urls:
        listen = Address.parse(url)
        if listen and listen.port == at.port and (
            listen.host == at.host or listen.host in ANY_HOSTS
            or (listen.host in LOCAL_HOSTS and at.host in LOCAL_HOSTS)
        ):
            return True
    return False


def etcd_alert(etcd: PodComponent | None, error: str) -> str:
    """The alert the API server receives when etcd refuses its certificate: etcd built with
    Go 1.21 and later (3.5.13+) says which, older ones say bad certificate."""
    specific = "bad certificate"
    if "unknown authority" in error:
        specific = "unknown certificate authority"
    elif "expired" in error:
        specific = "expired certificate"
    tag = etcd.container.image_tag if etcd else ""
    try:
        version = Version.parse(tag.split("-")[0]) if tag else None
    except ValueError:
        version = None
    if version is None:
        return f"remote error: tls: {specific} (the text depends on etcd's Go version)"
    return f"remote error: tls: {specific if version >= Version(3, 5, 13) else 'bad certificate'}"


def etcd_links(
    tree: Tree, now: datetime, api: ApiServer, etcd: PodComponent | None, pairs: Verdict
) -> list[Relation]:
    """The API server to each --etcd-servers URL."""
    comp = api.comp
    if comp is None:
        return []
    servers = _urls(comp.flag("etcd-servers"))
    client_cert = flag_source(tree, comp, "etcd-certfile")
    client_key = flag_source(tree, comp, "etcd-keyfile")
    server_ca = flag_source(tree, comp, "etcd-cafile")
    out = []
    for i, url in enumerate(servers):
        v = Verdict(now)
        at = Address.parse(url)
        where = (comp.path, "--etcd-servers")
        listening = _urls(etcd.flag("listen-client-urls")) if etcd is not None else []
        listens = at is not None and _serves(listening, at)
        advertised = etcd is not None and at is not None and _serves(
            _urls(etcd.flag("advertise-client-urls")), at)
        local = listens or advertised
        peer = etcd is not None and at is not None and (
            _serves(_urls(etcd.flag("listen-peer-urls")), at)
            or _serves(_urls(etcd.flag("initial-advertise-peer-urls")), at))
        fields: dict[str, object] = {}
        if at is None:
            v.cause(_not_a_url(APISERVER, url, *where))
        elif peer:
            v.cause(Cause(
                PEER_PORT, *where,
                f"--etcd-servers {url} is etcd's peer port (--listen-peer-urls of "
                f"{etcd.path if etcd else 'etcd'}), not a client port: the API server "
                "speaks the client protocol to the raft listener",
                symptom="kube-apiserver: connection error: desc = \"error reading server "
                "preface: …\"; it never becomes ready",
                fix=f"use a --listen-client-urls address of {etcd.path if etcd else 'etcd'}",
            ))
        elif etcd is not None and listening and not listens and (
                advertised or at.host in LOCAL_HOSTS):
            v.cause(_refused(url, at, where, etcd, listening))
        elif at.scheme == "http":
            v.cause(Cause(
                PLAIN_HTTP, *where,
                f"--etcd-servers {url} is plain http: all cluster data, secrets included, "
                "crosses without TLS, and etcd's client-cert auth cannot apply",
                symptom="etcd refuses it when it serves only https; else no error at all",
                fix=f"https://{at.host}:{at.port}",
            ))
        else:
            server_cert = flag_source(tree, etcd, "cert-file") if local else None
            client_ca = flag_source(tree, etcd, "trusted-ca-file") if local else None
            if local:
                presented(v, server_cert, server_ca, SERVER_AUTH, holder=ETCD,
                          verifier=APISERVER, host=at.host, host_src=where,
                          symptom="kube-apiserver logs: transport: authentication handshake "
                          "failed: tls: failed to verify certificate: {error}")
                before = len(v.causes)
                presented(v, client_cert, client_ca, CLIENT_AUTH, holder=APISERVER,
                          verifier=ETCD, symptom=ETCD_REFUSES + "{error}")
                v.causes[before:] = [_etcd_symptom(c, etcd) for c in v.causes[before:]]
            else:
                here = (f", not an address {etcd.path} listens on (--listen-client-urls): "
                        "if nothing else serves it, the API server gets connection refused"
                        if etcd is not None else "")
                v.unknown(f"{url} is an external etcd{here}; its serving certificate and "
                          "the CA it verifies clients with are not on this node")
                presented(v, client_cert, None, CLIENT_AUTH, holder=APISERVER,
                          verifier=ETCD, symptom=ETCD_REFUSES + "{error}", ca_elsewhere=True)
            fields = dict(server_cert=server_cert,
                          server_key=flag_source(tree, etcd, "key-file") if local else None,
                          client_ca=client_ca)
        v.absorb(pairs)
        out.append(relation(
            v, f"{APISERVER}->{ETCD}[{i}]", APISERVER,
            "the API server stores and reads every object in etcd",
            server=ETCD, address=url, address_source=f"{comp.path} --etcd-servers",
            server_ca=server_ca, client_cert=client_cert, client_key=client_key,
            identity=Identity(identity_of(client_cert).user, (),
                              "none: etcd trusts any cert its CA signed"),
            **fields,
        ))
    return out


ETCD_REFUSES = "etcd refuses the API server: "


def _etcd_symptom(cause: Cause, etcd: PodComponent | None) -> Cause:
    """What each side logs when etcd refuses the API server's client certificate."""
    if not cause.symptom.startswith(ETCD_REFUSES):
        return cause
    error = cause.symptom.removeprefix(ETCD_REFUSES)
    symptom = (f"{ETCD_REFUSES}{etcd_alert(etcd, error)}; etcd logs: tls: failed to verify "
               f"certificate: {error}")
    return Cause(cause.rule, cause.path, cause.pointer, cause.message, symptom, cause.fix,
                 cause.covered_if)


def peer_links(tree: Tree, now: datetime, etcd: PodComponent | None) -> list[Relation]:
    """etcd to each member of --initial-cluster: this member's peer cert both serves and
    dials, checked against --peer-trusted-ca-file even when it is alone."""
    if etcd is None:
        return []
    name = etcd.flag("name") or ""
    members = []
    for item in _urls(etcd.flag("initial-cluster")):
        member, _, url = item.partition("=")
        members.append((member, url))
    if not any(m == name for m, _ in members):
        members.insert(0, (name, (_urls(etcd.flag("initial-advertise-peer-urls")) or [""])[0]))
    cert = flag_source(tree, etcd, "peer-cert-file")
    key = flag_source(tree, etcd, "peer-key-file")
    ca = flag_source(tree, etcd, "peer-trusted-ca-file")
    out = []
    own_urls = _urls(etcd.flag("initial-advertise-peer-urls"))
    for member, url in members:
        v = Verdict(now)
        at = Address.parse(own_urls[0] if member == name and own_urls else url)
        if member != name:
            v.unknown(f"member {member}'s peer certificate is on its own node, not here")
        elif at is None:
            v.cause(_not_a_url(f"etcd {member}", url, etcd.path, "--initial-cluster"))
        else:
            symptom = "etcd logs: rejected connection on peer endpoint: {error}"
            presented(v, cert, ca, SERVER_AUTH, holder=f"etcd {member}", verifier="etcd peers",
                      symptom=symptom, host=at.host,
                      host_src=(etcd.path, "--initial-advertise-peer-urls"))
            presented(v, cert, ca, CLIENT_AUTH, holder=f"etcd {member}", verifier="etcd peers",
                      symptom="etcd peers refuse it: remote error: tls: bad certificate "
                      "({error})")
            paired(v, cert, key, ETCD)
        out.append(relation(
            v, f"etcd-peer:{member}", ETCD, "etcd members replicate the data to each other",
            server=f"etcd {member}", address=url,
            address_source=f"{etcd.path} --initial-cluster",
            server_cert=cert if member == name else None, server_key=key if member == name
            else None, server_ca=ca, client_cert=cert, client_key=key, client_ca=ca,
            identity=Identity(authorized_by="none: any peer cert the peer CA signed"),
        ))
    return out


def front_proxy_link(
    tree: Tree, now: datetime, api: ApiServer, pairs: Verdict
) -> list[Relation]:
    """The API server's aggregator to extension API servers (metrics-server, ...)."""
    comp = api.comp
    if comp is None:
        return []
    v = Verdict(now)
    cert = flag_source(tree, comp, "proxy-client-cert-file")
    key = flag_source(tree, comp, "proxy-client-key-file")
    ca = flag_source(tree, comp, "requestheader-client-ca-file")
    if cert is None and ca is None:
        return []
    leaf = presented(v, cert, ca, CLIENT_AUTH, holder=APISERVER,
                     verifier="aggregated API servers",
                     symptom="aggregated API servers answer 401 (kubectl top: Unauthorized; "
                     "APIService FailedDiscoveryCheck): {error}")
    allowed = [n.strip() for n in (comp.flag("requestheader-allowed-names") or "").split(",")
               if n.strip()]
    if leaf is not None and allowed and leaf.subject_cn not in allowed and cert is not None:
        v.cause(Cause(
            IDENTITY, comp.path, "--requestheader-allowed-names",
            f"--requestheader-allowed-names is {','.join(allowed)}, but "
            f"{cert.path} has CN {leaf.subject_cn!r}",
            symptom=f"x509: subject with cn={leaf.subject_cn} is not in the allowed list",
            fix=f"add {leaf.subject_cn} to --requestheader-allowed-names",
            covered_if=((cert.path, None),),
        ))
    v.absorb(pairs)
    return [relation(
        v, f"{APISERVER}->aggregated-apiservers", APISERVER,
        "the API server proxies requests to extension API servers, vouching for the user",
        server="aggregated API servers", address="each APIService's Service",
        address_source="APIService objects (cluster data)",
        client_cert=cert, client_key=key, client_ca=ca,
        identity=Identity(leaf.subject_cn if leaf else "", (),
                          "--requestheader-allowed-names: "
                          + (",".join(allowed) or "any CN the CA signed")),
        notes=("each extension server's own certificate and its APIService caBundle are "
               "cluster data, not in the tree",),
    )]

