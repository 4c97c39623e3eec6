"""certs --format prometheus and --format kubeadm-json: golden files from the bundled
sample (with one certificate removed), read back by strict parsers."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from kexplore.cli import main
from kexplore.core.conventions.files import expected_mode
from kexplore.core.report.prometheus import Breaking, connections_gauge, escape, render
from tests.conftest import NOW, Factory
from tests.promtext import FormatError, parse

SAMPLE = Path(__file__).resolve().parent.parent / "sample_etc"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
SAMPLE_NOW = "2026-11-20T09:00:00Z"
# KEXPLORE_UPDATE_GOLDEN=1 rewrites the files (after a change meant to alter the output)
UPDATE = os.environ.get("KEXPLORE_UPDATE_GOLDEN") == "1"


@pytest.fixture
def sample_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample with kubeadm's modes restored and front-proxy-client removed, reached by
    a relative path so the labels do not depend on where the checkout lives."""
    root = tmp_path / "sample_etc"
    shutil.copytree(SAMPLE, root)
    for path in root.rglob("*"):
        rule = expected_mode(path.relative_to(root).as_posix())
        if path.is_file():
            path.chmod(rule.mode if rule else 0o644)
    for name in ("front-proxy-client.crt", "front-proxy-client.key"):
        (root / "pki" / name).unlink()
    monkeypatch.chdir(tmp_path)
    return Path("sample_etc")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    return path.read_text()


def test_prometheus_matches_its_golden_file(
    sample_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(["certs", str(sample_copy), "--format", "prometheus", "--now", SAMPLE_NOW],
                     capsys)
    assert code == 0
    assert text == golden("certs.prom", text)


def test_prometheus_reads_back_strictly(
    sample_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text = run(["certs", str(sample_copy), "--format", "prometheus", "--now", SAMPLE_NOW],
                  capsys)
    metrics = parse(text)
    not_after = {s.labels["filepath"]: s for s in metrics["x509_cert_not_after"]}
    apiserver = not_after["sample_etc/pki/apiserver.crt"]
    assert apiserver.labels["subject_CN"] == "kube-apiserver"
    assert apiserver.labels["issuer_CN"] == "kubernetes"
    assert re.fullmatch(r"\d+", apiserver.labels["serial_number"])
    assert apiserver.value == datetime(2027, 11, 20, 9, tzinfo=timezone.utc).timestamp()
    kubelet = not_after["sample_etc/kubelet.conf"]
    assert (kubelet.labels["embedded_kind"], kubelet.labels["embedded_key"]) == (
        "user", "system:node:cp-1")
    assert "sample_etc/pki/front-proxy-client.crt" not in not_after
    assert [(s.labels, s.value) for s in metrics["kexplore_cert_missing"]] == [
        ({"filepath": "sample_etc/pki/front-proxy-client.crt",
          "kubeadm_name": "front-proxy-client"}, 1.0)]
    assert {s.labels["filepath"] for s in metrics["x509_cert_expired"]} == set(not_after)
    assert all(s.value == 0 for s in metrics["x509_cert_expired"])
    by_severity = {s.labels["severity"]: s.value for s in metrics["kexplore_findings"]}
    assert set(by_severity) == {"error", "warning", "info"} and by_severity["error"] >= 1
    assert [s.value for s in metrics["kexplore_scrape_error"]] == [0]


def test_an_unreadable_tree_still_writes_the_scrape_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(["certs", str(tmp_path / "absent"), "--format", "prometheus"], capsys)
    assert code == 2
    metrics = parse(text)
    assert [s.value for s in metrics["kexplore_scrape_error"]] == [1]
    assert "x509_cert_not_after" not in metrics


def test_an_expired_cert_is_one(make_tree: Factory, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_tree(faults=["cert-expired:apiserver"])
    _, text = run(["certs", str(root), "--format", "prometheus", "--now",
                   NOW.strftime("%Y-%m-%dT%H:%M:%SZ")], capsys)
    expired = {Path(s.labels["filepath"]).name: s.value
               for s in parse(text)["x509_cert_expired"]}
    assert expired.pop("apiserver.crt") == 1
    assert set(expired.values()) == {0}


def test_names_from_the_tree_are_escaped_for_the_format() -> None:
    hostile = 'a"b\\c\nd\x1b[31m'
    text = render([connections_gauge([Breaking(hostile, "ok", NOW)])])
    (sample,) = parse(text)["kexplore_connection_breaks_at"]
    assert sample.labels["connection"] == escape(hostile).encode().decode("unicode_escape")
    assert "\x1b" not in text and "\nd" not in text


def test_the_strict_parser_refuses_what_prometheus_refuses() -> None:
    good = "# HELP m h\n# TYPE m gauge\nm{a=\"1\"} 1\n"
    assert parse(good)
    for bad in (good.rstrip("\n"), good + good.split("\n", 2)[2], "m 1\n",
                good.replace('a="1"', "a=1"), good + "\n", good.replace(" 1\n", " x\n")):
        with pytest.raises(FormatError):
            parse(bad)


# --- kubeadm-json --------------------------------------------------------------------------

FIELDS = ("name", "expirationDate", "residualTime", "externallyManaged", "caName", "missing")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def check_kubeadm_entry(entry: dict[str, Any], is_ca: bool) -> None:
    """kubeadm's output.kubeadm.k8s.io/v1alpha3 Certificate, field by field and in order."""
    assert list(entry) == [f for f in FIELDS if f in entry]
    assert isinstance(entry["name"], str) and entry["name"]
    assert isinstance(entry["externallyManaged"], bool)
    assert isinstance(entry["missing"], bool)
    assert ("caName" in entry) is (not is_ca)
    if entry["missing"]:
        assert entry["expirationDate"] is None and "residualTime" not in entry
    else:
        assert RFC3339.fullmatch(entry["expirationDate"])
        assert isinstance(entry["residualTime"], int)


def test_kubeadm_json_matches_its_golden_file_and_kubeadms_shape(
    sample_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(["certs", str(sample_copy), "--format", "kubeadm-json", "--now",
                      SAMPLE_NOW], capsys)
    assert code == 0
    assert text == golden("certs.kubeadm.json", text)
    doc = json.loads(text)
    assert list(doc) == ["kind", "apiVersion", "certificates", "certificateAuthorities"]
    assert (doc["kind"], doc["apiVersion"]) == ("CertificateExpirationInfo",
                                                "output.kubeadm.k8s.io/v1alpha3")
    for entry in doc["certificates"]:
        check_kubeadm_entry(entry, is_ca=False)
    for entry in doc["certificateAuthorities"]:
        check_kubeadm_entry(entry, is_ca=True)
    names = [e["name"] for e in doc["certificates"]]
    assert names == sorted(names) and "kubelet.conf" not in names
    assert {e["name"] for e in doc["certificateAuthorities"]} == {
        "ca", "etcd-ca", "front-proxy-ca"}
    missing = [e for e in doc["certificates"] if e["missing"]]
    assert missing == [{"name": "front-proxy-client", "expirationDate": None,
                        "externallyManaged": False, "caName": "front-proxy-ca",
                        "missing": True}]
    apiserver = next(e for e in doc["certificates"] if e["name"] == "apiserver")
    assert apiserver["residualTime"] == 365 * 86400
