"""Signing relations and key pairs: who signs what another side verifies (service-account
tokens, CSR-signed client certificates, the root CA published to pods), and every cert/key
flag pair a process loads at start."""

from __future__ import annotations

from datetime import datetime

from kexplore.core.model import Tree
from kexplore.core.params import host_port, service_ip_of
from kexplore.core.plane.components import APISERVER, CONTROLLER_MANAGER, PAIRS, PodComponent
from kexplore.core.plane.judge import Verdict, paired, presented, readable
from kexplore.core.plane.model import Cause, Identity, Relation, RelationKind, Source
from kexplore.core.plane.sides import certs_of, flag_source, key_of, public_keys_of
from kexplore.core.plane.verify import SERVER_AUTH

SA_RULE = "service-account-key"
SIGNING_RULE = "cluster-signing"

def pair_verdicts(
    tree: Tree, now: datetime, pods: dict[str, PodComponent]
) -> tuple[list[Relation], dict[tuple[str, str], Verdict]]:
    """A relation per flag pair that is set, and its verdict by (component, cert flag) for
    the connections that use the pair."""
    relations, verdicts = [], {}
    for name, pairs in PAIRS.items():
        comp = pods.get(name)
        if comp is None:
            continue
        for purpose, cert_flag, key_flag in pairs:
            cert = flag_source(tree, comp, cert_flag)
            key = flag_source(tree, comp, key_flag)
            if cert is None and key is None:
                continue
            v = Verdict(now)
            paired(v, cert, key, name)
            for c in certs_of(cert)[:1]:
                v.expires(c, cert.path if cert else "")
            verdicts[(name, cert_flag)] = v
            serving = purpose == "serving"
            relations.append(_relation(
                v, f"pair:{name}:{cert_flag}", name, name,
                f"{name} loads its {purpose} certificate with its key at start",
                RelationKind.PAIR,
                **({"server_cert": cert, "server_key": key} if serving
                   else {"client_cert": cert, "client_key": key}),
            ))
    return relations, verdicts


def _relation(
    v: Verdict, rid: str, client: str, server: str, purpose: str, kind: RelationKind,
    **fields: object,
) -> Relation:
    moment, because = v.breaks_at
    path, pointer = v.anchor
    return Relation(
        id=rid, kind=kind, client=client, server=server, purpose=purpose, status=v.status,
        reason=v.reason, breaks_at=moment, breaks_because=because, anchor_path=path,
        anchor_pointer=pointer, symptom=v.causes[0].symptom if v.causes else "",
        server_error=v.sides.get("server"), client_error=v.sides.get("client"),
        causes=tuple(dict((c.key, c) for c in v.causes).values()),
        **fields,  # type: ignore[arg-type]
    )


def _verifies(v: Verdict, signer: Source | None, keys: Source | None, who: str) -> None:
    """The public half of a signing key must be among the keys the API server verifies with."""
    if not (readable(v, signer, f"{who}'s signing key")
            and readable(v, keys, "the API server's --service-account-key-file")):
        return
    assert signer is not None and keys is not None
    key = key_of(signer)
    if key is None:
        v.fails(f"{signer.path} holds no private key")
        return
    if key.encrypted:
        v.unknown(f"{signer.path} is encrypted")
        return
    if key.public_key_fingerprint in public_keys_of(keys):
        return
    v.cause(Cause(
        SA_RULE, keys.owner, keys.pointer,
        f"{keys.pointer} names {keys.path}, which holds no public half of {who}'s "
        f"{signer.pointer} {signer.path}: the API server rejects the tokens it signs",
        symptom="every pod, controller and kube-proxy gets 401: invalid bearer token, "
        "square/go-jose: error in cryptographic primitive",
        fix=f"point {keys.pointer} at the public key of {signer.path}",
        covered_if=((signer.path, None), (keys.path, None)),
    ))


def signing_relations(
    tree: Tree, now: datetime, pods: dict[str, PodComponent], api_client_ca: Source | None,
    api_cert: Source | None,
) -> list[Relation]:
    api, kcm = pods.get(APISERVER), pods.get(CONTROLLER_MANAGER)
    out: list[Relation] = []
    keys = flag_source(tree, api, "service-account-key-file")
    for comp, flag, who in ((api, "service-account-signing-key-file", APISERVER),
                            (kcm, "service-account-private-key-file", CONTROLLER_MANAGER)):
        signer = flag_source(tree, comp, flag)
        if comp is None or (signer is None and api is None):
            continue
        v = Verdict(now)
        _verifies(v, signer, keys, who)
        out.append(_relation(
            v, f"service-account:{who}", who, APISERVER,
            f"{who} signs service-account tokens that the API server verifies",
            RelationKind.SIGNING, client_key=signer, client_ca=keys,
            identity=Identity("system:serviceaccount:<namespace>:<name>",
                              ("system:serviceaccounts",), "RBAC"),
        ))
    if kcm is not None:
        out.append(_cluster_signing(tree, now, kcm, api_client_ca))
        out.append(_root_ca(tree, now, kcm, api_cert, api))
    return out


def _cluster_signing(
    tree: Tree, now: datetime, kcm: PodComponent, client_ca: Source | None
) -> Relation:
    """The CA that signs kubelets' rotated client certs must be one the API server trusts."""
    v = Verdict(now)
    cert = flag_source(tree, kcm, "cluster-signing-cert-file")
    key = flag_source(tree, kcm, "cluster-signing-key-file")
    if cert is None and key is None:
        v.unknown("no --cluster-signing-cert-file: an external CA; CSRs are approved but "
                  "never issued (kubelet rotation and joins stall)")
    else:
        paired(v, cert, key, CONTROLLER_MANAGER)
        if readable(v, cert, "the signing CA") and readable(v, client_ca,
                                                          "the API server's client CA"):
            assert cert is not None and client_ca is not None
            signing = certs_of(cert)[:1]
            trusted = {c.sha256_fingerprint for c in certs_of(client_ca)}
            for c in signing:
                v.expires(c, cert.path)
                if c.sha256_fingerprint not in trusted:
                    v.cause(Cause(
                        SIGNING_RULE, kcm.path, "--cluster-signing-cert-file",
                        f"--cluster-signing-cert-file {cert.path} ({c.subject}) is not in "
                        f"the API server's --client-ca-file {client_ca.path}: every "
                        "kubelet client certificate it signs is refused",
                        symptom="kubelet: Unauthorized after its next certificate rotation",
                        fix="sign with the CA of the API server's --client-ca-file",
                        covered_if=((cert.path, None), (client_ca.path, None)),
                        supersedes=((kcm.path, "--cluster-signing-key-file"),),
                    ))
    return _relation(
        v, "cluster-signing", CONTROLLER_MANAGER, APISERVER,
        "the controller manager signs CSRs (kubelets' client certificates) with this CA",
        RelationKind.SIGNING, client_cert=cert, client_key=key, client_ca=client_ca,
    )


def _root_ca(
    tree: Tree, now: datetime, kcm: PodComponent, api_cert: Source | None,
    api: PodComponent | None,
) -> Relation:
    """Pods verify the API server with the CA the controller manager publishes, dialling
    the kubernetes Service: the first address of the API server's service range."""
    v = Verdict(now)
    root = flag_source(tree, kcm, "root-ca-file")
    service = service_address(api)
    if root is None:
        v.unknown("no --root-ca-file: pods get the controller manager's kubeconfig CA")
    else:
        presented(v, api_cert, root, SERVER_AUTH, holder=APISERVER, verifier="pods",
                  symptom="pods using in-cluster config: tls: failed to verify "
                  "certificate: {error}",
                  host=service, host_src=(api.path, f"--{SERVICE_RANGE}") if api else ("", ""))
    return _relation(
        v, "root-ca-file", "pods", APISERVER,
        "the controller manager publishes --root-ca-file to every pod as ca.crt, to "
        "verify the API server with", RelationKind.SIGNING,
        server_cert=api_cert, server_ca=root,
        address=f"https://{host_port(service, 443)}" if service else "",
        address_source=f"{api.path} --{SERVICE_RANGE}" if api and service else "",
    )


SERVICE_RANGE = "service-cluster-ip-range"


def service_address(api: PodComponent | None) -> str:
    """The kubernetes Service's ClusterIP, from the API server's first
    --service-cluster-ip-range; "" when the flag is not set (the files do not say) or does
    not parse."""
    flag = api.flag(SERVICE_RANGE) if api else None
    return (service_ip_of(flag) or "") if flag else ""

