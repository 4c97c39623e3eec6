"""What every rule reads: the tree, the clock, the inferred parameters, and the certs in it."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from kexplore.core.conventions.certs import (
    CERTS_BY_FILE,
    CERTS_BY_NAME,
    SA_KEY,
    SA_PUB,
    CertSpec,
    cert_spec_at,
)
from kexplore.core.conventions.files import DIRECTORY_MODES
from kexplore.core.conventions.kubeconfigs import KUBECONFIGS_BY_FILE
from kexplore.core.conventions.manifests import (
    STATIC_PODS_BY_FILE,
    StaticPodSpec,
    static_pod_in,
)
from kexplore.core.conventions.versions import withheld_facts
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Kind, Node, Severity, Tree, is_archived
from kexplore.core.params import ClusterParams, Inferred
from kexplore.core.pki import CertInfo
from kexplore.core.plane import Plane, Reach, build_plane
from kexplore.core.plane.components import cert_folder
from kexplore.core.plane.mounts import (
    Resolved,
    beside,
    named_on_host,
    pod_paths,
)
from kexplore.core.read.crypto import find_issuer
from kexplore.core.records import record

if TYPE_CHECKING:
    from kexplore.core.node_files import NodeFiles
    from kexplore.core.plane.pods import KubeletPods

@record
class CertAt:
    """A certificate and where it lives: a file, or a field of a kubeconfig."""

    path: str
    pointer: str
    cert: CertInfo
    spec: CertSpec | None
    embedded: bool = False
    left_behind: bool = False  # in a pki/ certificatesDir moved away from

    @property
    def archived(self) -> bool:
        """History, not what runs: an upgrade backup, or a pki/ left behind."""
        return self.left_behind or is_archived(self.path)

    @property
    def label(self) -> str:
        return f"{self.path} {self.pointer}".strip()


@record
class FileReference:
    """A file one of the tree's files names: `source` at `pointer` names `target`."""

    source: str
    pointer: str
    target: str  # relative to the root


@record
class Context:
    """What every rule reads: the tree, the clock, what it says of the cluster, the node's files."""

    tree: Tree
    now: datetime
    warn_days: int
    inferred: Inferred
    # the node's files outside the tree, when asked for (kexplore.core.node_files)
    node: NodeFiles | None = None

    @property
    def params(self) -> ClusterParams:
        """The parameters the conventions are evaluated with (a version they describe)."""
        return self.inferred.expected_params

    def knows(self, *names: str) -> bool:
        """Whether the tree gave every one of these parameters (see Inferred.knows)."""
        return all(self.inferred.knows(name) for name in names)

    def withheld(self, fact: str) -> bool:
        """Whether a version-specific convention is left unchecked: the tree's kubeadm is
        older than the conventions know, and this fact may have differed there."""
        return any(f.name == fact for f in withheld_facts(self.params.version))

    def live(self, *kinds: Kind) -> list[Node]:
        """Nodes of these kinds outside the upgrade backups, each file once."""
        return [
            n
            for n in self.tree.of_kind(*kinds)
            if not is_archived(n.path) and n.path not in self.aliased
            and not self.left_behind(n.path)
        ]

    @cached_property
    def plane(self) -> Plane:
        """The control plane as these files make it run, the node's files included when
        read: every rule reads paths through it."""
        return build_plane(self.tree, self.now, self.inferred, self.node)

    @cached_property
    def aliased(self) -> frozenset[str]:
        """Of a link and the file it reads as, the one left out so that the file is checked
        once: the target, checked under the link's name (the one the components open),
        unless the target is kubeadm's own file and the link just another name for it. A
        link in the upgrade backups is history: it hides nothing."""
        hidden: set[str] = set()
        for node in self.tree:
            if not node.reads_as or is_archived(node.path):
                continue
            link_named, target_named = is_kubeadm_file(node.path), is_kubeadm_file(node.reads_as)
            if target_named and not link_named:
                hidden.add(node.path)
            elif not target_named:
                hidden.add(node.reads_as)
        return frozenset(hidden)

    @cached_property
    def kubelet(self) -> KubeletPods:
        """The static pods as the kubelet reads manifests/, for the tree's version and node."""
        from kexplore.core.plane.pods import for_tree

        return for_tree(self.tree, self.inferred)

    @cached_property
    def unreadable_folders(self) -> frozenset[str]:
        """Folders whose listing the user running kexplore was refused."""
        return frozenset(
            n.path for n in self.tree if n.kind is Kind.DIRECTORY and denied(n.error)
        )

    def unseen(self, path: str) -> bool:
        """Whether `path` lies in a folder kexplore could not read: not missing, unseen."""
        return any(path.startswith(folder + "/") for folder in self.unreadable_folders)

    def absent_folder(self, path: str) -> str | None:
        """The outermost folder on the way to `path` that is not in the tree, if any."""
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            node = self.tree.get(folder)
            if node is None or node.kind is not Kind.DIRECTORY:
                return folder
        return None

    @cached_property
    def file_references(self) -> tuple[FileReference, ...]:
        """Every file in the tree that a manifest flag or a kubeconfig field names: what
        the components will open, or would (a missing file names its place). A flag's
        path is where the plane resolves it through the pod's mounts (the host file by
        that name when no volume shows it); a kubeconfig's, as client-go reads it beside
        the file."""
        found: list[FileReference] = []
        for node, pod in self.manifests():
            for ref, container in pod_paths(pod):
                r = named_on_host(self.tree, pod, container, ref.path)
                found += _reference(node.path, f"--{ref.flag}", r)
        for node, info in self.kubeconfigs():
            refs = [(f"user {u.name}", p) for u in info.users
                    for p in (u.client_cert_path, u.client_key_path) if p]
            refs += [(f"cluster {c.name}", c.ca_path) for c in info.clusters if c.ca_path]
            for pointer, path in dict.fromkeys(refs):
                found += _reference(node.path, pointer, beside(self.tree, node.path, path))
        return tuple(found)

    @cached_property
    def missing_kubeconfigs(self) -> tuple[str, ...]:
        """kubeadm's kubeconfigs absent from the tree, when several are: one cause (a tree
        copied without them), told once. super-admin.conf is the init node's alone."""
        absent = tuple(
            path
            for path in KUBECONFIGS_BY_FILE
            if path != "super-admin.conf" and self.tree.get(path) is None
        )
        return absent if len(absent) > 1 and self.is_control_plane else ()

    @cached_property
    def missing_alone(self) -> frozenset[str]:
        """kubeadm's files that file-missing reports one by one (checks.files)."""
        from kexplore.core.checks.files import missing_alone

        return missing_alone(self)

    def reported_by_folder(self, path: str) -> bool:
        """Whether a missing `path` is told once, by the folder it is in: one the tree lacks
        (file-missing counts it), one kexplore could not read (unreadable says so), or
        the root when it lacks several kubeconfigs."""
        folder = self.absent_folder(path)
        return (
            self.unseen(path)
            or (folder in DIRECTORY_MODES and self.is_control_plane)
            or path in self.missing_kubeconfigs
        )

    @property
    def certs_here(self) -> bool:
        """Whether kubeadm's certificatesDir is this tree's pki/: the flags may name
        another (minikube's /var/lib/minikube/certs), or the pods may mount another host
        folder there, whose files are not kubeadm's pki/."""
        return self.cert_folder == "pki"

    @cached_property
    def cert_folder(self) -> str | None:
        """The tree folder behind certificatesDir, as the API server's pod mounts the
        folder its flags name (the same host path when no volume shows it); None when
        it lies elsewhere on the host."""
        return cert_folder(self.tree, self.params.cert_dir)

    @property
    def is_control_plane(self) -> bool:
        """A control-plane node's tree: what kubeadm's full file list is expected of."""
        tree = self.tree
        return bool(tree.get("manifests/kube-apiserver.yaml") or tree.get("pki/apiserver.crt"))

    def static_pod(self, path: str) -> StaticPodSpec | None:
        """kubeadm's pod the manifest at `path` holds: its .yaml, or a .json standing in."""
        return static_pod_in(path, lambda p: self.tree.get(p) is not None)

    def manifests(self) -> list[tuple[Node, ManifestInfo]]:
        return [
            (n, n.content) for n in self.live(Kind.MANIFEST) if isinstance(n.content, ManifestInfo)
        ]

    def kubeconfigs(self) -> list[tuple[Node, KubeconfigInfo]]:
        return [
            (n, n.content)
            for n in self.live(Kind.KUBECONFIG)
            if isinstance(n.content, KubeconfigInfo)
        ]

    def cert_spec(self, path: str) -> CertSpec | None:
        """kubeadm's certificate at `path`: in pki/, or wherever in the tree the flags put
        certificatesDir (kubespray's ssl/), as the API server's pod mounts it."""
        return cert_spec_at(path, self.cert_folder)

    def left_behind(self, path: str) -> bool:
        """A file of pki/ when certificatesDir moved to another folder of the tree
        (kubespray's ssl/) and no component's flag opens it: history, like a backup."""
        folder = self.cert_folder
        return (bool(folder) and folder != "pki" and path.startswith("pki/")
                and not self.plane.opened_by(path))

    def laid_out(self, path: str) -> str:
        """kubeadm's `pki/...` path as this tree lays it out: under the flags'
        certificatesDir, as the API server's pod mounts it, when that is another folder
        of the tree."""
        folder = self.cert_folder
        if folder and folder != "pki" and path.startswith("pki/"):
            return f"{folder}/{path.removeprefix('pki/')}"
        return path

    @cached_property
    def certs(self) -> tuple[CertAt, ...]:
        """Every certificate: in files (each of a bundle) and embedded in kubeconfigs."""
        found: list[CertAt] = []
        in_files: set[str] = set()
        for node in self.tree.of_kind(Kind.CERTIFICATE):
            if node.path in self.aliased:
                continue
            for i, cert in enumerate(node.content or ()):
                pointer = f"certificate {i + 1}" if i else ""
                spec = self.cert_spec(node.path) if not i else None
                found.append(CertAt(node.path, pointer, cert, spec,
                                    left_behind=self.left_behind(node.path)))
                in_files.add(cert.sha256_fingerprint)
        for node in self.tree.of_kind(Kind.KUBECONFIG):
            info = node.content
            if not isinstance(info, KubeconfigInfo) or node.path in self.aliased:
                continue
            kc_spec = KUBECONFIGS_BY_FILE.get(node.path)
            for user in info.users:
                if user.cert and user.client_cert_source == "data":
                    spec = CERTS_BY_NAME.get(kc_spec.cert) if kc_spec else None
                    found.append(CertAt(node.path, f"user {user.name}", user.cert, spec, True))
            for cluster in info.clusters:
                # A copy of a CA file is that file's business; report only a foreign one.
                for cert in cluster.ca[:1]:
                    if cluster.ca_source == "data" and cert.sha256_fingerprint not in in_files:
                        found.append(
                            CertAt(node.path, f"cluster {cluster.name} CA", cert, None, True)
                        )
        return tuple(found)

    @cached_property
    def authorities(self) -> tuple[CertInfo, ...]:
        """The CA certificates in the tree's files: what a chain may end in. Copies of one
        CA (backups keep many) count once: kubeadm's own file first (pki/ca.crt, never a
        copy that sorts before it), then the live copies, then the backups."""
        unique: dict[str, CertInfo] = {}
        for c in sorted(self.authority_files, key=lambda c: (c.archived, c.spec is None)):
            unique.setdefault(c.cert.sha256_fingerprint, c.cert)
        return tuple(unique.values())

    @cached_property
    def authority_files(self) -> tuple[CertAt, ...]:
        """Where the tree's CAs stand: its CA files, and, in a tree with no pki/ at all,
        the CAs its kubeconfigs embed (they vouch for the client certs beside them)."""
        embedded_count = self.tree.get("pki") is None
        return tuple(
            c
            for c in self.certs
            if (c.cert.is_ca or c.cert.self_issued)
            and (not c.embedded or (embedded_count and c.pointer.endswith(" CA")))
        )

    @cached_property
    def _authorities_by_key_id(self) -> dict[str, list[CertInfo]]:
        index: dict[str, list[CertInfo]] = {}
        for ca in self.authorities:
            if ca.ski:
                index.setdefault(ca.ski, []).append(ca)
        return index

    @cached_property
    def _authorities_by_subject(self) -> dict[str, list[CertInfo]]:
        index: dict[str, list[CertInfo]] = {}
        for ca in self.authorities:
            index.setdefault(ca.subject, []).append(ca)
        return index

    @cached_property
    def _issuers(self) -> dict[str, CertInfo | None]:
        return {}

    def issuer_of(self, cert: CertInfo) -> CertInfo | None:
        """The tree's CA that issued `cert`, looked up by index: years of backups can hold
        thousands of CA copies, and every rule asks."""
        key = cert.sha256_fingerprint  # identical copies share an issuer
        if key not in self._issuers:
            by_id = self._authorities_by_key_id.get(cert.aki, []) if cert.aki else []
            by_name = [
                c
                for c in self._authorities_by_subject.get(cert.issuer, [])
                if all(c is not other for other in by_id)
            ]
            self._issuers[key] = find_issuer(cert, by_id + by_name)
        return self._issuers[key]

    def time_severity(self, at: CertAt, severity: Severity) -> Severity:
        return Severity.INFO if at.archived else severity


_KUBEADM_FILES = frozenset(
    [*CERTS_BY_FILE, *(str(s.key_file) for s in CERTS_BY_FILE.values() if s.key_file),
     SA_KEY, SA_PUB, *KUBECONFIGS_BY_FILE, *STATIC_PODS_BY_FILE]
)


def _reference(source: str, pointer: str, r: Resolved) -> list[FileReference]:
    """The reference a resolved path makes to the tree: a file there, or the place of one
    that is missing; none for what lies outside or is not visible."""
    if r.reach in (Reach.IN_TREE, Reach.MISSING) and r.node:
        return [FileReference(source, pointer, r.node)]
    return []


def denied(error: str) -> bool:
    """Whether a read failed for want of permission (EACCES), not for want of a file."""
    return "permission denied" in error


def is_kubeadm_file(path: str) -> bool:
    """Whether kubeadm writes a file by this name: what its conventions are held against."""
    return path in _KUBEADM_FILES
