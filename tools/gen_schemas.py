"""Generate ``schemas/`` from the Kubernetes v1.33 OpenAPI definitions.

Role: a developer tool, run by hand when the resource table gains a kind or the
pinned Kubernetes version moves. It reads the JSON-schema rendering of the
v1.33 definitions shipped by the ``kubernetes-validate`` package (installed on
the developer's machine only, never a runtime dependency), keeps only what the
kinds served by ``minik8s.api.resources.builtin_resources()`` reach, adds the
schemas upstream no longer ships (PodPreset, removed in 1.20; meta.k8s.io
Table, which the real server never publishes), and writes two compact,
key-sorted JSON files so that a re-run without changes is byte-identical:

* ``schemas/definitions.json``: ``{"$defs": {name: schema}}``, refs as
  ``#/$defs/<name>``, descriptions kept (``kubectl explain`` prints them);
* ``schemas/index.json``: ``{"<group>/<version>/<Kind>": name}`` (core group
  is the empty string: ``/v1/Pod``).

Neighbours: ``minik8s.api.schemas`` loads these files; ``minik8s.api.openapi``
turns them into OpenAPI v3 documents.

Usage: ``python tools/gen_schemas.py [--out DIR]``.

Packaging: ``pyproject.toml`` names ``BuildPy`` and ``SDist`` below as
setuptools commands, so a wheel carries ``schemas/`` as ``minik8s/_schemas``
(where ``api.schemas`` looks when installed) and an sdist carries ``schemas/``
and this file (so a wheel can be built from the sdist).
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import sys
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent

K8S_VERSION = "v1.33.0"
REF = "#/$defs/"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CORE = "io.k8s.api.core.v1."
SETTINGS = "io.k8s.api.settings.v1alpha1."

#: Kinds every group-version needs besides its own (request and response bodies).
EXTRA_DEFINITIONS = (
    META + "DeleteOptions",
    META + "Status",
    META + "WatchEvent",
    META + "Patch",
    META + "Table",
)

Schema = dict[str, Any]


def source_definitions() -> dict[str, Schema]:
    """The v1.33 definitions as kubernetes-validate ships them."""
    import kubernetes_validate  # the only place this package is used

    path = (pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
            / f"{K8S_VERSION}-local" / "_definitions.json")
    defs: dict[str, Schema] = json.loads(path.read_text())["$defs"]
    return defs


def _ref(name: str, description: str, **extensions: Any) -> Schema:
    return {"$ref": REF + name, "description": description, **extensions}


def _type_meta(api_version: str, kind: str) -> dict[str, Schema]:
    return {
        "apiVersion": {"description": "The versioned schema of this object; "
                       f"always {api_version!r} here.", "type": ["string", "null"]},
        "kind": {"description": f"The REST resource this object represents; always {kind!r}.",
                 "type": ["string", "null"]},
    }


def _list_extensions(defs: dict[str, Schema], owner: str, prop: str) -> dict[str, Any]:
    """The patch/list extensions a core field carries, so a hand-written field
    that mirrors it merges the same way under strategic merge patch."""
    src = defs[owner]["properties"][prop]
    return {k: v for k, v in src.items() if k.startswith("x-kubernetes-")}


def hand_written(defs: dict[str, Schema]) -> dict[str, Schema]:
    """Schemas for kinds minik8s serves that the v1.33 definitions lack.

    Descriptions here are our own words.
    """
    gvk = [{"group": "settings.k8s.io", "kind": "PodPreset", "version": "v1alpha1"}]
    preset_spec: Schema = {
        "description": "What a PodPreset injects into the pods it selects at creation.",
        "type": ["object", "null"],
        "properties": {
            "selector": _ref(META + "LabelSelector",
                             "Which pods (by label, in the preset's namespace) receive "
                             "this preset. An empty selector matches every pod."),
            "env": {
                "description": "Environment variables added to every container of a "
                               "selected pod.",
                "type": ["array", "null"], "items": {"$ref": REF + CORE + "EnvVar"},
                **_list_extensions(defs, CORE + "Container", "env"),
            },
            "envFrom": {
                "description": "Sources of environment variables (ConfigMaps, Secrets) "
                               "added to every container of a selected pod.",
                "type": ["array", "null"], "items": {"$ref": REF + CORE + "EnvFromSource"},
                **_list_extensions(defs, CORE + "Container", "envFrom"),
            },
            "volumes": {
                "description": "Volumes added to a selected pod.",
                "type": ["array", "null"], "items": {"$ref": REF + CORE + "Volume"},
                **_list_extensions(defs, CORE + "PodSpec", "volumes"),
            },
            "volumeMounts": {
                "description": "Volume mounts added to every container of a selected pod.",
                "type": ["array", "null"], "items": {"$ref": REF + CORE + "VolumeMount"},
                **_list_extensions(defs, CORE + "Container", "volumeMounts"),
            },
        },
    }
    preset: Schema = {
        "description": "PodPreset injects environment variables, volumes and volume "
                       "mounts into pods at creation time (settings.k8s.io/v1alpha1; "
                       "removed upstream in Kubernetes 1.20, served by minik8s).",
        "type": ["object", "null"],
        "properties": {
            **_type_meta("settings.k8s.io/v1alpha1", "PodPreset"),
            "metadata": _ref(META + "ObjectMeta", "Standard object metadata."),
            "spec": _ref(SETTINGS + "PodPresetSpec", "What the preset injects, and where."),
        },
        "x-kubernetes-group-version-kind": gvk,
    }
    preset_list: Schema = {
        "description": "A list of PodPresets.",
        "type": ["object", "null"],
        "required": ["items"],
        "properties": {
            **_type_meta("settings.k8s.io/v1alpha1", "PodPresetList"),
            "metadata": _ref(META + "ListMeta", "Standard list metadata."),
            "items": {"description": "The PodPresets.", "type": "array",
                      "items": {"$ref": REF + SETTINGS + "PodPreset"}},
        },
        "x-kubernetes-group-version-kind": [{**gvk[0], "kind": "PodPresetList"}],
    }
    table: Schema = {
        "description": "A tabular rendering of a list or an object, asked for with "
                       "Accept: application/json;as=Table;v=v1;g=meta.k8s.io.",
        "type": ["object", "null"],
        "required": ["columnDefinitions", "rows"],
        "properties": {
            **_type_meta("meta.k8s.io/v1", "Table"),
            "metadata": _ref(META + "ListMeta", "Standard list metadata."),
            "columnDefinitions": {
                "description": "The columns, in display order.", "type": "array",
                "items": {"$ref": REF + META + "TableColumnDefinition"},
                "x-kubernetes-list-type": "atomic",
            },
            "rows": {"description": "One row per object.", "type": "array",
                     "items": {"$ref": REF + META + "TableRow"},
                     "x-kubernetes-list-type": "atomic"},
        },
        "x-kubernetes-group-version-kind": [
            {"group": "meta.k8s.io", "kind": "Table", "version": "v1"}],
    }
    column: Schema = {
        "description": "One column of a Table.",
        "type": ["object", "null"],
        "required": ["name", "type", "format", "description", "priority"],
        "properties": {
            "name": {"description": "Column header.", "type": "string"},
            "type": {"description": "OpenAPI type of the cells (string, integer, ...).",
                     "type": "string"},
            "format": {"description": "OpenAPI format of the cells (name, date, ...).",
                       "type": "string"},
            "description": {"description": "What the column shows.", "type": "string"},
            "priority": {"description": "0 for default output; higher numbers only in "
                                        "wide output.", "format": "int32", "type": "integer"},
        },
    }
    row: Schema = {
        "description": "One row of a Table.",
        "type": ["object", "null"],
        "required": ["cells"],
        "properties": {
            "cells": {"description": "Cell values, one per column.", "type": "array",
                      "items": {"x-kubernetes-preserve-unknown-fields": True},
                      "x-kubernetes-list-type": "atomic"},
            "conditions": {"description": "Row conditions (type Completed marks a "
                                          "finished object).", "type": ["array", "null"],
                           "items": {"$ref": REF + META + "TableRowCondition"},
                           "x-kubernetes-list-type": "atomic"},
            "object": _ref("io.k8s.apimachinery.pkg.runtime.RawExtension",
                           "The object the row shows, per includeObject."),
        },
    }
    row_condition: Schema = {
        "description": "A condition of a Table row.",
        "type": ["object", "null"],
        "required": ["type", "status"],
        "properties": {
            "type": {"description": "Condition type.", "type": "string"},
            "status": {"description": "True, False or Unknown.", "type": "string"},
            "reason": {"description": "One-word reason.", "type": ["string", "null"]},
            "message": {"description": "Human-readable detail.", "type": ["string", "null"]},
        },
    }
    return {
        SETTINGS + "PodPreset": preset,
        SETTINGS + "PodPresetSpec": preset_spec,
        SETTINGS + "PodPresetList": preset_list,
        META + "Table": table,
        META + "TableColumnDefinition": column,
        META + "TableRow": row,
        META + "TableRowCondition": row_condition,
    }


def _gvks(schema: Schema) -> list[tuple[str, str, str]]:
    return [(g["group"], g["version"], g["kind"])
            for g in schema.get("x-kubernetes-group-version-kind", ())]


def served_kinds() -> list[tuple[str, str, str]]:
    """(group, version, kind) for every kind a built-in resource reads or writes:
    the kind, its List (if it can be listed), and the kinds of its subresources."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from minik8s.api import resources

    out: list[tuple[str, str, str]] = []
    for res in resources.builtin_resources():
        for v in res.versions:
            out.append((res.group, v, res.kind))
            if "list" in res.verbs:
                out.append((res.group, v, res.kind + "List"))
            for sub in res.subresources:
                out.append((sub.group if sub.group is not None else res.group,
                            sub.version or v, sub.kind))
    return out


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            ref = x.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF):
                found.append(ref[len(REF):])
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return found


def _strip_type_meta_enums(schema: Schema) -> None:
    """The JSON-schema conversion pins apiVersion/kind with a one-value enum;
    the real OpenAPI does not, and ``kubectl explain`` would print it."""
    for prop in ("apiVersion", "kind"):
        p = schema.get("properties", {}).get(prop)
        if p and "x-kubernetes-group-version-kind" in schema:
            p.pop("enum", None)


def build(defs: dict[str, Schema]) -> tuple[dict[str, Schema], dict[str, str]]:
    """Return (kept definitions, GVK index)."""
    defs = copy.deepcopy(defs)
    defs.update(hand_written(defs))
    by_gvk = {gvk: name for name, s in defs.items() for gvk in _gvks(s)}

    roots: list[str] = list(EXTRA_DEFINITIONS)
    missing: list[tuple[str, str, str]] = []
    for gvk in served_kinds():
        name = by_gvk.get(gvk)
        if name is None:
            missing.append(gvk)
        else:
            roots.append(name)
    for g, v, k in sorted(set(missing)):
        print(f"note: no schema for {g or 'core'}/{v} {k} (not in the OpenAPI definitions)",
              file=sys.stderr)

    kept: dict[str, Schema] = {}
    stack = roots
    while stack:
        name = stack.pop()
        if name in kept:
            continue
        kept[name] = defs[name]
        stack.extend(_refs(defs[name]))
    for schema in kept.values():
        _strip_type_meta_enums(schema)
    index = {f"{g}/{v}/{k}": name for name, s in kept.items() for g, v, k in _gvks(s)}
    return kept, index


def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "schemas")
    args = parser.parse_args(argv)
    kept, index = build(source_definitions())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "definitions.json").write_text(_dump({"$defs": kept}), encoding="utf-8")
    (args.out / "index.json").write_text(_dump(index), encoding="utf-8")
    size = sum((args.out / f).stat().st_size for f in ("definitions.json", "index.json"))
    print(f"wrote {len(kept)} definitions, {len(index)} index entries, "
          f"{size / 1024:.0f} KiB to {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- packaging

try:
    from setuptools.command.build_py import build_py as _build_py
    from setuptools.command.sdist import sdist as _sdist
except ImportError:  # the generator itself does not need setuptools
    pass
else:

    class BuildPy(_build_py):  # type: ignore[misc,unused-ignore]
        """build_py that also copies ``schemas/*.json`` to ``minik8s/_schemas``."""

        def run(self) -> None:
            super().run()
            if getattr(self, "editable_mode", False):
                return  # an editable install reads <repo>/schemas directly
            files = sorted((ROOT / "schemas").glob("*.json"))
            if not files:
                raise FileNotFoundError(f"no schemas in {ROOT / 'schemas'}")
            dest = pathlib.Path(self.build_lib) / "minik8s" / "_schemas"
            self.mkpath(str(dest))
            for f in files:
                self.copy_file(str(f), str(dest / f.name))

    class SDist(_sdist):  # type: ignore[misc,unused-ignore]
        """sdist that also ships ``schemas/`` and this generator."""

        def make_release_tree(self, base_dir: str, files: list[str]) -> None:
            extra = ["tools/gen_schemas.py",
                     *(f"schemas/{f.name}" for f in sorted((ROOT / "schemas").glob("*.json")))]
            super().make_release_tree(base_dir, [*files, *extra])


if __name__ == "__main__":
    raise SystemExit(main())
