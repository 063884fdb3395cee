"""Pod garbage collector, as kube-controller-manager's pod-garbage-collector (``pkg/controller/podgc``).

One reconcile (key ``"gc"``) over all pods and nodes, run when something it cares about
changes and re-run on the clock while work is pending:

- terminated pods (Succeeded/Failed) beyond ``terminatedPodGCThreshold`` are force-deleted,
  evicted ones first, then oldest first;
- terminating pods on a NotReady node tainted ``node.kubernetes.io/out-of-service`` are
  force-deleted;
- pods bound to a node that no longer exists (still missing after a 40 s quarantine) are marked
  ``Failed`` with a ``DisruptionTarget`` condition (``DeletionByPodGC``) and force-deleted;
- terminating pods that were never scheduled are marked ``Failed`` and force-deleted.

"Force-deleted" is a delete with ``gracePeriodSeconds: 0``; a pod with finalizers (e.g. the
Job controller's) stays until they go. Settings (``components["podgc"]``):
``terminatedPodGCThreshold`` (default 12500; 0 turns that part off), ``quarantineSeconds``
(40).
"""

from __future__ import annotations

from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "pod-garbage-collector"
KEY = "gc"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
QUARANTINE = 40.0
THRESHOLD = 12500


def terminated(p: Obj | None) -> bool:
    return p is not None and (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def node_ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


def out_of_service(node: Obj) -> bool:
    return any(t.get("key") == OUT_OF_SERVICE and t.get("effect") == "NoExecute"
               for t in (node.get("spec") or {}).get("taints") or ())


def forced(p: Obj) -> bool:
    """Already failed and force-deleted (only finalizers keep it)."""
    md = p["metadata"]
    return terminated(p) and bool(md.get("deletionTimestamp")) and \
        md.get("deletionGracePeriodSeconds") == 0


def _gc_order(p: Obj) -> tuple[Any, ...]:
    st = p.get("status") or {}
    evicted = st.get("phase") == "Failed" and st.get("reason") == "Evicted"
    created = p["metadata"].get("creationTimestamp")
    return (not evicted, parse_rfc3339(created) if created else 0.0, p["metadata"]["name"])


def setup(ctx: ControllerContext) -> None:
    pods = ctx.informers.informer("v1", "pods")
    nodes = ctx.informers.informer("v1", "nodes")
    client, clock = ctx.client, ctx.clock
    settings = ctx.settings("podgc")
    threshold = int(settings.get("terminatedPodGCThreshold", THRESHOLD))
    quarantine = float(settings.get("quarantineSeconds", QUARANTINE))
    missing_since: dict[str, float] = {}   # node name → when first seen missing
    counts = {"terminated": 0}

    def force_delete(pod: Obj, condition: Obj | None = None) -> None:
        md = pod["metadata"]
        try:
            if not terminated(pod):
                new = objects.deep_copy(pod)
                st = new.setdefault("status", {})
                st["phase"] = "Failed"
                if condition is not None:
                    conds = [c for c in st.get("conditions") or () if c.get("type") != condition["type"]]
                    st["conditions"] = conds + [condition]
                client.update_status(new, manager=COMPONENT)
            client.delete("v1", "Pod", md["name"], md["namespace"], grace_period_seconds=0)
        except errors.NotFound:
            pass

    def reconcile(key: str) -> Result | None:
        now = clock.now()
        all_pods = pods.list()
        if threshold > 0:
            done = [p for p in all_pods if terminated(p)]
            if len(done) > threshold:
                for p in sorted(done, key=_gc_order)[:len(done) - threshold]:
                    force_delete(p)
        for p in all_pods:
            node = nodes.get("", (p.get("spec") or {}).get("nodeName") or "")
            if p["metadata"].get("deletionTimestamp") and not forced(p) and node is not None \
                    and not node_ready(node) and out_of_service(node):
                force_delete(p)
        wait: float | None = None
        bound = {str((p.get("spec") or {}).get("nodeName") or "") for p in all_pods} - {""}
        for name in list(missing_since):
            if name not in bound or nodes.get("", name) is not None:
                del missing_since[name]
        for name in sorted(bound):
            if nodes.get("", name) is None:
                since = missing_since.setdefault(name, now)
                left = since + quarantine - now
                if left > 0:
                    wait = left if wait is None else min(wait, left)
        condition = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                     "lastTransitionTime": clock.rfc3339(), "reason": "DeletionByPodGC",
                     "message": "PodGC: node no longer exists"}
        for p in pods.list():
            name = (p.get("spec") or {}).get("nodeName") or ""
            md = p["metadata"]
            if name and name in missing_since and missing_since[name] + quarantine <= now:
                if not forced(p):
                    force_delete(p, condition)
            elif not name and md.get("deletionTimestamp") and not forced(p):
                force_delete(p)
        return Result(requeue_after=wait) if wait is not None else None

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def on_pod(et: str, pod: Obj, old: Obj | None) -> None:
        done = terminated(pod)
        if et == "ADDED":
            counts["terminated"] += done
        elif et == "DELETED":
            counts["terminated"] -= done
            return
        else:
            counts["terminated"] += int(done) - int(terminated(old))
        md, spec = pod["metadata"], pod.get("spec") or {}
        node_name = spec.get("nodeName") or ""
        node = nodes.get("", node_name) if node_name else None
        over = threshold > 0 and done and counts["terminated"] > threshold
        orphaned = bool(node_name) and node is None
        stuck = bool(md.get("deletionTimestamp")) and not forced(pod) and (
            not node_name or (node is not None and not node_ready(node) and out_of_service(node)))
        if over or orphaned or stuck:
            ctrl.enqueue(KEY)

    def on_node(et: str, node: Obj, old: Obj | None) -> None:
        if et == "DELETED" or out_of_service(node):
            ctrl.enqueue(KEY)

    pods.add_handler(on_pod)
    nodes.add_handler(on_node, replay=False)
