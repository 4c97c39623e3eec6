"""Stray files an operator leaves in the tree: read, reported once, never taken for a part
of the control plane."""

from __future__ import annotations

from conftest import NOW

from kexplore.core.check import check_tree
from kexplore.core.plane import build_plane
from kexplore.core.read.scan import scan


def test_a_binary_conf_is_one_parse_warning_and_dials_nothing(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    (root / "notes.conf").write_bytes(b"\x00\x01\x02binary")
    (root / "notes.conf").chmod(0o600)
    tree = scan(root)
    assert [(f.rule, f.severity.value, f.path, f.pointer) for f in
            check_tree(tree, NOW).findings] == [("parse-error", "warning", "notes.conf", "")]
    plane = build_plane(tree, NOW)
    assert not [r for r in plane.connections if "notes.conf" in r.id]
    assert not plane.broken()
