"""Namespace controller: a Terminating namespace loses its contents, then itself.

Reconciles one namespace name: if it is being deleted, delete every
namespaced object in it (each through the normal delete path); once nothing
is left, clear the ``kubernetes`` finalizer so the namespace goes away.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.client.client import Client
from minik8s.runtime.dispatch import Controller

Obj = dict[str, Any]


def controller(client: Client) -> Controller:
    reg = client.reg

    def mapper(res: Resource, etype: str, obj: Obj, old: Obj | None) -> list[str]:
        md = obj.get("metadata") or {}
        if res.key == "namespaces":
            return [md["name"]] if md.get("deletionTimestamp") else []
        if etype == "DELETED" and md.get("namespace"):
            ns = reg.store.get("namespaces", "", md["namespace"])
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                return [md["namespace"]]
        return []

    def reconcile(name: str) -> None:
        ns = reg.store.get("namespaces", "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        remaining = 0
        for res in reg.table:
            if not res.namespaced or res.virtual:
                continue
            objs = list(reg.store.resource(res.key).by_namespace.get(name, {}).values())
            for o in objs:
                remaining += 1
                if o["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    reg.delete(res, name, o["metadata"]["name"], {"propagationPolicy": "Background"})
                except errors.NotFound:
                    pass
        left = sum(len(reg.store.resource(r.key).by_namespace.get(name, {}))
                   for r in reg.table if r.namespaced and not r.virtual)
        if left == 0:
            fins = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != "kubernetes"]
            reg.finalize_namespace(name, fins)

    return Controller("namespace", ["*"], mapper, reconcile)
