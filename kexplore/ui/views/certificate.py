"""A certificate: what it is for, who it names, how long it lasts, who signed it, its key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from kexplore.core import pki, relations
from kexplore.core.model import Finding, Kind, Severity
from kexplore.core.pki import CertInfo, KeyInfo
from kexplore.ui import format as fmt
from kexplore.ui.session import Session
from kexplore.ui.views.base import View, findings_section, heading, title
from kexplore.ui.views.uses import uses_section
from kexplore.ui.widgets.search import SearchableText
from kexplore.ui.widgets.tables import Copyable, KeyTable


def purpose_of(path: str, pointer: str = "") -> str:
    """What kubeadm made this certificate for, from the conventions ("" when not kubeadm's)."""
    from kexplore.core.conventions.certs import CERTS_BY_FILE
    from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE

    if pointer.startswith("user "):
        kubeconfig = KUBECONFIGS_BY_FILE.get(path)
        return kubeconfig.client_cert.purpose if kubeconfig else ""
    if pointer:
        return ""
    spec = CERTS_BY_FILE.get(path)
    return spec.purpose if spec else ""


class CertificateView(View):
    """One certificate file (or bundle), or certificates embedded in another file."""

    def __init__(
        self,
        session: Session,
        path: str,
        profile: str = "kubeadm",
        *,
        certs: tuple[CertInfo, ...] | None = None,
        pointer: str = "",
        key: KeyInfo | None = None,
    ) -> None:
        super().__init__(session, path, profile)
        node = session.tree.get(path)
        self.certs = certs if certs is not None else tuple(node.content or ()) if node else ()
        self.pointer = pointer
        self.embedded_key = key

    @property
    def findings(self) -> list[Finding]:
        found = super().findings
        if self.pointer:
            return [f for f in found if (f.pointer and f.pointer in self.pointer)
                    or self.pointer in f.pointer]
        return found

    def compose(self) -> ComposeResult:
        where = f"{self.path} › {self.pointer}" if self.pointer else self.shown_path
        leaf = self.certs[0] if self.certs else None
        purpose = purpose_of(self.path, self.pointer)
        yield title(purpose or (leaf.subject_cn if leaf else "certificate"), where)
        with TabbedContent(id="cert-tabs"):
            with TabPane("Certificate", id="cert-details"), VerticalScroll():
                for i, cert in enumerate(self.certs):
                    if len(self.certs) > 1:
                        yield heading(f"Certificate {i + 1} of {len(self.certs)}")
                    yield self._fields(cert)
                    yield heading("Chain")
                    yield self._chain(cert)
                    if i == 0:
                        yield heading("Private key")
                        yield Static(fmt.clean(self._key_line(cert)), classes="note")
                yield from findings_section(self.findings)
                yield from uses_section(self.session, self.path, self.pointer)
            with TabPane("PEM", id="cert-pem"):
                yield SearchableText(Text("".join(c.pem() for c in self.certs)), text_id="pem")

    def _fields(self, cert: CertInfo) -> KeyTable:
        table = KeyTable("field", "value", classes="fields", show_header=False)
        worst = self.session.worst(self.path, self.profile)
        rows: list[tuple[str, str | Text, Copyable | None]] = [
            ("Subject", cert.subject, ("subject", cert.subject)),
            ("Issuer", cert.issuer, ("issuer", cert.issuer)),
            ("Serial", f"{cert.serial:X}", ("serial", f"{cert.serial:X}")),
            ("Not before", fmt.when(cert.not_before), None),
            ("Not after", fmt.when(cert.not_after), None),
            ("Time left", fmt.validity_bar(cert, self.session.now, fmt.style_for(worst)), None),
        ]
        rows += [("DNS SAN", name, ("SAN", name)) for name in cert.dns_sans]
        rows += [("IP SAN", ip, ("SAN", ip)) for ip in cert.ip_sans]
        rows += [("Other SAN", other, ("SAN", other)) for other in cert.other_sans]
        if not (cert.dns_sans or cert.ip_sans or cert.other_sans):
            rows.append(("SANs", Text("none", style=fmt.MUTED), None))
        critical = " (critical)" if cert.key_usage_critical else ""
        rows += [
            ("Key usage", ", ".join(cert.key_usage) + critical if cert.key_usage else "none",
             None),
            ("Extended usage", ", ".join(cert.ext_key_usage) or "none", None),
            ("CA", _ca_text(cert), None),
            ("Public key", _key_text(cert), None),
            ("Signature", cert.signature_algorithm, None),
            ("SHA-256", fmt.fingerprint(cert.sha256_fingerprint),
             ("SHA-256 fingerprint", cert.sha256_fingerprint)),
            ("SHA-1", cert.sha1_fingerprint, ("SHA-1 fingerprint", cert.sha1_fingerprint)),
            ("Public key SHA-256", fmt.fingerprint(cert.public_key_fingerprint),
             ("public key fingerprint", cert.public_key_fingerprint)),
        ]
        if cert.ski:
            rows.append(("Subject key id", cert.ski, ("subject key id", cert.ski)))
        if cert.aki:
            rows.append(("Authority key id", cert.aki, ("authority key id", cert.aki)))
        if cert.extension_error:
            rows.append(("Extensions", Text(cert.extension_error,
                                            style=fmt.STYLE[Severity.WARNING]), None))
        for name, value, copy in rows:
            table.add(Text(name, style="bold"), value, copy=copy, height=None)
        return table

    def _chain(self, cert: CertInfo) -> KeyTable:
        table = KeyTable("", "certificate", "file", "signature", classes="chain")
        here = self.path + (f" › {self.pointer}" if self.pointer else "")
        table.add(Text("•"), cert.subject_cn or cert.subject, here, "")
        for depth, step in enumerate(relations.chain(self.session.tree, cert), 1):
            link, path, verified = step.issuer, step.path, step.verified
            if link is None:
                table.add(fmt.mark(Severity.ERROR),
                          Text(f"issuer not in the tree: {step.issuer_name}"),
                          "", Text("unverified", style=fmt.STYLE[Severity.ERROR]))
                continue
            sig = Text("✓ verified", style=fmt.OK_STYLE) if verified else Text(
                "✖ does not verify", style=fmt.STYLE[Severity.ERROR])
            if link.sha256_fingerprint == cert.sha256_fingerprint:
                table.add(fmt.mark(None if verified else Severity.ERROR), "self-signed", "",
                          sig)
                continue
            name = ("  " * (depth - 1)) + "└ signed by " + (link.subject_cn or link.subject)
            table.add(fmt.mark(None if verified else Severity.ERROR), name,
                      path, sig, target=path or None)
        return table

    def _key_line(self, cert: CertInfo) -> Text:
        key, where = self.embedded_key, f"{self.pointer} (embedded)"
        if key is None:
            key_path = relations.key_path_for(self.path)
            node = self.session.tree.get(key_path) if key_path else None
            if node is None or node.kind is not Kind.PRIVATE_KEY:
                return Text("no private key beside this certificate", style=fmt.MUTED)
            if not isinstance(node.content, KeyInfo):
                return Text(f"{key_path}: unreadable ({node.error})",
                            style=fmt.STYLE[Severity.ERROR])
            key, where = node.content, str(key_path)
        if key.encrypted:
            return Text(f"{where}: encrypted, cannot be compared", style=fmt.MUTED)
        if pki.key_matches(key, cert):
            return Text(f"✓ {where} matches ({key.describe()})", style=fmt.OK_STYLE)
        return Text(f"✖ {where} does not match this certificate ({key.describe()})",
                    style=fmt.STYLE[Severity.ERROR])

    def default_copy(self) -> Copyable | None:
        if not self.certs:
            return None
        tabs = self.query_one("#cert-tabs", TabbedContent)
        if tabs.active == "cert-pem":
            return ("certificate PEM", "".join(c.pem() for c in self.certs))
        return ("SHA-256 fingerprint", self.certs[0].sha256_fingerprint)


def _ca_text(cert: CertInfo) -> str:
    if not cert.is_ca:
        return "no"
    return "yes" + (f", path length {cert.path_len}" if cert.path_len is not None else "")


def _key_text(cert: CertInfo) -> str:
    size = cert.curve or (f"{cert.public_key_bits} bits" if cert.public_key_bits else "")
    return f"{cert.public_key_type} {size}".strip()
