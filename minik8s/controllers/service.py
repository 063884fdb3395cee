"""Service controller: LoadBalancer IPs from a pool, as cloud-provider-kind or MetalLB give them.

For every ``type: LoadBalancer`` Service without a ``loadBalancerClass``:

- the ``service.kubernetes.io/load-balancer-cleanup`` finalizer is added (as the cloud
  service controller does), ``EnsuringLoadBalancer`` is recorded, an address is taken from
  the pool — ``spec.loadBalancerIP`` when it is in the pool and free, else the lowest free
  one — and written to ``status.loadBalancer.ingress`` as ``{ip, ipMode: VIP}``, then
  ``EnsuredLoadBalancer``;
- an exhausted pool or an unusable ``loadBalancerIP`` gives a ``SyncLoadBalancerFailed``
  warning; the Service gets an address as soon as one is freed;
- when the Service stops being a LoadBalancer or is deleted the address is released
  (``DeletingLoadBalancer``/``DeletedLoadBalancer``) and the finalizer removed.

Settings (``ClusterConfig.components["service"]``): ``loadBalancerPool``, a range
``A-B``, a CIDR or a comma list of either; default ``172.18.255.200-172.18.255.250``
(inside kind's docker network, where MetalLB examples put it). The pool is derived from
the Services' own status every time, so nothing is lost across restarts.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from minik8s.api import errors
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "service-controller"
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
DEFAULT_POOL = "172.18.255.200-172.18.255.250"


def parse_pool(text: str) -> list[str]:
    """``A-B``, ``CIDR`` or a comma list of them → addresses in order."""
    out: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "-" in part:
            a, b = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
            out.extend(str(ipaddress.ip_address(i)) for i in range(int(a), int(b) + 1))
        elif "/" in part:
            net = ipaddress.ip_network(part, strict=False)
            hosts = list(net.hosts()) if net.num_addresses > 2 else list(net)
            out.extend(str(h) for h in hosts)
        else:
            out.append(str(ipaddress.ip_address(part)))
    return out


def ingress_ips(svc: Obj) -> list[str]:
    lb = (svc.get("status") or {}).get("loadBalancer") or {}
    return [str(i["ip"]) for i in lb.get("ingress") or () if isinstance(i, dict) and i.get("ip")]


def wants_lb(svc: Obj) -> bool:
    spec = svc.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and not spec.get("loadBalancerClass") and \
        not svc["metadata"].get("deletionTimestamp")


def setup(ctx: ControllerContext) -> None:
    services = ctx.informers.informer("v1", "services")
    client = ctx.client
    pool = parse_pool(str(ctx.settings("service").get("loadBalancerPool", DEFAULT_POOL)))
    in_pool = set(pool)
    waiting: set[Request] = set()

    def event(svc: Obj, reason: str, message: str, type: str = "Normal") -> None:
        client.event(svc, reason, message, type=type, component=COMPONENT)

    def used_by_others(me: Obj | None) -> set[str]:
        uid = me["metadata"]["uid"] if me is not None else None
        return {ip for s in services.list() if s["metadata"]["uid"] != uid and s["spec"].get(
            "type") == "LoadBalancer" for ip in ingress_ips(s)}

    def release() -> None:
        for req in sorted(waiting):
            ctrl.enqueue(req)
        waiting.clear()

    def reconcile(req: Request) -> Result | None:
        svc = services.get(req.namespace, req.name)
        if svc is None:
            release()
            return None
        spec = svc.get("spec") or {}
        if spec.get("loadBalancerClass"):
            return None  # another implementation's Service
        fins = list(svc["metadata"].get("finalizers") or ())
        if not wants_lb(svc):
            waiting.discard(req)
            if ingress_ips(svc) or FINALIZER in fins:
                cleanup(svc, fins)
            return None
        if FINALIZER not in fins:
            new = objects.deep_copy(svc)
            new["metadata"]["finalizers"] = fins + [FINALIZER]
            svc = client.update(new, manager=COMPONENT)
        current = ingress_ips(svc)
        requested = spec.get("loadBalancerIP") or ""
        taken = used_by_others(svc)
        if len(current) == 1 and current[0] in in_pool and current[0] not in taken and \
                (not requested or requested == current[0]):
            waiting.discard(req)
            return None
        event(svc, "EnsuringLoadBalancer", "Ensuring load balancer")
        if requested:
            if requested not in in_pool:
                fail(svc, req, f"requested IP {requested} is not in the load balancer pool")
                return None
            if requested in taken:
                fail(svc, req, f"requested IP {requested} is already in use")
                return None
            ip = requested
        else:
            free = [a for a in pool if a not in taken]
            if not free:
                fail(svc, req, "no available IPs in the load balancer pool")
                return None
            ip = current[0] if current and current[0] in free else free[0]
        new = objects.deep_copy(svc)
        new.setdefault("status", {})["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        client.update_status(new, manager=COMPONENT)
        waiting.discard(req)
        event(svc, "EnsuredLoadBalancer", "Ensured load balancer")
        if current:
            release()
        return None

    def fail(svc: Obj, req: Request, why: str) -> None:
        waiting.add(req)
        event(svc, "SyncLoadBalancerFailed",
              f"Error syncing load balancer: failed to ensure load balancer: {why}", "Warning")

    def cleanup(svc: Obj, fins: list[str]) -> None:
        if ingress_ips(svc):
            event(svc, "DeletingLoadBalancer", "Deleting load balancer")
            new = objects.deep_copy(svc)
            new.setdefault("status", {})["loadBalancer"] = {}
            svc = client.update_status(new, manager=COMPONENT)
            event(svc, "DeletedLoadBalancer", "Deleted load balancer")
        if FINALIZER in fins:
            new = objects.deep_copy(svc)
            rest = [f for f in fins if f != FINALIZER]
            if rest:
                new["metadata"]["finalizers"] = rest
            else:
                new["metadata"].pop("finalizers", None)
            try:
                client.update(new, manager=COMPONENT)
            except errors.NotFound:
                pass
        release()

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def on_service(et: str, o: Obj, old: Obj | None) -> None:
        spec = o.get("spec") or {}
        was_lb = old is not None and ((old.get("spec") or {}).get("type") == "LoadBalancer")
        if spec.get("type") == "LoadBalancer" or was_lb or ingress_ips(o) or \
                FINALIZER in (o["metadata"].get("finalizers") or ()) or et == "DELETED":
            ctrl.enqueue(Request(o["metadata"]["namespace"], o["metadata"]["name"]))

    services.add_handler(on_service)
