"""YAML in and out: one hardened loader for everything the core reads, and the dumper that
writes YAML the way kubeadm serialises it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import yaml

from kexplore.core.pki import DecodeError
from kexplore.core.records import record
from kexplore.core.secrets import redact_message

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[assignment]

# Aliases are legal YAML, so a harmless anchor is allowed, but a "billion laughs" document
# reuses nodes to expand exponentially: counting nodes as a walker would see them catches
# it before any Python object is built or traversed. The bound is on what aliases add to
# the document, not on its size: a 1 MB kubeconfig of 20,000 clusters is legitimate.
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


def _yaml_text(data: bytes) -> str:
    """The file's text, or DecodeError saying plainly why it cannot be YAML."""
    if b"\x00" in data[:4096]:
        raise DecodeError("not YAML: the file holds binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DecodeError("not YAML: the file is not valid UTF-8") from None


def load_yaml(data: bytes) -> Any:
    """One YAML (or JSON) document, safely; DecodeError with plain words otherwise."""
    text = _yaml_text(data)
    fast = nesting_bound(text) <= MAX_FAST_NESTING
    if fast:
        simple = _load_plain(text)
        if simple is not _NOT_PLAIN:
            return simple
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


# --- the plain document, built straight from the parser's events --------------------------
#
# Composing nodes costs PyYAML a Python call per scalar (the implicit resolver) and a node
# object each, and constructing walks them again: a legitimate 1 MB kubeconfig took
# seconds. Most documents are plain (no anchor, alias, tag, merge key or complex key), and
# for those the events say everything: the document is built from them in one pass, each
# scalar resolved by SafeLoader's own resolver and constructor, so the values are the same.
# Anything else returns _NOT_PLAIN and goes the full way, alias-bomb check included.

_NOT_PLAIN: Any = object()
_STR = "tag:yaml.org,2002:str"
_RESOLVED = frozenset({"int", "float", "bool", "null", "timestamp"})
_resolver = yaml.resolver.Resolver()  # type: ignore[attr-defined]
# The resolver looks up its patterns by a scalar's first character (None: any character)
_IMPLICIT_FIRST = frozenset(k for k in _resolver.yaml_implicit_resolvers if k)
_constructor = yaml.SafeLoader("")  # only its scalar constructors are used, never its input


def _load_plain(text: str) -> Any:
    """The document, or _NOT_PLAIN when it needs the full loader (or does not parse: the
    full loader then says why in its own words)."""
    parser = _Loader(text)
    try:
        return _build(parser)
    except (yaml.YAMLError, _Unplain):
        return _NOT_PLAIN
    finally:
        parser.dispose()


class _Unplain(Exception):
    pass


_events = yaml.events  # type: ignore[attr-defined]
_SKIPPED = (_events.StreamStartEvent, _events.DocumentEndEvent)
_ENDS = (_events.MappingEndEvent, _events.SequenceEndEvent)


def _build(parser: yaml.SafeLoader) -> Any:
    """One pass over the events; a dispatch on the event's type, scalars first (most of a
    document), since this loop is what a large file costs."""
    stack: list[tuple[Any, list[Any]]] = []  # (container, a mapping's pending key)
    document: Any = None
    documents = 0
    next_event = parser.get_event
    while True:
        event = next_event()
        kind = type(event)
        if kind is _events.ScalarEvent:
            if event.anchor is not None:
                raise _Unplain
            value = _scalar(event)
        elif kind is _events.MappingStartEvent or kind is _events.SequenceStartEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise _Unplain
            stack.append(({} if kind is _events.MappingStartEvent else [], []))
            continue
        elif kind in _ENDS:
            value, pending = stack.pop()
            if pending:
                raise _Unplain
        elif kind is _events.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unplain  # the full loader names this
            continue
        elif kind is _events.StreamEndEvent:
            return document
        elif kind in _SKIPPED:
            continue
        else:  # an alias
            raise _Unplain
        if not stack:
            document = value
            continue
        parent, pending = stack[-1]
        if type(parent) is list:
            parent.append(value)
        elif pending:
            parent[pending.pop()] = value
        elif isinstance(value, (dict, list)):
            raise _Unplain  # a complex key: the constructor's business
        else:
            pending.append(value)


def _scalar(event: Any) -> Any:
    tag, value = event.tag, event.value
    if tag is not None and tag != "!":
        raise _Unplain
    if not event.implicit[0]:
        return value  # quoted: a string whatever it says
    if value and value[0] not in _IMPLICIT_FIRST:
        return value  # no implicit resolver starts with this character: a string
    tag = _resolver.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == _STR:
        return event.value
    if tag.rsplit(":", 1)[-1] not in _RESOLVED:
        raise _Unplain  # `<<`, `=`: meanings the full loader gives
    node = yaml.ScalarNode(tag, event.value)
    return _constructor.yaml_constructors[tag](_constructor, node)
@record
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
    text = _yaml_text(data)
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
    import json  # here: only a file YAML refused comes this far

    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    # the problem quotes the text it stopped at: a tag or a scalar may be a key's base64
    return redact_message(f"{problem}{where}")


def _check_expansion(root: yaml.Node) -> None:
    """Reject a document whose aliases expand it far beyond its own size: the walk a
    reader makes may visit each node the file holds, and MAX_YAML_NODES more."""
    limit = _distinct_nodes(root) + MAX_YAML_NODES
    seen = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        seen += 1
        if seen > limit:
            raise DecodeError(
                f"YAML rejected: aliases expand it by more than {MAX_YAML_NODES} nodes "
                "(an alias bomb?)"
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


def _distinct_nodes(root: yaml.Node) -> int:
    """How many nodes the document holds, each aliased node counted once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += (key, value)
    return len(seen)


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
