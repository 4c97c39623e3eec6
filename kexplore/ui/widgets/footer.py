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
        if self._recompose_pending:
            return  # the recompose on its way reads the bindings as they are by then
        super().bindings_changed(screen)  # schedules a recompose in just these conditions:
        self._recompose_pending = bool(
            screen.app.app_focus and self.is_attached and screen is self.screen
        )

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
            (name, binding.key, self.app.get_key_display(binding), binding.action,
             binding.description, binding.show, binding.group, enabled, tooltip)
            for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
        return keys, self.show_command_palette, self.compact
