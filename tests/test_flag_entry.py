"""The explorer's flag → file: found through the pod's own mounts (the plane's one mapping),
never by kubeadm's default paths."""

from __future__ import annotations

from pathlib import Path

import yaml

from kexplore.core.plane.mounts import entry_beside, flag_entry
from kexplore.core.read.read_pod import decode_manifest
from kexplore.core.read.scan import scan


def _apiserver(root: Path, edit=None):  # type: ignore[no-untyped-def]
    path = root / "manifests/kube-apiserver.yaml"
    doc = yaml.safe_load(path.read_text())
    if edit is not None:
        edit(doc)
    manifest = decode_manifest(yaml.safe_dump(doc).encode())
    container = manifest.container()
    assert container is not None
    return manifest, container


def test_a_flag_names_the_file_its_mount_reaches(make_tree) -> None:  # type: ignore[no-untyped-def]
    root = make_tree()
    tree = scan(root)
    manifest, container = _apiserver(root)
    assert flag_entry(tree, manifest, container, "/etc/kubernetes/pki/ca.crt") == "pki/ca.crt"
    # --tls-sni-cert-key's "cert,key:domains" and comma lists
    assert flag_entry(tree, manifest, container,
                      "/nowhere/x.crt,/etc/kubernetes/pki/apiserver.crt:a.example"
                      ) == "pki/apiserver.crt"
    assert flag_entry(tree, manifest, container, "/etc/kubernetes/pki/absent.crt") is None
    assert flag_entry(tree, manifest, container, "true") is None
    assert flag_entry(tree, manifest, container, None) is None


def test_a_moved_mount_is_followed_and_an_unmounted_path_names_nothing(make_tree) -> None:  # type: ignore[no-untyped-def]
    root = make_tree()
    tree = scan(root)

    def move_certs(doc: dict) -> None:  # type: ignore[type-arg]
        for mount in doc["spec"]["containers"][0]["volumeMounts"]:
            if mount["mountPath"] == "/etc/kubernetes/pki":
                mount["mountPath"] = "/srv/certs"

    manifest, container = _apiserver(root, move_certs)
    assert flag_entry(tree, manifest, container, "/srv/certs/front-proxy-ca.crt") == (
        "pki/front-proxy-ca.crt")
    # the container no longer sees /etc/kubernetes/pki: that path names no file of the node
    assert flag_entry(tree, manifest, container, "/etc/kubernetes/pki/ca.crt") is None


def test_a_kubeconfig_path_is_read_relative_to_the_kubeconfig(make_tree) -> None:  # type: ignore[no-untyped-def]
    tree = scan(make_tree())
    assert entry_beside(tree, "admin.conf", "pki/ca.crt") == "pki/ca.crt"
    assert entry_beside(tree, "pki/etcd/peer.crt", "ca.crt") == "pki/etcd/ca.crt"
    assert entry_beside(tree, "", "/etc/kubernetes/pki/ca.crt") == "pki/ca.crt"
    assert entry_beside(tree, "admin.conf", "../etc/passwd") is None
    assert entry_beside(tree, "", "/var/lib/kubelet/pki/kubelet-client-current.pem") is None
    assert entry_beside(tree, "", "") is None
    # a hostPath names a folder: the explorer opens it
    assert entry_beside(tree, "", "/etc/kubernetes/pki") == "pki"
