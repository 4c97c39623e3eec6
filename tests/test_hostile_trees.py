"""Hostile and odd content in kubeadm's own places, through every face: check, certs, diff,
the CIS profile, and the explorer visiting every file. Nothing may raise or hang."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import corpus as c
import pytest
import yaml
from conftest import NOW

from kexplore.core.check import check_tree
from kexplore.core.cis import evaluate_cis
from kexplore.core.conventions.manifests import STATIC_PODS
from kexplore.core.diff import checklist, diff_manifest
from kexplore.core.expiry import expiry_rows
from kexplore.core.infer import infer
from kexplore.core.model import Kind, Severity
from kexplore.core.pki import KeyInfo, PublicKeyInfo
from kexplore.core.read.scan import scan
from kexplore.core.relations import chain, pairings
from kexplore.core.report.text import expiry_tables, findings_renderable

API = "manifests/kube-apiserver.yaml"
ETCD = "manifests/etcd.yaml"


def _pod_edit(path: str, edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        pod = yaml.safe_load((root / path).read_text())
        edit(pod)
        (root / path).write_text(yaml.safe_dump(pod))

    return apply


def _container(pod: dict) -> dict:
    return pod["spec"]["containers"][0]


def _write(path: str, data: bytes | str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        target = root / path
        if isinstance(data, str):
            target.write_text(data)
        else:
            target.write_bytes(data)

    return apply


def _kubeconfig_edit(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    return _pod_edit("admin.conf", edit)


def _set(d: dict, value: object, *keys: str | int) -> None:
    for key in keys[:-1]:
        d = d[key]  # type: ignore[index]
    d[keys[-1]] = value  # type: ignore[index]


OTHER_CA = c.make_cert("kubernetes", c.ec_key(9), ca=True)
NO_EXTENSIONS = c.make_cert("kube-apiserver", c.ec_key(8), issuer=OTHER_CA,
                            issuer_key=c.ec_key(9), aki=False)

MUTATIONS: dict[str, Callable[[Path], None]] = {
    # manifests: shapes and values a hand edit or a bad tool leaves
    "command-is-a-string": _pod_edit(API, lambda p: _set(
        _container(p), "kube-apiserver --secure-port=6443", "command")),
    "no-containers": _pod_edit(API, lambda p: _set(p, [], "spec", "containers")),
    "empty-container": _pod_edit(API, lambda p: _set(p, [{}], "spec", "containers")),
    "image-without-tag": _pod_edit(API, lambda p: _set(_container(p), "kube-apiserver",
                                                       "image")),
    "image-is-a-number": _pod_edit(API, lambda p: _set(_container(p), 5, "image")),
    "command-with-odd-items": _pod_edit(API, lambda p: _set(
        _container(p), ["kube-apiserver", 5, None, {"a": "b"}, "--", "-x", "---a=b"],
        "command")),
    "advertise-address-not-an-ip": _pod_edit(API, lambda p: _container(p)["command"].append(
        "--advertise-address=not-an-ip")),
    "secure-port-not-a-number": _pod_edit(API, lambda p: _container(p)["command"].append(
        "--secure-port=abc")),
    "service-range-garbage": _pod_edit(API, lambda p: _container(p)["command"].append(
        "--service-cluster-ip-range=10.0.0.0/99,::::/x")),
    "etcd-servers-empty": _pod_edit(API, lambda p: _container(p)["command"].append(
        "--etcd-servers=,,,")),
    "endpoint-annotation-garbage": _pod_edit(API, lambda p: _set(
        p, {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "::::"},
        "metadata", "annotations")),
    "metadata-null": _pod_edit(API, lambda p: _set(p, None, "metadata")),
    "labels-a-list": _pod_edit(API, lambda p: _set(p, ["a", "b"], "metadata", "labels")),
    "volumes-a-string": _pod_edit(API, lambda p: _set(p, "x", "spec", "volumes")),
    "hostpath-null": _pod_edit(API, lambda p: _set(p, [{"name": "v", "hostPath": None}],
                                                   "spec", "volumes")),
    "huge-flag": _pod_edit(API, lambda p: _container(p)["command"].append(
        "--feature-gates=" + "A=true," * 20000)),
    "args-not-command": _pod_edit(API, lambda p: (_container(p).__setitem__(
        "args", _container(p).pop("command")[1:]))),
    "crlf-and-tabs": _write(API, "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: x}\r\n"
                            "spec:\r\n  containers:\r\n  - {name: a, image: b}\r\n"),
    "duplicate-keys": _write(API, "kind: Pod\nkind: Pod\nspec: {containers: []}\n"),
    "etcd-urls-garbage": _pod_edit(ETCD, lambda p: _container(p)["command"].extend(
        ["--advertise-client-urls=http://[::1", "--name=", "--initial-cluster=,=,"])),
    # kubeconfigs
    "kubeconfig-lists-null": _kubeconfig_edit(lambda k: k.update(
        clusters=None, users="x", contexts=[[]])),
    "kubeconfig-ca-empty": _kubeconfig_edit(lambda k: _set(
        k, "", "clusters", 0, "cluster", "certificate-authority-data")),
    "kubeconfig-ca-is-a-key": _kubeconfig_edit(lambda k: _set(
        k, c.b64(c.key_pem(c.ec_key(3))), "clusters", 0, "cluster",
        "certificate-authority-data")),
    "kubeconfig-key-is-a-cert": _kubeconfig_edit(lambda k: _set(
        k, c.b64(c.cert_pem(OTHER_CA)), "users", 0, "user", "client-key-data")),
    "kubeconfig-server-odd": _kubeconfig_edit(lambda k: _set(
        k, 5, "clusters", 0, "cluster", "server")),
    "kubeconfig-current-context-number": _kubeconfig_edit(lambda k: k.update(
        {"current-context": 5})),
    "kubeconfig-exec-and-token": _kubeconfig_edit(lambda k: _set(
        k, {"token": "abc", "exec": {"command": "aws"}}, "users", 0, "user")),
    "kubeconfig-json-bom": _write("admin.conf", b"\xef\xbb\xbf" + b'{"kind": "Config", '
                                  b'"clusters": [], "users": [], "contexts": []}'),
    # certificates and keys in kubeadm's places
    "ca-is-a-bundle": lambda root: (root / "pki/ca.crt").write_bytes(
        (root / "pki/ca.crt").read_bytes() + c.cert_pem(OTHER_CA)),
    "ca-is-der": lambda root: (root / "pki/ca.crt").write_bytes(
        c.cert_der(__import__("cryptography.x509", fromlist=["x"]).load_pem_x509_certificate(
            (root / "pki/ca.crt").read_bytes()))),
    "leaf-in-the-ca-file": _write("pki/ca.crt", c.cert_pem(NO_EXTENSIONS)),
    "apiserver-without-extensions": _write("pki/apiserver.crt", c.cert_pem(NO_EXTENSIONS)),
    "apiserver-key-ed25519": _write("pki/apiserver.key", c.key_pem(c.ed_key(), "pkcs8")),
    "ca-key-encrypted": _write("pki/ca.key", c.key_pem(c.ec_key(4), "pkcs8", b"secret")),
    "sa-pub-is-a-cert": _write("pki/sa.pub", c.cert_pem(OTHER_CA)),
    "sa-key-is-garbage": _write("pki/sa.key", b"-----BEGIN RSA PRIVATE KEY-----\n%%%\n"),
    "etcd-ca-empty": _write("pki/etcd/ca.crt", b""),
    "cert-is-base64-of-itself": lambda root: (root / "pki/front-proxy-client.crt").write_bytes(
        base64.b64encode((root / "pki/front-proxy-client.crt").read_bytes())),
}


def _exercise_core(root: Path) -> None:
    tree = scan(root)
    report = check_tree(tree, NOW, profile="all")
    inferred = infer(tree)
    for spec in STATIC_PODS:
        diff = diff_manifest(tree, spec.file, inferred)
        if diff is not None:
            assert isinstance(diff.unified, str)
        checklist(tree, spec.file, report)
    expiry_rows(tree, NOW)
    evaluate_cis(tree)
    for node in tree.of_kind(Kind.CERTIFICATE):
        for cert in node.content or ():
            chain(tree, cert)
    for node in tree.of_kind(Kind.PRIVATE_KEY, Kind.PUBLIC_KEY):
        if isinstance(node.content, KeyInfo | PublicKeyInfo):
            pairings(tree, node.content)
    from rich.console import Console

    console = Console(file=open("/dev/null", "w"), width=120)  # noqa: SIM115
    console.print(findings_renderable(report))
    console.print(expiry_tables(expiry_rows(tree, NOW)))


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_face_of_the_core_survives(writable_tree, mutation: str) -> None:
    root = writable_tree()
    MUTATIONS[mutation](root)
    _exercise_core(root)


@pytest.mark.parametrize("mutation", ["command-is-a-string", "no-containers",
                                      "empty-container", "metadata-null", "labels-a-list",
                                      "kubeconfig-lists-null", "ca-is-der",
                                      "etcd-ca-empty", "sa-key-is-garbage"])
def test_a_broken_file_gets_a_finding_on_its_own_path(writable_tree, mutation: str) -> None:
    root = writable_tree()
    before = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
              if p.is_file()}
    MUTATIONS[mutation](root)
    changed = {p.relative_to(root).as_posix() for p in root.rglob("*")
               if p.is_file() and p.read_bytes() != before.get(p.relative_to(root).as_posix())}
    report = check_tree(scan(root), NOW)
    flagged = {f.path for f in report.findings if f.severity is not Severity.INFO}
    assert changed & flagged, (changed, sorted(flagged))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _until_loaded(app, pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        await pilot.pause(0.02)
        if app.session is not None:
            return
    raise AssertionError(f"the {name} tree never loaded")


@pytest.mark.anyio
async def test_the_explorer_opens_every_file_of_every_hostile_tree(writable_tree,
                                                                    tmp_path: Path) -> None:
    """One explorer visits the hostile trees in turn (starting an app per tree cost most
    of this test's time): each tree is loaded from nothing, as at start, then every file
    its mutation touched is opened with its tabs, and the overview shown."""
    import shutil

    from kexplore.ui.app import KexploreApp

    base = writable_tree()
    original = {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*")
                if p.is_file()}
    trees = []
    for name, mutate in sorted(MUTATIONS.items()):
        root = tmp_path / name
        shutil.copytree(base, root)
        mutate(root)
        # the files this mutation touched (the rest are visited by the other UI tests)
        touched = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                   and p.read_bytes() != original.get(p.relative_to(root).as_posix())}
        trees.append((name, root, touched))
    app = KexploreApp(trees[0][1], now=NOW)
    visiting = trees[0][0]
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            for visiting, root, touched in trees:
                if root != app.root:
                    # a load with no previous scan to reuse, as the first one
                    app.root, app.root_label, app.session = root, str(root), None
                    app.reload()
                await _until_loaded(app, pilot, visiting)
                assert touched <= set(app.main.files.paths), visiting
                for path in sorted(touched):
                    app.main.jump(path)
                    await pilot.pause()
                    assert app.main.current == path, visiting
                    await pilot.press("enter", "tab", "tab")  # into the view and its tabs
                    await pilot.pause()
                await pilot.press("o")
                await pilot.pause()
    except Exception as exc:
        raise AssertionError(f"the explorer failed on the {visiting} tree") from exc
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("payload", [b"[" * 30000, b"- " * 30000, b"{a: " * 30000])
def test_deep_nesting_is_an_error_not_a_crash(writable_tree, payload: bytes) -> None:
    """libyaml's C parser would overflow the C stack on these: the process must live."""
    import subprocess
    import sys

    root = writable_tree()
    (root / "notes.txt").write_bytes(payload)
    (root / "manifests/kube-scheduler.yaml").write_bytes(payload)
    done = subprocess.run([sys.executable, "-m", "kexplore", "check", str(root), "--now",
                           "2026-11-01T09:00:00Z", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert '"path": "manifests/kube-scheduler.yaml"' in done.stdout
    assert "nested too deeply" in done.stdout


@pytest.mark.parametrize("tag", ["v3.6.0", "latest", "3", ""])
def test_any_etcd_image_tag_is_read(writable_tree, tag: str) -> None:
    root = writable_tree()
    path = root / "manifests/etcd.yaml"
    path.write_text(path.read_text().replace("etcd:3.6.6-0", f"etcd:{tag}" if tag else "etcd"))
    _exercise_core(root)
