"""A real `kubectl` uses every generated kubeconfig: it verifies a TLS server on 127.0.0.1
that presents the generated pki/apiserver.crt (against the kubeconfig's embedded CA, by the
advertise address given as `tls-server-name`, since kubeadm's apiserver cert has no
127.0.0.1 SAN) and authenticates with its embedded client cert, which the server checks
against pki/ca.crt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peers  # tests/ is on sys.path (not a package), as for conftest and treeshape
import pytest
import yaml

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def kubectl() -> str:
    return peers.require_binary("kubectl")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return peers.generated_tree(tmp_path_factory)


@pytest.fixture(scope="module")
def apiserver(tree: Path) -> Iterator[peers.TLSTestServer]:
    pki = tree / "pki"
    with peers.TLSTestServer(pki / "apiserver.crt", pki / "apiserver.key", pki / "ca.crt") as srv:
        yield srv


def run_kubectl(kubectl: str, cfg: dict[str, Any], tmp_path: Path) -> tuple[int, str, str]:
    """`kubectl get --raw /version` with `cfg` as its only kubeconfig, in a private HOME."""
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    path.chmod(0o600)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    proc = peers.run(
        [
            kubectl,
            f"--kubeconfig={path}",
            f"--cache-dir={home / 'cache'}",
            "--request-timeout=5s",
            "get",
            "--raw",
            "/version",
        ],
        timeout=20,
        env=peers.peer_env(home=home),
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("conf", sorted(peers.KUBECONFIG_CLIENT_CN))
def test_kubectl_handshakes_with_every_kubeconfig(
    kubectl: str, tree: Path, apiserver: peers.TLSTestServer, tmp_path: Path, conf: str
) -> None:
    original = peers.load_kubeconfig(tree / conf)
    assert original["clusters"][0]["cluster"]["server"].startswith(
        f"https://{peers.ADVERTISE_ADDRESS}:"
    )
    cfg = peers.rewrite_kubeconfig(
        original, server=apiserver.url, tls_server_name=peers.ADVERTISE_ADDRESS
    )
    apiserver.take_records()
    rc, out, err = run_kubectl(kubectl, cfg, tmp_path)
    records = apiserver.take_records()
    assert rc == 0, f"kubectl with {conf} failed: {err}\nserver saw: {records}"
    assert json.loads(out) == peers.VERSION_BODY
    served = [r for r in records if r.requests]
    assert served, f"no request reached the server: {records}"
    expected = peers.KUBECONFIG_CLIENT_CN[conf]
    assert {r.client_cn for r in served} == {expected}, records
    assert all(req.startswith("GET /version") for r in served for req in r.requests), records


def test_kubectl_refuses_the_apiserver_cert_for_127_0_0_1(
    kubectl: str, tree: Path, apiserver: peers.TLSTestServer, tmp_path: Path
) -> None:
    """Without tls-server-name kubectl checks the cert against 127.0.0.1, which kubeadm's
    apiserver cert does not cover: server verification is really on."""
    cfg = peers.rewrite_kubeconfig(
        peers.load_kubeconfig(tree / "admin.conf"), server=apiserver.url, tls_server_name=None
    )
    apiserver.take_records()
    rc, out, err = run_kubectl(kubectl, cfg, tmp_path)
    records = apiserver.take_records()
    assert rc != 0, f"kubectl accepted apiserver.crt for 127.0.0.1: {out}"
    assert "x509" in err and "127.0.0.1" in err, err
    assert not any(r.requests for r in records), records


def test_kubectl_refuses_a_server_from_another_ca(
    kubectl: str, tree: Path, apiserver: peers.TLSTestServer, tmp_path: Path
) -> None:
    """With the front-proxy CA as its CA, kubectl must not trust the apiserver cert."""
    cfg = peers.rewrite_kubeconfig(
        peers.load_kubeconfig(tree / "admin.conf"),
        server=apiserver.url,
        tls_server_name=peers.ADVERTISE_ADDRESS,
    )
    wrong_ca = (tree / "pki/front-proxy-ca.crt").read_bytes()
    cfg["clusters"][0]["cluster"]["certificate-authority-data"] = peers.b64(wrong_ca)
    apiserver.take_records()
    rc, out, err = run_kubectl(kubectl, cfg, tmp_path)
    records = apiserver.take_records()
    assert rc != 0, f"kubectl trusted apiserver.crt under the front-proxy CA: {out}"
    assert "x509" in err, err
    assert not any(r.requests for r in records), records


def test_server_refuses_a_client_cert_from_another_ca(
    kubectl: str, tree: Path, apiserver: peers.TLSTestServer, tmp_path: Path
) -> None:
    """The stand-in apiserver really demands cluster-CA client certs: front-proxy-client
    (front-proxy CA) gets no answer."""
    pki = tree / "pki"
    cfg = peers.rewrite_kubeconfig(
        peers.load_kubeconfig(tree / "admin.conf"),
        server=apiserver.url,
        tls_server_name=peers.ADVERTISE_ADDRESS,
        client_pems=(
            (pki / "front-proxy-client.crt").read_bytes(),
            (pki / "front-proxy-client.key").read_bytes(),
        ),
    )
    apiserver.take_records()
    rc, out, err = run_kubectl(kubectl, cfg, tmp_path)
    records = apiserver.take_records()
    assert rc != 0, f"server accepted a front-proxy client cert: {out}{err}"
    assert not any(r.requests for r in records), records
    assert any(r.error and "CERTIFICATE_VERIFY_FAILED" in r.error for r in records), records
