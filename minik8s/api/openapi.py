"""OpenAPI documents, built from the resource table and the shipped schemas.

Role: what ``/openapi/v2`` and ``/openapi/v3[/<gv>]`` answer. kubectl reads
them for ``explain`` and to decide whether the server validates fields itself
(it looks for a PATCH operation carrying ``x-kubernetes-group-version-kind``
and a ``fieldValidation`` query parameter; see kubectl-protocol.md §5).

* v2 is an empty protobuf body: kubectl decodes it as a document without
  kinds and falls through to v3 (1.27/1.28 fetch it eagerly and need a 200).
* v3 has one document per group-version: ``paths`` for every resource of the
  GV, as its verbs allow, and ``components.schemas`` with every definition
  those kinds reach, converted from JSON schema (``api.schemas``) to OpenAPI
  3.0 the way the real server writes it.

Custom resources: a resource whose ``crd`` is set gets its schema from the
``schema_provider`` the caller passes (``(resource, version) -> the version's
openAPIV3Schema or None``); without one it is served as an object that
preserves unknown fields. Documents are cached per (table generation, GV,
provider), so a CRD schema change must go through ``ResourceTable.add``.

Neighbours: ``api.resources`` (the table), ``api.schemas`` (definitions);
``server/`` serves the bytes.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Callable
from typing import Any

import orjson

from minik8s.api import resources, schemas

V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
V3_CONTENT_TYPE = "application/json"
K8S_VERSION = "v1.33.0"

#: ``(resource, version) -> openAPIV3Schema`` of a custom resource, or None.
Schema = dict[str, Any]
SchemaProvider = Callable[[resources.Resource, str], "Schema | None"]

_COMPONENTS = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_INT_OR_STRING_NAMES = (
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
)
_PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_CRD_PATCH_TYPES = tuple(t for t in _PATCH_TYPES if "strategic" not in t)
_RESPONSE_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_CRD_RESPONSE_TYPES = ("application/json", "application/yaml")


def v2_body() -> bytes:
    """``/openapi/v2``: an empty protobuf Document (see the module docstring)."""
    return b""


# --------------------------------------------------------------------------- GV paths


def gv_path(group: str, version: str) -> str:
    """``api/v1`` for the core group, ``apis/<group>/<version>`` otherwise."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def parse_gv_path(path: str) -> tuple[str, str] | None:
    """Inverse of ``gv_path``; None if ``path`` is not a group-version path."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return parts[1], parts[2]
    return None


# --------------------------------------------------------------------------- schemas


def _is_struct(name: str) -> bool:
    return "properties" in schemas.definition(name)


def _ref(name: str) -> Schema:
    return {"$ref": _COMPONENTS + name}


def _convert(node: Any) -> Any:
    """One JSON-schema node as OpenAPI 3.0: nullable type lists collapsed,
    refs moved to components, and a ref with siblings (description, patch
    extensions) wrapped in ``allOf`` as the real server does, since 3.0
    ignores siblings of ``$ref``."""
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref[len("#/$defs/"):]
        rest = {k: _convert(v) for k, v in node.items() if k != "$ref"}
        struct = _is_struct(name)
        if not rest and not struct:
            return _ref(name)
        wrapped: Schema = {"allOf": [_ref(name)], **rest}
        if struct:
            wrapped["default"] = {}
        return wrapped
    out: Schema = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if len(kinds) == 1:
                out[key] = kinds[0]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {p: _convert(s) for p, s in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert(s) for s in value]
        else:
            out[key] = value
    return out


@functools.cache
def _component(name: str) -> Schema:
    """One definition as an OpenAPI component (shared: never mutate)."""
    src = schemas.definition(name)
    if name in _INT_OR_STRING_NAMES:
        out: Schema = {"x-kubernetes-int-or-string": True,
                       "anyOf": [{"type": "integer"}, {"type": "string"}]}
        if "description" in src:
            out["description"] = src["description"]
        return out
    converted: Schema = _convert(src)
    return converted


def _reachable(roots: list[str]) -> list[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(_refs_of(name))
    return sorted(seen)


@functools.cache
def _refs_of(name: str) -> tuple[str, ...]:
    found: list[str] = []
    stack: list[Any] = [schemas.definition(name)]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            ref = x.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.append(ref[len("#/$defs/"):])
            stack.extend(v for v in x.values() if isinstance(v, (dict, list)))
        elif isinstance(x, list):
            stack.extend(x)
    return tuple(found)


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """The component name the real server gives a custom kind:
    ``com.example.stable.v1.CronTab`` for ``stable.example.com/v1``."""
    return ".".join([*reversed(group.split(".")), version, kind])


def _crd_components(res: resources.Resource, version: str,
                    provider: SchemaProvider | None) -> dict[str, Schema]:
    """Components for one custom kind and its List, in the shape the real
    server builds: the CRD's schema plus apiVersion, kind and metadata."""
    body = provider(res, version) if provider is not None else None
    body = dict(body) if body else {"type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True}
    props = dict(body.get("properties") or {})
    props.update({
        "apiVersion": {"description": "The versioned schema of this object.", "type": "string"},
        "kind": {"description": "The REST resource this object represents.", "type": "string"},
        "metadata": {"allOf": [_ref(_META + "ObjectMeta")], "default": {},
                     "description": "Standard object metadata."},
    })
    name = crd_definition_name(res.group, version, res.kind)
    gvk = {"group": res.group, "version": version, "kind": res.kind}
    kind_schema: Schema = {**body, "type": "object", "properties": props,
                           "x-kubernetes-group-version-kind": [gvk]}
    list_schema: Schema = {
        "description": f"A list of {res.kind} objects.",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": props["apiVersion"], "kind": props["kind"],
            "items": {"description": f"List of {res.plural}.", "type": "array",
                      "items": _ref(name)},
            "metadata": {"allOf": [_ref(_META + "ListMeta")], "default": {},
                         "description": "Standard list metadata."},
        },
        "x-kubernetes-group-version-kind": [{**gvk, "kind": res.kind + "List"}],
    }
    return {name: kind_schema, name + "List": list_schema}


# --------------------------------------------------------------------------- paths


def _param(name: str, kind: str, where: str, description: str,
           required: bool = False) -> Schema:
    p: Schema = {"name": name, "in": where, "description": description,
                 "schema": {"type": kind, "uniqueItems": True}}
    if required:
        p["required"] = True
    return p


_PRETTY = _param("pretty", "string", "query", "Pretty-print the answer when 'true'.")
_NAMESPACE = _param("namespace", "string", "path", "The namespace of the object.",
                    required=True)
_WRITE = [
    _param("dryRun", "string", "query", "All: validate and answer, but persist nothing."),
    _param("fieldManager", "string", "query", "Name of the actor making the change, "
           "recorded in managedFields."),
    _param("fieldValidation", "string", "query", "What to do with unknown or duplicate "
           "fields: Ignore (drop them), Warn (drop them and warn), Strict (reject)."),
]
_FORCE = _param("force", "boolean", "query", "Server-side apply: take ownership of "
                "fields other managers own instead of reporting a conflict.")
_LIST = [
    _param("allowWatchBookmarks", "boolean", "query", "Watch: send BOOKMARK events."),
    _param("continue", "string", "query", "The continue token of the previous page."),
    _param("fieldSelector", "string", "query", "Only objects whose fields match."),
    _param("labelSelector", "string", "query", "Only objects whose labels match."),
    _param("limit", "integer", "query", "At most this many objects per page."),
    _param("resourceVersion", "string", "query", "Which state to read or watch from."),
    _param("resourceVersionMatch", "string", "query", "How resourceVersion applies: "
           "Exact or NotOlderThan."),
    _param("sendInitialEvents", "boolean", "query", "Watch: start with ADDED events for "
           "the current state."),
    _param("timeoutSeconds", "integer", "query", "End the list or watch after this long."),
    _param("watch", "boolean", "query", "Stream changes instead of listing."),
]
_DELETE = [
    _WRITE[0],
    _param("gracePeriodSeconds", "integer", "query", "Seconds before the object is deleted."),
    _param("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "query",
           "Delete objects that cannot be read (unsafe)."),
    _param("orphanDependents", "boolean", "query", "Deprecated: use propagationPolicy."),
    _param("propagationPolicy", "string", "query", "Garbage collection of dependents: "
           "Orphan, Background or Foreground."),
]


def _camel_group(group: str) -> str:
    if not group:
        return "core"
    parts = group.removesuffix(".k8s.io").split(".")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class _GV:
    """Builds the paths of one group-version document."""

    def __init__(self, group: str, version: str, crd: bool) -> None:
        self.group, self.version = group, version
        self.prefix = "/" + gv_path(group, version)
        self.tag = f"{_camel_group(group)}_{version}"
        cg = _camel_group(group)
        self.op_prefix = cg[:1].upper() + cg[1:] + version[:1].upper() + version[1:]
        self.patch_types = _CRD_PATCH_TYPES if crd else _PATCH_TYPES
        self.response_types = _CRD_RESPONSE_TYPES if crd else _RESPONSE_TYPES
        self.paths: dict[str, Schema] = {}
        self.roots: list[str] = []

    def _content(self, name: str | None) -> Schema:
        if not name:
            return {"text/plain": {"schema": {"type": "string"}}}
        return {t: {"schema": _ref(name)} for t in self.response_types}

    def op(self, path: str, method: str, action: str, op_id: str,
           gvk: dict[str, str], schema: str | None, params: list[Schema],
           body: str | None = None) -> None:
        op: Schema = {
            "tags": [self.tag],
            "description": f"{action} {gvk['kind']}",
            "operationId": op_id,
            "parameters": params,
            "responses": {"200": {"description": "OK", "content": self._content(schema)},
                          "401": {"description": "Unauthorized"}},
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        }
        if method in ("post", "put", "patch"):
            op["responses"]["201"] = {"description": "Created",
                                      "content": self._content(schema)}
        if method == "post":
            op["responses"]["202"] = {"description": "Accepted",
                                      "content": self._content(schema)}
        if method == "patch":
            patch = {"schema": _ref(_META + "Patch")}
            op["requestBody"] = {"content": {t: patch for t in self.patch_types},
                                 "required": True}
        elif body is not None:
            op["requestBody"] = {"content": {"*/*": {"schema": _ref(body)}},
                                 "required": method != "delete"}
        self.paths.setdefault(path, {})[method] = op

    def resource(self, res: resources.Resource, kind_def: str | None,
                 list_def: str | None) -> None:
        verbs = set(res.verbs)
        gvk = {"group": self.group, "version": self.version, "kind": res.kind}
        scope = "Namespaced" if res.namespaced else ""
        ns = "/namespaces/{namespace}" if res.namespaced else ""
        coll = f"{self.prefix}{ns}/{res.plural}"
        item = coll + "/{name}"
        k = self.op_prefix + scope + res.kind
        name_param = _param("name", "string", "path", f"name of the {res.kind}", required=True)
        base = [_NAMESPACE] if res.namespaced else []
        if "list" in verbs:
            self.op(coll, "get", "list", "list" + k, gvk, list_def, base + _LIST + [_PRETTY])
            if res.namespaced:
                self.op(f"{self.prefix}/{res.plural}", "get", "list",
                        f"list{self.op_prefix}{res.kind}ForAllNamespaces", gvk, list_def,
                        _LIST + [_PRETTY])
        if "create" in verbs:
            self.op(coll, "post", "post", "create" + k, gvk, kind_def,
                    base + _WRITE + [_PRETTY], body=kind_def)
        if "deletecollection" in verbs:
            self.op(coll, "delete", "deletecollection",
                    f"delete{self.op_prefix}Collection{scope}{res.kind}", gvk,
                    _META + "Status", base + _DELETE + _LIST + [_PRETTY],
                    body=_META + "DeleteOptions")
        item_params = [name_param, *base]
        if "get" in verbs:
            self.op(item, "get", "get", "read" + k, gvk, kind_def, item_params + [_PRETTY])
        if "update" in verbs:
            self.op(item, "put", "put", "replace" + k, gvk, kind_def,
                    item_params + _WRITE + [_PRETTY], body=kind_def)
        if "patch" in verbs:
            self.op(item, "patch", "patch", "patch" + k, gvk, kind_def,
                    item_params + _WRITE + [_FORCE, _PRETTY])
        if "delete" in verbs:
            self.op(item, "delete", "delete", "delete" + k, gvk, _META + "Status",
                    item_params + _DELETE + [_PRETTY], body=_META + "DeleteOptions")

    def subresource(self, res: resources.Resource, sub: resources.Subresource,
                    parent_def: str | None) -> None:
        """A sub-path of an object. Those whose kind has no schema (log, exec,
        attach, portforward, proxy options) answer plain text."""
        group = sub.group if sub.group is not None else self.group
        version = sub.version or self.version
        kind_def = (parent_def if (group, version, sub.kind) == (self.group, self.version, res.kind)
                    else schemas.definition_name(group, version, sub.kind))
        if sub.name == "log":
            kind_def = None
        if kind_def is not None and kind_def != parent_def:
            self.roots.append(kind_def)
        gvk = {"group": group, "version": version, "kind": sub.kind}
        scope = "Namespaced" if res.namespaced else ""
        ns = "/namespaces/{namespace}" if res.namespaced else ""
        path = f"{self.prefix}{ns}/{res.plural}/{{name}}/{sub.name}"
        k = self.op_prefix + scope + res.kind + sub.name[:1].upper() + sub.name[1:]
        params = [_param("name", "string", "path", f"name of the {sub.kind or res.kind}",
                         required=True), *([_NAMESPACE] if res.namespaced else [])]
        for verb in sub.verbs:
            if verb == "get":
                self.op(path, "get", "get", "read" + k, gvk, kind_def, params + [_PRETTY])
            elif verb == "update":
                self.op(path, "put", "put", "replace" + k, gvk, kind_def,
                        params + _WRITE + [_PRETTY], body=kind_def)
            elif verb == "patch":
                self.op(path, "patch", "patch", "patch" + k, gvk, kind_def,
                        params + _WRITE + [_FORCE, _PRETTY])
            elif verb == "create":
                self.op(path, "post", "post", "create" + k, gvk, kind_def,
                        params + _WRITE + [_PRETTY], body=kind_def)
            elif verb == "delete":
                self.op(path, "delete", "delete", "delete" + k, gvk, kind_def,
                        params + [_PRETTY])


# --------------------------------------------------------------------------- documents


def _build(table: resources.ResourceTable, group: str, version: str,
           provider: SchemaProvider | None) -> Schema | None:
    served = table.in_group_version(group, version)
    if not served:
        return None
    crd = all(r.crd is not None for r in served)
    gv = _GV(group, version, crd)
    gv.roots += [_META + n for n in ("DeleteOptions", "Status", "Patch", "WatchEvent")]
    extra: dict[str, Schema] = {}
    kind_def: str | None
    list_def: str | None
    for res in served:
        if res.crd is not None:
            comps = _crd_components(res, version, provider)
            extra.update(comps)
            kind_def, list_def = list(comps)
            gv.roots += [_META + "ObjectMeta", _META + "ListMeta"]
        else:
            kind_def = schemas.definition_name(group, version, res.kind)
            list_def = schemas.definition_name(group, version, res.kind + "List")
            gv.roots += [d for d in (kind_def, list_def) if d is not None]
        gv.resource(res, kind_def, list_def)
        for sub in res.subresources:
            gv.subresource(res, sub, kind_def)
    components = {name: _component(name) for name in _reachable(gv.roots)}
    components.update(extra)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": K8S_VERSION},
        "paths": gv.paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }


class _Cache:
    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.docs: dict[tuple[str, SchemaProvider | None],
                        tuple[Schema, bytes, str] | None] = {}


_CACHES: weakref.WeakKeyDictionary[resources.ResourceTable, _Cache] = (
    weakref.WeakKeyDictionary())


def _cached(table: resources.ResourceTable, path: str,
            provider: SchemaProvider | None) -> tuple[Schema, bytes, str] | None:
    cache = _CACHES.get(table)
    if cache is None or cache.generation != table.generation:
        cache = _CACHES[table] = _Cache(table.generation)
    key = (path.strip("/"), provider)
    if key not in cache.docs:
        gv = parse_gv_path(key[0])
        doc = _build(table, gv[0], gv[1], provider) if gv is not None else None
        if doc is None:
            cache.docs[key] = None
        else:
            body = orjson.dumps(doc)
            cache.docs[key] = (doc, body, hashlib.sha512(body).hexdigest().upper())
    return cache.docs[key]


def v3_document(table: resources.ResourceTable, gv_path: str,
                schema_provider: SchemaProvider | None = None) -> Schema | None:
    """The OpenAPI v3 document of one group-version (``api/v1``,
    ``apis/apps/v1``), or None if the table serves nothing there.
    Cached and shared: do not mutate."""
    hit = _cached(table, gv_path, schema_provider)
    return hit[0] if hit is not None else None


def v3_document_bytes(table: resources.ResourceTable, gv_path: str,
                      schema_provider: SchemaProvider | None = None) -> bytes | None:
    """``v3_document`` serialized (cached): what ``/openapi/v3/<gv>`` answers."""
    hit = _cached(table, gv_path, schema_provider)
    return hit[1] if hit is not None else None


def v3_index(table: resources.ResourceTable,
             schema_provider: SchemaProvider | None = None) -> Schema:
    """``/openapi/v3``: every served group-version with a URL whose ``hash``
    is the SHA-512 of its document, so clients can cache by URL."""
    paths: dict[str, Schema] = {}
    for group, versions in table.groups():
        for version in versions:
            path = gv_path(group, version)
            hit = _cached(table, path, schema_provider)
            if hit is not None:
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={hit[2]}"}
    return {"paths": paths}
