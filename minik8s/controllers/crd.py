"""CustomResourceDefinition controllers: establishing and finalizing, as apiextensions does.

A new or changed CRD becomes (or updates) a row in the resource table —
served in discovery, OpenAPI and the REST paths — and gets its
``NamesAccepted``/``Established`` conditions. A CRD being deleted first loses
every instance, then its resource, then its finalizer.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import crd, errors
from minik8s.registry.registry import WriteOptions
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result
from minik8s.api import objects

Obj = dict[str, Any]


def setup(ctx: ControllerContext) -> None:
    reg = ctx.client.reg
    crds = ctx.informers.informer("apiextensions.k8s.io/v1", "customresourcedefinitions")
    crd_res = reg.table.by_key(crd.KEY)
    assert crd_res is not None

    def conflict(obj: Obj) -> str | None:
        names = obj["spec"]["names"]
        group = obj["spec"]["group"]
        for r in reg.table:
            if r.group != group or r.crd == obj["metadata"]["name"]:
                continue
            if r.plural == names["plural"]:
                return f'"{names["plural"]}" is already in use'
            if r.kind == names["kind"]:
                return f'"{names["kind"]}" is already in use'
        return None

    def reconcile(name: str) -> Result | None:
        obj = crds.get("", name)
        if obj is None:
            return None
        key = f"{obj['spec']['names']['plural']}.{obj['spec']['group']}"
        if obj["metadata"].get("deletionTimestamp"):
            res = reg.table.by_key(key)
            if res is not None and res.crd == name:
                for o in list(reg.store.resource(key).objects.values()):
                    if not o["metadata"].get("deletionTimestamp"):
                        try:
                            reg.delete(res, o["metadata"].get("namespace", ""), o["metadata"]["name"],
                                       {"propagationPolicy": "Background"})
                        except errors.NotFound:
                            pass
                if reg.store.resource(key).objects:
                    return Result(requeue_after=1.0)  # instances with finalizers: wait
                reg.table.remove(key)
                reg.store.drop_resource(key)
            new = objects.deep_copy(obj)
            new["metadata"]["finalizers"] = [f for f in obj["metadata"].get("finalizers") or ()
                                             if f != crd.FINALIZER]
            reg._update_from(crd_res, new, obj, WriteOptions(), None)
            return None
        why = conflict(obj)
        new = objects.deep_copy(obj)
        if why is not None:
            new["status"] = {"conditions": [{
                "type": "NamesAccepted", "status": "False", "lastTransitionTime": ctx.clock.rfc3339(),
                "reason": "NameConflict", "message": why}],
                "acceptedNames": {"plural": "", "kind": ""}, "storedVersions": []}
        else:
            reg.table.add(crd.resource_from_crd(obj))
            new["status"] = crd.established_status(obj, ctx.clock.rfc3339())
        if new != obj:
            reg._update_from(crd_res, new, obj, WriteOptions(), "status")
        return None

    ctrl = ctx.manager.add("crd-controller", reconcile)
    crds.add_handler(lambda et, o, old: ctrl.enqueue(o["metadata"]["name"]) if et != "DELETED" else None)
