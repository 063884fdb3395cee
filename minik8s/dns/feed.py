"""Keeps a ``DnsIndex`` current from informers: Services, Endpoints, Namespaces.

Handlers run at commit time, so an answer changes within the same settle as
the object it comes from (no stale answers after a delete).
"""

from __future__ import annotations

from typing import Any

from minik8s.dns.records import DnsIndex
from minik8s.runtime.informer import InformerFactory

Obj = dict[str, Any]


def _key(o: Obj) -> tuple[str, str]:
    md = o["metadata"]
    return md.get("namespace", ""), md["name"]


def feed(index: DnsIndex, informers: InformerFactory) -> None:
    services = informers.informer("v1", "services")
    endpoints = informers.informer("v1", "endpoints")
    namespaces = informers.informer("v1", "namespaces")
    services.add_handler(lambda et, o, old: index.set_service(None if et == "DELETED" else o, _key(o)))
    endpoints.add_handler(lambda et, o, old: index.set_endpoints(None if et == "DELETED" else o, _key(o)))
    namespaces.add_handler(lambda et, o, old: index.set_namespace(o["metadata"]["name"], et != "DELETED"))
    ingresses = informers.informer("networking.k8s.io/v1", "ingresses")
    ingresses.add_handler(lambda et, o, old: index.set_extra(
        "ingress/" + "/".join(_key(o)), {} if et == "DELETED" else ingress_names(o)))
    services.add_handler(lambda et, o, old: index.set_extra(
        "service/" + "/".join(_key(o)), {} if et == "DELETED" else external_dns_names(o)))


EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"


def _lb_ips(o: Obj) -> list[str]:
    return [i["ip"] for i in ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
            if isinstance(i, dict) and i.get("ip")]


def ingress_names(ing: Obj) -> dict[str, list[str]]:
    """External DNS for an Ingress: each rule host → the Ingress's load-balancer address."""
    ips = _lb_ips(ing)
    if not ips:
        return {}
    hosts = {r.get("host") for r in (ing.get("spec") or {}).get("rules") or () if r.get("host")}
    extra = (ing["metadata"].get("annotations") or {}).get(EXTERNAL_DNS_HOSTNAME, "")
    hosts |= {h.strip() for h in extra.split(",") if h.strip()}
    return {h: ips for h in hosts if not h.startswith("*")}


def external_dns_names(svc: Obj) -> dict[str, list[str]]:
    """External DNS for a LoadBalancer Service annotated with hostnames (comma-separated)."""
    if (svc.get("spec") or {}).get("type") != "LoadBalancer":
        return {}
    ann = (svc["metadata"].get("annotations") or {}).get(EXTERNAL_DNS_HOSTNAME, "")
    ips = _lb_ips(svc)
    if not ann or not ips:
        return {}
    return {h.strip(): ips for h in ann.split(",") if h.strip()}
