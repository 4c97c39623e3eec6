"""The control-plane view and "used by / trusted by", driven by Pilot on generated trees.

Every expectation is read from the core's own plane (`build_plane` on a fresh scan), so a
view that drops, reorders or re-judges a link fails here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import NOW, Factory
from pilots import until
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from kexplore.core.plane import Plane, RelationKind, build_plane
from kexplore.core.read.scan import scan
from kexplore.ui.app import KexploreApp
from kexplore.ui.screens.certificate import CertificateScreen
from kexplore.ui.views.plane import PLANE, LinksTable, PlaneView
from kexplore.ui.widgets.tables import KeyTable

pytestmark = pytest.mark.anyio
SIZE = (160, 45)
BROKEN_BY_CHAIN = "kube-scheduler->kube-apiserver"  # cert-chain re-signs apiserver.crt


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def plane_of(root: Path) -> Plane:
    return build_plane(scan(root), NOW)


async def started(app: KexploreApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: app.session is not None and bool(app.main.query(".view")))
    await pilot.pause()


async def control_plane(app: KexploreApp, pilot) -> PlaneView:  # type: ignore[no-untyped-def]
    await started(app, pilot)
    await pilot.press("C")
    await until(pilot, lambda: bool(app.main.query(PlaneView)))
    await pilot.pause()
    return app.main.query_one(PlaneView)


def text_of(widget: Static) -> str:
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, record=True, color_system=None)
    console.print(content)
    return console.export_text()


def marks(view: PlaneView) -> dict[str, str]:
    """Each link on screen by id: its mark, as the table shows it."""
    shown: dict[str, str] = {}
    for table in view.query(LinksTable):
        for row, link in enumerate(table.links):
            shown[link.id] = table.get_row_at(row)[0].plain
    return shown


def rows(table: KeyTable) -> list[list[str]]:
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(r)]
            for r in range(table.row_count)]


async def test_c_opens_the_view_and_each_component_is_explained(make_tree: Factory) -> None:
    app = KexploreApp(make_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        assert app.main.current == PLANE
        assert isinstance(app.focused, LinksTable)
        words = text_of(view.query_one("#components", Static))
        for name, about in [
            ("kube-apiserver", "front end that exposes the Kubernetes API"),
            ("kube-controller-manager", "like a thermostat"),
            ("kube-scheduler", "picks a node for each new pod"),
            ("etcd", "key-value store that holds all cluster data"),
            ("kubelet", "keeps the node's pods running"),
        ]:
            assert name in words and about in words
        assert "cloud-controller-manager" not in words  # named only when present


async def test_a_cloud_controller_manager_is_named_when_a_static_pod_runs_it(
        writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    scheduler = (root / "manifests/kube-scheduler.yaml").read_text()
    (root / "manifests/cloud-controller-manager.yaml").write_text(
        scheduler.replace("kube-scheduler", "cloud-controller-manager"))
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        words = text_of(view.query_one("#components", Static))
    assert "cloud-controller-manager" in words and "cloud provider" in words
    assert "manifests/cloud-controller-manager.yaml" in words


async def test_the_palette_opens_the_view(make_tree: Factory) -> None:
    app = KexploreApp(make_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Control plane")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.main.query(PlaneView)))
        assert app.main.current == PLANE


# a fault, and one link it breaks
BREAKS = {
    "cert-chain": BROKEN_BY_CHAIN,
    "plane-not-mounted": "kube-apiserver->etcd[0]",
    "connection-server-name": "kube-scheduler->kube-apiserver",
}


async def test_the_palette_opens_the_view_on_one_link(make_tree: Factory) -> None:
    app = KexploreApp(make_tree(faults=["cert-chain"]), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"Link kube-scheduler ({BROKEN_BY_CHAIN})")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.focused, LinksTable))
        await pilot.pause()
        focused = app.focused
        assert isinstance(focused, LinksTable)
        link = focused.highlighted()
        assert link is not None and link.id == BROKEN_BY_CHAIN and link.mark == "✗"


@pytest.mark.parametrize("faults", [(), *((f,) for f in BREAKS)],
                         ids=["clean", *BREAKS])
async def test_marks_are_the_planes_own_verdicts(make_tree: Factory,
                                                 faults: tuple[str, ...]) -> None:
    root = make_tree(faults=faults)
    plane = plane_of(root)
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        assert marks(view) == {r.id: r.status.mark for r in plane.connections}
        dates = {link.id: table.get_row_at(row)[3].plain for table in view.query(LinksTable)
                 for row, link in enumerate(table.links)}
    for relation in plane.connections:
        # a broken link breaks now, whatever date its certificates expire on
        expected = ("broken now" if relation.status.value == "broken" else
                    relation.breaks_at.strftime("%Y-%m-%d") if relation.breaks_at else "")
        assert dates[relation.id] == expected
    broken = {r.id for r in plane.broken()}
    if faults:
        assert BREAKS[faults[0]] in broken
    else:
        assert not broken


async def test_enter_opens_where_a_link_breaks_else_its_first_file(make_tree: Factory) -> None:
    # the API server's key no longer pairs: the scheduler's link breaks in the API server's
    # manifest, not in the scheduler's own kubeconfig, the link's first file
    root = make_tree(faults=["key-mismatch"])
    plane = plane_of(root)
    broken = plane.relation("kube-scheduler->kube-apiserver")
    healthy = plane.relation("kube-apiserver->etcd[0]")
    assert broken is not None and broken.anchor_path == "manifests/kube-apiserver.yaml"
    assert healthy is not None and healthy.client_cert is not None
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        for relation, opens in [(broken, broken.anchor_path),
                                (healthy, healthy.client_cert.path)]:
            await control_plane(app, pilot)
            table = app.main.query_one("#links-connection", LinksTable)
            table.move_cursor(row=[link.id for link in table.links].index(relation.id))
            await pilot.pause()
            detail = text_of(app.main.query_one("#link-detail", Static))
            assert relation.title in detail and f"opens {opens}" in detail
            if relation.reason:
                assert relation.reason[:60] in " ".join(detail.split())
            await pilot.press("enter")
            await until(pilot, lambda: app.main.current == opens)  # noqa: B023


async def test_the_detail_says_a_file_is_not_mounted(make_tree: Factory) -> None:
    root = make_tree(faults=["plane-not-mounted"])
    relation = plane_of(root).relation(BREAKS["plane-not-mounted"])
    assert relation is not None and relation.client_ca is not None
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await control_plane(app, pilot)
        table = app.main.query_one("#links-connection", LinksTable)
        table.move_cursor(row=[link.id for link in table.links].index(relation.id))
        await pilot.pause()
        detail = " ".join(text_of(app.main.query_one("#link-detail", Static)).split())
    assert f"client CA {relation.client_ca.path} --trusted-ca-file of manifests/etcd.yaml " \
        "(not mounted)" in detail


async def test_a_link_broken_today_gives_no_future_date_as_when_it_breaks(
    make_tree: Factory,
) -> None:
    root = make_tree(faults=["connection-ca"])
    relation = plane_of(root).relation("kube-apiserver->aggregated-apiservers")
    assert relation is not None and relation.status.value == "broken"
    assert relation.breaks_at is not None and relation.breaks_at > NOW
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await control_plane(app, pilot)
        table = app.main.query_one("#links-connection", LinksTable)
        row = [link.id for link in table.links].index(relation.id)
        column = table.get_row_at(row)[3].plain
        table.move_cursor(row=row)
        await pilot.pause()
        detail = " ".join(text_of(app.main.query_one("#link-detail", Static)).split())
    assert column == "broken now"
    assert relation.breaks_at.strftime("%Y-%m-%d") in detail  # the expiry stays in the detail
    assert "the link is broken already (see status)" in detail
    assert " breaks " not in f" {detail} "


async def test_back_in_the_view_the_cursor_is_on_the_link_left(make_tree: Factory) -> None:
    app = KexploreApp(make_tree(faults=["cert-chain"]), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await control_plane(app, pilot)
        await pilot.press("tab")  # the signing relations
        await pilot.press("j")
        await pilot.pause()
        left = app.focused
        assert isinstance(left, LinksTable) and left.id == "links-signing"
        link = left.highlighted()
        assert link is not None and link.id == left.links[1].id
        await pilot.press("enter")
        await until(pilot, lambda: app.main.current == link.opens)
        await control_plane(app, pilot)
        back = app.focused
        assert isinstance(back, LinksTable) and back.id == "links-signing"
        assert back.highlighted() == link
        assert link.title in text_of(app.main.query_one("#link-detail", Static))


async def test_each_file_view_says_who_uses_it_and_who_trusts_it(make_tree: Factory) -> None:
    root = make_tree()
    plane = plane_of(root)
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:  # one explorer visits every kind of file
        await started(app, pilot)
        for path in ["pki/apiserver.crt", "pki/ca.crt", "pki/apiserver.key", "pki/sa.pub",
                     "scheduler.conf"]:
            app.main.jump(path)
            await pilot.pause()
            await pilot.pause()
            view = app.main.view
            assert view is not None and view.path == path
            for kind, expected in [("uses", plane.used_by(path)),
                                   ("trusts", plane.trusted_by(path))]:
                tables = list(view.query(f"KeyTable.{kind}"))
                shown = [r for t in tables for r in rows(t)]  # type: ignore[arg-type]
                assert {(r[1], r[3], r[4]) for r in shown} == {
                    (u.component, u.pointer, u.role) for u in expected}, (path, kind)
                assert len(shown) == len(expected), (path, kind)
                pairs = {r.id for r in plane.of_kind(RelationKind.PAIR)}
                assert all(u.peer in r[2] or u.relation in pairs for u, r in zip(
                    expected, shown, strict=True)), (path, kind)
    assert ("kube-apiserver", "kube-scheduler", "--tls-cert-file", "server cert") in {
        (u.component, u.peer, u.pointer, u.role) for u in plane.used_by("pki/apiserver.crt")}
    assert any(u.pointer == "--client-ca-file" for u in plane.trusted_by("pki/ca.crt"))


async def test_an_embedded_certificate_shows_the_uses_of_its_own_entry(
        make_tree: Factory) -> None:
    app = KexploreApp(make_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        app.main.jump("scheduler.conf")
        await pilot.pause()
        await pilot.pause()
        users = app.main.query_one("#users", KeyTable)
        users.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CertificateScreen))
        await pilot.pause()
        used = [r for t in app.screen.query("KeyTable.uses") for r in rows(t)]  # type: ignore[arg-type]
        trusted = list(app.screen.query("KeyTable.trusts"))
    assert {r[3] for r in used} == {"user system:kube-scheduler"}
    assert {r[4] for r in used} == {"client cert", "client key"}
    assert not trusted  # the cluster entry's CA is another pointer of the same file


async def test_a_name_from_the_tree_reaches_the_view_as_text(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    hostile = "ops\x1b[2J[bold]x.conf"
    shutil.copy(root / "admin.conf", root / hostile)
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        titles = [table.get_row_at(row)[1] for table in view.query(LinksTable)
                  for row in range(table.row_count)]
    named = [t for t in titles if "x.conf" in t.plain]
    assert len(named) == 1
    assert "\x1b" not in named[0].plain and "[bold]" in named[0].plain


async def test_a_change_on_disk_rebuilds_the_plane_in_view(writable_tree,
                                                           make_tree: Factory) -> None:
    root = writable_tree()
    impostor = make_tree(faults=["cert-chain"])
    app = KexploreApp(root, now=NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        assert marks(view)[BROKEN_BY_CHAIN] == "✓"
        await pilot.press("j")  # onto the scheduler's link
        await pilot.pause(0.3)  # let the watcher arm
        for name in ("apiserver.crt", "apiserver.key"):
            staged = root / "pki" / f".{name}.new"
            shutil.copy(impostor / "pki" / name, staged)
            os.replace(staged, root / "pki" / name)

        def shows_broken() -> bool:
            views = list(app.main.query(PlaneView))
            return bool(views) and marks(views[-1]).get(BROKEN_BY_CHAIN) == "✗"

        await until(pilot, shows_broken)
        await pilot.pause()
        assert app.main.current == PLANE
        focused = app.focused
        assert isinstance(focused, LinksTable), focused  # the keys still move it
        link = focused.highlighted()
        assert link is not None and link.id == BROKEN_BY_CHAIN and link.status == "broken"
        assert marks(app.main.query(PlaneView).last()) == {
            r.id: r.status.mark for r in plane_of(root).connections}


def test_the_plane_is_built_once_per_report(
    writable_tree: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks build the plane; the session draws its outline from that one, on the
    first load and on every live change, and keeps no Plane to send between processes."""
    import kexplore.core.checks.context as context
    import kexplore.core.plane as plane_package
    from kexplore.core.plane_outline import outline
    from kexplore.live import load, refresh
    from kexplore.ui.session import CHECKED_PROFILE, load_session, session_from

    built: list[Plane] = []

    def counted(*args: object, **kwargs: object) -> Plane:
        built.append(build_plane(*args, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(context, "build_plane", counted)
    monkeypatch.setattr(plane_package, "build_plane", counted)
    root = writable_tree(faults=["cert-chain"])
    session = load_session(root, NOW)
    assert len(built) == 1 and session.report.plane is None
    assert session.plane == outline(build_plane(scan(root), NOW))  # the same judgement

    start = load(root, NOW, profile=CHECKED_PROFILE)
    (root / "pki/sa.pub").unlink()
    change = refresh(start, NOW, profile=CHECKED_PROFILE)
    built.clear()
    session = session_from(change.tree, change.report)
    assert built == [] and session.plane == outline(change.report.plane)  # type: ignore[arg-type]


def test_the_static_pods_and_parameters_are_read_once_per_report(
    make_tree: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks read manifests/ as the kubelet does, and infer the parameters; the
    session reuses both rather than reading them again (the static-pod read is ~2.5 ms)."""
    import kexplore.core.check as check
    import kexplore.core.expiry as expiry
    import kexplore.core.infer as infer_module
    import kexplore.core.plane.pods as pods
    from kexplore.core.check import check_tree
    from kexplore.ui.session import CHECKED_PROFILE, session_from

    reads: list[str] = []
    real_pods, real_infer = pods.for_tree, infer_module.infer

    def pods_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append("pods")
        return real_pods(*args, **kwargs)

    def inferred(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append("infer")
        return real_infer(*args, **kwargs)

    monkeypatch.setattr(pods, "for_tree", pods_read)
    monkeypatch.setattr(infer_module, "infer", inferred)
    monkeypatch.setattr(check, "infer", inferred)
    monkeypatch.setattr(expiry, "infer", inferred)
    tree = scan(make_tree(faults=["manifest-host-network"]))
    report = check_tree(tree, NOW, profile=CHECKED_PROFILE)
    session = session_from(tree, report)
    assert sorted(reads) == ["infer", "pods"]
    assert session.kubelet is report.kubelet and session.inferred is report.inferred
    assert session.report.kubelet is None  # the session holds it once, to send
    assert [e.path for e in session.kubelet.entries] == sorted(
        f"manifests/{name}.yaml" for name in
        ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"))
