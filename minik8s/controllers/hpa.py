"""HorizontalPodAutoscaler controller: kube-controller-manager's algorithm on the clock.

Every sync period (``--horizontal-pod-autoscaler-sync-period``, 15 s) each
HPA reads its target through the ``scale`` subresource, computes a proposal
per metric from the metrics pipeline (``replica_calculator``), takes the
largest, stabilizes it (downscale window 300 s by default), applies the
scale-up/scale-down policies of ``behavior``, clamps to min/max, writes the
scale, and reports status, conditions and events as the real controller does.

Settings (``components.hpa``), named after the real flags: ``syncPeriod``,
``downscaleStabilization``, ``tolerance``, ``cpuInitializationPeriod``,
``initialReadinessDelay`` (seconds).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

from minik8s.api import errors, quantity, selectors
from minik8s.aio.clock import parse_rfc3339
from minik8s.controllers import podcontrol
from minik8s.controllers import replica_calculator as rc
from minik8s.memo import remember
from minik8s.registry.registry import WriteOptions
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

Obj = dict[str, Any]
HPA = "horizontalpodautoscalers.autoscaling"


@dataclasses.dataclass
class HpaSettings:
    sync_period: float = 15.0
    downscale_stabilization: float = 300.0
    tolerance: float = 0.1
    cpu_initialization_period: float = 300.0
    initial_readiness_delay: float = 30.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "HpaSettings":
        names = {"syncPeriod": "sync_period", "downscaleStabilization": "downscale_stabilization",
                 "tolerance": "tolerance", "cpuInitializationPeriod": "cpu_initialization_period",
                 "initialReadinessDelay": "initial_readiness_delay"}
        s = cls()
        for k, v in d.items():
            setattr(s, names.get(k, k), float(v))
        return s


DEFAULT_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
    {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _default_down(window: float) -> Obj:
    return {"stabilizationWindowSeconds": int(window), "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


@dataclasses.dataclass
class _Memory:
    #: recommendations as two parallel lists, times and proposed replicas, oldest first while
    #: ``in_order`` (times never went back): a window is then a suffix found by bisecting the
    #: plain floats, and its extreme is ``min``/``max`` of a slice of ints, both in C
    rec_times: list[float] = dataclasses.field(default_factory=list)
    rec_replicas: list[int] = dataclasses.field(default_factory=list)
    in_order: bool = True
    events: list[tuple[float, int]] = dataclasses.field(default_factory=list)  # (time, replica change)
    #: the resource and target object the last scale was read from, and that scale: stored
    #: objects are never mutated (a write stores a new dict), so the same object has the same scale
    target: tuple[Any, Obj, Obj] | None = None
    #: the spec ``behavior`` was resolved from and the resolution (``_Behavior``); same reason
    behavior: tuple[Obj, _Behavior] | None = None

    @property
    def recommendations(self) -> list[tuple[float, int]]:
        """The remembered (time, proposed replicas) pairs, oldest first while in order."""
        return list(zip(self.rec_times, self.rec_replicas))


@dataclasses.dataclass(frozen=True)
class _Behavior:
    """``spec.behavior`` with the defaults filled in, and the windows sync reads from it."""
    up: Obj
    down: Obj
    up_window: float
    down_window: float
    #: how long recommendations are remembered
    horizon: float
    #: how long scale events are remembered (the longest policy period, at least 60 s)
    events_horizon: float

    @classmethod
    def of(cls, spec: Obj, settings: HpaSettings) -> _Behavior:
        beh = spec.get("behavior") or {}
        up = {**DEFAULT_UP, **(beh.get("scaleUp") or {})}
        down = {**_default_down(settings.downscale_stabilization), **(beh.get("scaleDown") or {})}
        up_window = float(up.get("stabilizationWindowSeconds") or 0)
        down_window = float(down.get("stabilizationWindowSeconds")
                            if down.get("stabilizationWindowSeconds") is not None
                            else settings.downscale_stabilization)
        events_horizon = max([float(p.get("periodSeconds", 15)) for p in (up.get("policies") or []) +
                              (down.get("policies") or [])] + [60.0])
        return cls(up, down, up_window, down_window, max(up_window, down_window, 600.0), events_horizon)


def _cond(type_: str, status: str, reason: str, message: str, now: str, old: list[Obj]) -> Obj:
    ltt = now
    for prev in old:  # the first of its type (a loop, not a generator: every sync asks thrice)
        if prev.get("type") == type_:
            if prev.get("status") == status:
                ltt = prev.get("lastTransitionTime", now)
            break
    return {"type": type_, "status": status, "lastTransitionTime": ltt, "reason": reason, "message": message}


def setup(ctx: ControllerContext) -> None:
    settings = HpaSettings.from_dict(ctx.settings("hpa"))
    reg = ctx.client.reg
    hpas = ctx.informers.informer("autoscaling/v2", "horizontalpodautoscalers")
    pods = ctx.informers.informer("v1", "pods")
    memory: dict[str, _Memory] = {}
    #: request quantity -> its amount (milli for cpu, whole otherwise): parsing is pure
    amounts: dict[tuple[str, str], int] = {}

    def amount(name: str, v: Any) -> int:
        """``quantity.milli`` (cpu) or ``quantity.whole`` of a request, memoized for strings."""
        if not isinstance(v, str):
            return quantity.milli(v) if name == "cpu" else quantity.whole(v)
        n = amounts.get((name, v))
        if n is None:
            n = remember(amounts, (name, v),
                         quantity.milli(v) if name == "cpu" else quantity.whole(v), 1024)
        return n

    #: pod uid -> (pod object, resource, container, ``_static_facts`` of them): every sync
    #: reads the same pods again, and stored objects are never mutated (a write stores a new
    #: one), so the same object gives the same answer
    static_facts: dict[str, tuple[Obj, str, str | None, _Static | None]] = {}

    def pod_facts(p: Obj, md: Obj, name: str, container: str | None) -> _Static | None:
        """``_static_facts`` of a pod, memoized per pod object."""
        uid = md.get("uid")
        known = static_facts.get(uid) if uid is not None else None
        if known is not None and known[0] is p and known[1] == name and known[2] == container:
            return known[3]
        facts = _static_facts(p, md, name, container, amount, settings)
        if uid is not None:
            remember(static_facts, uid, (p, name, container, facts), 4096)
        return facts

    def metric_proposal(hpa: Obj, spec: Obj, scale: Obj, selected: list[Obj],
                        current: int) -> tuple[int, Obj, str]:
        """→ (replicas, currentMetric status, description) or raise MetricsUnavailable/ValueError."""
        store = ctx.shared.get("metrics")
        mtype = spec.get("type")
        if mtype not in ("Resource", "ContainerResource"):
            raise ValueError(f"{mtype} metrics are not supported by minik8s's metrics pipeline")
        src = spec.get("resource" if mtype == "Resource" else "containerResource") or {}
        name = src.get("name", "cpu")
        container = src.get("container")
        target = src.get("target") or {}
        facts = []
        now = ctx.clock.now()
        index = 0 if name == "cpu" else 1
        for p in selected:
            md = p["metadata"]
            known = pod_facts(p, md, name, container)
            if known is None:
                continue  # being deleted, or Failed
            req, unready, init_until, initializing, initialized = known
            if unready is None:
                unready = initializing if init_until > now else initialized
                if unready is None:
                    unready = _late_unready(p, settings)
            usage = None if store is None else \
                store.usage_sum(md.get("namespace", ""), md["name"], index, container)
            facts.append(rc.PodFacts(md["name"], req, usage, True, unready))
        if target.get("type") == "AverageValue":
            tv = quantity.milli(target["averageValue"]) if name == "cpu" else quantity.whole(target["averageValue"])
            desired, avg = rc.average_value(facts, tv, current, settings.tolerance)
            cur = {"averageValue": quantity.format_milli(avg) if name == "cpu" else str(avg)}
            desc = f"{name} resource"
        else:
            pct = int(target.get("averageUtilization") or 80)
            desired, util, avg = rc.utilization(facts, pct, current, settings.tolerance)
            cur = {"averageUtilization": util,
                   "averageValue": quantity.format_milli(avg) if name == "cpu" else str(avg)}
            desc = f"{name} resource utilization (percentage of request)"
        key = "resource" if mtype == "Resource" else "containerResource"
        status_src: Obj = {"name": name, "current": cur}
        if container:
            status_src["container"] = container
        return desired, {"type": mtype, key: status_src}, desc

    again = Result(requeue_after=settings.sync_period)

    def reconcile(req: Request) -> Result | None:
        hpa = hpas.get(req.namespace, req.name)
        if hpa is None:
            memory.pop(f"{req.namespace}/{req.name}", None)
            return None
        sync(hpa)
        return again

    def sync(hpa: Obj) -> None:
        ns = hpa["metadata"]["namespace"]
        key = f"{ns}/{hpa['metadata']['name']}"
        mem = memory.get(key)
        if mem is None:
            mem = memory[key] = _Memory()
        spec = hpa.get("spec") or {}
        # a shallow copy: sync only ever replaces top-level fields (write_status copies deeply)
        status = dict(hpa.get("status") or {})
        old_conds = status.get("conditions") or []
        now_s = ctx.clock.rfc3339()
        now = ctx.clock.now()
        ref = spec.get("scaleTargetRef") or {}
        res = reg.table.by_api_version_kind(ref.get("apiVersion", ""), ref.get("kind", "")) if ref.get("apiVersion") \
            else None
        if res is None:
            for r in reg.table:
                if r.kind == ref.get("kind") and r.subresource("scale") is not None:
                    res = r
                    break
        try:
            if res is None or res.subresource("scale") is None:
                raise errors.NotFound(f'no matches for kind "{ref.get("kind")}" in group ""')
            scale = get_scale(mem, res, ns, ref.get("name", ""))
        except errors.ApiError as e:
            msg = f"the HPA controller was unable to get the target's current scale: {e.message}"
            status["conditions"] = [_cond("AbleToScale", "False", "FailedGetScale", msg, now_s, old_conds)]
            ctx.client.event(hpa, "FailedGetScale", e.message, type="Warning",
                             component="horizontal-pod-autoscaler")
            write_status(hpa, status)
            return
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        status["currentReplicas"] = int((scale.get("status") or {}).get("replicas") or 0)
        conds: list[Obj] = []
        if current == 0:
            status["desiredReplicas"] = 0
            conds.append(_cond("AbleToScale", "True", "SucceededGetScale",
                               "the HPA controller was able to get the target's current scale", now_s, old_conds))
            conds.append(_cond("ScalingActive", "False", "ScalingDisabled",
                               "scaling is disabled since the replica count of the target is zero", now_s, old_conds))
            status["conditions"] = conds
            status.pop("currentMetrics", None)
            write_status(hpa, status)
            return
        min_r = int(spec.get("minReplicas") or 1)
        max_r = int(spec.get("maxReplicas") or 1)
        if current > max_r or current < min_r:
            # like reconcileAutoscaler: out-of-range targets are clamped before any metric is read
            desired = max_r if current > max_r else min_r
            why = ("Current number of replicas above Spec.MaxReplicas" if current > max_r
                   else "Current number of replicas below Spec.MinReplicas")
            try:
                reg.sub.update_scale(res, ns, ref["name"], {"spec": {"replicas": desired}}, WriteOptions())
            except errors.ApiError as e:
                ctx.client.event(hpa, "FailedRescale", f"New size: {desired}; reason: {why}; error: {e.message}",
                                 type="Warning", component="horizontal-pod-autoscaler")
                return
            mem.events.append((now, desired - current))
            ctx.client.event(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {why}",
                             component="horizontal-pod-autoscaler")
            status["lastScaleTime"] = now_s
            status["desiredReplicas"] = desired
            conds.append(_cond("AbleToScale", "True", "SucceededRescale",
                               f"the HPA controller was able to update the target scale to {desired}",
                               now_s, old_conds))
            conds.append(_cond("ScalingLimited", "True", "TooManyReplicas" if current > max_r else "TooFewReplicas",
                               "the desired replica count is more than the maximum replica count"
                               if current > max_r else
                               "the desired replica count is less than the minimum replica count", now_s, old_conds))
            status["conditions"] = conds
            write_status(hpa, status)
            return
        sel_text = (scale.get("status") or {}).get("selector") or ""
        sel = selectors.parse_label_selector(sel_text) if sel_text else None
        selected = [p for p in pods.list(ns) if sel is not None and sel.matches(p["metadata"].get("labels"))]
        proposals: list[tuple[int, str]] = []
        current_metrics: list[Obj] = []
        failure: tuple[str, str] | None = None
        for m in spec.get("metrics") or []:
            try:
                n, cm, desc = metric_proposal(hpa, m, scale, selected, current)
                proposals.append((n, desc))
                current_metrics.append(cm)
            except rc.MetricsUnavailable as e:
                name = ((m.get("resource") or m.get("containerResource") or {}).get("name")) or "cpu"
                kind = "utilization" if ((m.get("resource") or m.get("containerResource") or {}).get("target")
                                         or {}).get("type", "Utilization") == "Utilization" else "usage"
                failure = ("FailedGetResourceMetric",
                           f"failed to get {name} {kind}: unable to get metrics for resource {name}: {e}")
                current_metrics.append({"type": m.get("type"), "resource" if m.get("type") == "Resource"
                                        else "containerResource": {"name": name, "current": {}}})
            except (ValueError, quantity.QuantityError) as e:
                failure = ("FailedGetExternalMetric" if m.get("type") == "External" else "FailedGetObjectMetric", str(e))
        if not proposals:
            reason, msg = failure or ("FailedGetResourceMetric", "no metrics")
            ctx.client.event(hpa, reason, msg, type="Warning", component="horizontal-pod-autoscaler")
            conds.append(_cond("AbleToScale", "True", "SucceededGetScale",
                               "the HPA controller was able to get the target's current scale", now_s, old_conds))
            conds.append(_cond("ScalingActive", "False", reason,
                               f"the HPA was unable to compute the replica count: {msg}", now_s, old_conds))
            status["conditions"] = conds
            status["currentMetrics"] = None
            status.pop("currentMetrics")
            status["desiredReplicas"] = status.get("desiredReplicas", current) or current
            write_status(hpa, status)
            return
        proposed, desc = proposals[0] if len(proposals) == 1 else max(proposals, key=lambda p: p[0])
        desired, able_reason, able_msg, limit_cond = normalize(spec, mem, current, proposed, min_r, max_r, now)
        rescale = desired != current
        if rescale:
            try:
                reg.sub.update_scale(res, ns, ref["name"], {"spec": {"replicas": desired}}, WriteOptions())
            except errors.ApiError as e:
                ctx.client.event(hpa, "FailedRescale", f"New size: {desired}; reason: {desc}; error: {e.message}",
                                 type="Warning", component="horizontal-pod-autoscaler")
                status["conditions"] = [_cond("AbleToScale", "False", "FailedUpdateScale",
                                              f"the HPA controller was unable to update the target scale: {e.message}",
                                              now_s, old_conds)]
                write_status(hpa, status)
                return
            mem.events.append((now, desired - current))
            why = f"{desc} above target" if desired > current else "All metrics below target"
            ctx.client.event(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {why}",
                             component="horizontal-pod-autoscaler")
            status["lastScaleTime"] = now_s
            able_reason, able_msg = "SucceededRescale", f"the HPA controller was able to update the target scale to {desired}"
        conds.append(_cond("AbleToScale", "True", able_reason, able_msg, now_s, old_conds))
        conds.append(_cond("ScalingActive", "True", "ValidMetricFound",
                           f"the HPA was able to successfully calculate a replica count from {desc}",
                           now_s, old_conds))
        conds.append(_cond("ScalingLimited", limit_cond[0], limit_cond[1], limit_cond[2], now_s, old_conds))
        status["conditions"] = conds
        status["currentMetrics"] = current_metrics
        status["desiredReplicas"] = desired
        write_status(hpa, status)

    def get_scale(mem: _Memory, res: Any, ns: str, name: str) -> Obj:
        """The target's scale subresource; read again only when the target object changed."""
        obj = reg.get(res, ns, name)
        if mem.target is not None and mem.target[0] is res and mem.target[1] is obj:
            return mem.target[2]
        scale = reg.sub.scale_of(res, obj)
        mem.target = (res, obj, scale)
        return scale

    def behavior(spec: Obj, mem: _Memory) -> _Behavior:
        """``spec.behavior`` resolved, once per spec object (a new one comes with each write)."""
        if mem.behavior is None or mem.behavior[0] is not spec:
            mem.behavior = (spec, _Behavior.of(spec, settings))
        return mem.behavior[1]

    def normalize(spec: Obj, mem: _Memory, current: int, proposed: int, min_r: int, max_r: int,
                  now: float) -> tuple[int, str, str, tuple[str, str, str]]:
        b = behavior(spec, mem)
        up, down = b.up, b.down
        up_rec, down_rec = _window_extremes(mem, proposed, now - b.up_window, now - b.down_window)
        stabilized = current
        if stabilized < up_rec:
            stabilized = up_rec
        if stabilized > down_rec:
            stabilized = down_rec
        _remember(mem, now, proposed, now - b.horizon)
        able = ("ReadyForNewScale", "recommended size matches current size")
        if stabilized != proposed:
            able = ("ScaleDownStabilized", "recent recommendations were higher than current one, "
                    "applying the highest recent recommendation") if proposed < stabilized else \
                ("ScaleUpStabilized", "recent recommendations were lower than current one, "
                 "applying the lowest recent recommendation")
        desired = stabilized
        limit = ("False", "DesiredWithinRange", "the desired count is within the acceptable range")
        if desired > current:
            cap = _rate_limit(up, mem.events, current, now, scale_up=True)
            if desired > cap:
                desired = cap
                limit = ("True", "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
        elif desired < current:
            floor = _rate_limit(down, mem.events, current, now, scale_up=False)
            if desired < floor:
                desired = floor
                limit = ("True", "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
        if desired > max_r:
            desired = max_r
            limit = ("True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        elif desired < min_r:
            desired = min_r
            limit = ("True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        events_after = now - b.events_horizon
        mem.events = [(t, c) for t, c in mem.events if t > events_after]
        return desired, able[0], able[1], limit

    def write_status(hpa: Obj, status: Obj) -> None:
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        if status == hpa.get("status"):
            return
        res = reg.table.by_key(HPA)
        assert res is not None
        new = objects.deep_copy({**hpa, "status": status})  # status shares parts with hpa's
        try:
            reg._update_from(res, new, hpa, WriteOptions(), "status")
        except errors.Conflict:
            pass

    ctrl = ctx.manager.add("horizontal-pod-autoscaler", reconcile)

    def on_hpa(et: str, obj: Obj, old: Obj | None) -> None:
        if et == "DELETED" or old is None or \
                old["metadata"].get("generation") != obj["metadata"].get("generation"):
            ctrl.enqueue(Request(obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))

    hpas.add_handler(on_hpa)


def _rate_limit(rules: Obj, events: list[tuple[float, int]], current: int, now: float,
                scale_up: bool) -> int:
    """The most (scale up) or fewest (scale down) replicas the policies allow now."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    limits = []
    for p in rules.get("policies") or []:
        period = float(p.get("periodSeconds") or 15)
        changed = sum(c for t, c in events if t > now - period and (c > 0) == scale_up)
        start = current - changed
        value = int(p.get("value") or 0)
        if scale_up:
            limits.append(start + value if p.get("type") == "Pods" else math.ceil(start * (1 + value / 100)))
        else:
            limits.append(start - value if p.get("type") == "Pods" else math.ceil(start * (1 - value / 100)))
    if not limits:
        return current
    if scale_up:
        return max(limits) if select == "Max" else min(limits)
    return min(limits) if select == "Max" else max(limits)


def _window_extremes(mem: _Memory, proposed: int, up_after: float,
                     down_after: float) -> tuple[int, int]:
    """The lowest recommendation after ``up_after`` and the highest after ``down_after``
    (``proposed`` included). While times are in order, each window is a suffix of the list:
    bisected instead of scanned (a 600 s memory at a 15 s period holds 40)."""
    times, reps = mem.rec_times, mem.rec_replicas
    if not mem.in_order:
        up_rec = down_rec = proposed
        for t, r in zip(times, reps):
            if t > up_after and r < up_rec:
                up_rec = r
            if t > down_after and r > down_rec:
                down_rec = r
        return up_rec, down_rec
    up = reps[bisect.bisect_right(times, up_after):]
    down = reps[bisect.bisect_right(times, down_after):]
    # (not min/max(..., default=): keyword arguments make those calls several times slower)
    return (min(proposed, min(up)) if up else proposed), \
        (max(proposed, max(down)) if down else proposed)


def _remember(mem: _Memory, now: float, proposed: int, kept_after: float) -> None:
    """Forget recommendations from before ``kept_after`` (a prefix while in order) and add
    this one."""
    times, reps = mem.rec_times, mem.rec_replicas
    if mem.in_order:
        gone = bisect.bisect_right(times, kept_after)
        del times[:gone], reps[:gone]
    else:
        kept = [(t, r) for t, r in zip(times, reps) if t > kept_after]
        times[:] = [t for t, _ in kept]
        reps[:] = [r for _, r in kept]
        mem.in_order = all(a <= b for a, b in itertools.pairwise(times))
    if times and now < times[-1]:
        mem.in_order = False  # a real clock stepped back
    times.append(now)
    reps.append(proposed)


def parse_time(value: Any) -> float | None:
    try:
        return parse_rfc3339(value) if value else None
    except ValueError:
        return None


#: what a sync needs of a pod that does not depend on time or metrics: the requested amount,
#: then ``_Readiness``
_Static = tuple[int, "bool | None", float, bool, "bool | None"]
#: a pod's readiness as the calculator judges it, split at the end of its cpu initialization
#: period: (unready whatever the time, or None; end of the period; unready before it; unready
#: after it, or None when only ``_late_unready`` can tell)
_Readiness = tuple["bool | None", float, bool, "bool | None"]


def _static_facts(p: Obj, md: Obj, resource: str, container: str | None,
                  amount: Callable[[str, Any], int], s: HpaSettings) -> _Static | None:
    """A pod's request and ``_readiness``; None for pods the calculator skips (being
    deleted, Failed)."""
    status = p.get("status") or {}
    if md.get("deletionTimestamp") or status.get("phase") == "Failed":
        return None
    req = 0
    for c in (p.get("spec") or {}).get("containers") or ():
        if container and c.get("name") != container:
            continue
        v = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if v is not None:
            req += amount(resource, v)
    return (req, *_readiness(p, resource, s))


def _unready(pod: Obj, resource: str, now: float, s: HpaSettings) -> bool:
    """Pods the calculator ignores when scaling up (the real groupPods rules, for cpu)."""
    always, init_until, initializing, after = _readiness(pod, resource, s)
    if always is not None:
        return always
    if init_until > now:
        return initializing
    return _late_unready(pod, s) if after is None else after


def _readiness(pod: Obj, resource: str, s: HpaSettings) -> _Readiness:
    """What ``_unready`` says of this pod, at any time (see ``_Readiness``)."""
    status = pod.get("status") or {}
    if status.get("phase") == "Pending":
        return True, 0.0, True, True
    if resource != "cpu":
        return False, 0.0, False, False
    start = parse_time(status.get("startTime"))
    ready = podcontrol.ready_condition(pod)
    if start is None or ready is None:
        return True, 0.0, True, True
    # Ready=False after the initialization period compares lastTransitionTime
    after = None if ready.get("status") == "False" else False
    return None, start + s.cpu_initialization_period, ready.get("status") != "True", after


def _late_unready(pod: Obj, s: HpaSettings) -> bool:
    """A running cpu pod found Ready=False after its initialization period: unready when it
    went so within the initial readiness delay of its start."""
    start = parse_time((pod.get("status") or {}).get("startTime"))
    ready = podcontrol.ready_condition(pod)
    assert start is not None and ready is not None  # as ``_readiness`` found them
    ltt = parse_time(ready.get("lastTransitionTime")) or start
    return start + s.initial_readiness_delay > ltt
