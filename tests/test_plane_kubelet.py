"""The plane's kubelet: the API server → kubelet link judged with the kubelet's own
config.yaml (its clientCAFile, its serving certificate when the API server verifies it),
the kubelet component's settings, and `check`, `connections` and the explorer's outline
agreeing on it, on generated node roots with one fault each."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import peers
import pytest
import test_node_files
import yaml
from conftest import FAST, NOW, Factory
from test_node_files import CLIENT_CA, CONFIG, NodeFactory, found, node_check
from test_peer_connections import openssl_verify

from kexplore.cli import main
from kexplore.core.check import check_tree
from kexplore.core.conventions.certs import SERVER_AUTH, SANs
from kexplore.core.conventions.versions import SUPPORTED_MINORS
from kexplore.core.generate import CertPlan, cert_pem, issue, key_pem, new_key
from kexplore.core.generate_node import _cluster_ca
from kexplore.core.node_files import NodeFiles, read_node_files, sources_for
from kexplore.core.params import ClusterParams, KeyAlgorithm, Version
from kexplore.core.pki import CertInfo
from kexplore.core.plane import Relation, Status, build_plane
from kexplore.core.plane_outline import outline
from kexplore.core.read.scan import scan

LINK = "kube-apiserver->kubelet"
AT = NOW.isoformat()
MANIFEST = "manifests/kube-apiserver.yaml"
BOOTSTRAPPED = "/var/lib/kubelet/pki/kubelet-server-current.pem"
make_node_root = test_node_files.make_node_root  # the session's node roots, shared


def _link(root: Path, node: NodeFiles | None) -> Relation:
    link = build_plane(scan(root / "etc/kubernetes"), NOW, node=node).relation(LINK)
    assert link is not None
    return link


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("minor", SUPPORTED_MINORS)
def test_clean_node_roots_of_every_version_keep_the_link_ok(
    make_node_root: NodeFactory, minor: int
) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256,
                           kubernetes_version=Version(1, minor, 0))
    root = make_node_root(params)
    findings, node = node_check(root)
    assert findings == []
    assert _link(root, node).status is Status.OK
    assert _link(root, None).status is Status.OK  # the assumption holds for kubeadm's tree


def test_check_connections_and_the_outline_agree_on_the_kubelet_link(
    make_node_root: NodeFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_node_root(faults=["kubelet-client-ca-file:other-ca"])
    tree = str(root / "etc/kubernetes")
    code, out = _run(["connections", tree, "--node-root", str(root), "--now", AT,
                      "--format", "json"], capsys)
    assert code == 1
    (broken,) = [c for c in json.loads(out)["connections"] if c["status"] == "broken"]
    assert broken["id"] == LINK
    assert broken["anchor"] == {"path": CONFIG, "pointer": CLIENT_CA}
    assert broken["client_ca"]["reach"] == "in the tree"
    code, out = _run(["check", tree, "--node-root", str(root), "--now", AT, "--format",
                      "json"], capsys)
    assert code == 1
    assert [(f["rule"], f["path"], f["pointer"]) for f in json.loads(out)["findings"]] == [
        ("connection-ca", CONFIG, CLIENT_CA)]
    _, node = node_check(root)
    line = outline(build_plane(scan(root / "etc/kubernetes"), NOW, node=node)).link(LINK)
    assert line is not None and line.status == "broken" and line.opens == CONFIG
    # without the node's files: kubeadm's default CA, said to be assumed, and it holds
    code, out = _run(["connections", tree, "--no-node-files", "--now", AT, "--format",
                      "json"], capsys)
    assert code == 0
    link = next(c for c in json.loads(out)["connections"] if c["id"] == LINK)
    assert link["status"] == "ok" and "assumed" in link["notes"][0]


def test_the_kubelet_component_carries_its_config(
    make_node_root: NodeFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_node_root(faults=["kubelet-static-pod-path"])
    _, out = _run(["connections", str(root / "etc/kubernetes"), "--node-root", str(root),
                   "--now", AT, "--format", "json"], capsys)
    (kubelet,) = [c for c in json.loads(out)["components"] if c["name"] == "kubelet"]
    assert kubelet["settings"] == {
        "client certificate": "/var/lib/kubelet/pki/kubelet-client-current.pem",
        "config.yaml": CONFIG,
        CLIENT_CA: "/etc/kubernetes/pki/ca.crt",
        "tlsCertFile": "not set (the kubelet's default)",
        "tlsPrivateKeyFile": "not set (the kubelet's default)",
        "rotateCertificates": "true",
        "serverTLSBootstrap": "not set (the kubelet's default)",
        "staticPodPath": "/etc/kubernetes/manifests2",
    }
    assert any("runs none of the tree's static pods" in n for n in kubelet["notes"])
    (finding,), _ = node_check(root)
    assert finding.message.startswith(
        "staticPodPath is /etc/kubernetes/manifests2, not /etc/kubernetes/manifests: the "
        "kubelet runs none of the tree's 4 static pods (manifests/etcd.yaml, ")
    _, out = _run(["connections", str(root / "etc/kubernetes"), "--no-node-files", "--now",
                   AT, "--format", "json"], capsys)
    (kubelet,) = [c for c in json.loads(out)["components"] if c["name"] == "kubelet"]
    assert kubelet["settings"][CLIENT_CA] == ("/etc/kubernetes/pki/ca.crt (assumed: "
                                              "kubeadm's default)")


# --- the serving side: --kubelet-certificate-authority ------------------------------------


def _verifying_node(
    source: Path, tmp: Path, *, sans: SANs, address_types: str = "",
    usages: tuple[str, ...] = (SERVER_AUTH,), node_ip: str | None = "192.168.1.10",
) -> Path:
    """A node root whose API server verifies kubelets with pki/ca.crt, and whose kubelet
    serves a certificate from that CA (serverTLSBootstrap), with these SANs; its
    kubeadm-flags.env sets --node-ip (none: no such file)."""
    root = tmp / "node"
    shutil.copytree(source, root, symlinks=True)
    if node_ip is not None:
        _kubelet_flags(root, f"--node-ip={node_ip}" if node_ip else "")
    tree = root / "etc/kubernetes"
    manifest = tree / MANIFEST
    doc = yaml.safe_load(manifest.read_text())
    command = doc["spec"]["containers"][0]["command"]
    command.append("--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt")
    if address_types:
        command[:] = [c for c in command if not c.startswith("--kubelet-preferred-address")]
        command.append(f"--kubelet-preferred-address-types={address_types}")
    manifest.write_text(yaml.safe_dump(doc))
    config = root / CONFIG.lstrip("/")
    kubelet = yaml.safe_load(config.read_text())
    kubelet["serverTLSBootstrap"] = True
    config.write_text(yaml.safe_dump(kubelet))
    ca = _cluster_ca(tree)
    key = new_key(KeyAlgorithm.ECDSA_P256)
    plan = CertPlan("system:node:cp-1", ("system:nodes",), sans, usages, False,
                    NOW - timedelta(hours=1), NOW + timedelta(days=365))
    (root / BOOTSTRAPPED.lstrip("/")).write_bytes(cert_pem(issue(plan, key, ca)) + key_pem(key))
    return root


def _kubelet_flags(root: Path, *flags: str) -> None:
    """kubeadm-flags.env as kubeadm writes it, with these flags too."""
    words = ["--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
             "--pod-infra-container-image=registry.k8s.io/pause:3.10", *filter(None, flags)]
    (root / "var/lib/kubelet/kubeadm-flags.env").write_text(
        f'KUBELET_KUBEADM_ARGS="{" ".join(words)}"\n')


def test_a_ca_signed_serving_cert_is_verified_and_holds(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = _verifying_node(make_node_root(), tmp_path,
                           sans=SANs(dns=("cp-1",), ips=("192.168.1.10",)))
    findings, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.OK, link.reason
    assert link.server_cert is not None and link.server_cert.path == BOOTSTRAPPED
    assert link.server_error == "" and link.server_ca is not None
    assert link.breaks_at == NOW + timedelta(days=365)  # the serving cert is on the link now
    # only the flag itself differs from kubeadm's (a customisation)
    assert found(findings) == {("manifest-flag", MANIFEST, "--kubelet-certificate-authority")}


def test_a_serving_cert_without_the_node_name_breaks_logs_and_exec(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """The API server dials the Node's Hostname first here: the cert must name cp-1."""
    root = _verifying_node(make_node_root(), tmp_path, sans=SANs(dns=("other",)),
                           address_types="Hostname,InternalIP,ExternalIP")
    findings, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.BROKEN
    assert "x509: certificate is valid for other, not cp-1" in (link.server_error or "")
    assert ("connection-server-name", MANIFEST, "--kubelet-preferred-address-types") in \
        found(findings)


def test_without_node_files_the_serving_side_is_unknown(make_node_root: NodeFactory) -> None:
    root = make_node_root(faults=["kubelet-serving-ca"])
    link = _link(root, None)
    assert link.status is Status.UNKNOWN and "--node-root DIR" in link.reason
    clean = _link(make_node_root(), None)
    assert "does not verify the kubelets' serving certificates" in " ".join(clean.notes)


# --- a real peer: openssl verify with the kubelet's clientCAFile ----------------------------


def _pem_of(certs: object, path: Path) -> Path:
    path.write_text("".join(c.pem() for c in (certs if isinstance(certs, tuple) else ())
                            if isinstance(c, CertInfo)))
    return path


@pytest.mark.peer
@pytest.mark.parametrize("fault", ["", "kubelet-client-ca-file:other-ca"])
def test_openssl_verify_with_the_client_ca_file_agrees(
    make_node_root: NodeFactory, tmp_path: Path, fault: str
) -> None:
    """`openssl verify -CAfile <clientCAFile> -purpose sslclient apiserver-kubelet-client.crt`,
    with the file config.yaml names, read from the node root as the kubelet reads it."""
    peers.require_binary("openssl")
    root = make_node_root(faults=[fault] if fault else [])
    _, node = node_check(root)
    link = _link(root, node)
    assert node.kubelet is not None and link.client_cert is not None
    ca_file = root / node.kubelet.client_ca_file.lstrip("/")
    cert = _pem_of(link.client_cert.content, tmp_path / "client.crt")
    agrees = openssl_verify(cert, ca_file, "sslclient", NOW, "")
    assert agrees == (link.client_error == "")
    assert agrees == (link.status is Status.OK) == (not fault)



# --- the kubelet's own client link, through the files kubelet.conf names -------------------


@pytest.mark.parametrize(("fault", "status"), [
    ("", Status.OK), ("kubelet-client-ca", Status.BROKEN),
    ("kubelet-client-expired", Status.BROKEN), ("kubelet-client-symlink", Status.BROKEN)])
def test_the_kubelet_link_reads_the_rotated_cert_kubelet_conf_names(
    make_node_root: NodeFactory, fault: str, status: Status
) -> None:
    """With the node's files, kubelet.conf's kubelet-client-current.pem is checked like any
    client cert (each fault keeps its one finding: see test_node_files); without, unknown."""
    root = make_node_root(faults=[fault] if fault else [])
    _, node = node_check(root)
    plane = build_plane(scan(root / "etc/kubernetes"), NOW, node=node)
    link = plane.relation("kubelet->kube-apiserver")
    assert link is not None and link.status is status, link.reason
    assert link.client_cert is not None and link.client_cert.reach.value == "on the node"
    unread = build_plane(scan(root / "etc/kubernetes"), NOW).relation("kubelet->kube-apiserver")
    assert unread is not None and unread.status is Status.UNKNOWN


KUBELET_CLIENT_FAULTS = ["cert-expired", "cert-not-yet-valid", "cert-chain", "key-mismatch",
                         "cert-usage", "parse-error"]


@pytest.mark.parametrize("fault", KUBELET_CLIENT_FAULTS)
def test_a_fault_of_the_kubelet_client_cert_is_told_once_with_node_files_too(
    make_node_root: NodeFactory, make_tree: Factory, fault: str
) -> None:
    """The kubelet link now checks apiserver-kubelet-client.crt against config.yaml's CA:
    the certificate's own rule still names each fault, alone, as without node files."""
    target = f"{fault}:apiserver-kubelet-client"
    findings, _ = node_check(make_node_root(faults=[target]))
    alone = check_tree(scan(make_tree(FAST, faults=[target])), NOW).findings
    assert found(findings) == found(list(alone))
    assert len(findings) == 1 and findings[0].rule == fault


def test_a_config_yaml_not_looked_for_means_the_default_assumption(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """Only a kubeconfig copy named: config.yaml is not at hand, so kubeadm's default CA is
    assumed and said to be; a config.yaml of another kind is unknown, never a guess."""
    root = make_node_root()
    tree = scan(root / "etc/kubernetes")
    sources = sources_for(tree.root, kubeconfigs=[root / "root/.kube/config"])
    assert sources is not None
    link = _link(root, read_node_files(tree, sources))
    assert link.status is Status.OK and "assumed" in link.notes[0]
    copy = tmp_path / "node"
    shutil.copytree(root, copy, symlinks=True)
    (copy / CONFIG.lstrip("/")).write_text("kind: KubeProxyConfiguration\n")
    _, node = node_check(copy)
    link = _link(copy, node)
    assert link.status is Status.UNKNOWN
    assert "is kind 'KubeProxyConfiguration', not KubeletConfiguration" in link.reason


@pytest.mark.peer
@pytest.mark.parametrize("sans", [SANs(dns=("cp-1",)), SANs(dns=("other",))])
def test_openssl_verify_of_the_serving_cert_agrees(
    make_node_root: NodeFactory, tmp_path: Path, sans: SANs
) -> None:
    """`openssl verify -CAfile <--kubelet-certificate-authority> -purpose sslserver
    -verify_hostname <node>` on the kubelet's serving cert agrees with the link's verdict."""
    peers.require_binary("openssl")
    root = _verifying_node(make_node_root(), tmp_path, sans=sans,
                           address_types="Hostname,InternalIP,ExternalIP")
    _, node = node_check(root)
    link = _link(root, node)
    assert link.server_cert is not None and link.server_error is not None
    cert = _pem_of(link.server_cert.content, tmp_path / "serving.crt")
    ca = root / "etc/kubernetes/pki/ca.crt"
    agrees = openssl_verify(cert, ca, "sslserver", NOW, "cp-1")
    assert agrees == (link.server_error == "") == (sans.dns == ("cp-1",))


def test_a_hostile_client_ca_file_name_reaches_no_terminal_raw(
    make_node_root: NodeFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "node"
    shutil.copytree(make_node_root(), root, symlinks=True)
    config = root / CONFIG.lstrip("/")
    text = config.read_text()
    assert "clientCAFile: /etc/kubernetes/pki/ca.crt" in text
    config.write_text(text.replace("clientCAFile: /etc/kubernetes/pki/ca.crt",
                                   'clientCAFile: "/etc/kubernetes/pki/\\e[2Jca.crt"'))
    tree = str(root / "etc/kubernetes")
    outputs = []
    for args in (["connections", tree], ["connections", tree, "--format", "json"],
                 ["check", tree], ["check", tree, "--format", "json"]):
        code, out = _run([*args, "--node-root", str(root), "--now", AT], capsys)
        assert code == 1
        outputs.append(out)
    assert all("\x1b" not in out for out in outputs)
    assert any("\\x1b[2Jca.crt" in out for out in outputs)


# --- one verdict on the kubelet's serving cert, and the API server's files through its mounts


def test_the_planes_link_owns_the_serving_ca_verdict(make_node_root: NodeFactory) -> None:
    """kubelet-serving-ca is the plane's: one cause on the kubelet's serving cert, from its
    API server → kubelet link (the node-file rules no longer verify the chain again)."""
    from kexplore.core.checks.connections import PLANE_RULES
    from kexplore.core.checks.node_files import RULES

    root = make_node_root(faults=["kubelet-serving-ca"])
    _, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.BROKEN
    assert [(c.rule, c.path, c.pointer) for c in link.causes] == [
        ("kubelet-serving-ca", test_node_files.SERVING, "")]
    assert link.causes[0].message.startswith(
        f"the kubelet's serving certificate {test_node_files.SERVING} is self-signed, but the "
        "API server verifies kubelets with pki/ca.crt (--kubelet-certificate-authority of "
        f"{MANIFEST})")
    assert "kubelet-serving-ca" in PLANE_RULES
    finding = next(f for f in node_check(root)[0] if f.rule == "kubelet-serving-ca")
    assert "breaks kube-apiserver → kubelet" in finding.message
    assert "x509: certificate signed by unknown authority" in finding.message
    # the node-file rules say nothing of it: the chain is the plane's verdict
    assert {f.rule for r in RULES for f in r(_context(root, node))} == set()


def _context(root: Path, node: NodeFiles):  # type: ignore[no-untyped-def]
    from kexplore.core.checks.context import Context
    from kexplore.core.infer import infer

    tree = scan(root / "etc/kubernetes")
    return Context(tree=tree, now=NOW, warn_days=30, inferred=infer(tree), node=node)


def _pki_mounted_at(source: Path, tmp: Path, folder: str) -> Path:
    """A copy whose API server sees the host's /etc/kubernetes/pki at `folder`, every flag
    naming it there: the same files, through another mountPath."""
    root = tmp / "node"
    shutil.copytree(source, root, symlinks=True)
    manifest = root / "etc/kubernetes" / MANIFEST
    doc = yaml.safe_load(manifest.read_text())
    container = doc["spec"]["containers"][0]
    container["command"] = [c.replace("/etc/kubernetes/pki", folder)
                            for c in container["command"]]
    for mount in container["volumeMounts"]:
        if mount["mountPath"] == "/etc/kubernetes/pki":
            mount["mountPath"] = folder
    manifest.write_text(yaml.safe_dump(doc))
    return root


@pytest.mark.parametrize(("fault", "rule"), [("kubelet-client-ca", "kubelet-client-ca"),
                                             ("kubelet-serving-ca", "kubelet-serving-ca")])
def test_the_api_servers_cas_are_read_through_its_mounts(
    make_node_root: NodeFactory, tmp_path: Path, fault: str, rule: str
) -> None:
    """--client-ca-file=/certs/ca.crt with the pki hostPath mounted at /certs is the tree's
    pki/ca.crt: the kubelet's client cert and its serving cert are held against it."""
    root = _pki_mounted_at(make_node_root(faults=[fault]), tmp_path, "/certs")
    findings, _ = node_check(root)
    on = test_node_files.CLIENT if rule == "kubelet-client-ca" else test_node_files.SERVING
    assert (rule, on, "") in found(findings)
    assert not any(f.rule == "connection-ca" for f in findings)



# --- the address the API server dials: the first preferred type the Node has ---------------


def test_the_serving_cert_is_checked_for_the_internal_ip_kubeadm_makes_it_dial(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """kubeadm's InternalIP,ExternalIP,Hostname: the API server dials the Node's InternalIP
    (the kubelet's --node-ip), so that IP must be a SAN; cp-1 alone does not do."""
    root = _verifying_node(make_node_root(), tmp_path, sans=SANs(dns=("cp-1",)))
    findings, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.BROKEN
    assert link.server_error == ("x509: cannot validate certificate for 192.168.1.10 because "
                                 "it doesn't contain any IP SANs")
    assert ("connection-server-name", MANIFEST, "--kubelet-preferred-address-types") in \
        found(findings)


@pytest.mark.parametrize(("node_ip", "why"), [
    (None, "/var/lib/kubelet/kubeadm-flags.env is not there"),
    ("", "/var/lib/kubelet/kubeadm-flags.env sets no --node-ip"),
])
def test_an_internal_ip_the_files_do_not_hold_leaves_the_name_unknown(
    make_node_root: NodeFactory, tmp_path: Path, node_ip: str | None, why: str
) -> None:
    root = _verifying_node(make_node_root(), tmp_path, sans=SANs(dns=("cp-1",)),
                           node_ip=node_ip)
    findings, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.UNKNOWN
    assert link.reason == (
        f"the API server dials this Node's InternalIP: the files do not hold it ({why}: the "
        "kubelet takes the host's own address); "
        f"{BOOTSTRAPPED} names cp-1")
    assert found(findings) == {("manifest-flag", MANIFEST, "--kubelet-certificate-authority")}


def test_a_cloud_type_first_is_skipped_without_a_cloud_provider_and_unknown_with_one(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    """ExternalIP first: a kubelet without a cloud provider reports none, so the API server
    dials the next type the Node has (Hostname here); with --cloud-provider the files
    cannot say whether the provider set one."""
    root = _verifying_node(make_node_root(), tmp_path, sans=SANs(dns=("other",)),
                           address_types="ExternalIP,Hostname,InternalIP")
    _, node = node_check(root)
    assert "x509: certificate is valid for other, not cp-1" in (
        _link(root, node).server_error or "")
    _kubelet_flags(root, "--node-ip=192.168.1.10", "--cloud-provider=external")
    _, node = node_check(root)
    link = _link(root, node)
    assert link.status is Status.UNKNOWN
    assert link.reason.startswith("the API server dials this Node's ExternalIP: only a cloud "
                                  "provider sets an ExternalIP, and the files cannot say")


@pytest.mark.peer
@pytest.mark.parametrize("sans", [SANs(dns=("cp-1",)), SANs(dns=("cp-1",), ips=("192.168.1.10",))],
                         ids=["name only", "with the node IP"])
def test_openssl_verify_with_the_dialled_internal_ip_agrees(
    make_node_root: NodeFactory, tmp_path: Path, sans: SANs
) -> None:
    """`openssl verify -CAfile pki/ca.crt -purpose sslserver -verify_ip <--node-ip>` on the
    kubelet's serving cert, the check the API server makes when it dials the InternalIP."""
    peers.require_binary("openssl")
    root = _verifying_node(make_node_root(), tmp_path, sans=sans)
    _, node = node_check(root)
    link = _link(root, node)
    assert link.server_cert is not None
    leaf = _pem_of(link.server_cert.content[:1], tmp_path / "serving.crt")
    agrees = openssl_verify(leaf, root / "etc/kubernetes/pki/ca.crt", "sslserver", NOW,
                            "192.168.1.10")
    assert agrees == (link.server_error == "") == bool(sans.ips)


def test_hostname_first_dials_the_hostname_override_when_the_kubelet_has_one(
    make_node_root: NodeFactory, tmp_path: Path
) -> None:
    root = _verifying_node(make_node_root(), tmp_path, sans=SANs(dns=("cp-1",)),
                           address_types="Hostname,InternalIP")
    _kubelet_flags(root, "--hostname-override=cp-1.example")
    _, node = node_check(root)
    assert _link(root, node).server_error == (
        "x509: certificate is valid for cp-1, not cp-1.example")


def test_kubeadm_flags_env_is_read_as_the_systemd_unit_hands_it_over() -> None:
    from kexplore.core.node_files import kubelet_flags

    assert kubelet_flags(
        b'# written by kubeadm\nKUBELET_KUBEADM_ARGS="--node-ip=10.0.0.5,fd00::5 '
        b'--cloud-provider=external --node-ip=10.0.0.6"\nOTHER="--node-ip=9.9.9.9"\n'
    ) == {"node-ip": "10.0.0.6", "cloud-provider": "external"}
    assert kubelet_flags(b"KUBELET_KUBEADM_ARGS='--node-ip=10.0.0.5\n") == {
        "node-ip": "10.0.0.5"}  # an unclosed quote is read word by word
    assert kubelet_flags(b"\xff\xfe garbage") == {}
