"""RFC 7386 merge patch (``application/merge-patch+json``).

json-patch v4's ``MergePatch``: objects merge, ``null`` deletes, anything else
replaces. A ``null`` body is 400 ``Invalid JSON Patch``, a non-object body 400
``error decoding patch: ...``. Pure; ``patch`` re-exports ``apply_merge_patch``;
``strategicpatch`` is the schema-aware variant.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.registry import patchcore

Obj = dict[str, Any]


def _prune_nulls(v: Any) -> Any:
    """A copy of a value entering the document: null members dropped at every
    depth, null array elements kept (json-patch v4 ``pruneNulls``)."""
    if isinstance(v, dict):
        return {k: _prune_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_prune_nulls(x) for x in v]
    return v


def _merge_docs(doc: Obj, patch: Obj) -> None:
    for k, v in patch.items():
        if v is None:
            doc.pop(k, None)
            continue
        cur = doc.get(k)
        if not isinstance(cur, dict):
            doc[k] = _prune_nulls(v)
        elif isinstance(v, dict):
            _merge_docs(cur, v)
        else:
            doc[k] = patchcore.copy(v)


def apply_merge_patch(doc: Obj, patch: Any) -> Obj:
    """Apply an RFC 7386 merge patch to a copy of ``doc``: objects merge, ``null``
    deletes, any other value replaces. The patch itself must be an object."""
    if patch is None:
        raise errors.BadRequest("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise errors.BadRequest(f"error decoding patch: json: cannot unmarshal "
                                f"{patchcore.json_kind(patch)} into Go value of type "
                                "map[string]interface {}")
    out: Obj = patchcore.copy(doc)
    _merge_docs(out, patch)
    return out
