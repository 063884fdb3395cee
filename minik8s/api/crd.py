"""CustomResourceDefinitions: validate the definition, derive the served ``Resource``.

A CRD becomes a row of the resource table (``Resource`` with ``crd`` set);
its per-version schema, printer columns, subresources and selectable fields
ride along in ``CrdVersions`` so the registry, tables and OpenAPI can read
them. Pure; the establishing controller lives in ``controllers.crd``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from minik8s.api.errors import FieldError
from minik8s.api.resources import SUB_RW, Resource, Subresource

Obj = dict[str, Any]
FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
KEY = "customresourcedefinitions.apiextensions.k8s.io"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclasses.dataclass
class CrdVersion:
    name: str
    served: bool
    storage: bool
    schema: Obj | None
    printer_columns: list[Obj] | None
    status: bool
    scale: Obj | None
    selectable_fields: list[str]


def versions(crd: Obj) -> dict[str, CrdVersion]:
    out = {}
    for v in (crd.get("spec") or {}).get("versions") or ():
        if not isinstance(v, dict) or not v.get("name"):
            continue
        subs = v.get("subresources") or {}
        out[v["name"]] = CrdVersion(
            name=v["name"], served=bool(v.get("served")), storage=bool(v.get("storage")),
            schema=((v.get("schema") or {}).get("openAPIV3Schema")),
            printer_columns=v.get("additionalPrinterColumns"),
            status="status" in subs, scale=subs.get("scale"),
            selectable_fields=[str(f.get("jsonPath", "")).lstrip(".")
                               for f in v.get("selectableFields") or () if isinstance(f, dict)])
    return out


def _version_key(v: str) -> tuple[int, int, int, str]:
    """Kubernetes version priority: GA > beta > alpha, higher numbers first."""
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (3, 0, 0, v)
    major = int(m.group(1))
    stage = {"": 0, "beta": 1, "alpha": 2}[m.group(2) or ""]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, v)


def resource_from_crd(crd: Obj) -> Resource:
    spec = crd["spec"]
    names = spec["names"]
    vs = versions(crd)
    served = sorted((v for v in vs.values() if v.served), key=lambda v: _version_key(v.name))
    storage = next(v.name for v in vs.values() if v.storage)
    pref = served[0] if served else vs[storage]
    subs: list[Subresource] = []
    if pref.status:
        subs.append(Subresource("status", names["kind"], SUB_RW))
    if pref.scale:
        subs.append(Subresource("scale", "Scale", SUB_RW, "autoscaling", "v1"))
    return Resource(
        group=spec["group"], versions=tuple(v.name for v in served) or (storage,),
        kind=names["kind"], plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        subresources=tuple(subs), storage_version=storage,
        field_labels=tuple(pref.selectable_fields), crd=crd["metadata"]["name"],
        crd_versions=vs,
    )


def validate_crd(crd: Obj) -> list[FieldError]:
    """The checks apiextensions' validation makes that users trip over."""
    errs: list[FieldError] = []
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    group = spec.get("group") or ""
    names = spec.get("names") or {}
    plural = names.get("plural") or ""
    name = (crd.get("metadata") or {}).get("name", "")
    if not group:
        errs.append(FieldError("required", "spec.group"))
    elif "." not in group:
        errs.append(FieldError("invalid", "spec.group", group, "should be a domain with at least one dot"))
    if not plural:
        errs.append(FieldError("required", "spec.names.plural"))
    elif not _DNS_LABEL.match(plural):
        errs.append(FieldError("invalid", "spec.names.plural", plural,
                               "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                               "characters or '-', and must start and end with an alphanumeric character"))
    if plural and group and name != f"{plural}.{group}":
        errs.append(FieldError("invalid", "metadata.name", name,
                               "must be spec.names.plural+\".\"+spec.group"))
    kind = names.get("kind") or ""
    if not kind:
        errs.append(FieldError("required", "spec.names.kind"))
    elif not _KIND.match(kind):
        errs.append(FieldError("invalid", "spec.names.kind", kind,
                               "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"))
    if names.get("listKind") and names["listKind"] == kind:
        errs.append(FieldError("invalid", "spec.names.listKind", names["listKind"],
                               "kind and listKind may not be the same"))
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        errs.append(FieldError("not_supported", "spec.scope", scope, supported=["Cluster", "Namespaced"]))
    vlist = spec.get("versions") or []
    if not vlist:
        errs.append(FieldError("invalid", "spec.versions", vlist, "must have exactly one version marked as storage version"))
        return errs
    storage = [v for v in vlist if isinstance(v, dict) and v.get("storage")]
    if len(storage) != 1:
        errs.append(FieldError("invalid", "spec.versions", vlist,
                               "must have exactly one version marked as storage version"))
    if not any(isinstance(v, dict) and v.get("served") for v in vlist):
        errs.append(FieldError("invalid", "spec.versions", vlist, "must have at least one version marked as served"))
    seen: set[str] = set()
    for i, v in enumerate(vlist):
        if not isinstance(v, dict):
            continue
        vname = v.get("name") or ""
        if not _DNS1035.match(vname):
            errs.append(FieldError("invalid", f"spec.versions[{i}].name", vname,
                                   "a DNS-1035 label must consist of lower case alphanumeric characters "
                                   "or '-', start with an alphabetic character, and end with an "
                                   "alphanumeric character"))
        if vname in seen:
            errs.append(FieldError("duplicate", f"spec.versions[{i}].name", vname))
        seen.add(vname)
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if schema is None:
            errs.append(FieldError("required", f"spec.versions[{i}].schema.openAPIV3Schema",
                                   detail="schemas are required"))
        elif isinstance(schema, dict) and schema.get("type") not in ("object",):
            errs.append(FieldError("invalid", f"spec.versions[{i}].schema.openAPIV3Schema.type",
                                   schema.get("type"), "must be object at the root"))
    return errs


def established_status(crd: Obj, now: str) -> Obj:
    spec = crd["spec"]
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    old = crd.get("status") or {}
    stored = list(old.get("storedVersions") or [])
    if storage not in stored:
        stored.append(storage)
    conds = [
        {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
         "reason": "NoConflicts", "message": "no conflicts found"},
        {"type": "Established", "status": "True", "lastTransitionTime": now,
         "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
    ]
    old_conds = {c.get("type"): c for c in old.get("conditions") or ()}
    for c in conds:
        prev = old_conds.get(c["type"])
        if prev and prev.get("status") == c["status"]:
            c["lastTransitionTime"] = prev.get("lastTransitionTime", now)
    return {"acceptedNames": names, "conditions": conds, "storedVersions": stored}


def defaults(crd: Obj) -> None:
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and names.get("kind"):
        names.setdefault("singular", str(names["kind"]).lower())
        names.setdefault("listKind", f"{names['kind']}List")
    spec.setdefault("conversion", {"strategy": "None"})
