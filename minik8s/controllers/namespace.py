"""Namespace controller: a Terminating namespace loses its contents, then itself.

Reconciles one namespace name: if it is being deleted, delete every
namespaced object in it (each through the normal delete path); once nothing
is left, clear the ``kubernetes`` finalizer so the namespace goes away.
"""

from __future__ import annotations

from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.runtime.controller import Result
from minik8s.runtime.context import ControllerContext

Obj = dict[str, Any]
NAME = "namespace-controller"


def setup(ctx: ControllerContext) -> None:
    mgr, informers, client = ctx.manager, ctx.informers, ctx.client
    reg = client.reg
    namespaces = informers.informer("v1", "namespaces")

    grace = float(ctx.settings("namespace").get("deletionGracePeriod", 5.0))

    def reconcile(name: str) -> Result | None:
        ns = namespaces.get("", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        # like namespaceDeletionGracePeriod: give in-flight deletes of the contents (kubectl
        # delete -f with the namespace in it) time to land before emptying the namespace
        age = ctx.clock.now() - parse_rfc3339(ns["metadata"]["deletionTimestamp"])
        if age < grace:
            return Result(requeue_after=grace - age)
        for res in reg.table:
            if not res.namespaced or res.virtual:
                continue
            for o in list(reg.store.resource(res.key).by_namespace.get(name, {}).values()):
                if o["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    reg.delete(res, name, o["metadata"]["name"], {"propagationPolicy": "Background"})
                except errors.NotFound:
                    pass
        left = sum(len(reg.store.resource(r.key).by_namespace.get(name, {}))
                   for r in reg.table if r.namespaced and not r.virtual)
        if left:
            return None  # woken again by each deletion in the namespace
        fins = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != "kubernetes"]
        reg.finalize_namespace(name, fins)
        return None

    ctrl = mgr.add(NAME, reconcile)

    def on_event(res: Resource, etype: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if res.key == "namespaces":
            if md.get("deletionTimestamp") and etype != "DELETED":
                ctrl.enqueue(md["name"])
        elif etype == "DELETED" and md.get("namespace"):
            ns = namespaces.get("", md["namespace"])
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                ctrl.enqueue(md["namespace"])

    informers.add_global_handler(on_event)
