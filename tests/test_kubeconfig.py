"""Kubeconfigs: entries decoded, broken ones recorded per entry, files resolved, secrets hidden."""

from __future__ import annotations

import json
import os
from pathlib import Path

import corpus as c  # tests/ is on sys.path (not a package), as for conftest
import pytest
import yaml

from kexplore.core import pki
from kexplore.core.pki import DecodeError
from kexplore.core.read import crypto
from kexplore.core.read.read_kubeconfig import decode_kubeconfig, redacted_yaml


def test_embedded_kubeconfig() -> None:
    info = decode_kubeconfig(c.kubeconfig())
    cluster, user, ctx = info.clusters[0], info.users[0], info.current()
    assert (cluster.name, cluster.server, cluster.ca_source) == (
        "kubernetes", "https://192.168.1.10:6443", "data")
    assert cluster.ca[0].subject_cn == "kubernetes" and cluster.errors == ()
    assert user.cert is not None and user.cert.subject_cn == "kubernetes-admin"
    assert user.client_key is not None and user.client_key.type == "ECDSA"
    assert pki.key_matches(user.client_key, user.cert)
    assert ctx is not None and (ctx.cluster, ctx.user) == ("kubernetes", "kubernetes-admin")
    assert info.all_problems() == ()
    assert crypto.find_issuer(user.cert, cluster.ca) == cluster.ca[0]


def test_json_kubeconfig() -> None:
    doc = yaml.safe_load(c.kubeconfig())
    info = decode_kubeconfig(json.dumps(doc, indent="\t").encode())
    assert info.users[0].cert is not None


def test_broken_entries_do_not_sink_the_file() -> None:
    info = decode_kubeconfig(c.kubeconfig(cert_data="%%% nope", ca_data="bm90IGEgY2VydA=="))
    assert "client-certificate-data is not valid base64" in info.users[0].errors
    assert info.users[0].client_key is not None  # the key still decodes
    assert any("certificate-authority-data" in e for e in info.clusters[0].errors)
    assert info.clusters[0].server  # the rest of the entry is intact


def test_dangling_references() -> None:
    info = decode_kubeconfig(c.kubeconfig(context={"cluster": "gone", "user": "ghost"},
                                          current="nowhere"))
    assert info.contexts[0].errors == ("cluster 'gone' is not defined in this file",
                                       "user 'ghost' is not defined in this file")
    assert "current-context 'nowhere' names no context in this file" in info.problems
    assert len(info.all_problems()) == 3


def test_wrong_shapes() -> None:
    for data, message in ((b"- 1\n", "not a kubeconfig"), (b"a: 1\n", "not a kubeconfig"),
                          (b"", "empty document"), (c.ALIAS_BOMB, "alias")):
        with pytest.raises(DecodeError, match=message):
            decode_kubeconfig(data)
    info = decode_kubeconfig(b"kind: Config\nclusters: 3\nusers: [1, {name: x}]\n")
    assert info.problems == ("clusters is not a list", "users[0] is not a mapping",
                             "users[1] (x) has no user mapping")


def _paths_kubeconfig(cert: str, key: str, ca: str) -> bytes:
    return c.kubeconfig(
        user={"client-certificate": cert, "client-key": key},
        cluster={"certificate-authority": ca, "server": "https://x:6443"},
    )


def test_referenced_files_inside_are_read_and_outside_never_opened(tmp_path: Path) -> None:
    p = c.small_pki()
    root, outside = tmp_path / "root", tmp_path / "var-lib-kubelet"
    (root / "pki").mkdir(parents=True)
    outside.mkdir()
    (root / "pki" / "ca.crt").write_bytes(c.cert_pem(p.ca))
    (root / "pki" / "pair.pem").write_bytes(c.cert_pem(p.leaf) + c.key_pem(p.leaf_key))
    # kubelet's rotated pair outside the tree: not the tree's, so not opened
    (outside / "kubelet-client-2026.pem").write_bytes(c.cert_pem(p.leaf) + c.key_pem(p.leaf_key))
    os.symlink("kubelet-client-2026.pem", outside / "kubelet-client-current.pem")
    current = str(outside / "kubelet-client-current.pem")
    info = decode_kubeconfig(_paths_kubeconfig(current, current, "/etc/kubernetes/pki/ca.crt"),
                             source_dir=root, tree_root=root)
    user, cluster = info.users[0], info.clusters[0]
    assert cluster.ca[0].subject_cn == "kubernetes" and cluster.ca_source == "file"
    assert user.cert is None and user.client_key is None and user.errors == ()
    assert user.notes == (f"{current}: outside the tree; not opened, not checked",)
    assert info.references == ("pki/ca.crt",) and info.outside_references == (current,)

    # inside the tree, one file for both (as kubelet.conf names it), and relative paths
    # resolve against the kubeconfig's folder
    info = decode_kubeconfig(_paths_kubeconfig("pki/pair.pem", "pki/pair.pem", "pki/ca.crt"),
                             source_dir=root, tree_root=root)
    user = info.users[0]
    assert user.cert is not None and user.client_key is not None
    assert pki.key_matches(user.client_key, user.cert)
    assert info.clusters[0].ca and info.references == ("pki/ca.crt", "pki/pair.pem")
    assert user.errors == () and user.notes == ()

    # a link in the tree that leads out of it is not followed either
    os.symlink(current, root / "pki" / "escape.pem")
    info = decode_kubeconfig(_paths_kubeconfig("pki/escape.pem", "pki/escape.pem", "pki/ca.crt"),
                             source_dir=root, tree_root=root)
    assert info.users[0].cert is None and info.users[0].errors == ()
    assert "a link leads there" in info.users[0].notes[0]


def test_unreadable_references_are_errors_inside_and_notes_outside(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.pem")
    data = _paths_kubeconfig("/nonexistent/kubelet-client-current.pem",
                             "fifo.pem", "/etc/kubernetes/pki/ca.crt")
    info = decode_kubeconfig(data, source_dir=tmp_path, tree_root=tmp_path)
    user, cluster = info.users[0], info.clusters[0]
    assert user.notes == ("/nonexistent/kubelet-client-current.pem: outside the tree; "
                          "not opened, not checked",)
    assert any("not a regular file (a FIFO)" in e for e in user.errors)
    assert cluster.errors[0].startswith("/etc/kubernetes/pki/ca.crt: file not found")
    # without a tree nothing is read, and that is said
    info = decode_kubeconfig(data)
    assert any("not read" in n for n in info.clusters[0].notes)


def test_redaction() -> None:
    data = c.kubeconfig()
    key_b64 = yaml.safe_load(data)["users"][0]["user"]["client-key-data"]
    text = redacted_yaml(data)
    assert key_b64 not in text and "client-key-data: REDACTED" in text
    assert yaml.safe_load(text)["users"][0]["user"]["client-certificate-data"]
    doc = yaml.safe_load(data)
    doc["users"][0]["user"].update(token="abc.def", password="pw")
    as_json = json.dumps(doc, indent=2).encode()
    red = redacted_yaml(as_json)
    assert key_b64 not in red and "abc.def" not in red and '"pw"' not in red
    # JSON in, YAML out: the redacted text is re-emitted from the parsed document
    assert yaml.safe_load(red)["users"][0]["user"]["token"] == "REDACTED"
    block = b"users:\n- name: u\n  user:\n    client-key-data: |\n      AAAA\n      BBBB\n" \
            b"    token: >-\n      secret\n    username: bob\n"
    red = redacted_yaml(block)
    assert "AAAA" not in red and "BBBB" not in red and "secret" not in red and "bob" in red
    assert yaml.safe_load(red)["users"][0]["user"]["client-key-data"] == "REDACTED"
    pem_inline = b"# -----BEGIN PRIVATE KEY-----\n# MIIEv\n# -----END PRIVATE KEY-----\n"
    assert "MIIEv" not in redacted_yaml(pem_inline)
