"""The explorer with node files: a group "outside the tree", each file with its role."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST, NOW
from test_ui_app import SIZE, screen_text, started, tree_of

from kexplore.core.faults import parse_fault
from kexplore.core.generate_node import generate_node_root
from kexplore.core.node_files import sources_for
from kexplore.ui.app import KexploreApp
from kexplore.ui.views.certificate import CertificateView
from kexplore.ui.views.other import FileView

pytestmark = pytest.mark.anyio
CLIENT = "/var/lib/kubelet/pki/kubelet-client-current.pem"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_explorer_shows_node_files_in_their_own_group(tmp_path: Path) -> None:
    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW, [parse_fault("kubelet-client-expired")])
    root = node / "etc/kubernetes"
    app = KexploreApp(root, now=NOW, node_sources=sources_for(root, node_root=node))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = tree_of(app)
        groups = [child.label.plain for child in tree.root.children]
        assert any("outside the tree" in g for g in groups)
        text = screen_text(app)
        assert "kubelet client certificate" in text and "kubeconfig copy" in text
        assert "kubelet-client-expired" in text  # the overview lists the node's findings
        app.main.jump(CLIENT)
        await pilot.pause()
        await pilot.pause()
        view = app.main.query_one(CertificateView)
        assert view.path == CLIENT
        assert "renewed by the kubelet itself" in screen_text(app)
        app.main.jump("/var/lib/kubelet/config.yaml")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one(FileView).path == "/var/lib/kubelet/config.yaml"
        assert "clientCAFile" in screen_text(app)
        assert "/etc/kubernetes/pki/ca.crt" in screen_text(app)


async def test_a_node_files_yaml_is_read_where_it_was_found(tmp_path: Path) -> None:
    """The YAML tab of ~/.kube/config reads the node root's copy, redacted, never this
    machine's own file of that name."""
    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW)
    root = node / "etc/kubernetes"
    app = KexploreApp(root, now=NOW, node_sources=sources_for(root, node_root=node))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.session is not None
        assert app.session.on_disk("/root/.kube/config") == (node / "root/.kube", "config")
        assert app.session.on_disk(CLIENT) == (
            node / "var/lib/kubelet/pki", "kubelet-client-2026-11-01-09-00-00.pem")
        from kexplore.ui.views.base import redacted_yaml_view

        text = redacted_yaml_view(app.session, "/root/.kube/config").code  # type: ignore[union-attr]
        assert "REDACTED" in text and "kubernetes-admin" in text


async def test_the_control_plane_view_judges_the_kubelet_with_its_config(
    tmp_path: Path,
) -> None:
    """The explorer's plane reads the node files the check read: the kubelet's settings
    in its component, the API server → kubelet link broken as `check` says, and why."""
    from test_ui_plane import control_plane, marks, text_of
    from textual.widgets import Static

    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW, [parse_fault("kubelet-client-ca-file:other-ca")])
    root = node / "etc/kubernetes"
    app = KexploreApp(root, now=NOW, node_sources=sources_for(root, node_root=node))
    async with app.run_test(size=SIZE) as pilot:
        view = await control_plane(app, pilot)
        words = text_of(view.query_one("#components", Static))
        assert ("authentication.x509.clientCAFile: /etc/kubernetes/pki/front-proxy-ca.crt"
                in words)
        assert "staticPodPath: /etc/kubernetes/manifests" in words
        assert marks(view)["kube-apiserver->kubelet"] == "✗"
        assert app.session is not None and app.session.plane is not None
        link = app.session.plane.link("kube-apiserver->kubelet")
        assert link is not None and link.opens == "/var/lib/kubelet/config.yaml"
        assert link.notes[0].startswith("the kubelet's config.yaml (/var/lib/kubelet/config"
                                        ".yaml) names clientCAFile")


async def test_the_explorer_follows_a_rotation_of_the_kubelets_cert(tmp_path: Path) -> None:
    """Live: the kubelet rotates onto an expired pair; the group outside the tree, the open
    view and the findings follow, with the selection kept. Then back to a valid pair."""
    from pilots import until
    from test_live_node_files import rotate
    from test_ui_live import selected

    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW)
    root = node / "etc/kubernetes"
    app = KexploreApp(root, now=NOW, watch=True,
                      node_sources=sources_for(root, node_root=node))
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        app.main.jump(CLIENT)
        await until(pilot, lambda: selected(app) == CLIENT)
        dated = rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")

        def expired() -> bool:
            return app.session is not None and any(
                f.rule == "kubelet-client-expired" for f in app.session.for_path(CLIENT, "all"))

        await until(pilot, expired)
        group = next(g for g in tree_of(app).root.children if "outside the tree" in g.label.plain)
        await until(pilot, lambda: group.label.plain.startswith("✖"))
        assert app.session.sources[CLIENT] == str(node / dated.lstrip("/"))
        assert app.session.tree.nodes[CLIENT].reads_as == dated
        assert selected(app) == CLIENT and app.main.current == CLIENT
        await until(pilot, lambda: app.main.query_one(CertificateView).session is app.session)
        assert f"{CLIENT} changed: 1 new error" in notes
        rotate(node, (), "2026-11-30-11-00-00")
        await until(pilot, lambda: not expired())
        group = next(g for g in tree_of(app).root.children if "outside the tree" in g.label.plain)
        await until(pilot, lambda: group.label.plain.startswith("✓"))
        assert selected(app) == CLIENT


async def test_kubeadm_flags_env_is_a_node_file_of_its_own(tmp_path: Path) -> None:
    """kubeadm-flags.env, read for the Node's addresses, shows beside the kubelet's files
    with what it is for, and opens as a file."""
    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW)
    flags = node / "var/lib/kubelet/kubeadm-flags.env"
    flags.write_text('KUBELET_KUBEADM_ARGS="--node-ip=192.168.1.10"\n')
    root = node / "etc/kubernetes"
    app = KexploreApp(root, now=NOW, node_sources=sources_for(root, node_root=node))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.session is not None
        assert app.session.roles["/var/lib/kubelet/kubeadm-flags.env"][0] == "kubelet flags"
        app.main.jump("/var/lib/kubelet/kubeadm-flags.env")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one(FileView).path == "/var/lib/kubelet/kubeadm-flags.env"
        assert "node IP" in screen_text(app)
