"""Which backend would serve ``http://host/path``: Ingress routing without containers.

The rules ingress-nginx (and the Ingress spec) apply: a rule's host matches
exactly, or as a single-label wildcard (``*.example.com``); within the
matching rules, ``Exact`` paths beat prefixes, and the longest ``Prefix``
(matched element-wise on ``/``) wins; ``ImplementationSpecific`` is treated
as a plain prefix, as ingress-nginx does. Without a match, the Ingress's
``defaultBackend`` answers. Pure: feed it the objects.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]


@dataclasses.dataclass
class Route:
    ingress: str  # namespace/name
    host: str
    path: str
    path_type: str
    service: str | None
    port: int | str | None
    resource: Obj | None = None
    endpoints: list[str] = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        target = f"service {self.service}:{self.port}" if self.service else f"resource {self.resource}"
        eps = ", ".join(self.endpoints) if self.endpoints else "no ready endpoints"
        return f"{self.ingress} ({self.path_type} {self.path}) → {target} → {eps}"


def host_matches(rule_host: str, host: str) -> bool:
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        suffix = rule_host[1:]
        return host.endswith(suffix) and "." not in host[: -len(suffix)] and len(host) > len(suffix)
    return rule_host == host


def _prefix_match(prefix: str, path: str) -> bool:
    if prefix in ("", "/"):
        return True
    p = prefix.rstrip("/").split("/")
    q = path.split("/")
    return q[: len(p)] == p


def _backend(b: Obj) -> tuple[str | None, int | str | None, Obj | None]:
    svc = b.get("service")
    if isinstance(svc, dict):
        port = svc.get("port") or {}
        return svc.get("name"), port.get("number") if port.get("number") is not None else port.get("name"), None
    return None, None, b.get("resource")


def resolve(url: str, ingresses: Iterable[Obj], *, ingress_class: str | None = None,
            endpoints_of: Any = None) -> Route | None:
    """The route for ``url``; ``endpoints_of(namespace, service, port) -> list[str]`` fills endpoints."""
    u = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    host = (u.hostname or "").lower()
    path = u.path or "/"
    best: tuple[tuple[int, int, int], Route] | None = None
    fallback: Route | None = None
    for ing in sorted(ingresses, key=lambda i: (i["metadata"].get("creationTimestamp", ""),
                                                 i["metadata"].get("namespace", ""), i["metadata"]["name"])):
        spec = ing.get("spec") or {}
        if ingress_class is not None and spec.get("ingressClassName") not in (None, ingress_class):
            continue
        ns = ing["metadata"].get("namespace", "")
        ident = f"{ns}/{ing['metadata']['name']}"
        for rule in spec.get("rules") or ():
            rh = (rule.get("host") or "").lower()
            if not host_matches(rh, host):
                continue
            host_rank = 2 if rh == host else (1 if rh else 0)
            for p in ((rule.get("http") or {}).get("paths") or ()):
                ptype = p.get("pathType", "ImplementationSpecific")
                ppath = p.get("path") or "/"
                if ptype == "Exact":
                    if path != ppath:
                        continue
                    rank = (host_rank, 1, len(ppath))
                elif _prefix_match(ppath, path):
                    rank = (host_rank, 0, len(ppath.rstrip("/")))
                else:
                    continue
                svc, port, res = _backend(p.get("backend") or {})
                route = Route(ident, rh or "*", ppath, ptype, svc, port, res)
                if best is None or rank > best[0]:
                    best = (rank, route)
        db = spec.get("defaultBackend")
        if db and fallback is None:
            svc, port, res = _backend(db)
            fallback = Route(ident, "*", "", "default backend", svc, port, res)
    route = best[1] if best else fallback
    if route is not None and route.service and endpoints_of is not None:
        ns = route.ingress.split("/", 1)[0]
        route.endpoints = endpoints_of(ns, route.service, route.port)
    return route


def endpoint_addresses(endpoints: Obj | None, service: Obj | None, port: int | str | None) -> list[str]:
    """``ip:targetPort`` of ready endpoints for a Service port given by number or name."""
    if endpoints is None or service is None:
        return []
    name = None
    for sp in (service.get("spec") or {}).get("ports") or ():
        if port in (sp.get("port"), sp.get("name")):
            name = sp.get("name", "")
            break
    out = []
    for subset in endpoints.get("subsets") or ():
        ports = [p for p in subset.get("ports") or () if (name is None or p.get("name", "") == (name or ""))]
        for a in subset.get("addresses") or ():
            for p in ports:
                out.append(f"{a.get('ip')}:{p.get('port')}")
    return out
