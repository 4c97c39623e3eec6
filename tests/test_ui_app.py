"""The explorer driven by Pilot: each view, each key, what is on screen and what is selected."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import DataTable, Static, Tree

from kexplore.ui.app import KexploreApp
from kexplore.ui.screens.certificate import CertificateScreen
from kexplore.ui.screens.help import HelpScreen
from kexplore.ui.views.certificate import CertificateView
from kexplore.ui.views.key import KeyView
from kexplore.ui.views.kubeconfig import KubeconfigView
from kexplore.ui.views.manifest import ManifestView
from kexplore.ui.views.other import BrokenView
from kexplore.ui.views.overview import OverviewView
from kexplore.ui.widgets.file_tree import FileTree
from tests.conftest import NOW

SAMPLE = Path(__file__).resolve().parent.parent / "sample_etc"
# 21 days before the sample's leaf certificates expire: every leaf warns
SAMPLE_NOW = datetime(2027, 10, 30, 9, 0, tzinfo=timezone.utc)
SIZE = (160, 45)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def screen_text(app: KexploreApp) -> str:
    """What the active screen shows, as plain text: statics, tables and tree labels."""
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                cells = widget.get_row_at(row)
                parts.append("  ".join(c.plain if isinstance(c, Text) else str(c) for c in cells))
        elif isinstance(widget, Tree):
            stack = [widget.root]
            while stack:
                node = stack.pop()
                parts.append(node.label.plain)
                stack.extend(node.children)
        elif isinstance(widget, Static):
            parts.append(static_text(widget))
    return "\n".join(parts)


def static_text(widget: Static) -> str:
    content = widget.content
    if isinstance(content, Syntax):
        return content.code
    return content.plain if isinstance(content, Text) else str(content)


async def started(app: KexploreApp, pilot: object) -> None:
    for _ in range(50):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if app.session is not None and app.main.query(OverviewView):
            break
    await pilot.pause()  # type: ignore[attr-defined]


def tree_of(app: KexploreApp) -> FileTree:
    return app.main.query_one(FileTree)


async def open_path(app: KexploreApp, pilot: object, path: str) -> None:
    app.main.jump(path)
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


def sample_app(**kwargs: object) -> KexploreApp:
    return KexploreApp(SAMPLE, now=SAMPLE_NOW, root_label="sample_etc", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def faulty(make_tree):  # type: ignore[no-untyped-def]
    return make_tree(faults=("cert-expired", "manifest-leader-elect", "parse-error"))


# --- layout and overview ----------------------------------------------------------------


async def test_header_shows_root_cluster_counts_and_soonest_expiry() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        header = screen_text(app).splitlines()[0]
        assert "sample_etc" in header
        assert "cp-1" in header and "v1.35.0" in header and "https://192.168.1.10:6443" in header
        assert " errors" in header and "warnings" in header  # the checkout's modes: errors
        assert "soonest expiry" in header and "21d" in header


async def test_overview_is_the_start_screen(faulty: Path) -> None:
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        overview = app.main.query_one(OverviewView)
        text = screen_text(app)
        assert "cert-expired" in text and "pki/apiserver.crt" in text
        expiry = overview.query_one("#expiry", DataTable)
        assert expiry.row_count == len(app.session.expiry)  # type: ignore[union-attr]
        assert expiry.get_row_at(0)[2].plain == "expired"


async def test_tree_is_grouped_as_kubeadm_lays_it_out() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        groups = [n.label.plain.split()[1] for n in tree_of(app).root.children]
        assert groups == ["kubeconfigs", "manifests", "pki", "pki/etcd"]
        labels = [leaf.label.plain for g in tree_of(app).root.children for leaf in g.children]
        assert any(label.startswith("▲ apiserver.crt") and "21d" in label for label in labels)


async def test_a_certificates_dir_moved_to_ssl_is_the_pki_group(writable_tree) -> None:  # type: ignore[no-untyped-def]
    """kubespray's ssl/: the flags and the mounts say the certificates are there, so the
    tree shows them as pki, not as other files."""
    from tests.test_real_trees import _certs_moved_to

    app = KexploreApp(_certs_moved_to(writable_tree(), "ssl"), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        groups = {n.data.path: n for n in tree_of(app).root.children if n.data is not None}
        assert list(groups) == ["kubeconfigs", "manifests", "pki", "pki/etcd"]
        assert groups["pki"].label.plain.split()[1:3] == ["pki", "(ssl/)"]
        assert groups["pki/etcd"].label.plain.split()[1:3] == ["pki/etcd", "(ssl/etcd/)"]
        assert {leaf.data.path for leaf in groups["pki"].children if leaf.data} >= {
            "ssl/ca.crt", "ssl/apiserver.crt", "ssl/sa.pub"}
        assert {leaf.data.path for leaf in groups["pki/etcd"].children if leaf.data} >= {
            "ssl/etcd/ca.crt", "ssl/etcd/server.crt"}


async def test_overview_filters_by_severity_and_jumps_to_the_file(faulty: Path) -> None:
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        overview = app.main.query_one(OverviewView)
        before = overview.query_one("#findings", DataTable).row_count
        await pilot.press("s", "s")  # errors only
        await pilot.pause()
        table = overview.query_one("#findings", DataTable)
        assert 0 < table.row_count <= before
        assert all(table.get_row_at(i)[0].plain == "✖" for i in range(table.row_count))
        rows = [table.get_row_at(i)[2].plain for i in range(table.row_count)]
        table.move_cursor(row=rows.index("cert-expired"))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.main.current == "pki/apiserver.crt"
        assert tree_of(app).selected_path == "pki/apiserver.crt"


async def test_overview_from_a_file_takes_the_keys_again(faulty: Path) -> None:
    """o from any file puts the cursor in the findings, not in the view just left."""
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-scheduler.yaml")
        await pilot.press("o")
        await pilot.pause()
        findings = app.main.query_one(OverviewView).query_one("#findings", DataTable)
        assert app.focused is findings
        rows = [findings.get_row_at(i)[1].plain for i in range(findings.row_count)]
        findings.move_cursor(row=rows.index("pki/apiserver.crt"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.current == "pki/apiserver.crt"


# --- keys -------------------------------------------------------------------------------


async def test_vi_keys_and_arrows_move_the_tree_and_the_view_follows() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("j")
        await pilot.pause()
        assert tree_of(app).selected_path == "admin.conf"
        assert app.main.query(KubeconfigView)
        await pilot.press("down", "j")
        assert tree_of(app).selected_path == "kubelet.conf"
        await pilot.press("k", "up")
        assert tree_of(app).selected_path == "admin.conf"
        await pilot.press("h")  # to the group
        assert tree_of(app).cursor_node.data.group  # type: ignore[union-attr]
        await pilot.press("h")  # collapse it
        assert not tree_of(app).cursor_node.is_expanded  # type: ignore[union-attr]
        await pilot.press("l", "l")  # expand, then into it
        assert tree_of(app).selected_path == "admin.conf"


async def test_enter_opens_the_view_and_tab_moves_between_panes() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/apiserver.crt")
        assert app.focused is tree_of(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, DataTable)
        assert app.focused in app.main.query_one(CertificateView).query(DataTable)
        await pilot.press("shift+tab")
        await pilot.pause()
        await pilot.press("escape")
        assert app.focused is tree_of(app)
        await pilot.press("tab")
        assert app.focused is not tree_of(app)


def footer_keys(app: KexploreApp) -> list[str]:
    return [key.description for key in app.screen.query("FooterKey")]  # type: ignore[attr-defined]


async def test_footer_follows_the_focus_after_a_burst_of_changes() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        on_tree = footer_keys(app)
        assert {"Filter", "Next problem", "Overview", "Quit"} <= set(on_tree)
        assert "Severity" not in on_tree
        await pilot.press("o")  # the overview's table takes the focus: its keys join
        await pilot.pause()
        await pilot.pause()
        assert {"Severity", "Profile", "Overview"} <= set(footer_keys(app))
        await pilot.press("escape", "j", "j", "k")  # several changes in a row
        await pilot.pause()
        await pilot.pause()
        assert app.focused is tree_of(app)
        assert footer_keys(app) == on_tree


async def test_slash_filters_the_tree_by_name_and_escape_clears_it() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"apiserver")
        await pilot.pause()
        paths = tree_of(app).paths
        assert paths and all("apiserver" in p for p in paths)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.focused is tree_of(app)
        assert tree_of(app).selected_path == paths[0]
        await pilot.press("escape")
        await pilot.pause()
        assert len(tree_of(app).paths) > len(paths)


async def test_n_and_brackets_walk_the_problems(faulty: Path) -> None:
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        problems = [p for p in tree_of(app).paths
                    if app.session.worst(p) is not None  # type: ignore[union-attr]
                    and app.session.worst(p).rank >= 2]  # type: ignore[union-attr]
        assert len(problems) >= 3
        visited = []
        for _ in problems:
            await pilot.press("n")
            await pilot.pause()
            visited.append(tree_of(app).selected_path)
        assert visited == problems
        await pilot.press("N")
        await pilot.pause()
        assert tree_of(app).selected_path == problems[-2]
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert tree_of(app).selected_path == problems[-1]
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert tree_of(app).selected_path == problems[-2]


async def test_o_returns_to_the_overview() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/ca.crt")
        assert not app.main.query(OverviewView)
        await pilot.press("o")
        await pilot.pause()
        assert app.main.query(OverviewView)
        assert app.main.current is None


async def test_question_mark_lists_the_live_bindings() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {row[2] for row in app.screen.rows}
        assert {"Filter", "Next problem", "Overview", "Copy", "Quit", "Reload"} <= described
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_jumps_to_a_file_and_keeps_textual_commands() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert len(app.COMMANDS) >= 2  # Textual's own provider is still there
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Open pki/etcd/peer.crt")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.main.current == "pki/etcd/peer.crt"


async def test_the_palettes_keys_opens_our_help_which_esc_closes() -> None:
    # Textual's own "Keys" panel docks beside the screen, and esc (kexplore's back key)
    # leaves it open: the palette's Keys is `?`
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Keys")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert not app.main.query("HelpPanel")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main


async def test_c_copies_public_values_never_a_key() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/apiserver.crt")
        await pilot.press("c")
        cert = app.main.query_one(CertificateView).certs[0]
        assert app.clipboard == cert.sha256_fingerprint
        app.main.query_one("#cert-tabs").active = "cert-pem"  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard.startswith("-----BEGIN CERTIFICATE-----")
        await open_path(app, pilot, "pki/apiserver.key")
        await pilot.press("c")
        assert ":" in app.clipboard and "PRIVATE" not in app.clipboard
        await open_path(app, pilot, "manifests/kube-scheduler.yaml")
        await pilot.press("enter")
        await pilot.pause()
        app.main.query_one("#mf-tabs").active = "mf-flags"  # type: ignore[attr-defined]
        await pilot.pause()
        app.main.query_one("#flags", DataTable).focus()
        await pilot.press("c")
        assert app.clipboard.startswith("--")


async def test_r_reloads_and_keeps_the_selection() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/etcd/server.crt")
        first = app.session
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.02)
            if app.session is not first:
                break
        await pilot.pause()
        assert app.session is not first
        assert tree_of(app).selected_path == "pki/etcd/server.crt"
        assert app.main.current == "pki/etcd/server.crt"


async def test_q_quits() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_mouse_click_selects_a_file() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = tree_of(app)
        line = next(i for i in range(tree.last_line + 1)
                    if tree.get_node_at_line(i).data.path == "scheduler.conf")  # type: ignore[union-attr]
        await pilot.click(FileTree, offset=(8, line - tree.scroll_offset.y + 1))
        await pilot.pause()
        assert tree.selected_path == "scheduler.conf"
        assert app.main.query(KubeconfigView)


async def test_a_symlinked_kubeadm_cert_shows_as_that_cert_and_its_link(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    (root / "pki" / "apiserver.crt").rename(root / "pki" / "apiserver-2026.crt")
    (root / "pki" / "apiserver.crt").symlink_to("apiserver-2026.crt")
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        labels = [leaf.label.plain for g in tree_of(app).root.children for leaf in g.children]
        assert any(label.startswith("✓ apiserver.crt") and "→ apiserver-2026.crt" in label
                   for label in labels)
        await open_path(app, pilot, "pki/apiserver.crt")
        view = app.main.query_one(CertificateView)
        heading = static_text(view.query_one(".view-title", Static))
        assert heading.startswith("serving certificate of the API server")
        assert "pki/apiserver.crt → apiserver-2026.crt" in heading
        assert "kubernetes.default.svc" in screen_text(app)
        # the file it reads as says where it is opened from
        assert any(label.startswith("✓ apiserver-2026.crt") and "← pki/apiserver.crt" in label
                   for label in labels)
        await open_path(app, pilot, "pki/apiserver-2026.crt")
        heading = static_text(app.main.query_one(CertificateView).query_one(".view-title", Static))
        assert "pki/apiserver-2026.crt ← pki/apiserver.crt" in heading


# --- views ------------------------------------------------------------------------------


async def test_certificate_view_shows_sans_chain_key_and_findings() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/apiserver.crt")
        text = screen_text(app)
        assert "serving certificate of the API server" in text
        for san in ("kubernetes.default.svc.cluster.local", "10.96.0.1", "192.168.1.10"):
            assert san in text
        assert "ServerAuth" in text and "RSA 2048 bits" in text
        assert "signed by kubernetes" in text and "✓ verified" in text
        assert "pki/apiserver.key matches" in text
        assert "cert-expiring" in text
        assert "-----BEGIN CERTIFICATE-----" in static_text(app.main.query_one("#pem", Static))


async def test_key_view_names_its_certificate_and_never_the_key() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/apiserver-kubelet-client.key")
        assert app.main.query(KeyView)
        text = screen_text(app)
        assert "RSA 2048 bits" in text and "pki/apiserver-kubelet-client.crt" in text
        assert "never shown" in text
        svg = app.export_screenshot()
        assert "PRIVATE KEY" not in svg and "MII" not in svg


async def test_kubeconfig_view_tables_redaction_and_embedded_cert() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "admin.conf")
        view = app.main.query_one(KubeconfigView)
        text = screen_text(app)
        assert "kubernetes-admin@kubernetes" in text and "https://192.168.1.10:6443" in text
        assert "REDACTED" in text
        yaml = static_text(view.query_one("#yaml", Static))
        assert "client-key-data: REDACTED" in yaml
        assert "client-certificate-data: LS0t" in yaml
        view.query_one("#users", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, CertificateScreen)
        text = screen_text(app)
        assert "CN=kubernetes-admin,O=kubeadm:cluster-admins" in text
        assert "ClientAuth" in text and "(embedded) matches" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CertificateScreen)


async def test_manifest_view_marks_each_difference(faulty: Path) -> None:
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-scheduler.yaml")
        view = app.main.query_one(ManifestView)
        flags = view.query_one("#diff-flags", DataTable)
        rows = [[c.plain if isinstance(c, Text) else c for c in flags.get_row_at(i)]
                for i in range(flags.row_count)]
        assert any(r[2] == "--leader-elect" and "defect" in r[0] for r in rows)
        assert "--leader-elect=false" in static_text(view.query_one("#unified", Static))
        assert "registry.k8s.io/kube-scheduler" in screen_text(app)


async def test_broken_file_shows_the_error_and_the_first_bytes(faulty: Path) -> None:
    app = KexploreApp(faulty, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/front-proxy-client.crt")
        assert app.main.query(BrokenView)
        text = screen_text(app)
        assert "truncated PEM" in text or "END CERTIFICATE" in text
        assert "00000000  2d 2d 2d 2d 2d 42 45 47" in text


async def test_broken_key_is_never_previewed(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree()
    key = root / "pki" / "apiserver.key"
    key.write_text(key.read_text()[:80])
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/apiserver.key")
        assert app.main.query(BrokenView)
        text = screen_text(app)
        assert "not shown" in text
        assert "2d 2d 2d" not in text and "PRIVATE KEY-----\nMII" not in text


async def test_a_broken_file_behind_a_link_is_previewed_as_its_target(writable_tree) -> None:  # type: ignore[no-untyped-def]
    root = writable_tree(faults=["parse-error"])
    (root / "store").mkdir()
    (root / "pki" / "front-proxy-client.crt").rename(root / "store" / "client.crt")
    (root / "pki" / "front-proxy-client.crt").symlink_to("../store/client.crt")
    key = root / "store" / "old.key"
    key.write_text((root / "pki" / "ca.key").read_text()[:80])
    (root / "notes.txt").symlink_to("store/old.key")  # an innocent name for a broken key
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "pki/front-proxy-client.crt")
        assert app.main.query(BrokenView)
        assert "00000000  2d 2d 2d 2d 2d 42 45 47" in screen_text(app)
        await open_path(app, pilot, "notes.txt")
        text = screen_text(app)
        assert "not shown" in text and "2d 2d 2d" not in text


async def test_a_huge_group_starts_closed_and_opens_on_request(make_tree, tmp_path: Path) -> None:
    """Years of backups must not slow the first frame: their leaves are made when opened,
    and `n`, the palette or a jump reach a file inside all the same."""
    import shutil

    root = tmp_path / "etc"
    shutil.copytree(make_tree(), root)
    backup = root / "tmp" / "kubeadm-backup-manifests-2026-01-01-00-00-00"
    backup.mkdir(parents=True)
    for i in range(400):
        (backup / f"kube-scheduler-{i:03}.yaml").write_text("kind: Pod\n")
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = tree_of(app)
        group = next(g for g in tree.root.children if g.data and g.data.path == "tmp")
        assert not group.is_expanded and not group.children
        target = "tmp/kubeadm-backup-manifests-2026-01-01-00-00-00/kube-scheduler-123.yaml"
        assert target in tree.paths
        app.main.jump(target)
        await pilot.pause()
        await pilot.pause()
        assert len(group.children) == 400 and tree.selected_path == target


async def test_a_root_that_cannot_be_read_says_so_instead_of_loading(tmp_path: Path) -> None:
    app = KexploreApp(tmp_path / "gone", now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause(0.02)
        status = str(app.main.query_one("#status").render())
        assert "cannot read" in status and "loading" not in status


async def test_i_shows_the_cluster_as_read_from_the_tree() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        assert app.main.current == ":cluster"
        table = app.main.query_one("#cluster", Static).content
        assert [c.header for c in table.columns] == ["parameter", "value", "read from"]
        assert "manifests/etcd.yaml --name" in str(list(table.columns[2].cells))
        assert "192.168.1.10" in str(list(table.columns[1].cells))
        await pilot.press("o")
        await pilot.pause()
        assert app.main.current is None


@pytest.mark.parametrize("without, read_from", [((), "super-admin.conf"),
                                                 (("super-admin.conf",), "kubelet.conf")],
                         ids=["init-node", "no-super-admin"])
async def test_i_names_only_the_files_the_node_role_was_read_from(
    writable_tree, without: tuple[str, ...], read_from: str,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree()
    for name in without:  # an init node upgraded from 1.28 has no super-admin.conf
        (root / name).unlink()
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        table = app.main.query_one("#cluster", Static).content
        labels = [str(c) for c in table.columns[0].cells]
        row = labels.index("node role")
        assert str(list(table.columns[1].cells)[row]) == "init node"
        assert str(list(table.columns[2].cells)[row]) == read_from


async def test_manifest_view_opens_on_what_the_kubelet_does_and_shows_the_line(
    writable_tree,  # type: ignore[no-untyped-def]
) -> None:
    root = writable_tree()
    path = root / "manifests/kube-apiserver.yaml"
    text = path.read_text().replace("      readOnly: true\n", "      readOlny: true\n", 1)
    path.write_text(text)
    wanted = next(i for i, line in enumerate(text.splitlines(), 1) if "readOlny" in line)
    app = KexploreApp(root, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/kube-apiserver.yaml")
        view = app.main.query_one(ManifestView)
        assert view.query_one("#mf-tabs").active == "mf-kubelet"  # type: ignore[attr-defined]
        assert "runs kube-system/kube-apiserver, but not quite as written" in static_text(
            view.query_one("#kubelet-verdict", Static))
        table = view.query_one("#kubelet-problems", DataTable)
        row = [c.plain if isinstance(c, Text) else c for c in table.get_row_at(0)]
        assert row[1] == str(wanted) and row[2] == "pod-dropped-field"
        assert "read-write" in row[3]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert view.query_one("#mf-tabs").active == "mf-yaml"  # type: ignore[attr-defined]
        shown = view.query_one("#yaml", Static).content
        assert isinstance(shown, Syntax)
        (marked,) = shown.highlight_lines
        assert shown.code.splitlines()[marked - 1].strip() == "readOlny: true"


async def test_a_clean_manifest_says_the_kubelet_runs_it(make_tree) -> None:  # type: ignore[no-untyped-def]
    app = KexploreApp(make_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_path(app, pilot, "manifests/etcd.yaml")
        view = app.main.query_one(ManifestView)
        verdict = static_text(view.query_one("#kubelet-verdict", Static))
        assert "✓ the kubelet reads, decodes and validates this file, and runs kube-system/etcd" \
            in verdict
        assert not view.query("#kubelet-problems")
