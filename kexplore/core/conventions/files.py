"""The modes kubeadm gives what it writes (reference §5): secrets 0600, public certs 0644."""

from __future__ import annotations

import fnmatch

from kexplore.core.records import record


@record
class ModeRule:
    """The mode kubeadm gives the files a pattern matches, and why it matters."""

    pattern: str  # fnmatch pattern on the path relative to the root
    mode: int  # what kubeadm writes; anything stricter is fine too
    why: str
    # the why for a file of this name that holds no secret (its content says so): the
    # mode kubeadm gives it guards a key this one lacks
    why_without_secret: str = ""


SECRET = "anyone who can read it can act as this identity or decrypt its traffic"
MODE_RULES: tuple[ModeRule, ...] = (
    ModeRule("pki/*.key", 0o600, SECRET),
    ModeRule("pki/etcd/*.key", 0o600, SECRET),
    ModeRule("pki/sa.pub", 0o600, "kubeadm writes the service-account public key 0600"),
    ModeRule("pki/*.crt", 0o644, "certificates are public, but only root should replace them"),
    ModeRule("pki/etcd/*.crt", 0o644, "certificates are public, but only root should replace them"),
    ModeRule("*.conf", 0o600, "a kubeconfig holds a client key: " + SECRET,
             "that guards a kubeconfig's client key, but this file holds no key or "
             "credential: no secret is exposed"),
    *(ModeRule(
        f"manifests/*.{suffix}",
        0o600,
        "static pod manifests name every key and flag of the "
        "control plane; only root should read or change them",
    ) for suffix in ("yaml", "json", "yml")),  # the kubelet reads all three alike
)
DIRECTORY_MODES: dict[str, int] = {"pki": 0o755, "pki/etcd": 0o755, "manifests": 0o700}
# The kubelet package usually creates manifests/ 0755 before kubeadm runs; both are normal.
ACCEPTED_DIRECTORY_MODES: dict[str, tuple[int, ...]] = {"manifests": (0o700, 0o755)}


def expected_mode(path: str) -> ModeRule | None:
    """The mode rule for a file kubeadm writes at `path`, if any."""
    if "/" in path and path.endswith(".conf"):
        return None
    for rule in MODE_RULES:
        if fnmatch.fnmatchcase(path, rule.pattern) and path.count("/") == rule.pattern.count("/"):
            return rule
    return None


def is_looser(actual: int, expected: int) -> bool:
    """True when `actual` grants any permission bit that `expected` does not."""
    return bool(actual & 0o777 & ~expected)
