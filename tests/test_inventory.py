"""inventory: one node's tree as secret-free JSON, checked against the tree it describes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from kexplore.cli import main
from kexplore.core.check import check_tree
from kexplore.core.inventory import (
    SCHEMA,
    InventoryError,
    build_inventory,
    inventory_json,
    load_inventory,
)
from kexplore.core.params import ClusterParams, KeyAlgorithm
from kexplore.core.read.scan import scan
from tests.conftest import FAST, NOW, Factory

WINDOW = 16


def inventory_doc(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["inventory", str(root), "--format", "json", "--now", "2026-11-01T09:00:00Z"]) == 0
    return json.loads(capsys.readouterr().out)


def private_keys(root: Path) -> list[bytes]:
    """Every private key in the tree as DER: key files and kubeconfigs' client-key-data."""
    pems = [p.read_bytes() for p in root.rglob("*.key")]
    for conf in root.glob("*.conf"):
        for user in yaml.safe_load(conf.read_text())["users"]:
            pems.append(base64.b64decode(user["user"]["client-key-data"]))
    return [
        serialization.load_pem_private_key(pem, None).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        for pem in pems
    ] + [
        serialization.load_pem_private_key(pem, None).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption())
        for pem in pems
    ]


def leaks(text: str, der: bytes) -> bool:
    """Whether any 16 characters of the key's base64 (at each byte alignment) or hex occur."""
    seen = {text[i:i + WINDOW] for i in range(len(text) - WINDOW + 1)}
    for start in range(3):
        b64 = base64.b64encode(der[start:]).decode()
        if any(b64[i:i + WINDOW] in seen for i in range(len(b64) - WINDOW + 1)):
            return True
    hexed = der.hex()
    return any(hexed[i:i + WINDOW] in seen for i in range(0, len(hexed) - WINDOW + 1, 2))


@pytest.mark.parametrize("algorithm", [KeyAlgorithm.ECDSA_P256, KeyAlgorithm.RSA_2048])
def test_no_private_key_bytes_or_base64_of_them(
    make_tree: Factory, capsys: pytest.CaptureFixture[str], algorithm: KeyAlgorithm
) -> None:
    root = make_tree(ClusterParams(key_algorithm=algorithm))
    text = json.dumps(inventory_doc(root, capsys))
    keys = private_keys(root)
    assert len(keys) == 2 * (len(list(root.rglob("*.key"))) + len(list(root.glob("*.conf"))))
    for der in keys:
        assert not leaks(text, der)
    # the detector itself finds a key that is there, however it is cut
    assert leaks(text + base64.b64encode(keys[0][7:40]).decode(), keys[0])


def test_it_describes_every_certificate_key_and_manifest(
    make_tree: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(FAST)
    doc = inventory_doc(root, capsys)
    assert (doc["schema"], doc["kexplore"], doc["node"], doc["role"]) == (
        SCHEMA, "0.1.0", "cp-1", "init")
    certs = {(c["path"], c["pointer"]): c for c in doc["certificates"]}
    for crt in root.rglob("*.crt"):
        entry = certs[(crt.relative_to(root).as_posix(), "")]
        der = base64.b64decode("".join(crt.read_text().splitlines()[1:-1]))
        assert entry["sha256"].replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    apiserver = certs[("pki/apiserver.crt", "")]
    assert "192.168.1.10" in apiserver["ipAddresses"] and "kubernetes" in apiserver["dnsNames"]
    assert apiserver["issuerCN"] == "kubernetes" and apiserver["notAfter"] == "2027-11-01T09:00:00Z"
    assert ("kubelet.conf", "user system:node:cp-1") in certs
    keys = {(k["path"], k["pointer"]): k for k in doc["keys"]}
    assert keys[("pki/apiserver.key", "")]["publicKeySha256"] == apiserver["publicKeySha256"]
    assert keys[("pki/sa.pub", "")]["kind"] == "public"
    assert keys[("pki/sa.pub", "")]["publicKeySha256"] == keys[("pki/sa.key", "")][
        "publicKeySha256"]
    manifests = {m["path"]: m for m in doc["manifests"]}
    assert set(manifests) == {f"manifests/{n}.yaml" for n in (
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")}
    for path, entry in manifests.items():
        assert entry["sha256"] == hashlib.sha256((root / path).read_bytes()).hexdigest()
    flags = {f["name"]: f["value"] for f in manifests["manifests/kube-scheduler.yaml"][
        "containers"][0]["flags"]}
    assert flags["leader-elect"] == "true"
    assert {p["name"] for p in doc["parameters"]} >= {"node_name", "kubernetes_version",
                                                       "service_subnet", "advertise_address"}
    assert doc["findings"] == [] and doc["summary"] == {"error": 0, "warning": 0, "info": 0}


def test_it_carries_the_findings_and_redacts_secret_flags(
    writable_tree: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = writable_tree(FAST, ["cert-expired"])
    manifest = root / "manifests" / "kube-apiserver.yaml"
    text = manifest.read_text()
    secret = "    - --oidc-client-secret=hunter2hunter2"
    manifest.write_text(text.replace("    - --allow-privileged=true",
                                     f"    - --allow-privileged=true\n{secret}"))
    doc = inventory_doc(root, capsys)
    assert "hunter2hunter2" not in json.dumps(doc)
    flags = dict((f["name"], f["value"]) for f in next(
        m for m in doc["manifests"] if m["path"] == "manifests/kube-apiserver.yaml"
    )["containers"][0]["flags"])
    assert flags["oidc-client-secret"] == "REDACTED"
    rules = {(f["rule"], f["path"]) for f in doc["findings"]}
    assert ("cert-expired", "pki/apiserver.crt") in rules


def test_it_loads_back_as_it_was_written(make_tree: Factory) -> None:
    tree = scan(make_tree(FAST))
    inventory = build_inventory(tree, NOW, check_tree(tree, NOW))
    assert load_inventory(inventory_json(inventory)) == inventory


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"schema": "kexplore.inventory/v0"}',
                                  '{"schema": "kexplore.inventory/v1", "root": 1}',
                                  '{"schema": "kexplore.inventory/v1", "now": "x", "root": "/"}'])
def test_anything_else_is_refused_in_plain_words(text: str) -> None:
    with pytest.raises(InventoryError):
        load_inventory(text)
