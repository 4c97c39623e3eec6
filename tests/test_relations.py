"""Chains and key pairings, as the explorer shows them, computed by the core."""

from __future__ import annotations

from conftest import Factory

from kexplore.core.pki import KeyInfo, PublicKeyInfo
from kexplore.core.read.scan import scan
from kexplore.core.relations import chain, key_path_for, pairings


def test_a_leaf_chains_to_its_self_signed_ca_with_every_link_verified(make_tree: Factory) -> None:
    tree = scan(make_tree())
    leaf = tree.get("pki/etcd/peer.crt").content[0]
    links = chain(tree, leaf)
    assert [(link.path, link.verified) for link in links] == [("pki/etcd/ca.crt", True)]
    assert links[0].self_signed_root


def test_a_cert_signed_by_an_impostor_ca_shows_an_unverified_link(make_tree: Factory) -> None:
    tree = scan(make_tree(faults=["cert-chain"]))
    [link] = chain(tree, tree.get("pki/apiserver.crt").content[0])
    assert link.path == "pki/ca.crt" and link.verified is False


def test_a_missing_issuer_ends_the_chain_by_name(writable_tree) -> None:
    root = writable_tree()
    (root / "pki/front-proxy-ca.crt").unlink()
    tree = scan(root)
    [link] = chain(tree, tree.get("pki/front-proxy-client.crt").content[0])
    assert link.issuer is None and link.issuer_name == "CN=front-proxy-ca"


def test_keys_pair_with_their_certificates_and_halves(make_tree: Factory) -> None:
    tree = scan(make_tree())
    key = tree.get("pki/apiserver.key").content
    assert isinstance(key, KeyInfo)
    assert [p.path for p in pairings(tree, key)] == ["pki/apiserver.crt"]
    sa = tree.get("pki/sa.key").content
    assert [p.path for p in pairings(tree, sa)] == ["pki/sa.pub"]
    pub = tree.get("pki/sa.pub").content
    assert isinstance(pub, PublicKeyInfo)
    assert [p.path for p in pairings(tree, pub)] == ["pki/sa.key"]


def test_a_mismatched_key_pairs_with_nothing(make_tree: Factory) -> None:
    tree = scan(make_tree(faults=["key-mismatch"]))
    assert pairings(tree, tree.get("pki/apiserver.key").content) == []


def test_key_paths_follow_kubeadm_layout() -> None:
    assert key_path_for("pki/etcd/server.crt") == "pki/etcd/server.key"
    assert key_path_for("tmp/backup/client.pem") == "tmp/backup/client.key"
    assert key_path_for("admin.conf") is None
