"""A flag's file is found through the pod's own mounts, never by kubeadm's default paths."""

from __future__ import annotations

from pathlib import Path

import yaml

from kexplore.core.flagfiles import file_named
from kexplore.core.manifest import decode_manifest
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
    assert file_named(tree, manifest, container, "/etc/kubernetes/pki/ca.crt") == "pki/ca.crt"
    # --tls-sni-cert-key's "cert,key:domains" and comma lists
    assert file_named(tree, manifest, container,
                      "/nowhere/x.crt,/etc/kubernetes/pki/apiserver.crt:a.example"
                      ) == "pki/apiserver.crt"
    assert file_named(tree, manifest, container, "/etc/kubernetes/pki/absent.crt") is None
    assert file_named(tree, manifest, container, "true") is None
    assert file_named(tree, manifest, container, None) is None


def test_a_moved_mount_is_followed_and_an_unmounted_path_names_nothing(make_tree) -> None:  # type: ignore[no-untyped-def]
    root = make_tree()
    tree = scan(root)

    def move_certs(doc: dict) -> None:  # type: ignore[type-arg]
        for mount in doc["spec"]["containers"][0]["volumeMounts"]:
            if mount["mountPath"] == "/etc/kubernetes/pki":
                mount["mountPath"] = "/srv/certs"

    manifest, container = _apiserver(root, move_certs)
    assert file_named(tree, manifest, container, "/srv/certs/front-proxy-ca.crt") == (
        "pki/front-proxy-ca.crt")
    # the container no longer sees /etc/kubernetes/pki: that path names no file of the node
    assert file_named(tree, manifest, container, "/etc/kubernetes/pki/ca.crt") is None


def test_a_kubeconfig_path_is_read_relative_to_the_kubeconfig(make_tree) -> None:  # type: ignore[no-untyped-def]
    from kexplore.core.flagfiles import node_file

    tree = scan(make_tree())
    assert node_file(tree, "pki/ca.crt", "admin.conf") == "pki/ca.crt"
    assert node_file(tree, "ca.crt", "pki/etcd/peer.crt") == "pki/etcd/ca.crt"
    assert node_file(tree, "/etc/kubernetes/pki/ca.crt") == "pki/ca.crt"
    assert node_file(tree, "../etc/passwd", "admin.conf") is None
    assert node_file(tree, "/var/lib/kubelet/pki/kubelet-client-current.pem") is None
    assert node_file(tree, "") is None
