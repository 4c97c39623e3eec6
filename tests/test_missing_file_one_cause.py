"""One missing file of kubeadm's is one finding: it counts the flags that name it and the
certificates it would verify, instead of a manifest-file-missing per flag and a cert-chain
per certificate it signed."""

from __future__ import annotations

import pytest
from conftest import NOW

from kexplore.core.check import check_tree
from kexplore.core.read.scan import scan


@pytest.mark.parametrize(("path", "tail"), [
    ("pki/ca.crt", "; 4 flags in manifests/kube-apiserver.yaml, "
     "manifests/kube-controller-manager.yaml name it; 7 certificates it signed cannot be "
     "verified"),
    ("pki/etcd/ca.crt", "; 3 flags in manifests/etcd.yaml, manifests/kube-apiserver.yaml "
     "name it; 4 certificates it signed cannot be verified"),
    ("pki/apiserver-kubelet-client.crt", "; 1 flag in manifests/kube-apiserver.yaml names it"),
])
def test_a_missing_file_is_one_finding_that_counts_what_needs_it(
    writable_tree, path: str, tail: str,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree()
    (root / path).unlink()
    findings = check_tree(scan(root), NOW).findings
    assert [(f.rule, f.severity.value, f.path, f.pointer) for f in findings] == [
        ("file-missing", "error", path, "")]
    assert findings[0].message == (
        f"{path} is not there; kubeadm writes it on every control-plane node{tail}")
