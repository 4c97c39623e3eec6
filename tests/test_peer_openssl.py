"""`openssl` accepts the generated tree: every cert verifies against the CA kubeadm signs it
with (and for the purpose and names it is used for), every key matches its cert, and every
kubeconfig's embedded client cert verifies against its embedded CA. Wrong CAs are refused."""

from __future__ import annotations

from pathlib import Path

import peers  # tests/ is on sys.path (not a package), as for conftest and treeshape
import pytest

pytestmark = pytest.mark.peer

# cert (relative to pki/) -> (its CA, the purposes it must pass, names it must be valid for)
PKI_CERTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ca.crt": ("ca.crt", (), ()),
    "apiserver.crt": (
        "ca.crt",
        ("sslserver",),
        (
            f"ip:{peers.ADVERTISE_ADDRESS}",
            "ip:10.96.0.1",
            f"dns:{peers.NODE_NAME}",
            "dns:kubernetes",
            "dns:kubernetes.default",
            "dns:kubernetes.default.svc",
            "dns:kubernetes.default.svc.cluster.local",
        ),
    ),
    "apiserver-kubelet-client.crt": ("ca.crt", ("sslclient",), ()),
    "apiserver-etcd-client.crt": ("etcd/ca.crt", ("sslclient",), ()),
    "front-proxy-ca.crt": ("front-proxy-ca.crt", (), ()),
    "front-proxy-client.crt": ("front-proxy-ca.crt", ("sslclient",), ()),
    "etcd/ca.crt": ("etcd/ca.crt", (), ()),
    "etcd/server.crt": (
        "etcd/ca.crt",
        ("sslserver", "sslclient"),
        ("ip:127.0.0.1", "ip:::1", "dns:localhost", f"dns:{peers.NODE_NAME}",
         f"ip:{peers.ADVERTISE_ADDRESS}"),
    ),
    "etcd/peer.crt": (
        "etcd/ca.crt",
        ("sslserver", "sslclient"),
        ("ip:127.0.0.1", "ip:::1", "dns:localhost", f"dns:{peers.NODE_NAME}",
         f"ip:{peers.ADVERTISE_ADDRESS}"),
    ),
    "etcd/healthcheck-client.crt": ("etcd/ca.crt", ("sslclient",), ()),
}

# (cert, a CA that did NOT sign it)
WRONG_CA: list[tuple[str, str]] = [
    ("apiserver.crt", "front-proxy-ca.crt"),
    ("apiserver.crt", "etcd/ca.crt"),
    ("apiserver-kubelet-client.crt", "etcd/ca.crt"),
    ("apiserver-etcd-client.crt", "ca.crt"),
    ("front-proxy-client.crt", "ca.crt"),
    ("etcd/server.crt", "ca.crt"),
    ("etcd/healthcheck-client.crt", "front-proxy-ca.crt"),
]


@pytest.fixture(scope="session")
def openssl() -> str:
    return peers.require_binary("openssl")


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return peers.generated_tree(tmp_path_factory)


def verify(
    openssl: str,
    ca: Path,
    cert: Path,
    purpose: str | None = None,
    name: str | None = None,
) -> tuple[bool, str]:
    """`openssl verify` of `cert` against `ca` alone (no system trust store), strictly."""
    argv: list[str | Path] = [openssl, "verify", "-x509_strict", "-no-CApath", "-no-CAstore"]
    argv += ["-CAfile", ca]
    if purpose:
        argv += ["-purpose", purpose]
    if name:
        kind, _, value = name.partition(":")
        argv += ["-verify_ip" if kind == "ip" else "-verify_hostname", value]
    argv.append(cert)
    proc = peers.run(argv)
    out = proc.stdout + proc.stderr
    return proc.returncode == 0 and out.strip().endswith(": OK"), out


def public_key(openssl: str, path: Path, kind: str) -> str:
    """The public key of a cert ("x509"), private key ("key") or public key ("pub"), as PEM."""
    argv: list[str | Path]
    if kind == "x509":
        argv = [openssl, "x509", "-noout", "-pubkey", "-in", path]
    elif kind == "key":
        argv = [openssl, "pkey", "-pubout", "-in", path]
    else:
        argv = [openssl, "pkey", "-pubin", "-pubout", "-in", path]
    proc = peers.run(argv)
    assert proc.returncode == 0, f"openssl could not read {path}: {proc.stderr}"
    return proc.stdout.strip()


def subject(openssl: str, cert: Path) -> str:
    proc = peers.run([openssl, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", cert])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().removeprefix("subject=")


def test_every_pki_cert_is_listed(tree: Path) -> None:
    """The table below covers every .crt in pki/ and pki/etcd/ (so none goes unverified)."""
    pki = tree / "pki"
    found = {p.relative_to(pki).as_posix() for p in pki.rglob("*.crt")}
    assert found == set(PKI_CERTS)


@pytest.mark.parametrize("rel", sorted(PKI_CERTS))
def test_pki_cert_verifies_against_its_ca(openssl: str, tree: Path, rel: str) -> None:
    pki = tree / "pki"
    ca_rel, purposes, names = PKI_CERTS[rel]
    peers.assert_valid_now((pki / rel).read_bytes(), rel)
    ok, out = verify(openssl, pki / ca_rel, pki / rel)
    assert ok, f"openssl verify -CAfile {ca_rel} {rel}: {out}"
    for purpose in purposes:
        ok, out = verify(openssl, pki / ca_rel, pki / rel, purpose=purpose)
        assert ok, f"{rel} is not valid for {purpose}: {out}"
    for name in names:
        ok, out = verify(openssl, pki / ca_rel, pki / rel, name=name)
        assert ok, f"{rel} is not valid for {name}: {out}"


@pytest.mark.parametrize("rel", sorted(PKI_CERTS))
def test_pki_key_matches_cert(openssl: str, tree: Path, rel: str) -> None:
    pki = tree / "pki"
    key = pki / rel.replace(".crt", ".key")
    assert public_key(openssl, pki / rel, "x509") == public_key(openssl, key, "key")


def test_service_account_key_pair_matches(openssl: str, tree: Path) -> None:
    pki = tree / "pki"
    assert public_key(openssl, pki / "sa.key", "key") == public_key(openssl, pki / "sa.pub", "pub")


@pytest.mark.parametrize(("rel", "wrong_ca"), WRONG_CA)
def test_cert_is_refused_by_the_wrong_ca(openssl: str, tree: Path, rel: str, wrong_ca: str) -> None:
    pki = tree / "pki"
    ok, out = verify(openssl, pki / wrong_ca, pki / rel)
    assert not ok, f"{rel} unexpectedly verified against {wrong_ca}: {out}"
    assert "unable to get local issuer certificate" in out, out


def test_apiserver_cert_has_no_loopback_name(openssl: str, tree: Path) -> None:
    """As in real clusters: the kubectl peer test relies on this to prove name checking."""
    pki = tree / "pki"
    for name in ("ip:127.0.0.1", "dns:localhost"):
        ok, out = verify(openssl, pki / "ca.crt", pki / "apiserver.crt", name=name)
        assert not ok, f"apiserver.crt unexpectedly valid for {name}: {out}"


def test_client_only_cert_is_not_a_server_cert(openssl: str, tree: Path) -> None:
    pki = tree / "pki"
    ok, out = verify(openssl, pki / "ca.crt", pki / "apiserver-kubelet-client.crt", "sslserver")
    assert not ok, out


@pytest.mark.parametrize("conf", sorted(peers.KUBECONFIG_CLIENT_CN))
def test_kubeconfig_client_cert_verifies_against_embedded_ca(
    openssl: str, tree: Path, tmp_path: Path, conf: str
) -> None:
    ca_pem, cert_pem, key_pem = peers.kubeconfig_pems(peers.load_kubeconfig(tree / conf))
    ca, cert, key = tmp_path / "ca.crt", tmp_path / "client.crt", tmp_path / "client.key"
    ca.write_bytes(ca_pem)
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    peers.assert_valid_now(cert_pem, f"{conf} client cert")

    ok, out = verify(openssl, ca, cert, purpose="sslclient")
    assert ok, f"{conf}: embedded client cert does not verify against embedded CA: {out}"
    # The embedded CA is the cluster CA, pki/ca.crt.
    assert public_key(openssl, ca, "x509") == public_key(openssl, tree / "pki/ca.crt", "x509")
    ok, out = verify(openssl, ca, tree / "pki/ca.crt")
    assert ok, out
    # The embedded key belongs to the embedded cert, and the cert says who the client is.
    assert public_key(openssl, cert, "x509") == public_key(openssl, key, "key")
    cn = peers.KUBECONFIG_CLIENT_CN[conf]
    assert f"CN={cn}" in subject(openssl, cert).split(","), subject(openssl, cert)


@pytest.mark.parametrize("conf", sorted(peers.KUBECONFIG_CLIENT_CN))
def test_kubeconfig_client_cert_is_refused_by_other_cas(
    openssl: str, tree: Path, tmp_path: Path, conf: str
) -> None:
    _, cert_pem, _ = peers.kubeconfig_pems(peers.load_kubeconfig(tree / conf))
    cert = tmp_path / "client.crt"
    cert.write_bytes(cert_pem)
    for wrong in ("front-proxy-ca.crt", "etcd/ca.crt"):
        ok, out = verify(openssl, tree / "pki" / wrong, cert)
        assert not ok, f"{conf} client cert unexpectedly verified against {wrong}: {out}"
