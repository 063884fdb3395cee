"""Custom resource schemas: pruning, defaulting and validation messages."""

from __future__ import annotations

from typing import Any

import pytest

from minik8s.api import structural

SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "spec": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "minLength": 1},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        "size": {"type": "string", "enum": ["small", "large"]},
        "port": {"x-kubernetes-int-or-string": True},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    }}}}


@pytest.mark.parametrize("spec,expected", [
    ({"image": "x", "replicas": "two"},
     ['spec.replicas: Invalid value: "two": spec.replicas in body must be of type integer: "string"']),
    ({}, ["spec.image: Required value"]),
    ({"image": "x", "size": "huge"},
     ['spec.size: Unsupported value: "huge": supported values: "small", "large"']),
    ({"image": "x", "replicas": 0},
     ["spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"]),
    ({"image": "x", "tags": ["a", "b", "c"]}, ["spec.tags: Too many: 3: must have at most 2 items"]),
    ({"image": "x", "port": 8080}, []),
    ({"image": "x", "port": "http"}, []),
    ({"image": "x", "labels": {"a": 1}},
     ['spec.labels.a: Invalid value: 1: spec.labels.a in body must be of type string: "integer"']),
], ids=["a wrong type names the expected type", "a missing required field is required",
        "an enum lists the supported values", "a minimum is enforced",
        "maxItems is enforced", "int-or-string takes an integer", "int-or-string takes a string",
        "map values are checked against additionalProperties"])
def test_validation_messages(spec: dict[str, Any], expected: list[str]) -> None:
    errs = structural.validate(SCHEMA, {"apiVersion": "x/v1", "kind": "X", "metadata": {}, "spec": spec})
    assert [e.text for e in errs] == expected


def test_pruning_drops_undeclared_fields_but_keeps_preserved_ones() -> None:
    obj = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"},
           "spec": {"image": "x", "bogus": 1, "extra": {"anything": {"goes": True}}}, "top": 1}
    dropped = structural.prune(SCHEMA, obj)
    assert sorted(dropped) == ["spec.bogus", "top"]
    assert obj["spec"] == {"image": "x", "extra": {"anything": {"goes": True}}}
    assert obj["metadata"] == {"name": "a"}


def test_defaults_fill_absent_fields_only() -> None:
    obj = {"spec": {"image": "x"}}
    structural.apply_defaults(SCHEMA, obj)
    assert obj["spec"]["replicas"] == 1
    obj = {"spec": {"image": "x", "replicas": 4}}
    structural.apply_defaults(SCHEMA, obj)
    assert obj["spec"]["replicas"] == 4
