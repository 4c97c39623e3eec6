"""pod-flag-unknown: a flag kubeadm's components do not know stops them at start."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import FAST, NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.conventions.component_flags import (
    component_flags,
    edit_distance,
    nearest_flags,
)
from kexplore.core.conventions.manifests import STATIC_PODS_BY_FILE, expected_pod
from kexplore.core.conventions.versions import SUPPORTED_MINORS
from kexplore.core.model import Finding
from kexplore.core.params import ClusterParams, EtcdMode, Version
from kexplore.core.plane.pods_flags import component_version
from kexplore.core.read.scan import scan

APISERVER = "manifests/kube-apiserver.yaml"
SCHEDULER = "manifests/kube-scheduler.yaml"
ETCD = "manifests/etcd.yaml"


def at(minor: int) -> ClusterParams:
    return dataclasses.replace(FAST, kubernetes_version=Version(1, minor, 2))


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def add_flag(root: Path, rel: str, after: str, flag: str) -> None:
    edit(root, rel, f"    - {after}\n", f"    - {after}\n    - {flag}\n")


def findings(root: Path) -> list[Finding]:
    return list(check_tree(scan(root), NOW).findings)


def unknown(root: Path) -> list[Finding]:
    return [f for f in findings(root) if f.rule == "pod-flag-unknown"]


def test_a_typo_is_one_error_that_names_the_flag_it_meant(make_tree: Factory) -> None:
    # the whole report: no manifest-flag for the typo, nor for the flag it replaced
    [f] = findings(make_tree(faults=["pod-flag-unknown"]))
    assert (f.rule, f.severity.value, f.path, f.pointer) == (
        "pod-flag-unknown", "error", APISERVER, "--allow-priviliged")
    assert f.message.startswith("kube-apiserver exits at start: unknown flag: "
                                "--allow-priviliged (did you mean --allow-privileged?)")
    assert f.fix == "rename --allow-priviliged to --allow-privileged"


def test_a_flag_no_page_lists_nor_resembles_is_a_warning_deprecated_flags_being_hidden(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(30))
    add_flag(root, SCHEDULER, "--bind-address=127.0.0.1", "--frobnicate-widgets=3")
    [f] = unknown(root)
    assert (f.severity.value, f.path, f.pointer) == ("warning", SCHEDULER, "--frobnicate-widgets")
    assert "no flag of kube-scheduler 1.28–1.31 as its reference pages list them" in f.message
    assert "unknown flag: --frobnicate-widgets" in f.message and "did you mean" not in f.message


def test_a_flag_etcd_s_code_does_not_define_is_an_error(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(35))
    add_flag(root, ETCD, "--snapshot-count=10000", "--frobnicate-widgets=3")
    [f] = unknown(root)
    assert (f.severity.value, f.path, f.pointer) == ("error", ETCD, "--frobnicate-widgets")
    assert f.message.startswith("etcd exits at start: flag provided but not defined: "
                                "-frobnicate-widgets; the kubelet restarts it")
    assert f.fix == "remove --frobnicate-widgets"


def test_a_typo_is_an_error_on_every_version_read_or_not(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(33))  # 1.33: no reference page was read
    add_flag(root, SCHEDULER, "--bind-address=127.0.0.1", "--leader-elekt=true")
    add_flag(root, APISERVER, "--allow-privileged=true", "--secrue-port=6443")
    by_flag = {f.pointer: f for f in unknown(root)}
    assert {p: f.severity.value for p, f in by_flag.items()} == {
        "--leader-elekt": "error", "--secrue-port": "error"}
    assert "did you mean --leader-elect?" in by_flag["--leader-elekt"].message
    assert "did you mean --secure-port?" in by_flag["--secrue-port"].message


def test_a_flag_of_a_newer_release_on_an_older_one_says_which_releases_have_it(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(28))
    add_flag(root, SCHEDULER, "--bind-address=127.0.0.1", "--disable-http2-serving=true")
    [f] = unknown(root)
    assert (f.severity.value, f.pointer) == ("error", "--disable-http2-serving")
    assert f.message.startswith("kube-scheduler 1.28 exits at start: unknown flag: "
                                "--disable-http2-serving (kube-scheduler's reference pages list it "
                                "for 1.31 only)")


def test_a_flag_gone_from_the_later_pages_is_a_warning_it_may_be_hidden(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(35))
    add_flag(root, APISERVER, "--allow-privileged=true", "--azure-container-registry-config=x")
    [f] = unknown(root)
    assert (f.severity.value, f.pointer) == ("warning", "--azure-container-registry-config")
    assert ("a flag of kube-apiserver 1.28–1.29 only as its reference pages list them "
            "(removed since, or deprecated and hidden)") in f.message


def test_a_flag_first_listed_as_deprecated_is_presumed_there_before(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    # --admission-control: deprecated for years, hidden by the 1.28-1.31 pages, shown by 1.35's
    root = writable_tree(at(29))
    add_flag(root, APISERVER, "--allow-privileged=true", "--admission-control=NodeRestriction")
    assert unknown(root) == []


def test_a_flag_gone_from_etcd_s_code_is_an_error_on_later_releases(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(35))  # etcd 3.6
    add_flag(root, ETCD, "--snapshot-count=10000", "--enable-v2=false")
    [f] = unknown(root)
    assert (f.severity.value, f.pointer) == ("error", "--enable-v2")
    assert ("etcd 3.6 exits at start: flag provided but not defined: -enable-v2 (only etcd "
            "3.4–3.5 define it)") in f.message


def test_a_flag_of_the_newest_release_read_is_presumed_kept_by_later_ones(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(35))
    add_flag(root, SCHEDULER, "--bind-address=127.0.0.1", "--disable-http2-serving=true")
    add_flag(root, SCHEDULER, "--bind-address=127.0.0.1", "--log_flush_frequency=5s")
    assert unknown(root) == []  # and _ reads as -, as the components normalise it


def test_an_etcd_36_flag_on_etcd_34_is_etcd_s_own_error(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree(at(28))  # kubeadm 1.28 pairs etcd 3.5: no 3.6 flag written
    text = (root / ETCD).read_text()
    tag = text.split("image: registry.k8s.io/etcd:")[1].split("\n")[0]
    edit(root, ETCD, f"etcd:{tag}", "etcd:3.4.35-0")
    add_flag(root, ETCD, "--snapshot-count=10000", "--log-format=json")
    by_flag = {f.pointer: f for f in unknown(root)}
    assert set(by_flag) == {"--log-format"}
    f = by_flag["--log-format"]
    assert f.severity.value == "error"
    assert f.message.startswith("etcd 3.4 exits at start: flag provided but not defined: "
                                "-log-format (only etcd 3.6 defines it)")


def test_etcd_version_stays_the_one_cause_of_36_flags_on_an_older_etcd(
    make_tree: Factory,
) -> None:
    report = findings(make_tree(faults=["etcd-version"]))
    assert [(f.rule, f.path) for f in report] == [("etcd-version", ETCD)]


@pytest.mark.parametrize("minor", SUPPORTED_MINORS)
def test_no_flag_kubeadm_writes_is_unknown_to_its_component(minor: int) -> None:
    for etcd in (EtcdMode.LOCAL, EtcdMode.EXTERNAL):
        params = dataclasses.replace(at(minor), etcd=etcd)
        for spec in STATIC_PODS_BY_FILE.values():
            pod = expected_pod(spec, params)
            if pod is None:
                continue
            container = pod["spec"]["containers"][0]
            binary = container["command"][0]
            data = component_flags(binary)
            assert data is not None, binary
            image_tag = container["image"].rsplit(":", 1)[1]
            version = component_version(binary, _Tagged(image_tag))  # type: ignore[arg-type]
            assert version is not None
            for item in container["command"][1:]:
                name = item.removeprefix("--").split("=", 1)[0]
                assert data.span(name) is not None, f"{binary} {minor}: --{name}"
                assert data.known_in(name, version) is not False, f"{binary} {minor}: --{name}"


class _Tagged:
    def __init__(self, tag: str) -> None:
        self.image_tag = tag


def test_clean_trees_of_every_version_have_no_unknown_flag(make_tree: Factory) -> None:
    for minor in SUPPORTED_MINORS:
        assert unknown(make_tree(at(minor))) == [], minor


def test_the_data_holds_every_component_and_spans_inside_what_was_read() -> None:
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        data = component_flags(name)
        assert data is not None and data.read and data.complete <= set(data.read)
        assert len(data.spans) > 50
        for span in data.spans.values():
            assert data.read[0] <= span.first <= span.last <= data.read[-1]
    # Kubernetes' pages leave out deprecated flags; etcd's lists come from its code
    assert component_flags("kube-apiserver").complete == frozenset()  # type: ignore[union-attr]
    assert component_flags("etcd").complete == {(3, 4), (3, 5), (3, 6)}  # type: ignore[union-attr]
    assert component_flags("kube-proxy") is None


def test_edit_distance_counts_a_swapped_pair_as_one_slip() -> None:
    assert edit_distance("allow-priviliged", "allow-privileged", 2) == 1
    assert edit_distance("bind-adress", "bind-address", 2) == 1
    assert edit_distance("secrue-port", "secure-port", 2) == 1
    assert edit_distance("frobnicate", "secure-port", 2) == 3  # past the bound: bound + 1
    assert nearest_flags("secrue-port", ["secure-port", "profiling"]) == ["secure-port"]


def test_etcd_agrees_on_every_flag_of_its_release() -> None:
    """The real etcd here: it parses the flags the data gives its minor, and exits with the
    words the finding quotes on a flag the data says it lacks."""
    from peers import require_binary, run

    etcd = require_binary("etcd")
    said = run([etcd, "--version"]).stdout
    minor = tuple(int(n) for n in said.split("etcd Version: ")[1].split(".")[:2])
    data = component_flags("etcd")
    assert data is not None
    if minor not in data.read:
        pytest.skip(f"etcd {minor} is not a minor the data holds")
    known = [f for f in sorted(data.spans) if data.known_in(f, minor)]  # type: ignore[arg-type]
    lacking = [f for f in sorted(data.spans) if not data.known_in(f, minor)][:5]  # type: ignore[arg-type]
    # the data is the minor's newest patch (3.4.45): a flag a later patch added is refused by
    # an older binary, and absent from its own --help too (3.4.23: --tls-min-version)
    helped = run([etcd, "--help"])
    own = {line.split()[0].lstrip("-") for line in (helped.stdout + helped.stderr).splitlines()
           if line.strip().startswith("--")}
    with ThreadPoolExecutor(4) as pool:  # eighty short runs: a few seconds one by one
        said_of = pool.map(lambda f: run([etcd, f"--{f}=1", "--version"], timeout=10).stderr,
                           known)
        refused = [flag for flag, err in zip(known, said_of, strict=True)
                   if "flag provided but not defined" in err]
    assert [flag for flag in refused if flag in own] == []
    assert len(refused) <= 5, refused
    for flag in [*lacking, "frobnicate-widgets"]:
        out = run([etcd, f"--{flag}=1", "--version"], timeout=10)
        assert out.returncode != 0
        assert f"flag provided but not defined: -{flag}" in out.stderr, flag


def test_the_flag_data_is_read_only_when_a_static_pod_is_checked() -> None:
    import subprocess
    import sys

    probe = ("import sys, kexplore.core.check; "
             "print('kexplore.core.conventions.component_flags' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"


def test_a_typo_beside_the_flag_it_resembles_leaves_that_flag_s_own_findings(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree()
    edit(root, APISERVER, "    - --allow-privileged=true\n",
         "    - --allow-privileged=false\n    - --allow-priviliged=true\n")
    found = {(f.rule, f.pointer) for f in findings(root)}
    assert found == {("pod-flag-unknown", "--allow-priviliged"),
                     ("manifest-flag", "--allow-privileged")}
