"""Which view shows which node."""

from __future__ import annotations

from kexplore.core.model import Kind
from kexplore.ui.session import Session
from kexplore.ui.views.base import View


def view_for(session: Session, path: str, profile: str) -> View:
    from kexplore.ui.views.other import BrokenView, FileView

    node = session.tree.get(path)
    if node is None or (node.content is None and node.error):
        return BrokenView(session, path, profile)
    if node.kind is Kind.CERTIFICATE:
        from kexplore.ui.views.certificate import CertificateView

        return CertificateView(session, path, profile)
    if node.kind in (Kind.PRIVATE_KEY, Kind.PUBLIC_KEY):
        from kexplore.ui.views.key import KeyView

        return KeyView(session, path, profile)
    if node.kind is Kind.KUBECONFIG:
        from kexplore.ui.views.kubeconfig import KubeconfigView

        return KubeconfigView(session, path, profile)
    if node.kind is Kind.MANIFEST:
        from kexplore.ui.views.manifest import ManifestView

        return ManifestView(session, path, profile)
    return FileView(session, path, profile)
