"""Textual's footer, recomposed only when what it shows changes.

Showing a view moves the focus and changes the bindings several times within one
refresh, mostly between widgets that offer the same keys; the stock footer re-mounts and
re-styles every key each time, which at start-up costs more than drawing the rest of the
screen.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    _recompose_pending = False
    _shown: Any = None

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own handler, less a recompose already on its way
        self._bindings_ready = True
        if self._recompose_pending or not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_pending = True
            self.call_after_refresh(self.recompose)

    async def recompose(self) -> None:
        self._recompose_pending = False
        shown = self._what_it_shows()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

    def _what_it_shows(self) -> tuple[object, ...]:
        """Everything compose reads: each binding with its state, and the footer's options."""
        keys = tuple(
            (name, binding.key, binding.description, binding.show, binding.group, enabled,
             tooltip)
            for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
        return keys, self.show_command_palette, self.compact
