"""A tree whose file names and certificate fields try to act on a terminal: escape
sequences (OSC title, CSI clear and cursor report), BEL, C1 controls, bidi overrides, NUL
and Rich/Textual markup. What each face must show instead is `printable(name)`."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import corpus as c

from kexplore.core.names import printable

# Pieces no output may carry raw: each would act on the terminal or on the markup parser.
OSC_TITLE = "\x1b]0;OWNED\x07"
CLEAR = "\x1b[2J"
CURSOR_REPORT = "\x1b[6n"
C1_CSI, C1_OSC = "\x9b", "\x9d"
BIDI = "\u202e"
NUL = "\x00"
RAW = (OSC_TITLE, CLEAR, CURSOR_REPORT, C1_CSI, C1_OSC, BIDI, NUL, "OWNED\x07")

# File names (no NUL or slash: a file system refuses them); markup both bare and linked.
NAMES = (
    f"pki/{OSC_TITLE}{CLEAR}x.crt",
    "pki/[b]ca.crt",
    "pki/[link=mailto:x@evil.example]owned.crt",
    f"pki/{BIDI}trc.yek.crt",
    f"pki/c1{C1_CSI}6n{C1_OSC}0;t.crt",
    f"{CURSOR_REPORT}bell\x07.conf",
)
CN = f"{OSC_TITLE}soon{CLEAR}{BIDI}[b]cn[/b]{NUL}{C1_CSI}6n"
ORG = f"[link=https://evil.example]org[/link]{CURSOR_REPORT}"
SANS = (f"{CLEAR}san.example", "[b]san[/b].example")


@dataclass(frozen=True)
class Hostile:
    root: Path
    paths: tuple[str, ...]  # every planted path, as on disk

    @property
    def shown(self) -> tuple[str, ...]:
        """Each planted path as every face must show it."""
        return tuple(printable(p) for p in self.paths)


def plant(root: Path) -> Hostile:
    """Certificates under hostile names, the soonest to expire, with hostile fields; and a
    kubeconfig under a hostile name (a copy of admin.conf)."""
    key = c.ec_key(31)
    ca = c.ec_key(32)
    issuer = c.make_cert("hostile-ca", ca, ca=True)
    cert = c.make_cert(CN, key, issuer=issuer, issuer_key=ca, o=(ORG,), dns=SANS,
                       days=3, not_before=c.NOW - timedelta(days=1))
    pem = c.cert_pem(cert)
    for path in NAMES[:-1]:
        (root / path).write_bytes(pem)
    shutil.copyfile(root / "admin.conf", root / NAMES[-1])
    return Hostile(root, NAMES)


# What a terminal stream may hold besides text: the SGR colours, cursor moves and mode
# switches the renderer itself writes. Anything else starting with ESC came from the tree.
# Textual also sets the mouse pointer's shape (OSC 22) and the clipboard (OSC 52, base64).
_CLIPBOARD = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")
_RENDERER = re.compile(
    r"\x1b\[[0-9;:?]*[mHhlABCDGK]|\x1b[78=>]|\x1b\]22;[a-z-]*\x07|\r|\n|"
    + _CLIPBOARD.pattern
)


def clipboard(stream: str) -> list[str]:
    """Every text the stream put on the terminal's clipboard."""
    import base64

    return [base64.b64decode(m.group(1)).decode() for m in _CLIPBOARD.finditer(stream)]


def residue(stream: str) -> str:
    """What is left of a terminal stream once the renderer's own sequences are taken out:
    it must be plain printable text."""
    return _RENDERER.sub("", stream)


def unprintable(text: str) -> list[str]:
    """The characters of `text` that are not printable, each once."""
    return sorted({ch for ch in text if not ch.isprintable()})
