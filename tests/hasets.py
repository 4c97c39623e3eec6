"""HA sets made by our own generator, for compare, inventory and deploy tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kexplore.core.faults import parse_fault
from kexplore.core.generate_ha import generate_ha
from kexplore.core.params import ClusterParams
from tests.conftest import FAST, NOW

ENDPOINT = "cp.example:6443"
HA = ClusterParams(key_algorithm=FAST.key_algorithm, control_plane_endpoint=ENDPOINT)


def write_ha_set(
    root: Path, faults: Sequence[str] = (), params: ClusterParams = HA, nodes: int = 3
) -> list[Path]:
    written = generate_ha(root, params, nodes, NOW, [parse_fault(f) for f in faults])
    return [root / name for name in written]
