"""An emulated ingress controller (ingress-nginx-like) for the ``nginx`` IngressClass.

Claims Ingresses of its class (``spec.ingressClassName``, set by the
DefaultIngressClass admission when the class is the default) and publishes
its address in ``status.loadBalancer.ingress[].ip``, as ingress-nginx does
with its controller Service's load-balancer IP; emits ``Sync`` events.

Settings (``components.ingress``): ``className`` (default ``nginx``),
``controller`` (``k8s.io/ingress-nginx``), ``address`` (default
``172.18.255.199``, outside the Service load-balancer pool).
"""

from __future__ import annotations

from typing import Any

from minik8s.registry.registry import WriteOptions
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

Obj = dict[str, Any]


def setup(ctx: ControllerContext) -> None:
    s = ctx.settings("ingress")
    class_name = s.get("className", "nginx")
    controller = s.get("controller", "k8s.io/ingress-nginx")
    address = s.get("address", "172.18.255.199")
    reg = ctx.client.reg
    ingresses = ctx.informers.informer("networking.k8s.io/v1", "ingresses")
    classes = ctx.informers.informer("networking.k8s.io/v1", "ingressclasses")
    res = reg.table.by_key("ingresses.networking.k8s.io")
    assert res is not None

    def ours(ing: Obj) -> bool:
        cls = (ing.get("spec") or {}).get("ingressClassName")
        if cls is None:
            cls = (ing["metadata"].get("annotations") or {}).get("kubernetes.io/ingress.class")
        if cls is None:
            return False
        ic = classes.get("", cls)
        return cls == class_name and (ic is None or ic.get("spec", {}).get("controller") == controller)

    def reconcile(req: Request) -> Result | None:
        ing = ingresses.get(req.namespace, req.name)
        if ing is None or ing["metadata"].get("deletionTimestamp"):
            return None
        want = {"loadBalancer": {"ingress": [{"ip": address}]}} if ours(ing) else None
        cur = ing.get("status") or {}
        if want is None:
            return None
        if cur.get("loadBalancer") == want["loadBalancer"]:
            return None
        new = objects.deep_copy(ing)
        new["status"] = want
        reg._update_from(res, new, ing, WriteOptions(field_manager="nginx-ingress-controller"), "status")
        ctx.client.event(ing, "Sync", "Scheduled for sync", component="nginx-ingress-controller")
        return None

    ctrl = ctx.manager.add("ingress-nginx-controller", reconcile)
    ingresses.add_handler(lambda et, o, old: ctrl.enqueue(Request(o["metadata"]["namespace"], o["metadata"]["name"]))
                          if et != "DELETED" else None)
    classes.add_handler(lambda et, o, old: [ctrl.enqueue(Request(i["metadata"]["namespace"], i["metadata"]["name"]))
                                            for i in ingresses.list()], replay=False)
