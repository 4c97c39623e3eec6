"""A static pod manifest: the diff against what kubeadm writes, the conventions, the YAML."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from kexplore.core.diff import ManifestDiff
from kexplore.core.manifest import Container, ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.secrets import redact_flag_value
from kexplore.ui import core_api
from kexplore.ui import format as fmt
from kexplore.ui.views.base import View, findings_section, heading, redacted_yaml_view, title
from kexplore.ui.widgets.search import SearchableText
from kexplore.ui.widgets.tables import Copyable, KeyTable

# how each kind of difference is marked
DIFF_KINDS = {
    "version": ("◆ version", "#6fa8dc"),
    "customisation": ("◇ customisation", "#b48ead"),
    "defect": ("✖ defect", "bold #e05d5d"),
}


def purpose_of(path: str) -> str:
    from kexplore.core.conventions.manifests import STATIC_PODS_BY_FILE

    spec = STATIC_PODS_BY_FILE.get(path)
    return spec.purpose if spec else ""


# The reason wraps within this many columns, so the table fits beside the tree.
WHY_WIDTH = 36

class ManifestView(View):
    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.path)
        info = node.content if node else None
        assert isinstance(info, ManifestInfo)
        self.info = info
        container = info.container()
        image = container.image if container else ""
        yield title(purpose_of(self.path) or info.name, f"{self.shown_path}  {image}")
        with TabbedContent(id="mf-tabs"):
            with TabPane("Diff vs kubeadm", id="mf-diff"), VerticalScroll():
                yield from self._diff()
            with TabPane("Checklist", id="mf-checklist"), VerticalScroll():
                yield from self._checklist()
                yield from findings_section(self.findings)
            with TabPane("Flags", id="mf-flags"), VerticalScroll():
                yield self._flags()
            with TabPane("YAML", id="mf-yaml"):
                yield SearchableText(redacted_yaml_view(self.session, self.path,
                                                        line_numbers=True), text_id="yaml")

    def _diff(self) -> ComposeResult:
        diff = core_api.diff_manifest(self.session.tree, self.path, self.session.inferred)
        if diff is None:
            yield Static(Text("The diff against kubeadm is not available for this file.",
                              style=fmt.MUTED), classes="note")
            return
        yield Static(self._diff_summary(diff), classes="note")
        yield heading(f"Flags ({_count(diff.flags, 'difference')})" if diff.flags else "Flags")
        if diff.flags:
            table = KeyTable("kind", "change", "flag", "actual", "kubeadm", "why",
                             widths={"why": WHY_WIDTH}, id="diff-flags")
            for d in diff.flags:
                label, style = DIFF_KINDS.get(d.kind, (d.kind, ""))
                value = d.actual if d.actual is not None else d.expected
                table.add(Text(label, style=style), d.change, Text(d.where, style="bold"),
                          _text(d.actual), _text(d.expected), d.reason, height=None,
                          copy=("flag", f"{d.where}={value}" if value else d.where),
                          target=self._file_named(self.info.container(), value))
            yield table
        else:
            yield Static(Text("✓ every flag is what kubeadm writes", style=fmt.OK_STYLE),
                         classes="note")
        if diff.fields:
            yield heading(f"Fields ({_count(diff.fields, 'difference')})")
            table = KeyTable("kind", "change", "field", "actual", "kubeadm", "why",
                             widths={"why": WHY_WIDTH}, id="diff-fields")
            for d in diff.fields:
                label, style = DIFF_KINDS.get(d.kind, (d.kind, ""))
                table.add(Text(label, style=style), d.change, d.where, _text(d.actual),
                          _text(d.expected), d.reason, height=None,
                          copy=("value", d.actual) if d.actual else None,
                          target=self._node_file(d.actual))
            yield table
        if diff.unified:
            yield heading("Unified diff (this file → what kubeadm would write)")
            yield Static(Syntax(diff.unified, "diff", theme="ansi_dark",
                                background_color="default"), id="unified")

    def _diff_summary(self, diff: ManifestDiff) -> Text:
        line = Text(f"against kubeadm {diff.against}: ", style=fmt.MUTED)
        if not diff.all:
            return line + Text("✓ identical", style=fmt.OK_STYLE)
        for kind, (label, style) in DIFF_KINDS.items():
            count = len(diff.of_kind(kind))
            line.append(f"{count} {label.split(' ', 1)[1]}{'s' if count != 1 else ''}  ",
                        style=style if count else fmt.MUTED)
        return line

    def _checklist(self) -> ComposeResult:
        items = core_api.checklist(self.session.tree, self.path, self.session.report)
        yield heading("kubeadm conventions")
        table = KeyTable("", "rule", "why", id="checklist")
        for item in items:
            mark = Text("✓ pass", style=fmt.OK_STYLE) if item.passed else Text(
                "✖ fail", style=fmt.STYLE[Severity.ERROR])
            table.add(mark, Text(item.rule, style="bold"), item.why, height=None)
        yield table

    def _flags(self) -> KeyTable:
        table = KeyTable("container", "flag", "value", id="flags")
        for c in (*self.info.init_containers, *self.info.containers):
            for flag in c.flags:
                value = redact_flag_value(flag.name, flag.value) or ""
                table.add(c.name, Text(f"--{flag.name}", style="bold"), value,
                          copy=("flag", f"--{flag.name}={value}" if flag.value is not None
                                else f"--{flag.name}"),
                          target=self._file_named(c, flag.value))
        return table

    def _node_file(self, value: str | None) -> str | None:
        """The tree's file a field names (a hostPath), for `enter` to open."""
        from kexplore.core.flagfiles import node_file

        if value is None or not value.startswith("/"):
            return None  # a field's relative value is no path on the node
        return node_file(self.session.tree, value)

    def _file_named(self, container: Container | None, value: str | None) -> str | None:
        """The tree's file a flag names, for `enter` to open."""
        from kexplore.core.flagfiles import file_named

        if container is None:
            return None
        return file_named(self.session.tree, self.info, container, value)

    def default_copy(self) -> Copyable | None:
        container = self.info.container()
        return ("image", container.image) if container and container.image else None


def _text(value: str | None) -> str:
    return "—" if value is None else value


def _count(items: tuple[object, ...], word: str) -> str:
    return f"{len(items)} {word}{'s' if len(items) != 1 else ''}"
