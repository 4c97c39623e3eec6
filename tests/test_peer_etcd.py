"""A real etcd (Debian `etcd-server`) runs on 127.0.0.1 with the generated etcd server and
peer certs and client-cert auth; `etcdctl` reaches it with the kube-apiserver's etcd client
cert and with the healthcheck client cert, and a cert from the cluster CA is refused."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import peers  # tests/ is on sys.path (not a package), as for conftest and treeshape
import pytest
from cryptography import x509

from kexplore.core.check import check_tree
from kexplore.core.read.scan import scan

pytestmark = pytest.mark.peer

HEALTH_TIMEOUT = 30.0  # a ceiling for a fresh single-member etcd to answer health, under load
# (client cert, key) relative to pki/, by the name the test ids use
ETCD_CLIENTS = {
    "apiserver-etcd-client": ("apiserver-etcd-client.crt", "apiserver-etcd-client.key"),
    "healthcheck-client": ("etcd/healthcheck-client.crt", "etcd/healthcheck-client.key"),
}


@dataclass(frozen=True)
class Etcd:
    client_port: int
    peer_port: int
    metrics_port: int
    version: str  # as `etcd --version` says it: 3.4.23
    log: Path
    pki: Path
    etcdctl: str
    env: dict[str, str]

    @property
    def endpoint(self) -> str:
        return f"https://{peers.LOOPBACK}:{self.client_port}"

    def ctl(
        self, *args: str, cert: str | None, key: str | None, quick: bool = False
    ) -> tuple[int, str, str]:
        """Run etcdctl against this etcd, verifying it with the etcd CA, as `cert`.
        `quick`: short timeouts, for calls that are expected to fail."""
        wait = "1s" if quick else "3s"
        argv: list[str | Path] = [
            self.etcdctl,
            f"--endpoints={self.endpoint}",
            f"--cacert={self.pki / 'etcd/ca.crt'}",
            f"--dial-timeout={wait}",
            f"--command-timeout={wait}",
        ]
        if cert is not None and key is not None:
            argv += [f"--cert={self.pki / cert}", f"--key={self.pki / key}"]
        proc = peers.run([*argv, *args], timeout=15, env=self.env)
        return proc.returncode, proc.stdout, proc.stderr

    def healthy(self, cert: str, key: str) -> bool:
        rc, out, _ = self.ctl("endpoint", "health", "-w", "json", cert=cert, key=key, quick=True)
        if rc != 0:
            return False
        try:
            return all(entry.get("health") is True for entry in json.loads(out))
        except (ValueError, AttributeError):
            return False


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return peers.generated_tree(tmp_path_factory)


@pytest.fixture(scope="module")
def etcd(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Etcd]:
    etcd_bin = peers.require_binary("etcd")
    etcdctl = peers.require_binary("etcdctl")
    pki = tree / "pki"
    work = tmp_path_factory.mktemp("etcd")
    env = peers.peer_env(home=work, extra={"ETCDCTL_API": "3"})

    def argv_for(ports: list[int]) -> list[str | Path]:
        client_port, peer_port, metrics_port = ports
        client_url = f"https://{peers.LOOPBACK}:{client_port}"
        peer_url = f"https://{peers.LOOPBACK}:{peer_port}"
        return [
            etcd_bin,
            f"--name={peers.NODE_NAME}",
            f"--data-dir={work / f'data-{client_port}'}",  # a try on new ports starts afresh
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster={peers.NODE_NAME}={peer_url}",
            "--initial-cluster-state=new",
            f"--listen-metrics-urls=http://{peers.LOOPBACK}:{metrics_port}",
            f"--cert-file={pki / 'etcd/server.crt'}",
            f"--key-file={pki / 'etcd/server.key'}",
            f"--trusted-ca-file={pki / 'etcd/ca.crt'}",
            "--client-cert-auth=true",
            f"--peer-cert-file={pki / 'etcd/peer.crt'}",
            f"--peer-key-file={pki / 'etcd/peer.key'}",
            f"--peer-trusted-ca-file={pki / 'etcd/ca.crt'}",
            "--peer-client-cert-auth=true",
            "--snapshot-count=10000",
        ]

    log = work / "etcd.log"
    said = peers.run([etcd_bin, "--version"], timeout=15, env=env).stdout
    version = re.search(r"etcd Version: (\S+)", said)
    assert version, f"etcd --version said: {said}"
    etcd_version = version.group(1)

    def on(ports: list[int]) -> Etcd:
        client_port, peer_port, metrics_port = ports
        return Etcd(client_port, peer_port, metrics_port, etcd_version, log, pki, etcdctl, env)

    def up(ports: list[int]) -> bool:
        # Ready once it says so, or once any client identity gets a healthy answer; the
        # tests then check each identity on its own.
        if "ready to serve client requests" in peers.read_log(log, limit=10**8):
            return True
        return any(on(ports).healthy(cert, key) for cert, key in ETCD_CLIENTS.values())

    with peers.serving(argv_for, 3, log_path=log, env=env, ready=up,
                       timeout=HEALTH_TIMEOUT) as (proc, ports):
        server = on(ports)
        yield server
        assert proc.poll() is None, f"etcd died during the tests:\n{peers.read_log(log)}"


@pytest.mark.parametrize("client", sorted(ETCD_CLIENTS))
def test_endpoint_health(etcd: Etcd, client: str) -> None:
    cert, key = ETCD_CLIENTS[client]
    rc, out, err = etcd.ctl("endpoint", "health", cert=cert, key=key)
    assert rc == 0, f"etcdctl endpoint health as {client} failed: {out}{err}"
    assert f"{etcd.endpoint} is healthy" in out + err


@pytest.mark.parametrize("client", sorted(ETCD_CLIENTS))
def test_put_get(etcd: Etcd, client: str) -> None:
    cert, key = ETCD_CLIENTS[client]
    key_name = f"/kexplore-peer/{client}"
    value = f"written-by-{client}"
    rc, out, err = etcd.ctl("put", key_name, value, cert=cert, key=key)
    assert rc == 0 and out.strip() == "OK", f"put as {client}: {out}{err}"
    # Read it back with every client identity: they all reach the same store.
    for reader, (rcert, rkey) in ETCD_CLIENTS.items():
        rc, out, err = etcd.ctl("get", key_name, "--print-value-only", cert=rcert, key=rkey)
        assert rc == 0, f"get as {reader}: {out}{err}"
        assert out.strip() == value


@pytest.mark.parametrize(
    ("cert", "key", "reason"),
    [
        (  # signed by the cluster CA, not the etcd CA
            "apiserver-kubelet-client.crt",
            "apiserver-kubelet-client.key",
            "certificate signed by unknown authority",
        ),
        (  # signed by the front-proxy CA
            "front-proxy-client.crt",
            "front-proxy-client.key",
            "certificate signed by unknown authority",
        ),
        (None, None, "didn't provide a certificate"),
    ],
    ids=["cluster-ca-client", "front-proxy-client", "no-client-cert"],
)
def test_foreign_client_cert_is_refused(
    etcd: Etcd, cert: str | None, key: str | None, reason: str
) -> None:
    seen = len(peers.read_log(etcd.log, limit=10**8))
    rc, out, err = etcd.ctl("put", "/kexplore-peer/intruder", "x", cert=cert, key=key, quick=True)
    assert rc != 0, f"etcd accepted a client it should refuse: {out}{err}"
    if cert == "apiserver-kubelet-client.crt":
        rc, out, err = etcd.ctl("endpoint", "health", cert=cert, key=key, quick=True)
        assert rc != 0, f"etcd reported healthy to a refused client: {out}{err}"
        assert "is unhealthy" in out + err, out + err
    # The refusal is etcd's TLS layer rejecting this client (not, e.g., etcd being down) ...
    new_log = peers.read_log(etcd.log, limit=10**8)[seen:]
    rejected = [line for line in new_log.splitlines() if "rejected connection" in line]
    assert rejected, f"etcd logged no rejected connection:\n{peers.read_log(etcd.log)}"
    assert any(reason in line for line in rejected), "\n".join(rejected)
    # ... while it still serves the right client, and the intruder's write never landed.
    good_cert, good_key = ETCD_CLIENTS["apiserver-etcd-client"]
    rc, out, err = etcd.ctl(
        "get", "/kexplore-peer/intruder", "--print-value-only", cert=good_cert, key=good_key
    )
    assert rc == 0 and out.strip() == "", f"{out}{err}"


def test_peer_listener_serves_the_peer_cert(etcd: Etcd) -> None:
    """The peer port presents pki/etcd/peer.crt, valid for 127.0.0.1 under the etcd CA, and
    accepts the peer cert as a client (what another member would present)."""
    der = peers.tls_client_handshake(
        etcd.peer_port,
        ca=etcd.pki / "etcd/ca.crt",
        cert=etcd.pki / "etcd/peer.crt",
        key=etcd.pki / "etcd/peer.key",
    )
    peer_cert = x509.load_pem_x509_certificate((etcd.pki / "etcd/peer.crt").read_bytes())
    assert x509.load_der_x509_certificate(der) == peer_cert


def test_client_listener_serves_the_server_cert(etcd: Etcd) -> None:
    der = peers.tls_client_handshake(
        etcd.client_port,
        ca=etcd.pki / "etcd/ca.crt",
        cert=etcd.pki / "etcd/healthcheck-client.crt",
        key=etcd.pki / "etcd/healthcheck-client.key",
    )
    server_cert = x509.load_pem_x509_certificate((etcd.pki / "etcd/server.crt").read_bytes())
    assert x509.load_der_x509_certificate(der) == server_cert


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_the_health_paths_answer_as_kexplore_says_for_this_etcd(
    etcd: Etcd, tree: Path, tmp_path: Path
) -> None:
    """kexplore tells from etcd's tag whether it serves the /livez and /readyz that kubeadm
    1.31+ probes on the metrics listener; this real etcd, tagged as what it is, answers as
    kexplore says, and serves /health either way."""
    copy = tmp_path / "kubernetes"
    shutil.copytree(tree, copy)
    manifest = copy / "manifests/etcd.yaml"
    text = manifest.read_text()
    tag = re.search(r"image: \S+/etcd:(\S+)", text)
    assert tag, "the generated etcd.yaml names no etcd image"
    manifest.write_text(text.replace(tag.group(1), f"{etcd.version}-0"))
    said = [f.message for f in check_tree(scan(copy), peers.TREE_NOW).findings
            if f.rule == "etcd-version"]
    unserved = any("answers 404 to its" in message for message in said)
    metrics = f"http://{peers.LOOPBACK}:{etcd.metrics_port}"
    assert _status(f"{metrics}/health") == 200
    for path in ("/livez", "/readyz"):
        assert (_status(metrics + path) == 404) == unserved, (
            f"etcd {etcd.version} answers {_status(metrics + path)} on {path}; kexplore said "
            f"{said or 'nothing of its version'}")
