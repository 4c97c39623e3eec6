"""A CA replaced under the certificates it issued is one finding on the CA, naming what it
strands and where the CA that signed them still is; `openssl verify` agrees."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import peers  # tests/ is on sys.path (not a package), as for conftest and treeshape
import pytest
import yaml
from conftest import FAST, NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.model import Finding
from kexplore.core.read.scan import scan


def findings(root: Path) -> list[Finding]:
    return list(check_tree(scan(root), NOW).findings)


def test_the_cluster_ca_replaced_is_one_finding_that_points_at_the_old_ca(
    make_tree: Factory,
) -> None:
    found = findings(make_tree(faults=["ca-replaced"]))
    assert [(f.rule, f.severity.value, f.path) for f in found] == [
        ("ca-replaced", "error", "pki/ca.crt")]
    message = found[0].message
    assert message.startswith("did not sign any of the 7 certificates that name CN=kubernetes "
                              "as their issuer (pki/apiserver-kubelet-client.crt, ")
    assert "and 3 more)" in message
    assert "x509: certificate signed by unknown authority" in message
    # the kubeconfigs kept the CA that issued everything: the way back
    assert message.endswith("the CA that did sign them is in admin.conf (cluster kubernetes's "
                            "certificate-authority-data)")


def test_a_backup_holding_the_old_ca_is_named_first(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    backup = root / "tmp/kubeadm-backup-certs-2026-11-01-10-00-00/pki-backup"
    backup.mkdir(parents=True)
    shutil.copy(root / "pki/ca.crt", backup / "ca.crt")
    replaced = with_another_trees_ca(root)
    assert replaced.endswith("the CA that did sign them is in "
                             "tmp/kubeadm-backup-certs-2026-11-01-10-00-00/pki-backup/ca.crt")


def with_another_trees_ca(root: Path) -> str:
    """Put another tree's CA (same name, other key) in root's pki/: the one finding's text."""
    from kexplore.core.generate import generate_tree

    other = root.parent / "other"
    generate_tree(other, FAST, NOW)
    for name in ("ca.crt", "ca.key"):
        shutil.copy(other / "pki" / name, root / "pki" / name)
    found = findings(root)
    assert [(f.rule, f.path) for f in found] == [("ca-replaced", "pki/ca.crt")]
    return found[0].message


def test_one_certificate_from_elsewhere_is_its_own_chain_finding(make_tree: Factory) -> None:
    """One leaf that does not chain says nothing of its CA: the leaf is what changed."""
    assert [(f.rule, f.path) for f in findings(make_tree(faults=["cert-chain"]))] == [
        ("cert-chain", "pki/apiserver.crt")]


@pytest.mark.peer
def test_openssl_refuses_the_leaves_with_the_new_ca_and_takes_them_with_the_old(
    make_tree: Factory, tmp_path: Path
) -> None:
    openssl = peers.require_binary("openssl")
    root = make_tree(faults=["ca-replaced"])
    admin = yaml.safe_load((root / "admin.conf").read_text())
    old_ca = tmp_path / "old-ca.crt"
    old_ca.write_bytes(base64.b64decode(
        admin["clusters"][0]["cluster"]["certificate-authority-data"]))
    for leaf in ("apiserver.crt", "apiserver-kubelet-client.crt"):
        for ca, accepted in ((root / "pki/ca.crt", False), (old_ca, True)):
            proc = peers.run([openssl, "verify", "-no-CApath", "-no-CAstore", "-CAfile", ca,
                              root / "pki" / leaf])
            assert (proc.returncode == 0) == accepted, proc.stdout + proc.stderr

