"""The metrics component: usage model + scraper + metrics.k8s.io API, set up by name.

Settings (``components.metrics``): ``resolution`` (seconds between scrapes,
metrics-server's ``--metric-resolution``, default 15), the ``UsageSettings``
keys, and ``usage`` rules. Publishes ``ctx.shared["metrics"]`` (the
``MetricsStore`` the HPA reads), ``ctx.shared["usage"]`` (the ``UsageModel``,
to set usage from Python) and ``ctx.shared["metrics_api"]`` (HTTP handler).
"""

from __future__ import annotations

from typing import Any

from minik8s.metrics.api import MetricsApi
from minik8s.metrics.scraper import MetricsStore, setup_scraper
from minik8s.metrics.usage import UsageModel, UsageSettings
from minik8s.runtime.context import ControllerContext

Obj = dict[str, Any]


def setup(ctx: ControllerContext) -> None:
    settings = ctx.settings("metrics")
    resolution = float(settings.pop("resolution", 15))
    pods = ctx.informers.informer("v1", "pods")
    services = ctx.informers.informer("v1", "services")
    endpoints = ctx.informers.informer("v1", "endpoints")

    def pods_of_service(ns: str, name: str) -> list[Obj]:
        ep = endpoints.get(ns, name)
        out = []
        for subset in (ep or {}).get("subsets") or ():
            for a in subset.get("addresses") or ():
                ref = a.get("targetRef") or {}
                if ref.get("kind") == "Pod":
                    p = pods.get(ref.get("namespace", ns), ref.get("name", ""))
                    if p is not None:
                        out.append(p)
        return out

    model = UsageModel(UsageSettings.from_dict(settings), ctx.clock.now, pods_of_service,
                       lambda: services.list())
    store = MetricsStore(resolution)
    setup_scraper(ctx, model, store)
    ctx.shared["metrics"] = store
    ctx.shared["usage"] = model
    ctx.shared["metrics_api"] = MetricsApi(store, ctx.informers)
