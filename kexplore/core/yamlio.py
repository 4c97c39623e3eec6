"""YAML in and out: one hardened loader for everything the core reads, and the dumper that
writes YAML the way kubeadm serialises it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kexplore.core.pki import DecodeError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[assignment]

# A real manifest or kubeconfig has a few hundred nodes. Aliases are legal YAML, so a
# harmless anchor is allowed, but a "billion laughs" document reuses nodes to expand
# exponentially: counting nodes as a walker would see them catches it before any
# Python object is built or traversed.
MAX_YAML_NODES = 100_000
# kubeadm's deepest document nests about ten levels. libyaml's C parser recurses once a
# level, below Python's recursion limit, and a few kilobytes of "[[[[" crash the whole
# process: anything that might nest deeper than this is parsed by the Python loader,
# whose recursion is bounded.
MAX_FAST_NESTING = 200


def nesting_bound(text: str) -> int:
    """An upper bound of how deep a document can nest, found without parsing it: each
    level needs an opening bracket or at least one more column of indentation."""
    indent = max((len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()),
                 default=0)
    return text.count("[") + text.count("{") + indent


def load_yaml(data: bytes) -> Any:
    """One YAML (or JSON) document, safely; DecodeError with plain words otherwise."""
    if b"\x00" in data[:4096]:
        raise DecodeError("not YAML: the file holds binary data")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DecodeError("not YAML: the file is not valid UTF-8") from None
    fast = nesting_bound(text) <= MAX_FAST_NESTING
    loader = _Loader(text) if fast else yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.composer.ComposerError as exc:  # type: ignore[attr-defined]
            if "single document" in str(exc):
                raise DecodeError("holds more than one YAML document") from None
            raise
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        parsed = _json_fallback(text)
        if parsed is not None:
            return parsed
        raise DecodeError(f"invalid YAML: {_yaml_message(exc)}") from None
    except RecursionError:
        raise DecodeError("invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


@dataclass(frozen=True)
class Located:
    """A document as the kubelet's decoder reads a file, with where each part came from.

    `lines` maps a field path in the kubelet's spelling (spec.containers[0].image, a map's
    key as labels[tier]) to its 1-based line; `duplicate_keys` are paths given twice (the
    later value is kept); `more_documents` counts the documents after the first."""

    doc: Any
    lines: Mapping[str, int] = field(default_factory=dict)
    duplicate_keys: tuple[str, ...] = ()
    more_documents: int = 0


def load_first_document(data: bytes) -> Located:
    """The first YAML (or JSON) document, as go-yaml's Unmarshal reads it: the rest are
    counted, not read. DecodeError with plain words when the first does not parse."""
    if b"\x00" in data[:4096]:
        raise DecodeError("not YAML: the file holds binary data")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DecodeError("not YAML: the file is not valid UTF-8") from None
    fast = nesting_bound(text) <= MAX_FAST_NESTING
    loader = _Loader(text) if fast else yaml.SafeLoader(text)
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is None:
            return Located(None)
        _check_expansion(node)
        doc = loader.construct_document(node)
        lines, duplicates = _locate(node)
        return Located(doc, lines, duplicates, _count_more(loader))
    except yaml.YAMLError as exc:
        parsed = _json_fallback(text)
        if parsed is not None:
            return Located(parsed)
        raise DecodeError(f"invalid YAML: {_yaml_message(exc)}") from None
    except RecursionError:
        raise DecodeError("invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def _count_more(loader: yaml.SafeLoader) -> int:
    """Documents after the first; a broken one counts, since it is never read either."""
    count = 0
    try:
        while loader.check_node():
            loader.get_node()
            count += 1
    except yaml.YAMLError:
        count += 1
    return count


def _locate(root: yaml.Node) -> tuple[dict[str, int], tuple[str, ...]]:
    """Line of every node by field path, and the paths of keys given twice."""
    lines: dict[str, int] = {}
    duplicates: list[str] = []
    stack: list[tuple[yaml.Node, str, int]] = [(root, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                # a map of strings (labels, requests) is keyed in brackets, as Go prints it
                child = f"{path}.{name}" if path and not _is_map(path) else (
                    f"{path}[{name}]" if path else name)
                if child in seen:
                    duplicates.append(child)
                seen.add(child)
                lines[child] = key.start_mark.line + 1
                stack.append((value, child, depth + 1))
    return lines, tuple(sorted(duplicates))


# Fields whose keys are data, not field names (printed name[key] by the API's validation).
_MAP_FIELDS = ("labels", "annotations", "requests", "limits", "nodeSelector", "overhead")


def _is_map(path: str) -> bool:
    return path.rsplit(".", 1)[-1] in _MAP_FIELDS


def _json_fallback(text: str) -> Any:
    # JSON with tab indentation is valid JSON but not valid YAML 1.1
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def _check_expansion(root: yaml.Node) -> None:
    seen = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        seen += 1
        if seen > MAX_YAML_NODES:
            raise DecodeError(
                f"YAML rejected: aliases expand past {MAX_YAML_NODES} nodes (an alias bomb?)"
            )
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in on_path:
            raise DecodeError("YAML rejected: an alias refers to itself (recursive anchor)")
        on_path.add(id(node))
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, False))
                stack.append((value, False))


def dump_yaml(document: dict[str, Any]) -> bytes:
    """kubeadm serialises with sorted keys, block style and no line folding."""
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        width=1 << 16,
        allow_unicode=False,
    ).encode()


# libyaml's emitter where PyYAML was built with it: the same text, many times faster.
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # type: ignore[assignment]
