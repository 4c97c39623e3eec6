"""The Pod schemas kexplore ships: reproducible from kubernetes-validate, and walked the
way JSON Schema validates them (the library's strict schemas are the oracle)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FAST, Factory
from test_pods_corpus import DEFECTS

from kexplore.core.plane.pod_schema import REQUIRED, UNKNOWN, schema_errors, schema_minors

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with kubernetes-validate")
kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is a test extra: pip install -e '.[test]'"
)
ROOT = Path(__file__).resolve().parent.parent
Segments = tuple[str | int, ...]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "extract_pod_schemas", ROOT / "scripts/extract_pod_schemas.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_shipped_schemas_are_what_the_script_extracts_from_the_library() -> None:
    script = _script()
    shipped = (ROOT / "kexplore/core/plane/pod_schemas.json").read_text()
    assert shipped == script.render(script.extract())


def test_every_supported_minor_has_its_schema() -> None:
    assert schema_minors() == tuple(range(28, 36))


# --- the differential test ---------------------------------------------------------------


def _validator(minor: int) -> Any:
    """jsonschema over the library's own strict files for the minor, as it validates them."""
    from referencing import Registry, Resource

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    folder = base / f"v1.{minor}.0-local-strict"
    defs = json.loads((folder / "_definitions.json").read_text())
    pod = json.loads((folder / "pod-v1.json").read_text())
    registry = Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json", Resource.from_contents(defs))
    return jsonschema.Draft202012Validator(pod, registry=registry)


_VALIDATORS: dict[int, Any] = {}


def oracle(doc: Any, minor: int) -> set[tuple[Segments, str]]:
    """(path, kind) for every error jsonschema reports, in the walker's terms."""
    if minor not in _VALIDATORS:  # built once: setdefault would build it on every call
        _VALIDATORS[minor] = _validator(minor)
    validator = _VALIDATORS[minor]
    found: set[tuple[Segments, str]] = set()
    for error in validator.iter_errors(doc):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            found |= {((*path, key), UNKNOWN) for key in error.instance if key not in known}
        elif error.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", error.message)
            assert missing, error.message
            found.add(((*path, missing.group(1)), REQUIRED))
        else:
            found.add((path, "type" if error.validator in ("type", "oneOf") else error.validator))
    return found


def segments(path: str) -> Segments:
    parts: list[str | int] = []
    for name, key in re.findall(r"([^.\[\]]+)|\[([^\]]*)\]", path):
        parts.append(name if name else int(key) if key.isdigit() else key)
    return tuple(parts)


def walker(doc: Any, minor: int) -> set[tuple[Segments, str]]:
    return {(segments(e.path), e.kind) for e in schema_errors(doc, minor)}


def _json(doc: Any) -> Any:
    """The document as the kubelet's decoder sees it: YAML read through JSON."""
    return json.loads(json.dumps(doc, default=str))


def _documents(make_tree: Factory, tmp_path: Path) -> list[tuple[str, int, Any]]:
    from test_pods_corpus import _params, plant

    docs = []
    for defect in DEFECTS:
        root = tmp_path / defect.name.replace(" ", "-").replace("/", "_")
        shutil.copytree(make_tree(_params(defect.minor)), root, symlinks=True)
        plant(root, defect)
        for path in sorted((root / "manifests").iterdir()):
            doc = next(yaml.safe_load_all(path.read_bytes()))
            docs.append((f"{defect.name}: {path.name}", defect.minor, doc))
    return docs


EXTRA = [
    ("unknown top-level field", {"apiVersion": "v1", "kind": "Pod", "spec2": {}}),
    ("kind Deployment", {"apiVersion": "apps/v1", "kind": "Deployment"}),
    ("containers a string", {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "x"}}),
    ("a quantity as a list", {"kind": "Pod", "spec": {"containers": [
        {"name": "a", "resources": {"limits": {"cpu": [1]}}}]}}),
    ("a null quantity", {"kind": "Pod", "spec": {"containers": [
        {"name": "a", "resources": {"limits": {"cpu": None}}}]}}),
    ("labels a list", {"kind": "Pod", "metadata": {"labels": ["a"]}}),
    ("label value a number", {"kind": "Pod", "metadata": {"labels": {"a": 1}}}),
    ("a 1.34 field on 1.28",
     {"kind": "Pod", "spec": {"hostnameOverride": "x", "containers": [{"name": "a"}]}}),
    ("port a float", {"kind": "Pod", "spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 1.5}]}]}}),
    ("port an integral float", {"kind": "Pod", "spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 80.0}]}]}}),
    ("a boolean for a string", {"kind": "Pod", "spec": {"containers": [
        {"name": True, "image": False}]}}),
]


def test_the_walker_agrees_with_jsonschema_on_the_corpus(
    make_tree: Factory, tmp_path: Path
) -> None:
    docs = _documents(make_tree, tmp_path)
    assert len(docs) > 200
    disagreements = []
    for name, minor, doc in docs:
        doc = _json(doc)
        if walker(doc, minor) != oracle(doc, minor):
            disagreements.append((name, walker(doc, minor) ^ oracle(doc, minor)))
    assert disagreements == []


@pytest.mark.parametrize("minor", [28, 31, 35])
@pytest.mark.parametrize(("name", "doc"), EXTRA, ids=[n for n, _ in EXTRA])
def test_the_walker_agrees_with_jsonschema_on_odd_shapes(name: str, doc: Any, minor: int) -> None:
    assert walker(doc, minor) == oracle(doc, minor)
    valid = name == "port an integral float" or (name.startswith("a 1.34") and minor >= 34)
    assert bool(oracle(doc, minor)) is not valid


def test_a_field_newer_than_the_kubelet_is_unknown_to_it(make_tree: Factory) -> None:
    pod = yaml.safe_load((make_tree(FAST) / "manifests/kube-scheduler.yaml").read_bytes())
    pod["spec"]["hostnameOverride"] = "cp-1"  # 1.34
    assert ((("spec", "hostnameOverride"), UNKNOWN)) in walker(pod, 33)
    assert walker(pod, 34) == set()
