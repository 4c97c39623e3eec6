"""Read a static pod manifest and a kubelet configuration from their bytes into plain
values: the YAML is parsed here, in the reading layer, so the values' own modules never
import PyYAML (the explorer's parent process gets them already decoded)."""

from __future__ import annotations

from dataclasses import replace

from kexplore.core.kubelet_config import KubeletConfig, kubelet_config_from_doc
from kexplore.core.manifest import ManifestInfo, manifest_from_doc
from kexplore.core.read.yamlio import load_first_document, load_yaml


def decode_manifest(data: bytes) -> ManifestInfo:
    """A Pod from YAML or JSON. Wrong shapes that leave nothing to show raise DecodeError."""
    located = load_first_document(data)
    return replace(
        manifest_from_doc(located.doc),
        lines=located.lines,
        duplicate_keys=located.duplicate_keys,
        more_documents=located.more_documents,
    )


def decode_kubelet_config(data: bytes) -> KubeletConfig:
    """A KubeletConfiguration from YAML or JSON; DecodeError when it is none."""
    return kubelet_config_from_doc(load_yaml(data))
