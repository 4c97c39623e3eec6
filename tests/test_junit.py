"""JUnit XML: valid, shaped like kube-bench's, one testcase per check or finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import Factory

from kexplore.core.cis import cis_findings, evaluate_cis
from kexplore.core.cis_data import CHECKS, SECTIONS
from kexplore.core.model import Finding, Severity
from kexplore.core.read.scan import scan
from kexplore.core.report.junit import to_junit


def parse(text: str) -> ET.Element:
    assert text.startswith("<?xml")
    return ET.fromstring(text.encode("utf-8"))


def suites(doc: ET.Element) -> dict[str, ET.Element]:
    return {s.get("name", ""): s for s in doc.findall("testsuite")}


def test_a_suite_per_cis_section_and_a_case_per_check(make_tree: Factory) -> None:
    root = make_tree()
    results = evaluate_cis(scan(root))
    doc = parse(to_junit([], results, root))
    by_name = suites(doc)
    assert list(by_name) == [f"cis-1.12 {s.id} {s.title}" for s in SECTIONS]
    cases = doc.findall("testsuite/testcase")
    assert len(cases) == len(CHECKS) == int(doc.get("tests", "0"))
    api = by_name["cis-1.12 1.2 API Server"]
    assert api.get("tests") == "30"
    fails = sum(r.result == "fail" for r in results if r.section == "1.2")
    assert api.get("failures") == str(fails)
    first = cases[0]
    assert first.get("name", "").startswith("1.1.1 Ensure that the API server pod specification")
    assert first.get("name", "").endswith("(Automated)")
    assert first.get("classname") == "cis.1.1"


def test_fails_are_failures_and_manual_or_not_applicable_are_skipped(make_tree: Factory) -> None:
    root = make_tree()
    results = {r.id: r for r in evaluate_cis(scan(root))}
    doc = parse(to_junit([], tuple(results.values()), root))
    cases = {c.get("name", "").split(" ", 1)[0]: c for c in doc.iter("testcase")}
    for check_id, r in results.items():
        case = cases[check_id]
        failure, skipped = case.find("failure"), case.find("skipped")
        assert (failure is not None) == (r.result == "fail"), check_id
        assert (skipped is not None) == (r.result in ("manual", "not-applicable")), check_id
    failure = cases["1.2.15"].find("failure")
    assert failure is not None
    assert failure.get("type") == "cis-1.2.15"
    assert failure.get("message") == results["1.2.15"].reason
    assert "--profiling=false" in (failure.text or "")
    skipped = cases["1.1.12"].find("skipped")
    assert skipped is not None and "not applicable from files" in skipped.get("message", "")
    assert doc.get("skipped") == str(sum(r.result in ("manual", "not-applicable")
                                         for r in results.values()))


def test_findings_get_a_suite_per_profile_without_repeating_cis(make_tree: Factory) -> None:
    root = make_tree()
    results = evaluate_cis(scan(root))
    findings = [
        Finding("file-mode", Severity.ERROR, "pki/ca.key", "pki/ca.key is 0644; expected 0600",
                fix="chmod 600 /etc/kubernetes/pki/ca.key"),
        Finding("cert-expiring", Severity.INFO, "pki/apiserver.crt", "expires in 200 days"),
        *cis_findings(results),
    ]
    doc = parse(to_junit(findings, results, root, profiles=("kubeadm",)))
    by_name = suites(doc)
    kubeadm = by_name["kexplore kubeadm"]
    assert [c.get("name") for c in kubeadm.findall("testcase")] == [
        "file-mode pki/ca.key", "cert-expiring pki/apiserver.crt"]
    assert kubeadm.get("failures") == "1"
    assert "kexplore cis" not in by_name  # the sections already carry every CIS check
    assert len(doc.findall("testsuite/testcase")) == len(CHECKS) + 2


def test_cis_findings_alone_become_their_own_suite() -> None:
    finding = Finding("cis-1.2.15", Severity.WARNING, "manifests/kube-apiserver.yaml",
                      "--profiling is not set", pointer="--profiling", profile="cis")
    doc = parse(to_junit([finding], (), "/etc/kubernetes"))
    assert list(suites(doc)) == ["kexplore cis"]


def test_a_profile_with_nothing_found_shows_one_passing_case() -> None:
    doc = parse(to_junit([], (), Path("/etc/kubernetes"), profiles=("kubeadm",)))
    (suite,) = doc.findall("testsuite")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "kubeadm: no findings"
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")


def test_characters_xml_cannot_hold_are_escaped() -> None:
    # a file name with an undecodable byte, a message with a control character
    finding = Finding("parse-error", Severity.ERROR, "pki/\udcffodd.crt", "bad\x01byte")
    text = to_junit([finding], (), "/tmp/\udcfe")
    doc = parse(text)
    case = doc.find("testsuite/testcase")
    assert case is not None and case.get("name") == "parse-error pki/\\xffodd.crt"
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "bad\\x01byte"
