"""What counts as a secret, and how it is kept out of everything kexplore shows or writes.

One set of rules serves the YAML tab (kubeconfigs and manifests), the manifest diff and
the broken-file preview, so a value hidden in one place is hidden in all of them.

The rules work on parsed documents, never on the text: YAML has too many spellings of
the same mapping (flow style, escaped keys, anchors, block headers, multi-line scalars)
for a line-based redactor to keep up with. What the parser resolved is what is redacted.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kexplore.core.names import printable, printable_lines
from kexplore.core.pki import pem_labels

REDACTED = "REDACTED"

# --- names ---------------------------------------------------------------------------------

# Words that make a name a secret's name wherever they appear in it: `token`, `id-token`,
# `client-secret`, `AWS_SECRET_ACCESS_KEY`, `password`, `credentials`, and every `*-key-data`.
_SECRET_WORDS = ("token", "secret", "password", "passwd", "credential")
# Words that make a name a secret's name as a whole part of it (`--db-pass`, `--vault-pwd`),
# never inside another word (`passthrough`, `compass`).
_SECRET_PARTS = frozenset({"pass", "pwd", "passphrase", "pw"})
# On a command line or in an environment, `key` and `auth` are secrets as parts too
# (`--api-key`, `--basic-auth`); in a document they are ordinary field names (a toleration's
# `key`), so only flags and variables are read this way.
_FLAG_PARTS = _SECRET_PARTS | {"key", "apikey", "auth", "authkey", "cred", "creds"}
# A name ending like this holds where a secret lives, not the secret: `tokenFile`,
# `token-file`, `--token-auth-file`, `service-account-key-file`, `password_path`,
# `--client-ca-file`, `--tls-cert-file`. A path is shown, so a reader can find the file;
# the file's bytes are never read here.
_PATH_SUFFIXES = ("file", "files", "path", "paths", "dir", "dirs", "directory")
# Likewise a name ending like this names or points at a secret held elsewhere (a pod's
# `secretName`, `secretKeyRef: {name, key}`): the Secret's name is not its content.
_REFERENCE_SUFFIXES = ("ref", "refs", "name", "names")
# Values that are a setting, never a secret, whatever the name: a boolean switch such as
# --enable-bootstrap-token-auth=true, or a duration such as
# --service-account-max-token-expiration=48h. Hiding them would only hide configuration.
_SWITCH = re.compile(r"(?i:true|false)|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+")
# A file path as a value: absolute, or with a folder, and ending in an extension. Neither
# base64 (no dot) nor a JWT (no slash) has this shape, so a key's bytes never pass as one.
_PATH_VALUE = re.compile(r"(?:~|\.{1,2})?/?(?:[\w@+,-][\w.@+,-]*/)+[\w@+,-][\w.@+,-]*\.\w{1,8}")
# The parts of a name: split at -, _, . and where a lower-case letter meets a capital.
_PART_BREAK = re.compile(r"[-_.\s]+|(?<=[a-z0-9])(?=[A-Z])")


def _normal(name: str) -> str:
    return name.strip().lstrip("-").lower().replace("_", "-")


def name_parts(name: str) -> list[str]:
    """`--db-pass` → [db, pass]; `vaultPwd` → [vault, pwd]; `API_KEY` → [api, key]."""
    return [p.lower() for p in _PART_BREAK.split(name.strip().lstrip("-")) if p]


def is_path_name(name: str) -> bool:
    """Whether a name says its value is a file or folder path (`tokenFile`, `key-file`)."""
    return _normal(name).replace("-", "").endswith(_PATH_SUFFIXES)


def is_secret_key(name: object) -> bool:
    """Whether a mapping key's value is a secret: client-key-data, any *-key-data, token,
    password, secret, or any name containing those words, or `pass`/`pwd` as a part of it;
    but not a path's name nor a reference's."""
    if not isinstance(name, str):
        return False
    normal = _normal(name)
    if is_path_name(normal) or normal.replace("-", "").endswith(_REFERENCE_SUFFIXES):
        return False
    flat = normal.replace("-", "")
    return (flat.endswith("keydata") or any(word in flat for word in _SECRET_WORDS)
            or not _SECRET_PARTS.isdisjoint(name_parts(name)))


def is_secret_flag(name: str) -> bool:
    """Whether a command-line flag's or environment variable's value is a secret. Wider than
    is_secret_key: on a command line `--api-key=…`, `--basic-auth=…` or `ACCESS_KEY=…` is a
    secret itself. `--*-key-file`, `--*-cert-file`, `--*-ca-file` name paths and are shown."""
    if is_secret_key(name):
        return True
    return not is_path_name(name) and not _FLAG_PARTS.isdisjoint(name_parts(name))


def is_switch(value: object) -> bool:
    """A boolean or a duration: a setting, never a secret."""
    return isinstance(value, bool) or (isinstance(value, str) and bool(_SWITCH.fullmatch(value)))


# --- text -----------------------------------------------------------------------------------

_PEM_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.DOTALL | re.I
)
# scheme://user:password@host: the user-info part of a URL (a proxy setting, say).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
# An HTTP credential as a header carries it (`Authorization: Bearer <token>`, a probe's
# httpHeaders): the scheme is shown, the credential after it is not.
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|negotiate)(\s+)([\w.~+/=-]{8,})")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{64,}={0,2}")


def redact_pem(text: str) -> str:
    """Every PEM private key block replaced by its frame around REDACTED; an unterminated
    block is cut to the end, since its body runs there."""
    return _PEM_KEY.sub(
        lambda m: f"-----BEGIN {m.group(1)}-----\n{REDACTED}\n-----END {m.group(1)}-----", text
    )


def redact_text(text: str) -> str:
    """A string with what is secret inside it hidden: private key blocks, URL passwords, and
    as a whole when it is the base64 of a private key (a key under an innocent name)."""
    if _hides_private_key(text):
        return REDACTED
    text = _BASE64_RUN.sub(_redact_inner_key, text)
    text = _HEX_RUN.sub(lambda m: REDACTED if _hex_hides_key(m.group(0)) else m.group(0), text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", redact_pem(text))
    text = _JSON_PAIR.sub(_redact_json_pair, text)
    return _AUTH_SCHEME.sub(_redact_credential, text)


# "name": "value" as JSON writes it, inside any text: a flag whose value is JSON
# (--authentication-config-json={"clientSecret": "…"}), an annotation, a message quoting it.
_JSON_PAIR = re.compile(r'"(?P<name>[^"\\]{1,100})"(?P<colon>\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)"')


def _redact_json_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    if not is_secret_key(match.group("name")) or value == "" or is_switch(value):
        return match.group(0)
    return f'"{match.group("name")}"{match.group("colon")}"{REDACTED}"'


def _redact_credential(match: re.Match[str]) -> str:
    if not _looks_like_credential(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _looks_like_credential(word: str) -> bool:
    """A token, password or base64 has a digit, a capital past its first letter or a + / =;
    a word of prose ("basic authentication", "--db-pass is given twice") has none."""
    return (any(ch.isdigit() or ch in "+/=" for ch in word)
            or any(ch.isupper() for ch in word[1:]))


# `--secret-flag value` inside one text: a shell line (`sh -c "kube-apiserver --db-pass x"`),
# or a flag item written with a space or a colon instead of `=`, quoted by a message or
# listed by its name alone (`oidc-client-secret x`, in a flags table: a bare name has a
# hyphen).
_SPACED_FLAG = re.compile(r"(?<![\w.-])(?P<name>--[A-Za-z][\w.-]*|[A-Za-z][\w.]*-[\w.-]+)"
                          r"(?P<gap>[ \t]+|:)(?P<value>(?!-)[^\s'\"]+)")


def _redact_spaced_flag(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if (value.rstrip(_SENTENCE_END) == REDACTED
            or not _looks_like_credential(value.rstrip(_SENTENCE_END))
            or not flag_value_is_secret(name, value.rstrip(_SENTENCE_END))):
        return match.group(0)
    return f"{name}{match.group('gap')}{REDACTED}"


# A long run of base64 with letters of both cases and digits: a key, a token, a blob in a
# YAML tag. Paths, hex digests and fingerprints (lower case, or with colons) never match.
_BLOB = re.compile(r"(?<![\w+/])(?=[A-Za-z0-9+/_-]*[A-Z])(?=[A-Za-z0-9+/_-]*[a-z])"
                   r"(?=[A-Za-z0-9+/_-]*[0-9])[A-Za-z0-9+/_-]{40,}={0,2}")


def redact_message(text: str) -> str:
    """Free text about the tree (a finding, a parse error, a table cell, what is copied)
    with every secret in it hidden: what redact_text hides, the value of each secret
    `--flag=value` or `NAME=value`, and long base64 blobs. Every face passes what it shows
    through this (see shown), so nothing reaches an output without it."""
    text = _SPACED_FLAG.sub(_redact_spaced_flag, _redact_assignments(redact_text(text)))
    # a public PEM block (a certificate, what `c` copies) is base64 too, and is kept
    out, start = [], 0
    for block in _PUBLIC_PEM.finditer(text):
        out += [_BLOB.sub(REDACTED, text[start:block.start()]), block.group(0)]
        start = block.end()
    out.append(_BLOB.sub(REDACTED, text[start:]))
    return "".join(out)


_PUBLIC_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def _redact_assignments(text: str) -> str:
    return _ASSIGNMENT.sub(_redact_assignment, text)


def _redact_assignment(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    # In a sentence ("set --x-token-expiration=false; to keep it") the punctuation after a
    # switch is the sentence's, not the value's: the switch is shown. Any other value is
    # hidden whole, its last character too.
    if is_switch(value.rstrip(_SENTENCE_END)):
        return match.group(0)
    return f"{name}={REDACTED}" if flag_value_is_secret(name, value) else match.group(0)


_SENTENCE_END = ";,.:)"


def shown(text: str) -> str:
    """What a face may show of a text from the tree: redacted, then escaped."""
    return printable(redact_message(text))


def shown_lines(text: str) -> str:
    """Like shown, keeping line breaks (a unified diff, a YAML document, a PEM block)."""
    return printable_lines(redact_message(text))


def _hides_private_key(text: str) -> bool:
    compact = "".join(text.split())
    if len(compact) < 64 or not _BASE64_RUN.fullmatch(compact):
        return False
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=_altchars(compact))
    except (binascii.Error, ValueError):
        return False
    return bytes_hold_private_key(raw)


# A key's DER written as hex (an annotation, a hex dump): a P-256 key is 242 hex digits, a
# digest or fingerprint at most 128, so only a longer run is decoded.
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){65,}(?![0-9A-Fa-f])")


def _hex_hides_key(run: str) -> bool:
    return bytes_hold_private_key(bytes.fromhex(run))


def _redact_inner_key(match: re.Match[str]) -> str:
    """A key's base64 inside a longer text: a file named with it (`/opt/keys/MIGH….key`,
    where the path's slashes run into the base64), or after a prefix."""
    run = match.group(0)
    if _hides_private_key(run):
        return REDACTED
    parts = run.split("/")
    if len(parts) == 1 or not any(len(p) >= 64 and _hides_private_key(p) for p in parts):
        return run
    return "/".join(REDACTED if len(p) >= 64 and _hides_private_key(p) else p for p in parts)


def _altchars(text: str) -> bytes | None:
    return b"-_" if ("-" in text or "_" in text) else None


# The start of a DER private key: a SEQUENCE, then INTEGER 0 or 1 (the version of PKCS#1,
# PKCS#8 and SEC1 keys). A certificate, CSR or public key opens with a nested SEQUENCE.
_DER_KEY_START = re.compile(
    rb"\x30(?:[\x00-\x7f]|\x81[\s\S]|\x82[\s\S]{2}|\x83[\s\S]{3})\x02\x01[\x00\x01]"
)


def _whole_der_sequence(data: bytes) -> bool:
    """Whether the bytes are exactly one DER SEQUENCE, as every key format is: its tag,
    then a length that accounts for every byte that follows."""
    if len(data) < 2 or data[0] != 0x30:
        return False
    if data[1] < 0x80:
        return 2 + data[1] == len(data)
    size = data[1] & 0x7F
    if not 1 <= size <= 4 or len(data) < 2 + size:
        return False
    return 2 + size + int.from_bytes(data[2:2 + size], "big") == len(data)


def bytes_hold_private_key(data: bytes) -> bool:
    """Whether bytes carry a private key: PEM text, a whole DER key, or the start of one
    (a preview sees only the first bytes, where a whole key does not fit)."""
    if b"PRIVATE KEY" in data.upper():
        return True
    if _DER_KEY_START.match(data):
        return True
    if not _whole_der_sequence(data):
        return False  # not one DER value: text that happens to decode (a long path), no key
    from kexplore.core.read.crypto import decode_private_key  # cryptography: only when needed

    try:
        decode_private_key(data)
    except ValueError:  # DecodeError is one
        return False
    return True


# --- command lines --------------------------------------------------------------------------

# NAME=value inside an item: --flag=value, -f=value or an environment assignment.
_ASSIGNMENT = re.compile(r"(?P<name>-{0,2}[A-Za-z_][\w.-]*)=(?P<value>\S+)")


def flag_value_is_secret(name: str, value: str | None) -> bool:
    """Whether a flag's value must be hidden: its name says secret (see is_secret_flag),
    unless the value is a switch or, for a `key` that is not a secret word, a path."""
    if value is None or value == "" or is_switch(value):
        return False
    if is_secret_key(name):
        return True
    # kube-apiserver's --kubelet-client-key names a file: a path is not a secret
    return is_secret_flag(name) and not _PATH_VALUE.fullmatch(value)


def redact_flag_value(name: str, value: str | None) -> str | None:
    """A flag's value as it may be shown (for a flags table built outside a document)."""
    if value is None:
        return None
    return REDACTED if flag_value_is_secret(name, value) else redact_text(value)


# --- documents ------------------------------------------------------------------------------

# Environment variables of a container that are settings, shown (with any URL password
# hidden): kubeadm copies the host's proxy settings into its static pods. Every other
# container env value is hidden, since env is where credentials are usually handed over.
SHOWN_ENV = frozenset(
    {"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"}
)
# HTTP headers whose value is a credential whatever it looks like: a probe may send one
# (httpHeaders: [{name: Authorization, value: Bearer …}]), as may any name/value header list.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# A hidden value this long is also cut out of any other string that repeats it; a shorter
# one only where a whole value equals it (a substring that short is too often a mere word).
_SWEEP_MIN = 6


def redact_document(doc: Any) -> Any:
    """A copy of a parsed YAML/JSON document with every secret value replaced by REDACTED.

    Anchors were resolved by the parser, and every value hidden somewhere is then hidden
    everywhere else it appears: `x: &k <key>` and `client-key-data: *k` hide both, as does
    the same token pasted twice, or a password that is also a user name."""
    redactor = _Redactor()
    return redactor.sweep(redactor.walk(doc, ()))


def redact_args(items: Iterable[object]) -> list[Any]:
    """A command or args list: `--token=x` and the `x` of `--token x` hidden alike."""
    redactor = _Redactor()
    return [redactor.sweep(item) for item in redactor.args(items)]


class _Redactor:
    """One document's redaction: the walk hides by the rules and remembers what it hid, so
    the sweep can hide the same values wherever else they appear."""

    def __init__(self) -> None:
        self.hidden: set[str] = set()

    def hide(self, value: Any) -> Any:
        """Every scalar under a secret's name hidden; the shape is kept so paths line up."""
        if isinstance(value, Mapping):
            return {k: self.hide(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.hide(v) for v in value]
        if value is None or value == "" or is_switch(value):
            return value
        self.hidden.add(value.decode("latin-1") if isinstance(value, bytes) else str(value))
        return REDACTED

    def walk(self, value: Any, parents: tuple[str, ...]) -> Any:
        if isinstance(value, Mapping) and value.get("kind") == "Secret":
            # a Secret saved beside the tree (`kubectl get secret -o yaml`): every value of
            # its data is secret whatever its key is called
            value = {k: self.hide(v) if k in ("data", "stringData") else v
                     for k, v in value.items()}
        if isinstance(value, Mapping):
            return {self.text(k): self.entry(k, v, parents) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, parents) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (bytes, bytearray)):
            # !!binary: never a reason to show raw bytes, and it may be a key's DER
            return f"{REDACTED} ({len(value)} bytes of binary data)"
        return value

    def text(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        embedded = self.embedded_json(value)
        if embedded is not None:
            return embedded
        shown = redact_text(value)
        if shown == REDACTED:
            self.hidden.add(value)
        return shown

    def embedded_json(self, value: str) -> str | None:
        """A string that is a JSON document (kubectl's last-applied-configuration
        annotation, a JSON flag value) redacted as the document it is, by the same rules;
        None when it is not one, or when nothing in it is secret."""
        stripped = value.strip()
        if not (stripped.startswith(("{", "[")) and stripped.endswith(("}", "]"))):
            return None
        import json

        try:
            doc = json.loads(stripped)
        except ValueError:
            return None
        if not isinstance(doc, (dict, list)):
            return None
        redacted = self.walk(doc, ())
        return None if redacted == doc else json.dumps(redacted, separators=(",", ":"))

    def entry(self, key: Any, value: Any, parents: tuple[str, ...]) -> Any:
        name = key.lower() if isinstance(key, str) else ""
        parent = parents[-1] if parents else ""
        if is_secret_key(key):
            return self.hide(value)
        if name == "env":
            # the environment of a credential plugin is credential material, all of it
            return self.env(value, shown=frozenset() if parent == "exec" else SHOWN_ENV)
        if name == "config" and parent == "auth-provider":
            return self.hide(value)
        if name == "httpheaders":
            return self.headers(value)
        if name in ("args", "command") and isinstance(value, list):
            return self.args(value)
        if name in ("args", "command") and isinstance(value, str):
            return self.arg(value)
        return self.walk(value, (*parents, name))

    def env(self, value: Any, shown: frozenset[str]) -> Any:
        if not isinstance(value, list):
            return self.hide(value)
        out: list[Any] = []
        for item in value:
            if not isinstance(item, Mapping):
                out.append(self.hide(item))
                continue
            name = item.get("name")
            keep = isinstance(name, str) and name in shown and not is_secret_flag(name)
            out.append({k: self.env_field(k, v, keep) for k, v in item.items()})
        return out

    def headers(self, value: Any) -> Any:
        """A list of {name, value} HTTP headers: a credential header's value hidden, and
        any header whose name says secret (`X-Api-Key`, `X-Auth-Token`)."""
        if not isinstance(value, list):
            return self.walk(value, ("httpheaders",))
        out: list[Any] = []
        for item in value:
            name = item.get("name") if isinstance(item, Mapping) else None
            if isinstance(name, str) and (name.strip().lower() in CREDENTIAL_HEADERS
                                          or is_secret_flag(name)):
                out.append({k: self.walk(v, ("httpheaders",)) if k == "name" else self.hide(v)
                            for k, v in item.items()})
            else:
                out.append(self.walk(item, ("httpheaders",)))
        return out

    def env_field(self, key: Any, value: Any, keep: bool) -> Any:
        # A variable's name, and where its value comes from (a secretKeyRef names a Secret,
        # it does not hold it), are shown through the usual rules; the value only if kept.
        if key in ("name", "valueFrom") or (key == "value" and keep):
            return self.walk(value, ("env",))
        return self.hide(value)

    def flag_value(self, name: str, value: str) -> str:
        if flag_value_is_secret(name, value):
            self.hidden.add(value)
            return REDACTED
        return str(self.text(value))

    def arg(self, item: str) -> str:
        """One command-line item with every secret `name=value` assignment's value hidden;
        an item of several words (a shell line for `sh -c`) read as the words it holds."""
        def one(m: re.Match[str]) -> str:
            return f"{m.group('name')}={self.flag_value(m.group('name'), m.group('value'))}"

        item = _ASSIGNMENT.sub(one, str(self.text(item)))
        parts = re.split(r"(\s+)", item)  # words at even places, the spaces between kept
        words = [p for p in parts[::2] if p]
        if len(words) < 2:
            return _SPACED_FLAG.sub(_redact_spaced_flag, item)  # `--db-pass:value`
        hidden = iter(self.args(words))
        return "".join(str(next(hidden)) if i % 2 == 0 and p else p for i, p in enumerate(parts))

    def args(self, items: Iterable[object]) -> list[Any]:
        out: list[Any] = []
        secret_next, flag = False, ""
        for item in items:
            if not isinstance(item, str):
                out.append(self.walk(item, ("args",)))
                secret_next = False
            elif secret_next and not item.startswith("-"):
                # the value of the flag before it, given as a separate item
                out.append(self.flag_value(flag, item))
                secret_next = False
            else:
                out.append(self.arg(item))
                flag, eq, _ = item.partition("=")
                secret_next = item.startswith("-") and not eq and is_secret_flag(flag)
        return out

    def sweep(self, value: Any) -> Any:
        """The walked document with every value hidden somewhere hidden everywhere."""
        if not self.hidden:
            return value
        if isinstance(value, Mapping):
            return {self.sweep(k): self.sweep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.sweep(v) for v in value]
        if not isinstance(value, str):
            return value
        if value in self.hidden:
            return REDACTED
        for secret in self.hidden:
            if len(secret) >= _SWEEP_MIN and secret in value:
                value = value.replace(secret, REDACTED)
        return value


# --- previews of files that did not decode --------------------------------------------------

_SECRET_PATH_SUFFIXES = (".conf", ".key", ".pem", ".p12", ".pfx", ".kubeconfig", ".env")
_SECRET_NAME_WORDS = ("key", "secret", "token", "password", "credential", "kubeconfig")
_SECRET_CONTENT = (b"private key", b"key-data", b"token", b"password", b"secret", b"passwd")


def secret_path(path: str) -> bool:
    """Whether a file's path says it may hold a secret: a kubeconfig, a key, a token."""
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith(_SECRET_PATH_SUFFIXES) or any(w in name for w in _SECRET_NAME_WORDS)


def safe_preview(path: str, data: bytes, *, secret_kind: bool = False) -> str | None:
    """What to show in place of a file's first bytes when they must not be shown, or None
    when they may be: bytes are withheld at a secret's path (or when `secret_kind`, the
    scanner having classed the file a key or kubeconfig), when they mention a secret, or
    when they are (or start) a private key. The description says what was read, never what
    it says. Pass all that was read, not only the part displayed: a DER key is recognised
    whole."""
    lowered = data.lower()
    if secret_path(path) or secret_kind:
        why = "its name or kind says it may hold a secret"
    elif bytes_hold_private_key(data):
        why = "it holds a private key"
    elif (any(word in lowered for word in _SECRET_CONTENT) or _base64_hides_key(data)
          or _text_holds_secret(data)):
        why = "it may hold a secret"
    else:
        return None
    return f"not shown: {why}. Read {len(data)} bytes: {describe(data)}"


def _text_holds_secret(data: bytes) -> bool:
    """A `--api-key=…` or a URL password: what the message redaction would hide in a text
    (not its base64 blobs: a broken certificate's body is public, and a key's base64 is
    recognised by decoding it)."""
    text = data.decode("utf-8", "replace")
    return _redact_assignments(redact_text(text)) != text


def _base64_hides_key(data: bytes) -> bool:
    """A private key in base64 under an innocent name (an anchor, say) is still a key."""
    text = data.decode("ascii", "replace")
    return any(_hides_private_key(m.group(0)) for m in _BASE64_RUN.finditer(text))


def describe(data: bytes) -> str:
    """What the bytes are, without any of them: binary or text, lines, PEM labels."""
    labels = sorted(pem_labels(data))
    pem = f"; PEM blocks: {', '.join(labels)}" if labels else ""
    text = _utf8(data)
    if text is None:
        return f"binary data{pem}"
    if any(ch < " " and ch not in "\t\r\n" for ch in text):
        return f"binary data{pem}"
    lines = len(text.splitlines())
    return f"text, {lines} line{'s' if lines != 1 else ''}{pem}"


def _utf8(data: bytes) -> str | None:
    """The bytes as UTF-8 text, allowing a character cut in two at the end of a read."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            return None
        return data[: exc.start].decode("utf-8")
