"""Schemas as server-side apply reads them: which lists and maps are granular.

Role: compiles a built-in kind's definition (``api.schemas``) or a custom
resource's structural schema into ``Type`` trees, as kube-openapi's
schemaconv does for structured-merge-diff. ``registry.fieldvalues`` walks
objects along them; ``registry.fieldmanager`` asks for them by kind.

A list is atomic unless its schema says ``x-kubernetes-list-type: set|map``
(or, lacking that, has a merge patch strategy, with its merge key as the
list-map key); a map or struct is granular unless ``x-kubernetes-map-type:
atomic``. Objects here are plain dicts, not Go structs, so three Go
behaviours the real field sets depend on are kept as data: struct fields
that are values rather than pointers (present as ``{}`` even when unset:
``spec``, ``template``, ``resources``...), fields without ``omitempty``
that read back as ``null`` (``PodSpec.containers``), and list-map key
defaults the real OpenAPI carries and ours lacks (``protocol: TCP``).
"""

from __future__ import annotations

import functools
from typing import Any

from minik8s.api import schemas

_RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
_SCALARS = frozenset({"io.k8s.apimachinery.pkg.api.resource.Quantity",
                      "io.k8s.apimachinery.pkg.util.intstr.IntOrString"})
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

#: Go value (non-pointer) struct fields below the top level: an unset one still
#: serializes as ``{}``, so it is never "added" or "removed" as a whole.
_VALUE_STRUCTS: dict[str, tuple[str, ...]] = {
    "io.k8s.api.apps.v1.DeploymentSpec": ("template", "strategy"),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("template",),
    "io.k8s.api.batch.v1.JobSpec": ("template",),
    "io.k8s.api.batch.v1.CronJobSpec": ("jobTemplate",),
    "io.k8s.api.batch.v1.JobTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.core.v1.PodTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.core.v1.PodTemplate": ("template",),
    "io.k8s.api.core.v1.Container": ("resources",),
    "io.k8s.api.core.v1.EphemeralContainer": ("resources",),
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": ("resources",),
    "io.k8s.api.core.v1.ServiceStatus": ("loadBalancer",),
    "io.k8s.api.core.v1.NodeStatus": ("daemonEndpoints", "nodeInfo"),
    "io.k8s.api.core.v1.NodeDaemonEndpoints": ("kubeletEndpoint",),
    "io.k8s.api.networking.v1.IngressStatus": ("loadBalancer",),
    "io.k8s.api.core.v1.Event": ("involvedObject", "source"),
}
#: Go fields without ``omitempty`` whose unset value reads back as ``null``
_NULL_FIELDS: dict[str, tuple[str, ...]] = {
    "io.k8s.api.core.v1.PodSpec": ("containers",),
}
#: list-map key defaults from the real OpenAPI (``+default=``), missing in ours
_KEY_DEFAULTS: dict[str, dict[str, Any]] = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "TCP"},
}


# --------------------------------------------------------------------------- types


class Type:
    """One compiled schema node; a value picks its side (map, list, scalar).

    ``fields``: struct fields; ``elem``: map values not in ``fields``, or list
    items; ``keys``: sorted list-map keys (``()`` for a set) when the list is
    granular; ``defaults``: field defaults (list-map keys may default);
    ``value_structs`` / ``null_fields``: see the module docstring.
    """

    __slots__ = ("defaults", "elem", "fields", "keys", "list_atomic", "map_atomic",
                 "null_fields", "omit_empty", "value_structs")

    def __init__(self) -> None:
        self.fields: dict[str, Type] | None = None
        self.elem: Type | None = None
        self.map_atomic = False
        self.list_atomic = True
        self.keys: tuple[str, ...] = ()
        self.defaults: dict[str, Any] | None = None
        self.value_structs: frozenset[str] = frozenset()
        self.null_fields: frozenset[str] = frozenset()
        #: a built-in (Go-typed) kind's field: empty lists and maps are omitted
        self.omit_empty = False

    def copy(self) -> Type:
        t = Type()
        for s in Type.__slots__:
            setattr(t, s, getattr(self, s))
        return t

    def child(self, name: str) -> Type:
        f = self.fields
        if f is not None:
            t = f.get(name)
            if t is not None:
                return t
        return self.elem or DEDUCED


#: untyped, as smd's ``__untyped_deduced_``: maps granular, lists atomic
DEDUCED = Type()
DEDUCED.elem = DEDUCED
#: untyped and atomic all the way (RawExtension, scalars)
ATOMIC = Type()
ATOMIC.map_atomic = True


@functools.cache
def _kind_definitions() -> frozenset[str]:
    return frozenset(schemas.kinds().values())


_named_memo: dict[str, Type] = {}


def _named(name: str) -> Type:
    t = _named_memo.get(name)
    if t is not None:
        return t
    if name == _RAW_EXTENSION or name in _SCALARS:
        return ATOMIC
    t = Type()
    _named_memo[name] = t  # before filling: definitions are recursive
    _fill(t, schemas.definition(name), name)
    return t


def _compile(schema: Any, crd: bool = False) -> Type:
    if not isinstance(schema, dict):
        return DEDUCED
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        t = _named(ref[len("#/$defs/"):])
        mt = schema.get("x-kubernetes-map-type")
        if mt in ("atomic", "granular") and (mt == "atomic") != t.map_atomic:
            t = t.copy()
            t.map_atomic = mt == "atomic"
        return t
    t = Type()
    _fill(t, schema, None, crd)
    return t


def _fill(t: Type, schema: dict[str, Any], name: str | None, crd: bool = False) -> None:
    t.map_atomic = schema.get("x-kubernetes-map-type") == "atomic"
    t.omit_empty = not crd
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        t.fields = {k: _compile(v, crd) for k, v in props.items()}
        dflt = {k: v["default"] for k, v in props.items()
                if isinstance(v, dict) and "default" in v}
        dflt.update(_KEY_DEFAULTS.get(name or "", {}))
        t.defaults = dflt or None
        vs = set(_VALUE_STRUCTS.get(name or "", ()))
        if name in _kind_definitions():
            vs |= {"metadata", "spec", "status"} & set(props)
        t.value_structs = frozenset(vs)
        t.null_fields = frozenset(_NULL_FIELDS.get(name or "", ()))
    extra = schema.get("additionalProperties")
    items = schema.get("items")
    if isinstance(extra, dict):
        t.elem = _compile(extra, crd)
    elif isinstance(items, dict):
        t.elem = _compile(items, crd)
        lt = schema.get("x-kubernetes-list-type")
        strategy = str(schema.get("x-kubernetes-patch-strategy") or "")
        if lt == "set":
            t.list_atomic, t.keys = False, ()
        elif lt == "map":
            t.list_atomic, t.keys = False, tuple(sorted(schema.get("x-kubernetes-list-map-keys") or ()))
        elif lt is None and "merge" in strategy.split(","):
            key = schema.get("x-kubernetes-patch-merge-key")
            t.list_atomic, t.keys = False, (key,) if key else ()
    else:
        t.elem = DEDUCED
    if crd and schema.get("x-kubernetes-embedded-resource") and t.fields is not None:
        t.fields = {**t.fields, "metadata": _named(_OBJECT_META)}


@functools.cache
def type_for(group: str, version: str, kind: str) -> Type:
    """The type of a built-in kind (``DEDUCED`` for kinds without a schema). Cached: the
    built-in schemas never change, nor does a compiled type (``_named_memo`` keeps each)."""
    name = schemas.definition_name(group, version, kind)
    return _named(name) if name is not None else DEDUCED


_crd_memo: dict[int, tuple[Any, Type]] = {}


def type_for_crd(schema: dict[str, Any] | None) -> Type:
    """The type of a custom resource version's ``openAPIV3Schema`` (metadata typed
    as ObjectMeta, as apiextensions-apiserver does)."""
    if not schema:
        t = DEDUCED.copy()
        t.fields = {"metadata": _named(_OBJECT_META)}
        return t
    hit = _crd_memo.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    t = _compile(schema, crd=True)
    t = t.copy()
    t.fields = {**(t.fields or {}), "metadata": _named(_OBJECT_META)}
    t.value_structs = t.value_structs | {"metadata"}
    _crd_memo[id(schema)] = (schema, t)
    return t
