"""The plane's verdicts proved by real programs, on 127.0.0.1 only, every process stopped by
its PID: `openssl verify` with the exact CA file each side is configured with agrees with
every certificate verdict; a real etcd refuses an API-server client cert signed by the
wrong CA and accepts the right one; kubectl against `openssl s_server` presenting the
tree's apiserver.crt fails with the name error kexplore predicts."""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import peers  # tests/ is on sys.path (not a package), as for conftest and treeshape
import pytest
import yaml
from conftest import NOW, Factory

from kexplore.core.faults import parse_fault
from kexplore.core.generate import generate_tree
from kexplore.core.params import ClusterParams
from kexplore.core.pki import CertInfo
from kexplore.core.plane import Relation, Source, Status, build_plane
from kexplore.core.plane.connections import Address
from kexplore.core.read.scan import scan

pytestmark = pytest.mark.peer

# Trees whose certificate verdicts openssl must agree with: clean, and each fault that
# breaks (or leaves alone) a chain, a usage, a name or a time.
VERDICT_TREES = ["", "connection-ca", "connection-ca:apiserver-etcd-client",
                 "connection-server-name", "cert-chain", "cert-chain:front-proxy-client",
                 "cert-usage", "cert-usage:apiserver-etcd-client", "cert-expired",
                 "cert-not-yet-valid", "kubeconfig-ca-mismatch", "cert-san-missing",
                 "cert-san-missing:etcd-server"]


def _pem(src: Source, tmp: Path, name: str) -> Path:
    """The certificates of a source as a PEM file openssl can read (embedded ones too)."""
    certs = src.content if isinstance(src.content, tuple) else ()
    path = tmp / name
    path.write_text("".join(c.pem() for c in certs if isinstance(c, CertInfo)))
    return path


def _host(relation: Relation) -> str:
    at = Address.parse(relation.address) if relation.address else None
    return at.host if at else ""


def openssl_verify(cert: Path, ca: Path, purpose: str, at: datetime, host: str) -> bool:
    openssl = peers.require_binary("openssl")
    argv: list[str | Path] = [openssl, "verify", "-CAfile", ca, "-purpose", purpose,
                              "-attime", str(int(at.timestamp()))]
    if host:
        argv += ["-verify_ip" if _is_ip(host) else "-verify_hostname", host.strip("[]")]
    proc = peers.run([*argv, cert], timeout=15)
    return proc.returncode == 0


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _sides(relation: Relation) -> Iterator[tuple[str, Source, Source, str, str | None]]:
    """(purpose, cert, CA, host to match, kexplore's verdict) for each side decided."""
    if relation.server_cert and relation.server_ca and relation.server_error is not None:
        yield ("sslserver", relation.server_cert, relation.server_ca, _host(relation),
               relation.server_error)
    if relation.client_cert and relation.client_ca and relation.client_error is not None:
        yield "sslclient", relation.client_cert, relation.client_ca, "", relation.client_error


@pytest.mark.parametrize("fault", VERDICT_TREES)
def test_openssl_verify_agrees_with_every_certificate_verdict(
    make_tree: Factory, tmp_path: Path, fault: str
) -> None:
    root = make_tree(faults=[fault] if fault else [])
    plane = build_plane(scan(root), NOW)
    checked, refused = 0, 0
    for relation in plane.connections:
        for i, (purpose, cert, ca, host, verdict) in enumerate(_sides(relation)):
            tag = f"{relation.id.replace('/', '_')}-{i}"
            agrees = openssl_verify(_pem(cert, tmp_path, f"{tag}.crt"),
                                    _pem(ca, tmp_path, f"{tag}-ca.crt"), purpose, NOW, host)
            assert agrees == (verdict == ""), (relation.id, purpose, verdict)
            checked += 1
            refused += verdict != ""
    assert checked >= 14
    assert (refused > 0) == bool(fault)  # every fault here breaks some side


# --- etcd ---------------------------------------------------------------------------------


def _real_time_tree(tmp_path_factory: pytest.TempPathFactory, fault: str) -> Path:
    if not fault:
        return peers.generated_tree(tmp_path_factory)
    root = tmp_path_factory.mktemp("peer-fault") / "kubernetes"
    generate_tree(root, ClusterParams(), peers.TREE_NOW, [parse_fault(fault)])
    return root


def _etcd_accepts(tree: Path, tmp: Path) -> tuple[bool, str]:
    """Run the tree's etcd flags on 127.0.0.1; try the API server's etcd client pair."""
    etcd_bin = peers.require_binary("etcd")
    etcdctl = peers.require_binary("etcdctl")
    pki = tree / "pki"
    env = peers.peer_env(home=tmp, extra={"ETCDCTL_API": "3"})

    def argv_for(ports: list[int]) -> list[str | Path]:
        client_port, peer_port, metrics_port = ports
        client = f"https://{peers.LOOPBACK}:{client_port}"
        peer = f"https://{peers.LOOPBACK}:{peer_port}"
        return [
            etcd_bin, f"--name={peers.NODE_NAME}", f"--data-dir={tmp / f'data-{client_port}'}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={peers.NODE_NAME}={peer}", "--initial-cluster-state=new",
            f"--listen-metrics-urls=http://{peers.LOOPBACK}:{metrics_port}",
            f"--cert-file={pki / 'etcd/server.crt'}", f"--key-file={pki / 'etcd/server.key'}",
            f"--trusted-ca-file={pki / 'etcd/ca.crt'}", "--client-cert-auth=true",
            f"--peer-cert-file={pki / 'etcd/peer.crt'}",
            f"--peer-key-file={pki / 'etcd/peer.key'}",
            f"--peer-trusted-ca-file={pki / 'etcd/ca.crt'}", "--peer-client-cert-auth=true",
        ]

    log = tmp / "etcd.log"
    with peers.serving(
        argv_for, 3, log_path=log, env=env, timeout=30.0,
        ready=lambda _: "ready to serve client requests" in peers.read_log(log, limit=10**8),
    ) as (_, ports):
        client = f"https://{peers.LOOPBACK}:{ports[0]}"
        ctl = peers.run([etcdctl, f"--endpoints={client}", f"--cacert={pki / 'etcd/ca.crt'}",
                         f"--cert={pki / 'apiserver-etcd-client.crt'}",
                         f"--key={pki / 'apiserver-etcd-client.key'}", "--dial-timeout=2s",
                         "--command-timeout=2s", "put", "/kexplore/plane", "x"],
                        timeout=20, env=env)
        return ctl.returncode == 0, peers.read_log(log, limit=10**8)


@pytest.mark.parametrize("fault", ["", "connection-ca:apiserver-etcd-client"])
def test_etcd_agrees_with_the_api_server_to_etcd_verdict(
    tmp_path_factory: pytest.TempPathFactory, fault: str
) -> None:
    tree = _real_time_tree(tmp_path_factory, fault)
    link = build_plane(scan(tree), peers.TREE_NOW).relation("kube-apiserver->etcd[0]")
    assert link is not None
    accepted, log = _etcd_accepts(tree, tmp_path_factory.mktemp("etcd"))
    assert accepted == (link.status is Status.OK), (link.reason, log[-2000:])
    if not accepted:
        assert "unknown authority" in link.reason
        assert any("rejected connection" in line and "unknown authority" in line
                   for line in log.splitlines()), log[-2000:]
        assert link.symptom.startswith("etcd refuses the API server: remote error: tls:")


# --- kubectl against openssl s_server ------------------------------------------------------


@pytest.fixture(scope="module")
def s_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """`openssl s_server` on 127.0.0.1 presenting the tree's apiserver.crt."""
    openssl = peers.require_binary("openssl")
    tree = peers.generated_tree(tmp_path_factory)
    log = tmp_path_factory.mktemp("s_server") / "s_server.log"

    def argv_for(ports: list[int]) -> list[str | Path]:
        return [openssl, "s_server", "-accept", f"{peers.LOOPBACK}:{ports[0]}",
                "-cert", tree / "pki/apiserver.crt", "-key", tree / "pki/apiserver.key",
                "-www"]

    # ACCEPT is printed once the port is bound (a port answering may be another's)
    with peers.serving(argv_for, 1, log_path=log, timeout=30.0,
                       ready=lambda _: "ACCEPT" in peers.read_log(log).splitlines()) as (_, ports):
        yield tree, ports[0]


@pytest.mark.parametrize("tls_server_name", [None, peers.ADVERTISE_ADDRESS])
def test_kubectl_fails_with_the_name_error_kexplore_predicts(
    s_server: tuple[Path, int], tmp_path: Path, tls_server_name: str | None
) -> None:
    kubectl = peers.require_binary("kubectl")
    tree, port = s_server
    copy = tmp_path / "kubernetes"
    shutil.copytree(tree, copy)
    cfg = peers.rewrite_kubeconfig(peers.load_kubeconfig(copy / "scheduler.conf"),
                                   server=f"https://{peers.LOOPBACK}:{port}",
                                   tls_server_name=tls_server_name)
    (copy / "scheduler.conf").write_text(yaml.safe_dump(cfg, sort_keys=False))
    link = build_plane(scan(copy), peers.TREE_NOW).relation("kube-scheduler->kube-apiserver")
    assert link is not None
    home = tmp_path / "home"
    home.mkdir()
    proc = peers.run([kubectl, f"--kubeconfig={copy / 'scheduler.conf'}",
                      f"--cache-dir={home / 'cache'}", "--request-timeout=5s",
                      "get", "--raw", "/version"], timeout=20, env=peers.peer_env(home=home))
    if tls_server_name is None:
        # 127.0.0.1 is not a SAN of kubeadm's apiserver.crt
        assert link.status is Status.BROKEN and link.server_error
        assert proc.returncode != 0
        assert link.server_error in proc.stderr, (link.server_error, proc.stderr)
    else:
        assert link.status is Status.OK and link.server_error == ""
        assert "x509" not in proc.stderr, proc.stderr
