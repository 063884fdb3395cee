"""Per-kind write behaviour that is data: name rules, status handling, create-on-update.

Like kube-apiserver's per-resource ``RESTCreateStrategy``/``RESTUpdateStrategy``,
but as lookup tables so adding a kind is adding a row.
"""

from __future__ import annotations

from typing import Any

from minik8s.api.resources import Resource
from minik8s.api import objects

Obj = dict[str, Any]

#: resource key -> name rule (names.RULES); default "subdomain"
NAME_RULES: dict[str, str] = {
    "namespaces": "label",
    "services": "dns1035",
    "roles.rbac.authorization.k8s.io": "path",
    "clusterroles.rbac.authorization.k8s.io": "path",
    "rolebindings.rbac.authorization.k8s.io": "path",
    "clusterrolebindings.rbac.authorization.k8s.io": "path",
    "events": "path",
    "events.events.k8s.io": "path",
    "serviceaccounts": "subdomain",
}

#: PUT of a missing object creates it (AllowCreateOnUpdate in the real strategies)
CREATE_ON_UPDATE: frozenset[str] = frozenset({
    "endpoints", "events", "events.events.k8s.io", "leases.coordination.k8s.io",
    "limitranges", "roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
    "endpointslices.discovery.k8s.io", "podtemplates",
})

#: create keeps the status the client sent (kubelets create Nodes with status)
KEEP_STATUS_ON_CREATE: frozenset[str] = frozenset({"nodes"})

#: a finished DELETE answers with the deleted object (ReturnDeletedObject in the real
#: storage); every other kind answers a Status naming it (name, group, plural, uid)
RETURN_DELETED_OBJECT: frozenset[str] = frozenset({
    "pods", "services", "serviceaccounts", "persistentvolumes", "persistentvolumeclaims",
    "namespaces",
})

#: top-level keys that are not "spec" for generation purposes
NON_SPEC_KEYS = frozenset({"metadata", "status", "apiVersion", "kind"})


def name_rule(res: Resource) -> str:
    if res.crd:
        return "subdomain"
    return NAME_RULES.get(res.key, "subdomain")


def has_status_subresource(res: Resource) -> bool:
    return res.has_status


def spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in NON_SPEC_KEYS}


def prepare_for_create(res: Resource, obj: Obj) -> None:
    if has_status_subresource(res) and res.key not in KEEP_STATUS_ON_CREATE:
        if res.key in ("pods",):
            obj["status"] = {}
        else:
            obj.pop("status", None)


def prepare_for_update(res: Resource, new: Obj, old: Obj) -> None:
    """Main-resource update: status is owned by the status subresource."""
    if has_status_subresource(res):
        if "status" in old:
            new["status"] = objects.deep_copy(old["status"])
        else:
            new.pop("status", None)


def prepare_for_status_update(res: Resource, new: Obj, old: Obj) -> Obj:
    """Status update: only ``status`` changes (ResetObjectMetaForStatus).

    The result shares everything but its top level and ``metadata`` with ``old``
    (stored objects are immutable): the rest of a status write changes only those
    two levels (resourceVersion, generation, managedFields) and ``status``, which
    comes from ``new`` (the request's own copy)."""
    out = dict(old)
    out["metadata"] = dict(old["metadata"])
    if "status" in new:
        out["status"] = new["status"]
    else:
        out.pop("status", None)
    mf = (new.get("metadata") or {}).get("managedFields")
    if mf is not None:
        out["metadata"]["managedFields"] = mf
    return out


def bump_generation(res: Resource, new: Obj, old: Obj) -> None:
    md = new["metadata"]
    gen = old.get("metadata", {}).get("generation")
    if not (res.has_generation or res.crd):
        if gen is not None:
            md["generation"] = gen
        return
    gen = gen or 1
    md["generation"] = gen + 1 if spec_part(new) != spec_part(old) else gen
