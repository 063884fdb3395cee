"""Server-side apply (``application/apply-patch+yaml``): the request side.

Checks the request as the real patch handler does (a field manager is
required, the configuration names this kind and object, no managedFields),
lets ``registry.fieldmanager`` merge it into the live object with field
ownership (conflicts, removal of fields the manager stopped applying), then
hands the result to the ordinary write path: ``Registry.create`` when the
object is missing, ``Registry._update_from`` otherwise, both told that
managedFields are already settled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minik8s.api import errors, objects
from minik8s.api.resources import Resource
from minik8s.registry import fieldmanager, strategy

if TYPE_CHECKING:
    from minik8s.registry.registry import Context, Registry, WriteOptions

Obj = dict[str, Any]


def _gvk(body: Obj) -> str:
    group, _, version = str(body.get("apiVersion") or "").rpartition("/")
    return f"{group}/{version}, Kind={body.get('kind') or ''}"


def server_side_apply(reg: Registry, res: Resource, ns: str, name: str, patch: Any,
                      old: Obj | None, opts: WriteOptions, ctx: Context | None,
                      subresource: str | None) -> Obj:
    if not opts.field_manager:
        raise errors.Invalid("PatchOptions", "meta.k8s.io", "", [errors.FieldError(
            "required", "fieldManager", detail="is required for apply patch")])
    if not isinstance(patch, dict):
        raise errors.BadRequest("error decoding YAML: the applied configuration must be an object")
    version = opts.version or res.storage_version
    body = objects.deep_copy(patch)
    if body.get("apiVersion") != res.api_version(version) or body.get("kind") != res.kind:
        raise errors.BadRequest(f"invalid object type: {_gvk(body)}")
    md = body.setdefault("metadata", {})
    if not isinstance(md, dict):
        raise errors.BadRequest("metadata must be an object")
    if md.get("name") and md["name"] != name:
        raise errors.BadRequest(
            f"the name of the object ({md['name']}) does not match the name on the URL ({name})")
    if res.namespaced and md.get("namespace") and ns and md["namespace"] != ns:
        raise errors.BadRequest("the namespace of the provided object does not match the "
                                "namespace sent on the request")
    md["name"] = name
    if old is None and subresource is not None:
        raise errors.NotFound.for_resource(res.group, res.plural, name)
    reg._field_validation(res, body, version, opts, ctx)
    live = None if old is None else objects.deep_copy(reg.to_version(res, old, version))
    new = fieldmanager.apply(
        live, body, manager=opts.field_manager, force=opts.force,
        api_version=res.api_version(version), now=reg._now(),
        meta=fieldmanager.type_of(reg, res, version), subresource=subresource,
        has_status=strategy.has_status_subresource(res))
    if old is None:
        return reg.create(res, ns, new, opts, ctx, fields_managed=True)
    new_md = new["metadata"]
    new_md.pop("resourceVersion", None)
    if md.get("resourceVersion"):  # a precondition only when the configuration sets one
        new_md["resourceVersion"] = md["resourceVersion"]
    new = reg.to_version(res, new, res.storage_version)
    return reg._update_from(res, new, old, opts, subresource, fields_managed=True)
