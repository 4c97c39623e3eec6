"""Where each planted fault lands: the one file its rule must name."""

from __future__ import annotations

from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.faults import POD_NAMES, parse_fault
from kexplore.core.generate import HAND_MADE


def target_path(fault: str) -> str:
    f = parse_fault(fault)
    if f.name == "key-mismatch":
        return "pki/sa.key" if f.target == "sa" else _key_file(f.target)
    if f.name == "file-mode":
        if f.target == "sa":
            return "pki/sa.key"
        return f.target if f.target.endswith(".conf") else _key_file(f.target)
    if f.name == "dir-mode":
        return f.target
    if f.name == "pod-duplicate":
        return f"manifests/{f.target}.yaml.bak"
    if f.name == "pod-backup-file":
        return f"manifests/{f.target}.yaml.orig"
    if f.name == "connection-eku":
        return HAND_MADE[0]  # the hand-made cert the flag names is what lacks the usage
    if f.name.startswith(("manifest-", "pod-", "etcd-")) or f.target in POD_NAMES:
        return f"manifests/{f.target}.yaml"
    if f.target.endswith(".conf"):
        return f.target
    return str(CERTS_BY_NAME[f.target].file)


def _key_file(name: str) -> str:
    return str(CERTS_BY_NAME[name].key_file)
