"""Patch application: RFC 6902 JSON patch, RFC 7386 merge patch, strategic merge patch.

Role: pure functions over plain-dict objects, no I/O. The PATCH handler picks one
by Content-Type (``PATCH_TYPES``, ``patch_kind``), applies it to the stored object
and then runs the usual update path (defaulting, validation, storage); apply
patches (``application/apply-patch+yaml``) are done by the server-side-apply code.
Strategic merge is driven by the metadata trees of ``api.schemas.patch_meta``.

This is the public module: the content types live here, the patch kinds in
``jsonpatch`` (RFC 6902), ``mergepatch`` (RFC 7386) and ``strategicpatch``, and
what they share (Go-compatible JSON value helpers, ``PatchRejected``) in
``patchcore``; their public names are re-exported below.

Behaviour and error answers follow kube-apiserver, which delegates to libraries:

* JSON patch = gopkg.in/evanphx/json-patch.v4 (v4.12.0) as called from
  apiserver ``handlers/patch.go`` ``applyJSPatch``: a body that is not a list of
  ops is 400 ``error decoding patch: ...``; any failing op is 422 ``Invalid`` whose
  message is only ``the server rejected our request due to an error in our
  request`` (``NewGenericServerResponse(422)`` drops the library text; we keep it
  in ``PatchRejected.detail``). v4 quirks kept: negative array indexes count from
  the end, ``replace`` of a missing object member adds it, a ``test`` of a missing
  member against ``null`` passes.
* Merge patch = the same library's ``MergePatch``: a ``null`` body is 400
  ``Invalid JSON Patch``, a non-object body 400 ``error decoding patch: ...``.
* Strategic merge = apimachinery ``strategicpatch.StrategicMergeMapPatch``. Its
  sentinel errors are mapped like ``interpretStrategicMergePatchError``: bad
  directive formats 400 with the library message, lists of lists 422. Every
  other library error (missing merge key, unknown ``$patch`` value, order
  mismatch...) is a plain ``error`` there, hence a 500 with the library message;
  here it is 400 ``BadRequest`` with the same message, never a 500.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.registry import patchcore
from minik8s.registry.jsonpatch import MAX_JSON_PATCH_OPERATIONS, apply_json_patch
from minik8s.registry.mergepatch import apply_merge_patch
from minik8s.registry.patchcore import PatchRejected
from minik8s.registry.strategicpatch import PatchMeta, apply_strategic_merge_patch

__all__ = [
    "APPLY_PATCH", "BUILTIN_PATCH_TYPES", "CUSTOM_PATCH_TYPES", "JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS", "MERGE_PATCH", "PATCH_TYPES", "STRATEGIC_MERGE_PATCH", "Obj",
    "PatchMeta", "PatchRejected", "apply_json_patch", "apply_merge_patch",
    "apply_strategic_merge_patch", "patch_kind", "unsupported_patch_type",
]

Obj = dict[str, Any]

#: JSON equality where 1, 1.0 and true differ; kept under its old name for the tests.
_json_equal = patchcore.json_equal

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

#: Content type → kind of patch: "json" (``apply_json_patch``), "merge"
#: (``apply_merge_patch``), "strategic" (``apply_strategic_merge_patch``), "apply"
#: (server-side apply, not in this module).
PATCH_TYPES: dict[str, str] = {
    JSON_PATCH: "json",
    MERGE_PATCH: "merge",
    STRATEGIC_MERGE_PATCH: "strategic",
    APPLY_PATCH: "apply",
}
#: Accepted types in the order kube-apiserver lists them in its 415 message.
BUILTIN_PATCH_TYPES: tuple[str, ...] = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
CUSTOM_PATCH_TYPES: tuple[str, ...] = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


def unsupported_patch_type(content_type: str, allowed: tuple[str, ...] | list[str]
                           ) -> errors.UnsupportedMediaType:
    """The 415 for a PATCH whose Content-Type is not in ``allowed`` (the real text
    lists the accepted types, not the rejected one)."""
    return errors.UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(allowed))


def patch_kind(content_type: str, allowed: tuple[str, ...] | list[str] = BUILTIN_PATCH_TYPES
               ) -> str:
    """``PATCH_TYPES`` kind of a request's Content-Type; ``;`` and what follows
    (a charset) are cut off as the real handler does, nothing else is trimmed."""
    cut = content_type.find(";")
    base = content_type[:cut] if cut > 0 else content_type
    if base not in allowed or base not in PATCH_TYPES:
        raise unsupported_patch_type(content_type, allowed)
    return PATCH_TYPES[base]
