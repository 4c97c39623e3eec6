"""A relation's verdict, gathered check by check: the causes that break it (each on the
file to fix, with the flag or entry), what the files cannot decide, and the earliest
expiry along it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kexplore.core.conventions.certs import CERTS_BY_FILE, CERTS_BY_NAME
from kexplore.core.paths import tree_path
from kexplore.core.pki import CertInfo
from kexplore.core.plane.components import KEY_FLAG
from kexplore.core.plane.model import Cause, Source, Status
from kexplore.core.plane.mounts import Reach
from kexplore.core.plane.sides import certs_of, key_of
from kexplore.core.plane.verify import (
    SERVER_AUTH,
    chain_to,
    eku_error,
    hostname_error,
    pair_error,
    validity_error,
)

NOT_MOUNTED = "plane-not-mounted"
CA_RULE = "connection-ca"
EKU_RULE = "connection-eku"
NAME_RULE = "connection-server-name"
PAIR_RULE = "connection-key-pair"
# Faults of a CA itself, reported on the CA by the certificate rules (time, constraints)
CA_OWN_FAULTS = ("x509: certificate has expired", "x509: certificate is not authorized")
# a chain failure said in a relation's own words: (leaf, the verifier's error) -> cause
ChainCause = Callable[[CertInfo, str], Cause]


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@dataclass
class Verdict:
    """Collects what one relation's checks found; `close` makes the record's fields."""

    now: datetime
    causes: list[Cause] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    expiries: list[tuple[datetime, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # broken, reported elsewhere too
    # what each side's certificate check found, as the verifier would log it ("" = holds)
    sides: dict[str, str] = field(default_factory=dict)

    def absorb(self, other: Verdict) -> None:
        """What breaks a pair a connection relies on breaks the connection too."""
        self.causes.extend(other.causes)
        self.failures.extend(other.failures)

    def cause(self, cause: Cause) -> None:
        self.causes.append(cause)

    def unknown(self, why: str) -> None:
        self.unknowns.append(why)

    def fails(self, why: str) -> None:
        self.failures.append(why)

    def expires(self, cert: CertInfo, label: str) -> None:
        self.expiries.append((cert.not_after, label))

    @property
    def status(self) -> Status:
        if self.causes or self.failures:
            return Status.BROKEN
        return Status.UNKNOWN if self.unknowns else Status.OK

    @property
    def reason(self) -> str:
        if self.causes or self.failures:
            return "; ".join([*(c.message for c in self.causes), *self.failures])
        return "; ".join(self.unknowns)

    @property
    def breaks_at(self) -> tuple[datetime | None, str]:
        if not self.expiries:
            return None, ""
        return min(self.expiries)

    @property
    def anchor(self) -> tuple[str, str]:
        first = self.causes[0] if self.causes else None
        return (first.path, first.pointer) if first else ("", "")


def readable(v: Verdict, src: Source | None, what: str) -> bool:
    """Whether the side can open `src`; when not, says why (a cause, or unknown)."""
    if src is None:
        v.unknown(f"{what} is not set")
        return False
    if src.reach is Reach.NOT_MOUNTED and tree_path(src.named) is None:
        v.unknown(f"{what} {src.named}: no volume shows it; it may be in the image")
        return False
    if src.reach is Reach.NOT_MOUNTED:
        v.cause(Cause(
            NOT_MOUNTED, src.owner, src.pointer,
            f"{src.pointer} names {src.named}, which the container cannot see: {src.reason}",
            symptom=f"open {src.named}: no such file or directory",
            fix=f"add a hostPath volume and volumeMount for {src.named} in {src.owner}",
            covered_if=((src.owner, src.pointer),),
        ))
        return False
    if src.reach is Reach.OUTSIDE:
        v.unknown(f"{what} {src.named}: {src.reason}")
        return False
    if src.reach is Reach.MISSING:
        v.fails(f"{what} {src.named} is not there")  # the *-file-missing rules say so
        return False
    if src.content is None:
        v.fails(f"{what} {src.path}: {src.reason}")  # parse-error says so
        return False
    return True


def _anchors(src: Source) -> tuple[tuple[str, str | None], ...]:
    """Where another rule would already report a problem of this material."""
    if src.reach is Reach.EMBEDDED:
        return ((src.path, src.pointer),)
    return ((src.path, None),)


def _flags_of(src: Source) -> tuple[tuple[str, str], ...]:
    """The flag naming a file and its pair's key flag: a difference there is this cause."""
    if not src.pointer.startswith("--"):
        return ()
    key = KEY_FLAG.get(src.pointer[2:])
    return ((src.owner, src.pointer), *(((src.owner, f"--{key}"),) if key else ()))


def _blame_cert(cert_src: Source, ca_src: Source) -> bool:
    """Whether the certificate, not the trust flag, is what is out of place: kubeadm
    signs it with the very CA file the flag names (or it is no kubeadm file at all)."""
    cert_path, ca_path = _in_kubeadm_layout(cert_src.path, ca_src.path)
    spec = CERTS_BY_FILE.get(cert_path)
    if spec is None or not spec.ca:
        return cert_src.reach is Reach.EMBEDDED
    ca = CERTS_BY_NAME.get(spec.ca)
    return ca is not None and ca.file == ca_path


def _in_kubeadm_layout(cert: str, ca: str) -> tuple[str, str]:
    """Two files of one certificates folder other than pki/ (kubespray's ssl/) named as
    kubeadm's layout names them, so that the folder's files keep their roles."""
    folder, _, rest = cert.partition("/")
    ca_folder, _, ca_rest = ca.partition("/")
    if folder == ca_folder and folder != "pki" and rest and ca_rest:
        return f"pki/{rest}", f"pki/{ca_rest}"
    return cert, ca


def presented(
    v: Verdict,
    cert_src: Source | None,
    ca_src: Source | None,
    usage: str,
    *,
    holder: str,
    verifier: str,
    symptom: str,
    host: str = "",
    host_src: tuple[str, str] = ("", ""),
    ca_elsewhere: bool = False,
    chain_cause: ChainCause | None = None,
) -> CertInfo | None:
    """Check one presented certificate as its verifier does: chain to the exact bundle,
    validity, EKU and, for a server, the dialled host. Returns the leaf when readable.
    `ca_elsewhere`: the verifier's CA is on another host (the caller said why);
    `chain_cause`: the cause of a chain that fails, when the relation names its own."""
    ok_cert = readable(v, cert_src, f"{holder}'s certificate")
    ok_ca = not ca_elsewhere and readable(v, ca_src, f"the CA {verifier} trusts")
    if not ok_cert:
        return None
    assert cert_src is not None
    chain = certs_of(cert_src)
    if not chain:
        v.fails(f"{cert_src.path} holds no certificate")
        return None
    leaf = chain[0]
    v.expires(leaf, f"{cert_src.path} {cert_src.pointer}".strip())
    where = (cert_src.path, cert_src.pointer)
    anchors = _anchors(cert_src)
    expired = validity_error(leaf, v.now)
    if expired:
        v.fails(f"{cert_src.path}: {expired}")  # the cert-time rules report it
    side = "server" if usage == SERVER_AUTH else "client"
    found: list[str] = [expired] if expired else []
    if ok_ca and ca_src is not None:
        roots = certs_of(ca_src)
        root, error = chain_to(leaf, roots, chain[1:], v.now)
        found += [error] if error else []
        if root is not None:
            v.expires(root, ca_src.path)
        elif error and error.startswith(CA_OWN_FAULTS):
            v.fails(f"{ca_src.path}: {error}")  # the CA's own rules report it on the CA
        elif error and chain_cause is not None:
            v.cause(chain_cause(leaf, error))
        elif error:
            _chain_cause(v, cert_src, ca_src, leaf, error, holder, verifier, symptom,
                         anchors + _anchors(ca_src))
    eku = eku_error(leaf, usage)
    found += [eku] if eku else []
    if eku:
        v.cause(Cause(
            EKU_RULE, where[0], where[1],
            f"{holder} presents {cert_src.path} with extended key usage "
            f"{', '.join(leaf.ext_key_usage)}, without the {usage} its peers require: {eku}",
            symptom=symptom.format(error=eku), covered_if=anchors,
            supersedes=_flags_of(cert_src),
        ))
    if host:
        name = hostname_error(leaf, host)
        found += [name] if name else []
        if name:
            kind = "IP" if any(ch == ":" for ch in host) or host.replace(".", "").isdigit() \
                else "DNS"
            v.cause(Cause(
                NAME_RULE, host_src[0], host_src[1],
                f"{verifier} dials {host}, which {cert_src.path} ({holder}) does not name: "
                f"{name}",
                symptom=symptom.format(error=name),
                fix=f"dial a name {cert_src.path} holds, or reissue it with {kind}:{host}",
                covered_if=((cert_src.path, f"{kind}:{host.strip('[]')}"), host_src),
            ))
    if ok_ca:
        v.sides[side] = "; ".join(found)
    return leaf


def _chain_cause(
    v: Verdict, cert_src: Source, ca_src: Source, leaf: CertInfo, error: str,
    holder: str, verifier: str, symptom: str, anchors: tuple[tuple[str, str | None], ...],
) -> None:
    trust = f"{ca_src.path}" + (f" ({ca_src.pointer} of {ca_src.owner})" if ca_src.owner
                                 and ca_src.reach is not Reach.EMBEDDED else "")
    found = f"it is issued by {leaf.issuer or '(empty)'}"
    if _blame_cert(cert_src, ca_src):
        path, pointer = cert_src.path, cert_src.pointer
        fix = f"reissue {cert_src.path} from {ca_src.path}"
    else:
        path, pointer = ca_src.owner or ca_src.path, ca_src.pointer
        fix = f"point {ca_src.pointer} at the CA that issued {cert_src.path}"
    v.cause(Cause(
        CA_RULE, path, pointer,
        f"{holder}'s {cert_src.path} is checked by {verifier} against {trust}, but "
        f"{found}: {error}",
        symptom=symptom.format(error=error), fix=fix, covered_if=anchors,
        supersedes=_flags_of(cert_src) + _flags_of(ca_src),
    ))


def paired(v: Verdict, cert_src: Source | None, key_src: Source | None, holder: str) -> None:
    """A cert/key flag pair: the key must be the certificate's own."""
    if not (readable(v, cert_src, f"{holder}'s certificate")
            and readable(v, key_src, f"{holder}'s key")):
        return
    assert cert_src is not None and key_src is not None
    chain, key = certs_of(cert_src), key_of(key_src)
    if not chain or key is None:
        wrong, what = (key_src, "private key") if key is None else (cert_src, "certificate")
        v.cause(Cause(
            PAIR_RULE, wrong.owner or wrong.path, wrong.pointer,
            f"{holder}'s {wrong.pointer} names {wrong.path}, which holds no {what}",
            symptom=f"{holder} does not start: tls: failed to find any PEM data",
            fix=f"point {wrong.pointer} at the {what} of the pair",
            covered_if=_anchors(wrong), supersedes=_flags_of(wrong),
        ))
        return
    if key.encrypted:
        v.unknown(f"{key_src.path} is encrypted: its pair cannot be checked here")
        return
    error = pair_error(chain[0], key)
    if error:
        v.cause(Cause(
            PAIR_RULE, key_src.owner or key_src.path, key_src.pointer,
            f"{holder}'s {key_src.pointer} {key_src.path} is not the key of "
            f"{cert_src.pointer} {cert_src.path} ({chain[0].subject})",
            symptom=f"{holder} does not start: {error}",
            fix=f"point {key_src.pointer} at the key of {cert_src.path}",
            covered_if=_anchors(key_src) + _anchors(cert_src),
        ))


def expiry_line(verdict: Verdict, title: str) -> str:
    moment, _ = verdict.breaks_at
    return f"{title} fails from {_day(moment)}" if moment else ""
