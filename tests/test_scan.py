"""The scan: one node per entry, kinds by place and content, rescans that reuse."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest

from kexplore.core import pki
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Kind
from kexplore.core.paths import map_to_root
from kexplore.core.read import crypto
from kexplore.core.read.scan import Link, display_path, expected_kind, follow, rescan, scan

PKI_FILES = {
    "pki/ca", "pki/apiserver", "pki/apiserver-kubelet-client", "pki/front-proxy-ca",
    "pki/front-proxy-client", "pki/apiserver-etcd-client", "pki/etcd/ca", "pki/etcd/server",
    "pki/etcd/peer", "pki/etcd/healthcheck-client",
}
KUBECONFIGS = {"admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf",
               "scheduler.conf"}
MANIFESTS = {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}


def test_generated_tree_decodes_cleanly(make_tree: Callable[..., Path]) -> None:
    root = make_tree()
    tree = scan(root)
    expected = {f"{base}.crt": Kind.CERTIFICATE for base in PKI_FILES}
    expected |= {f"{base}.key": Kind.PRIVATE_KEY for base in PKI_FILES}
    expected |= {"pki/sa.key": Kind.PRIVATE_KEY, "pki/sa.pub": Kind.PUBLIC_KEY}
    expected |= dict.fromkeys(KUBECONFIGS, Kind.KUBECONFIG)
    expected |= {f"manifests/{m}.yaml": Kind.MANIFEST for m in MANIFESTS}
    expected |= dict.fromkeys(("pki", "pki/etcd", "manifests"), Kind.DIRECTORY)
    for path, kind in expected.items():
        node = tree.get(path)
        assert node is not None, path
        assert (node.kind, node.error) == (kind, ""), path
        assert node.content is not None or kind is Kind.DIRECTORY, path
    for node in tree:
        assert node.error == "", (node.path, node.error)

    certs = {n.path: n.content[0] for n in tree.of_kind(Kind.CERTIFICATE)}
    keys = {n.path: n.content for n in tree.of_kind(Kind.PRIVATE_KEY)}
    cas = [certs[f"{p}.crt"] for p in ("pki/ca", "pki/front-proxy-ca", "pki/etcd/ca")]
    for base in PKI_FILES:
        cert = certs[f"{base}.crt"]
        assert pki.key_matches(keys[f"{base}.key"], cert), base
        issuer = crypto.find_issuer(cert, cas)
        assert issuer is not None and crypto.verify_signature(cert, issuer), base
    sa_pub = tree.get("pki/sa.pub")
    assert sa_pub is not None and pki.public_key_matches(keys["pki/sa.key"], sa_pub.content)

    for name in KUBECONFIGS:
        info = tree.nodes[name].content
        assert isinstance(info, KubeconfigInfo) and info.all_problems() == (), name
        user = info.user(info.current().user)  # type: ignore[union-attr]
        if user is not None and user.cert is not None and user.client_key is not None:
            assert pki.key_matches(user.client_key, user.cert), name

    api = tree.nodes["manifests/kube-apiserver.yaml"].content
    assert isinstance(api, ManifestInfo) and api.name == "kube-apiserver"
    for ref in api.file_paths():
        mapped = map_to_root(ref.path, root)
        if mapped is not None and ref.flag != "data-dir":
            rel = mapped.relative_to(root).as_posix()
            assert rel in tree.nodes, ref


def test_nodes_carry_stat_and_relative_posix_paths(tmp_path: Path) -> None:
    (tmp_path / "pki" / "etcd").mkdir(parents=True)
    (tmp_path / "pki" / "etcd" / "ca.crt").write_bytes(c.cert_pem(c.small_pki().ca))
    os.chmod(tmp_path / "pki" / "etcd" / "ca.crt", 0o640)
    tree = scan(tmp_path)
    assert list(tree.nodes) == ["pki", "pki/etcd", "pki/etcd/ca.crt"]
    node = tree.nodes["pki/etcd/ca.crt"]
    st = os.stat(tmp_path / "pki" / "etcd" / "ca.crt")
    assert (node.mode, node.size, node.inode, node.mtime_ns, node.uid) == (
        0o640, st.st_size, st.st_ino, st.st_mtime_ns, st.st_uid)
    assert node.name == "ca.crt" and node.parent == "pki/etcd"
    assert tree.root == tmp_path


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("admin.conf", Kind.KUBECONFIG),
        ("pki/x.conf", None),
        ("manifests/kube-apiserver.yaml", Kind.MANIFEST),
        ("manifests/kube-apiserver.yaml.bak", Kind.MANIFEST),
        ("manifests/.kube-apiserver.yaml.swp", None),
        ("tmp/kubeadm-backup-manifests-2025-01-15-10-00-00/etcd.yaml", Kind.MANIFEST),
        ("tmp/kubeadm-backup-etcd-2025-01-15-10-00-00/member/snap/db", None),
        ("pki/ca.CRT", Kind.CERTIFICATE),
        ("pki/sa.pub", Kind.PUBLIC_KEY),
        ("pki/x.csr", Kind.CSR),
        ("pki/kubelet.pem", None),
    ],
)
def test_expected_kind_by_place(path: str, kind: Kind | None) -> None:
    assert expected_kind(path) is kind


def test_content_decides_when_the_name_does_not(tmp_path: Path) -> None:
    p = c.small_pki()
    (tmp_path / "a.pem").write_bytes(c.cert_pem(p.leaf) + c.key_pem(p.leaf_key))
    (tmp_path / "b.pem").write_bytes(c.key_pem(p.leaf_key))
    (tmp_path / "c.der").write_bytes(c.key_der(p.leaf_key))
    (tmp_path / "pod.yaml").write_bytes(c.pod())
    (tmp_path / "kc").write_bytes(c.kubeconfig())
    (tmp_path / "config.yaml").write_bytes(b"kind: KubeletConfiguration\n")
    tree = scan(tmp_path)
    kinds = {n.path: n.kind for n in tree}
    assert kinds == {"a.pem": Kind.CERTIFICATE, "b.pem": Kind.PRIVATE_KEY,
                     "c.der": Kind.PRIVATE_KEY, "pod.yaml": Kind.MANIFEST,
                     "kc": Kind.KUBECONFIG, "config.yaml": Kind.OTHER}
    assert all(n.error == "" for n in tree)
    # the kubelet's combined PEM: the cert is the content, the key still decodes from it
    assert tree.nodes["a.pem"].content[0].subject_cn == "kubernetes-admin"


def test_a_link_to_a_file_inside_the_root_reads_as_that_file(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca-2026.crt").write_bytes(c.cert_pem(c.small_pki().ca))
    os.chmod(tmp_path / "pki" / "ca-2026.crt", 0o640)
    os.symlink("ca-2026.crt", tmp_path / "pki" / "ca.crt")
    os.symlink("pki", tmp_path / "pki-link")
    tree = scan(tmp_path)
    link, target = tree.nodes["pki/ca.crt"], tree.nodes["pki/ca-2026.crt"]
    assert link.kind is Kind.CERTIFICATE and link.error == ""
    assert link.link_target == "ca-2026.crt" and link.reads_as == "pki/ca-2026.crt"
    assert link.content == target.content and link.content[0].subject_cn == "kubernetes"
    assert link.mode == 0o640 and link.inode == target.inode  # the target's stat: what matters
    assert follow(tree, link) is link
    # a link to a folder is shown, never descended into: the folder is scanned once
    assert tree.nodes["pki-link"].kind is Kind.SYMLINK
    assert tree.nodes["pki-link"].content == Link("pki", "pki", True)
    assert not any(p.startswith("pki-link/") for p in tree.nodes)


def test_a_link_is_read_through_again_when_it_is_pointed_elsewhere(tmp_path: Path) -> None:
    pki = c.small_pki()
    (tmp_path / "old.crt").write_bytes(c.cert_pem(pki.ca))
    (tmp_path / "new.crt").write_bytes(c.cert_pem(pki.leaf))
    os.symlink("old.crt", tmp_path / "ca.crt")
    first = scan(tmp_path)
    os.remove(tmp_path / "ca.crt")
    os.symlink("new.crt", tmp_path / "ca.crt")
    again = rescan(first)
    assert again.nodes["ca.crt"].reads_as == "new.crt"
    assert again.nodes["ca.crt"].content == again.nodes["new.crt"].content


def test_rescan_reuses_unchanged_and_rereads_changed(tmp_path: Path) -> None:
    p = c.small_pki()
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_bytes(c.cert_pem(p.ca))
    (tmp_path / "pki" / "a.key").write_bytes(c.key_pem(p.leaf_key))
    (tmp_path / "gone.crt").write_bytes(c.cert_pem(p.ca))
    (tmp_path / "scheduler.conf").write_bytes(c.kubeconfig(
        cluster={"certificate-authority": "/etc/kubernetes/pki/ca.crt", "server": "https://x"}))
    first = scan(tmp_path)
    assert first.nodes["scheduler.conf"].content.clusters[0].ca[0].subject_cn == "kubernetes"

    (tmp_path / "gone.crt").unlink()
    (tmp_path / "new.key").write_bytes(c.key_pem(c.ec_key(3)))
    other_ca = c.make_cert("other-ca", c.ec_key(4), ca=True)
    (tmp_path / "pki" / "ca.crt").write_bytes(c.cert_pem(other_ca) + b"\n")  # size changes
    second = rescan(first)

    assert second.nodes["pki/a.key"] is first.nodes["pki/a.key"]
    assert "gone.crt" not in second.nodes and "new.key" in second.nodes
    assert second.nodes["pki/ca.crt"].content[0].subject_cn == "other-ca"
    # the kubeconfig itself did not change, but the CA file it names did
    kc = second.nodes["scheduler.conf"].content
    assert kc.clusters[0].ca[0].subject_cn == "other-ca"

    os.chmod(tmp_path / "pki" / "a.key", 0o600)
    third = rescan(second)
    assert third.nodes["pki/a.key"] is not second.nodes["pki/a.key"]
    assert third.nodes["pki/a.key"].mode == 0o600


def test_display_path_escapes_odd_names() -> None:
    assert display_path("odd/new\nline.crt") == "odd/new\\nline.crt"
    assert display_path("odd/" + os.fsdecode(b"caf\xe9.crt")) == "odd/caf\\xe9.crt"
    assert display_path("pki/[x].yaml") == "pki/[x].yaml"
    assert display_path("pki/café.crt") == "pki/café.crt"


def test_root_that_is_not_a_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        scan(tmp_path / "file")


def test_root_given_as_a_symlink_is_followed_once(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "ca.crt").write_bytes(c.cert_pem(c.small_pki().ca))
    os.symlink("real", tmp_path / "link")
    tree = scan(tmp_path / "link")
    assert tree.nodes["ca.crt"].kind is Kind.CERTIFICATE and tree.root == tmp_path / "link"


def test_a_link_reads_its_target_under_its_own_name_and_folder(tmp_path: Path) -> None:
    p = c.small_pki()
    (tmp_path / "pki").mkdir()
    (tmp_path / "store").mkdir()
    (tmp_path / "pki" / "ca.crt").write_bytes(c.cert_pem(p.ca))
    (tmp_path / "store" / "apiserver").write_bytes(b"")  # no name that promises a kind
    os.symlink("../store/apiserver", tmp_path / "pki" / "apiserver.crt")
    # relative paths in a kubeconfig start where it is opened: the link's folder
    (tmp_path / "store" / "k.conf").write_bytes(
        c.kubeconfig(cluster={"certificate-authority": "pki/ca.crt", "server": "https://x:6443"})
    )
    os.symlink("store/k.conf", tmp_path / "admin.conf")
    tree = scan(tmp_path)
    assert tree.nodes["store/apiserver"].kind is Kind.OTHER
    assert tree.nodes["store/apiserver"].error == ""
    link = tree.nodes["pki/apiserver.crt"]
    assert (link.kind, link.error) == (Kind.CERTIFICATE, "empty file")
    via_link, in_store = tree.nodes["admin.conf"].content, tree.nodes["store/k.conf"].content
    assert via_link.clusters[0].ca[0].subject_cn == "kubernetes"
    assert via_link.references == ("pki/ca.crt",) and via_link.all_problems() == ()
    assert in_store.clusters[0].ca == () and in_store.all_problems()


def test_a_file_moved_over_its_link_is_read_again(tmp_path: Path) -> None:
    pki = c.small_pki()
    (tmp_path / "ca-2026.crt").write_bytes(c.cert_pem(pki.ca))
    os.symlink("ca-2026.crt", tmp_path / "ca.crt")
    first = scan(tmp_path)
    os.replace(tmp_path / "ca-2026.crt", tmp_path / "ca.crt")  # same inode, size and mtime
    again = rescan(first)
    assert set(again.nodes) == {"ca.crt"}
    assert again.nodes["ca.crt"].reads_as == "" and again.nodes["ca.crt"].link_target == ""
