"""One redaction for every output: secrets planted in the tree (a URL password, flags under
names outside any fixed list, secret env values, a token and password in a kubeconfig, a
`--api-key` in a file that does not parse, a key's base64 as a YAML tag) reach no output of
any face: check, certs and diff in every format, check --watch, and the explorer's every
view, table, toast and the clipboard."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path

import planted_secrets as ps
import pytest
from conftest import NOW
from pilots import recorded_toasts

from kexplore.cli import build_parser, main
from kexplore.commands import render_check
from kexplore.core.secrets import (
    REDACTED,
    is_secret_flag,
    redact_args,
    redact_document,
    redact_message,
    redact_text,
    safe_preview,
)
from kexplore.ui.app import KexploreApp
from kexplore.ui.widgets.tables import KeyTable
from kexplore.watchcheck import watch_check


@pytest.fixture
def planted(writable_tree: Callable[..., Path]) -> tuple[Path, list[str]]:
    root = writable_tree()
    return root, ps.plant(root)


@pytest.mark.parametrize("name", [
    "--db-pass", "--audit-webhook-pass", "--vault-pwd", "--api-key", "--basic-auth",
    "--oidc-client-credential", "--admin-secret", "--auth-token", "vaultPwd", "DB_PASSWORD",
    "SERVICE_KEY", "clientSecret", "--passphrase",
])
def test_secret_flag_names_by_their_parts(name: str) -> None:
    assert is_secret_flag(name)


@pytest.mark.parametrize("name", [
    "--tls-private-key-file", "--tls-cert-file", "--client-ca-file", "--token-auth-file",
    "--service-account-key-file", "--authorization-mode", "--authentication-kubeconfig",
    "--secure-port", "--passthrough", "--keyspace", "--requestheader-allowed-names",
])
def test_path_flags_and_ordinary_words_are_shown(name: str) -> None:
    assert not is_secret_flag(name)


def test_redact_message_hides_what_free_text_carries() -> None:
    text = ("server https://admin:pw@host:6443 --db-pass=hunter2 --anonymous-auth=false "
            "--kubelet-client-key=/etc/kubernetes/pki/a.key "
            "tag !!MIIEowIBAAKCAQEAu1SU1LfbLWr7LLQ8SXrpm9TYbCsxUQ0x "
            "sha256:" + "ab" * 32)
    shown = redact_message(text)
    assert "pw@" not in shown and "hunter2" not in shown and "MIIEow" not in shown
    assert f"https://{REDACTED}@host:6443" in shown and f"--db-pass={REDACTED}" in shown
    assert "--anonymous-auth=false" in shown and "/etc/kubernetes/pki/a.key" in shown
    assert "ab" * 32 in shown  # a digest is not a secret


def test_a_credential_header_is_hidden_and_prose_about_auth_is_not() -> None:
    probe = {"httpGet": {"path": "/livez", "httpHeaders": [
        {"name": "Authorization", "value": "Bearer abc.def"},
        {"name": "X-Api-Key", "value": "k"}, {"name": "Accept", "value": "text/plain"}]}}
    assert redact_document(probe)["httpGet"]["httpHeaders"] == [
        {"name": "Authorization", "value": REDACTED}, {"name": "X-Api-Key", "value": REDACTED},
        {"name": "Accept", "value": "text/plain"}]
    text = ('curl -H "Authorization: Bearer eyJhbGciOi.x1" -H "authorization: basic dXNlcjpwYXNz";'
            " basic authentication and bearer tokens are on")
    assert redact_message(text) == (
        f'curl -H "Authorization: Bearer {REDACTED}" -H "authorization: basic {REDACTED}";'
        " basic authentication and bearer tokens are on")


def test_json_inside_a_value_is_redacted_by_its_own_names() -> None:
    annotation = json.dumps({"spec": {"containers": [{
        "env": [{"name": "DB_PASSWORD", "value": "pw1"}], "args": ["--token=tk2"]}]},
        "clientSecret": "cs3", "issuer": "https://idp"})
    shown = redact_document({"metadata": {"annotations": {"last-applied": annotation}}})
    inner = json.loads(shown["metadata"]["annotations"]["last-applied"])
    assert inner["spec"]["containers"][0]["env"][0]["value"] == REDACTED
    assert inner["spec"]["containers"][0]["args"] == [f"--token={REDACTED}"]
    assert (inner["clientSecret"], inner["issuer"]) == (REDACTED, "https://idp")
    message = """--authentication-config-json is '{"clientSecret": "cs3", "issuer": "x"}'"""
    assert redact_message(message) == message.replace('"cs3"', f'"{REDACTED}"')


def test_a_secret_flag_and_its_value_inside_one_item_are_hidden() -> None:
    shell = redact_args(["sh", "-c", "exec x --db-pass hunter2  --port=1\n --api-key K9 -v"])
    assert shell == ["sh", "-c", f"exec x --db-pass {REDACTED}  --port=1\n --api-key {REDACTED} -v"]
    assert redact_args(["--oidc-client-secret Abc1"]) == [f"--oidc-client-secret {REDACTED}"]
    assert redact_message("oidc-client-secret Abc1") == f"oidc-client-secret {REDACTED}"
    assert redact_message("--db-password:Abc1 is 'true'") == f"--db-password:{REDACTED} is 'true'"
    assert redact_args(["--db-password:Abc1"]) == [f"--db-password:{REDACTED}"]
    # a name before it (JUnit's "where: <path> <pointer>") does not hide it
    assert redact_message("where: manifests/kube-apiserver.yaml --db-pass:Abc1") == (
        f"where: manifests/kube-apiserver.yaml --db-pass:{REDACTED}")
    # in prose a flag's name is followed by words, and they stay
    prose = ("--oidc-client-secret Abc1 is 'true'; --db-pass is given twice; "
             "--kubelet-client-key /etc/kubernetes/pki/a.key, --token-ttl 24h0m0s.")
    assert redact_message(prose) == prose.replace("Abc1", REDACTED)


def test_a_key_written_as_hex_is_hidden_and_a_digest_is_not() -> None:
    import corpus as c

    key = c.key_der(c.ec_key(56)).hex()
    digest = "ab" * 64  # as long as a SHA-512
    assert redact_message(f"dump: {key} and {digest}") == f"dump: {REDACTED} and {digest}"


def test_every_value_of_a_secrets_data_is_hidden() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
              "data": {"pin": "MTIzNA==", "ca.crt": "Y2E="}, "stringData": {"dsn": "a b"}}
    shown = redact_document(secret)
    assert shown["data"] == {"pin": REDACTED, "ca.crt": REDACTED}
    assert shown["stringData"] == {"dsn": REDACTED} and shown["metadata"] == {"name": "db"}


def test_a_keys_base64_inside_a_longer_text_is_hidden() -> None:
    import corpus as c

    key = base64.b64encode(c.key_der(c.ec_key(57))).decode()
    named = key.replace("/", "_")  # as a file name has it
    assert redact_text(f"/opt/keys/{named}.key") == f"/opt/keys/{REDACTED}.key"
    assert redact_text(f"dump={key} end") == f"dump={REDACTED} end"
    ca = c.b64(c.cert_pem(c.make_cert("ca", c.ec_key(58), ca=True)))
    assert redact_text(f"ca {ca}") == f"ca {ca}"  # a certificate's base64 is public


def test_a_switch_ending_a_clause_is_shown_and_a_secret_there_is_not() -> None:
    shown = redact_message("set --service-account-extend-token-expiration=false; to keep it, "
                           "and --db-token=hunter2; also --id-token=48h.")
    assert "--service-account-extend-token-expiration=false; to keep it" in shown
    assert "--id-token=48h." in shown
    assert f"--db-token={REDACTED} also" in shown and "hunter2" not in shown


def test_the_cis_fix_for_token_expiration_says_what_to_set(
    make_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(make_tree()), "--profile", "cis", "--format", "json",
          "--now", NOW.isoformat()])
    found = [f for f in json.loads(capsys.readouterr().out)["findings"]
             if f["rule"] == "cis-1.2.30"]
    assert [(f["path"], f["pointer"]) for f in found] == [
        ("manifests/kube-apiserver.yaml", "--service-account-extend-token-expiration")]
    assert "set --service-account-extend-token-expiration=false; to keep it" in found[0]["fix"]


def test_a_broken_file_mentioning_a_secret_flag_is_not_previewed() -> None:
    data = b"spec:\n  containers:\n  - command: [kube-x, --api-key=PreviewApiKey13x\n"
    withheld = safe_preview("manifests/broken.yaml", data)
    assert withheld is not None and "PreviewApiKey13x" not in withheld


COMMANDS = [
    ["check"], ["check", "--format", "json"], ["check", "--format", "junit"],
    ["check", "--profile", "all"], ["check", "--profile", "all", "--format", "json"],
    ["certs"], ["certs", "--format", "json"],
    ["diff"], ["diff", "--format", "json"], ["diff", "--format", "unified"],
    ["certs", "--format", "prometheus"], ["certs", "--format", "kubeadm-json"],
    ["inventory"], ["compare"], ["compare", "--format", "json"],
    ["connections"], ["connections", "--format", "json"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_command_prints_a_planted_secret(
    planted: tuple[Path, list[str]], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, secrets = planted
    nodes = [str(root)] * (2 if command[0] == "compare" else 1)
    clock = [] if command[0] == "diff" else ["--now", NOW.isoformat()]  # a diff does not age
    main([command[0], *nodes, *command[1:], *clock])
    out, err = capsys.readouterr()
    assert out and ps.leaks(out + err, secrets) == []


def test_the_planted_secrets_are_there_to_find(planted: tuple[Path, list[str]]) -> None:
    # the test above can fail: every secret is in the tree, and the findings see the flags
    root, secrets = planted
    on_disk = "".join(p.read_text(errors="replace") + str(p) for p in root.rglob("*")
                      if p.is_file())
    assert ps.leaks(on_disk, secrets) == secrets
    report, _text = render_check(build_parser().parse_args(
        ["check", str(root), "--now", NOW.isoformat()]))
    messages = " ".join(f.message for f in report.findings)
    assert "--db-pass" in messages and "extra.yaml" in {f.path for f in report.findings}


def test_check_watch_prints_no_planted_secret(planted: tuple[Path, list[str]]) -> None:
    root, secrets = planted
    args = build_parser().parse_args(["check", str(root), "--now", NOW.isoformat(), "--watch"])
    out, err = io.StringIO(), io.StringIO()
    watch_check(args, render_check, stop_event=threading.Event(), max_updates=0, out=out,
                err=err)
    assert "watching" in out.getvalue()
    assert ps.leaks(out.getvalue() + err.getvalue(), secrets) == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_no_explorer_view_table_toast_or_copy_shows_a_planted_secret(
    planted: tuple[Path, list[str]],
) -> None:
    from test_sanitise import _screen  # what every widget of every open screen holds

    root, secrets = planted
    app = KexploreApp(root, now=NOW, root_label=str(root))
    toasts = recorded_toasts(app)
    seen: list[str] = []
    copied: list[str] = []
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session is not None:
                break
        await pilot.pause(0.1)
        seen.append(_screen(app))
        paths = app.main.files.paths
        for path in [*paths, ":cluster"]:
            if path == ":cluster":
                await app.main.action_cluster()
            else:
                app.main.jump(path)
            await pilot.pause(0.05)
            seen.append(_screen(app))
            for table in app.main.query(KeyTable):  # `c` on every row of every table
                table.focus()
                for row in range(table.row_count):
                    table.move_cursor(row=row)
                    app.main.action_copy()
                    copied.append(app.clipboard)
    assert len(copied) > 100 and "manifests/kube-apiserver.yaml" in paths
    shown = "\n".join(seen)
    assert "--db-pass" in shown  # the flag is there, its value is not
    assert "client-key-data: REDACTED" in shown  # the YAML tabs were read too
    assert ps.leaks(shown, secrets) == []
    assert ps.leaks("\n".join(copied), secrets) == []
    assert ps.leaks("\n".join(toasts), secrets) == []


def test_public_pem_blocks_keep_their_base64() -> None:
    import corpus as c

    pem = c.cert_pem(c.make_cert("x", c.ec_key(52))).decode()
    assert redact_message(pem) == pem  # `c` copies a certificate whole
    key = c.key_pem(c.ec_key(53)).decode()
    assert "REDACTED" in redact_message(pem + key) and redact_message(pem + key).startswith(pem)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_compare_shows_no_secret_or_raw_byte_an_inventory_file_carries(
    make_tree: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    """An inventory may come from anywhere (an older kexplore, a hand edit): what compare
    loads from it is redacted and escaped as if it had been built here."""
    import hostile_names as h
    from test_sanitise import assert_inert

    main(["inventory", str(make_tree()), "--now", NOW.isoformat()])
    mine = capsys.readouterr().out
    doc = json.loads(mine)
    for parameter in doc["parameters"]:
        if parameter["name"] == "node_name":
            parameter["value"] = f"cp-2{h.OSC_TITLE}{h.BIDI}"
    api = next(m for m in doc["manifests"] if m["path"] == "manifests/kube-apiserver.yaml")
    flags = api["containers"][0]["flags"]
    flags += [{"name": "oidc-client-secret", "value": "InventorySecret17x"},
              {"name": "audit-log-path", "value": f"/var/log/{h.CLEAR}{h.C1_CSI}a.log"}]
    (tmp_path / "cp-1.json").write_text(mine)
    (tmp_path / "cp-2.json").write_text(json.dumps(doc))
    main(["compare", str(tmp_path / "cp-1.json"), str(tmp_path / "cp-2.json"),
          "--now", NOW.isoformat(), "--format", fmt])
    out = capsys.readouterr().out
    assert "--audit-log-path" in out and "--oidc-client-secret" in out  # both compared
    assert "InventorySecret17x" not in out
    assert_inert(json.dumps(json.loads(out), ensure_ascii=False) if fmt == "json" else out)
