"""Flags real clusters carry beside kubeadm's, read as the components read them."""

from __future__ import annotations

import yaml
from conftest import NOW

from kexplore.core.check import check_tree
from kexplore.core.read.scan import scan

APISERVER = "manifests/kube-apiserver.yaml"


def test_a_second_service_account_key_during_a_rotation_is_a_customisation(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    """--service-account-key-file is a list flag: given twice, the API server verifies
    tokens with both keys, kubeadm's sa.pub among them."""
    root = writable_tree()
    pod = yaml.safe_load((root / APISERVER).read_text())
    pod["spec"]["containers"][0]["command"].append(
        "--service-account-key-file=/etc/kubernetes/pki/sa-old.pub")
    (root / APISERVER).write_text(yaml.safe_dump(pod))
    (root / "pki/sa-old.pub").write_bytes((root / "pki/sa.pub").read_bytes())
    (root / "pki/sa-old.pub").chmod(0o600)
    assert [(f.rule, f.severity.value, f.path, f.pointer) for f in
            check_tree(scan(root), NOW).findings] == [
        ("manifest-flag", "info", APISERVER, "--service-account-key-file")]
