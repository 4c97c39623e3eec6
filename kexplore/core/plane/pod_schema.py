"""The Pod's shape, version by version, from the schemas shipped in pod_schemas.json.

The data is extracted from kubernetes-validate's strict schemas by
scripts/extract_pod_schemas.py (a test checks the two agree); this module only walks it.
The walk says what JSON Schema would say of a document under the strict schema, but all of
it at once and in the kubelet's terms: a field the schema does not know (the kubelet's
decoder drops it without a word), a value of the wrong type (the decoder refuses the whole
file), a value outside an enum, a required field missing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from kexplore.core.records import record

UNKNOWN, TYPE, ENUM, REQUIRED = "unknown", "type", "enum", "required"


@record
class SchemaError:
    """One place where a document leaves the schema; `path` is in the kubelet's spelling
    (spec.containers[0].volumeMounts[1].readOlny)."""

    path: str
    kind: str  # UNKNOWN, TYPE, ENUM or REQUIRED
    detail: str
    known: tuple[str, ...] = ()  # for UNKNOWN: the fields the schema has there


@cache
def _data() -> dict[str, Any]:
    # shipped beside this module (package data); read directly, without importlib.resources
    text = Path(__file__).with_name("pod_schemas.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_minors() -> tuple[int, ...]:
    return tuple(sorted(int(v.split(".")[1]) for v in _data()["versions"]))


def schema_minor(minor: int) -> int:
    """The schema a kubelet of this minor decodes with: the nearest one shipped."""
    known = schema_minors()
    return min(max(minor, known[0]), known[-1])


@cache
def _table(minor: int) -> dict[str, dict[str, Any]]:
    data = _data()
    names = data["versions"][f"1.{schema_minor(minor)}"]
    return {name: data["definitions"][key] for name, key in names.items()}


def schema_errors(doc: Any, minor: int) -> list[SchemaError]:
    """Every place `doc` leaves the strict Pod schema of the given minor."""
    errors: list[SchemaError] = []
    _walk(doc, _compiled(schema_minor(minor)), [], errors)
    return errors


# JSON Schema's types as the YAML loader's values carry them, by exact Python type (a bool
# is no integer). A YAML timestamp is a string to the kubelet's decoder, which reads YAML
# through JSON.
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str, date, datetime),
    "array": (list,),
    "object": (dict,),
}


# JSON's types in an operator's words.
WORDS = {"null": "null", "boolean": "true or false", "integer": "a whole number",
         "number": "a number", "string": "a string", "array": "a list", "object": "a mapping"}


def json_type(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return "integer"
    for kind, types in _PYTHON_TYPES.items():
        if type(value) in types:
            return kind
    return type(value).__name__


class _Node:
    """A schema made ready for walking: types as Python types; its parts (references,
    properties, items) compiled the first time a document reaches them, since a pod uses
    a handful of the hundred-odd definitions."""

    __slots__ = ("_extra", "_items", "_one_of", "_props", "_refs", "_registry", "_schema",
                 "enum", "integral", "required", "type_names", "types")

    def __init__(self, schema: dict[str, Any], registry: _Registry) -> None:
        self._schema, self._registry = schema, registry
        types = schema.get("type")
        names = () if types is None else (types,) if isinstance(types, str) else tuple(types)
        self.type_names: tuple[str, ...] = names
        self.types: frozenset[type] | None = (
            frozenset(t for n in names for t in _PYTHON_TYPES.get(n, ())) if names else None)
        # an integral float is an integer: JSON has one number type
        self.integral = "integer" in names and "number" not in names
        self.enum: tuple[Any, ...] | None = tuple(schema["enum"]) if "enum" in schema else None
        self.required: tuple[str, ...] = tuple(schema.get("required", ()))
        self._refs: tuple[_Node, ...] | None = None
        self._one_of: tuple[_Node, ...] | None = None
        self._props: dict[str, _Node] = {}
        self._items: _Node | None = None
        self._extra: bool | _Node | None = None

    def refs(self) -> tuple[_Node, ...]:
        if self._refs is None:
            ref = self._schema.get("$ref")
            self._refs = (self._registry.named(ref),) if ref else ()
        return self._refs

    def one_of(self) -> tuple[_Node, ...]:
        if self._one_of is None:
            self._one_of = tuple(_Node(s, self._registry) for s in self._schema.get("oneOf", ()))
        return self._one_of

    def prop(self, key: str) -> _Node | None:
        found = self._props.get(key)
        if found is None:
            schema = self._schema.get("properties", {}).get(key)
            if schema is None:
                return None
            found = self._props[key] = _Node(schema, self._registry)
        return found

    def known(self) -> tuple[str, ...]:
        return tuple(self._schema.get("properties", {}))

    def items(self) -> _Node | None:
        if self._items is None and isinstance(self._schema.get("items"), dict):
            self._items = _Node(self._schema["items"], self._registry)
        return self._items

    def extra(self) -> bool | _Node:
        if self._extra is None:
            extra = self._schema.get("additionalProperties", True)
            self._extra = extra if isinstance(extra, bool) else _Node(extra, self._registry)
        return self._extra


class _Registry:
    """The definitions of one minor, each compiled once, by name."""

    def __init__(self, table: dict[str, dict[str, Any]]) -> None:
        self.table = table
        self.nodes: dict[str, _Node] = {}

    def named(self, name: str) -> _Node:
        if name not in self.nodes:
            self.nodes[name] = _Node(self.table[name], self)
        return self.nodes[name]


@cache
def _compiled(minor: int) -> _Node:
    return _Registry(_table(minor)).named(_data()["root"])


def _where(stack: list[str]) -> str:
    return "".join(stack).lstrip(".")


def _walk(value: Any, node: _Node, stack: list[str], out: list[SchemaError]) -> bool:
    """Validate `value`, appending errors; whether it was valid (for oneOf). `stack` holds
    the path's parts (".name", "[0]"), joined only for an error."""
    before = len(out)
    for ref in node.refs():
        _walk(value, ref, stack, out)
    if node.types is not None and type(value) not in node.types and not (
        node.integral and type(value) is float and value.is_integer()
    ):
        wanted = " or ".join(WORDS.get(t, t) for t in node.type_names if t != "null")
        got = WORDS.get(json_type(value), json_type(value))
        out.append(SchemaError(_where(stack), TYPE, f"expected {wanted}, got {got}"))
        return False
    if node.enum is not None and value not in node.enum:
        shown = ", ".join(json.dumps(v) for v in node.enum)
        given = json.dumps(value, default=str)
        out.append(SchemaError(_where(stack), ENUM, f"{given} is not one of {shown}"))
    one_of = node.one_of()
    if one_of and sum(_walk(value, sub, stack, []) for sub in one_of) != 1:
        given = json_type(value)
        out.append(SchemaError(_where(stack), TYPE,
                               f"{WORDS.get(given, given)} is not a valid value here"))
    if type(value) is dict:
        _walk_object(value, node, stack, out)
    elif type(value) is list and (items := node.items()) is not None:
        for i, item in enumerate(value):
            stack.append(f"[{i}]")
            _walk(item, items, stack, out)
            stack.pop()
    return len(out) == before


def _walk_object(
    value: dict[str, Any], node: _Node, stack: list[str], out: list[SchemaError]
) -> None:
    for name in node.required:
        if name not in value:
            out.append(SchemaError(_where([*stack, f".{name}"]), REQUIRED, "Required value"))
    for key, item in value.items():
        sub = node.prop(key) if type(key) is str else None
        if sub is not None:
            stack.append(f".{key}")
            _walk(item, sub, stack, out)
            stack.pop()
        elif (extra := node.extra()) is False:
            out.append(SchemaError(_where([*stack, f".{key}"]), UNKNOWN, "unknown field",
                                   node.known()))
        elif isinstance(extra, _Node):
            # a map's keys are data: printed name[key], as the API's validation prints them
            stack.append(f"[{key}]")
            _walk(item, extra, stack, out)
            stack.pop()
