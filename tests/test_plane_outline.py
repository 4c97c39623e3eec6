"""The plane's outline: the plain records the faces read, and the one decision it makes,
how a link's date reads at --now, said alike by the text report and the explorer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from conftest import NOW, Factory
from rich.console import Console

from kexplore.core.plane import Plane, Status, build_plane
from kexplore.core.plane_outline import BROKEN_NOW, outline
from kexplore.core.read.scan import scan
from kexplore.core.report.text import connections_renderable
from kexplore.ui.views.plane import _breaks

FRONT_PROXY = "kube-apiserver->aggregated-apiservers"
ETCD = "kube-apiserver->etcd[0]"


def _text_rows(plane: Plane) -> dict[str, str]:
    """Each relation's line of `kexplore connections`, by id."""
    console = Console(width=400, record=True, highlight=False, soft_wrap=True)
    console.print(connections_renderable(plane))
    lines = console.export_text().splitlines()
    return {r.id: next(line for line in lines if f" {r.id} " in line)
            for r in plane.connections}


def test_both_faces_say_when_a_link_breaks_in_the_outlines_words(make_tree: Factory) -> None:
    """A link judged unknown whose date has passed at --now is broken now in both faces:
    the text report once printed its past date, the explorer the same date in red."""
    plane = build_plane(scan(make_tree()), NOW)
    lapsed = replace(plane.relation(ETCD), status=Status.UNKNOWN,  # type: ignore[arg-type]
                     reason="the CA is elsewhere", breaks_at=NOW - timedelta(days=1))
    plane = replace(plane, connections=tuple(lapsed if r.id == ETCD else r
                                             for r in plane.connections))
    links = {link.id: link for link in outline(plane).links}
    assert links[ETCD].expired and links[ETCD].broken_now
    rows = _text_rows(plane)
    for rid, link in links.items():
        view = _breaks(link).plain
        if link.broken_now:
            assert view == BROKEN_NOW and BROKEN_NOW in rows[rid]
        elif link.breaks_at is None:  # a signing key does not expire
            assert view == "" and BROKEN_NOW not in rows[rid]
        else:
            assert link.breaks_at > NOW and view == f"{link.breaks_at:%Y-%m-%d}"
            assert f"{link.breaks_at:%Y-%m-%d %H:%M} UTC" in rows[rid]
            assert BROKEN_NOW not in rows[rid]


def test_a_link_broken_for_another_cause_keeps_its_date_out_of_both_faces(
    make_tree: Factory,
) -> None:
    plane = build_plane(scan(make_tree(faults=["connection-ca"])), NOW)
    link = outline(plane).link(FRONT_PROXY)
    assert link is not None and link.broken_now and not link.expired
    assert link.breaks() == BROKEN_NOW == _breaks(link).plain
    assert f"{link.breaks_at:%Y-%m-%d}" not in _text_rows(plane)[FRONT_PROXY]
