"""The kubelet's KubeletConfiguration (`/var/lib/kubelet/config.yaml`): the few fields that
decide whom it trusts and how its certificates live. A plain value; PyYAML is imported
only to read one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kexplore.core.manifest import scalar_text, type_name
from kexplore.core.pki import DecodeError
from kexplore.core.records import record


@record
class KubeletConfig:
    """What the kubelet was told. A field the file does not set is None: the kubelet's
    own default applies, and the rules say so rather than guess."""

    client_ca_file: str = ""  # authentication.x509.clientCAFile
    rotate_certificates: bool | None = None
    server_tls_bootstrap: bool | None = None
    tls_cert_file: str = ""
    tls_private_key_file: str = ""
    static_pod_path: str = ""
    anonymous_auth: bool | None = None
    authorization_mode: str = ""
    kind: str = ""
    problems: tuple[str, ...] = ()


def kubelet_config_from_doc(doc: Any) -> KubeletConfig:
    if doc is None:
        raise DecodeError("empty document")
    if not isinstance(doc, dict):
        raise DecodeError(f"not a KubeletConfiguration: the document is {type_name(doc)}")
    problems: list[str] = []
    kind = scalar_text(doc.get("kind"))
    if kind != "KubeletConfiguration":
        problems.append(f"kind is {kind!r}, not 'KubeletConfiguration'")
    auth = _mapping(doc, "authentication", problems)
    return KubeletConfig(
        client_ca_file=scalar_text(_mapping(auth, "x509", problems).get("clientCAFile")),
        rotate_certificates=_bool(doc, "rotateCertificates", problems),
        server_tls_bootstrap=_bool(doc, "serverTLSBootstrap", problems),
        tls_cert_file=scalar_text(doc.get("tlsCertFile")),
        tls_private_key_file=scalar_text(doc.get("tlsPrivateKeyFile")),
        static_pod_path=scalar_text(doc.get("staticPodPath")),
        anonymous_auth=_bool(_mapping(auth, "anonymous", problems), "enabled", problems),
        authorization_mode=scalar_text(_mapping(doc, "authorization", problems).get("mode")),
        kind=kind,
        problems=tuple(problems),
    )


def _mapping(doc: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key} is {type_name(value)}, not a mapping")
        return {}
    return value


def _bool(doc: Mapping[str, Any], key: str, problems: list[str]) -> bool | None:
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    problems.append(f"{key} is {type_name(value)}, not true or false")
    return None
