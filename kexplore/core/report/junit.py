"""Findings and CIS results as JUnit XML, the format CI systems already know how to show.

Shaped like kube-bench's `--junit`: one <testsuite> per CIS section, a <testcase> per check,
<failure> for a failed check and <skipped> for a manual or not-applicable one. Findings of
the other profiles (kubeadm conventions) have no "passed" counterpart, so each profile is a
suite with a testcase per finding, plus one passing testcase when it found nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path

from kexplore.core.cis import FAIL, MANUAL, NOT_APPLICABLE, PASS, PROFILE, CisResult
from kexplore.core.cis_data import BENCHMARK, SECTION_TITLES
from kexplore.core.model import Finding, Severity
from kexplore.core.secrets import shown_lines


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters at all, nor lone surrogates (which is
    # how Python keeps a file name's undecodable bytes), and a CI log shows the rest to a
    # terminal: everything is redacted and escaped as on every other face, line breaks kept.
    return shown_lines(text)


def _el(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text:
        child.text = _clean(text)
    return child


def _suite(parent: ET.Element, name: str, root: str) -> ET.Element:
    suite = _el(parent, "testsuite", name=name, time="0")
    props = _el(suite, "properties")
    _el(props, "property", name="root", value=root)
    return suite


def _count(suite: ET.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return len(cases), failures, skipped


def _cis_case(suite: ET.Element, r: CisResult, classname: str) -> None:
    kind = "Automated" if r.automated else "Manual"
    case = _el(suite, "testcase", name=f"{r.id} {r.title} ({kind})", classname=classname,
               time="0")
    where = f"{r.path} {r.pointer}".strip()
    if r.result == FAIL:
        _el(case, "failure", f"{r.reason}\nwhere: {where}\nfix: {r.remediation}",
            message=r.reason, type=r.rule)
    elif r.result in (MANUAL, NOT_APPLICABLE):
        _el(case, "skipped", message=f"{r.result}: {r.reason}")
    elif r.result == PASS:
        _el(case, "system-out", r.reason)


def _cis_suites(top: ET.Element, results: Sequence[CisResult], root: str) -> None:
    sections: list[str] = []
    for r in results:
        if r.section not in sections:
            sections.append(r.section)
    for section in sections:
        title = f"{BENCHMARK} {section} {SECTION_TITLES.get(section, '')}".strip()
        suite = _suite(top, title, root)
        for r in results:
            if r.section == section:
                _cis_case(suite, r, f"cis.{section}")


def _finding_case(suite: ET.Element, f: Finding) -> None:
    where = f"{f.path} {f.pointer}".strip()
    case = _el(suite, "testcase", name=f"{f.rule} {where}".strip(), classname=f.profile,
               time="0")
    body = f"{f.message}\nwhere: {where}" + (f"\nfix: {f.fix}" if f.fix else "")
    if f.severity in (Severity.ERROR, Severity.WARNING):
        _el(case, "failure", body, message=f.message, type=f.severity.value)
    else:
        # an info finding is worth reading but fails nothing
        _el(case, "system-out", body)


def _finding_suites(
    top: ET.Element, findings: Sequence[Finding], profiles: Iterable[str], root: str
) -> None:
    order: list[str] = list(profiles)
    for f in findings:
        if f.profile not in order:
            order.append(f.profile)
    for profile in order:
        suite = _suite(top, f"kexplore {profile}", root)
        mine = sorted((f for f in findings if f.profile == profile), key=Finding.sort_key)
        for f in mine:
            _finding_case(suite, f)
        if not mine:
            _el(suite, "testcase", name=f"{profile}: no findings", classname=profile, time="0")


def to_junit(
    findings: Iterable[Finding],
    cis_results: Sequence[CisResult] = (),
    root: Path | str = "",
    *,
    profiles: Iterable[str] = (),
) -> str:
    """A JUnit XML document: a suite per CIS section, a suite per other profile.

    Findings of profile "cis" are left out when `cis_results` are given: the sections carry
    the same checks, passes and skips included. `profiles` names profiles that get a suite
    even when they found nothing (e.g. ("kubeadm",) for `--profile all`).
    """
    root_text = str(root)
    cis_given = bool(cis_results)
    kept = [f for f in findings if not (cis_given and f.profile == PROFILE)]
    top = ET.Element("testsuites", {"name": _clean(f"kexplore {root_text}".strip())})
    wanted = [p for p in profiles if not (cis_given and p == PROFILE)]
    _finding_suites(top, kept, wanted, root_text)
    _cis_suites(top, cis_results, root_text)
    totals = [_count(s) for s in top.findall("testsuite")]
    top.set("tests", str(sum(t[0] for t in totals)))
    top.set("failures", str(sum(t[1] for t in totals)))
    top.set("errors", "0")
    top.set("skipped", str(sum(t[2] for t in totals)))
    top.set("time", "0")
    ET.indent(top)
    return ET.tostring(top, encoding="unicode", xml_declaration=True) + "\n"
