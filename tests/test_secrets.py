"""Secrets never shown: the redacted YAML tab, the manifest diff and the broken-file preview.

Each case is a way the old text-based redactor or the old preview let a secret through.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kexplore.cli import main
from kexplore.core.read.read_kubeconfig import redacted_yaml
from kexplore.core.secrets import (
    REDACTED,
    is_secret_key,
    redact_document,
    redact_pem,
    safe_preview,
)

SECRET = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5"
SERVER = "https://192.168.1.10:6443"
HEAD = f"clusters:\n- name: c\n  cluster:\n    server: {SERVER}\n".encode()


def _user(body: str) -> bytes:
    """A kubeconfig whose one user's mapping is `body` (indented under `user:`)."""
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return HEAD + b"users:\n- name: a\n  user:\n" + lines.encode()


LEAKS: dict[str, bytes] = {
    "flow mapping": HEAD + f"users: [{{name: a, user: {{client-key-data: {SECRET}}}}}]\n".encode(),
    "JSON escaped key": json.dumps(
        {"clusters": [{"name": "c", "cluster": {"server": SERVER}}]}
    )[:-1].encode()
    + b', "users": [{"name": "a", "user": {"client\\u002dkey-data": "'
    + SECRET.encode()
    + b'"}}]}',
    "YAML escaped key": _user(f'"client\\x2dkey-data": {SECRET}'),
    "anchor under another key": HEAD
    + f"x: &k {SECRET}\nusers:\n- name: a\n  user:\n    client-key-data: *k\n".encode(),
    "short anchored secret": HEAD
    + b"x: &k hunter2\nusers:\n- name: a\n  user:\n    password: *k\n",
    "block scalar with a blank line": _user(
        f"client-key-data: |\n  {SECRET[:20]}\n\n  {SECRET[20:]}\nusername: bob"
    ),
    "block header |2": _user(f"client-key-data: |2\n    {SECRET}"),
    "block header with a comment": _user(f"client-key-data: | # comment\n  {SECRET}"),
    "multi-line plain scalar": _user(f"client-key-data: {SECRET[:20]}\n  {SECRET[20:]}"),
    "multi-line single quotes": _user(f"client-key-data: '{SECRET[:20]}\n  {SECRET[20:]}'"),
    "multi-line double quotes": _user(f'client-key-data: "{SECRET[:20]}\n  {SECRET[20:]}"'),
    "complex key": _user(f"? client-key-data\n: {SECRET}"),
    "key in capitals": _user(f"Client-Key-Data: {SECRET}"),
    "exec env": _user(
        "exec:\n  command: aws\n  env:\n  - name: AWS_SECRET_ACCESS_KEY\n"
        f"    value: {SECRET}\n  - name: AWS_PROFILE\n    value: hunter2"
    ),
    "exec args": _user(f'exec:\n  command: get-token\n  args: ["--token={SECRET}"]'),
    "exec args, value apart": _user(f'exec:\n  command: x\n  args: ["--password", "{SECRET}"]'),
    "auth-provider config": _user(
        f"auth-provider:\n  name: oidc\n  config:\n    client-id: hunter2\n    idp: {SECRET}"
    ),
    "PEM under an innocent key": _user(
        f"note: |\n  -----BEGIN EC PRIVATE KEY-----\n  {SECRET}\n  -----END EC PRIVATE KEY-----"
    ),
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_redacted_yaml_hides_every_spelling_of_a_secret(name: str) -> None:
    text = redacted_yaml(LEAKS[name])
    for fragment in (SECRET, SECRET[:20], SECRET[20:], "hunter2"):
        assert fragment not in text, name
    assert SERVER in text and REDACTED in text
    assert yaml.safe_load(text)["clusters"][0]["cluster"]["server"] == SERVER


def test_a_path_is_shown_and_a_broken_file_is_not() -> None:
    text = redacted_yaml(
        _user("tokenFile: /var/run/token\nclient-key: /etc/kubernetes/pki/a.key\ntoken: abc.def")
    )
    assert "/var/run/token" in text and "/etc/kubernetes/pki/a.key" in text
    assert "abc.def" not in text
    broken = b"users:\n- name: a\n  user:\n    client-key-data: " + SECRET.encode() + b"\n  ["
    shown = redacted_yaml(broken)
    assert SECRET not in shown and "not shown" in shown


def test_the_name_rules() -> None:
    for name in ("client-key-data", "Client-Key-Data", "proxy-key-data", "token", "id-token",
                 "password", "client-secret", "AWS_SECRET_ACCESS_KEY", "refresh-token"):
        assert is_secret_key(name), name
    for name in ("tokenFile", "token-file", "client-key", "client-certificate-data",
                 "certificate-authority-data", "username", "server", "secretName"):
        assert not is_secret_key(name), name
    unterminated = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIBsecret"
    assert "MIIBsecret" not in redact_pem(unterminated)


def test_manifest_redaction_keeps_kubeadm_flags() -> None:
    pod = {"spec": {"containers": [{"name": "kube-apiserver", "command": [
        "kube-apiserver",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--enable-bootstrap-token-auth=true",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--oidc-client-secret=hunter2",
    ]}]}}
    command = redact_document(pod)["spec"]["containers"][0]["command"]
    assert command[:4] == pod["spec"]["containers"][0]["command"][:4]
    assert command[4] == "--oidc-client-secret=REDACTED"


# --- diff and check -------------------------------------------------------------------------

LEAKED = ("hunter2", "hunter3", "MIIEvQIBADANpemleak", "awsleak123", "proxypass")


def _plant_secrets(root: Path) -> None:
    path = root / "manifests" / "kube-apiserver.yaml"
    text = path.read_text()
    text = text.replace(
        "    - --allow-privileged=true\n",
        "    - --allow-privileged=true\n    - --oidc-client-secret=hunter2\n"
        "    - --token-thing\n    - hunter3value\n",
    )
    text = text.replace(
        "  annotations:\n",
        "  annotations:\n    leak: |\n      -----BEGIN PRIVATE KEY-----\n"
        "      MIIEvQIBADANpemleak\n      -----END PRIVATE KEY-----\n",
    )
    text = text.replace(
        "    image:",
        "    env:\n    - name: AWS_SECRET_ACCESS_KEY\n      value: awsleak123\n"
        "    - name: HTTPS_PROXY\n      value: http://bob:proxypass@proxy:3128\n    image:",
        1,
    )
    assert text.count("hunter") == 2 and "awsleak123" in text
    path.write_text(text)


@pytest.mark.parametrize("fmt", ["text", "json", "unified"])
def test_diff_never_prints_a_secret(
    fmt: str, writable_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = writable_tree()
    _plant_secrets(root)
    main(["diff", str(root), "--format", fmt])
    out = capsys.readouterr().out
    assert [s for s in LEAKED if s in out] == []
    assert "oidc-client-secret" in out and REDACTED in out
    if fmt != "text":  # the text table folds long values
        assert "http://REDACTED@proxy:3128" in out  # the setting shown, its password not


def test_two_different_secrets_still_differ(writable_tree: Callable[..., Path]) -> None:
    from kexplore.core.conventions.manifests import STATIC_PODS_BY_FILE
    from kexplore.core.diff import diff_pod
    from kexplore.core.infer import infer
    from kexplore.core.read.scan import scan

    root = writable_tree()
    _plant_secrets(root)
    tree = scan(root)
    raw = tree.get("manifests/kube-apiserver.yaml").content.raw  # type: ignore[union-attr]
    spec = STATIC_PODS_BY_FILE["manifests/kube-apiserver.yaml"]
    diff = diff_pod("manifests/kube-apiserver.yaml", raw, spec, infer(tree))
    secret = next(d for d in diff.flags if d.where == "--oidc-client-secret")
    assert (secret.change, secret.actual) == ("added", REDACTED)
    assert not [s for s in LEAKED if s in repr(diff.all) + diff.unified]


def test_check_json_never_prints_a_secret(
    writable_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = writable_tree()
    _plant_secrets(root)
    main(["check", str(root), "--format", "json"])
    out = capsys.readouterr().out
    assert "oidc-client-secret" in out
    assert [s for s in LEAKED if s in out] == []


# --- broken-file previews -------------------------------------------------------------------


def test_a_broken_kubeconfig_is_described_not_shown() -> None:
    data = b"apiVersion: v1\nusers:\n- name: a\n  user:\n    client-key-data: " + \
        SECRET.encode() + b"\n  [broken"
    for path in ("admin.conf", "tmp/something.yaml"):
        shown = safe_preview(path, data)
        assert shown is not None and SECRET[:8] not in shown and "text, 6 lines" in shown


def test_a_der_key_under_a_certificate_name_is_described_not_shown() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    for data in (der, der[:64]):  # the whole key, and only its start
        shown = safe_preview("pki/front-proxy-client.crt", data)
        assert shown is not None and "binary data" in shown
        assert scalar.hex()[:8] not in shown and base64.b64encode(der)[:16].decode() not in shown


def test_a_harmless_broken_certificate_may_be_previewed() -> None:
    data = b"-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIQ\n"
    assert safe_preview("pki/ca.crt", data) is None
    assert "CERTIFICATE" in (safe_preview("pki/ca.key", data) or "")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_broken_file_view_shows_no_secret(writable_tree: Callable[..., Path]) -> None:
    """The two leaks of the old preview, in the explorer itself."""
    from kexplore.ui.app import KexploreApp
    from kexplore.ui.views.other import BrokenView
    from tests.conftest import NOW
    from tests.test_ui_app import SIZE, open_path, screen_text, started

    root = writable_tree()
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (root / "pki" / "front-proxy-client.crt").write_bytes(der)
    conf = b"apiVersion: v1\nusers:\n- name: a\n  user:\n    client-key-data: " + \
        SECRET.encode() + b"\n  [broken"
    (root / "admin.conf").write_bytes(conf)
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        for path, leaks in (
            ("pki/front-proxy-client.crt", (der[:4].hex(" "), der[32:40].hex(" "))),
            ("admin.conf", (SECRET[:16], "6c 69 65 6e 74 2d 6b 65")),
        ):
            await open_path(app, pilot, path)
            assert app.main.query(BrokenView), path
            text = screen_text(app)
            assert "not shown" in text, path
            assert [leak for leak in leaks if leak in text] == [], path


def test_a_long_path_is_shown_without_loading_cryptography() -> None:
    """A path of base64's alphabet decodes to bytes; only bytes that are one DER value are
    worth asking cryptography about, so the explorer's parent process never loads it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kexplore.core.secrets import shown\n"
        "path = '/tmp/pytest-of-root/pytest-926/trees/79aeb76d2fee2940a0a1/etc-kubernetes'\n"
        "assert shown(path) == path\n"
        "print('cryptography' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
