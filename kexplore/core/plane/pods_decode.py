"""The kubelet's decoder: YAML through JSON into the Pod type, not strict.

A field the Pod type does not have, or spelt in another case, is dropped without a word
(apimachinery's non-strict JSON decoding); a value of the wrong type, an apiVersion or kind
other than v1 Pod, or a quantity that does not parse refuses the whole file
("couldn't parse as pod(...)"), which also stops the pod running from it now.
"""

from __future__ import annotations

import re
from typing import Any

from kexplore.core.manifest import ManifestInfo
from kexplore.core.model import Severity
from kexplore.core.plane.pod_schema import ENUM, REQUIRED, TYPE, UNKNOWN, SchemaError, schema_errors
from kexplore.core.plane.pods_problem import PodProblem

# apimachinery's resource.Quantity grammar (pkg/api/resource/quantity.go): a signed decimal,
# then a binary (Ki..Ei), decimal (n u m k M G T P E) or exponent (e3, E-2) suffix.
QUANTITY = re.compile(
    r"[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?"
)
REFUSED = (
    "the kubelet refuses the whole file (couldn't parse as pod) and stops the pod running from it"
)

# What the pod loses when the decoder drops a field it does not know, by the field's
# intended name: the consequences worth more than "ignored".
_CONSEQUENCE = {
    "readOnly": "the mount is read-write",
    "hostNetwork": "the pod runs on the pod network, which a control plane without a CNI "
    "does not have",
    "command": "the image's default command runs instead",
    "args": "the container runs without these arguments",
    "volumeMounts": "nothing is mounted into the container",
    "volumes": "the pod has no volumes, and every mount of them is refused",
    "livenessProbe": "the container is never restarted when it hangs",
    "readinessProbe": "the pod is Ready whether or not it serves",
    "startupProbe": "the liveness probe starts at once, without the start-up grace",
    "securityContext": "the container runs without these security settings",
    "priorityClassName": "the pod loses its priority and can be evicted first",
    "resources": "the container has no requests or limits",
    "image": "the container has no image and is refused",
    "env": "the container runs without these variables",
}
_VOLUME_SOURCES = ("hostPath", "emptyDir", "configMap", "secret", "projected", "downwardAPI")


def decode_problems(path: str, pod: ManifestInfo, minor: int) -> list[PodProblem]:
    """What the decoder does with the file: drops, refusals, and what it never reads."""
    doc = pod.raw
    out: list[PodProblem] = []
    if not pod.api_version:
        out.append(_refused(path, pod, "apiVersion", "Object 'apiVersion' is missing",
                            "add apiVersion: v1"))
    for error in schema_errors(doc, minor):
        out.append(_from_schema(path, pod, error, doc))
    out += _quantities(path, pod)
    for key in pod.duplicate_keys:
        out.append(PodProblem(
            "pod-duplicate-key", Severity.WARNING, path, key,
            f"{key} is given twice; the kubelet keeps the later value and ignores the first",
            fix="keep one of the two", line=pod.line_of(key), field=key,
        ))
    if pod.more_documents:
        out.append(PodProblem(
            "pod-extra-document", Severity.WARNING, path, "",
            f"the file holds {pod.more_documents} more YAML document"
            f"{'s' if pod.more_documents > 1 else ''} after the first: the kubelet reads "
            "only the first and ignores the rest",
            fix="put each pod in a file of its own",
        ))
    return out


def _refused(path: str, pod: ManifestInfo, pointer: str, why: str, fix: str) -> PodProblem:
    return PodProblem(
        "pod-decode-error", Severity.ERROR, path, pointer, f"{pointer}: {why}: {REFUSED}",
        fix=fix, line=pod.line_of(pointer), field=pointer,
    )


def _from_schema(path: str, pod: ManifestInfo, error: SchemaError, doc: Any) -> PodProblem:
    line = pod.line_of(error.path)
    if error.kind == UNKNOWN:
        parent, _, name = error.path.rpartition(".")
        meant = _meant(name, error.known)
        # a volume left with no source is an empty folder: what the pod reads there is gone
        emptied = bool(re.fullmatch(r"spec\.volumes\[\d+\]", parent)) and _no_source(doc, parent)
        return PodProblem(
            "pod-dropped-field", Severity.ERROR if emptied else Severity.WARNING, path,
            error.path,
            f"{error.path} is not a field of the Pod (for this kubelet's version): the kubelet "
            f"drops it without a word, so {_consequence(meant, parent, doc)}"
            + (f"; did you mean {meant!r}?" if meant and meant != name else ""),
            fix=f"spell it {meant}" if meant and meant != name else f"remove {name}",
            line=line, field=error.path,
            meant=f"{parent}.{meant}" if meant and meant != name and parent else "",
        )
    if error.kind == TYPE:
        wanted = error.detail.removeprefix("expected ").split(", got ")[0]
        fix = (f"write {error.path} as {wanted}" if error.detail.startswith("expected ")
               else f"write {error.path} as a number or a string")
        if wanted == "a list":
            fix += " (one item a line, each starting with '- ')"
        return _refused(path, pod, error.path, error.detail, fix)
    if error.kind == ENUM:
        shown = error.detail.split(" is not one of ", 1)[-1]
        return _refused(path, pod, error.path, error.detail, f"set {error.path} to {shown}")
    assert error.kind == REQUIRED
    return PodProblem(
        "pod-invalid", Severity.ERROR, path, error.path,
        f"{error.path}: Required value: the kubelet refuses the pod",
        fix=f"set {error.path}", line=line, field=error.path,
    )


def _meant(name: str, known: tuple[str, ...]) -> str:
    """The field a dropped name most likely meant: the same in another case, or a close
    spelling."""
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    import difflib  # only ever needed for a misspelt field

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return close[0] if close else ""


def _consequence(meant: str, parent: str, doc: Any) -> str:
    if re.fullmatch(r"spec\.volumes\[\d+\]", parent) and _no_source(doc, parent):
        return "the volume has no source and becomes an empty emptyDir: the container sees " \
            "an empty folder where the host's files should be"
    return _CONSEQUENCE.get(meant, "the pod runs as if it were not there")


def _no_source(doc: Any, parent: str) -> bool:
    index = int(parent[parent.index("[") + 1 : -1])
    volumes = (doc.get("spec") or {}).get("volumes") or []
    volume = volumes[index] if index < len(volumes) else {}
    return isinstance(volume, dict) and not any(k in volume for k in _VOLUME_SOURCES)


def _quantities(path: str, pod: ManifestInfo) -> list[PodProblem]:
    """A quantity is parsed while decoding: one that does not parse refuses the file."""
    out = []
    for where, value in _quantity_values(pod.raw):
        if isinstance(value, str) and not QUANTITY.fullmatch(value):
            out.append(_refused(
                path, pod, where,
                f"quantities must match the regular expression "
                f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got {value!r})",
                "write a quantity such as 250m, 0.5 or 128Mi, without spaces",
            ))
    return out


def _quantity_values(doc: Any) -> list[tuple[str, Any]]:
    spec = doc.get("spec") if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        return []
    found: list[tuple[str, Any]] = []
    for group in ("initContainers", "containers"):
        containers = spec.get(group)
        for i, c in enumerate(containers if isinstance(containers, list) else []):
            resources = c.get("resources") if isinstance(c, dict) else None
            for kind in ("requests", "limits"):
                values = resources.get(kind) if isinstance(resources, dict) else None
                for name, value in (values or {}).items() if isinstance(values, dict) else ():
                    found.append((f"spec.{group}[{i}].resources.{kind}[{name}]", value))
    return found
