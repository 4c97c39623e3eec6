"""Files that did not decode, files the tree lacks, and everything without a richer view."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kexplore.core.kubelet_config import KubeletConfig
from kexplore.core.model import Kind, Node, Severity
from kexplore.ui import files
from kexplore.ui import format as fmt
from kexplore.ui.views.base import View, findings_section, heading, title
from kexplore.ui.widgets.tables import KeyTable


class BrokenView(View):
    """Why a file could not be read, in plain words, and what was read."""

    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.path)
        yield title(f"unreadable {node.kind.value}" if node else "missing file",
                    self.shown_path)
        with VerticalScroll():
            if node is None:
                yield Static(Text("This file is not in the tree, but the checks expect it.",
                                  style=fmt.STYLE[Severity.ERROR]), classes="note")
                yield from findings_section(self.findings)
                return
            yield Static(fmt.plain(node.error, style=fmt.STYLE[Severity.ERROR]),
                         classes="error")
            yield _facts(node)
            yield heading(f"First bytes ({node.size} in all)")
            yield Static(_preview(*self.session.on_disk(self.path), node), classes="preview")
            yield from findings_section(self.findings)


class FileView(View):
    """A file kexplore has no richer view for: its facts and findings."""

    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.path)
        yield title(node.kind.value if node else "file", self.shown_path)
        with VerticalScroll():
            if node is not None:
                yield _facts(node)
                if node.kind is Kind.CSR and node.content is not None:
                    csr = node.content
                    table = KeyTable("field", "value", classes="fields", show_header=False)
                    table.add(Text("Subject", style="bold"), csr.subject)
                    for name in (*csr.dns_sans, *csr.ip_sans):
                        table.add(Text("SAN", style="bold"), name, copy=("SAN", name))
                    yield table
                if isinstance(node.content, KubeletConfig):
                    yield _kubelet_fields(node.content)
            yield from findings_section(self.findings)


def _kubelet_fields(config: KubeletConfig) -> KeyTable:
    """The KubeletConfiguration fields that decide trust and certificate life."""
    table = KeyTable("field", "value", classes="fields", show_header=False)
    unset = "(not set: the kubelet's default)"
    for name, value in (
        ("clientCAFile", config.client_ca_file),
        ("rotateCertificates", config.rotate_certificates),
        ("serverTLSBootstrap", config.server_tls_bootstrap),
        ("tlsCertFile", config.tls_cert_file),
        ("staticPodPath", config.static_pod_path),
        ("authorization.mode", config.authorization_mode),
    ):
        shown = unset if value in (None, "") else str(value).lower() if isinstance(
            value, bool) else str(value)
        table.add(Text(name, style="bold"), fmt.plain(shown), copy=(name, shown))
    return table


def _facts(node: Node) -> KeyTable:
    table = KeyTable("field", "value", classes="fields", show_header=False)
    table.add(Text("Kind", style="bold"), node.kind.value)
    table.add(Text("Size", style="bold"), f"{node.size} bytes")
    table.add(Text("Mode", style="bold"), f"{node.mode:04o}")
    if node.link_target:
        table.add(Text("Points to", style="bold"), node.link_target)
    return table


def _preview(root: Path, name: str, node: Node) -> Text:
    """The first bytes, only when the core says they are harmless: a secret's path, a
    mention of a secret or a private key (PEM or DER) is described, never shown."""
    from kexplore.core.secrets import safe_preview

    if node.kind in (Kind.DIRECTORY, Kind.SYMLINK, Kind.SPECIAL):
        return Text("not a regular file: nothing was read", style=fmt.MUTED)
    try:
        data = files.head(root, name, files.JUDGE_BYTES)
    except OSError as exc:
        return Text(f"cannot read: {exc.strerror or exc}", style=fmt.MUTED)
    if not data:
        return Text("the file is empty", style=fmt.MUTED)
    withheld = safe_preview(node.path, data, secret_kind=files.secret_named(node))
    if withheld is not None:
        return Text(withheld, style=fmt.MUTED)
    return Text(files.hex_preview(data[: files.PREVIEW_BYTES]))
