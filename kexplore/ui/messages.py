"""Messages the views send up to the screen that owns the tree."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kexplore.core.model import Severity
from kexplore.core.pki import CertInfo
from kexplore.ui.session import Session


@dataclass
class JumpTo(Message):
    """Show this file: select it in the tree and open its view."""

    path: str


@dataclass
class OpenCertificate(Message):
    """Open certificates that live inside another file (a kubeconfig) in the cert view."""

    certs: tuple[CertInfo, ...]
    path: str
    pointer: str


@dataclass
class SessionLoaded(Message):
    session: Session


@dataclass
class LiveChanged(Message):
    """The disk changed and a complete new session is ready: never a half-applied state."""

    session: Session
    summary: str
    changed: frozenset[str]


@dataclass
class LoadFailed(Message):
    error: str


@dataclass
class ProfileChanged(Message):
    """The overview now shows another profile's findings; the tree and header follow."""

    profile: str


@dataclass
class SeverityChanged(Message):
    """The overview now shows findings of this severity and worse (None: all); the screen
    keeps it, so the overview comes back as it was left."""

    level: Severity | None
