"""Verification as Go does it, and the one mapping of paths: unit cases on decoded values."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, Factory

from kexplore.core.manifest import Container, ManifestInfo, Volume, VolumeMount
from kexplore.core.model import Tree
from kexplore.core.pki import CertInfo
from kexplore.core.plane.mounts import Reach, beside, container_host_path, in_container, tree_path
from kexplore.core.plane.verify import chain_to, eku_error, hostname_error, validity_error
from kexplore.core.read.scan import scan


@pytest.fixture(scope="module")
def pki(make_tree: Factory) -> dict[str, CertInfo]:
    tree = scan(make_tree())
    return {n.path: n.content[0] for n in tree if n.path.endswith(".crt")}


def _with_sans(cert: CertInfo, dns: tuple[str, ...] = (), ips: tuple[str, ...] = ()) -> CertInfo:
    return replace(cert, dns_sans=dns, ip_sans=ips)


@pytest.mark.parametrize(
    ("dns", "ips", "host", "error"),
    [
        ((), ("192.168.1.10",), "192.168.1.10", None),
        ((), ("192.168.1.10",), "10.0.0.1",
         "x509: certificate is valid for 192.168.1.10, not 10.0.0.1"),
        (("cp-1",), (), "10.0.0.1", "x509: cannot validate certificate for 10.0.0.1 because it "
         "doesn't contain any IP SANs"),
        ((), ("fd00::10",), "[fd00:0:0::10]", None),  # IPv6 compared as addresses
        ((), ("fd00::10",), "fd00::11", "x509: certificate is valid for fd00::10, not fd00::11"),
        (("cp-1", "kubernetes"), (), "Kubernetes", None),
        (("cp-1",), ("10.0.0.1",), "cp-2", "x509: certificate is valid for cp-1, not cp-2"),
        (("*.example.com",), (), "api.example.com", None),
        (("*.example.com",), (), "a.api.example.com",
         "x509: certificate is valid for *.example.com, not a.api.example.com"),
        (("*.example.com",), (), "example.com",
         "x509: certificate is valid for *.example.com, not example.com"),
        (("api.*.com",), (), "api.example.com",
         "x509: certificate is valid for api.*.com, not api.example.com"),
        ((), ("127.0.0.1",), "localhost",
         "x509: certificate is not valid for any names, but wanted to match localhost"),
    ],
)
def test_hostname_is_matched_as_go_does(pki: dict[str, CertInfo], dns: tuple[str, ...],
                                        ips: tuple[str, ...], host: str,
                                        error: str | None) -> None:
    assert hostname_error(_with_sans(pki["pki/apiserver.crt"], dns, ips), host) == error


def test_the_chain_goes_to_the_exact_bundle(pki: dict[str, CertInfo]) -> None:
    leaf = pki["pki/front-proxy-client.crt"]
    root, error = chain_to(leaf, [pki["pki/front-proxy-ca.crt"]], [], NOW)
    assert root == pki["pki/front-proxy-ca.crt"] and error is None
    root, error = chain_to(leaf, [pki["pki/ca.crt"]], [], NOW)
    assert root is None and error == "x509: certificate signed by unknown authority"
    # any member of a bundle suffices
    root, _ = chain_to(leaf, [pki["pki/ca.crt"], pki["pki/front-proxy-ca.crt"]], [], NOW)
    assert root == pki["pki/front-proxy-ca.crt"]


def test_a_same_named_ca_gives_go_s_hint(pki: dict[str, CertInfo],
                                         make_tree: Factory) -> None:
    other = scan(make_tree(faults=["cert-chain"])).get("pki/apiserver.crt")
    assert other is not None
    _, error = chain_to(other.content[0], [pki["pki/ca.crt"]], [], NOW)
    assert error is not None and error.startswith("x509: certificate signed by unknown authority "
                                                  "(possibly because of \"crypto/ecdsa")
    assert 'candidate authority certificate "kubernetes"' in error


def test_validity_and_usage(pki: dict[str, CertInfo]) -> None:
    cert = pki["pki/apiserver.crt"]
    assert validity_error(cert, NOW) is None
    later = cert.not_after + timedelta(seconds=1)
    assert "is after" in (validity_error(cert, later) or "")
    assert eku_error(cert, "ServerAuth") is None
    assert eku_error(cert, "ClientAuth") == "x509: certificate specifies an incompatible key usage"
    assert eku_error(replace(cert, ext_key_usage=()), "ClientAuth") is None


def _pod(*mounts: tuple[str, str], volumes: tuple[Volume, ...]) -> tuple[ManifestInfo, Container]:
    container = Container("c", "img", ("x",), (), (),
                          volume_mounts=tuple(VolumeMount(n, p) for n, p in mounts))
    pod = ManifestInfo("p", "kube-system", {}, {}, "", None, True, {}, volumes, (container,))
    return pod, container


def test_the_longest_mount_wins_and_only_host_paths_reach_the_host() -> None:
    pod, c = _pod(("all", "/etc/kubernetes"), ("pki", "/etc/kubernetes/pki"), ("tmp", "/scratch"),
                  volumes=(Volume("all", "/etc/kubernetes", source="hostPath"),
                           Volume("pki", "/srv/pki", source="hostPath"),
                           Volume("tmp", source="emptyDir")))
    assert container_host_path(pod, c, "/etc/kubernetes/pki/ca.crt") == ("/srv/pki/ca.crt", "pki")
    assert container_host_path(pod, c, "/etc/kubernetes/admin.conf")[0] == (
        "/etc/kubernetes/admin.conf")
    assert container_host_path(pod, c, "/scratch/x")[0] is None
    host, why = container_host_path(pod, c, "/var/lib/x")
    assert host is None and "no volumeMount covers /var/lib/x" in why


def test_paths_map_into_the_root_once(tmp_path: Path) -> None:
    assert tree_path("/etc/kubernetes/pki/../pki/ca.crt") == "pki/ca.crt"
    assert tree_path("/etc/kubernetes") == ""
    assert tree_path("/etc/kubernetesX/a") is None
    assert tree_path("/etc/kubernetes/../shadow") is None
    tree = Tree(tmp_path, {})
    assert beside(tree, "admin.conf", "/var/lib/kubelet/pki/x.pem").reach is Reach.OUTSIDE
    assert beside(tree, "sub/admin.conf", "pki/ca.crt").node == "sub/pki/ca.crt"
    pod, c = _pod(("pki", "/etc/kubernetes/pki"),
                  volumes=(Volume("pki", "/etc/kubernetes/pki", source="hostPath"),))
    assert in_container(tree, pod, c, "/etc/kubernetes/pki/ca.crt").reach is Reach.MISSING
    assert in_container(tree, pod, c, "/etc/kubernetes/ca.crt").reach is Reach.NOT_MOUNTED
