"""The HPA's replica calculator, as kube-controller-manager computes desired replicas.

Pure functions over pod facts and metric samples, so the worked examples of
the Kubernetes HPA documentation can be table-tested directly.

For resource Utilization: usage ratio = (sum of usage / sum of requests of the
pods that have metrics) / target. Within the tolerance (0.1) nothing changes.
Otherwise, if every pod has a metric and is ready, desired = ceil(ratio × n).
Missing metrics count as 100 % of the request (or the target if higher) when scaling down and 0 % when
scaling up; not-yet-ready pods count as 0 % when scaling up. If filling them
in flips the direction or lands within the tolerance, nothing changes.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class PodFacts(NamedTuple):
    """What the calculator reads of one pod (immutable; a named tuple, which the HPA builds
    for every pod at every sync, is cheaper to make than a frozen dataclass)."""

    name: str
    #: requested amount of the resource (millicores / bytes); 0 when not set
    request: int
    #: the pod's metric value, or None when metrics are missing
    usage: int | None
    #: counts for the calculation (Running, not being deleted)
    active: bool = True
    #: not ready yet / within the cpu initialization period: ignored when scaling up
    unready: bool = False


class MetricsUnavailable(Exception):
    """No usable samples: the HPA reports ScalingActive=False."""


def utilization(pods: list[PodFacts], target_pct: int, current_replicas: int,
                tolerance: float = 0.1) -> tuple[int, int, int]:
    """→ (desired replicas, current utilization %, raw average value)."""
    ready: list[PodFacts] = []  # with a metric, ready
    missing: list[PodFacts] = []  # without a metric
    unready: list[PodFacts] = []  # with a metric, not ready
    use = req = 0  # sums over ready (one pass: the HPA asks every sync)
    no_request = False
    for p in pods:
        if not p.active:
            continue
        if p.request <= 0:
            no_request = True
        if p.usage is None:
            missing.append(p)
        elif p.unready:
            unready.append(p)
        else:
            ready.append(p)
            use += p.usage
            req += p.request
    if not (ready or missing or unready):
        raise MetricsUnavailable("no pods")
    if no_request:
        raise MetricsUnavailable("missing request for cpu")
    if not ready:
        raise MetricsUnavailable("no metrics returned from resource metrics API")
    current = int(use * 100 / req)
    ratio = (use / req * 100) / target_pct
    raw_avg = use // len(ready)
    scale_up_unready = bool(unready) and ratio > 1.0
    if not missing and not scale_up_unready:
        if abs(1.0 - ratio) <= tolerance:
            return current_replicas, current, raw_avg
        return math.ceil(ratio * len(ready)), current, raw_avg
    use2, req2 = use, req
    if missing:
        for p in missing:
            req2 += p.request
            if ratio < 1.0:
                # scaling down: assume the pod uses all it asked for (or the target, if higher)
                use2 += p.request * max(100, target_pct) // 100
    if scale_up_unready:
        for p in unready:
            req2 += p.request  # assume 0 usage
    new_ratio = (use2 / req2 * 100) / target_pct
    if abs(1.0 - new_ratio) <= tolerance or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current_replicas, current, raw_avg
    n = len(ready) + len(missing) + (len(unready) if scale_up_unready else 0)
    desired = math.ceil(new_ratio * n)
    if (new_ratio < 1.0 and desired > current_replicas) or (new_ratio > 1.0 and desired < current_replicas):
        return current_replicas, current, raw_avg
    return desired, current, raw_avg


def average_value(pods: list[PodFacts], target: int, current_replicas: int,
                  tolerance: float = 0.1) -> tuple[int, int]:
    """AverageValue targets: ratio = (sum usage / n) / target. → (desired, current average)."""
    active = [p for p in pods if p.active and p.usage is not None and not p.unready]
    if not active:
        raise MetricsUnavailable("no metrics returned from resource metrics API")
    total = sum(p.usage or 0 for p in active)
    avg = total // len(active)
    ratio = (total / len(active)) / target if target else 0.0
    if abs(1.0 - ratio) <= tolerance:
        return current_replicas, avg
    return math.ceil(total / target), avg
