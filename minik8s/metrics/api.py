"""The ``metrics.k8s.io/v1beta1`` API: NodeMetrics and PodMetrics from the latest scrape.

Served next to the built-in API (the cluster registers this handler for the
group's path prefix and its discovery entry), read-only: get and list with
label selectors, as metrics-server serves it.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from minik8s.api import errors, selectors
from minik8s.metrics.scraper import MetricsStore, format_usage
from minik8s.runtime.informer import InformerFactory

PREFIX = "/apis/metrics.k8s.io/v1beta1"
DISCOVERY = [
    {"resource": "nodes", "responseKind": {"group": "metrics.k8s.io", "version": "v1beta1", "kind": "NodeMetrics"},
     "scope": "Cluster", "singularResource": "", "verbs": ["get", "list"]},
    {"resource": "pods", "responseKind": {"group": "metrics.k8s.io", "version": "v1beta1", "kind": "PodMetrics"},
     "scope": "Namespaced", "singularResource": "", "verbs": ["get", "list"]},
]


class MetricsApi:
    def __init__(self, store: MetricsStore, informers: InformerFactory) -> None:
        self.store = store
        self.pods = informers.informer("v1", "pods")
        self.nodes = informers.informer("v1", "nodes")

    def _node(self, name: str) -> dict[str, Any] | None:
        s = self.store.nodes.get(name)
        node = self.nodes.get("", name)
        if s is None or node is None:
            return None
        return {"metadata": {"name": name, "creationTimestamp": s.timestamp,
                             "labels": node["metadata"].get("labels") or {}},
                "timestamp": s.timestamp, "window": s.window, "usage": format_usage(*s.usage)}

    def _pod(self, ns: str, name: str) -> dict[str, Any] | None:
        s = self.store.pods.get((ns, name))
        pod = self.pods.get(ns, name)
        if s is None or pod is None:
            return None
        return {"metadata": {"name": name, "namespace": ns, "creationTimestamp": s.timestamp,
                             "labels": pod["metadata"].get("labels") or {}},
                "timestamp": s.timestamp, "window": s.window,
                "containers": [{"name": c, "usage": format_usage(*u)} for c, u in s.usage.items()]}

    async def handle(self, request: web.Request) -> web.Response:
        if request.method != "GET":
            raise errors.MethodNotAllowed()
        rest = [p for p in request.path[len(PREFIX):].split("/") if p]
        sel_text = request.query.get("labelSelector")
        sel = selectors.parse_label_selector(sel_text) if sel_text else None

        def ok(labels: dict[str, str]) -> bool:
            return sel is None or sel.matches(labels)

        if rest[:1] == ["nodes"]:
            if len(rest) == 2:
                obj = self._node(rest[1])
                if obj is None:
                    raise errors.NotFound.for_resource("metrics.k8s.io", "nodes", rest[1])
                return _json({"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1", **obj})
            items = [o for n in sorted(self.store.nodes) if (o := self._node(n)) and ok(o["metadata"]["labels"])]
            return _json({"kind": "NodeMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
                          "metadata": {}, "items": items})
        ns: str | None = None
        if rest[:1] == ["namespaces"] and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        if rest[:1] == ["pods"]:
            if len(rest) == 2 and ns is not None:
                obj = self._pod(ns, rest[1])
                if obj is None:
                    raise errors.NotFound.for_resource("metrics.k8s.io", "pods", rest[1])
                return _json({"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1", **obj})
            keys = sorted(k for k in self.store.pods if ns is None or k[0] == ns)
            items = [o for k in keys if (o := self._pod(*k)) and ok(o["metadata"]["labels"])]
            return _json({"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
                          "metadata": {}, "items": items})
        if not rest:
            return _json({"kind": "APIResourceList", "apiVersion": "v1",
                          "groupVersion": "metrics.k8s.io/v1beta1", "resources": [
                              {"name": d["resource"], "singularName": "", "namespaced": d["scope"] == "Namespaced",
                               "kind": d["responseKind"]["kind"], "verbs": d["verbs"]} for d in DISCOVERY]})
        raise errors.NotFound.no_route()


def _json(obj: Any) -> web.Response:
    return web.Response(body=orjson.dumps(obj), headers={"Content-Type": "application/json"})
