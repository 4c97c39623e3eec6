"""A flag the component does not know: kubeadm's components parse their command line before
anything else and exit on a name they do not define, so one typo in a manifest is a control
plane that never starts, restarted by the kubelet forever.

The component and its version are the container's own: its binary (as the plane names
components) and its image's tag. The flags each version accepts are data
(kexplore.core.conventions.component_flags); where that data cannot say for the version at
hand, a flag is a warning, never an error, unless it is one slip away from a known flag.
Kubernetes' reference pages leave out the flags pflag hides as deprecated, so a flag no page
lists is an error only as a typo of a listed one; etcd's lists, read from its code, are
whole.
"""

from __future__ import annotations

from collections.abc import Iterator

from kexplore.core.conventions.component_flags import (
    ComponentFlags,
    Release,
    component_flags,
    nearest_flags,
)
from kexplore.core.conventions.versions import etcd_minor
from kexplore.core.manifest import Container, Flag, ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.params import Version
from kexplore.core.plane.pods_problem import PodProblem

ETCD = "etcd"
KUBE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
# pflag's only shorthands in these components: -v (--v) and -h (--help)
SHORTHANDS = {"v": "v", "h": "help"}


def component_version(binary: str, container: Container) -> Release | None:
    """The release the container runs, from its image's tag (v1.31.2, 3.5.15-0)."""
    tag = container.image_tag
    if binary == ETCD:
        return etcd_minor(tag)
    try:
        return Version.parse(tag).minor_tuple
    except ValueError:
        return None


def unknown_flags(path: str, pod: ManifestInfo, at: str, container: Container,
                  binary: str) -> Iterator[PodProblem]:
    if binary not in KUBE_COMPONENTS and binary != ETCD:
        return
    data = component_flags(binary)
    if data is None:
        return
    version = component_version(binary, container)
    if version is not None and version < data.read[0]:
        return  # older than every version read: nothing to say
    items = container.command + container.args
    seen: set[str] = set()
    for flag in container.flags:
        name = _parsed_name(binary, items[flag.index] if flag.index < len(items) else "", flag)
        if not name or name in seen:
            continue
        seen.add(name)
        problem = _verdict(path, pod, at, container, binary, data, version, flag, name)
        if problem is not None:
            yield problem


def _parsed_name(binary: str, item: str, flag: Flag) -> str | None:
    """The name the component looks up, or None where it would not look one up as written."""
    if binary == ETCD:
        return flag.name  # Go's flag package reads -name and --name alike
    if not item.startswith("--"):
        return SHORTHANDS.get(flag.name)  # other shorthand clusters: not judged here
    # Kubernetes' components normalise _ to - (cliflag.WordSepNormalizeFunc)
    return flag.name.replace("_", "-")


def _verdict(path: str, pod: ManifestInfo, at: str, container: Container, binary: str,
             data: ComponentFlags, version: Release | None, flag: Flag, name: str
             ) -> PodProblem | None:
    span = data.span(name)
    if span is not None:
        return _other_versions(path, pod, at, container, binary, data, version, flag, name)
    near = nearest_flags(name, sorted(data.spans))
    sure = version is not None and version in data.complete
    said = _exit_words(binary, name)
    shown = _release_text(version)
    if sure or near:
        guess = f" (did you mean --{near[0]}?)" if near else ""
        return _problem(
            path, pod, at, container, flag, name, Severity.ERROR,
            f"{binary} exits at start: {said}{guess}; the kubelet restarts it again and "
            "again", f"rename --{name} to --{near[0]}" if near else f"remove --{name}",
            # the flag it meant, when the typo took its place: manifest-flag leaves it too
            also=(f"--{near[0]}",) if near and not container.has_flag(near[0]) else ())
    return _problem(
        path, pod, at, container, flag, name, Severity.WARNING,
        f"--{name} is no flag of {binary} {data.read_text()} {_as_read(binary)}; unless "
        f"{binary} {shown} knows it{_hidden(binary)}, it exits at start ({said})",
        f"check --{name} against {binary} {shown} --help")


def _other_versions(path: str, pod: ManifestInfo, at: str, container: Container, binary: str,
                    data: ComponentFlags, version: Release | None, flag: Flag, name: str
                    ) -> PodProblem | None:
    """A flag some version read knows: a problem only where this version does not."""
    if version is None:
        return None
    span = data.spans[name]
    known = data.known_in(name, version)
    # still there in the newest version read: a newer release is presumed to keep it
    if known is True or (known is None and version > span.last == data.read[-1]):
        return None
    have = data.versions_with(name)
    shown = _release_text(version)
    if known is False:
        return _problem(
            path, pod, at, container, flag, name, Severity.ERROR,
            f"{binary} {shown} exits at start: {_exit_words(binary, name)} "
            f"({_who_has(binary, have)}); the kubelet restarts it again and again",
            f"remove --{name}, or run the {binary} release that has it")
    gone = version > span.last
    return _problem(
        path, pod, at, container, flag, name, Severity.WARNING,
        f"--{name} is a flag of {binary} {have} only {_as_read(binary)}"
        + (" (removed since, or deprecated and hidden)" if gone else "")
        + f"; unless {binary} {shown} knows it, it exits at start "
        f"({_exit_words(binary, name)})",
        f"check --{name} against {binary} {shown} --help")


def _who_has(binary: str, have: str) -> str:
    if binary == ETCD:
        return f"only etcd {have} {'defines' if '–' not in have else 'define'} it"
    return f"{binary}'s reference pages list it for {have} only"


def _as_read(binary: str) -> str:
    return "as its code reads" if binary == ETCD else "as its reference pages list them"


def _hidden(binary: str) -> str:
    return "" if binary == ETCD else " (the pages leave out deprecated flags)"


def _exit_words(binary: str, name: str) -> str:
    """What the component prints as it exits."""
    if binary == ETCD:
        return f"flag provided but not defined: -{name}"
    return f"unknown flag: --{name}"


def _release_text(version: Release | None) -> str:
    return ".".join(map(str, version)) if version else "(its image names no version)"


def _problem(path: str, pod: ManifestInfo, at: str, container: Container, flag: Flag,
             name: str, severity: Severity, message: str, fix: str,
             also: tuple[str, ...] = ()) -> PodProblem:
    commands = len(container.command)
    field = (f"{at}.command[{flag.index}]" if flag.index < commands
             else f"{at}.args[{flag.index - commands}]")
    return PodProblem("pod-flag-unknown", severity, path, f"--{name}", message, fix=fix,
                      line=pod.line_of(field), field=field, also=also)
