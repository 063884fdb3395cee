"""Emulated resource usage: what each running container uses right now.

Sources, summed per container (first match wins for the per-pod value):
1. a Python override (``UsageModel.set_usage``) or the pod annotations
   ``minik8s.io/cpu-usage`` / ``minik8s.io/memory-usage`` (per pod, split
   evenly over its containers);
2. declared usage rules (settings ``metrics.usage``: a label selector and a
   value, or a ramp over time), KWOK ``ResourceUsage``-style;
3. otherwise a small idle baseline per container;
plus load arriving through Services: ``minik8s.io/cpu-demand`` /
``minik8s.io/memory-demand`` on a Service is spread evenly over its ready
endpoints' pods, capped at each container's limit. When the HPA adds pods,
each pod's share falls, as with a real load generator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from minik8s.api import quantity, selectors
from minik8s.memo import remember

Obj = dict[str, Any]
CPU_USAGE = "minik8s.io/cpu-usage"
MEMORY_USAGE = "minik8s.io/memory-usage"
CPU_DEMAND = "minik8s.io/cpu-demand"
MEMORY_DEMAND = "minik8s.io/memory-demand"


@dataclasses.dataclass
class UsageSettings:
    #: idle usage of one container (millicores, bytes)
    idle_cpu_milli: int = 1
    idle_memory_bytes: int = 4 * 1024 * 1024
    #: what the node itself uses besides its pods (kubelet, runtime, system daemons)
    node_cpu_milli: int = 100
    node_memory_bytes: int = 512 * 1024 * 1024
    #: declared rules: {"namespace": "default", "selector": "app=web", "cpu": "200m",
    #:  "memory": "64Mi"} or with "ramp": {"cpu": ["0", "800m"], "seconds": 600, "start": <epoch>}
    usage: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "UsageSettings":
        s = cls()
        for k, v in d.items():
            if k in ("cpu_idle", "idleCpu"):
                s.idle_cpu_milli = quantity.milli(v)
            elif k in ("memory_idle", "idleMemory"):
                s.idle_memory_bytes = quantity.whole(v)
            elif k in ("nodeCpu",):
                s.node_cpu_milli = quantity.milli(v)
            elif k in ("nodeMemory",):
                s.node_memory_bytes = quantity.whole(v)
            elif k == "usage":
                s.usage = list(v or [])
        return s


def _containers(pod: Obj) -> list[Obj]:
    return [c for c in (pod.get("spec") or {}).get("containers") or () if isinstance(c, dict)]


def _limit(c: Obj, res: str, kind: str) -> int | None:
    v = ((c.get("resources") or {}).get("limits") or {}).get(res)
    if v is None:
        return None
    try:
        return quantity.milli(v) if kind == "milli" else quantity.whole(v)
    except quantity.QuantityError:
        return None


class UsageModel:
    def __init__(self, settings: UsageSettings, now: Callable[[], float],
                 pods_of_service: Callable[[str, str], list[Obj]],
                 services: Callable[[], list[Obj]]) -> None:
        self.settings = settings
        self._now = now
        self._pods_of_service = pods_of_service
        self._services = services
        self._overrides: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        #: pod uid -> (pod object, demand, its usage) while neither overrides nor rules exist:
        #: usage is then a function of the pod object (stored objects are never mutated) and
        #: the demand alone, and each scrape asks again for every running pod
        self._usage_of: dict[str, tuple[Obj, tuple[float, float], dict[str, tuple[int, int]]]] = {}

    def set_usage(self, namespace: str, pod: str, *, cpu: Any = None, memory: Any = None) -> None:
        """Override a pod's usage from Python (quantities; None clears that resource)."""
        self._overrides[(namespace, pod)] = (
            None if cpu is None else quantity.milli(cpu),
            None if memory is None else quantity.whole(memory))

    def clear_usage(self, namespace: str, pod: str) -> None:
        self._overrides.pop((namespace, pod), None)

    def _rule_value(self, pod: Obj) -> tuple[int | None, int | None]:
        md = pod["metadata"]
        for rule in self.settings.usage:
            if rule.get("namespace") and rule["namespace"] != md.get("namespace"):
                continue
            sel = rule.get("selector")
            if sel and not selectors.parse_label_selector(sel).matches(md.get("labels") or {}):
                continue
            ramp = rule.get("ramp")
            if ramp:
                frac = min(max((self._now() - float(ramp.get("start", 0))) / float(ramp.get("seconds", 1)), 0.0), 1.0)
                cpu = mem = None
                if "cpu" in ramp:
                    a, b = (quantity.milli(x) for x in ramp["cpu"])
                    cpu = round(a + (b - a) * frac)
                if "memory" in ramp:
                    a, b = (quantity.whole(x) for x in ramp["memory"])
                    mem = round(a + (b - a) * frac)
                return cpu, mem
            return (quantity.milli(rule["cpu"]) if "cpu" in rule else None,
                    quantity.whole(rule["memory"]) if "memory" in rule else None)
        return None, None

    def _pod_level(self, pod: Obj) -> tuple[int | None, int | None]:
        md = pod["metadata"]
        key = (md.get("namespace", ""), md["name"])
        if key in self._overrides:
            return self._overrides[key]
        ann = md.get("annotations") or {}
        cpu = mem = None
        try:
            if CPU_USAGE in ann:
                cpu = quantity.milli(ann[CPU_USAGE])
            if MEMORY_USAGE in ann:
                mem = quantity.whole(ann[MEMORY_USAGE])
        except quantity.QuantityError:
            pass
        if cpu is None and mem is None:
            return self._rule_value(pod)
        return cpu, mem

    def demand_shares(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(ns, pod) → (cpu milli, memory bytes) arriving through Services."""
        out: dict[tuple[str, str], tuple[int, int]] = {}
        for svc in self._services():
            ann = (svc["metadata"].get("annotations") or {})
            if CPU_DEMAND not in ann and MEMORY_DEMAND not in ann:
                continue
            ns, name = svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
            pods = self._pods_of_service(ns, name)
            if not pods:
                continue
            try:
                cpu = quantity.milli(ann[CPU_DEMAND]) if CPU_DEMAND in ann else 0
                mem = quantity.whole(ann[MEMORY_DEMAND]) if MEMORY_DEMAND in ann else 0
            except quantity.QuantityError:
                continue
            for p in pods:
                k = (p["metadata"].get("namespace", ""), p["metadata"]["name"])
                c0, m0 = out.get(k, (0, 0))
                out[k] = (c0 + cpu / len(pods), m0 + mem / len(pods))  # type: ignore[assignment]
        return out

    def pod_usage(self, pod: Obj, demand: tuple[float, float] = (0, 0)) -> dict[str, tuple[int, int]]:
        """container name → (cpu milli, memory bytes); the caller must not change it (the same
        dict answers again while the pod object and demand are the same)."""
        if self._overrides or self.settings.usage:
            return self._pod_usage(pod, demand)
        uid = pod["metadata"].get("uid")
        known = self._usage_of.get(uid) if uid is not None else None
        if known is not None and known[0] is pod and known[1] == demand:
            return known[2]
        out = self._pod_usage(pod, demand)
        if uid is not None:
            remember(self._usage_of, uid, (pod, demand, out), 4096)
        return out

    def _pod_usage(self, pod: Obj, demand: tuple[float, float]) -> dict[str, tuple[int, int]]:
        """``pod_usage`` computed afresh."""
        cs = _containers(pod)
        if not cs:
            return {}
        cpu, mem = self._pod_level(pod)
        s = self.settings
        out = {}
        for c in cs:
            c_cpu = s.idle_cpu_milli if cpu is None else cpu / len(cs)
            c_mem = s.idle_memory_bytes if mem is None else mem / len(cs)
            c_cpu += demand[0] / len(cs)
            c_mem += demand[1] / len(cs)
            if (c.get("resources") or {}).get("limits"):  # (none: no parsing to do)
                lim = _limit(c, "cpu", "milli")
                if lim is not None:
                    c_cpu = min(c_cpu, lim)
                lim = _limit(c, "memory", "bytes")
                if lim is not None:
                    c_mem = min(c_mem, lim)
            out[c.get("name", "")] = (int(round(c_cpu)), int(round(c_mem)))
        return out
