"""A private or public key: what kind, and which certificates it belongs to. Never the key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kexplore.core import relations
from kexplore.core.pki import KeyInfo, PublicKeyInfo
from kexplore.ui import format as fmt
from kexplore.ui.views.base import View, findings_section, heading, title
from kexplore.ui.views.uses import uses_section
from kexplore.ui.widgets.tables import Copyable, KeyTable


class KeyView(View):
    def compose(self) -> ComposeResult:
        node = self.session.tree.get(self.path)
        info = node.content if node else None
        private = isinstance(info, KeyInfo)
        kind = "private key" if private else "public key"
        mate = _mate_purpose(self.path) if private else ""
        yield title(f"key of the {mate}" if mate else kind, self.shown_path)
        with VerticalScroll():
            table = KeyTable("field", "value", classes="fields", show_header=False)
            if isinstance(info, KeyInfo):
                table.add(Text("Type", style="bold"), info.describe())
                table.add(Text("Encrypted", style="bold"), "yes" if info.encrypted else "no")
                fp = info.public_key_fingerprint
            elif isinstance(info, PublicKeyInfo):
                table.add(Text("Type", style="bold"), info.describe())
                table.add(Text("Encoding", style="bold"), info.encoding)
                fp = info.fingerprint
            else:
                fp = ""
            if fp:
                table.add(Text("Public key SHA-256", style="bold"), fmt.fingerprint(fp),
                          copy=("public key fingerprint", fp), height=None)
            table.add(Text("Mode", style="bold"), f"{node.mode:04o}" if node else "")
            yield table
            if private:
                yield Static(Text("The private key itself is never shown, copied or "
                                  "put in a screenshot.", style=fmt.MUTED), classes="note")
            yield heading("Belongs to")
            yield self._owners(info)
            yield from findings_section(self.findings)
            yield from uses_section(self.session, self.path)

    def _owners(self, info: object) -> KeyTable | Static:
        table = KeyTable("", "certificate", "file", classes="owners")
        if isinstance(info, KeyInfo | PublicKeyInfo):
            for pair in relations.pairings(self.session.tree, info):
                table.add(fmt.mark(None), pair.label, pair.path, target=pair.path)
        if not table.row_count:
            return Static(Text("no certificate or key in the tree pairs with this key",
                               style=fmt.MUTED), classes="note")
        return table

    def default_copy(self) -> Copyable | None:
        node = self.session.tree.get(self.path)
        info = node.content if node else None
        if isinstance(info, KeyInfo) and info.public_key_fingerprint:
            return ("public key fingerprint", info.public_key_fingerprint)
        if isinstance(info, PublicKeyInfo):
            return ("public key fingerprint", info.fingerprint)
        return None


def _mate_purpose(path: str) -> str:
    """What the certificate kubeadm pairs with this key is for, from the conventions ("" for
    a key that is no kubeadm certificate's): the title says what the key serves."""
    from kexplore.core.conventions.certs import CERTS

    return next((spec.purpose for spec in CERTS if spec.key_file == path), "")
