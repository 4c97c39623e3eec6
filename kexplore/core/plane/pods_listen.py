"""Where the static pods listen on the node: on the host network every pod shares the
node's ports, so two components told to serve the same port (a scheduler moved onto the
controller manager's 10257) cannot both start. The one that binds second exits with
"bind: address already in use" and the kubelet restarts it again and again.

Ports are read from each component's own flags, as it opens them: --secure-port with
--bind-address, and etcd's --listen-*-urls. A declared containerPort is the file source's
business (pod-host-port at admission), not a listener's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.plane.pods_problem import PodProblem
from kexplore.core.plane.pods_runtime import (
    DEFAULT_SECURE_PORT,
    ETCD,
    WILDCARDS,
    binary,
    flag_field,
    probe_ports,
)
from kexplore.core.records import record

# the flags that open the socket a component's probes dial
PROBED = ("secure-port", "listen-metrics-urls")
# kubeadm's etcd ports, by flag: a port other than these is the one an operator moved.
ETCD_PORTS = {"listen-client-urls": 2379, "listen-peer-urls": 2380, "listen-metrics-urls": 2381}


@record
class Listener:
    """One socket a component opens: host "" for every address, the flag that says so,
    and whether the port is the component's own default (not moved by hand)."""

    host: str
    port: int
    flag: str
    default: bool
    index: int  # of the container in spec.containers


def listeners(index: int, container: Container) -> list[Listener]:
    """The sockets a kubeadm component opens, from its flags; none for any other image."""
    name = binary(container)
    if name in DEFAULT_SECURE_PORT:
        text = container.flag_value("secure-port")
        port = int(text) if text and text.isdigit() else None
        if text is None:
            port = DEFAULT_SECURE_PORT[name]
        if port is None:
            return []  # pod-flag-value says the port cannot parse
        host = _host(container.flag_value("bind-address") or "")
        return [Listener(host, port, "secure-port", port == DEFAULT_SECURE_PORT[name], index)]
    if name != ETCD:
        return []
    found = []
    for flag, default in ETCD_PORTS.items():
        for url in (container.flag_value(flag) or "").split(","):
            try:
                parts = urlsplit(url.strip())
                port = parts.port
            except ValueError:
                continue  # pod-flag-value says the URL cannot parse
            if parts.scheme and port:
                host = _host(parts.hostname or "")
                found.append(Listener(host, port, flag, port == default, index))
    return found


def _host(host: str) -> str:
    host = host.strip("[]")
    return "" if host in WILDCARDS else host


def _overlap(a: Listener, b: Listener) -> bool:
    # Linux refuses a listening socket on a port another socket listens on for the same
    # address or for every address (IPv4 and IPv6 wildcards alike), SO_REUSEADDR or not.
    return a.port == b.port and (not a.host or not b.host or a.host == b.host)


@record
class Listening:
    """A running static pod on the host network and the sockets its containers open."""

    path: str
    key: str
    pod: ManifestInfo
    sockets: tuple[Listener, ...]


def listening(path: str, key: str, pod: ManifestInfo) -> Listening:
    sockets = [s for i, c in enumerate(pod.containers) for s in listeners(i, c)]
    return Listening(path, key, pod, tuple(sockets) if pod.host_network else ())


def listen_clashes(pods: Sequence[Listening]) -> Iterator[PodProblem]:
    """One finding per pair of pods that clash, on the one whose port was moved onto the
    other's (the later file when neither or both were), at the flag that opens it."""
    for j, later in enumerate(pods):
        for earlier in pods[:j]:
            pair = _first_overlap(later, earlier)
            if pair is None:
                continue
            mine, theirs = pair
            if mine.default and not theirs.default:
                yield _clash(earlier, theirs, later, mine)
            else:
                yield _clash(later, mine, earlier, theirs)


def one_edit(clash: PodProblem, probe: PodProblem, pod: Listening,
             running: Sequence[Listening]) -> PodProblem | None:
    """A port moved onto another pod's with the probes left on the old one (or any port no
    pod holds): setting the flag back to the port the probes dial fixes both, so the clash
    says so, with the probe's facts, and stands for both. None when that port is taken
    too, or the probes dial several: then they are two fixes."""
    socket = next((s for s in pod.sockets if f"--{s.flag}" == clash.pointer), None)
    if socket is None or socket.flag not in PROBED:
        return None
    dialled = probe_ports(pod.pod.containers[socket.index])
    if len(dialled) != 1:
        return None
    (port,) = dialled
    taken = {s.port for other in running if other.path != pod.path for s in other.sockets}
    if port in taken or port == socket.port:
        return None
    return PodProblem(
        clash.rule, clash.severity, clash.path, clash.pointer,
        f"{clash.message}; its probes ({probe.pointer}) still dial port {port}, which it "
        "no longer serves: they fail too, and the pod is never Ready",
        fix=f"move --{socket.flag} back to port {port}, the port its probes dial (or move "
        "it and its probes together to a port no other static pod listens on)",
        line=clash.line, field=clash.field,
    )


def _first_overlap(a: Listening, b: Listening) -> tuple[Listener, Listener] | None:
    return next(((x, y) for x in a.sockets for y in b.sockets if _overlap(x, y)), None)


def _clash(pod: Listening, socket: Listener, other: Listening, theirs: Listener) -> PodProblem:
    at = f"spec.containers[{socket.index}]"
    field = flag_field(at, pod.pod.containers[socket.index], socket.flag)
    where = f"{socket.host or '*'}:{socket.port}"
    return PodProblem(
        "pod-host-port", Severity.ERROR, pod.path, f"--{socket.flag}",
        f"pod {pod.key} listens on {where} (--{socket.flag}), as {other.key} in "
        f"{other.path} does (--{theirs.flag}): on the host network the one that starts "
        "second fails with \"bind: address already in use\" and the kubelet restarts it "
        "again and again",
        fix=f"give --{socket.flag} a port no other static pod listens on",
        line=pod.pod.line_of(field), field=field,
    )
