"""Certificates, keys, public keys and CSRs: decoded right, broken ones named plainly."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kexplore.core import pki
from kexplore.core.pki import DecodeError
from kexplore.core.read import crypto


def _colon(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in data)


def test_leaf_certificate_fields() -> None:
    p = c.small_pki()
    key = c.ec_key(3)
    cert = c.make_cert(
        "kube-apiserver", key, issuer=p.ca, issuer_key=p.ca_key,
        dns=("cp-1", "kubernetes"), ips=("10.96.0.1", "0:0:0:0:0:0:0:1"),
        eku=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    )
    (info,) = crypto.decode_certificates(c.cert_pem(cert))
    assert info.subject_cn == "kube-apiserver"
    assert info.subject == "CN=kube-apiserver"
    assert info.issuer_cn == "kubernetes"
    assert info.dns_sans == ("cp-1", "kubernetes")
    assert info.ip_sans == ("10.96.0.1", "::1")
    assert info.ext_key_usage == ("ServerAuth", "ClientAuth")
    assert info.key_usage == ("DigitalSignature", "KeyEncipherment")
    assert info.key_usage_critical
    assert not info.is_ca and info.basic_constraints_present and info.basic_constraints_critical
    assert info.aki and info.aki == crypto.decode_certificates(c.cert_pem(p.ca))[0].ski
    assert info.signature_algorithm == "ecdsa-with-SHA256"
    assert (info.public_key_type, info.public_key_bits, info.curve) == ("ECDSA", 256, "P-256")
    assert info.sha256_fingerprint == _colon(cert.fingerprint(hashes.SHA256()))
    assert info.sha1_fingerprint == _colon(cert.fingerprint(hashes.SHA1()))
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    assert info.public_key_fingerprint == _colon(hashlib.sha256(spki).digest())
    assert info.serial == cert.serial_number
    assert info.not_after.tzinfo is not None
    assert info.not_after - info.not_before == timedelta(days=365)
    assert info.time_left(c.NOW) == info.not_after - c.NOW
    assert not info.is_expired(c.NOW) and info.is_expired(c.NOW + timedelta(days=400))
    assert info.is_not_yet_valid(c.NOW - timedelta(days=2))


def test_ca_rsa_ed25519_and_organisations() -> None:
    p = c.small_pki()
    (ca,) = crypto.decode_certificates(c.cert_pem(p.ca))
    assert ca.is_ca and ca.path_len is None and "CertSign" in ca.key_usage
    assert ca.self_issued and ca.dns_sans == ("kubernetes",)
    (leaf,) = crypto.decode_certificates(c.cert_pem(p.leaf))
    assert leaf.subject_o == ("kubeadm:cluster-admins",)
    (r,) = crypto.decode_certificates(c.cert_pem(c.make_cert("r", c.rsa_key())))
    assert (r.public_key_type, r.public_key_bits, r.signature_algorithm) == (
        "RSA", 1024, "sha256WithRSAEncryption")
    (e,) = crypto.decode_certificates(c.cert_pem(c.make_cert("e", c.ed_key())))
    assert e.public_key_type == "Ed25519"


def test_der_bundle_and_pem_roundtrip() -> None:
    p = c.small_pki()
    (der,) = crypto.decode_certificates(c.cert_der(p.leaf))
    assert der.subject_cn == "kubernetes-admin"
    bundle = crypto.decode_certificates(c.cert_pem(p.leaf, p.ca))
    assert [b.subject_cn for b in bundle] == ["kubernetes-admin", "kubernetes"]
    assert crypto.decode_certificates(der.pem().encode()) == (der,)
    assert x509.load_pem_x509_certificate(der.pem().encode()) == p.leaf


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (c.truncated(c.cert_pem(c.small_pki().ca)), "truncated PEM: no END CERTIFICATE line"),
        (c.garbage_base64(c.cert_pem(c.small_pki().ca)), "invalid base64"),
        (b"\x30\x82\x00\x10" + b"\x00" * 16, "DER certificate could not be parsed"),
        (b"hello world", "not a certificate"),
        (c.key_pem(c.ec_key()), "not a certificate: the file holds a private key"),
        (c.pub_pem(c.ec_key()), "not a certificate: the file holds a public key"),
        (b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "is empty"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "could not be parsed"),
        (b"-----BEGIN cert-----\nAAAA\n", "malformed PEM"),
    ],
    ids=lambda v: v if isinstance(v, str) else "data",  # the keys are new each run
)
def test_broken_certificates_say_why(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        crypto.decode_certificates(data)


def test_bundle_names_the_broken_member() -> None:
    good = c.cert_pem(c.small_pki().ca)
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(DecodeError, match="certificate 2 of 2"):
        crypto.decode_certificates(good + bad)


@pytest.mark.parametrize(
    ("make", "kind", "encoding"),
    [
        (lambda: c.key_pem(c.rsa_key()), "RSA", "PKCS#1"),
        (lambda: c.key_pem(c.rsa_key(), "pkcs8"), "RSA", "PKCS#8"),
        (lambda: c.key_pem(c.ec_key()), "ECDSA", "SEC1"),
        (lambda: c.key_pem(c.ec_key(0, "P-384"), "pkcs8"), "ECDSA", "PKCS#8"),
        (lambda: c.key_pem(c.ed_key(), "pkcs8"), "Ed25519", "PKCS#8"),
        (lambda: c.key_pem(c.ec_key(), "openssh"), "ECDSA", "OpenSSH"),
        (lambda: c.key_der(c.ec_key()), "ECDSA", "DER"),
        # `openssl ecparam -genkey` writes an EC PARAMETERS block first
        (lambda: b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
         + c.key_pem(c.ec_key()), "ECDSA", "SEC1"),
    ],
)
def test_private_keys_of_every_type_and_encoding(make, kind: str, encoding: str) -> None:
    info = crypto.decode_private_key(make())
    assert (info.type, info.encoding, info.encrypted) == (kind, encoding, False)
    assert len(info.public_key_fingerprint) == 32 * 3 - 1


def test_private_key_sizes_and_fingerprint_match() -> None:
    rsa = crypto.decode_private_key(c.key_pem(c.rsa_key()))
    assert rsa.bits == 1024 and rsa.describe() == "RSA 1024 bits (PKCS#1)"
    p384 = crypto.decode_private_key(c.key_pem(c.ec_key(0, "P-384")))
    assert p384.curve == "P-384"
    cert = crypto.decode_certificates(c.cert_pem(c.small_pki().leaf))[0]
    assert pki.key_matches(crypto.decode_private_key(c.key_pem(c.small_pki().leaf_key)), cert)
    assert not pki.key_matches(crypto.decode_private_key(c.key_pem(c.ec_key(9))), cert)


@pytest.mark.parametrize("fmt", ["pkcs8", "traditional"])
def test_encrypted_keys_are_recognised_not_opened(fmt: str) -> None:
    info = crypto.decode_private_key(c.key_pem(c.rsa_key(), fmt, b"secret"))
    assert info.encrypted and info.public_key_fingerprint == ""
    assert not pki.key_matches(info, crypto.decode_certificates(c.cert_pem(c.small_pki().ca))[0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (c.cert_pem(c.small_pki().ca), "not a private key: the file holds a certificate"),
        (c.truncated(c.key_pem(c.ec_key())), "truncated PEM: no END EC PRIVATE KEY line"),
        (b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
         "could not be parsed"),
        (b"\x00" * 100, "not a private key"),
    ],
    ids=lambda v: v if isinstance(v, str) else "data",  # the keys are new each run
)
def test_broken_private_keys_say_why(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        crypto.decode_private_key(data)


def test_key_info_holds_no_key_material() -> None:
    key = c.rsa_key()
    pem = c.key_pem(key)
    info = crypto.decode_private_key(pem)
    text = repr(info) + str(info)
    body = b"".join(pem.splitlines()[1:-1]).decode()
    assert "PRIVATE" not in text and body[:40] not in text
    assert all(not isinstance(v, bytes) for v in vars(info).values())
    assert str(key.private_numbers().d) not in text


def test_public_keys() -> None:
    key = c.rsa_key()
    spki = crypto.decode_public_key(c.pub_pem(key))
    pkcs1 = crypto.decode_public_key(c.pub_pem(key, pkcs1=True))
    assert (spki.type, spki.bits, spki.encoding) == ("RSA", 1024, "PKIX")
    assert pkcs1.encoding == "PKCS#1" and pkcs1.fingerprint == spki.fingerprint
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    assert crypto.decode_public_key(der).fingerprint == spki.fingerprint
    ssh = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                        serialization.PublicFormat.OpenSSH)
    assert crypto.decode_public_key(ssh).fingerprint == spki.fingerprint
    assert pki.public_key_matches(crypto.decode_private_key(c.key_pem(key)), spki)
    assert not pki.public_key_matches(crypto.decode_private_key(c.key_pem(c.ec_key())), spki)
    with pytest.raises(DecodeError, match="not a public key: the file holds a certificate"):
        crypto.decode_public_key(c.cert_pem(c.small_pki().ca))


def test_signature_and_issuer() -> None:
    p = c.small_pki()
    ca = crypto.decode_certificates(c.cert_pem(p.ca))[0]
    leaf = crypto.decode_certificates(c.cert_pem(p.leaf))[0]
    assert crypto.verify_signature(leaf, ca)
    assert crypto.verify_signature(ca, ca)
    assert not crypto.verify_signature(ca, leaf)
    # an impostor CA with the same name but another key: found by name, loses on signature
    impostor_cert = c.make_cert("kubernetes", c.ec_key(7), ca=True)
    impostor = crypto.decode_certificates(c.cert_pem(impostor_cert))[0]
    assert crypto.find_issuer(leaf, [impostor, ca, leaf]) == ca
    assert crypto.find_issuer(ca, [leaf, ca]) == ca
    # no AKI: falls back to the issuer name
    no_aki = c.make_cert("x", c.ec_key(8), issuer=p.ca, issuer_key=p.ca_key, aki=False)
    info = crypto.decode_certificates(c.cert_pem(no_aki))[0]
    assert info.aki == "" and crypto.find_issuer(info, [ca]) == ca
    assert crypto.find_issuer(info, [leaf]) is None
    # RSA and Ed25519 signatures verify too
    rsa_ca = c.make_cert("rsa-ca", c.rsa_key(), ca=True)
    rsa_leaf = c.make_cert("l", c.ec_key(4), issuer=rsa_ca, issuer_key=c.rsa_key())
    assert crypto.verify_signature(*(crypto.decode_certificates(c.cert_pem(x))[0]
                                  for x in (rsa_leaf, rsa_ca)))
    ed_ca = c.make_cert("ed-ca", c.ed_key(), ca=True)
    ed_leaf = c.make_cert("l", c.ec_key(5), issuer=ed_ca, issuer_key=c.ed_key())
    assert crypto.verify_signature(*(crypto.decode_certificates(c.cert_pem(x))[0]
                                  for x in (ed_leaf, ed_ca)))


def test_csr() -> None:
    key = c.ec_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "system:node:cp-1"),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes")]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("cp-1")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    info = crypto.decode_csr(csr.public_bytes(serialization.Encoding.PEM))
    assert (info.subject_cn, info.subject_o, info.dns_sans) == (
        "system:node:cp-1", ("system:nodes",), ("cp-1",))
    assert info.signature_valid and info.public_key_type == "ECDSA"
    assert crypto.decode_csr(csr.public_bytes(serialization.Encoding.DER)) == info
    with pytest.raises(DecodeError, match="not a certificate request"):
        crypto.decode_csr(c.key_pem(key))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (150, "2m30s"),
        (600, "10m"), (179 * 60, "179m"), (3 * 3600, "3h"), (3 * 3600 + 60 * 5, "3h5m"),
        (8 * 3600, "8h"), (47 * 3600, "47h"), (71 * 3600 + 59 * 60, "2d23h"),
        (72 * 3600, "3d"), (364 * 86400 + 3600, "364d"), (729 * 86400, "729d"),
        (4 * 365 * 86400 + 364 * 86400, "4y364d"), (5 * 365 * 86400, "5y"),
        (3649 * 86400, "9y"),
    ],
)
def test_residual_time_is_kubeadm_human_duration(seconds: int, text: str) -> None:
    assert pki.residual_time(seconds) == text
