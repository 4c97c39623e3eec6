"""The fleet faces on hostile trees: inventory, compare, the Prometheus and kubeadm-json
formats. Nothing may raise, and the inventory must read back as it was written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOW
from test_hostile_trees import MUTATIONS

from kexplore.core.check import check_tree
from kexplore.core.compare import compare
from kexplore.core.expiry import expiry_rows
from kexplore.core.inventory import build_inventory, inventory_json, load_inventory
from kexplore.core.read.scan import scan
from kexplore.core.report.kubeadm_json import kubeadm_json
from kexplore.core.report.prometheus import textfile
from tests.promtext import parse


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_fleet_face_survives(writable_tree, make_tree, mutation: str) -> None:  # type: ignore[no-untyped-def]
    root: Path = writable_tree()
    MUTATIONS[mutation](root)
    tree = scan(root)
    report = check_tree(tree, NOW)
    inventory = build_inventory(tree, NOW, report)
    assert load_inventory(inventory_json(inventory)) == inventory
    clean = build_inventory(scan(make_tree()), NOW)
    compare([clean, inventory, inventory])
    rows = expiry_rows(tree, NOW)
    parse(textfile(root, rows, report.findings, NOW))
    kubeadm_json(rows)
