"""The node beyond /etc/kubernetes: where its files are, and reading them read-only.

Node files are read only when asked for: the root is this machine's own /etc/kubernetes,
or the user named a copied node's `/` (`--node-root`), its kubelet folder
(`--kubelet-dir`) or kubeconfig copies (`--kubeconfig`). Each is read as scan reads a tree:
regular files only, capped, never written, a key summarised and dropped. A symlink is
resolved as the node would resolve it (an absolute target inside the node root), and
never out of the place it was found in.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from pathlib import Path

from kexplore.core.conventions.node import (
    COPY_ROLE,
    KUBEADM_FLAGS,
    KUBELET_CONFIG,
    KUBELET_DIR,
    KUBELET_ROTATED_CERT,
    ROOT_KUBECONFIG,
    Role,
    kubelet_serving_pair,
    role_of,
)
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.kubelet_config import KubeletConfig
from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Kind, Node, Tree, is_archived
from kexplore.core.paths import KUBERNETES_DIR, tree_path
from kexplore.core.pki import CertInfo, DecodeError, KeyInfo, looks_like_pem
from kexplore.core.read import safeio
from kexplore.core.records import record

THIS_MACHINE_ROOT = Path(KUBERNETES_DIR)
MAX_LINK_HOPS = 8
MAX_HOMES = 64
# Flags whose value is a folder or file the component owns and writes (its data, its
# logs), not one the tree refers to: a fresh node has no audit.log until the API server
# writes it.
FOLDER_FLAGS = frozenset({"data-dir", "wal-dir", "cert-dir", "flex-volume-plugin-dir",
                          "audit-log-path", "log-file", "log-dir"})
# A file the tree names is opened only when its name says it is one kexplore decodes, and
# never in the kernel's folders: a tree that names /etc/shadow or /proc/self/environ gets
# them looked at (there or not), never read.
DECODED_SUFFIXES = (".crt", ".cer", ".cert", ".pem", ".key", ".pub", ".csr", ".conf",
                    ".kubeconfig", ".yaml", ".yml", ".json")
SYSTEM_FOLDERS = ("/proc/", "/sys/", "/dev/", "/run/")


@record
class NodeSources:
    """Where the node's files are on this machine, as the user asked for them.

    `node_root` is the node's `/` ("/" for this machine); `kubelet_dir` stands for its
    /var/lib/kubelet; `kubeconfigs` are copies named by hand. `home` and `env_kubeconfig`
    are the invoking user's, passed in so that tests never read this machine's own."""

    node_root: Path | None = None
    kubelet_dir: Path | None = None
    kubeconfigs: tuple[Path, ...] = ()
    this_machine: bool = False
    home: Path | None = None
    env_kubeconfig: str = ""

    @property
    def where(self) -> str:
        if self.this_machine:
            return "this machine"
        if self.node_root is not None:
            return f"the node root {self.node_root}"
        return "the files named on the command line"


def is_this_machine(root: Path) -> bool:
    """Whether `root` is this machine's own /etc/kubernetes, links resolved."""
    return os.path.realpath(root) == str(THIS_MACHINE_ROOT)


def sources_for(
    root: Path,
    *,
    node_root: Path | None = None,
    kubelet_dir: Path | None = None,
    kubeconfigs: Sequence[Path] = (),
    off: bool = False,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> NodeSources | None:
    """What to read beside `root`, or None: off, or a copy nobody said where its node is."""
    if off:
        return None
    env = os.environ if environ is None else environ
    if is_this_machine(root) and node_root is None:
        return NodeSources(
            Path("/"), kubelet_dir, tuple(kubeconfigs), True,
            home if home is not None else invoking_home(env), env.get("KUBECONFIG", ""),
        )
    if node_root is None and kubelet_dir is None and not kubeconfigs:
        return None
    return NodeSources(node_root, kubelet_dir, tuple(kubeconfigs))


def invoking_home(env: Mapping[str, str]) -> Path | None:
    """The home of the user who ran kexplore, through sudo too: their ~/.kube/config is
    the copy they use."""
    import pwd

    user = env.get("SUDO_USER")
    try:
        if user:
            return Path(pwd.getpwnam(user).pw_dir)
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (KeyError, OSError):
        return None


@record
class OutsideFile:
    """One file the node keeps outside the tree. `path` is where the node keeps it
    ("/var/lib/kubelet/config.yaml"); `source` where it was read on this machine.
    `node` holds its stat, kind, decoded content or the error; `missing` says it is not
    there at all. A symlink reads as its target: `node.link_target` is the link's text,
    `node.reads_as` the node path it led to."""

    path: str
    source: str
    role: Role
    node: Node
    missing: bool = False
    copy: bool = False  # a kubeconfig copy for kubectl (~/.kube/config and the like)
    key: KeyInfo | None = field(default=None, compare=False)

    @property
    def certs(self) -> tuple[CertInfo, ...]:
        content = self.node.content
        return content if self.node.kind is Kind.CERTIFICATE and content else ()


@record
class Reference:
    """A file a kubeconfig or manifest in the tree names outside the tree."""

    source: str  # the tree file that names it
    pointer: str  # where in that file: "user x", "cluster y", "flag --z"
    path: str  # as written


@record
class NodeFiles:
    """Every node file read beside one tree, carried next to it."""

    sources: NodeSources
    files: Mapping[str, OutsideFile]
    references: tuple[Reference, ...] = ()
    kubelet: KubeletConfig | None = None
    # the kubelet's flags from kubeadm-flags.env (name without dashes -> value); None
    # when that file was not read
    kubelet_flags: Mapping[str, str] | None = None

    @property
    def this_machine(self) -> bool:
        return self.sources.this_machine

    def get(self, path: str) -> OutsideFile | None:
        return self.files.get(path)

    def present(self, path: str) -> OutsideFile | None:
        found = self.files.get(path)
        return found if found is not None and not found.missing else None

    def copies(self) -> list[OutsideFile]:
        """The kubeconfig copies read: ~/.kube/config and the like."""
        return [f for f in self.files.values() if f.copy]

    def locatable(self, path: str) -> bool:
        """Whether a node path can be looked for at all from here."""
        return _local(self.sources, path) is not None

    def folders(self) -> frozenset[Path]:
        """The folders on this machine that hold the node files read or asked for: what a
        live watcher follows. A file is watched through its folder (a rotation writes a
        new dated file and swaps a symlink; an editor saves by rename), and a link's
        target through its own; a copy whose folder is missing (no ~/.kube yet) through
        the folder above. Never a folder that leads out of where its file was looked
        for, nor /proc, /sys, /dev or /run."""
        found: set[Path] = set()
        for file in self.files.values():
            for path in dict.fromkeys((file.path, file.node.reads_as)):
                located = _local(self.sources, path) if path else None
                if located is not None:
                    found |= holding_folder(located[0], located[1], climb=file.copy)
        return frozenset(found)


def in_tree(path: str) -> str | None:
    """The root-relative path of a file under /etc/kubernetes, else None (the root
    itself is no file)."""
    return tree_path(path) or None


# --- reading -----------------------------------------------------------------------------


def read_node_files(
    tree: Tree, sources: NodeSources, *, read_cap: int = safeio.READ_CAP
) -> NodeFiles:
    """Read what the node keeps beside `tree`, read-only."""
    reader = _Reader(tree, sources, read_cap)
    config = reader.read(KUBELET_CONFIG)
    kubelet = config.node.content if isinstance(config.node.content, KubeletConfig) else None
    flags = reader.read(KUBEADM_FLAGS)
    kubelet_flags = flags.node.content if isinstance(flags.node.content, dict) else None
    for path in _kubelet_paths(tree, kubelet):
        reader.read(path)
    for path in _copy_paths(sources):
        reader.read(path, copy=True)
    references = tuple(outside_references(tree, kubelet))
    for ref in references:
        if ref.path not in reader.files and _local(sources, ref.path) is not None:
            reader.read(ref.path, look_only=not _decodable(ref.path))
    return NodeFiles(sources, dict(reader.files), references, kubelet, kubelet_flags)


def _decodable(path: str) -> bool:
    return path.lower().endswith(DECODED_SUFFIXES) and not path.startswith(SYSTEM_FOLDERS)


def _kubelet_paths(tree: Tree, kubelet: KubeletConfig | None) -> list[str]:
    """The kubelet's certificates: the client cert kubelet.conf names (else the default
    one, to tell whether it exists), and the serving pair config.yaml names (else the
    self-signed pair or the bootstrapped one)."""
    paths = [KUBELET_ROTATED_CERT]
    conf = tree.get("kubelet.conf")
    if conf is not None and isinstance(conf.content, KubeconfigInfo):
        for user in conf.content.users:
            for named in (user.client_cert_path, user.client_key_path):
                if named.startswith("/") and in_tree(named) is None:
                    paths.append(posixpath.normpath(named))
    serving = kubelet_serving_pair(kubelet)
    paths += [serving.cert, serving.key]
    return [p for p in dict.fromkeys(paths) if p and in_tree(p) is None]


def _copy_paths(sources: NodeSources) -> list[str]:
    paths: list[str] = []
    if sources.this_machine:
        if sources.home is not None:
            paths.append(f"{sources.home.as_posix().rstrip('/')}/.kube/config")
        paths.append(ROOT_KUBECONFIG)
        paths += [p for p in sources.env_kubeconfig.split(os.pathsep) if p.startswith("/")]
    elif sources.node_root is not None:
        paths.append(ROOT_KUBECONFIG)
        paths += _homes(sources.node_root)
    paths += [os.path.abspath(p) for p in sources.kubeconfigs]
    return list(dict.fromkeys(posixpath.normpath(p) for p in paths))


def _homes(node_root: Path) -> list[str]:
    """`/home/<user>/.kube/config` for each user folder of a copied node."""
    try:
        names = sorted(os.listdir(node_root / "home"))[:MAX_HOMES]
    except OSError:
        return []
    return [f"/home/{name}/.kube/config" for name in names]


def outside_references(tree: Tree, kubelet: KubeletConfig | None = None) -> list[Reference]:
    """Every file a live kubeconfig or manifest of the tree names outside it, each once
    per naming place; the kubelet's own config.yaml's references too."""
    found: list[Reference] = []
    for node in tree:
        if is_archived(node.path) or node.reads_as:
            continue
        info = node.content
        if node.kind is Kind.KUBECONFIG and isinstance(info, KubeconfigInfo):
            for user in info.users:
                for path in dict.fromkeys((user.client_cert_path, user.client_key_path)):
                    found += _ref(node.path, f"user {user.name}", path)
            for cluster in info.clusters:
                found += _ref(node.path, f"cluster {cluster.name}", cluster.ca_path)
        elif node.kind is Kind.MANIFEST and isinstance(info, ManifestInfo):
            for flag in info.file_paths():
                if flag.flag not in FOLDER_FLAGS:
                    found += _ref(node.path, f"flag --{flag.flag}", flag.path)
    if kubelet is not None:
        for pointer, path in (("clientCAFile", kubelet.client_ca_file),
                              ("tlsCertFile", kubelet.tls_cert_file),
                              ("tlsPrivateKeyFile", kubelet.tls_private_key_file)):
            found += _ref(KUBELET_CONFIG, pointer, path)
    return list(dict.fromkeys(found))


def _ref(source: str, pointer: str, path: str) -> list[Reference]:
    if not path.startswith("/") or in_tree(path) is not None:
        return []
    return [Reference(source, pointer, posixpath.normpath(path))]


def _local(sources: NodeSources, path: str) -> tuple[Path, Path] | None:
    """Where a node path is on this machine, and the folder its links must stay in."""
    norm = posixpath.normpath(path)
    if any(norm == str(p) for p in map(os.path.abspath, sources.kubeconfigs)):
        return Path(norm), Path(norm).parent  # named by hand: read where it is
    if sources.kubelet_dir is not None and (
        norm == KUBELET_DIR or norm.startswith(KUBELET_DIR + "/")
    ):
        rest = norm[len(KUBELET_DIR) :].lstrip("/")
        base = Path(os.path.abspath(sources.kubelet_dir))
        return (base / rest if rest else base), base
    if sources.node_root is not None:
        base = Path(os.path.abspath(sources.node_root))
        return base / norm.lstrip("/"), base
    return None


class _Reader:
    def __init__(self, tree: Tree, sources: NodeSources, cap: int) -> None:
        self.tree = tree
        self.sources = sources
        self.cap = cap
        self.files: dict[str, OutsideFile] = {}

    def read(self, path: str, copy: bool = False, look_only: bool = False) -> OutsideFile:
        if path in self.files:
            return self.files[path]
        role = COPY_ROLE if copy else role_of(path)
        found = self._read(path, role, look_only)
        self.files[path] = replace(found, copy=copy)
        return self.files[path]

    def _read(self, path: str, role: Role, look_only: bool) -> OutsideFile:
        """The file at a node path; with `look_only`, its stat and never its bytes."""
        located = _local(self.sources, path)
        if located is None:
            node = Node(path=path, kind=Kind.OTHER, error="not looked for: no folder given for it")
            return OutsideFile(path, "", role, node, missing=True)
        local, base = located
        try:
            st = os.lstat(local)
        except FileNotFoundError:
            return OutsideFile(path, str(local), role, _missing(path), missing=True)
        except OSError as exc:
            return OutsideFile(path, str(local), role, _failed(path, exc))
        if stat.S_ISLNK(st.st_mode):
            return self._through_link(path, local, base, role, look_only)
        return self._regular(path, path, local, base, role, st, look_only)

    def _through_link(
        self, path: str, local: Path, base: Path, role: Role, look_only: bool
    ) -> OutsideFile:
        """Follow a link in the node's own terms: an absolute target is inside the node root."""
        link_text = ""
        current, here = path, local
        for _ in range(MAX_LINK_HOPS):
            try:
                st = os.lstat(here)
            except FileNotFoundError:
                node = Node(path=path, kind=Kind.SYMLINK, link_target=link_text,
                            reads_as=current,
                            error=f"dangling symlink: {current} does not exist")
                return OutsideFile(path, str(local), role, node)
            except OSError as exc:
                return OutsideFile(path, str(local), role, _failed(path, exc))
            if not stat.S_ISLNK(st.st_mode):
                found = self._regular(path, current, here, base, role, st, look_only)
                return replace(found, node=replace(found.node, link_target=link_text,
                                                   reads_as=current))
            text = os.readlink(here)
            link_text = link_text or text
            current = posixpath.normpath(
                text if text.startswith("/") else posixpath.join(posixpath.dirname(current), text)
            )
            located = _local(self.sources, current)
            if located is None or not _within(located[0], base):
                node = Node(path=path, kind=Kind.SYMLINK, link_target=link_text,
                            error=f"leads outside {base}, through {current}; not followed")
                return OutsideFile(path, str(local), role, node)
            here = located[0]
        node = Node(path=path, kind=Kind.SYMLINK, link_target=link_text,
                    error="a symlink loop; not followed")
        return OutsideFile(path, str(local), role, node)

    def _regular(
        self,
        path: str,
        target: str,
        local: Path,
        base: Path,
        role: Role,
        st: os.stat_result,
        look_only: bool,
    ) -> OutsideFile:
        if not stat.S_ISREG(st.st_mode):
            why = f"{safeio.mode_name(st.st_mode)}, not a regular file; not read"
            return OutsideFile(path, str(local), role, _stat_node(path, st, Kind.SPECIAL, why))
        if not _within(local, base):
            node = _stat_node(path, st, Kind.OTHER, f"leads outside {base}; not followed")
            return OutsideFile(path, str(local), role, node)
        if look_only:
            return OutsideFile(path, str(local), role, _stat_node(path, st, Kind.OTHER, ""))
        try:
            data = safeio.read_regular_file(local, self.cap, root=base)
        except OSError as exc:
            node = _stat_node(path, st, Kind.OTHER, _failed(path, exc).error)
            return OutsideFile(path, str(local), role, node)
        kind, content, error = self._decode(target, role, local, data)
        key = _key_beside(data) if kind is Kind.CERTIFICATE else None
        del data  # a key's bytes end here; only its summary is kept
        node = replace(_stat_node(path, st, kind, error), content=content)
        return OutsideFile(path, str(local), role, node, key=key)

    def _decode(
        self, target: str, role: Role, local: Path, data: bytes
    ) -> tuple[Kind, object, str]:
        """By what the file is for: the kubelet's config, a kubeconfig, else as scan
        would decode it by name and content."""
        from kexplore.core.read import read_pod
        from kexplore.core.read.read_kubeconfig import decode_kubeconfig
        from kexplore.core.read.scan import classify, expected_kind

        if target == KUBEADM_FLAGS:
            return Kind.OTHER, kubelet_flags(data), ""
        try:
            if target == KUBELET_CONFIG:
                return Kind.OTHER, read_pod.decode_kubelet_config(data), ""
            if role is COPY_ROLE or target.endswith(".conf"):
                # no tree root: a copy's own references are not read, on no machine
                return Kind.KUBECONFIG, decode_kubeconfig(data), ""
        except DecodeError as exc:
            return (Kind.KUBECONFIG if role is COPY_ROLE else Kind.OTHER), None, str(exc)
        name = target.lstrip("/")
        if expected_kind(name) is None and not looks_like_pem(data) and data[:1] != b"\x30":
            return _document(data)
        # certificates and keys only from here: nothing left that names other files
        return classify(name, data, source_dir=local.parent, tree_root=self.tree.root,
                        read_cap=self.cap)


def kubelet_flags(data: bytes) -> dict[str, str]:
    """The flags of kubeadm-flags.env's KUBELET_KUBEADM_ARGS="--a=b --c=d", as the systemd
    unit hands them to the kubelet (a flag given twice: the last counts)."""
    import shlex

    flags: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        name, sep, value = line.strip().partition("=")
        if not sep or name != "KUBELET_KUBEADM_ARGS":
            continue
        try:
            words = shlex.split(value)
        except ValueError:
            words = value.strip("\"'").split()
        for word in (w for text in words for w in text.split()):
            if word.startswith("--"):
                key, _, val = word[2:].partition("=")
                flags[key] = val
    return flags


def _document(data: bytes) -> tuple[Kind, object, str]:
    """A YAML file the tree names: a kubeconfig (its own references not read), else other."""
    from kexplore.core.read import read_kubeconfig as kc
    from kexplore.core.read.yamlio import load_yaml

    try:
        doc = load_yaml(data)
        if kc.is_kubeconfig_doc(doc):
            return Kind.KUBECONFIG, kc.kubeconfig_from_doc(doc), ""
    except DecodeError as exc:
        return Kind.OTHER, None, str(exc)
    return Kind.OTHER, None, ""


def _key_beside(data: bytes) -> KeyInfo | None:
    """The key a PEM holds beside its certificate (the kubelet's rotated pair): its
    summary only, to tell whether it matches."""
    from kexplore.core.read.crypto import decode_private_key

    if b"PRIVATE KEY-----" not in data:
        return None
    try:
        return decode_private_key(data)
    except DecodeError:
        return None


def holding_folder(local: Path, base: Path, *, climb: bool) -> set[Path]:
    """The folder holding `local`, if it is a real folder inside `base`; with `climb`,
    the one above when it is missing."""
    for folder in (local.parent, local.parent.parent)[: 2 if climb else 1]:
        try:
            st = os.stat(folder)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or not _within(folder, base):
            return set()
        if safeio.on_special_place(os.path.realpath(folder), st) or (
                os.path.realpath(folder) + "/").startswith(SYSTEM_FOLDERS):
            return set()
        return {folder}
    return set()


def _within(path: Path, base: Path) -> bool:
    real, real_base = os.path.realpath(path), os.path.realpath(base)
    return real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)


def _stat_node(path: str, st: os.stat_result, kind: Kind, error: str) -> Node:
    return Node(path=path, kind=kind, size=st.st_size, mode=stat.S_IMODE(st.st_mode),
                mtime_ns=st.st_mtime_ns, inode=st.st_ino, uid=st.st_uid, gid=st.st_gid,
                error=error)


def _missing(path: str) -> Node:
    return Node(path=path, kind=Kind.OTHER, error="not there")


def _failed(path: str, exc: OSError) -> Node:
    why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
    return Node(path=path, kind=Kind.OTHER, error=f"cannot read: {why}")
