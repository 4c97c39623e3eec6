"""Rules about certificates and keys: time, chain, key pairs, and kubeadm's conventions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from kexplore.core.checks.context import CertAt, Context
from kexplore.core.conventions.certs import CERTS_BY_NAME, SA_KEY, SA_PUB
from kexplore.core.model import Finding, Kind, Severity
from kexplore.core.params import canonical_addresses
from kexplore.core.pki import (
    KeyInfo,
    PublicKeyInfo,
    key_matches,
    public_key_matches,
)
from kexplore.core.read.crypto import verify_signature


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _renew_fix(at: CertAt) -> str:
    if at.spec and not at.spec.is_ca and at.spec.name != "kubelet.conf":
        return f"kubeadm certs renew {at.spec.name}"
    if at.spec and at.spec.is_ca:
        return "a CA cannot be renewed by kubeadm; plan a CA rotation"
    return ""


def _breaks(ctx: Context, at: CertAt, since: str) -> str:
    """What the expiry breaks, from the plane: "a → b, c → d fail from <day>"."""
    if at.archived:
        return ""
    pointer = at.pointer if at.embedded else ""
    titles = [r.title for r in ctx.plane.relations_with(at.path, pointer)]
    if not titles:
        return ""
    shown = ", ".join(titles[:4]) + (f" and {len(titles) - 4} more" if len(titles) > 4 else "")
    verb = "fails" if len(titles) == 1 else "fail"
    return f": {shown} {verb} {since} {_day(at.cert.not_after)}"


def cert_time(ctx: Context) -> Iterator[Finding]:
    """An expired certificate fails every TLS handshake it takes part in; warn in time."""
    warn = timedelta(days=ctx.warn_days)
    for at in ctx.certs:
        cert = at.cert
        if cert.is_expired(ctx.now):
            yield Finding(
                "cert-expired",
                ctx.time_severity(at, Severity.ERROR),
                at.path,
                f"expired {_day(cert.not_after)}; it must be valid at {_day(ctx.now)}"
                f"{_breaks(ctx, at, 'since')}",
                pointer=at.pointer,
                fix=_renew_fix(at),
            )
        elif cert.is_not_yet_valid(ctx.now):
            yield Finding(
                "cert-not-yet-valid",
                ctx.time_severity(at, Severity.ERROR),
                at.path,
                f"valid only from {_day(cert.not_before)}, after now "
                f"({_day(ctx.now)}): a clock skew or a backdated clock",
                pointer=at.pointer,
                fix="check the node's clock (timedatectl)",
            )
        elif cert.time_left(ctx.now) <= warn:
            yield Finding(
                "cert-expiring",
                ctx.time_severity(at, Severity.WARNING),
                at.path,
                f"expires {_day(cert.not_after)}, in {cert.residual(ctx.now)} "
                f"(warning within {ctx.warn_days} days){_breaks(ctx, at, 'from')}",
                pointer=at.pointer,
                fix=_renew_fix(at),
            )


def cert_chain(ctx: Context) -> Iterator[Finding]:
    """A certificate its peers cannot chain to a trusted CA is refused at the handshake."""
    for at in ctx.certs:
        cert = at.cert
        if cert.self_issued:
            continue
        issuer = ctx.issuer_of(cert)
        if issuer is None:
            if at.spec is None and not at.embedded:
                continue  # a stray certificate from elsewhere: nothing to chain it to here
            if at.spec is not None and at.spec.is_ca:
                yield _trust_anchor(at)
                continue
            if _ca_file_broken(ctx, at):
                continue  # its CA's file does not decode: parse-error names the cause
            yield Finding(
                "cert-chain",
                ctx.time_severity(at, Severity.ERROR),
                at.path,
                f"issuer {cert.issuer or '(empty)'} is not among the tree's CAs",
                pointer=at.pointer,
            )
        elif not verify_signature(cert, issuer):
            yield Finding(
                "cert-chain",
                ctx.time_severity(at, Severity.ERROR),
                at.path,
                f"names {issuer.subject} as issuer, but that CA's key did not sign it "
                "(signed by another CA of the same name?)",
                pointer=at.pointer,
                fix="reissue it from the tree's CA (kubeadm certs renew)",
            )


def _trust_anchor(at: CertAt) -> Finding:
    """kubeadm's CA files are where the components' trust starts, whoever signed them: an
    intermediate under a root kept elsewhere works, and is worth knowing."""
    return Finding(
        "ca-intermediate",
        Severity.INFO,
        at.path,
        f"is an intermediate CA issued by {at.cert.issuer or '(empty)'}, which is not in the "
        "tree; the components trust this file itself as their anchor",
        pointer=at.pointer,
    )


def cert_copy(ctx: Context) -> Iterator[Finding]:
    """A copy of one of kubeadm's certificates under another name (ca-old.crt) is no
    harm, but it is not what the components read: said, so nobody renews the copy. A copy
    a component's flag names is read, and what that breaks is the plane's to say."""
    named = {ref.target for ref in ctx.file_references}
    own = {
        at.cert.sha256_fingerprint: at.path
        for at in ctx.certs
        if at.spec is not None and not at.embedded and not at.pointer
    }
    for at in ctx.certs:
        original = own.get(at.cert.sha256_fingerprint)
        if at.embedded or at.archived or at.spec is not None or original in (None, at.path):
            continue
        if at.path in named:
            continue
        yield Finding(
            "cert-copy",
            Severity.INFO,
            at.path,
            f"is a copy of {original}; the components read {original}",
            pointer=at.pointer,
        )


def cert_serial(ctx: Context) -> Iterator[Finding]:
    """RFC 5280 wants a positive serial; kubeadm before 1.28 gave its CAs serial 0. Today's
    components accept it, but strict libraries (a future cryptography) will refuse it."""
    for at in ctx.certs:
        if at.cert.serial <= 0 and not at.archived:
            yield Finding(
                "cert-serial",
                Severity.INFO,
                at.path,
                f"serial number is {at.cert.serial}, not positive as RFC 5280 requires "
                "(kubeadm before 1.28 gave its CAs serial 0); strict TLS libraries may "
                "refuse it in future",
                pointer=at.pointer,
                fix="renew it with the next CA rotation",
            )


def _ca_file_broken(ctx: Context, at: CertAt) -> bool:
    """Its CA's file does not decode (parse-error says so) or is not there (file-missing
    counts what it leaves unverified)."""
    ca = CERTS_BY_NAME.get(at.spec.ca or "") if at.spec else None
    if ca is None or not ca.file:
        return False
    path = ctx.laid_out(ca.file)
    node = ctx.tree.get(path)
    return (node is not None and bool(node.error)) or path in ctx.missing_alone


def cert_encoding(ctx: Context) -> Iterator[Finding]:
    """Kubernetes' components read certificates as PEM only; a DER file in kubeadm's place
    stops the component that loads it."""
    for at in ctx.certs:
        if at.spec is not None and not at.embedded and at.cert.encoding != "PEM":
            yield Finding("cert-encoding", ctx.time_severity(at, Severity.ERROR), at.path,
                          f"is {at.cert.encoding}-encoded; kubeadm writes PEM and the "
                          "components read nothing else",
                          fix=f"openssl x509 -inform DER -in {at.path} -out {at.path}.pem, "
                          "then move it into place")


def key_mismatch(ctx: Context) -> Iterator[Finding]:
    """A certificate is useless without the private key of its own public key."""
    for node in ctx.live(Kind.PRIVATE_KEY):
        key = node.content
        if not isinstance(key, KeyInfo) or key.encrypted:
            continue
        if node.path == SA_KEY:
            pub = ctx.tree.get(SA_PUB)
            if (
                pub
                and isinstance(pub.content, PublicKeyInfo)
                and not public_key_matches(key, pub.content)
            ):
                yield Finding(
                    "key-mismatch",
                    Severity.ERROR,
                    node.path,
                    "sa.key and sa.pub are not one key pair: service-account tokens "
                    "signed now will not verify",
                    fix="restore both from one backup",
                )
            continue
        partner = ctx.tree.get(node.path.removesuffix(".key") + ".crt")
        if partner and partner.kind is Kind.CERTIFICATE and partner.content:
            cert = partner.content[0]
            if not key_matches(key, cert):
                yield Finding(
                    "key-mismatch",
                    Severity.ERROR,
                    node.path,
                    f"does not match {partner.path} ({cert.subject}): the key's public "
                    f"key {key.public_key_fingerprint[:23]}… is not the certificate's "
                    f"{cert.public_key_fingerprint[:23]}…",
                    fix="restore the matching pair, or renew the certificate",
                )
    for node, info in ctx.kubeconfigs():
        for user in info.users:
            if (
                user.cert
                and user.client_key
                and not user.client_key.encrypted
                and not key_matches(user.client_key, user.cert)
            ):
                yield Finding(
                    "key-mismatch",
                    Severity.ERROR,
                    node.path,
                    f"user {user.name}: the client key does not match the client certificate",
                    pointer=f"user {user.name}",
                )


def ca_constraints(ctx: Context) -> Iterator[Finding]:
    """Only a certificate marked CA:TRUE with keyCertSign may sign others; TLS checks both."""
    issuers_in_use = {id(ctx.issuer_of(at.cert)) for at in ctx.certs if not at.cert.self_issued}
    for at in ctx.certs:
        if at.embedded:
            continue
        cert = at.cert
        is_expected_ca = bool(at.spec and at.spec.is_ca)
        if not (is_expected_ca or id(cert) in issuers_in_use):
            continue
        missing = []
        if not cert.is_ca:
            missing.append("CA:TRUE")
        if cert.key_usage and "CertSign" not in cert.key_usage:
            missing.append("keyCertSign")
        if missing:
            yield Finding(
                "ca-constraints",
                ctx.time_severity(at, Severity.ERROR),
                at.path,
                f"is used as a CA but lacks {' and '.join(missing)}",
                pointer=at.pointer,
                fix="reissue the CA with basicConstraints CA:TRUE",
            )


def cert_conventions(ctx: Context) -> Iterator[Finding]:
    """kubeadm's certificates carry the names, groups and usages their peers check."""
    params = ctx.params
    for at in ctx.certs:
        spec = at.spec
        if spec is None or at.archived or not spec.applies(params):
            continue
        if at.embedded and at.pointer.startswith("user ") and ctx.inferred.joined_node:
            continue
        yield from _subject(ctx, at)
        yield from _usage(at)
        yield from _sans(ctx, at)


def _subject(ctx: Context, at: CertAt) -> Iterator[Finding]:
    assert at.spec is not None
    params = ctx.params
    cert = at.cert
    cn = at.spec.cn(params)
    if cert.subject_cn != cn and at.embedded:
        return  # another component's identity altogether: kubeconfig-client-cert says so
    if cert.subject_cn != cn and (ctx.knows("node_name") or params.node_name not in cn):
        pointer = at.pointer or "subject CN"
        severity, breaks = _breaking(ctx, at.path, pointer, Severity.WARNING)
        yield Finding(
            "cert-subject",
            severity,
            at.path,
            f"CN is {cert.subject_cn!r}; kubeadm's {at.spec.name} has CN {cn!r}{breaks}",
            pointer=pointer,
        )
    orgs = at.spec.organization(params.version)
    actual = tuple(sorted(cert.subject_o))
    if ctx.withheld("cert-subject") or actual in at.spec.accepted_organizations(params.version):
        return
    others = {tuple(sorted(v.value)) for v in at.spec.organizations}
    if at.spec.organization_is_later(actual, params.version):
        yield Finding(
            "cert-subject",
            Severity.WARNING,
            at.path,
            f"O is {list(cert.subject_o)}, the layout of a later kubeadm; kubeadm "
            f"{params.version} writes {list(orgs)}, and without that group this identity "
            "lacks the rights the later layout grants it by other means",
            pointer=at.pointer or "subject O",
            fix=f"kubeadm certs renew {at.spec.name}" if at.spec.file else "",
        )
    elif actual in others:
        yield Finding(
            "cert-subject",
            Severity.INFO,
            at.path,
            f"O is {list(cert.subject_o)}, kubeadm's layout before this version; "
            f"kubeadm {params.version} writes {list(orgs)}"
            " (a version difference: renewing keeps the old O)",
            pointer=at.pointer or "subject O",
            fix="regenerate it to move out of system:masters"
            if "system:masters" in cert.subject_o
            else "",
        )
    else:
        yield Finding(
            "cert-subject",
            Severity.WARNING,
            at.path,
            f"O is {list(cert.subject_o)}; kubeadm's {at.spec.name} has {list(orgs)}",
            pointer=at.pointer or "subject O",
        )


def _usage(at: CertAt) -> Iterator[Finding]:
    assert at.spec is not None
    if at.spec.is_ca:
        return
    expected, actual = set(at.spec.usages), set(at.cert.ext_key_usage)
    missing = expected - actual
    if missing or (actual - expected - {"Any"}):
        yield Finding(
            "cert-usage",
            Severity.ERROR if missing else Severity.WARNING,
            at.path,
            f"extended key usage is {sorted(actual) or 'none'}; kubeadm's "
            f"{at.spec.name} has {sorted(expected)}",
            pointer=at.pointer or "extended key usage",
            fix=f"regenerate it: kubeadm init phase certs {at.spec.name}",
        )


def _sans(ctx: Context, at: CertAt) -> Iterator[Finding]:
    assert at.spec is not None
    expected = at.spec.sans(ctx.params)
    cert = at.cert
    unknown = ctx.inferred.unknown_values  # a name the tree does not give is not required
    for name in expected.dns:
        if name not in cert.dns_sans and name not in unknown:
            yield _missing_san(ctx, at, f"DNS:{name}")
    held = {canonical_addresses(ip) for ip in cert.ip_sans}
    for ip in expected.ips:
        if canonical_addresses(ip) not in held and ip not in unknown:
            yield _missing_san(ctx, at, f"IP:{ip}")


def _breaking(ctx: Context, path: str, pointer: str, severity: Severity) -> tuple[Severity, str]:
    """An error, saying which, when the plane shows relations this problem breaks."""
    titles = ctx.plane.broken_through(path, pointer)
    if not titles:
        return severity, ""
    return Severity.ERROR, f"; this breaks {', '.join(titles)}"


def _missing_san(ctx: Context, at: CertAt, san: str) -> Finding:
    assert at.spec is not None
    severity, breaks = _breaking(ctx, at.path, san, Severity.WARNING)
    return Finding(
        "cert-san-missing",
        severity,
        at.path,
        f"has no SAN {san}, which kubeadm includes: clients dialling it are refused{breaks}",
        pointer=san,
        fix=f"delete {at.path} and its key, then kubeadm init phase certs "
        f"{at.spec.name} (renew keeps the old SANs)",
    )


RULES = [
    cert_time,
    cert_chain,
    cert_copy,
    cert_serial,
    cert_encoding,
    key_mismatch,
    ca_constraints,
    cert_conventions,
]
