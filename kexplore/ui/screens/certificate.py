"""A certificate that lives inside another file (a kubeconfig), opened on its own."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from kexplore.core.secrets import shown as printable
from kexplore.core.secrets import shown_lines as printable_lines
from kexplore.ui.messages import OpenCertificate
from kexplore.ui.session import Session
from kexplore.ui.views.certificate import CertificateView
from kexplore.ui.widgets.footer import KeysFooter


class CertificateScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="cert.back"),
        Binding("c", "copy", "Copy", id="cert.copy",
                tooltip="Copy the public value in view: a fingerprint or the PEM"),
    ]

    def __init__(self, session: Session, opened: OpenCertificate, profile: str) -> None:
        super().__init__()
        self.session = session
        self.opened = opened
        self.profile = profile

    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.opened.path)
        user_key = None
        if node is not None and self.opened.pointer.startswith("user "):
            info = node.content
            user = info.user(self.opened.pointer[5:]) if info is not None else None
            user_key = user.client_key if user is not None else None
        yield CertificateView(self.session, self.opened.path, self.profile,
                              certs=self.opened.certs, pointer=self.opened.pointer, key=user_key)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(CertificateView).query("DataTable").first().focus()

    def action_copy(self) -> None:
        value = self.query_one(CertificateView).copy_value()
        if value is not None:
            what, text = value
            text = printable_lines(text)  # a pasted name must not act in the next terminal
            self.app.copy_to_clipboard(text)
            self.notify(printable(text if len(text) <= 60 else text[:57] + "…"),
                        title=f"Copied {printable(what)}", markup=False)
