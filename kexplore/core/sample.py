"""The tree kexplore opens when it has none: made fresh by the generator, kept in a cache.

A sample shipped in the package would lose its modes (git keeps none), age past its
certificates' end, and be missing wherever only the wheel is installed. So it is made
on the machine, valid from the moment asked for, and made again once that moment
nears its end or a newer kexplore would write it differently.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from kexplore import __version__
from kexplore.core.records import record

# ECDSA P-256 is a key algorithm kubeadm offers (ClusterConfiguration encryptionAlgorithm)
# and makes the whole tree in milliseconds, where RSA-2048 takes most of a second.
SAMPLE_ALGORITHM = "ECDSA-P256"
# Made again this long before its certificates end: well before `check --warn-days`'
# default of 30 days would start warning about them.
RENEW_MARGIN = timedelta(days=60)
STAMP = "stamp.json"


@record
class Lesson:
    """One planted fault of the demo and what finding it teaches an operator to read."""

    fault: str  # NAME:TARGET, as `kexplore generate --fault` takes it
    teaches: str

    @property
    def rule(self) -> str:
        """The rule that reports it: faults are named after their rules."""
        return self.fault.partition(":")[0]


# One line a lesson: a new kind of fault joins the demo by adding its line here.
DEMO_LESSONS: tuple[Lesson, ...] = (
    Lesson("cert-expired:apiserver-etcd-client",
           "an expired certificate: the API server can no longer reach etcd; "
           "kubeadm certs renew fixes it"),
    Lesson("cert-chain:apiserver-kubelet-client",
           "a client certificate signed by the wrong CA: the kubelet refuses the API server "
           "(logs, exec) although every name looks right"),
    Lesson("file-mode:apiserver",
           "a loose key mode: anyone on the node can read the API server's key"),
    Lesson("manifest-leader-elect:kube-scheduler",
           "a customised flag: the diff against kubeadm shows --leader-elect=false, "
           "which lets two schedulers fight"),
)


@record
class Sample:
    """A made tree ready to open, and whether it was made just now."""

    root: Path
    made: bool
    lessons: tuple[Lesson, ...] = ()


def cache_home() -> Path:
    """Where kexplore keeps what it can make again: XDG's cache folder."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "kexplore"


def ensure_sample(now: datetime, *, demo: bool = False, home: Path | None = None) -> Sample:
    """The sample (or the demo, with its faults) valid at `now`, made when it is not."""
    lessons = DEMO_LESSONS if demo else ()
    name = "demo" if demo else "sample"
    folder = _writable(home or cache_home())
    root = folder / name
    wanted = _wanted(lessons)
    if _still_good(folder / f"{name}.{STAMP}", root, wanted, now):
        return Sample(root, made=False, lessons=lessons)
    _make(root, now, lessons)
    _write_stamp(folder / f"{name}.{STAMP}", wanted, now)
    return Sample(root, made=True, lessons=lessons)


def _wanted(lessons: tuple[Lesson, ...]) -> dict[str, object]:
    """What a cached tree must have been made with to be reused."""
    return {"kexplore": __version__, "algorithm": SAMPLE_ALGORITHM,
            "faults": [lesson.fault for lesson in lessons]}


def _still_good(stamp: Path, root: Path, wanted: dict[str, object], now: datetime) -> bool:
    try:
        made = json.loads(stamp.read_text())
        start = datetime.fromisoformat(made["valid_from"])
        end = datetime.fromisoformat(made["valid_until"])
        valid = start <= now <= end - RENEW_MARGIN  # a zone-less stamp cannot compare
        same = all(made.get(key) == value for key, value in wanted.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False  # a stamp we cannot read says nothing: make the tree again
    return same and valid and root.is_dir()


def _make(root: Path, now: datetime, lessons: tuple[Lesson, ...]) -> None:
    """Write a new tree beside the old one, then swap: a second kexplore starting at the
    same time sees the old tree or the new one, never half of one."""
    from kexplore.core.faults import parse_fault
    from kexplore.core.generate import generate_tree
    from kexplore.core.params import ClusterParams, KeyAlgorithm

    params = ClusterParams(key_algorithm=KeyAlgorithm(SAMPLE_ALGORITHM))
    faults = [parse_fault(lesson.fault) for lesson in lessons]
    fresh = Path(tempfile.mkdtemp(prefix=f".{root.name}-new-", dir=root.parent))
    old = root.parent / f".{root.name}-old-{os.getpid()}"
    try:
        fresh.chmod(0o755)  # kubeadm's /etc/kubernetes, not mkdtemp's 0700
        generate_tree(fresh, params, now, faults, force=True)
        if root.exists():
            root.rename(old)
        try:
            fresh.rename(root)
        except OSError:
            if not root.is_dir():
                raise
            # another kexplore put its fresh tree there in between: that one will do
    finally:
        if old.exists() and not root.exists():
            old.rename(root)  # never leave the cache without a tree
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _write_stamp(stamp: Path, wanted: dict[str, object], now: datetime) -> None:
    from kexplore.core.params import ClusterParams

    until = now + ClusterParams().cert_validity
    made = {**wanted, "valid_from": now.isoformat(), "valid_until": until.isoformat()}
    stamp.write_text(json.dumps(made, indent=2) + "\n")


def _writable(preferred: Path) -> Path:
    """The cache folder, or a folder of our own under the temp folder when the cache
    cannot be written (a read-only home, a container without one)."""
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK | os.X_OK):
            return preferred
    except OSError:
        pass
    own = Path(tempfile.gettempdir()) / f"kexplore-{os.getuid()}"
    try:
        own.mkdir(mode=0o700, exist_ok=True)
        facts = own.lstat()
        # a shared /tmp: use the folder only when it is really ours and private
        if not own.is_symlink() and facts.st_uid == os.getuid() and not facts.st_mode & 0o077:
            return own
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="kexplore-"))
