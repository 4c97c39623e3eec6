"""Builders for the files the reading layer must survive: valid, unusual, broken, hostile.

Keys are EC where the type does not matter (fast); RSA keys are 1024-bit and cached.
`hostile_tree(root)` lays out one folder of everything and returns what the scan must
say about each path.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kexplore.core.model import Kind

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
Enc = serialization.Encoding
Fmt = serialization.PrivateFormat


@cache
def rsa_key(n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@cache
def ec_key(n: int = 0, curve: str = "P-256") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1() if curve == "P-384" else ec.SECP256R1())


@cache
def ed_key(n: int = 0) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def make_cert(
    cn: str,
    key: Any,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: Any = None,
    o: tuple[str, ...] = (),
    ca: bool = False,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    eku: tuple[x509.ObjectIdentifier, ...] = (),
    not_before: datetime = NOW - timedelta(days=1),
    days: int = 365,
    ski: bool | None = None,
    aki: bool = True,
    issuer_name: x509.Name | None = None,
) -> x509.Certificate:
    import ipaddress

    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in o]
    subject = x509.Name(attrs)
    signer = issuer_key if issuer_key is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or (issuer.subject if issuer else subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=not ca,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if dns or ips:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ski if ski is not None else ca:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if issuer is not None and aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signer, algorithm)


def cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Enc.PEM) for c in certs)


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Enc.DER)


def key_pem(key: Any, fmt: str = "traditional", password: bytes | None = None) -> bytes:
    """fmt: traditional (PKCS#1 for RSA, SEC1 for EC), pkcs8, openssh."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption()
    )
    form = {"traditional": Fmt.TraditionalOpenSSL, "pkcs8": Fmt.PKCS8,
            "openssh": Fmt.OpenSSH}[fmt]
    return key.private_bytes(Enc.PEM, form, enc)


def key_der(key: Any) -> bytes:
    return key.private_bytes(Enc.DER, Fmt.PKCS8, serialization.NoEncryption())


def pub_pem(key: Any, pkcs1: bool = False) -> bytes:
    form = serialization.PublicFormat.PKCS1 if pkcs1 else (
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(Enc.PEM, form)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Pki:
    ca: x509.Certificate
    ca_key: Any
    leaf: x509.Certificate
    leaf_key: Any


@cache
def small_pki() -> Pki:
    ca_key, leaf_key = ec_key(1), ec_key(2)
    ca = make_cert("kubernetes", ca_key, ca=True, dns=("kubernetes",))
    leaf = make_cert(
        "kubernetes-admin", leaf_key, issuer=ca, issuer_key=ca_key,
        o=("kubeadm:cluster-admins",), eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    return Pki(ca, ca_key, leaf, leaf_key)


def kubeconfig(
    *,
    ca_data: str | None = None,
    cert_data: str | None = None,
    key_data: str | None = None,
    user: dict[str, Any] | None = None,
    cluster: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    current: str = "kubernetes-admin@kubernetes",
) -> bytes:
    """A kubeadm-shaped kubeconfig; by default embedded CA, cert and key from small_pki."""
    p = small_pki()
    user_body = user if user is not None else {
        "client-certificate-data": cert_data if cert_data is not None else b64(cert_pem(p.leaf)),
        "client-key-data": key_data if key_data is not None else b64(key_pem(p.leaf_key)),
    }
    cluster_body = cluster if cluster is not None else {
        "certificate-authority-data": ca_data if ca_data is not None else b64(cert_pem(p.ca)),
        "server": "https://192.168.1.10:6443",
    }
    doc = {
        "apiVersion": "v1",
        "clusters": [{"cluster": cluster_body, "name": "kubernetes"}],
        "contexts": [{
            "context": context or {"cluster": "kubernetes", "user": "kubernetes-admin"},
            "name": "kubernetes-admin@kubernetes",
        }],
        "current-context": current,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": "kubernetes-admin", "user": user_body}],
    }
    return yaml.safe_dump(doc, sort_keys=False).encode()


def pod(containers: Any = None, **spec: Any) -> bytes:
    """A kube-scheduler-shaped static Pod; override any spec field, containers included."""
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {"component": "kube-scheduler", "tier": "control-plane"},
                     "name": "kube-scheduler", "namespace": "kube-system"},
        "spec": {
            "containers": containers if containers is not None else [{
                "command": ["kube-scheduler", "--authentication-kubeconfig="
                            "/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
                            "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"],
                "image": "registry.k8s.io/kube-scheduler:v1.35.0",
                "name": "kube-scheduler",
                "volumeMounts": [{"mountPath": "/etc/kubernetes/scheduler.conf",
                                  "name": "kubeconfig", "readOnly": True}],
            }],
            "hostNetwork": True,
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "volumes": [{"hostPath": {"path": "/etc/kubernetes/scheduler.conf",
                                      "type": "FileOrCreate"}, "name": "kubeconfig"}],
            **spec,
        },
    }
    return yaml.safe_dump(doc, sort_keys=False).encode()


ALIAS_BOMB = b"""a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
kind: Pod
"""


@dataclass(frozen=True)
class Expect:
    """What the scan must say about one path: its kind, and an error fragment or none."""

    kind: Kind
    error: str | None = None  # None: no error; "": any error; else a fragment of it


def truncated(pem: bytes) -> bytes:
    return pem[: len(pem) // 2]


def garbage_base64(pem: bytes) -> bytes:
    lines = pem.splitlines(keepends=True)
    lines[2] = b"!!!! this is not base64 ????\n"
    return b"".join(lines)


def hostile_tree(root: Path) -> dict[str, Expect]:
    """Write the bad-input corpus under root (which must exist) and return expectations."""
    p = small_pki()
    rsa_cert = make_cert("rsa", rsa_key(), dns=("rsa.example",))
    ed_cert = make_cert("ed", ed_key())
    files: dict[str, tuple[bytes, Expect]] = {
        # valid, in every shape
        "pki/ca.crt": (cert_pem(p.ca), Expect(Kind.CERTIFICATE)),
        "pki/ca.key": (key_pem(p.ca_key), Expect(Kind.PRIVATE_KEY)),
        "pki/rsa.crt": (cert_pem(rsa_cert), Expect(Kind.CERTIFICATE)),
        "pki/ed.crt": (cert_pem(ed_cert), Expect(Kind.CERTIFICATE)),
        "pki/der.crt": (cert_der(p.leaf), Expect(Kind.CERTIFICATE)),
        "pki/der-unnamed": (cert_der(p.leaf), Expect(Kind.CERTIFICATE)),
        "pki/bundle.pem": (cert_pem(p.leaf, p.ca), Expect(Kind.CERTIFICATE)),
        "pki/rsa-pkcs1.key": (key_pem(rsa_key()), Expect(Kind.PRIVATE_KEY)),
        "pki/rsa-pkcs8.key": (key_pem(rsa_key(), "pkcs8"), Expect(Kind.PRIVATE_KEY)),
        "pki/ec-sec1.key": (key_pem(ec_key()), Expect(Kind.PRIVATE_KEY)),
        "pki/ec-pkcs8.key": (key_pem(ec_key(), "pkcs8"), Expect(Kind.PRIVATE_KEY)),
        "pki/ed.key": (key_pem(ed_key(), "pkcs8"), Expect(Kind.PRIVATE_KEY)),
        "pki/openssh.key": (key_pem(ec_key(), "openssh"), Expect(Kind.PRIVATE_KEY)),
        "pki/der.key": (key_der(ec_key()), Expect(Kind.PRIVATE_KEY)),
        "pki/encrypted-pkcs8.key": (key_pem(ec_key(), "pkcs8", b"pw"), Expect(Kind.PRIVATE_KEY)),
        "pki/encrypted-legacy.key": (key_pem(rsa_key(), "traditional", b"pw"),
                                     Expect(Kind.PRIVATE_KEY)),
        "pki/sa.pub": (pub_pem(rsa_key()), Expect(Kind.PUBLIC_KEY)),
        "pki/rsa-pkcs1.pub": (pub_pem(rsa_key(), pkcs1=True), Expect(Kind.PUBLIC_KEY)),
        "combined.pem": (cert_pem(p.leaf) + key_pem(p.leaf_key), Expect(Kind.CERTIFICATE)),
        # broken PEM and DER
        "pki/truncated.crt": (truncated(cert_pem(p.ca)), Expect(Kind.CERTIFICATE, "truncated PEM")),
        "pki/garbage-b64.crt": (garbage_base64(cert_pem(p.ca)),
                                Expect(Kind.CERTIFICATE, "invalid base64")),
        "pki/garbage-der.crt": (b"\x30\x82\x01\x00" + os.urandom(64),
                                Expect(Kind.CERTIFICATE, "DER certificate could not be parsed")),
        "pki/bad-body.crt": (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                             Expect(Kind.CERTIFICATE, "could not be parsed")),
        "pki/truncated.key": (truncated(key_pem(ec_key())), Expect(Kind.PRIVATE_KEY, "truncated")),
        "pki/empty.crt": (b"", Expect(Kind.CERTIFICATE, "empty file")),
        "pki/zeros.key": (b"\x00" * 4096, Expect(Kind.PRIVATE_KEY, "not a private key")),
        "pki/empty-unnamed": (b"", Expect(Kind.OTHER)),
        # the wrong kind under a familiar name
        "pki/apiserver.crt": (key_pem(ec_key()),
                              Expect(Kind.CERTIFICATE, "not a certificate: the file holds a "
                                     "private key")),
        "pki/apiserver.key": (cert_pem(p.leaf), Expect(Kind.PRIVATE_KEY, "holds a certificate")),
        "pki/sa-cert.pub": (cert_pem(p.ca), Expect(Kind.PUBLIC_KEY, "not a public key")),
        "admin.conf": (cert_pem(p.ca), Expect(Kind.KUBECONFIG, "not a kubeconfig")),
        "manifests/kube-apiserver.yaml": (b"", Expect(Kind.MANIFEST, "empty file")),
        # YAML: invalid, hostile, the wrong shape
        "manifests/invalid.yaml": (b"kind: Pod\nspec: [unclosed\n",
                                   Expect(Kind.MANIFEST, "invalid YAML")),
        "manifests/bomb.yaml": (ALIAS_BOMB, Expect(Kind.MANIFEST, "alias")),
        "manifests/recursive.yaml": (b"&a [*a]\n", Expect(Kind.MANIFEST, "itself")),
        "manifests/list.yaml": (b"- a\n- b\n", Expect(Kind.MANIFEST, "is a list")),
        "manifests/scalar.yaml": (b"just a string\n", Expect(Kind.MANIFEST, "is a string")),
        "manifests/containers-int.yaml": (pod(containers=3),
                                          Expect(Kind.MANIFEST, "spec.containers is a number")),
        "manifests/containers-str.yaml": (pod(containers="x"),
                                          Expect(Kind.MANIFEST, "spec.containers is a string")),
        "manifests/no-spec.yaml": (b"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
                                   Expect(Kind.MANIFEST, "spec is missing")),
        "manifests/deployment.yaml": (b"apiVersion: apps/v1\nkind: Deployment\n",
                                      Expect(Kind.MANIFEST, "not a Pod")),
        "manifests/latin1.yaml": (b"kind: Pod\nname: caf\xe9\n", Expect(Kind.MANIFEST, "UTF-8")),
        "manifests/two-docs.yaml": (pod() + b"---\n" + pod(),  # the kubelet reads the first
                                    Expect(Kind.MANIFEST)),
        "manifests/kube-scheduler.yaml": (pod(), Expect(Kind.MANIFEST)),
        "manifests/kube-scheduler.yaml.bak": (pod(), Expect(Kind.MANIFEST)),
        "manifests/.hidden.swp": (b"\x00\x01binary", Expect(Kind.OTHER)),
        "tmp/kubeadm-backup-manifests-2025-01-15-10-00-00/kube-scheduler.yaml": (
            pod(), Expect(Kind.MANIFEST)),
        "stray-bomb.yaml": (ALIAS_BOMB, Expect(Kind.OTHER, "alias")),
        "notes.txt": (b"hello: [\n", Expect(Kind.OTHER)),
        "binary.bin": (os.urandom(256), Expect(Kind.OTHER)),
        # kubeconfigs, broken and fine
        "scheduler.conf": (kubeconfig(), Expect(Kind.KUBECONFIG)),
        "bad-b64.conf": (kubeconfig(cert_data="%%%not base64%%%"), Expect(Kind.KUBECONFIG)),
        "dangling.conf": (kubeconfig(context={"cluster": "nope", "user": "nobody"},
                                     current="missing"), Expect(Kind.KUBECONFIG)),
        "kubelet.json": (
            b'{\n\t"kind": "Config",\n\t"clusters": [],\n\t"users": [],\n\t"contexts": []\n}\n',
            Expect(Kind.KUBECONFIG)),
        "list.conf": (b"- 1\n- 2\n", Expect(Kind.KUBECONFIG, "not a kubeconfig")),
        # odd names
        "odd/[x].yaml": (pod(), Expect(Kind.OTHER)),
        "odd/new\nline.crt": (cert_pem(p.ca), Expect(Kind.CERTIFICATE)),
        "odd/sp ace.key": (key_pem(ec_key()), Expect(Kind.PRIVATE_KEY)),
    }
    # [x].yaml outside manifests/ is sniffed: a Pod is a manifest wherever it sits
    files["odd/[x].yaml"] = (pod(), Expect(Kind.MANIFEST))
    expected: dict[str, Expect] = {}
    for rel, (data, expect) in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        expected[rel] = expect

    # a name that is not UTF-8
    raw_dir = os.fsencode(root / "odd")
    raw_name = b"caf\xe9-\xff.crt"
    with open(os.path.join(raw_dir, raw_name), "wb") as fh:
        fh.write(cert_pem(p.ca))
    expected["odd/" + os.fsdecode(raw_name)] = Expect(Kind.CERTIFICATE)

    # special files and symlinks of every kind
    special = root / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.crt")
    expected["special/fifo.crt"] = Expect(Kind.SPECIAL, "FIFO")
    with open(special / "sparse.crt", "wb") as fh:
        fh.truncate(2 << 30)
    expected["special/sparse.crt"] = Expect(Kind.CERTIFICATE, "larger than 1 MiB")
    links = {
        "zero.crt": ("/dev/zero", "outside the root"),
        "loop-a.crt": ("loop-b.crt", "loop"),
        "loop-b.crt": ("loop-a.crt", "loop"),
        "self.crt": ("self.crt", "loop"),
        "outside.key": ("/etc/passwd", "outside the root"),
        "escape.key": ("../../../../../../etc/shadow", "outside the root"),
        "dangling.crt": ("does-not-exist.crt", "dangling"),
        "to-fifo.crt": ("fifo.crt", "FIFO"),
        "ca.crt": ("../pki/ca.crt", None),
        "pki-dir": ("../pki", None),
        "root-dir": ("..", None),
        "outside-dir": ("/", "outside the root"),
    }
    for name, (target, error) in links.items():
        os.symlink(target, special / name)
        expected[f"special/{name}"] = Expect(Kind.SYMLINK, error)
    # a link to a file inside the root reads as that file
    expected["special/ca.crt"] = Expect(Kind.CERTIFICATE)
    return expected
