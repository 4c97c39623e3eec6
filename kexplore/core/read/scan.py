"""Walk a root safely and give every entry one Node: its kind, its decoded content or why not.

Safe by construction: directories are opened relative to their parent's descriptor with
O_NOFOLLOW, so a symlink is never descended; a file is opened only when lstat says it is
regular, with O_NONBLOCK so a FIFO swapped in at the last moment cannot block, and read
only after fstat agrees; every read stops at the cap. Symlinks are resolved by name
(realpath only stats and reads links) and never walked through: a link to a file inside
the root reads as that file's node, and any other link is shown, not followed. Nothing is
ever written.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from kexplore.core import manifest as mf
from kexplore.core import pki
from kexplore.core.kubeconfig import KubeconfigInfo
from kexplore.core.model import Kind, Link, Node, Tree
from kexplore.core.names import printable
from kexplore.core.read import crypto, read_pod, safeio
from kexplore.core.read import read_kubeconfig as kc
from kexplore.core.read.yamlio import load_yaml
from kexplore.core.records import record

DEFAULT_READ_CAP = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 100_000
# Decoding in two processes pays for a fork and a pickle only from this many files on; the
# bytes waiting to be decoded stay under this bound whatever the tree holds.
PARALLEL_FILES = 256
BATCH_BYTES = 64 << 20

_FILE_FLAGS = (
    os.O_RDONLY
    | os.O_NONBLOCK
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def scan(root: Path, *, read_cap: int = DEFAULT_READ_CAP, fork: bool = False) -> Tree:
    """Every entry under `root` as a Node. Raises OSError only when `root` itself cannot
    be opened as a directory.

    With `fork`, a large tree is decoded in two processes: only for a caller that runs
    no other thread (see kexplore.core.read.parallel)."""
    return _Walker(Path(root), read_cap, {}, fork=fork).run()


def rescan(previous: Tree, *, read_cap: int = DEFAULT_READ_CAP) -> Tree:
    """Scan again, re-reading only files whose stamp (size, mtime, inode, mode) changed.

    Kubeconfigs that name other files are always decoded again: the files they name may
    have changed while they did not.
    """
    return _Walker(previous.root, read_cap, previous.nodes).run()


def follow(tree: Tree, node: Node) -> Node | None:
    """The node a symlink resolves to inside the tree, or the node itself for a non-link."""
    if node.kind is not Kind.SYMLINK:
        return node
    if isinstance(node.content, Link) and node.content.resolved:
        return tree.get(node.content.resolved)
    return None


def resolved_path(node: Node) -> str | None:
    """Where a link leads inside the root: the file it reads as, or the folder it names."""
    if node.reads_as:
        return node.reads_as
    return node.content.resolved if isinstance(node.content, Link) else None


def display_path(path: str) -> str:
    """A path fit to print: undecodable bytes as \\xNN, control characters escaped."""
    return printable(path)


# --- classification ----------------------------------------------------------------------

_MANIFEST_TMP_PREFIXES = (
    "kubeadm-backup-manifests-",
    "kubeadm-upgraded-manifests",
    "kubeadm-upgrade-dryrun",
)
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_BY_SUFFIX = {
    ".crt": Kind.CERTIFICATE,
    ".cer": Kind.CERTIFICATE,
    ".cert": Kind.CERTIFICATE,
    ".key": Kind.PRIVATE_KEY,
    ".pub": Kind.PUBLIC_KEY,
    ".csr": Kind.CSR,
    ".kubeconfig": Kind.KUBECONFIG,
}


def expected_kind(path: str) -> Kind | None:
    """The kind a file's place and name promise, or None when only its content can tell."""
    parts = path.split("/")
    name = parts[-1]
    lower = name.lower()
    if len(parts) == 2 and parts[0] == "manifests" and not name.startswith("."):
        # the kubelet runs every non-hidden file in the static pod folder, whatever its name
        return Kind.MANIFEST
    if (
        len(parts) == 3
        and parts[0] == "tmp"
        and parts[1].startswith(_MANIFEST_TMP_PREFIXES)
        and lower.endswith(_YAML_SUFFIXES)
    ):
        return Kind.MANIFEST
    if len(parts) == 1 and lower.endswith(".conf"):
        return Kind.KUBECONFIG
    suffix = os.path.splitext(lower)[1]
    return _BY_SUFFIX.get(suffix)


_Decoder = Callable[[bytes], Any]


def _decoders(source_dir: Path, tree_root: Path, cap: int) -> dict[Kind, _Decoder]:
    return {
        Kind.CERTIFICATE: crypto.decode_certificates,
        Kind.PRIVATE_KEY: crypto.decode_private_key,
        Kind.PUBLIC_KEY: crypto.decode_public_key,
        Kind.CSR: crypto.decode_csr,
        Kind.MANIFEST: read_pod.decode_manifest,
        Kind.KUBECONFIG: lambda data: kc.decode_kubeconfig(
            data, source_dir=source_dir, tree_root=tree_root, read_cap=cap
        ),
    }


def classify(
    path: str, data: bytes, *, source_dir: Path, tree_root: Path, read_cap: int
) -> tuple[Kind, Any, str]:
    """(kind, content, error) for a file's bytes: by its name when the name promises a
    kind, else by what the bytes turn out to be."""
    decoders = _decoders(source_dir, tree_root, read_cap)
    expected = expected_kind(path)
    if not data.strip():
        if expected is not None:
            return expected, None, "empty file"
        return Kind.OTHER, None, ""
    if expected is not None:
        return _decode(expected, decoders[expected], data)
    if pki.looks_like_pem(data):
        labels = pki.pem_labels(data)
        for label_set, kind in (
            (pki.CERT_LABELS, Kind.CERTIFICATE),
            (pki.PRIVATE_KEY_LABELS, Kind.PRIVATE_KEY),
            (pki.PUBLIC_KEY_LABELS, Kind.PUBLIC_KEY),
            (pki.CSR_LABELS, Kind.CSR),
        ):
            if labels & label_set:
                return _decode(kind, decoders[kind], data)
        if labels:
            return Kind.OTHER, None, ""
        return Kind.OTHER, None, "malformed PEM: a BEGIN line that cannot be read"
    if data[:1] == b"\x30":
        for kind in (Kind.CERTIFICATE, Kind.PRIVATE_KEY, Kind.PUBLIC_KEY, Kind.CSR):
            found = _decode(kind, decoders[kind], data)
            if not found[2]:
                return found
        return Kind.OTHER, None, ""
    return _sniff_document(path, data, source_dir, tree_root, read_cap)


def _decode(kind: Kind, decoder: _Decoder, data: bytes) -> tuple[Kind, Any, str]:
    try:
        return kind, decoder(data), ""
    except pki.DecodeError as exc:
        return kind, None, str(exc)
    except (ValueError, TypeError, RecursionError) as exc:
        # a decoder bug or a library surprise must not cost the rest of the tree
        return kind, None, f"could not be decoded: {type(exc).__name__}: {exc}"[:300]


def _sniff_document(
    path: str, data: bytes, source_dir: Path, tree_root: Path, read_cap: int
) -> tuple[Kind, Any, str]:
    yamlish = path.lower().endswith(_YAML_SUFFIXES)
    try:
        doc = load_yaml(data)
    except pki.DecodeError as exc:
        return Kind.OTHER, None, str(exc) if yamlish else ""
    if isinstance(doc, dict) and doc.get("kind") == "Pod":
        return _decode(Kind.MANIFEST, mf.manifest_from_doc, doc)  # type: ignore[arg-type]
    if kc.is_kubeconfig_doc(doc):
        return _decode(
            Kind.KUBECONFIG,
            lambda d: kc.kubeconfig_from_doc(
                d, source_dir=source_dir, tree_root=tree_root, read_cap=read_cap
            ),
            doc,  # type: ignore[arg-type]
        )
    return Kind.OTHER, None, ""


# --- the walk ----------------------------------------------------------------------------


def _why(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "a symlink loop"
    return exc.strerror or str(exc)


@record
class _Read:
    """A file read by the walk and not yet decoded."""

    path: str
    data: bytes = field(repr=False)
    source_dir: Path


class _Walker:
    def __init__(
        self, root: Path, cap: int, previous: Mapping[str, Node], fork: bool = False
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.real_root = os.path.realpath(self.root)
        self.cap = cap
        self.previous = previous
        self.fork = fork
        self.nodes: dict[str, Node] = {}
        self.seen_dirs: set[tuple[int, int]] = set()
        # with `fork`, files are decoded in batches after they are read
        self.unread: list[tuple[_Read, os.stat_result]] = []
        self.unread_bytes = 0

    def run(self) -> Tree:
        # the root is the operator's choice: following it once if it is a link is fine
        fd = os.open(self.real_root, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
        try:
            st = os.fstat(fd)
            if safeio.on_special_place(self.real_root, st):
                raise safeio.NotRegularFile(0, "a folder of /proc, /sys or /dev; not scanned")
            self.seen_dirs.add((st.st_dev, st.st_ino))
            self._entries(fd, "", 0)
        finally:
            os.close(fd)
        self._decode_batch()
        self._read_through_links()
        return Tree(root=self.root, nodes=self.nodes)

    def _read_through_links(self) -> None:
        """A link to a file inside the root reads as that file, its stat included: the
        components open the path and get the target's bytes, so `pki/ca.crt -> ca-2026.crt`
        is the cluster CA and is held to kubeadm's conventions for pki/ca.crt."""
        for path, node in list(self.nodes.items()):
            link = node.content
            if node.kind is not Kind.SYMLINK or node.error or not isinstance(link, Link):
                continue
            target = self.nodes.get(link.resolved or "") if not link.target_is_dir else None
            if target is not None and target.kind not in (Kind.DIRECTORY, Kind.SYMLINK):
                self.nodes[path] = self._read_as(path, node.link_target, target)

    def _read_as(self, path: str, link_target: str, target: Node) -> Node:
        """The link's node: the target's bytes decoded under the link's name and folder (a
        name promises a kind, and a kubeconfig's relative paths start where it is opened),
        with the target's stat, which is what permissions and changes are read from."""
        as_link = replace(target, path=path, link_target=link_target, reads_as=target.path)
        try:
            data = safeio.read_regular_file(
                Path(self.real_root, *target.path.split("/")), self.cap, root=Path(self.real_root)
            )
        except OSError as exc:
            return replace(as_link, content=None, error=f"cannot read: {_why(exc)}")
        kind, content, error = self._classify(_Read(path, data, self._folder_of(path)))
        holds = holds_private_key(kind, data)
        del data  # a key's bytes end here; only its summary is kept
        return replace(as_link, kind=kind, content=content, error=error,
                       holds_private_key=holds)

    def _folder_of(self, path: str) -> Path:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        return Path(self.real_root, *parent.split("/")) if parent else Path(self.real_root)

    def _node(self, path: str, kind: Kind, st: os.stat_result | None, **kw: Any) -> None:
        if st is not None:
            kw.update(
                size=st.st_size,
                mode=stat.S_IMODE(st.st_mode),
                mtime_ns=st.st_mtime_ns,
                inode=st.st_ino,
                uid=st.st_uid,
                gid=st.st_gid,
            )
        self.nodes[path] = Node(path=path, kind=kind, **kw)

    def _entries(self, dfd: int, rel: str, depth: int) -> None:
        for name in sorted(os.listdir(dfd)):
            path = f"{rel}/{name}" if rel else name
            if len(self.nodes) >= MAX_NODES:
                parent = self.nodes.get(rel)
                if parent is not None:
                    self.nodes[rel] = _with_error(parent, f"more than {MAX_NODES} entries; "
                                                  "the scan stopped here")
                return
            try:
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except OSError as exc:
                self._node(path, expected_kind(path) or Kind.OTHER, None,
                           error=f"cannot stat: {_why(exc)}")
                continue
            if stat.S_ISDIR(st.st_mode):
                self._directory(dfd, name, path, st, depth + 1)
            elif stat.S_ISLNK(st.st_mode):
                self._symlink(dfd, name, path, st)
            elif stat.S_ISREG(st.st_mode):
                self._file(dfd, name, path, st)
            else:
                self._node(path, Kind.SPECIAL, st,
                           error=f"{safeio.mode_name(st.st_mode)}, not a regular file; not read")

    def _directory(self, dfd: int, name: str, path: str, st: os.stat_result, depth: int) -> None:
        key = (st.st_dev, st.st_ino)
        if depth > MAX_DEPTH:
            self._node(path, Kind.DIRECTORY, st,
                       error=f"nested more than {MAX_DEPTH} levels deep; not descended")
            return
        if st.st_dev in safeio.special_devices():
            self._node(path, Kind.DIRECTORY, st,
                       error="a mount of /proc, /sys or /dev; not descended")
            return
        if key in self.seen_dirs:
            self._node(path, Kind.DIRECTORY, st,
                       error="this folder was already scanned (a bind mount loop?); not descended")
            return
        self.seen_dirs.add(key)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        except OSError as exc:
            self._node(path, Kind.DIRECTORY, st, error=f"cannot open folder: {_why(exc)}")
            return
        try:
            self._node(path, Kind.DIRECTORY, os.fstat(fd))
            try:
                self._entries(fd, path, depth)
            except OSError as exc:
                self.nodes[path] = _with_error(self.nodes[path],
                                               f"cannot list folder: {_why(exc)}")
        finally:
            os.close(fd)

    def _symlink(self, dfd: int, name: str, path: str, st: os.stat_result) -> None:
        try:
            target = os.readlink(name, dir_fd=dfd)
        except OSError as exc:
            self._node(path, Kind.SYMLINK, st, error=f"cannot read link: {_why(exc)}")
            return
        link = os.path.join(self.real_root, *path.split("/"))
        # realpath only lstats and reads links: it never opens the target
        resolved = os.path.realpath(link)
        inside = resolved == self.real_root or resolved.startswith(self.real_root + os.sep)
        if not inside:
            self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target),
                       error=f"points outside the root, to {resolved}; not followed")
            return
        rel = os.path.relpath(resolved, self.real_root).replace(os.sep, "/")
        try:
            tst = os.lstat(resolved)
        except FileNotFoundError:
            self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target),
                       error="dangling symlink: the target does not exist")
            return
        except OSError as exc:
            self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target),
                       error=f"cannot resolve: {_why(exc)}")
            return
        if stat.S_ISLNK(tst.st_mode):
            self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target),
                       error="a symlink loop; not followed")
            return
        if stat.S_ISDIR(tst.st_mode):
            self._node(path, Kind.SYMLINK, st, link_target=target,
                       content=Link(target, rel if rel != "." else "", True))
            return
        if not stat.S_ISREG(tst.st_mode):
            self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target),
                       error=f"points to {safeio.mode_name(tst.st_mode)}; not followed")
            return
        self._node(path, Kind.SYMLINK, st, link_target=target, content=Link(target, rel))

    def _file(self, dfd: int, name: str, path: str, st: os.stat_result) -> None:
        prev = self.previous.get(path)
        if prev is not None and _reusable(prev, st):
            self.nodes[path] = prev
            return
        fallback = expected_kind(path) or Kind.OTHER
        if st.st_size > self.cap:
            self._node(path, fallback, st,
                       error=f"file is larger than {safeio.human_size(self.cap)}; not read")
            return
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dfd)
        except OSError as exc:
            # O_NOFOLLOW refuses with ELOOP: the file became a symlink after lstat
            why = "changed while scanning: now a symlink" if exc.errno == errno.ELOOP else (
                f"cannot read: {_why(exc)}")
            self._node(path, fallback, st, error=why)
            return
        try:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode):
                self._node(path, Kind.SPECIAL, fst,
                           error="changed while scanning: no longer a regular file; not read")
                return
            data = safeio.read_capped(fd, self.cap)
        except OSError as exc:
            self._node(path, fallback, st, error=str(exc.strerror or exc))
            return
        finally:
            os.close(fd)
        read = _Read(path, data, self._folder_of(path))
        if self.fork:
            self._node(path, fallback, fst)  # holds the walk's order until decoded
            self.unread.append((read, fst))
            self.unread_bytes += len(data)
            if self.unread_bytes > BATCH_BYTES:
                self._decode_batch()
            return
        kind, content, error = self._classify(read)
        holds = holds_private_key(kind, data)
        del data, read  # a key's bytes end here; only its summary is kept
        self._node(path, kind, fst, content=content, error=error, holds_private_key=holds)

    def _classify(self, read: _Read) -> tuple[Kind, Any, str]:
        return classify(
            read.path, read.data, source_dir=read.source_dir, tree_root=self.root,
            read_cap=self.cap,
        )

    def _decode_batch(self) -> None:
        """Decode the files read so far, in two processes when they are many."""
        batch, self.unread, self.unread_bytes = self.unread, [], 0
        reads = [read for read, _ in batch]
        if len(reads) >= PARALLEL_FILES:
            from kexplore.core.read.parallel import map_in_two  # pickle, for big trees only

            results = map_in_two(self._classify, reads)
        else:
            results = [self._classify(read) for read in reads]
        for (read, st), (kind, content, error) in zip(batch, results, strict=True):
            self._node(read.path, kind, st, content=content, error=error,
                       holds_private_key=holds_private_key(kind, read.data))
        # the batch's bytes, keys' included, end with it


def holds_private_key(kind: Kind, data: bytes) -> bool:
    """Whether a file's bytes carry a private key: a key file, or a PEM key block anywhere
    (after a certificate, in a backup, under any name). A kubeconfig's embedded key is
    base64 and is read from its content instead."""
    return kind is Kind.PRIVATE_KEY or b"PRIVATE KEY-----" in data


def _reusable(prev: Node, st: os.stat_result) -> bool:
    if prev.kind in (Kind.DIRECTORY, Kind.SYMLINK, Kind.SPECIAL) or prev.reads_as:
        return False  # what a link leads to is decided again on every scan
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino, stat.S_IMODE(st.st_mode))
    if prev.stamp != stamp:
        return False
    content = prev.content
    return not (
        isinstance(content, KubeconfigInfo)
        and (content.references or content.outside_references)
    )


def _with_error(node: Node, error: str) -> Node:
    return replace(node, error=error)
