"""An empty file where kubeadm keeps a key holds no secret: it is no file-mode finding and
no key for CIS, whatever its mode; the one finding is what it breaks, its pair."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOW

from kexplore.core.check import check_tree
from kexplore.core.cis import evaluate_cis
from kexplore.core.read.scan import scan


def emptied(root: Path, path: str, mode: int = 0o644) -> Path:
    (root / path).write_bytes(b"")
    (root / path).chmod(mode)
    return root


@pytest.mark.parametrize(("path", "says"), [
    ("pki/front-proxy-client.key",
     "empty file: the private key of pki/front-proxy-client.crt is gone, so the pair is "
     "broken; kube-apiserver (--proxy-client-key-file) cannot load it and does not start"),
    ("pki/sa.key",
     "empty file: the private key of pki/sa.pub is gone, so the pair is broken; "
     "kube-apiserver (--service-account-signing-key-file) and kube-controller-manager "
     "(--service-account-private-key-file) cannot load it and do not start"),
])
def test_an_empty_key_is_one_finding_its_broken_pair(writable_tree, path: str,  # type: ignore[no-untyped-def]
                                                    says: str) -> None:
    root = emptied(writable_tree(), path)
    findings = check_tree(scan(root), NOW).findings
    assert [(f.rule, f.severity.value, f.path, f.pointer, f.message) for f in findings] == [
        ("parse-error", "error", path, "", says)]


def test_an_empty_key_is_no_key_for_cis(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    before = {r.id: r for r in evaluate_cis(scan(root))}
    emptied(root, "pki/front-proxy-client.key")
    after = {r.id: r for r in evaluate_cis(scan(root))}
    assert after["1.1.21"].result == before["1.1.21"].result == "pass"
    assert "all 10 private keys" in after["1.1.21"].reason  # one fewer than kubeadm's 11
