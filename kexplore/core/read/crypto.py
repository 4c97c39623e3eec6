"""Certificates and keys read with the cryptography library: bytes in, pki's values out.

A private key is loaded only long enough to fingerprint its public half; no key bytes or
key object outlive the call. Signatures are verified here too. Importing this module
costs tens of milliseconds, so only the readers and the checks import it.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import replace

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kexplore.core.pki import (
    CERT_LABELS,
    CSR_LABELS,
    PRIVATE_KEY_LABELS,
    PUBLIC_KEY_LABELS,
    CertInfo,
    CsrInfo,
    DecodeError,
    KeyInfo,
    PemBlock,
    PublicKeyInfo,
    hex_colon,
    looks_like_pem,
    pem_blocks,
    what_else,
)

# cryptography warns on stderr about what a certificate holds (a CA serial of 0, as kubeadm
# before 1.28 wrote): that is the tree's business, reported as a finding (cert-serial),
# never as noise on the terminal.
warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)


def _blocks_of(data: bytes, labels: frozenset[str], what: str) -> list[PemBlock]:
    """The PEM blocks with these labels; none at all is an error naming what the file holds."""
    blocks = pem_blocks(data)
    wanted = [b for b in blocks if b.label in labels]
    if not wanted:
        raise DecodeError(f"not {what}: the file holds {what_else(b.label for b in blocks)}")
    return wanted


# --- names for humans --------------------------------------------------------------------

# Go's x509 names, which is what kubeadm's code and docs use.
_KEY_USAGE_NAMES = (
    ("digital_signature", "DigitalSignature"),
    ("content_commitment", "ContentCommitment"),
    ("key_encipherment", "KeyEncipherment"),
    ("data_encipherment", "DataEncipherment"),
    ("key_agreement", "KeyAgreement"),
    ("key_cert_sign", "CertSign"),
    ("crl_sign", "CRLSign"),
)
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "ServerAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "ClientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "CodeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EmailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "TimeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "Any",
}


# --- public keys -------------------------------------------------------------------------


def _public_summary(pub: object) -> tuple[str, int, str]:
    if isinstance(pub, rsa.RSAPublicKey):
        return "RSA", pub.key_size, ""
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return "ECDSA", pub.curve.key_size, _curve_name(pub.curve)
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, ""
    if isinstance(pub, ed448.Ed448PublicKey):
        return "Ed448", 456, ""
    if isinstance(pub, dsa.DSAPublicKey):
        return "DSA", pub.key_size, ""
    return type(pub).__name__, 0, ""


def _curve_name(curve: ec.EllipticCurve) -> str:
    return {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
        curve.name, curve.name
    )


def _spki_fingerprint(pub: object) -> str:
    der = pub.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hex_colon(hashlib.sha256(der).digest())


def _public_info(pub: object, encoding: str) -> PublicKeyInfo:
    kind, bits, curve = _public_summary(pub)
    return PublicKeyInfo(kind, bits, curve, _spki_fingerprint(pub), encoding)


def decode_public_key(data: bytes) -> PublicKeyInfo:
    """A public key from PEM (PUBLIC KEY, RSA PUBLIC KEY), DER or an OpenSSH line."""
    stripped = data.strip()
    if not stripped:
        raise DecodeError("empty file")
    if stripped.startswith((b"ssh-", b"ecdsa-sha2-")):
        try:
            return _public_info(serialization.load_ssh_public_key(stripped), "OpenSSH")
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise DecodeError(f"OpenSSH public key could not be parsed: {exc}") from None
    if looks_like_pem(data):
        block = _blocks_of(data, PUBLIC_KEY_LABELS, "a public key")[0]
        encoding = "PKCS#1" if block.label == "RSA PUBLIC KEY" else "PKIX"
        try:
            return _public_info(serialization.load_pem_public_key(block.text), encoding)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise DecodeError(f"public key could not be parsed: {_short(exc)}") from None
    try:
        return _public_info(serialization.load_der_public_key(data), "DER")
    except (ValueError, UnsupportedAlgorithm):
        raise DecodeError("not a public key: neither PEM nor a DER public key") from None


# --- private keys ------------------------------------------------------------------------


_ENCODING_BY_LABEL = {
    "RSA PRIVATE KEY": "PKCS#1",
    "EC PRIVATE KEY": "SEC1",
    "DSA PRIVATE KEY": "DSA",
    "PRIVATE KEY": "PKCS#8",
    "ENCRYPTED PRIVATE KEY": "PKCS#8",
    "OPENSSH PRIVATE KEY": "OpenSSH",
}


def decode_private_key(data: bytes) -> KeyInfo:
    """Summarise the first private key in PEM or DER; certificates beside it are ignored."""
    if not data.strip():
        raise DecodeError("empty file")
    if looks_like_pem(data):
        block = _blocks_of(data, PRIVATE_KEY_LABELS, "a private key")[0]
        encoding = _ENCODING_BY_LABEL[block.label]
        if block.encrypted:
            return KeyInfo(type="unknown", encoding=encoding, encrypted=True)
        key: object
        try:
            if block.label == "OPENSSH PRIVATE KEY":
                key = serialization.load_ssh_private_key(block.text, password=None)
            else:
                key = serialization.load_der_private_key(
                    block.der, password=None, unsafe_skip_rsa_key_validation=True
                )
        except TypeError:
            # cryptography says TypeError when a key needs a password it was not given
            return KeyInfo(type="unknown", encoding=encoding, encrypted=True)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise DecodeError(f"{block.label} could not be parsed: {_short(exc)}") from None
        return _key_info(key, encoding)
    der_key: object
    try:
        # Skipping RSA validation keeps a hostile 1 MiB modulus from costing minutes of
        # primality checks; only the public half is ever used.
        der_key = serialization.load_der_private_key(
            data, password=None, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        return KeyInfo(type="unknown", encoding="DER", encrypted=True)
    except (ValueError, UnsupportedAlgorithm):
        raise DecodeError("not a private key: neither PEM nor a DER private key") from None
    return _key_info(der_key, "DER")


def _key_info(key: object, encoding: str) -> KeyInfo:
    pub = key.public_key()  # type: ignore[attr-defined]
    kind, bits, curve = _public_summary(pub)
    return KeyInfo(kind, bits, curve, encoding, False, _spki_fingerprint(pub))


# --- certificates ------------------------------------------------------------------------


def decode_certificates(data: bytes) -> tuple[CertInfo, ...]:
    """Every certificate in PEM (one or a bundle) or a single DER certificate."""
    if not data.strip():
        raise DecodeError("empty file")
    if looks_like_pem(data):
        certs = _blocks_of(data, CERT_LABELS, "a certificate")
        out = []
        for i, block in enumerate(certs, 1):
            where = f"certificate {i} of {len(certs)}" if len(certs) > 1 else "certificate"
            try:
                cert = x509.load_der_x509_certificate(block.der)
            except ValueError as exc:
                raise DecodeError(f"{where} could not be parsed: {_short(exc)}") from None
            out.append(cert_info(cert))
        return tuple(out)
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        if data[:1] == b"\x30":
            raise DecodeError("DER certificate could not be parsed") from None
        raise DecodeError("not a certificate: neither PEM nor DER") from None
    return (replace(cert_info(cert), encoding="DER"),)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "ParseError" in text or "asn1" in text.lower():
        # the Rust parser's debug dump means nothing to an operator
        return "malformed DER (ASN.1) data"
    return text[:160]


def _name_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    out = []
    for attr in name.get_attributes_for_oid(oid):
        value = attr.value
        out.append(value if isinstance(value, str) else bytes(value).hex())
    return out


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unprintable name>"


def cert_info(cert: x509.Certificate) -> CertInfo:
    """Summarise a loaded certificate; a broken extension is recorded, not fatal."""
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        pub = cert.public_key()
        pk_type, pk_bits, curve = _public_summary(pub)
        pk_fp = _spki_fingerprint(pub)
    except (ValueError, UnsupportedAlgorithm):
        pk_type, pk_bits, curve, pk_fp = "unknown", 0, "", ""
    ext = _Extensions(cert)
    try:
        sig_alg = cert.signature_algorithm_oid._name
    except ValueError:
        sig_alg = "unknown"
    if not sig_alg or sig_alg == "Unknown OID":
        sig_alg = cert.signature_algorithm_oid.dotted_string
    return CertInfo(
        subject=_rfc4514(cert.subject),
        subject_cn=next(iter(_name_attr(cert.subject, NameOID.COMMON_NAME)), ""),
        subject_o=tuple(_name_attr(cert.subject, NameOID.ORGANIZATION_NAME)),
        issuer=_rfc4514(cert.issuer),
        issuer_cn=next(iter(_name_attr(cert.issuer, NameOID.COMMON_NAME)), ""),
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_sans=ext.dns,
        ip_sans=ext.ips,
        other_sans=ext.other,
        key_usage=ext.key_usage,
        key_usage_critical=ext.key_usage_critical,
        ext_key_usage=ext.eku,
        is_ca=ext.is_ca,
        path_len=ext.path_len,
        basic_constraints_present=ext.bc_present,
        basic_constraints_critical=ext.bc_critical,
        ski=ext.ski,
        aki=ext.aki,
        signature_algorithm=sig_alg,
        public_key_type=pk_type,
        public_key_bits=pk_bits,
        curve=curve,
        sha256_fingerprint=hex_colon(hashlib.sha256(der).digest()),
        sha1_fingerprint=hex_colon(hashlib.sha1(der).digest()),
        public_key_fingerprint=pk_fp,
        version=cert.version.value + 1,
        extension_error=ext.error,
        der=der,
    )


class _Extensions:
    """The extensions we show, read defensively: a bad one blanks itself, not the cert."""

    def __init__(self, cert: x509.Certificate) -> None:
        self.dns: tuple[str, ...] = ()
        self.ips: tuple[str, ...] = ()
        self.other: tuple[str, ...] = ()
        self.key_usage: tuple[str, ...] = ()
        self.key_usage_critical = False
        self.eku: tuple[str, ...] = ()
        self.is_ca = False
        self.path_len: int | None = None
        self.bc_present = False
        self.bc_critical = False
        self.ski = ""
        self.aki = ""
        self.error = ""
        try:
            exts = cert.extensions
        except ValueError as exc:
            self.error = f"extensions could not be parsed: {_short(exc)}"
            return
        for extension in exts:
            try:
                self._read(extension)
            except (ValueError, TypeError) as exc:
                self.error = f"extension {extension.oid.dotted_string}: {_short(exc)}"

    def _read(self, extension: x509.Extension[x509.ExtensionType]) -> None:
        value = extension.value
        if isinstance(value, x509.SubjectAlternativeName):
            self.dns = tuple(value.get_values_for_type(x509.DNSName))
            self.ips = tuple(str(ip) for ip in value.get_values_for_type(x509.IPAddress))
            other = [f"URI:{u}" for u in value.get_values_for_type(x509.UniformResourceIdentifier)]
            other += [f"email:{e}" for e in value.get_values_for_type(x509.RFC822Name)]
            other += [
                f"othername:{o.type_id.dotted_string}"
                for o in value
                if isinstance(o, x509.OtherName)
            ]
            dirnames = value.get_values_for_type(x509.DirectoryName)
            other += [f"dirname:{_rfc4514(d)}" for d in dirnames]
            self.other = tuple(other)
        elif isinstance(value, x509.KeyUsage):
            names = [n for attr, n in _KEY_USAGE_NAMES if getattr(value, attr)]
            if value.key_agreement:
                names += ["EncipherOnly"] if value.encipher_only else []
                names += ["DecipherOnly"] if value.decipher_only else []
            self.key_usage = tuple(names)
            self.key_usage_critical = extension.critical
        elif isinstance(value, x509.ExtendedKeyUsage):
            self.eku = tuple(_EKU_NAMES.get(oid, oid.dotted_string) for oid in value)
        elif isinstance(value, x509.BasicConstraints):
            self.is_ca, self.path_len = value.ca, value.path_length
            self.bc_present, self.bc_critical = True, extension.critical
        elif isinstance(value, x509.SubjectKeyIdentifier):
            self.ski = hex_colon(value.digest)
        elif isinstance(value, x509.AuthorityKeyIdentifier):
            self.aki = hex_colon(value.key_identifier)


def verify_signature(child: CertInfo, issuer: CertInfo) -> bool:
    """Whether `issuer`'s key signed `child`. Names are not compared; find_issuer does that."""
    try:
        cert = x509.load_der_x509_certificate(child.der)
        pub = x509.load_der_x509_certificate(issuer.der).public_key()
        params = cert.signature_algorithm_parameters
        if isinstance(pub, rsa.RSAPublicKey):
            if not isinstance(params, padding.PSS | padding.PKCS1v15):
                return False
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            pub.verify(cert.signature, cert.tbs_certificate_bytes, params, hash_alg)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                return False
            pub.verify(cert.signature, cert.tbs_certificate_bytes, params)
        elif isinstance(pub, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def find_issuer(cert: CertInfo, candidates: Iterable[CertInfo]) -> CertInfo | None:
    """The candidate that issued `cert`: by key id first, then by name; a signature that
    verifies breaks ties. A self-signed cert finds itself when it is among the candidates."""
    pool = list(candidates)
    by_kid = [c for c in pool if cert.aki and c.ski == cert.aki]
    by_name = [c for c in pool if c.subject == cert.issuer]
    for group in (by_kid, by_name):
        if not group:
            continue
        for c in group:
            if verify_signature(cert, c):
                return c
        return group[0]
    return None


# --- certificate requests ----------------------------------------------------------------


def decode_csr(data: bytes) -> CsrInfo:
    if not data.strip():
        raise DecodeError("empty file")
    try:
        if looks_like_pem(data):
            block = _blocks_of(data, CSR_LABELS, "a certificate request")[0]
            csr = x509.load_der_x509_csr(block.der)
        else:
            csr = x509.load_der_x509_csr(data)
        pub = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"certificate request could not be parsed: {_short(exc)}") from None
    kind, bits, _ = _public_summary(pub)
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(i) for i in san.get_values_for_type(x509.IPAddress))
    except (x509.ExtensionNotFound, ValueError):
        pass
    return CsrInfo(
        subject=_rfc4514(csr.subject),
        subject_cn=next(iter(_name_attr(csr.subject, NameOID.COMMON_NAME)), ""),
        subject_o=tuple(_name_attr(csr.subject, NameOID.ORGANIZATION_NAME)),
        dns_sans=dns,
        ip_sans=ips,
        public_key_type=kind,
        public_key_bits=bits,
        public_key_fingerprint=_spki_fingerprint(pub),
        signature_valid=csr.is_signature_valid,
    )
