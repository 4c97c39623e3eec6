"""Extract the Pod schema of every supported minor from kubernetes-validate's strict schemas
into the compact data kexplore ships (kexplore/core/plane/pod_schemas.json).

kubernetes-validate (Apache-2.0, Will Thames; generated from the Kubernetes OpenAPI) is a
test extra, not a dependency: its import costs about 100 ms and its data 108 MiB, so the
checker reads only this extract. Run it again after upgrading the library:

    python scripts/extract_pod_schemas.py            # rewrite the shipped file
    python scripts/extract_pod_schemas.py --check    # exit 1 if the shipped file differs

Only the keywords a document's shape depends on are kept (type, properties,
additionalProperties, items, required, enum, oneOf, $ref); descriptions and Kubernetes
extensions are dropped. A definition identical across versions is stored once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

KEPT = ("type", "properties", "additionalProperties", "items", "required", "enum", "oneOf")
ROOT = "io.k8s.api.core.v1.Pod"
SHIPPED = Path(__file__).resolve().parent.parent / "kexplore/core/plane/pod_schemas.json"
MINORS = range(28, 36)  # kexplore.core.conventions.versions: 1.28 to 1.35
SOURCE = "kubernetes-validate {version}, kubernetes-json-schema v1.{minor}.0-local-strict"


def _schema_dir(minor: int) -> Path:
    import kubernetes_validate

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return base / f"v1.{minor}.0-local-strict"


def _compact(schema: Any) -> Any:
    """The schema with only the kept keywords, and each $ref reduced to a definition name."""
    if isinstance(schema, list):
        return [_compact(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    if "$ref" in schema:
        out["$ref"] = schema["$ref"].rsplit("/", 1)[-1]
    for key in KEPT:
        if key not in schema:
            continue
        value = schema[key]
        if key == "properties":
            out[key] = {name: _compact(sub) for name, sub in sorted(value.items())}
        elif key in ("additionalProperties", "items"):
            out[key] = value if isinstance(value, bool) else _compact(value)
        elif key == "oneOf":
            out[key] = [_compact(s) for s in value]
        else:
            out[key] = value
    return out


def _refs(schema: Any) -> set[str]:
    found: set[str] = set()
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$ref" in item:
                found.add(item["$ref"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def pod_closure(minor: int) -> dict[str, Any]:
    """Every definition reachable from the Pod in one minor's strict schema, compacted."""
    folder = _schema_dir(minor)
    defs = json.loads((folder / "_definitions.json").read_text())["$defs"]
    pod = json.loads((folder / "pod-v1.json").read_text())
    closure = {ROOT: _compact(pod)}
    todo = sorted(_refs(closure[ROOT]))
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure[name] = _compact(defs[name])
        todo.extend(sorted(_refs(closure[name]) - closure.keys()))
    return dict(sorted(closure.items()))


def extract() -> dict[str, Any]:
    """{"source", "root", "definitions": {id: schema}, "versions": {"1.N": {name: id}}}."""
    from importlib.metadata import version

    definitions: dict[str, Any] = {}
    ids: dict[str, str] = {}  # canonical JSON of a definition -> its id
    versions: dict[str, dict[str, str]] = {}
    for minor in MINORS:
        table: dict[str, str] = {}
        for name, schema in pod_closure(minor).items():
            text = json.dumps(schema, sort_keys=True)
            if text not in ids:
                ids[text] = f"{name}@1.{minor}"
                definitions[ids[text]] = schema
            table[name] = ids[text]
        versions[f"1.{minor}"] = table
    return {
        "source": SOURCE.format(version=version("kubernetes-validate"), minor="N"),
        "license": "Apache-2.0 (kubernetes-validate; Kubernetes OpenAPI)",
        "root": ROOT,
        "definitions": definitions,
        "versions": versions,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render(extract())
    if args.check:
        same = SHIPPED.exists() and SHIPPED.read_text() == text
        print("up to date" if same else f"{SHIPPED} differs from the library's schemas")
        return 0 if same else 1
    SHIPPED.write_text(text)
    print(f"wrote {SHIPPED} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
