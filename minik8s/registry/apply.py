"""Server-side apply (``application/apply-patch+yaml``).

Creates the object when absent, otherwise merges the applied configuration
into the live object with the strategic-merge rules of the kind's schema.
Field ownership (managedFields, conflicts, removal of fields a manager
stopped applying) is tracked by ``registry.fieldmanager`` when present.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from minik8s.api import errors
from minik8s.api.resources import Resource

if TYPE_CHECKING:
    from minik8s.registry.registry import Context, Registry, WriteOptions

Obj = dict[str, Any]


def server_side_apply(reg: "Registry", res: Resource, ns: str, name: str, patch: Any,
                      old: Obj | None, opts: "WriteOptions", ctx: "Context | None",
                      subresource: str | None) -> Obj:
    from minik8s.registry import patch as patches

    if not opts.field_manager:
        raise errors.Invalid("PatchOptions", "meta.k8s.io", "", [errors.FieldError(
            "required", "fieldManager", detail="is required for apply patch")])
    if not isinstance(patch, dict):
        raise errors.BadRequest("error decoding YAML: the applied configuration must be an object")
    version = opts.version or res.storage_version
    body = copy.deepcopy(patch)
    md = body.setdefault("metadata", {})
    if not isinstance(md, dict):
        raise errors.BadRequest("metadata must be an object")
    if md.get("name") and md["name"] != name:
        raise errors.BadRequest(
            f"the name of the object ({md['name']}) does not match the name on the URL ({name})")
    md["name"] = name
    if old is None:
        if subresource is not None:
            raise errors.NotFound.for_resource(res.group, res.plural, name)
        return reg.create(res, ns, body, opts, ctx)
    current = reg.to_version(res, old, version)
    meta = reg._patch_meta(res, version) if not res.crd else None
    merged = patches.apply_strategic_merge_patch(current, _strip_nulls(body), meta) \
        if meta is not None else patches.apply_merge_patch(current, _strip_nulls(body))
    merged["metadata"].pop("resourceVersion", None)
    if md.get("resourceVersion"):
        merged["metadata"]["resourceVersion"] = md["resourceVersion"]
    merged = reg._check_kind(res, merged, version)
    reg._field_validation(res, merged, version, opts, ctx)
    merged = reg.to_version(res, merged, res.storage_version)
    return reg._update_from(res, merged, old, opts, subresource)


def _strip_nulls(d: Any) -> Any:
    """An applied config has no deletion directives: nulls mean 'not set'."""
    if isinstance(d, dict):
        return {k: _strip_nulls(v) for k, v in d.items() if v is not None}
    if isinstance(d, list):
        return [_strip_nulls(v) for v in d]
    return d
