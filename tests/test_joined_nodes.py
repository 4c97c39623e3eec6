"""A joined control-plane node's kubelet.conf, in both forms real nodes have: the one the
kubelet's TLS bootstrap writes (default-* names, the rotated pair named outside the tree)
and kubeadm's embedded one (an init node, or credentials provisioned by hand). Each must
be judged right: no false finding, and its expiry and the kubelet's link still judged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from conftest import FAST, NOW
from hasets import ENDPOINT

from kexplore.core.check import check_tree
from kexplore.core.expiry import expiry_rows
from kexplore.core.faults import parse_fault
from kexplore.core.generate_ha import generate_ha
from kexplore.core.infer import infer
from kexplore.core.model import Finding
from kexplore.core.node_files import read_node_files, sources_for
from kexplore.core.params import ClusterParams, Version
from kexplore.core.plane import Status, build_plane
from kexplore.core.read.scan import scan

CLIENT = "/var/lib/kubelet/pki/kubelet-client-current.pem"
LINK = "kubelet->kube-apiserver"


def ha_params(minor: int = 35) -> ClusterParams:
    return ClusterParams(key_algorithm=FAST.key_algorithm, control_plane_endpoint=ENDPOINT,
                         kubernetes_version=Version(1, minor, 0))


def node_roots(root: Path, params: ClusterParams, faults: Sequence[str] = ()) -> list[Path]:
    written = generate_ha(root, params, 2, NOW, [parse_fault(f) for f in faults],
                          node_root=True)
    return [root / name for name in written]


def judged(node_root: Path) -> tuple[list[Finding], object, dict[str, object]]:
    """The findings, the kubelet's link and the expiry rows of one node root."""
    tree = scan(node_root / "etc/kubernetes")
    sources = sources_for(tree.root, node_root=node_root)
    node = read_node_files(tree, sources)
    findings = list(check_tree(tree, NOW, node_files=node).findings)
    link = build_plane(tree, NOW, node=node).relation(LINK)
    rows = {r.name: r for r in expiry_rows(tree, NOW, node)}
    return findings, link, rows


def kubelet_conf(tree: Path) -> dict[str, object]:
    doc: dict[str, object] = yaml.safe_load((tree / "kubelet.conf").read_text())
    return doc


@pytest.mark.parametrize(("minor", "server"), [
    (28, f"https://{ENDPOINT}"),  # the bootstrap kubeconfig's discovery endpoint
    (32, f"https://{ENDPOINT}"),
    (33, "https://192.168.1.11:6443"),  # ControlPlaneKubeletLocalMode, on by default
    (37, "https://192.168.1.11:6443"),
])
def test_a_joined_tree_holds_the_bootstrapped_kubelet_conf_and_is_clean(
    tmp_path: Path, minor: int, server: str
) -> None:
    params = ha_params(minor)
    first, joined = (tmp_path / n for n in generate_ha(tmp_path, params, 2, NOW))
    doc = kubelet_conf(joined)
    assert doc["current-context"] == "default-context"
    assert doc["clusters"][0]["cluster"]["server"] == server  # type: ignore[index]
    assert doc["users"] == [{"name": "default-auth", "user": {
        "client-certificate": CLIENT, "client-key": CLIENT}}]
    assert "client-certificate-data" in (first / "kubelet.conf").read_text()
    for tree in (first, joined):
        assert check_tree(scan(tree), NOW).findings == ()
    assert infer(scan(joined)).joined_node and not infer(scan(first)).joined_node


def test_joined_node_roots_judge_the_rotated_pair_and_the_kubelet_link(
    tmp_path: Path
) -> None:
    for node_root in node_roots(tmp_path, ha_params()):
        findings, link, rows = judged(node_root)
        assert findings == []
        assert link is not None and link.status is Status.OK  # type: ignore[attr-defined]
        assert rows[CLIENT].residual_seconds > 0  # type: ignore[attr-defined]


def test_an_expired_rotated_cert_on_a_joined_node_is_one_error(tmp_path: Path) -> None:
    _, joined = node_roots(tmp_path, ha_params(), ["kubelet-client-expired"])
    findings, link, rows = judged(joined)
    assert {(f.rule, f.severity.value, f.path, f.pointer) for f in findings} == {
        ("kubelet-client-expired", "error", CLIENT, "")}
    assert link is not None and link.status is Status.BROKEN  # type: ignore[attr-defined]
    assert rows[CLIENT].residual_seconds < 0  # type: ignore[attr-defined]


def test_an_embedded_kubelet_conf_on_a_joined_node_is_judged_too(tmp_path: Path) -> None:
    """Credentials provisioned by hand (`kubeadm kubeconfig user --org system:nodes`) are
    embedded: beside a rotated cert that is the embedded-cert trap, and nothing else."""
    _, joined = node_roots(tmp_path, ha_params(), ["kubelet-client-embedded"])
    assert "client-certificate-data" in (joined / "etc/kubernetes/kubelet.conf").read_text()
    findings, link, rows = judged(joined)
    assert {(f.rule, f.severity.value, f.path, f.pointer) for f in findings} == {
        ("kubelet-client-embedded", "warning", "kubelet.conf", "user system:node:cp-2")}
    assert link is not None and link.status is Status.OK  # type: ignore[attr-defined]
    assert rows["kubelet.conf"].residual_seconds > 0  # type: ignore[attr-defined]


def test_a_fault_in_kubelet_conf_survives_the_kubelet_s_rewrite(tmp_path: Path) -> None:
    """kubelet-finalize (an init node root) and a join's bootstrap rewrite kubelet.conf;
    a fault planted there stays as planted instead of vanishing."""
    _, joined = node_roots(tmp_path, ha_params(), ["kubeconfig-file-missing"])
    findings, _, _ = judged(joined)
    assert ("kubeconfig-file-missing", "kubelet.conf", "user system:node:cp-2") in {
        (f.rule, f.path, f.pointer) for f in findings}
