"""One node's tree as a secret-free inventory, safe to copy off the node.

Fingerprints, names, validity and flags; never a key's bytes. `compare` reads inventories
(made here from a tree, or loaded back from their JSON) to hold several nodes side by side.
The JSON schema is versioned: a field is only ever added under a new version name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from kexplore import __version__
from kexplore.core.checks.context import Context
from kexplore.core.infer import infer
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Finding, Kind, Report, Severity, Tree
from kexplore.core.params import Inferred
from kexplore.core.pki import CertInfo, KeyInfo, PublicKeyInfo
from kexplore.core.read.safeio import NotRegularFile, read_regular_file
from kexplore.core.records import record
from kexplore.core.secrets import redact_flag_value
from kexplore.core.secrets import shown as printable

SCHEMA = "kexplore.inventory/v1"
MANIFEST_READ_CAP = 1 << 20
# The parameters an inventory records, by ClusterParams field: those read from the tree only.
PARAMETERS = (
    "node_name",
    "kubernetes_version",
    "advertise_address",
    "bind_port",
    "control_plane_endpoint",
    "cluster_name",
    "dns_domain",
    "service_subnet",
    "pod_subnet",
    "cert_sans",
    "key_algorithm",
    "etcd",
)


class InventoryError(ValueError):
    """A file that is not a kexplore inventory of a schema this version reads."""


@record
class CertRecord:
    path: str
    pointer: str  # "" for a certificate file, "user NAME" for one embedded in a kubeconfig
    subject: str
    subject_cn: str
    issuer: str
    issuer_cn: str
    serial: str  # hex, as openssl prints it
    not_before: str
    not_after: str
    dns_sans: tuple[str, ...]
    ip_sans: tuple[str, ...]
    is_ca: bool
    sha256: str
    sha1: str
    public_key_sha256: str

    @property
    def sans(self) -> tuple[str, ...]:
        return (*self.dns_sans, *self.ip_sans)


@record
class KeyRecord:
    """A private or public key, by the fingerprint of its public half only."""

    path: str
    pointer: str
    kind: str  # "private" or "public"
    type: str
    size: str  # "2048 bits" or a curve name; "" when it cannot be read (encrypted)
    public_key_sha256: str


@record
class ContainerRecord:
    name: str
    image: str
    flags: tuple[tuple[str, str | None], ...]  # secret values already redacted

    def flag(self, name: str) -> str | None:
        """The effective value: the last repeat wins, as pflag reads it."""
        found = [value for flag, value in self.flags if flag == name]
        return found[-1] if found else None


@record
class ManifestRecord:
    path: str
    sha256: str  # of the file's bytes; "" when it could not be read again
    containers: tuple[ContainerRecord, ...]


@record
class Parameter:
    name: str  # a ClusterParams field
    value: str
    source: str


@record
class Inventory:
    root: str
    now: datetime
    kexplore_version: str
    parameters: tuple[Parameter, ...]
    certificates: tuple[CertRecord, ...]
    keys: tuple[KeyRecord, ...]
    manifests: tuple[ManifestRecord, ...]
    findings: tuple[Finding, ...]
    joined_node: bool = False

    def parameter(self, name: str) -> str | None:
        """A parameter's value, or None when the tree does not hold it (unknown)."""
        return next((p.value for p in self.parameters if p.name == name), None)

    @property
    def node(self) -> str:
        return self.parameter("node_name") or self.root

    def cert(self, path: str) -> CertRecord | None:
        """The first certificate in a file (a kubeconfig's: its first embedded client cert,
        never a foreign CA it embeds)."""
        return next(
            (c for c in self.certificates if c.path == path and not c.pointer.endswith(" CA")),
            None,
        )

    def key(self, path: str) -> KeyRecord | None:
        return next((k for k in self.keys if k.path == path), None)

    def manifest(self, component: str) -> ManifestRecord | None:
        """The live static pod of a component (never an upgrade backup of it): its .yaml,
        else the .json or .yml standing in for it."""
        from kexplore.core.conventions.manifests import STATIC_PODS_BY_NAME, manifest_file

        spec = STATIC_PODS_BY_NAME.get(component)
        held = {m.path: m for m in self.manifests}
        path = manifest_file(spec, held.__contains__) if spec else f"manifests/{component}.yaml"
        return held.get(path)


# --- from a tree --------------------------------------------------------------------------


def build_inventory(
    tree: Tree, now: datetime, report: Report | None = None, inferred: Inferred | None = None
) -> Inventory:
    """The inventory of a scanned tree, with the findings of its report when given."""
    inferred = inferred or infer(tree)
    ctx = Context(tree=tree, now=now, warn_days=0, inferred=inferred)
    return Inventory(
        root=str(tree.root),
        now=now,
        kexplore_version=__version__,
        parameters=_parameters(inferred),
        certificates=tuple(_cert_record(at.path, at.pointer, at.cert) for at in ctx.certs),
        keys=tuple(_keys(tree)),
        manifests=tuple(_manifest_record(tree, path, pod) for path, pod in _manifests(tree)),
        findings=report.findings if report else (),
        joined_node=inferred.joined_node or bool(inferred.params.etcd_members),
    )


def _parameters(inferred: Inferred) -> tuple[Parameter, ...]:
    params = inferred.params
    out = []
    for name in PARAMETERS:
        source = inferred.sources.get(name)
        if source is None:
            continue  # not in the tree: unknown, never kubeadm's default
        value = getattr(params, name)
        text = ",".join(value) if isinstance(value, tuple) else getattr(value, "value", value)
        out.append(Parameter(name, printable(str(text)), printable(source)))
    return tuple(out)


def _cert_record(path: str, pointer: str, cert: CertInfo) -> CertRecord:
    return CertRecord(
        path=printable(path),
        pointer=printable(pointer),
        subject=printable(cert.subject),
        subject_cn=printable(cert.subject_cn),
        issuer=printable(cert.issuer),
        issuer_cn=printable(cert.issuer_cn),
        serial=f"{cert.serial:X}",
        not_before=_moment(cert.not_before),
        not_after=_moment(cert.not_after),
        dns_sans=tuple(printable(s) for s in cert.dns_sans),
        ip_sans=cert.ip_sans,
        is_ca=cert.is_ca,
        sha256=cert.sha256_fingerprint,
        sha1=cert.sha1_fingerprint,
        public_key_sha256=cert.public_key_fingerprint,
    )


def _keys(tree: Tree) -> Iterable[KeyRecord]:
    for node in tree.of_kind(Kind.PRIVATE_KEY, Kind.PUBLIC_KEY, Kind.KUBECONFIG):
        content = node.content
        if isinstance(content, (KeyInfo, PublicKeyInfo)):
            yield _key_record(node.path, "", content)
        elif isinstance(content, KubeconfigInfo):
            for user in content.users:
                if user.client_key is not None:
                    yield _key_record(node.path, f"user {user.name}", user.client_key)


def _key_record(path: str, pointer: str, key: KeyInfo | PublicKeyInfo) -> KeyRecord:
    size = key.curve or (f"{key.bits} bits" if key.bits else "")
    if isinstance(key, PublicKeyInfo):
        return KeyRecord(printable(path), printable(pointer), "public", key.type, size,
                         key.fingerprint)
    return KeyRecord(printable(path), printable(pointer), "private", key.type, size,
                     key.public_key_fingerprint)


def _manifests(tree: Tree) -> list[tuple[str, ManifestInfo]]:
    return [
        (n.path, n.content)
        for n in tree.of_kind(Kind.MANIFEST)
        if isinstance(n.content, ManifestInfo)
    ]


def _manifest_record(tree: Tree, path: str, pod: ManifestInfo) -> ManifestRecord:
    containers = tuple(
        ContainerRecord(
            printable(c.name),
            printable(c.image),
            tuple(
                (printable(f.name), _shown(f.name, f.value)) for f in c.flags
            ),
        )
        for c in (*pod.init_containers, *pod.containers)
    )
    return ManifestRecord(printable(path), _digest(tree, path), containers)


def _shown(name: str, value: str | None) -> str | None:
    shown = redact_flag_value(name, value)
    return None if shown is None else printable(shown)


def _digest(tree: Tree, path: str) -> str:
    """sha256 of the manifest as it is on disk now (read again, read-only)."""
    try:
        data = read_regular_file(tree.root / path, MANIFEST_READ_CAP, root=tree.root)
    except (OSError, NotRegularFile):
        return ""
    return hashlib.sha256(data).hexdigest()


def _moment(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- JSON ---------------------------------------------------------------------------------


def inventory_json(inv: Inventory) -> str:
    counts = {s.value: 0 for s in Severity}
    for f in inv.findings:
        counts[f.severity.value] += 1
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "kexplore": inv.kexplore_version,
        "root": printable(inv.root),
        "now": _moment(inv.now),
        "node": printable(inv.node),
        "role": "joined" if inv.joined_node else "init",
        "parameters": [
            {"name": p.name, "value": p.value, "source": p.source} for p in inv.parameters
        ],
        "certificates": [_cert_json(c) for c in inv.certificates],
        "keys": [
            {
                "path": k.path,
                "pointer": k.pointer,
                "kind": k.kind,
                "type": k.type,
                "size": k.size,
                "publicKeySha256": k.public_key_sha256,
            }
            for k in inv.keys
        ],
        "manifests": [
            {
                "path": m.path,
                "sha256": m.sha256,
                "containers": [
                    {
                        "name": c.name,
                        "image": c.image,
                        "flags": [{"name": n, "value": v} for n, v in c.flags],
                    }
                    for c in m.containers
                ],
            }
            for m in inv.manifests
        ],
        "findings": [f.as_json() for f in inv.findings],
        "summary": counts,
    }
    return json.dumps(doc, indent=2)


def _cert_json(c: CertRecord) -> dict[str, Any]:
    return {
        "path": c.path,
        "pointer": c.pointer,
        "subject": c.subject,
        "subjectCN": c.subject_cn,
        "issuer": c.issuer,
        "issuerCN": c.issuer_cn,
        "serialNumber": c.serial,
        "notBefore": c.not_before,
        "notAfter": c.not_after,
        "dnsNames": list(c.dns_sans),
        "ipAddresses": list(c.ip_sans),
        "isCA": c.is_ca,
        "sha256": c.sha256,
        "sha1": c.sha1,
        "publicKeySha256": c.public_key_sha256,
    }


def load_inventory(text: str) -> Inventory:
    """An inventory back from its JSON; anything else raises InventoryError."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InventoryError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InventoryError(f"not a {SCHEMA} inventory (schema: {found!r})")
    try:
        return _from_doc(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InventoryError(
            f"a malformed {SCHEMA} inventory: {type(exc).__name__}: {exc}"
        ) from None


def _flag_value(name: object, value: object) -> str | None:
    return None if value is None else _shown(str(name), str(value))


def _text(value: object) -> str:
    """A text field of a loaded inventory, made what build_inventory makes it: redacted and
    escaped. The file may come from anywhere (an older kexplore, a hand edit, another
    node's tool): compare prints its fields, and must not print a secret or a raw byte."""
    return printable(str(value))


def _from_doc(doc: Mapping[str, Any]) -> Inventory:
    return Inventory(
        root=_text(doc["root"]),
        now=datetime.fromisoformat(str(doc["now"]).replace("Z", "+00:00")),
        kexplore_version=_text(doc["kexplore"]),
        parameters=tuple(
            Parameter(_text(p["name"]), _text(p["value"]), _text(p["source"]))
            for p in doc["parameters"]
        ),
        certificates=tuple(
            CertRecord(
                path=_text(c["path"]),
                pointer=_text(c["pointer"]),
                subject=_text(c["subject"]),
                subject_cn=_text(c["subjectCN"]),
                issuer=_text(c["issuer"]),
                issuer_cn=_text(c["issuerCN"]),
                serial=_text(c["serialNumber"]),
                not_before=_text(c["notBefore"]),
                not_after=_text(c["notAfter"]),
                dns_sans=tuple(map(_text, c["dnsNames"])),
                ip_sans=tuple(map(_text, c["ipAddresses"])),
                is_ca=bool(c["isCA"]),
                sha256=_text(c["sha256"]),
                sha1=_text(c["sha1"]),
                public_key_sha256=_text(c["publicKeySha256"]),
            )
            for c in doc["certificates"]
        ),
        keys=tuple(
            KeyRecord(
                _text(k["path"]),
                _text(k["pointer"]),
                _text(k["kind"]),
                _text(k["type"]),
                _text(k["size"]),
                _text(k["publicKeySha256"]),
            )
            for k in doc["keys"]
        ),
        manifests=tuple(
            ManifestRecord(
                _text(m["path"]),
                _text(m["sha256"]),
                tuple(
                    ContainerRecord(
                        _text(c["name"]),
                        _text(c["image"]),
                        tuple(
                            (_text(f["name"]), _flag_value(f["name"], f["value"]))
                            for f in c["flags"]
                        ),
                    )
                    for c in m["containers"]
                ),
            )
            for m in doc["manifests"]
        ),
        findings=tuple(
            Finding(
                rule=_text(f["rule"]),
                severity=Severity(f["severity"]),
                path=_text(f["path"]),
                message=_text(f["message"]),
                pointer=_text(f["pointer"]),
                fix=_text(f["fix"]),
            )
            for f in doc["findings"]
        ),
        joined_node=doc.get("role") == "joined",
    )
