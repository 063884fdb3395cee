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
