"""A static pod manifest: would the kubelet run it, the diff against what kubeadm writes,
the conventions, the flags, the YAML (with the line a problem is on)."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from kexplore.core.diff import ManifestDiff
from kexplore.core.manifest import Container, ManifestInfo, line_of
from kexplore.core.model import Severity
from kexplore.core.secrets import redact_flag_value
from kexplore.core.secrets import shown_lines as printable_lines
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
        with TabbedContent(id="mf-tabs", initial="mf-kubelet"):
            with TabPane("Would the kubelet run it", id="mf-kubelet"), VerticalScroll():
                yield from self._kubelet()
            with TabPane("Diff vs kubeadm", id="mf-diff"), VerticalScroll():
                yield from self._diff()
            with TabPane("Checklist", id="mf-checklist"), VerticalScroll():
                yield from self._checklist()
                yield from findings_section(self.findings)
            with TabPane("Flags", id="mf-flags"), VerticalScroll():
                yield self._flags()
            with TabPane("YAML", id="mf-yaml"):
                yield SearchableText(redacted_yaml_view(self.session, self.path,
                                                        line_numbers=True), text_id="yaml",
                                     id="yaml-scroll")

    def _kubelet(self) -> ComposeResult:
        kubelet = self.session.kubelet
        entry = kubelet.get(self.path) if kubelet is not None else None
        self.problems: list[Any] = list(entry.problems) if entry is not None else []
        if entry is None:
            yield Static(Text("The kubelet does not read this file: it runs the pods of "
                              "manifests/ only.", style=fmt.MUTED), classes="note")
            return
        yield Static(_verdict(entry), id="kubelet-verdict", classes="note")
        if not self.problems:
            return
        yield heading(f"What the kubelet does with it ({_count(tuple(self.problems), 'problem')}"
                      "; enter shows the line)")
        table = KeyTable("", "line", "rule", "what happens", widths={"what happens": 64},
                         id="kubelet-problems")
        for p in self.problems:
            message = fmt.plain(p.message)
            if p.fix:
                message.append("\nfix: ")
                message.append_text(fmt.plain(p.fix))
            table.add(fmt.mark(p.severity), str(p.line or ""), Text(p.rule, style="bold"),
                      message, height=None, copy=("fix", p.fix) if p.fix else None)
        yield table

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "kubelet-problems" or not self.problems:
            return
        event.stop()
        self.show_line(self.problems[event.cursor_row])

    def show_line(self, problem: Any) -> int | None:
        """Open the YAML tab on the line a problem is on; the line shown, if any. The YAML
        shown is re-emitted with secrets redacted, so the line is found again in it."""
        shown = redacted_yaml_view(self.session, self.path, line_numbers=True)
        text = getattr(shown, "code", "")
        field = problem.field or problem.pointer
        line = line_of(core_api.yaml_lines(text), field) if text and field else None
        line = line or problem.line
        self.query_one("#mf-tabs", TabbedContent).active = "mf-yaml"
        searchable = self.query_one("#yaml-scroll", SearchableText)
        searchable.shown = redacted_yaml_view(self.session, self.path, line_numbers=True,
                                              highlight=line)
        self.query_one("#yaml", Static).update(searchable.shown)
        if line:
            self.call_after_refresh(searchable.scroll_to, y=max(line - 5, 0), animate=False)
        return line

    def _diff(self) -> ComposeResult:
        diff = core_api.diff_manifest(self.session.tree, self.path, self.session.inferred)
        if diff is None:
            yield Static(Text(_no_diff(self.path), style=fmt.MUTED), classes="note")
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
            yield Static(Syntax(printable_lines(diff.unified), "diff", theme="ansi_dark",
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
        from kexplore.core.plane.mounts import entry_beside

        if value is None or not value.startswith("/"):
            return None  # a field's relative value is no path on the node
        return entry_beside(self.session.tree, "", value)

    def _file_named(self, container: Container | None, value: str | None) -> str | None:
        """The tree's file a flag names, for `enter` to open."""
        from kexplore.core.plane.mounts import flag_entry

        if container is None:
            return None
        return flag_entry(self.session.tree, self.info, container, value)

    def default_copy(self) -> Copyable | None:
        container = self.info.container()
        return ("image", container.image) if container and container.image else None


def _verdict(entry: Any) -> Text:
    worst = {p.severity for p in entry.problems}
    if not entry.runs:
        refused = Severity.ERROR in worst and not all(
            p.rule == "pod-duplicate" for p in entry.problems if p.severity is Severity.ERROR)
        why = "it refuses the file" if refused else "another file defines the same pod, later"
        return Text(f"✖ the kubelet does not run this pod: {why}", style=fmt.STYLE[Severity.ERROR])
    if Severity.ERROR in worst:
        return Text(f"✖ the kubelet runs {entry.key}, and it fails: see below",
                    style=fmt.STYLE[Severity.ERROR])
    if entry.problems:
        return Text(f"◐ the kubelet runs {entry.key}, but not quite as written",
                    style=fmt.STYLE[Severity.WARNING])
    return Text(f"✓ the kubelet reads, decodes and validates this file, and runs {entry.key}",
                style=fmt.OK_STYLE)


def _text(value: str | None) -> str:
    return "—" if value is None else value


def _count(items: tuple[object, ...], word: str) -> str:
    return f"{len(items)} {word}{'s' if len(items) != 1 else ''}"


def _no_diff(path: str) -> str:
    """Why a manifest has no diff, instead of a bare "not available"."""
    if path.startswith("tmp/"):
        return ("A backup kubeadm kept from an earlier upgrade: history, never held against "
                "kubeadm as drift (kexplore diff leaves it out too).")
    names = ", ".join(core_api.kubeadm_manifests())
    return (f"Not one of the static pods kubeadm writes ({names}): there is no kubeadm "
            "manifest to hold it against.")
