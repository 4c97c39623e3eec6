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
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

UNKNOWN, TYPE, ENUM, REQUIRED = "unknown", "type", "enum", "required"


@dataclass(frozen=True)
class SchemaError:
    """One place where a document leaves the schema; `path` is in the kubelet's spelling
    (spec.containers[0].volumeMounts[1].readOlny)."""

    path: str
    kind: str  # UNKNOWN, TYPE, ENUM or REQUIRED
    detail: str
    known: tuple[str, ...] = ()  # for UNKNOWN: the fields the schema has there


@cache
def _data() -> dict[str, Any]:
    text = resources.files("kexplore.core.plane").joinpath("pod_schemas.json").read_text()
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


def known_field(minor: int, definition: str, name: str) -> bool:
    """Whether a definition of this minor has the named property (for messages)."""
    return name in _table(minor).get(definition, {}).get("properties", {})


def schema_errors(doc: Any, minor: int) -> list[SchemaError]:
    """Every place `doc` leaves the strict Pod schema of the given minor."""
    table = _table(minor)
    errors: list[SchemaError] = []
    _walk(doc, table[_data()["root"]], "", table, errors)
    return errors


# JSON Schema's types, as the YAML loader's values carry them. A YAML timestamp is a string
# to the kubelet's decoder (it reads YAML through JSON).
def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str | date)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return False


def json_type(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, kind):
            return kind
    return type(value).__name__


def _walk(
    value: Any, schema: dict[str, Any], path: str, table: dict[str, Any], out: list[SchemaError]
) -> bool:
    """Validate `value`, appending errors; whether it was valid (for oneOf)."""
    before = len(out)
    if "$ref" in schema:
        _walk(value, table[schema["$ref"]], path, table, out)
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else types
        if not any(_is(value, t) for t in allowed):
            wanted = " or ".join(t for t in allowed if t != "null")
            out.append(SchemaError(path, TYPE, f"expected {wanted}, got {json_type(value)}"))
            return False
    if "enum" in schema and value not in schema["enum"]:
        shown = ", ".join(json.dumps(v) for v in schema["enum"])
        given = json.dumps(value, default=str)
        out.append(SchemaError(path, ENUM, f"{given} is not one of {shown}"))
    if "oneOf" in schema:
        matches = sum(_walk(value, sub, path, table, []) for sub in schema["oneOf"])
        if matches != 1:
            out.append(SchemaError(path, TYPE, f"{json_type(value)} is not a valid value here"))
    if isinstance(value, dict):
        _walk_object(value, schema, path, table, out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", table, out)
    return len(out) == before


def _walk_object(
    value: dict[str, Any], schema: dict[str, Any], path: str, table: dict[str, Any],
    out: list[SchemaError],
) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name in schema.get("required", ()):
        if name not in value:
            out.append(SchemaError(_join(path, name), REQUIRED, "Required value"))
    for key, item in value.items():
        where = _join(path, str(key))
        if key in props:
            _walk(item, props[key], where, table, out)
        elif extra is False:
            out.append(SchemaError(where, UNKNOWN, "unknown field", tuple(props)))
        elif isinstance(extra, dict):
            _walk(item, extra, f"{path}[{key}]" if path else str(key), table, out)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
