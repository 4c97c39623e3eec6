"""kubeadm 1.36 and 1.37, patch-level facts, older kubeadm, and etcd versions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import NOW, Factory

from kexplore.core.check import check_tree
from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.conventions.versions import withheld_facts
from kexplore.core.model import Finding, Severity
from kexplore.core.params import ClusterParams, KeyAlgorithm, Version
from kexplore.core.read.scan import scan

EXAMPLES = Path(__file__).parent / "data" / "kubeadm-examples"
TREES = Path(__file__).parent / "data" / "trees"
PODS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
FLEX_LINES = re.compile(
    r"    - mountPath: /usr/libexec/kubernetes/kubelet-plugins/volume/exec\n"
    r"      name: flexvolume-dir\n"
    r"|  - hostPath:\n      path: /usr/libexec/kubernetes/kubelet-plugins/volume/exec\n"
    r"      type: DirectoryOrCreate\n    name: flexvolume-dir\n"
)


def at(version: str) -> ClusterParams:
    return ClusterParams(
        key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=Version.parse(version)
    )


def findings(root: Path) -> list[Finding]:
    return list(check_tree(scan(root), NOW).findings)


def retag(root: Path, old: str, new: str) -> None:
    """Move the control plane's image tags, as an upgrade of the manifests would."""
    for pod in PODS[1:]:
        path = root / f"manifests/{pod}.yaml"
        path.write_text(path.read_text().replace(f":{old}", f":{new}"))


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("version", ["1.35.5", "1.36.0", "1.36.1", "1.37.0", "1.37.2"])
def test_new_versions_generate_clean_trees(make_tree: Factory, version: str) -> None:
    assert findings(make_tree(at(version))) == []


@pytest.mark.parametrize("pod", PODS)
def test_136_manifests_are_135s_without_the_flexvolume(make_tree: Factory, pod: str) -> None:
    """No kubeadm 1.36 example is kept: the 1.35 output with 1.36's changes (#136423,
    #137107) applied by hand stands in for it, byte for byte."""
    ours = (make_tree(at("1.36.0")) / f"manifests/{pod}.yaml").read_text()
    theirs = (EXAMPLES / "v1.35" / f"{pod}.yaml").read_text()
    theirs = theirs.replace(":v1.35.0", ":v1.36.0").replace("etcd:3.6.6-0", "etcd:3.6.8-0")
    if pod == "kube-controller-manager":
        assert len(FLEX_LINES.findall(theirs)) == 2
        theirs = FLEX_LINES.sub("", theirs)
    assert ours == theirs


def test_137_runs_etcd_37_with_36_flags(make_tree: Factory) -> None:
    etcd = (make_tree(at("1.37.0")) / "manifests/etcd.yaml").read_text()
    assert "image: registry.k8s.io/etcd:3.7.0-0" in etcd
    assert "--feature-gates=InitialCorruptCheck=true" in etcd
    assert "experimental" not in etcd


@pytest.mark.parametrize(
    ("version", "orgs"),
    [
        ("1.28.9", ("system:masters",)),
        ("1.35.4", ("kubeadm:cluster-admins",)),
        ("1.35.5", ()),
        ("1.36.0", ("kubeadm:cluster-admins",)),
        ("1.36.1", ()),
        ("1.37.0", ()),
    ],
)
def test_apiserver_kubelet_client_organisation_is_keyed_by_patch(
    version: str, orgs: tuple[str, ...]
) -> None:
    assert CERTS_BY_NAME["apiserver-kubelet-client"].organization(Version.parse(version)) == orgs


def test_an_unverified_backport_accepts_either_organisation() -> None:
    spec = CERTS_BY_NAME["apiserver-kubelet-client"]
    for version in ("1.33.12", "1.34.8", "1.34.10"):
        accepted = spec.accepted_organizations(Version.parse(version))
        assert accepted == {(), ("kubeadm:cluster-admins",)}
    for version in ("1.33.11", "1.34.7", "1.35.4"):
        accepted = spec.accepted_organizations(Version.parse(version))
        assert accepted == {("kubeadm:cluster-admins",)}


def test_the_old_organisation_on_a_newer_patch_is_a_note(writable_tree) -> None:
    root = writable_tree(at("1.36.0"))
    retag(root, "v1.36.0", "v1.36.1")
    assert [(f.rule, f.severity, f.path) for f in findings(root)] == [
        ("cert-subject", Severity.INFO, "pki/apiserver-kubelet-client.crt")
    ]


def test_the_new_organisation_on_an_older_patch_is_a_warning(writable_tree) -> None:
    root = writable_tree(at("1.35.5"))
    retag(root, "v1.35.5", "v1.35.0")
    found = findings(root)
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("cert-subject", Severity.WARNING, "pki/apiserver-kubelet-client.crt", "subject O")
    ]
    assert "later kubeadm" in found[0].message


def test_an_upgraded_136_node_keeping_the_flexvolume_is_clean(writable_tree, make_tree) -> None:
    root = writable_tree(at("1.35.0"))
    retag(root, "v1.35.0", "v1.36.0")
    edit(root, "manifests/etcd.yaml", "etcd:3.6.6-0", "etcd:3.6.8-0")
    assert findings(root) == []


def test_a_135_tree_running_etcd_34_is_one_version_finding(writable_tree) -> None:
    """Even with 3.4's flag names restored, etcd 3.4 does not serve the /livez and /readyz
    that 1.31+ probes: the kubelet kills it, so this node's control plane does not run."""
    root = writable_tree(at("1.35.0"))
    etcd = "manifests/etcd.yaml"
    edit(root, etcd, "etcd:3.6.6-0", "etcd:3.4.13-0")
    edit(root, etcd, "--feature-gates=InitialCorruptCheck=true",
         "--experimental-initial-corrupt-check=true")
    edit(root, etcd, "--watch-progress-notify-interval=5s",
         "--experimental-watch-progress-notify-interval=5s")
    found = findings(root)
    assert [(f.rule, f.severity, f.path, f.pointer) for f in found] == [
        ("etcd-version", Severity.ERROR, etcd, "image")
    ]
    assert ("it answers 404 to its livenessProbe /livez, readinessProbe /readyz, startupProbe "
            "/readyz (etcd serves /livez and /readyz from 3.5.11)") in found[0].message
    assert "restarts the container again and again" in found[0].message


def test_an_older_etcd_under_health_probes_is_a_warning_only_before_131(writable_tree) -> None:
    """1.30 probes /health, which every etcd serves: an older etcd there risks nothing the
    kubelet sees, and stays a warning."""
    root = writable_tree(at("1.30.0"))
    edit(root, "manifests/etcd.yaml", "etcd:3.5.12-0", "etcd:3.4.13-0")
    assert [(f.rule, f.severity) for f in findings(root)] == [("etcd-version", Severity.WARNING)]


def test_etcd_35_before_3511_under_131_probes_is_killed(writable_tree) -> None:
    root = writable_tree(at("1.31.0"))
    edit(root, "manifests/etcd.yaml", "etcd:3.5.15-0", "etcd:3.5.10-0")
    found = findings(root)
    assert [(f.rule, f.severity, f.pointer) for f in found] == [
        ("etcd-version", Severity.ERROR, "livenessProbe.httpGet.path")
    ]
    assert found[0].message.startswith("etcd 3.5.10-0 is older than its probes; it answers 404")
    assert found[0].fix == "use etcd 3.5.11 or later, or probe /health"


def test_health_paths_on_a_readiness_probe_alone_are_a_warning(writable_tree) -> None:
    root = writable_tree(at("1.31.0"))
    etcd = root / "manifests/etcd.yaml"
    pod = yaml.safe_load(etcd.read_text())
    container = pod["spec"]["containers"][0]
    container["image"] = container["image"].replace("3.5.15-0", "3.5.10-0")
    for probe in ("livenessProbe", "startupProbe"):
        container[probe]["httpGet"]["path"] = "/health"
    etcd.write_text(yaml.safe_dump(pod))
    found = findings(root)
    assert [(f.rule, f.severity, f.pointer) for f in found] == [
        ("etcd-version", Severity.WARNING, "readinessProbe.httpGet.path")
    ]
    assert found[0].message.endswith("readinessProbe /readyz (etcd serves /livez and /readyz "
                                     "from 3.5.11): the pod is never Ready")


def test_an_etcd_tag_without_a_patch_release_is_not_judged_by_its_probes(writable_tree) -> None:
    root = writable_tree(at("1.31.0"))
    edit(root, "manifests/etcd.yaml", "etcd:3.5.15-0", "etcd:3.5")
    assert findings(root) == []


def test_etcd_35_under_136s_flags_will_not_start(writable_tree) -> None:
    root = writable_tree(at("1.36.0"))
    edit(root, "manifests/etcd.yaml", "etcd:3.6.8-0", "etcd:3.5.21-0")
    found = findings(root)
    assert [(f.rule, f.severity) for f in found] == [("etcd-version", Severity.ERROR)]
    assert "--feature-gates" in found[0].message


def test_a_newer_etcd_than_kubeadm_pairs_is_a_note(writable_tree) -> None:
    root = writable_tree(at("1.36.0"))
    edit(root, "manifests/etcd.yaml", "etcd:3.6.8-0", "etcd:3.7.0-rc.0-0")
    assert [(f.rule, f.severity) for f in findings(root)] == [("etcd-version", Severity.INFO)]


def _v123_tree(writable_tree, faults: tuple[str, ...] = ()) -> Path:
    """A kubeadm 1.23 control plane: the hand-written manifests in tests/data beside the
    certificates and kubeconfigs of the oldest version the generator writes."""
    root = writable_tree(at("1.28.0"), faults)
    for manifest in (TREES / "v1.23" / "manifests").iterdir():
        target = root / "manifests" / manifest.name
        target.write_text(manifest.read_text())
    return root


def test_an_older_kubeadm_is_said_once_with_what_was_skipped(writable_tree) -> None:
    found = findings(_v123_tree(writable_tree))
    assert [(f.rule, f.severity, f.path) for f in found] == [
        ("kubeadm-version-older", Severity.INFO, "manifests/kube-apiserver.yaml")
    ]
    skipped = len(withheld_facts(Version(1, 23, 17)))
    assert found[0].message.startswith(
        "kubeadm v1.23 is older than the conventions kexplore knows (1.28+): "
        f"{skipped} version-specific checks were skipped"
    )


def test_a_123_etcd_is_not_held_to_128s_flags(writable_tree) -> None:
    root = _v123_tree(writable_tree)
    edit(root, "manifests/etcd.yaml", "    - --experimental-initial-corrupt-check=true\n", "")
    assert [f.rule for f in findings(root)] == ["kubeadm-version-older"]


def test_version_independent_checks_still_run_on_an_older_kubeadm(writable_tree) -> None:
    found = findings(_v123_tree(writable_tree, ("key-mismatch",)))
    assert {(f.rule, f.path) for f in found} == {
        ("kubeadm-version-older", "manifests/kube-apiserver.yaml"),
        ("key-mismatch", "pki/apiserver.key"),
    }


def test_a_126_tree_keeps_the_facts_that_held_then() -> None:
    names = {f.name for f in withheld_facts(Version(1, 26, 3))}
    assert names == {"etcd-version"}
    assert withheld_facts(Version(1, 28, 0)) == ()


def test_a_kept_flexvolume_on_136_is_a_version_difference(writable_tree) -> None:
    from kexplore.core.diff import VERSION, diff_manifest
    from kexplore.core.infer import infer

    root = writable_tree(at("1.35.0"))
    retag(root, "v1.35.0", "v1.36.0")
    tree = scan(root)
    diff = diff_manifest(tree, "manifests/kube-controller-manager.yaml", infer(tree))
    assert diff is not None and diff.fields
    assert {d.kind for d in diff.fields} == {VERSION}
    assert all("flexvolume-dir" in d.where for d in diff.fields)
