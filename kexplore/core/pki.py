"""Certificates and keys as plain values: what a decoded file says, and PEM framing.

These values are all the explorer needs to show a tree, so this module imports nothing
heavier than the standard library: a session unpickled in another process, or a view
drawn from one, never pays for the cryptography library. `crypto` makes the values.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import field
from datetime import datetime, timedelta

from kexplore.core.records import record


class DecodeError(ValueError):
    """The bytes are not what was asked for; the message says why in plain words."""


# --- PEM framing -------------------------------------------------------------------------

CERT_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"})
PRIVATE_KEY_LABELS = frozenset(
    {
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
    }
)
PUBLIC_KEY_LABELS = frozenset({"PUBLIC KEY", "RSA PUBLIC KEY"})
CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,64})-----")
# A PEM body is base64 lines; RFC 1421 headers ("Proc-Type: ...") come first, ended by a blank.
_HEADER = re.compile(rb"^([A-Za-z-]+):\s*(.*)$")


@record
class PemBlock:
    """One BEGIN/END block. Internal: it may hold key bytes, so it never reaches a Node."""

    label: str
    der: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    text: bytes = field(default=b"", repr=False)

    @property
    def encrypted(self) -> bool:
        return self.label == "ENCRYPTED PRIVATE KEY" or any(
            k == "Proc-Type" and "ENCRYPTED" in v for k, v in self.headers
        )


def looks_like_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data


def pem_blocks(data: bytes) -> list[PemBlock]:
    """Split PEM text into blocks, with a plain-words error for every way it can break."""
    blocks: list[PemBlock] = []
    pos = 0
    while True:
        m = _BEGIN.search(data, pos)
        if not m:
            break
        label = m.group(1).decode("ascii")
        end_marker = b"-----END " + m.group(1) + b"-----"
        end = data.find(end_marker, m.end())
        if end < 0:
            raise DecodeError(f"truncated PEM: no END {label} line")
        body = data[m.end() : end]
        headers, b64 = _split_headers(body)
        if label == "OPENSSH PRIVATE KEY":
            der = b""  # openssh framing is not DER; the text is loaded as a whole
        else:
            try:
                der = base64.b64decode(b"".join(b64.split()), validate=True)
            except (binascii.Error, ValueError):
                raise DecodeError(f"PEM block {label} has invalid base64") from None
            if not der:
                raise DecodeError(f"PEM block {label} is empty")
        blocks.append(PemBlock(label, der, headers, data[m.start() : end + len(end_marker)]))
        pos = end + len(end_marker)
    if not blocks:
        if b"-----BEGIN" in data:
            raise DecodeError("malformed PEM: a BEGIN line that cannot be read")
        raise DecodeError("no PEM block found")
    return blocks


def _split_headers(body: bytes) -> tuple[tuple[tuple[str, str], ...], bytes]:
    lines = body.strip().splitlines()
    headers: list[tuple[str, str]] = []
    i = 0
    while i < len(lines) and (hm := _HEADER.match(lines[i].strip())):
        headers.append((hm.group(1).decode("ascii"), hm.group(2).decode("ascii", "replace")))
        i += 1
    if headers:
        return tuple(headers), b"\n".join(lines[i:])
    return (), body


def pem_labels(data: bytes) -> set[str]:
    """The labels present, without validating bodies: used to classify a file."""
    return {m.group(1).decode("ascii") for m in _BEGIN.finditer(data)}


def what_else(labels: Iterable[str]) -> str:
    labels = set(labels)
    if labels & PRIVATE_KEY_LABELS:
        return "a private key"
    if labels & CERT_LABELS:
        return "a certificate"
    if labels & PUBLIC_KEY_LABELS:
        return "a public key"
    if labels & CSR_LABELS:
        return "a certificate request"
    return "PEM of type " + ", ".join(sorted(labels)) if labels else "no PEM block"


def hex_colon(data: bytes | None) -> str:
    return data.hex(":").upper() if data else ""


# --- what a file says ---------------------------------------------------------------------


@record
class PublicKeyInfo:
    """A public key: its algorithm, size or curve, and sha256 of its SubjectPublicKeyInfo."""

    type: str
    bits: int = 0
    curve: str = ""
    fingerprint: str = ""
    encoding: str = ""

    def describe(self) -> str:
        size = self.curve or (f"{self.bits} bits" if self.bits else "")
        return f"{self.type} {size}".strip()


@record
class KeyInfo:
    """What may be said about a private key without keeping it.

    `encoding` is PKCS#1, PKCS#8, SEC1, OpenSSH or DER. An encrypted key cannot be
    opened without its passphrase, so its type and fingerprint stay empty.
    """

    type: str
    bits: int = 0
    curve: str = ""
    encoding: str = ""
    encrypted: bool = False
    public_key_fingerprint: str = ""

    def describe(self) -> str:
        if self.encrypted:
            return f"encrypted {self.encoding} key".replace("  ", " ")
        size = self.curve or (f"{self.bits} bits" if self.bits else "")
        return f"{self.type} {size} ({self.encoding})".replace("  ", " ")


@record
class CertInfo:
    """One X.509 certificate, as the explorer and the checks see it."""

    subject: str
    subject_cn: str
    subject_o: tuple[str, ...]
    issuer: str
    issuer_cn: str
    serial: int
    not_before: datetime
    not_after: datetime
    dns_sans: tuple[str, ...]
    ip_sans: tuple[str, ...]
    other_sans: tuple[str, ...]
    key_usage: tuple[str, ...]
    key_usage_critical: bool
    ext_key_usage: tuple[str, ...]
    is_ca: bool
    path_len: int | None
    basic_constraints_present: bool
    basic_constraints_critical: bool
    ski: str
    aki: str
    signature_algorithm: str
    public_key_type: str
    public_key_bits: int
    curve: str
    sha256_fingerprint: str
    sha1_fingerprint: str
    public_key_fingerprint: str
    version: int = 3
    extension_error: str = ""
    # "PEM" or "DER": the file's, not the certificate's (so it takes no part in equality);
    # DER is readable here but not by Kubernetes' components
    encoding: str = field(default="PEM", compare=False)
    der: bytes = field(default=b"", compare=False, repr=False)

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    def pem(self) -> str:
        b64 = base64.b64encode(self.der).decode("ascii")
        lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def time_left(self, now: datetime) -> timedelta:
        return self.not_after - now

    def is_expired(self, now: datetime) -> bool:
        return now > self.not_after

    def is_not_yet_valid(self, now: datetime) -> bool:
        return now < self.not_before

    def residual(self, now: datetime) -> str:
        """Time left as `kubeadm certs check-expiration` prints it (1.31+)."""
        return residual_time(int(self.time_left(now).total_seconds()))


def key_matches(key: KeyInfo, cert: CertInfo) -> bool:
    """Whether the private key is the one for this certificate (same public key)."""
    return bool(key.public_key_fingerprint) and (
        key.public_key_fingerprint == cert.public_key_fingerprint
    )


def public_key_matches(key: KeyInfo, pub: PublicKeyInfo) -> bool:
    """sa.key against sa.pub: the same key pair or not."""
    return bool(key.public_key_fingerprint) and key.public_key_fingerprint == pub.fingerprint


# --- certificate requests ----------------------------------------------------------------


@record
class CsrInfo:
    """What a certificate signing request asks for."""

    subject: str
    subject_cn: str
    subject_o: tuple[str, ...]
    dns_sans: tuple[str, ...]
    ip_sans: tuple[str, ...]
    public_key_type: str
    public_key_bits: int
    public_key_fingerprint: str
    signature_valid: bool


# --- durations ---------------------------------------------------------------------------


def residual_time(seconds: int) -> str:
    """kubeadm's HumanDuration (1.31+), as `certs check-expiration` prints time left."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d" if rest == 0 else f"{days}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"
