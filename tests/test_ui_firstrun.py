"""The explorer as a k9s user expects it (issue 16), driven by Pilot: filter on the whole
path, groups restored, filters in view, every key in `?`, enter on a flag, search in a
YAML or PEM, sortable tables, a resizable tree, screenshots that land, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, Static, TabbedContent

from kexplore.core.sample import DEMO_LESSONS, ensure_sample
from kexplore.ui.app import KexploreApp
from kexplore.ui.screens.help import HelpScreen
from kexplore.ui.views.overview import OverviewView
from kexplore.ui.widgets.search import SearchableText, find_all
from kexplore.ui.widgets.tables import SortableTable
from tests.conftest import NOW
from tests.test_ui_app import SIZE, open_path, started, static_text, tree_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clean(make_tree):  # type: ignore[no-untyped-def]
    return make_tree()


def cells(table: DataTable, column: int) -> list[str]:  # type: ignore[type-arg]
    return [_plain(table.get_row_at(i)[column]) for i in range(table.row_count)]


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


# --- the tree -------------------------------------------------------------------------


async def test_the_filter_matches_the_whole_path(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash", *"etcd")
        await pilot.pause()
        paths = tree_of(app).paths
        assert len([p for p in paths if p.startswith("pki/etcd/")]) == 8
        assert "manifests/etcd.yaml" in paths and "pki/apiserver-etcd-client.crt" in paths
        assert all("etcd" in p for p in paths)
        app.main.query_one("#filter", Input).value = "pki/"
        await pilot.pause()
        paths = tree_of(app).paths
        assert paths and all(p.startswith("pki/") for p in paths)
        assert "pki/etcd/ca.crt" in paths and "pki/ca.key" in paths


async def test_clearing_the_filter_restores_each_group_open_or_closed(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)

        def open_groups() -> dict[str, bool]:
            return {g.data.path: g.is_expanded for g in tree_of(app).root.children if g.data}

        tree_of(app).root.children[1].collapse()  # manifests, closed by hand
        await pilot.pause()
        before = open_groups()
        assert before["manifests"] is False and before["pki"] is True
        await pilot.press("slash", *"etcd")  # a filter opens every group it matches
        await pilot.pause()
        assert open_groups()["manifests"] is True
        await pilot.press("escape")
        await pilot.pause()
        assert open_groups() == before
        await pilot.press("slash", *"no-such-file")  # nothing left: no group at all
        await pilot.pause()
        assert open_groups() == {}
        await pilot.press("escape")
        await pilot.pause()
        assert open_groups() == before


async def test_angle_brackets_resize_the_tree_pane(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        left = app.main.query_one("#left")
        start = left.size.width
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert left.size.width > start
        await pilot.press("less_than_sign", "less_than_sign", "less_than_sign")
        await pilot.pause()
        assert left.size.width < start
        assert left.size.width == app.main.TREE_WIDTHS[0]


async def test_at_80_columns_the_tree_leaves_the_view_room(clean: Path) -> None:
    # 46 columns of tree would leave the view 34 at 80: no room for a finding's rule
    for size, tree in (((80, 24), 36), (SIZE, 46)):
        app = KexploreApp(clean, now=NOW)
        async with app.run_test(size=size) as pilot:
            await started(app, pilot)
            assert app.main.query_one("#left").size.width == tree
            assert app.main.query_one("#view-host").size.width >= size[0] - tree - 2
            await pilot.press("greater_than_sign")
            await pilot.pause()
            assert app.main.query_one("#left").size.width > tree


# --- the overview -----------------------------------------------------------------------


async def test_the_active_filters_stay_in_view(make_tree) -> None:  # type: ignore[no-untyped-def]
    app = KexploreApp(make_tree(faults=("cert-expired",)), now=NOW)
    async with app.run_test(size=(160, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("p", "s")
        await pilot.pause()
        view = app.main.query_one(OverviewView)
        filters = view.query_one("#filters", Static)
        assert not any(isinstance(a, VerticalScroll) for a in filters.ancestors)
        view.query_one(VerticalScroll).scroll_end(animate=False)
        await pilot.pause()
        line = static_text(filters)
        assert "profile: all" in line and "severity: warnings and errors" in line
        host = app.main.query_one("#view-host").region
        assert filters.region.height >= 1 and host.contains_region(filters.region)


async def test_the_profile_key_reaches_the_header_the_tree_and_the_next_view(
    make_tree,  # type: ignore[no-untyped-def]
) -> None:
    # `p` on the overview once told the app, and the screen that keeps the profile never
    # heard: the header still counted kubeadm's findings and a file opened without CIS
    app = KexploreApp(make_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("o", "p")
        await pilot.pause()
        assert app.main.profile == "all"
        header = str(app.main.query_one("#status").render())
        assert "profile all" in header and "0 warnings" not in header
        await open_path(app, pilot, "manifests/kube-apiserver.yaml")
        assert app.main.view is not None and app.main.view.profile == "all"


async def test_s_and_p_work_from_the_tree_as_the_overview_says(make_tree) -> None:  # type: ignore[no-untyped-def]
    # at start the tree has the focus and the overview shows "[s]" and "[p]": they once
    # did nothing until tab reached the overview
    app = KexploreApp(make_tree(faults=("manifest-leader-elect",)), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.focused is tree_of(app)
        await pilot.press("s")
        await pilot.pause()
        assert "severity: warnings and errors" in static_text(
            app.main.query_one("#filters", Static))
        await pilot.press("p")
        await pilot.pause()
        assert app.main.profile == "all"
        rows = [row for row, _ in help_keys(app)]
        assert rows.count("s") == 1 and rows.count("p") == 1


def help_keys(app: KexploreApp) -> list[tuple[str, str]]:
    from kexplore.ui.screens.help import help_rows

    view = app.main.view
    widgets = [view, *view.query("*")] if view is not None else []
    return [(keys, owner) for owner, keys, _, _ in
            help_rows(app.active_bindings, app.get_key_display, widgets)]


async def test_the_header_breaks_between_its_groups_at_80_columns(make_tree) -> None:  # type: ignore[no-untyped-def]
    # it wrapped as a paragraph: "✖ 1 error" on one line, "▲ 0 warnings" on the next
    app = KexploreApp(make_tree(faults=("cert-expired",)), now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.pause()
        lines = str(app.main.query_one("#status").render()).splitlines()
        assert all(len(line) <= 78 for line in lines)
        assert any("✖ 1 error  ▲ 0 warnings" in line for line in lines)
        assert not any(line.endswith("│") or line.startswith("│") for line in lines)
        assert any(line.startswith("soonest expiry apiserver") for line in lines)


async def test_a_key_says_what_its_certificate_is_for(clean: Path) -> None:
    # "private key  pki/etcd/ca.key" told a learner nothing the name did not
    from kexplore.ui.views.key import KeyView

    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        for path, words in (("pki/etcd/ca.key", "key of the etcd CA: signs"),
                            ("pki/apiserver.key", "key of the serving certificate of the API"),
                            ("pki/sa.key", "private key")):
            await open_path(app, pilot, path)
            view = app.main.view
            assert isinstance(view, KeyView)
            assert static_text(view.query(Static).first()).startswith(words), path


async def test_the_control_plane_opens_on_its_broken_link(make_tree) -> None:  # type: ignore[no-untyped-def]
    # the aggregated link is ninth of nineteen: below the fold, the cursor on an ok one
    from kexplore.ui.views.plane import PlaneView

    app = KexploreApp(make_tree(faults=("connection-ca",)), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("C")
        await pilot.pause()
        await pilot.pause()
        view = app.main.view
        assert isinstance(view, PlaneView)
        assert view.selected == "kube-apiserver->aggregated-apiservers"
        focused = app.focused
        assert focused is not None and focused.highlighted().id == view.selected  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.main.current == "pki/front-proxy-client.crt"


async def test_question_mark_lists_every_key_of_the_view_in_focus(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.focused is tree_of(app)  # the overview is shown, the tree has the focus
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {(row[1], row[2]) for row in app.screen.rows}
        assert {("s", "Severity"), ("p", "Profile"), ("t", "Sort"), ("T", "Order")} <= keys
        assert ("/", "Filter") in keys and ("> ", "Wider tree") not in keys
        assert (">", "Wider tree") in keys and ("<", "Narrower tree") in keys


async def test_findings_sort_by_a_chosen_column_then_order(make_tree) -> None:  # type: ignore[no-untyped-def]
    faults = ("cert-expired", "manifest-leader-elect", "file-mode:admin.conf")
    app = KexploreApp(make_tree(faults=faults), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        view = app.main.query_one(OverviewView)
        table = view.query_one("#findings", SortableTable)
        assert app.focused is table and "sorted by worst first" in static_text(
            view.query_one("#filters", Static))
        await pilot.press("t", "t")  # severity, then file
        await pilot.pause()
        files = cells(table, 1)
        assert files == sorted(files) and len(set(files)) > 2
        assert "sorted by file ↑" in static_text(view.query_one("#filters", Static))
        await pilot.press("T")
        await pilot.pause()
        assert cells(table, 1) == sorted(files, reverse=True)
        assert "sorted by file ↓" in static_text(view.query_one("#filters", Static))
        table.move_cursor(row=cells(table, 1).index("pki/apiserver.crt"))
        await pilot.press("enter")  # a sorted row still opens its own file
        await pilot.pause()
        assert app.main.current == "pki/apiserver.crt"


async def test_certificates_sort_by_expiry_and_by_name(make_tree) -> None:  # type: ignore[no-untyped-def]
    app = KexploreApp(make_tree(faults=("cert-expiring",)), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        view = app.main.query_one(OverviewView)
        table = view.query_one("#expiry", SortableTable)
        heading = view.query_one("#expiry-heading", Static)
        assert "soonest expiry first" in static_text(heading)
        table.focus()
        await pilot.press("t")  # by name
        await pilot.pause()
        names = cells(table, 0)
        assert names == sorted(names, key=str.lower)
        assert "CERTIFICATE ↑" in static_text(heading)
        await pilot.press("t", "t", "T")  # by residual time, longest first
        await pilot.pause()
        assert "RESIDUAL TIME ↓" in static_text(heading)
        assert cells(table, 0)[-1] == "front-proxy-client"  # 10 days left: last
        assert cells(table, 2)[0] in ("9y", "10y")


# --- views ----------------------------------------------------------------------------


async def enter_on_flag(root: Path, manifest: str, flag: str) -> tuple[str | None, str | None]:
    """(the view opened, the tree's selection) after `enter` on a flag of a manifest."""
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, manifest)
        app.main.query_one("#mf-tabs", TabbedContent).active = "mf-flags"
        await pilot.pause()
        flags = app.main.query_one("#flags", DataTable)
        flags.focus()
        flags.move_cursor(row=cells(flags, 1).index(flag))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        return app.main.current, tree_of(app).selected_path


async def test_enter_on_a_flag_opens_the_file_it_names(clean: Path) -> None:
    opened = await enter_on_flag(clean, "manifests/kube-apiserver.yaml", "--etcd-cafile")
    assert opened == ("pki/etcd/ca.crt", "pki/etcd/ca.crt")


async def test_slash_searches_a_yaml_and_n_walks_the_matches(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-apiserver.yaml")
        app.main.query_one("#mf-tabs", TabbedContent).active = "mf-yaml"
        await pilot.pause()
        text = app.main.query_one(SearchableText)
        text.focus()
        await pilot.press("slash", *"pki", "enter")
        await pilot.pause()
        expected = find_all(static_text(app.main.query_one("#yaml", Static)), "pki")
        assert len(expected) > 3 and text.matches == expected and text.current == 0
        assert app.focused is text
        await pilot.press("n", "n")
        assert text.current == 2
        await pilot.press("N")
        assert text.current == 1
        assert text.scroll_y > 0  # the view moved to the match
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert not text.box.display and app.focused is text
        assert tree_of(app).paths  # `/` searched the text: the tree was never filtered


async def test_slash_searches_a_pem(clean: Path) -> None:
    app = KexploreApp(clean, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/ca.crt")
        app.main.query_one("#cert-tabs", TabbedContent).active = "cert-pem"
        await pilot.pause()
        text = app.main.query_one(SearchableText)
        text.focus()
        await pilot.press("slash", *"certificate-----", "enter")
        await pilot.pause()
        assert len(text.matches) == 2  # BEGIN and END
        assert text.box.border_title == "1 of 2 for 'certificate-----'"


def test_find_all_is_case_blind_and_counts_each_occurrence() -> None:
    assert find_all("Aa\nxaAx", "aa") == [(0, 0), (1, 1)]
    assert find_all("abc", "") == []


# --- the demo, screenshots ----------------------------------------------------------------


async def test_the_demo_overview_says_what_each_fault_teaches(tmp_path: Path) -> None:
    demo = ensure_sample(NOW, demo=True, home=tmp_path)
    app = KexploreApp(demo.root, now=NOW, lessons=demo.lessons, note="demo: ...")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        lessons = app.main.query_one("#lessons", DataTable)
        assert cells(lessons, 0) == [lesson.rule for lesson in DEMO_LESSONS]
        assert cells(lessons, 2) == [lesson.teaches for lesson in DEMO_LESSONS]
        assert "pki/apiserver.key" in cells(lessons, 1)
        lessons.focus()
        lessons.move_cursor(row=cells(lessons, 0).index("file-mode"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.current == "pki/apiserver.key"


async def test_a_screenshot_lands_in_a_folder_that_exists_and_says_where(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    app = KexploreApp(clean, now=NOW)
    toasts: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        monkeypatch.setattr(app, "notify", lambda message, **_: toasts.append(message))
        saved = app.deliver_screenshot()
        assert saved is not None and Path(saved).parent == here and Path(saved).is_file()
        assert toasts == [f"{Path(saved).name}\nin {here}"]  # the toast says where
        pictures = tmp_path / "pictures"
        pictures.mkdir()
        monkeypatch.setenv("XDG_PICTURES_DIR", str(pictures))
        saved = app.deliver_screenshot()
        assert saved is not None and Path(saved).parent == pictures
        monkeypatch.setenv("XDG_PICTURES_DIR", str(tmp_path / "missing"))
        saved = app.deliver_screenshot()
        assert saved is not None and Path(saved).parent == here  # never made
        assert not (tmp_path / "missing").exists()


async def test_enter_on_a_kubeconfig_field_naming_a_file_opens_it(writable_tree) -> None:  # type: ignore[no-untyped-def]
    import yaml

    root = writable_tree()
    conf = root / "admin.conf"
    doc = yaml.safe_load(conf.read_text())
    cluster = doc["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["certificate-authority"] = "pki/ca.crt"  # relative to the kubeconfig, as kubectl reads
    user = doc["users"][0]["user"]
    user.pop("client-certificate-data")
    user["client-certificate"] = "/etc/kubernetes/pki/apiserver-kubelet-client.crt"
    conf.write_text(yaml.safe_dump(doc))
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        for table_id, opened in (("#clusters", "pki/ca.crt"),
                                 ("#users", "pki/apiserver-kubelet-client.crt")):
            await open_path(app, pilot, "admin.conf")
            app.main.query_one(table_id, DataTable).focus()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            assert app.main.current == opened


async def test_the_overview_comes_back_with_its_severity_filter(make_tree) -> None:  # type: ignore[no-untyped-def]
    app = KexploreApp(make_tree(faults=("cert-expired", "manifest-leader-elect")), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("o", "s", "s")  # errors only
        await pilot.pause()
        await open_path(app, pilot, "pki/ca.crt")
        await pilot.press("o")
        await pilot.pause()
        view = app.main.query_one(OverviewView)
        assert "severity: errors" in static_text(view.query_one("#filters", Static))
        assert cells(view.query_one("#findings", DataTable), 0) == ["✖"]


async def test_the_more_line_stays_last_whatever_the_order(
    make_tree, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    from kexplore.ui.views import overview

    monkeypatch.setattr(overview, "MAX_ROWS", 2)
    faults = ("cert-expired", "manifest-leader-elect", "file-mode:admin.conf")
    app = KexploreApp(make_tree(faults=faults), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("o", "t", "t")  # findings by file, A first: "" would lead
        await pilot.pause()
        app.main.query_one("#expiry", DataTable).focus()
        await pilot.press("t", "T")  # certificates by name, Z first: "…" would lead
        await pilot.pause()
        for table_id in ("#findings", "#expiry"):
            table = app.main.query_one(table_id, DataTable)
            last = " ".join(_plain(c) for c in table.get_row_at(table.row_count - 1))
            assert "more" in last, table_id


async def test_enter_on_a_diff_field_naming_a_file_opens_it(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    pod = root / "manifests/kube-scheduler.yaml"
    pod.write_text(pod.read_text().replace("path: /etc/kubernetes/scheduler.conf",
                                           "path: /etc/kubernetes/admin.conf"))
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-scheduler.yaml")
        fields = app.main.query_one("#diff-fields", DataTable)
        fields.focus()
        fields.move_cursor(row=cells(fields, 3).index("/etc/kubernetes/admin.conf"))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.main.current == "admin.conf"


async def test_before_a_search_n_still_walks_the_problems(make_tree) -> None:  # type: ignore[no-untyped-def]
    app = KexploreApp(make_tree(faults=("cert-expired", "manifest-leader-elect")), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-apiserver.yaml")
        app.main.query_one("#mf-tabs", TabbedContent).active = "mf-yaml"
        await pilot.pause()
        app.main.query_one(SearchableText).focus()
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert app.main.current in ("manifests/kube-scheduler.yaml", "pki/apiserver.crt")
