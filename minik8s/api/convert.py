"""Version conversion for resources served in more than one version.

Objects are stored in the resource's storage version; requests in another
version are converted in, responses converted out. Today that is the
HorizontalPodAutoscaler (stored as autoscaling/v2, also served as v1), using
the same annotations kube-apiserver uses to round-trip what v1 cannot say.
"""

from __future__ import annotations

from typing import Any

import orjson

from minik8s.api.resources import Resource
from minik8s.api import objects

Obj = dict[str, Any]

ANN_METRICS = "autoscaling.alpha.kubernetes.io/metrics"
ANN_CURRENT = "autoscaling.alpha.kubernetes.io/current-metrics"
ANN_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
ANN_BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"


def _is_cpu_utilization(m: Obj) -> bool:
    r = m.get("resource") or {}
    return (m.get("type") == "Resource" and r.get("name") == "cpu"
            and (r.get("target") or {}).get("type") == "Utilization")


def hpa_v2_to_v1(obj: Obj) -> Obj:
    out = objects.deep_copy(obj)
    out["apiVersion"] = "autoscaling/v1"
    spec = out.get("spec") or {}
    status = out.get("status") or {}
    md = out.setdefault("metadata", {})
    ann = dict(md.get("annotations") or {})
    metrics = spec.pop("metrics", None) or []
    other = []
    for m in metrics:
        if _is_cpu_utilization(m) and "targetCPUUtilizationPercentage" not in spec:
            spec["targetCPUUtilizationPercentage"] = m["resource"]["target"].get("averageUtilization")
        else:
            other.append(m)
    if other:
        ann[ANN_METRICS] = orjson.dumps(other).decode()
    beh = spec.pop("behavior", None)
    if beh:
        ann[ANN_BEHAVIOR] = orjson.dumps(beh).decode()
    cur = status.pop("currentMetrics", None) or []
    cur_other = []
    for m in cur:
        r = m.get("resource") or {}
        if m.get("type") == "Resource" and r.get("name") == "cpu" and \
                (r.get("current") or {}).get("averageUtilization") is not None:
            status["currentCPUUtilizationPercentage"] = r["current"]["averageUtilization"]
        else:
            cur_other.append(m)
    if cur_other:
        ann[ANN_CURRENT] = orjson.dumps(cur_other).decode()
    conds = status.pop("conditions", None)
    if conds:
        ann[ANN_CONDITIONS] = orjson.dumps(conds).decode()
    status.setdefault("currentReplicas", status.get("currentReplicas", 0))
    status.setdefault("desiredReplicas", status.get("desiredReplicas", 0))
    if ann:
        md["annotations"] = ann
    out["spec"], out["status"] = spec, status
    return out


def hpa_v1_to_v2(obj: Obj) -> Obj:
    out = objects.deep_copy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    md = out.setdefault("metadata", {})
    ann = dict(md.get("annotations") or {})
    metrics = []
    pct = spec.pop("targetCPUUtilizationPercentage", None)
    if pct is not None:
        metrics.append({"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": pct}}})
    raw = ann.pop(ANN_METRICS, None)
    if raw:
        try:
            metrics.extend(orjson.loads(raw))
        except orjson.JSONDecodeError:
            pass
    if metrics:
        spec["metrics"] = metrics
    raw = ann.pop(ANN_BEHAVIOR, None)
    if raw:
        try:
            spec["behavior"] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    status = out.get("status")
    if isinstance(status, dict):
        cur = status.pop("currentCPUUtilizationPercentage", None)
        current = []
        if cur is not None:
            current.append({"type": "Resource", "resource": {
                "name": "cpu", "current": {"averageUtilization": cur}}})
        raw = ann.pop(ANN_CURRENT, None)
        if raw:
            try:
                current.extend(orjson.loads(raw))
            except orjson.JSONDecodeError:
                pass
        if current:
            status["currentMetrics"] = current
        raw = ann.pop(ANN_CONDITIONS, None)
        if raw:
            try:
                status["conditions"] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
    else:
        for a in (ANN_CURRENT, ANN_CONDITIONS):
            ann.pop(a, None)
    if ann:
        md["annotations"] = ann
    else:
        md.pop("annotations", None)
    return out


_CONVERTERS = {
    ("horizontalpodautoscalers.autoscaling", "v2", "v1"): hpa_v2_to_v1,
    ("horizontalpodautoscalers.autoscaling", "v1", "v2"): hpa_v1_to_v2,
}


def convert(res: Resource, obj: Obj, to_version: str) -> Obj:
    """Convert ``obj`` (whose apiVersion says its version) to ``to_version``."""
    cur = obj.get("apiVersion", "").rpartition("/")[2] or res.storage_version
    if cur == to_version:
        return obj
    fn = _CONVERTERS.get((res.key, cur, to_version))
    if fn is None:
        out = dict(obj)
        out["apiVersion"] = res.api_version(to_version)
        return out
    return fn(obj)
