"""CIS checks: the stock kubeadm result, hardened trees, and each place kube-bench misreads.

Each `test_kube_bench_*` test is named after a kube-bench flaw (reference cis-checks.md
§1.0, §1.3, §4, §6) and builds a tree on which kube-bench's logic gives the wrong answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Factory
from rich.console import Console

from kexplore.core.cis import (
    FAIL,
    MANUAL,
    NOT_APPLICABLE,
    PASS,
    RESULTS,
    CisResult,
    cis_findings,
    cis_json,
    cis_summary,
    evaluate_cis,
)
from kexplore.core.cis_data import CHECKS, SECTIONS
from kexplore.core.manifest import BOOLEAN_FLAGS
from kexplore.core.model import Severity, Tree
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version
from kexplore.core.read.scan import scan
from kexplore.core.report.cis_tables import cis_tables

# Reference §1.5: kube-bench FAILs 1.1.12, 1.2.5, 1.2.15–1.2.19, 1.2.30, 1.3.2, 1.4.1 and
# node 4.1.9 on a stock kubeadm node. 1.1.12 and 4.1.9 stat host paths outside
# /etc/kubernetes, so from the files they are not-applicable; the rest fail by design.
STOCK_FAILS = {
    "1.2.5", "1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19", "1.2.30", "1.3.2", "1.4.1",
}
NOT_FROM_FILES = {"1.1.9", "1.1.10", "1.1.11", "1.1.12", "4.1.1", "4.1.2", "4.1.9", "4.1.10"}
STOCK_NOT_APPLICABLE = NOT_FROM_FILES | {"4.1.3", "4.1.4"}  # no proxy kubeconfig on kubeadm
STOCK_MANUAL = {"1.2.1", "1.2.3", "1.2.9", "1.2.11", "1.2.20", "1.2.27", "1.2.28", "1.2.29",
                "1.3.1"}

Writable = Callable[..., Path]


# --- helpers -------------------------------------------------------------------------------


def as_root(tree: Tree) -> Tree:
    """The tree as it is on a node, owned by root, whoever ran the generator."""
    me = (os.getuid(), os.getgid())
    nodes = {
        p: replace(n, uid=0, gid=0) if (n.uid, n.gid) == me else n for p, n in tree.nodes.items()
    }
    return Tree(tree.root, nodes)


def evaluate(root: Path) -> dict[str, CisResult]:
    return {r.id: r for r in evaluate_cis(as_root(scan(root)))}


def failed(results: dict[str, CisResult]) -> set[str]:
    return {i for i, r in results.items() if r.result == FAIL}


def edit_pod(root: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Load a manifest, let `change` edit the Pod document, write it back (mode kept)."""
    path = root / "manifests" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def container(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["containers"][0]


def add_flags(root: Path, name: str, *items: str) -> None:
    edit_pod(root, name, lambda d: container(d)["command"].extend(items))


def drop_flags(root: Path, name: str, *flags: str) -> None:
    def change(doc: dict[str, Any]) -> None:
        command = container(doc)["command"]
        command[:] = [i for i in command if i.split("=", 1)[0] not in flags]

    edit_pod(root, name, change)


def mount_file(root: Path, name: str, volume: str, path: str) -> None:
    """Mount one /etc/kubernetes file into a pod, as kubeadm's extraVolumes would."""

    def change(doc: dict[str, Any]) -> None:
        container(doc)["volumeMounts"].append(
            {"mountPath": path, "name": volume, "readOnly": True}
        )
        doc["spec"]["volumes"].append(
            {"hostPath": {"path": path, "type": "File"}, "name": volume}
        )

    edit_pod(root, name, change)


def write(root: Path, rel: str, doc: Any, mode: int = 0o600) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    path.chmod(mode)


HARDENING = {
    "kube-apiserver": (
        "--profiling=false",
        "--audit-log-path=/var/log/kubernetes/audit/audit.log",
        "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
        "--audit-log-maxage=30",
        "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100",
        "--service-account-extend-token-expiration=false",
        "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    ),
    "kube-controller-manager": ("--profiling=false",),
    "kube-scheduler": ("--profiling=false",),
}
ENCRYPTION = {
    "apiVersion": "apiserver.config.k8s.io/v1",
    "kind": "EncryptionConfiguration",
    "resources": [
        {
            "resources": ["secrets"],
            "providers": [{"aescbc": {"keys": [{"name": "k1", "secret": "c2VjcmV0"}]}},
                          {"identity": {}}],
        }
    ],
}


def harden(root: Path) -> None:
    """The remediations of every automated check a stock tree fails."""
    for name, flags in HARDENING.items():
        add_flags(root, name, *flags)


# --- the catalogue -------------------------------------------------------------------------


def test_every_check_appears_once_in_benchmark_order(make_tree: Factory) -> None:
    results = evaluate_cis(scan(make_tree()))
    ids = [r.id for r in results]
    assert ids == [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) == 21 + 30 + 7 + 2 + 7 + 10
    assert [s.id for s in SECTIONS] == list(dict.fromkeys(r.section for r in results))
    for r in results:
        assert r.result in RESULTS
        assert r.reason and "\n" not in r.reason, r.id
        assert r.remediation and r.title, r.id
        assert r.rule == f"cis-{r.id}"


def test_every_boolean_flag_the_checks_read_is_parsed_as_a_boolean() -> None:
    # a boolean flag missing from the parser's list would swallow the next item as its value
    read = {
        "anonymous-auth", "profiling", "service-account-lookup",
        "service-account-extend-token-expiration", "use-service-account-credentials",
        "client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls",
    }
    assert read <= BOOLEAN_FLAGS


# --- stock and hardened trees --------------------------------------------------------------


@pytest.mark.parametrize("version", [Version(1, 31, 0), Version(1, 35, 0)])
def test_stock_kubeadm_fails_exactly_the_checks_it_fails_by_design(
    make_tree: Factory, version: Version
) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=version)
    results = evaluate(make_tree(params))
    assert failed(results) == STOCK_FAILS
    assert {i for i, r in results.items() if r.result == NOT_APPLICABLE} == STOCK_NOT_APPLICABLE
    assert {i for i, r in results.items() if r.result == MANUAL} == STOCK_MANUAL
    for i in NOT_FROM_FILES:
        assert results[i].reason.startswith("not applicable from files: "), i
    assert "/var/lib/etcd" in results["1.1.12"].reason


def test_stock_findings_are_warnings_in_the_cis_profile(make_tree: Factory) -> None:
    findings = cis_findings(evaluate(make_tree()).values())
    assert {f.rule for f in findings} == {f"cis-{i}" for i in STOCK_FAILS}
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert {f.profile for f in findings} == {"cis"}
    by_rule = {f.rule: f for f in findings}
    profiling = by_rule["cis-1.2.16"]
    assert profiling.path == "manifests/kube-apiserver.yaml"
    assert profiling.pointer == "--audit-log-path"
    assert "--audit-log-path" in profiling.fix
    assert by_rule["cis-1.4.1"].path == "manifests/kube-scheduler.yaml"
    assert "default true" in by_rule["cis-1.4.1"].message


def test_hardened_tree_passes_every_automated_check(writable_tree: Writable) -> None:
    root = writable_tree()
    harden(root)
    results = evaluate(root)
    assert failed(results) == set()
    assert results["1.2.17"].reason == "--audit-log-maxage=30; expected 30 or more"


def test_hardened_tree_passes_the_manual_checks_files_can_show(writable_tree: Writable) -> None:
    root = writable_tree()
    harden(root)
    write(root, "enc/encryption.yaml", ENCRYPTION)
    mount_file(root, "kube-apiserver", "encryption", "/etc/kubernetes/enc/encryption.yaml")
    add_flags(
        root, "kube-apiserver",
        "--anonymous-auth=false",
        "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs,EventRateLimit,"
        "AlwaysPullImages",
        "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml",
        "--tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    )
    add_flags(root, "kube-controller-manager", "--terminated-pod-gc-threshold=10")
    results = evaluate(root)
    assert failed(results) == set()
    assert {i for i, r in results.items() if r.result == MANUAL} == {"1.2.20"}
    assert "aescbc" in results["1.2.28"].reason


def test_a_failing_manual_check_is_manual_never_fail(writable_tree: Writable) -> None:
    root = writable_tree()
    (root / "pki" / "ca.key").chmod(0o644)
    results = evaluate(root)
    assert results["1.1.21"].result == MANUAL
    assert "pki/ca.key is 0644; expected 0600 or stricter" in results["1.1.21"].reason


def test_a_kubelet_certificate_authority_that_is_missing_fails(writable_tree: Writable) -> None:
    root = writable_tree()
    add_flags(root, "kube-apiserver", "--kubelet-certificate-authority=/etc/kubernetes/pki/x.crt")
    result = evaluate(root)["1.2.5"]
    assert result.result == FAIL
    assert "pki/x.crt, which is missing" in result.reason


# --- where kube-bench is wrong ------------------------------------------------------------


def test_kube_bench_misreads_space_separated_values(writable_tree: Writable) -> None:
    # kube-bench's regex reads `--audit-log-maxage 30` as "true", and fails gte 30
    root = writable_tree()
    harden(root)
    drop_flags(root, "kube-apiserver", "--audit-log-maxage", "--audit-log-path")
    add_flags(root, "kube-apiserver", "--audit-log-maxage", "30",
              "--audit-log-path", "/var/log/kubernetes/audit/audit.log")
    drop_flags(root, "kube-scheduler", "--bind-address")
    add_flags(root, "kube-scheduler", "--bind-address", "127.0.0.1")
    results = evaluate(root)
    assert failed(results) == set()
    assert results["1.2.17"].reason == "--audit-log-maxage=30; expected 30 or more"
    assert results["1.4.2"].result == PASS


def test_kube_bench_passes_an_absent_bind_address_that_defaults_to_every_interface(
    writable_tree: Writable,
) -> None:
    root = writable_tree()
    drop_flags(root, "kube-controller-manager", "--bind-address")
    drop_flags(root, "kube-scheduler", "--bind-address")
    results = evaluate(root)
    for check in ("1.3.7", "1.4.2"):
        assert results[check].result == FAIL
        assert "defaults to 0.0.0.0" in results[check].reason


def test_kube_bench_ignores_the_defaults_of_absent_flags(writable_tree: Writable) -> None:
    root = writable_tree()
    drop_flags(root, "kube-apiserver", "--authorization-mode")
    drop_flags(root, "kube-controller-manager", "--use-service-account-credentials")
    drop_flags(root, "etcd", "--client-cert-auth", "--peer-client-cert-auth")
    results = evaluate(root)
    assert failed(results) == STOCK_FAILS | {"1.2.6", "1.2.7", "1.2.8", "1.3.3", "2.2", "2.5"}
    assert "default AlwaysAllow" in results["1.2.6"].reason
    assert "(default false)" in results["1.3.3"].reason
    # and an absent flag whose default is safe passes, where kube-bench requires it present
    assert results["1.2.21"].result == PASS
    assert "default true" in results["1.2.21"].reason
    severities = {f.rule: f.severity for f in cis_findings(results.values())}
    assert severities["cis-1.2.6"] is Severity.ERROR and severities["cis-2.2"] is Severity.ERROR


def test_kube_bench_would_let_a_bare_boolean_take_the_next_item_as_its_value(
    writable_tree: Writable,
) -> None:
    # `--profiling false` is pflag's bare --profiling (true) and a stray "false"; a parser
    # that pairs every flag with the next item would read profiling=false and pass
    root = writable_tree()
    add_flags(root, "kube-apiserver", "--profiling", "false")
    add_flags(root, "etcd", "--auto-tls", "false")
    results = evaluate(root)
    assert results["1.2.15"].result == FAIL
    assert "stray argument" in results["1.2.15"].reason
    assert results["2.3"].result == FAIL


def test_kube_bench_reads_the_first_of_repeated_flags(writable_tree: Writable) -> None:
    root = writable_tree()
    add_flags(root, "kube-apiserver", "--profiling=true", "--profiling=false")
    add_flags(root, "kube-scheduler", "--profiling=false", "--profiling=true")
    results = evaluate(root)
    assert results["1.2.15"].result == PASS
    assert "(last of 2)" in results["1.2.15"].reason
    assert results["1.4.1"].result == FAIL


def test_kube_bench_reads_list_flags_once_though_they_append(writable_tree: Writable) -> None:
    root = writable_tree()
    drop_flags(root, "kube-apiserver", "--authorization-mode")
    add_flags(root, "kube-apiserver", "--authorization-mode=AlwaysAllow",
              "--authorization-mode=Node,RBAC",
              "--enable-admission-plugins=AlwaysPullImages")
    results = evaluate(root)
    assert results["1.2.6"].result == FAIL
    assert results["1.2.7"].result == results["1.2.8"].result == PASS
    assert results["1.2.11"].result == results["1.2.14"].result == PASS


def test_kube_bench_and_checkov_compare_comma_lists_as_text(writable_tree: Writable) -> None:
    # checkov looks for the exact item "--enable-admission-plugins=NodeRestriction"
    root = writable_tree()
    drop_flags(root, "kube-apiserver", "--authorization-mode", "--enable-admission-plugins")
    add_flags(root, "kube-apiserver", "--authorization-mode=RBAC,Node",
              "--enable-admission-plugins=AlwaysPullImages,NodeRestriction")
    results = evaluate(root)
    assert failed(results) == STOCK_FAILS
    assert results["1.2.14"].result == PASS


def test_kube_bench_matches_feature_gate_values_as_text(writable_tree: Writable) -> None:
    # nothave "RotateKubeletServerCertificate=false" misses Go's other spellings of false
    root = writable_tree()
    add_flags(root, "kube-controller-manager",
              "--feature-gates=RotateKubeletServerCertificate=False")
    assert evaluate(root)["1.3.6"].result == FAIL


def test_kube_bench_only_finds_flags_in_command_not_args_for_checkov(
    writable_tree: Writable,
) -> None:
    root = writable_tree()

    def split(doc: dict[str, Any]) -> None:
        c = container(doc)
        c["args"] = [*c["command"][1:], "--profiling=false"]
        c["command"] = c["command"][:1]

    edit_pod(root, "kube-apiserver", split)
    assert evaluate(root)["1.2.15"].result == PASS


@pytest.mark.parametrize(("mode", "result"), [(0o600, PASS), (0o400, PASS), (0o000, PASS),
                                              (0o640, FAIL), (0o060, FAIL), (0o4600, FAIL)])
def test_kube_bench_and_trivy_mode_compare_is_at_least_as_strict(
    writable_tree: Writable, mode: int, result: str
) -> None:
    # trivy compares modes as decimals (0060 < 600 passes); the bitmask is right
    root = writable_tree()
    (root / "manifests" / "kube-apiserver.yaml").chmod(mode)
    (root / "admin.conf").chmod(mode)
    results = evaluate(root)
    assert results["1.1.1"].result == result
    assert results["1.1.13"].result == result
    assert f"{mode:04o}" in results["1.1.1"].reason


@pytest.mark.skipif(os.getuid() != 0, reason="chown needs root")
def test_kube_bench_resolves_owner_names_in_its_own_container(writable_tree: Writable) -> None:
    # numeric 0:0, never a name looked up in some /etc/passwd
    root = writable_tree()
    os.chown(root / "pki" / "etcd" / "ca.key", 0, 1000)
    os.chown(root / "kubelet.conf", 1000, 0)
    results = {r.id: r for r in evaluate_cis(scan(root))}
    assert results["1.1.19"].result == FAIL
    assert "pki/etcd/ca.key is 0:1000; expected 0:0" in results["1.1.19"].reason
    assert results["4.1.6"].result == FAIL


def test_kube_bench_fails_missing_files_without_a_reason(writable_tree: Writable) -> None:
    root = writable_tree()
    (root / "scheduler.conf").unlink()
    (root / "super-admin.conf").unlink()  # absent on every node but the init node
    (root / "manifests" / "kube-scheduler.yaml").unlink()
    results = evaluate(root)
    for check in ("1.1.5", "1.1.6", "1.1.15", "1.1.16", "1.4.1", "1.4.2"):
        assert results[check].result == NOT_APPLICABLE, check
    missing = "not applicable: scheduler.conf is missing (nothing to check)"
    assert results["1.1.15"].reason == missing
    assert "kube-scheduler.yaml is missing" in results["1.4.1"].reason
    assert results["1.1.13"].result == PASS
    assert results["1.1.13"].reason == "admin.conf is 0600: 0600 or stricter"
    assert failed(results) == STOCK_FAILS - {"1.4.1"}


def test_kube_bench_fails_etcd_checks_when_etcd_is_external(make_tree: Factory) -> None:
    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256, etcd=EtcdMode.EXTERNAL)
    results = evaluate(make_tree(params))
    for check in ("1.1.7", "1.1.8", "1.1.11", "1.1.12", "2.1", "2.2", "2.7"):
        assert results[check].result == NOT_APPLICABLE, check
        assert "etcd is external" in results[check].reason, check
    assert failed(results) == STOCK_FAILS


def test_kube_bench_guesses_the_etcd_data_dir(writable_tree: Writable) -> None:
    # kube-bench falls back to /var/lib/etcd/default.etcd; the manifest says where it is
    root = writable_tree()

    def move(doc: dict[str, Any]) -> None:
        for volume in doc["spec"]["volumes"]:
            if volume["name"] == "etcd-data":
                volume["hostPath"]["path"] = "/srv/etcd-data"

    edit_pod(root, "etcd", move)
    result = evaluate(root)["1.1.11"]
    assert result.result == NOT_APPLICABLE
    assert "/srv/etcd-data" in result.reason


def test_kube_bench_fails_structured_authorization(writable_tree: Writable) -> None:
    root = writable_tree()
    drop_flags(root, "kube-apiserver", "--authorization-mode")
    add_flags(root, "kube-apiserver", "--authorization-config=/etc/kubernetes/authz.yaml")
    mount_file(root, "kube-apiserver", "authz", "/etc/kubernetes/authz.yaml")
    authorizers = [{"type": "Node", "name": "node"}, {"type": "RBAC", "name": "rbac"}]
    authz = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthorizationConfiguration",
        "authorizers": authorizers,
    }
    write(root, "authz.yaml", authz)
    results = evaluate(root)
    assert {results[i].result for i in ("1.2.6", "1.2.7", "1.2.8")} == {PASS}
    assert "authorizers in authz.yaml: Node,RBAC" in results["1.2.7"].reason

    authorizers.append({"type": "AlwaysAllow", "name": "all"})
    write(root, "authz.yaml", authz)
    assert evaluate(root)["1.2.6"].result == FAIL


def test_kube_bench_greps_the_encryption_config(writable_tree: Writable) -> None:
    # kube-bench reads the line after the first "providers:"; that rule covers configmaps,
    # while secrets are written by identity: unencrypted
    root = writable_tree()
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {"resources": ["configmaps"], "providers": [{"aescbc": {"keys": []}}]},
            {"resources": ["secrets"], "providers": [{"identity": {}}, {"aescbc": {"keys": []}}]},
        ],
    }
    write(root, "enc/encryption.yaml", config)
    mount_file(root, "kube-apiserver", "encryption", "/etc/kubernetes/enc/encryption.yaml")
    add_flags(root, "kube-apiserver",
              "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml")
    results = evaluate(root)
    assert results["1.2.27"].result == PASS
    assert results["1.2.28"].result == MANUAL
    assert "the first provider for secrets is identity" in results["1.2.28"].reason


def test_kube_bench_reads_encryption_config_outside_the_tree_as_a_container_path(
    writable_tree: Writable,
) -> None:
    root = writable_tree()
    add_flags(root, "kube-apiserver", "--encryption-provider-config=/etc/enc/config.yaml")
    result = evaluate(root)["1.2.28"]
    assert result.result == NOT_APPLICABLE
    assert result.reason.startswith("not applicable from files: ")


def test_kube_bench_reads_etcd_environment_only_from_the_running_process(
    writable_tree: Writable,
) -> None:
    root = writable_tree()
    drop_flags(root, "etcd", "--client-cert-auth")
    edit_pod(root, "etcd", lambda d: container(d).setdefault("env", []).append(
        {"name": "ETCD_CLIENT_CERT_AUTH", "value": "true"}))
    result = evaluate(root)["2.2"]
    assert result.result == PASS
    assert "ETCD_CLIENT_CERT_AUTH=true" in result.reason


def test_kube_bench_ignores_the_etcd_config_file(writable_tree: Writable) -> None:
    # with --config-file etcd ignores its flags: the file's false beats the flag's true
    root = writable_tree()
    write(root, "pki/etcd/config.yaml", {
        "client-transport-security": {"cert-file": "/etc/kubernetes/pki/etcd/server.crt",
                                      "key-file": "/etc/kubernetes/pki/etcd/server.key",
                                      "client-cert-auth": False},
        "peer-transport-security": {"client-cert-auth": True},
    })
    add_flags(root, "etcd", "--config-file=/etc/kubernetes/pki/etcd/config.yaml")
    results = evaluate(root)
    assert results["2.1"].result == PASS
    assert results["2.2"].result == FAIL
    assert "client-transport-security.client-cert-auth: false" in results["2.2"].reason
    assert results["2.4"].result == FAIL  # the file names no peer cert


def test_kube_bench_only_checks_that_etcd_has_some_ca(writable_tree: Writable) -> None:
    root = writable_tree()
    shutil.copyfile(root / "pki" / "ca.crt", root / "pki" / "etcd" / "ca.crt")
    result = evaluate(root)["2.7"]
    assert result.result == MANUAL
    assert "is the cluster CA" in result.reason


# --- summaries and faces -------------------------------------------------------------------


def test_summary_counts_every_result_per_section(make_tree: Factory) -> None:
    results = evaluate(make_tree())
    summary = cis_summary(results.values())
    assert list(summary) == [s.id for s in SECTIONS]
    assert all(set(counts) == set(RESULTS) for counts in summary.values())
    assert sum(sum(c.values()) for c in summary.values()) == len(CHECKS)
    assert summary["1.2"][FAIL] == 7 and summary["1.3"][FAIL] == summary["1.4"][FAIL] == 1
    doc = cis_json(list(results.values()))
    assert doc["benchmark"] == "cis-1.12" and len(doc["results"]) == len(CHECKS)


def test_tables_have_a_section_each_with_counts_in_the_title(make_tree: Factory) -> None:
    tables = cis_tables(list(evaluate(make_tree()).values()))
    assert len(tables) == len(SECTIONS)
    assert "1.2 API Server: 15 pass, 7 fail, 8 manual, 0 n/a" in str(tables[1].title)
    console = Console(width=200, record=True)
    for table in tables:
        console.print(table)
    text = console.export_text()
    assert "1.2.16" in text and "FAIL" in text


def test_cis_and_junit_import_neither_textual_nor_rich() -> None:
    # rich is loaded only when a table is asked for; the core never loads Textual
    code = (
        "import sys, kexplore.core.cis, kexplore.core.report.junit; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"
