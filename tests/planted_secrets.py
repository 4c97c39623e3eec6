"""A tree with secrets planted where a hand edit or a careless tool puts them, and the
list of those secrets: no output of any face may carry one of them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import corpus as c
import yaml

URL_PASSWORD = "UrlPw0rdInServer"
PROXY_PASSWORD = "Pr0xyPwInEnv"
FLAG_SECRETS = {
    "--db-pass": "DbPassValue1x",
    "--audit-webhook-pass": "AuditPassValue2x",
    "--vault-pwd": "VaultPwdValue3x",
    "--api-key": "ApiKeyValue4x",
    "--basic-auth": "BasicAuthValue5x",
    "--oidc-client-credential": "CredValue6x",
}
SEPARATE_FLAG = ("--admin-secret", "SepSecretValue7x")  # `--flag value` as two items
ENV_SECRETS = {"DB_PASSWORD": "EnvPwValue8x", "SERVICE_KEY": "EnvKeyValue9x",
               "PLAIN_SETTING": "EnvPlainValue10x"}
KUBECONFIG_TOKEN, KUBECONFIG_PASSWORD = "KcTokenValue11x", "KcPwValue12x"
PREVIEW_SECRET = "PreviewApiKey13x"
PROBE_TOKEN = "ProbeBearer14x"  # a probe's Authorization header
JSON_FLAG_SECRET = "JsonFlagSecret15x"  # inside a flag whose value is JSON
LAST_APPLIED_SECRET = "LastAppliedPw16x"  # inside kubectl's last-applied annotation, JSON
SPACED_SECRET = "SpacedSecret18x"  # `--flag value` written as one item
SHELL_SECRET = "ShellSecret19x"  # `--flag value` inside a shell line for `sh -c`
# a Secret saved into manifests/ (`kubectl get secret -o yaml`): its data, whatever the keys
SECRET_DATA = base64.b64encode(b"SecretData20x").decode()
SECRET_STRING = "StringData21x"
# a certificate saved under a key's base64 as its name, and a key written as hex
KEY_NAME = base64.b64encode(c.key_der(c.ec_key(54))).decode().replace("/", "_")[:100]
KEY_HEX = c.key_der(c.ec_key(55)).hex()
# the start of a real private key's base64, as a YAML tag: echoed by a parse error
KEY_BLOB = base64.b64encode(c.key_der(c.ec_key(51))).decode()[:120]


def plant(root: Path) -> list[str]:
    """Write the secrets into the tree; return every secret a face must never show."""
    admin = yaml.safe_load((root / "admin.conf").read_text())
    server = admin["clusters"][0]["cluster"]["server"]
    admin["clusters"][0]["cluster"]["server"] = server.replace(
        "https://", f"https://admin:{URL_PASSWORD}@")
    admin["users"][0]["user"].update(token=KUBECONFIG_TOKEN, password=KUBECONFIG_PASSWORD)
    (root / "admin.conf").write_text(yaml.safe_dump(admin))

    api = root / "manifests" / "kube-apiserver.yaml"
    pod = yaml.safe_load(api.read_text())
    container = pod["spec"]["containers"][0]
    container["command"] += [f"{k}={v}" for k, v in FLAG_SECRETS.items()] + list(SEPARATE_FLAG)
    container["command"].append(f"--oidc-client-secret {SPACED_SECRET}")
    container["command"].append(
        "--authentication-config-json=" + json.dumps({"clientSecret": JSON_FLAG_SECRET}))
    pod["metadata"].setdefault("annotations", {})[
        "kubectl.kubernetes.io/last-applied-configuration"] = json.dumps({"spec": {
            "containers": [{"env": [{"name": "DB_PASSWORD", "value": LAST_APPLIED_SECRET}]}]}})
    container["env"] = [{"name": k, "value": v} for k, v in ENV_SECRETS.items()] + [
        {"name": "HTTPS_PROXY", "value": f"http://ops:{PROXY_PASSWORD}@proxy:3128"}]
    container["livenessProbe"]["httpGet"]["httpHeaders"] = [
        {"name": "Authorization", "value": f"Bearer {PROBE_TOKEN}"}]
    pod["metadata"]["annotations"]["debug-dump"] = KEY_HEX
    api.write_text(yaml.safe_dump(pod))
    (root / "pki" / f"{KEY_NAME}.crt").write_bytes((root / "pki" / "ca.crt").read_bytes())

    scheduler = root / "manifests" / "kube-scheduler.yaml"
    pod = yaml.safe_load(scheduler.read_text())
    pod["spec"]["containers"].append({"name": "sidecar", "image": "busybox", "command": [
        "sh", "-c", f"exec vault-agent --role=x --db-pass {SHELL_SECRET}"]})
    scheduler.write_text(yaml.safe_dump(pod))

    # a key kept outside the tree, under a key's base64: a note names the file unchecked
    scheduler_conf = yaml.safe_load((root / "scheduler.conf").read_text())
    user = scheduler_conf["users"][0]["user"]
    del user["client-key-data"]
    user["client-key"] = f"/opt/keys/{KEY_NAME}.key"
    (root / "scheduler.conf").write_text(yaml.safe_dump(scheduler_conf))

    (root / "manifests" / "db-secret.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "data": {"pin": SECRET_DATA}, "stringData": {"dsn": f"user=app pin={SECRET_STRING}"}}))

    (root / "manifests" / "broken.yaml").write_text(
        f"spec:\n  containers:\n  - command: [kube-x, --api-key={PREVIEW_SECRET}\n")
    (root / "extra.yaml").write_text(f"key: !!{KEY_BLOB}\n")
    return [URL_PASSWORD, PROXY_PASSWORD, *FLAG_SECRETS.values(), SEPARATE_FLAG[1],
            *ENV_SECRETS.values(), KUBECONFIG_TOKEN, KUBECONFIG_PASSWORD, PREVIEW_SECRET,
            PROBE_TOKEN, JSON_FLAG_SECRET, LAST_APPLIED_SECRET, SPACED_SECRET,
            SHELL_SECRET, KEY_NAME[20:60], KEY_HEX[20:80], SECRET_DATA, SECRET_STRING,
            KEY_BLOB[:40]]


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The planted secrets that appear in `text`."""
    return [s for s in secrets if s in text]
