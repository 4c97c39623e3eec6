"""Helpers for the peer tests: real programs (openssl, etcd, etcdctl, kubectl) run against a
generated kubeadm tree, on 127.0.0.1 only, every process stopped by its PID.

Nothing here listens on anything but 127.0.0.1, and every port is picked free at runtime.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509

LOOPBACK = "127.0.0.1"

# The generator's clock for the peer trees. The real tools check validity against the real
# clock, so this must be a little before "today" and the leaves (1 year) must still be valid.
TREE_NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)

# Default ClusterParams: the node name and the address the apiserver cert is issued for.
NODE_NAME = "cp-1"
ADVERTISE_ADDRESS = "192.168.1.10"

# kubeconfig file -> the client certificate's CN kubeadm gives it.
KUBECONFIG_CLIENT_CN: dict[str, str] = {
    "admin.conf": "kubernetes-admin",
    "super-admin.conf": "kubernetes-super-admin",
    "kubelet.conf": f"system:node:{NODE_NAME}",
    "controller-manager.conf": "system:kube-controller-manager",
    "scheduler.conf": "system:kube-scheduler",
}

INSTALL_HINTS: dict[str, str] = {
    "openssl": "apt-get install openssl",
    "etcd": "apt-get install etcd-server",
    "etcdctl": "apt-get install etcd-client",
    "kubectl": "apt-get install kubernetes-client",
}

_EXTRA_BIN_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/sbin", "/snap/bin")

# Environment variables that would steer a peer away from what the test asks for.
_STRIPPED_ENV_PREFIXES = ("ETCD_", "ETCDCTL_", "KUBECTL_")
_STRIPPED_ENV = {
    "KUBECONFIG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "OPENSSL_CONF",
}


# --------------------------------------------------------------------------- binaries


def find_binary(name: str) -> str | None:
    """The path of an executable on PATH (or in the usual system dirs), or None."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _EXTRA_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_binary(name: str) -> str:
    """The path of `name`, or skip the calling test saying how to install it."""
    path = find_binary(name)
    if path is None:
        hint = INSTALL_HINTS.get(name, f"install {name}")
        pytest.skip(f"{name} not installed: {hint}")
    return path


# --------------------------------------------------------------------------- processes


def peer_env(home: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a peer: no proxies, no ETCD_*/KUBECONFIG leaking in, loopback
    excluded from any proxy, and optionally a private HOME (kubectl writes a cache there)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _STRIPPED_ENV and not k.startswith(_STRIPPED_ENV_PREFIXES)
    }
    env["NO_PROXY"] = env["no_proxy"] = f"{LOOPBACK},localhost"
    if home is not None:
        env["HOME"] = str(home)
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str | Path],
    *,
    timeout: float = 15.0,
    env: Mapping[str, str] | None = None,
    input_bytes: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short-lived peer to completion. On timeout subprocess kills it by its PID."""
    return subprocess.run(
        [str(a) for a in argv],
        input=input_bytes.decode() if input_bytes is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else peer_env(),
        check=False,
    )


def start_process(
    argv: Sequence[str | Path], *, log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a long-running peer with stdout+stderr going to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else peer_env(),
            start_new_session=True,  # no terminal signals; we stop it ourselves, by PID
        )


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> int | None:
    """Stop one process by its PID: SIGTERM, wait up to `timeout`, then SIGKILL and reap."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=timeout)


@contextlib.contextmanager
def running(
    argv: Sequence[str | Path], *, log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A started peer that is stopped by its PID however the block exits."""
    proc = start_process(argv, log_path=log_path, env=env)
    try:
        yield proc
    finally:
        stop_process(proc)


@contextlib.contextmanager
def serving(
    argv_for: Callable[[list[int]], Sequence[str | Path]],
    ports: int,
    *,
    log_path: Path,
    ready: Callable[[list[int]], bool],
    timeout: float,
    env: Mapping[str, str] | None = None,
    tries: int = 3,
) -> Iterator[tuple[subprocess.Popen[bytes], list[int]]]:
    """A long-running peer listening on `ports` free ports picked for it, once `ready`.

    A port is free when picked, not when the peer binds it: another process (a parallel
    test worker picking at the same moment) may take it in between. A peer that exits
    saying so is started again on new ports. It is stopped by its PID however the block
    exits; one that exits otherwise, or is not ready within `timeout`, fails the test."""
    for _ in range(tries):
        picked = free_ports(ports)
        with running(argv_for(picked), log_path=log_path, env=env) as proc:
            up = _wait_ready(proc, lambda ports=picked: ready(ports), timeout)
            if proc.poll() is not None:
                if PORT_TAKEN in read_log(log_path).lower():
                    continue
                raise AssertionError(f"{argv_for(picked)[0]} exited with {proc.returncode}:\n"
                                     f"{read_log(log_path)}")
            assert up, f"not ready within {timeout} s:\n{read_log(log_path)}"
            yield proc, picked
            return
    raise AssertionError(f"the ports picked were taken {tries} times:\n{read_log(log_path)}")


def _wait_ready(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float) -> bool:
    """Wait until the peer is ready or has exited; whether it is ready."""
    return wait_until(lambda: proc.poll() is not None or ready(), timeout) and proc.poll() is None


# What etcd and openssl s_server both print when the port is someone else's (EADDRINUSE).
PORT_TAKEN = "address already in use"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """`n` distinct free ports on 127.0.0.1 (all held open while picking, so distinct)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(n):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind((LOOPBACK, 0))
            ports.append(int(s.getsockname()[1]))
        return ports


def read_log(path: Path, limit: int = 4000) -> str:
    """The tail of a peer's log, for assertion messages."""
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "<no log>"


# --------------------------------------------------------------------------- the tree

_TREES: dict[str, Path] = {}


def generated_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate one kubeadm tree with default params per test session (cached)."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _TREES:
        root = tmp_path_factory.mktemp("peer-tree") / "kubernetes"
        from kexplore.core.generate import generate_tree
        from kexplore.core.params import ClusterParams

        params = ClusterParams()
        assert params.node_name == NODE_NAME
        assert params.advertise_address == ADVERTISE_ADDRESS
        generate_tree(root, params, TREE_NOW)
        _TREES[key] = root
    return _TREES[key]


def assert_valid_now(cert_pem: bytes, what: str) -> None:
    """Fail early and clearly if the generated cert is not valid at the real time."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    now = datetime.now(timezone.utc)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc, (
        f"{what} is not valid now ({now:%Y-%m-%d}): {cert.not_valid_before_utc} .. "
        f"{cert.not_valid_after_utc}; move TREE_NOW in tests/peers.py"
    )


def load_kubeconfig(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def kubeconfig_pems(cfg: Mapping[str, Any]) -> tuple[bytes, bytes, bytes]:
    """The embedded (CA, client cert, client key) PEMs of a one-cluster, one-user kubeconfig."""
    clusters = cfg["clusters"]
    users = cfg["users"]
    assert len(clusters) == 1 and len(users) == 1, "expected one cluster and one user"
    cluster = clusters[0]["cluster"]
    user = users[0]["user"]
    return (
        base64.b64decode(cluster["certificate-authority-data"]),
        base64.b64decode(user["client-certificate-data"]),
        base64.b64decode(user["client-key-data"]),
    )


def rewrite_kubeconfig(
    cfg: Mapping[str, Any],
    *,
    server: str,
    tls_server_name: str | None,
    client_pems: tuple[bytes, bytes] | None = None,
) -> dict[str, Any]:
    """A copy of `cfg` pointing every cluster at `server`, with `tls-server-name` set (or
    removed), and optionally other embedded client cert/key."""
    out: dict[str, Any] = json.loads(json.dumps(cfg))  # deep copy of plain YAML data
    for entry in out["clusters"]:
        cluster = entry["cluster"]
        cluster["server"] = server
        cluster.pop("tls-server-name", None)
        if tls_server_name is not None:
            cluster["tls-server-name"] = tls_server_name
    if client_pems is not None:
        for entry in out["users"]:
            entry["user"]["client-certificate-data"] = base64.b64encode(client_pems[0]).decode()
            entry["user"]["client-key-data"] = base64.b64encode(client_pems[1]).decode()
    return out


# --------------------------------------------------------------------------- TLS test server


@dataclass
class TLSRecord:
    """One connection to the test server: who it was (client CN) or why it failed."""

    client_cn: str | None
    requests: list[str] = field(default_factory=list)
    error: str | None = None


VERSION_BODY = {
    "major": "1",
    "minor": "35",
    "gitVersion": "v1.35.0",
    "gitCommit": "kexplore-peer-test",
    "gitTreeState": "clean",
    "buildDate": "2026-11-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


class TLSTestServer:
    """A minimal HTTPS server on 127.0.0.1 standing in for kube-apiserver's TLS endpoint.

    It presents `cert`/`key`, requires a client cert issued by `client_ca`, answers every GET
    with 200 and a /version-like JSON body, and records every connection's client CN (or its
    handshake error). Use as a context manager; the accept thread is joined on exit.
    """

    def __init__(self, cert: Path, key: Path, client_ca: Path) -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        ctx.load_verify_locations(cafile=str(client_ca))
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.set_alpn_protocols(["http/1.1"])
        self._ctx = ctx
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._records: list[TLSRecord] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def __enter__(self) -> TLSTestServer:
        self._sock = socket.create_server((LOOPBACK, 0))
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        accept = threading.Thread(target=self._accept_loop, name="tls-test-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    def take_records(self) -> list[TLSRecord]:
        """The connections since the last call (after their handler threads finished)."""
        for thread in list(self._threads[1:]):
            thread.join(timeout=5)
        with self._lock:
            records, self._records = self._records, []
        return records

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(handler)
            handler.start()

    def _handle(self, conn: socket.socket) -> None:
        record = TLSRecord(client_cn=None)
        conn.settimeout(5)
        try:
            with self._ctx.wrap_socket(conn, server_side=True) as tls:
                record.client_cn = _peer_cn(tls.getpeercert())
                while True:
                    request = _read_request(tls)
                    if request is None:
                        break
                    record.requests.append(request)
                    body = json.dumps(VERSION_BODY).encode()
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n".encode()
                        + b"Connection: close\r\n\r\n"
                        + body
                    )
                    break
        except (OSError, ssl.SSLError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
            with self._lock:
                self._records.append(record)


def _peer_cn(cert: Mapping[str, Any] | None) -> str | None:
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None


def _read_request(tls: ssl.SSLSocket) -> str | None:
    """Read one request's head; return its request line, or None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def tls_client_handshake(
    port: int,
    *,
    ca: Path,
    cert: Path,
    key: Path,
    server_hostname: str = LOOPBACK,
    timeout: float = 5.0,
) -> bytes:
    """Handshake with a TLS server on 127.0.0.1 verifying it against `ca` (and its name),
    presenting `cert`; return the server certificate (DER)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(ca))
    ctx.load_cert_chain(str(cert), str(key))
    with (
        socket.create_connection((LOOPBACK, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


__all__ = [
    "ADVERTISE_ADDRESS",
    "KUBECONFIG_CLIENT_CN",
    "LOOPBACK",
    "NODE_NAME",
    "TREE_NOW",
    "VERSION_BODY",
    "TLSRecord",
    "TLSTestServer",
    "assert_valid_now",
    "b64",
    "find_binary",
    "free_port",
    "free_ports",
    "generated_tree",
    "kubeconfig_pems",
    "load_kubeconfig",
    "peer_env",
    "read_log",
    "require_binary",
    "rewrite_kubeconfig",
    "run",
    "running",
    "serving",
    "start_process",
    "stop_process",
    "tls_client_handshake",
    "wait_until",
]


def b64(data: bytes) -> str:
    """Base64 as kubeconfig `*-data` fields hold it."""
    return base64.b64encode(data).decode()
