"""Textual's footer, recomposed once per burst of binding changes.

Showing a view moves the focus and changes the bindings several times within one
refresh; the stock footer re-mounts and re-styles every key each time, which at start-up
costs more than drawing the rest of the screen.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    _recompose_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's own handler, less the recompose already on its way
        self._bindings_ready = True
        if self._recompose_pending or not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_pending = True
            self.call_after_refresh(self.recompose)

    async def recompose(self) -> None:
        self._recompose_pending = False
        await super().recompose()
