"""PrioritySort: the scheduling queue's order (the controller's queue uses it).

Higher ``spec.priority`` first; equal priorities in the order they were queued
(``timestamp``, defaulting to ``metadata.creationTimestamp``).

Neighbours: the lead's scheduling queue; kube-scheduler ``plugins/queuesort``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler.podinfo import priority

NAME = "PrioritySort"


def _created(pod: Mapping[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("creationTimestamp") or "")


def less(pod_a: Mapping[str, Any], pod_b: Mapping[str, Any],
         timestamp_a: Any = None, timestamp_b: Any = None) -> bool:
    """True when ``pod_a`` should be scheduled before ``pod_b``."""
    pa, pb = priority(pod_a), priority(pod_b)
    if pa != pb:
        return pa > pb
    ta = timestamp_a if timestamp_a is not None else _created(pod_a)
    tb = timestamp_b if timestamp_b is not None else _created(pod_b)
    return bool(ta < tb)


def sort_key(pod: Mapping[str, Any], timestamp: Any = None) -> tuple[int, Any]:
    """A key with the same order as ``less`` (for ``heapq``/``sorted``)."""
    return (-priority(pod), timestamp if timestamp is not None else _created(pod))
