"""An independent description of a tree on disk, decoded with cryptography and yaml only.

Generator tests compare two descriptions to prove a planted fault changed exactly what it
names; they do not lean on kexplore's own decoders.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, NameOID


def public_der(key: Any) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def cert_shape(cert: x509.Certificate) -> dict[str, Any]:
    exts = {e.oid: e.value for e in cert.extensions}
    san = exts.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    eku = exts.get(ExtensionOID.EXTENDED_KEY_USAGE)
    bc = exts.get(ExtensionOID.BASIC_CONSTRAINTS)
    key = cert.public_key()
    return {
        "cn": [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)],
        "o": [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)],
        "issuer": cert.issuer.rfc4514_string(),
        "sans": [str(v) for v in san] if san else [],
        "eku": sorted(o.dotted_string for o in eku) if eku else [],
        "ca": bool(bc and bc.ca),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "key": (type(key).__name__, getattr(key, "key_size", None)),
    }


def file_shape(path: Path, rel: str) -> Any:
    data = path.read_bytes()
    mode = path.stat().st_mode & 0o777
    if rel.endswith(".crt"):
        try:
            return {"mode": mode, "cert": cert_shape(x509.load_pem_x509_certificate(data))}
        except ValueError:
            return {"mode": mode, "unreadable": True}
    if rel.endswith((".key", ".pub")):
        return {"mode": mode, "kind": data.split(b"\n", 1)[0].decode()}
    if rel.endswith((".conf", ".yaml", ".yaml.bak", ".yaml.orig")):
        doc = next(yaml.safe_load_all(data))  # the kubelet reads the first document only
        if rel.endswith(".conf"):
            for cluster in doc["clusters"]:
                ca = cluster["cluster"].pop("certificate-authority-data", None)
                if ca:
                    cluster["cluster"]["ca"] = cert_shape(
                        x509.load_pem_x509_certificate(base64.b64decode(ca))
                    )
            for user in doc["users"]:
                data_ = user["user"].pop("client-certificate-data", None)
                user["user"].pop("client-key-data", None)
                if data_:
                    user["user"]["cert"] = cert_shape(
                        x509.load_pem_x509_certificate(base64.b64decode(data_))
                    )
        if rel.endswith(".conf"):
            return {"mode": mode, "doc": doc}
        # a manifest holds nothing random: its bytes show what no parsed value can (a key
        # given twice, the documents the kubelet never reads)
        documents = sum(1 for _ in yaml.safe_load_all(data))
        return {"mode": mode, "doc": doc, "documents": documents, "raw": data}
    return {"mode": mode, "size": len(data)}


CA_FILES = ("pki/ca.crt", "pki/front-proxy-ca.crt", "pki/etcd/ca.crt")


def signed_by(cert_der: bytes, root: Path) -> str | None:
    """Which of the tree's CA files verifies this certificate's signature."""
    cert = x509.load_der_x509_certificate(cert_der)
    for ca_file in CA_FILES:
        try:
            ca = x509.load_pem_x509_certificate((root / ca_file).read_bytes())
            cert.verify_directly_issued_by(ca)
        except (OSError, ValueError, TypeError, InvalidSignature):
            continue
        return ca_file
    return None


def describe(root: Path) -> dict[str, Any]:
    """Every file under root, described without its random parts (keys, serials)."""
    shapes: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            shapes[rel] = {"dir": True, "mode": path.stat().st_mode & 0o7777}
            continue
        shape = file_shape(path, rel)
        if rel.endswith(".crt") and "cert" in shape:
            der = x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
            shape["signed_by"] = signed_by(der, root)
        if rel.endswith(".key"):
            partner = root / (rel[:-4] + (".pub" if rel == "pki/sa.key" else ".crt"))
            shape["matches"] = _matches(path, partner)
        if rel.endswith(".conf"):
            shape["client_signed_by"] = _kubeconfig_signer(path, root)
            shape["ca_is_tree_ca"] = _embedded_ca(path) == (root / "pki/ca.crt").read_bytes()
        shapes[rel] = shape
    return shapes


def _matches(key_path: Path, partner: Path) -> bool | None:
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        data = partner.read_bytes()
        if partner.suffix == ".pub":
            other = serialization.load_pem_public_key(data)
        else:
            other = x509.load_pem_x509_certificate(data).public_key()
    except (OSError, ValueError):
        return None
    return public_der(key.public_key()) == public_der(other)


def _embedded_ca(path: Path) -> bytes:
    doc = yaml.safe_load(path.read_bytes())
    return base64.b64decode(doc["clusters"][0]["cluster"].get("certificate-authority-data", ""))


def _kubeconfig_signer(path: Path, root: Path) -> str | None:
    doc = yaml.safe_load(path.read_bytes())
    data = doc["users"][0]["user"].get("client-certificate-data")
    if not data:
        return None
    cert = x509.load_pem_x509_certificate(base64.b64decode(data))
    return signed_by(cert.public_bytes(serialization.Encoding.DER), root)


def key_matches_cert(key_path: Path, cert_path: Path) -> bool:
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return public_der(key.public_key()) == public_der(cert.public_key())
