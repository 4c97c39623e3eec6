"""`kexplore serve`: the node's metrics and inventory over HTTP, for a DaemonSet pod.

Each request reads the tree afresh, so nothing is cached and nothing is written: the pod
needs no output folder and runs with a read-only root filesystem. Three paths, GET only:
/metrics (the Prometheus text format, as `certs --format prometheus`), /inventory (as
`inventory --format json`) and /healthz.

The node's files beside the tree (the kubelet's, the kubeconfig copies) are read as
`check` reads them, where the flags say; with no flag, on this machine, only when the
kubelet's folder is mounted: a pod that mounts /etc/kubernetes alone would otherwise
report every kubelet file it cannot see as missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kexplore.core.model import Tree
    from kexplore.core.node_files import NodeFiles, NodeSources

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
JSON_TYPE = "application/json"
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _read(root: Path) -> Tree | str:
    """The tree, or why it cannot be read. Read in this process: forking beside the
    server's threads is not safe."""
    from kexplore.core.read.scan import scan

    try:
        next(root.iterdir(), None)
    except OSError as exc:
        return f"cannot read {root}: {exc.strerror or exc}"
    return scan(root)


def mounted(sources: NodeSources | None, host: Path = Path("/")) -> NodeSources | None:
    """The sources `check` would read, less this machine's kubelet folder when it is not
    there (a pod that mounts /etc/kubernetes alone): then nothing beside the tree is read.
    Sources named by a flag are read as named."""
    from kexplore.core.conventions.node import KUBELET_DIR

    if sources is None or not sources.this_machine or sources.kubelet_dir is not None:
        return sources
    return sources if (host / KUBELET_DIR.lstrip("/")).is_dir() else None


def _node(tree: Tree, sources: NodeSources | None) -> NodeFiles | None:
    from kexplore.core.node_files import read_node_files

    return read_node_files(tree, sources) if sources is not None else None


def metrics_text(root: Path, now: datetime, sources: NodeSources | None = None) -> str:
    from kexplore.core.check import check_tree
    from kexplore.core.expiry import expiry_rows
    from kexplore.core.report.prometheus import breakings, failed_textfile, textfile

    tree = _read(root)
    if isinstance(tree, str):
        return failed_textfile(root, now, tree)
    node = _node(tree, sources)
    report = check_tree(tree, now, node_files=node)
    return textfile(root, expiry_rows(tree, now, node, report.inferred), report.findings,
                    now, breakings(tree, now, node, report.plane))


def inventory_text(root: Path, now: datetime, sources: NodeSources | None = None) -> str | None:
    from kexplore.core.check import check_tree
    from kexplore.core.inventory import build_inventory, inventory_json

    tree = _read(root)
    if isinstance(tree, str):
        return None
    report = check_tree(tree, now, node_files=_node(tree, sources))
    return inventory_json(build_inventory(tree, now, report, report.inferred))


def make_server(
    root: Path, address: str, port: int, clock: Clock = _now,
    sources: NodeSources | None = None,
) -> ThreadingHTTPServer:
    """`sources`: where the node's files are, read afresh with the tree at each request."""
    # one tree read at a time: two scrapes at once would only double the work
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "kexplore"
        sys_version = ""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, "text/plain", "ok\n")
            elif path == "/metrics":
                with lock:
                    self._send(200, PROMETHEUS_TYPE, metrics_text(root, clock(), sources))
            elif path == "/inventory":
                with lock:
                    text = inventory_text(root, clock(), sources)
                if text is None:
                    self._send(503, "text/plain", f"cannot read {root}\n")
                else:
                    self._send(200, JSON_TYPE, text + "\n")
            else:
                self._send(404, "text/plain", "not found: /metrics, /inventory, /healthz\n")

        def _send(self, code: int, kind: str, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # a scrape every 30 s would fill the pod log

    return ThreadingHTTPServer((address, port), Handler)
