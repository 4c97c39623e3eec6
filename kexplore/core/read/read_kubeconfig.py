"""Read a kubeconfig into kubeconfig's values: YAML or JSON parsed, embedded certs
decoded, secrets summarised and dropped.

Referenced files are resolved: /etc/kubernetes paths and relative ones inside the scanned
root, read-only and capped; a path outside the root is noted as not checked and never
opened.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kexplore.core.kubeconfig import ClusterEntry, ContextEntry, KubeconfigInfo, UserEntry
from kexplore.core.manifest import scalar_text, type_name
from kexplore.core.paths import map_to_root
from kexplore.core.pki import CertInfo, DecodeError, KeyInfo
from kexplore.core.read.crypto import decode_certificates, decode_private_key
from kexplore.core.read.safeio import OutsideRoot, read_regular_file
from kexplore.core.read.yamlio import load_yaml
from kexplore.core.secrets import redact_document

READ_CAP = 1 << 20


def is_kubeconfig_doc(doc: object) -> bool:
    return isinstance(doc, dict) and (
        doc.get("kind") == "Config" or any(k in doc for k in ("clusters", "users", "contexts"))
    )


def decode_kubeconfig(
    data: bytes,
    *,
    source_dir: Path | None = None,
    tree_root: Path | None = None,
    read_cap: int = READ_CAP,
) -> KubeconfigInfo:
    """Decode a kubeconfig. `source_dir` resolves relative paths; `tree_root` is where
    /etc/kubernetes lies for this scan. Without them, referenced files are not read."""
    doc = load_yaml(data)
    return kubeconfig_from_doc(doc, source_dir=source_dir, tree_root=tree_root, read_cap=read_cap)


def kubeconfig_from_doc(
    doc: Any,
    *,
    source_dir: Path | None = None,
    tree_root: Path | None = None,
    read_cap: int = READ_CAP,
) -> KubeconfigInfo:
    if doc is None:
        raise DecodeError("empty document")
    if not isinstance(doc, dict):
        raise DecodeError(f"not a kubeconfig: the document is {type_name(doc)}")
    if not is_kubeconfig_doc(doc):
        raise DecodeError("not a kubeconfig: no kind Config and no clusters, users or contexts")
    resolver = _Resolver(source_dir, tree_root, read_cap)
    problems: list[str] = []
    kind = scalar_text(doc.get("kind"))
    if kind and kind != "Config":
        problems.append(f"kind is {kind!r}, not 'Config'")
    clusters = tuple(
        _cluster(name, body, resolver)
        for name, body in _named(doc, "clusters", "cluster", problems)
    )
    users = tuple(
        _user(name, body, resolver) for name, body in _named(doc, "users", "user", problems)
    )
    cluster_names = {c.name for c in clusters}
    user_names = {u.name for u in users}
    contexts = tuple(
        _context(name, body, cluster_names, user_names)
        for name, body in _named(doc, "contexts", "context", problems)
    )
    for what, entries in (("cluster", clusters), ("user", users), ("context", contexts)):
        counts = Counter(e.name for e in entries)
        for dup in sorted(n for n, count in counts.items() if count > 1):
            problems.append(f"{what} {dup!r} is defined more than once")
    current = scalar_text(doc.get("current-context"))
    if current and current not in {c.name for c in contexts}:
        problems.append(f"current-context {current!r} names no context in this file")
    return KubeconfigInfo(
        clusters=clusters,
        users=users,
        contexts=contexts,
        current_context=current,
        api_version=scalar_text(doc.get("apiVersion")),
        kind=kind,
        problems=tuple(problems),
        references=tuple(resolver.inside),
        outside_references=tuple(resolver.outside),
    )


def _named(
    doc: Mapping[str, Any], key: str, body_key: str, problems: list[str]
) -> list[tuple[str, dict]]:
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(f"{key} is not a list")
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"{key}[{i}] is not a mapping")
            continue
        name = scalar_text(item.get("name"))
        if not name:
            problems.append(f"{key}[{i}] has no name")
            name = f"#{i}"
        body = item.get(body_key)
        if not isinstance(body, dict):
            problems.append(f"{key}[{i}] ({name}) has no {body_key} mapping")
            body = {}
        out.append((name, body))
    return out


def _b64(value: object, field: str, errors: list[str]) -> bytes | None:
    if not isinstance(value, str):
        errors.append(f"{field} is not a string")
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        errors.append(f"{field} is not valid base64")
        return None


def _inline_or_file(
    body: dict, field: str, resolver: _Resolver, errors: list[str], notes: list[str]
) -> tuple[str, bytes | None]:
    """Where a kubeconfig puts a certificate or key, `<field>-data` (base64) before the
    `<field>` path, and its bytes: ("data" | "file" | "", bytes or None when unreadable)."""
    if f"{field}-data" in body:
        return "data", _b64(body[f"{field}-data"], f"{field}-data", errors)
    path = scalar_text(body.get(field))
    if path:
        return "file", resolver.read(path, errors, notes)
    return "", None


def _cluster(name: str, body: dict, resolver: _Resolver) -> ClusterEntry:
    errors: list[str] = []
    notes: list[str] = []
    ca: tuple[CertInfo, ...] = ()
    ca_path = scalar_text(body.get("certificate-authority"))
    source, raw = _inline_or_file(body, "certificate-authority", resolver, errors, notes)
    if raw is not None:
        try:
            ca = decode_certificates(raw)
        except DecodeError as exc:
            where = "certificate-authority" + ("-data" if source == "data" else f" {ca_path}")
            errors.append(f"{where}: {exc}")
    server = scalar_text(body.get("server"))
    if not server:
        errors.append("no server")
    return ClusterEntry(
        name=name,
        server=server,
        tls_server_name=scalar_text(body.get("tls-server-name")),
        insecure=body.get("insecure-skip-tls-verify") is True,
        ca=ca,
        ca_path=ca_path,
        ca_source=source,
        errors=tuple(errors),
        notes=tuple(notes),
    )


def _user(name: str, body: dict, resolver: _Resolver) -> UserEntry:
    errors: list[str] = []
    notes: list[str] = []
    certs: tuple[CertInfo, ...] = ()
    key: KeyInfo | None = None
    cert_path = scalar_text(body.get("client-certificate"))
    key_path = scalar_text(body.get("client-key"))
    cert_source, raw = _inline_or_file(body, "client-certificate", resolver, errors, notes)
    if raw is not None:
        try:
            certs = decode_certificates(raw)
        except DecodeError as exc:
            errors.append(f"client certificate: {exc}")
    key_source, raw = _inline_or_file(body, "client-key", resolver, errors, notes)
    if raw is not None:
        try:
            key = decode_private_key(raw)
        except DecodeError as exc:
            errors.append(f"client key: {exc}")
    del raw  # key bytes go no further than this frame
    if bool(certs or cert_source) != bool(key or key_source):
        errors.append(
            "a client certificate without a key"
            if cert_source
            else "a client key without a certificate"
        )
    exec_cfg = body.get("exec")
    provider = body.get("auth-provider")
    return UserEntry(
        name=name,
        client_cert=certs,
        client_cert_path=cert_path,
        client_cert_source=cert_source,
        client_key=key,
        client_key_path=key_path,
        client_key_source=key_source,
        has_token=bool(body.get("token") or body.get("tokenFile")),
        has_password=bool(body.get("password")),
        exec_command=scalar_text(exec_cfg.get("command")) if isinstance(exec_cfg, dict) else "",
        auth_provider=scalar_text(provider.get("name")) if isinstance(provider, dict) else "",
        errors=tuple(errors),
        notes=tuple(notes),
    )


def _context(name: str, body: dict, clusters: set[str], users: set[str]) -> ContextEntry:
    errors = []
    cluster, user = scalar_text(body.get("cluster")), scalar_text(body.get("user"))
    if not cluster:
        errors.append("names no cluster")
    elif cluster not in clusters:
        errors.append(f"cluster {cluster!r} is not defined in this file")
    if not user:
        errors.append("names no user")
    elif user not in users:
        errors.append(f"user {user!r} is not defined in this file")
    return ContextEntry(name, cluster, user, scalar_text(body.get("namespace")), tuple(errors))


NOT_CHECKED = "outside the tree; not opened, not checked"


class _Resolver:
    """Reads the files a kubeconfig names inside the tree; never one outside it, nor a
    special file."""

    def __init__(self, source_dir: Path | None, tree_root: Path | None, cap: int) -> None:
        self.source_dir = source_dir
        self.tree_root = tree_root
        self.cap = cap
        self.inside: list[str] = []
        self.outside: list[str] = []
        self._cache: dict[str, bytes | None] = {}

    def read(self, path: str, errors: list[str], notes: list[str]) -> bytes | None:
        # kubelet.conf names one PEM for both cert and key: read it once, report once
        if path not in self._cache:
            self._cache[path] = self._read(path, errors, notes)
        return self._cache[path]

    def _read(self, path: str, errors: list[str], notes: list[str]) -> bytes | None:
        if self.tree_root is None:
            notes.append(f"{path}: not read (decoded without a tree)")
            return None
        target, rel = self._locate(path)
        if target is None:
            notes.append(f"{path}: relative path not resolved (no source folder)")
            return None
        if rel is None:
            # the kubelet's rotated pair, another host's key, /proc/self/environ: what
            # lies outside the tree is not the tree's, and is never opened
            if path not in self.outside:
                self.outside.append(path)
            notes.append(f"{path}: {NOT_CHECKED}")
            return None
        if rel not in self.inside:
            self.inside.append(rel)
        try:
            return read_regular_file(target, self.cap, root=self.tree_root)
        except FileNotFoundError:
            where = f" (looked at {target})" if path.startswith("/") else ""
            errors.append(f"{path}: file not found{where}")
        except OutsideRoot:
            notes.append(f"{path}: {NOT_CHECKED} (a link leads there)")
        except PermissionError:
            errors.append(f"{path}: permission denied")
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
        return None

    def _locate(self, path: str) -> tuple[Path | None, str | None]:
        """The path to open, and its place relative to the root when it lies inside."""
        assert self.tree_root is not None
        if path.startswith("/"):
            mapped = map_to_root(path, self.tree_root)
            if mapped is not None:
                return mapped, _relative(mapped, self.tree_root)
            return Path(path), None
        if self.source_dir is None:
            return None, None
        target = Path(os.path.normpath(self.source_dir / path))
        return target, _relative(target, self.tree_root)


def _relative(path: Path, root: Path) -> str | None:
    try:
        rel = Path(os.path.normpath(path)).relative_to(os.path.normpath(root))
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None


# Wide enough that no long base64 line or flag is folded: the text reads as the file does.
_EMIT_WIDTH = 1 << 16
NOT_PARSED = "# not shown: this file does not parse, and it may hold secrets\n"
EMPTY = "# the file holds no YAML document\n"


def redacted_yaml(data: bytes) -> str:
    """The document re-emitted as YAML with every secret value replaced by REDACTED.

    It is parsed, redacted (kexplore.core.secrets) and written out again: any spelling of a
    key or value YAML allows is redacted as the parser reads it, which no text rule can
    promise. The cost is the file's own layout and comments (a comment can hold a key too).
    A file that does not parse is not shown at all: its text is not known to be safe."""
    try:
        doc = load_yaml(data)
        if doc is None:
            return EMPTY
        emitted = yaml.dump(
            redact_document(doc),
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=_EMIT_WIDTH,
        )
    except (DecodeError, yaml.YAMLError, RecursionError):
        return NOT_PARSED
    return str(emitted)


_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # type: ignore[assignment]
