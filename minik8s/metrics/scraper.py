"""The metrics pipeline's clock: scrape usage every resolution, like metrics-server.

A pod appears in metrics only after it has been running across two scrapes
(metrics-server needs two CPU samples), so on a real-time cluster ``kubectl
top`` says "metrics not available yet" for a fresh pod, as it does on a real
cluster; under the virtual clock, ``advance(resolution)`` makes them appear.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from minik8s.api import quantity
from minik8s.metrics.usage import UsageModel
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result, requeue_after

Obj = dict[str, Any]
SCRAPE_KEY = "scrape"


@dataclasses.dataclass(slots=True)  # (slots: a scrape makes one per running pod and node)
class Sample:
    timestamp: str
    window: str
    usage: Any  # pods: {container: (cpu, mem)}; nodes: (cpu, mem)


class MetricsStore:
    """The latest scrape: what metrics.k8s.io serves and the HPA reads."""

    def __init__(self, resolution: float) -> None:
        self.resolution = resolution
        self.pods: dict[tuple[str, str], Sample] = {}
        self.nodes: dict[str, Sample] = {}
        self.scrapes = 0
        self._running_before: set[str] = set()

    def pod_cpu_milli(self, ns: str, name: str) -> int | None:
        s = self.pods.get((ns, name))
        return None if s is None else sum(c for c, _ in s.usage.values())

    def pod_memory_bytes(self, ns: str, name: str) -> int | None:
        s = self.pods.get((ns, name))
        return None if s is None else sum(m for _, m in s.usage.values())

    def container_usage(self, ns: str, name: str) -> dict[str, tuple[int, int]] | None:
        s = self.pods.get((ns, name))
        return None if s is None else dict(s.usage)

    def usage_sum(self, ns: str, name: str, index: int, container: str | None = None) -> int | None:
        """A pod's usage summed over its containers (only ``container``'s when named):
        ``index`` 0 for cpu millicores, 1 for memory bytes; None while the pod has no sample.
        What the HPA reads every sync, without copying the sample."""
        s = self.pods.get((ns, name))
        if s is None:
            return None
        usage: dict[str, tuple[int, int]] = s.usage
        total = 0  # (loops, not sum() over a generator: this runs for every pod at every sync)
        if container:
            for cn, u in usage.items():
                if cn == container:
                    total += u[index]
            return total
        for u in usage.values():
            total += u[index]
        return total


def _ready(node: Obj) -> bool:
    """Ready=True: metrics-server scrapes only nodes whose kubelet answers."""
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True":
            return True
    return False


def setup_scraper(ctx: ControllerContext, model: UsageModel, store: MetricsStore) -> None:
    pods = ctx.informers.informer("v1", "pods")
    nodes = ctx.informers.informer("v1", "nodes")
    #: node name -> (the Node object last scraped, whether it was Ready): stored objects
    #: never change in place, so the same object needs no second look at its conditions
    #: (a Node is rewritten about once a minute, scraped every resolution)
    ready: dict[str, tuple[Obj, bool]] = {}
    #: (resolution, its window text): made once per resolution, not once per scrape
    window_of: tuple[float, str] | None = None

    def scrape(_: Any) -> Result:
        nonlocal window_of
        now = ctx.clock.rfc3339()
        r = store.resolution
        if window_of is None or window_of[0] != r:
            window_of = (r, f"{int(r)}s" if float(r).is_integer() else f"{r}s")
        window = window_of[1]
        demand = model.demand_shares()
        running_now: set[str] = set()
        new_pods: dict[tuple[str, str], Sample] = {}
        per_node: dict[str, list[int]] = {}
        for p in pods.list():
            md = p["metadata"]
            if (p.get("status") or {}).get("phase") != "Running" or md.get("deletionTimestamp"):
                continue
            uid = md["uid"]
            running_now.add(uid)
            key = (md.get("namespace", ""), md["name"])
            usage = model.pod_usage(p, demand.get(key, (0, 0)))
            node = (p.get("spec") or {}).get("nodeName") or ""
            agg = per_node.setdefault(node, [0, 0])
            for c, m in usage.values():
                agg[0] += c
                agg[1] += m
            if uid in store._running_before:
                new_pods[key] = Sample(now, window, usage)
        store._running_before = running_now
        new_nodes: dict[str, Sample] = {}
        s = model.settings
        seen = dict(ready)
        ready.clear()  # rebuilt from the nodes listed: a deleted node's entry goes
        for n in nodes.list():
            name = n["metadata"]["name"]
            was = seen.get(name)
            if was is None or was[0] is not n:
                was = (n, _ready(n))
            ready[name] = was
            if not was[1]:
                continue
            cpu, mem = per_node.get(name, [0, 0])
            new_nodes[name] = Sample(now, window, (cpu + s.node_cpu_milli, mem + s.node_memory_bytes))
        store.pods, store.nodes = new_pods, new_nodes
        store.scrapes += 1
        return requeue_after(store.resolution)

    ctrl = ctx.manager.add("metrics-scraper", scrape)
    ctx.manager.on_start(lambda: ctrl.enqueue(SCRAPE_KEY))


def format_usage(cpu_milli: int, mem_bytes: int) -> dict[str, str]:
    """metrics-server's forms: cpu in nanocores (``12345n``) would also do; we use millicores."""
    return {"cpu": quantity.format_milli(cpu_milli) if cpu_milli else "0",
            "memory": f"{mem_bytes // 1024}Ki"}
