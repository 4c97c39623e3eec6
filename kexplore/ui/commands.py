"""The command palette: jump to any file or rule, open any view; Textual's own stay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from kexplore.core.secrets import shown as printable


class PaletteHost(Protocol):
    """What the palette needs of the app: its screens and one of its actions. A protocol,
    so that the palette and the app it serves never import each other."""

    def get_screen(self, screen: str) -> object: ...
    def is_screen_installed(self, screen: str) -> bool: ...
    def action_reload(self) -> object: ...

Entry = tuple[str, str, Callable[[], object]]  # (title, help, what it does)


def palette_entries(app: PaletteHost) -> list[Entry]:
    from kexplore.ui.screens.main import MainScreen

    main = app.get_screen("main") if app.is_screen_installed("main") else None
    if not isinstance(main, MainScreen):
        return []
    entries: list[Entry] = [
        ("Overview", "Every finding and every certificate by expiry", main.action_overview),
        ("Cluster", "The cluster's parameters as read from the tree", main.action_cluster),
        ("Control plane", "The components as they run and every link between them",
         main.action_control_plane),
        ("Next problem", "The next file with an error or warning", main.action_next_problem),
        ("Filter the tree", "Show only the files whose path holds what you type",
         main.action_filter),
        ("Reload", "Scan the tree again", app.action_reload),
    ]
    session = main.session
    if session is None:
        return entries
    for path in main.files.paths:
        entries.append((f"Open {path}", _file_help(session, path), partial(main.jump, path)))
    # a link's title may name a file of the tree; its help stays free of them (the reason
    # is one keypress away, in the view)
    for link in session.plane.links if session.plane is not None else ():
        entries.append((f"Link {link.title} ({link.id})", f"{link.mark} {link.status}",
                        partial(main.show_link, link.id)))
    by_rule: dict[str, list[str]] = {}
    for finding in session.findings("all"):
        by_rule.setdefault(finding.rule, []).append(finding.path)
    for rule, paths in sorted(by_rule.items()):
        count = f"{len(paths)} finding{'s' if len(paths) != 1 else ''}"
        entries.append((f"Rule {rule}", f"{count}; first in {paths[0]}",
                        partial(main.jump, paths[0])))
    return entries


def _file_help(session: object, path: str) -> str:
    node = session.tree.get(path)  # type: ignore[attr-defined]
    return node.kind.value if node is not None else "missing file"


class KexploreCommands(Provider):
    """Files, rules and views."""

    def _entries(self) -> list[Entry]:
        return palette_entries(self.app)  # type: ignore[arg-type]

    # Titles and help name files: both are handed to Textual as Content, which it never
    # parses as markup (a str would be), and escaped, so `[b]x` and ESC show as written.

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries()[:5]:
            yield DiscoveryHit(Content(printable(title)), callback, text=printable(title),
                               help=Content(printable(help_text)))  # type: ignore[arg-type]

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            shown = printable(title)
            score = matcher.match(shown)
            if score > 0:
                yield Hit(score, _highlight(matcher, shown), callback, text=shown,
                          help=Content(printable(help_text)))  # type: ignore[arg-type]


def _highlight(matcher: Matcher, text: str) -> Content:
    """The matched letters in the match style, the text itself never read as markup
    (Matcher.highlight would parse it)."""
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
