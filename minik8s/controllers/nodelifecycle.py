"""Node lifecycle controller (kube-controller-manager's), with the NoExecute taint manager.

Health (key: node name): a node whose kubelet has posted nothing — neither a
Lease renewal nor a heartbeat — for ``nodeMonitorGracePeriod`` (40 s;
``nodeStartupGracePeriod``, 60 s, for a node that never posted) gets every
condition set to Unknown ("Kubelet stopped posting node status."), a
``NodeNotReady`` event, and its pods marked not Ready. The check is a timer
on the clock at the moment the grace period would run out.

Taints (same key): Ready False → ``node.kubernetes.io/not-ready``, Unknown →
``node.kubernetes.io/unreachable``, each as NoExecute and NoSchedule; pressure
conditions → their NoSchedule taints; ``spec.unschedulable`` →
``node.kubernetes.io/unschedulable:NoSchedule``. They go when the cause goes.
Taints set by anyone else are left alone.

Eviction (key: pod): a pod on a node with NoExecute taints it does not
tolerate is deleted now; one that tolerates them all with
``tolerationSeconds`` is deleted that long after it was first seen so
(the smallest of them; tolerations without seconds tolerate forever). Before
deleting: a ``DisruptionTarget`` condition and a ``TaintManagerEviction``
event, as the taint-eviction-controller does.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.controllers import podcontrol
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, requeue_after
from minik8s.api import objects

Obj = dict[str, Any]
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS = {"MemoryPressure": "node.kubernetes.io/memory-pressure",
                    "DiskPressure": "node.kubernetes.io/disk-pressure",
                    "PIDPressure": "node.kubernetes.io/pid-pressure",
                    "NetworkUnavailable": "node.kubernetes.io/network-unavailable"}
MANAGED = {NOT_READY, UNREACHABLE, UNSCHEDULABLE, *CONDITION_TAINTS.values()}
NODE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")
POD_NODE_INDEX = "nodelifecycle:node"
LEASE_NS = "kube-node-lease"


@dataclasses.dataclass
class Settings:
    #: kube-controller-manager --node-monitor-grace-period
    nodeMonitorGracePeriod: float = 40.0
    #: --node-startup-grace-period: for a node that has never posted its status
    nodeStartupGracePeriod: float = 60.0
    #: run the NoExecute taint manager (--controllers=-taint-eviction-controller turns it off)
    taintEviction: bool = True


def tolerates(tol: Obj, taint: Obj) -> bool:
    """v1.Toleration.ToleratesTaint."""
    if tol.get("effect") and tol.get("effect") != taint.get("effect"):
        return False
    if tol.get("key") and tol.get("key") != taint.get("key"):
        return False
    op = tol.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (tol.get("value") or "") == (taint.get("value") or "")


def min_toleration(taints: list[Obj], tolerations: list[Obj]) -> float | None:
    """Seconds the pod may stay (inf: forever), or None when a taint is not tolerated."""
    used = []
    for t in taints:
        tol = next((x for x in tolerations if tolerates(x, t)), None)
        if tol is None:
            return None
        used.append(tol)
    best = math.inf
    for tol in used:
        s = tol.get("tolerationSeconds")
        if s is not None:
            if s <= 0:
                return 0.0
            best = min(best, float(s))
    return best


def setup(ctx: ControllerContext) -> None:
    cfg = Settings(**ctx.settings("nodelifecycle"))
    client, clock = ctx.client, ctx.clock
    nodes = ctx.informers.informer("v1", "nodes")
    pods = ctx.informers.informer("v1", "pods")
    leases = ctx.informers.informer("coordination.k8s.io/v1", "leases")
    pods.add_indexer(POD_NODE_INDEX, lambda p: [p["spec"]["nodeName"]]
                     if (p.get("spec") or {}).get("nodeName") else [])
    #: pod key -> (uid, when its eviction clock started)
    scheduled: dict[Request, tuple[str, float]] = {}
    #: node -> (the Node object its last reconcile read, grace deadline) while a node that is
    #: not Unknown waits on its deadline timer; see ``renewal_moves_nothing``. Stored objects
    #: are never changed in place: the same object is the same Node.
    armed: dict[str, tuple[Obj, float]] = {}
    #: node -> the Node object whose taints were last found as they should be (the same
    #: object needs no second look: the deadline timer finds the node unchanged most times)
    taints_ok: dict[str, Obj] = {}

    def renew_time(lease: Obj | None) -> float | None:
        """The Lease's renewTime in epoch seconds (None: no Lease, or never renewed)."""
        renew = ((lease or {}).get("spec") or {}).get("renewTime")
        return parse_rfc3339(renew) if renew else None

    def probe_time(node: Obj, ready: Obj | None) -> float:
        times = []
        renew = renew_time(leases.get(LEASE_NS, node["metadata"]["name"]))
        if renew is not None:
            times.append(renew)
        if ready is not None and ready.get("lastHeartbeatTime"):
            times.append(parse_rfc3339(ready["lastHeartbeatTime"]))
        if not times:
            times.append(parse_rfc3339(node["metadata"]["creationTimestamp"]))
        return max(times)

    def mark_unknown(node: Obj, never: bool) -> None:
        now = clock.rfc3339()
        new = objects.deep_copy(node)
        status = new.setdefault("status", {})
        by_type = {c.get("type"): c for c in status.get("conditions") or ()}
        reason, msg = (("NodeStatusNeverUpdated", "Kubelet never posted node status.") if never
                       else ("NodeStatusUnknown", "Kubelet stopped posting node status."))
        for t in NODE_CONDITIONS:
            c = by_type.get(t)
            if c is None:
                c = by_type[t] = {"type": t, "lastHeartbeatTime": node["metadata"]["creationTimestamp"]}
                status.setdefault("conditions", []).append(c)
            if c.get("status") != "Unknown":
                c.update(status="Unknown", reason=reason, message=msg, lastTransitionTime=now)
        client.update_status(new, manager="node-controller")

    def mark_pods_not_ready(name: str) -> None:
        for p in pods.by_index(POD_NODE_INDEX, name):
            conds = (p.get("status") or {}).get("conditions") or []
            ready = next((c for c in conds if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            new = objects.deep_copy(p)
            for c in new["status"]["conditions"]:
                if c.get("type") == "Ready":
                    c["status"] = "False"
                    c["lastTransitionTime"] = clock.rfc3339()
            try:
                client.update_status(new, manager="node-controller")
            except errors.NotFound:
                continue
            client.event(p, "NodeNotReady", "Node is not ready", type="Warning",
                         component="node-controller")

    def desired_taints(node: Obj) -> set[tuple[str, str]]:
        want: set[tuple[str, str]] = set()
        conds = {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or ()}
        ready = conds.get("Ready")
        if ready == "False":
            want |= {(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")}
        elif ready == "Unknown":
            want |= {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
        for ctype, key in CONDITION_TAINTS.items():
            if conds.get(ctype) == "True":
                want.add((key, "NoSchedule"))
        if (node.get("spec") or {}).get("unschedulable"):
            want.add((UNSCHEDULABLE, "NoSchedule"))
        return want

    def sync_taints(node: Obj) -> None:
        name = node["metadata"]["name"]
        if taints_ok.get(name) is node:
            return
        taints = list((node.get("spec") or {}).get("taints") or [])
        want = desired_taints(node)
        have = {(t.get("key"), t.get("effect")) for t in taints if t.get("key") in MANAGED}
        if have == want:
            taints_ok[name] = node
            return
        taints_ok.pop(name, None)
        keep = [t for t in taints if t.get("key") not in MANAGED or (t.get("key"), t.get("effect")) in want]
        now = clock.rfc3339()
        for key, effect in sorted(want - have):
            keep.append({"key": key, "effect": effect, "timeAdded": now})
        new = objects.deep_copy(node)
        spec = new.setdefault("spec", {})  # a Node may be created without one
        if keep:
            spec["taints"] = keep
        else:
            spec.pop("taints", None)
        client.update(new, manager="node-controller")

    def reconcile_node(name: str) -> Result | None:
        armed.pop(name, None)
        node = nodes.get("", name)
        if node is None:
            taints_ok.pop(name, None)
            return None
        ready = podcontrol.ready_condition(node)  # (reads any object's status conditions)
        never = ready is None or not ready.get("lastHeartbeatTime")
        grace = cfg.nodeStartupGracePeriod if never else cfg.nodeMonitorGracePeriod
        deadline = probe_time(node, ready) + grace
        now = clock.now()
        if (ready is None or ready.get("status") != "Unknown") and now + 1e-6 >= deadline:
            was_ready = ready is not None and ready.get("status") == "True"
            mark_unknown(node, never)
            client.event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady",
                         component="node-controller")
            if was_ready:
                mark_pods_not_ready(name)
            return None  # our own write wakes us again
        sync_taints(node)
        if ready is not None and ready.get("status") == "Unknown":
            return None
        armed[name] = (node, deadline)
        return requeue_after(max(deadline - now, 0.001))

    def reconcile_pod(req: Request) -> Result | None:
        pod = pods.get(req.namespace, req.name)
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        node = nodes.get("", node_name) if node_name else None
        if pod is None or node is None or pod["metadata"].get("deletionTimestamp"):
            scheduled.pop(req, None)
            return None
        uid = pod["metadata"].get("uid", "")
        if req in scheduled and scheduled[req][0] != uid:
            del scheduled[req]  # same name, new pod
        taints = [t for t in (node.get("spec") or {}).get("taints") or ()
                  if t.get("effect") == "NoExecute"]
        seconds = min_toleration(taints, (pod.get("spec") or {}).get("tolerations") or []) \
            if taints else math.inf
        if seconds == math.inf:
            if scheduled.pop(req, None) is not None:
                client.event(pod, "TaintManagerEviction",
                             f"Cancelling deletion of Pod {req.namespace}/{req.name}",
                             component="taint-eviction-controller")
            return None
        now = clock.now()
        if seconds is not None:
            start = scheduled.setdefault(req, (uid, now))[1]
            if now + 1e-6 < start + seconds:
                return Result(requeue_after=start + seconds - now)
        scheduled.pop(req, None)
        evict(pod)
        return None

    def evict(pod: Obj) -> None:
        md = pod["metadata"]
        new = objects.deep_copy(pod)
        conds = [c for c in new.setdefault("status", {}).get("conditions") or ()
                 if c.get("type") != "DisruptionTarget"]
        conds.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": clock.rfc3339(), "reason": "DeletionByTaintManager",
                      "message": "Taint manager: deleting due to NoExecute taint"})
        new["status"]["conditions"] = conds
        try:
            client.update_status(new, manager="taint-eviction-controller")
            client.event(pod, "TaintManagerEviction",
                         f"Marking for deletion Pod {md.get('namespace')}/{md['name']}",
                         component="taint-eviction-controller")
            client.delete("v1", "Pod", md["name"], md.get("namespace", ""))
        except errors.NotFound:
            pass

    node_ctrl = ctx.manager.add("node-lifecycle-controller", reconcile_node)
    pod_ctrl = ctx.manager.add("taint-eviction-controller", reconcile_pod)

    def no_execute(n: Obj | None) -> list[Any]:
        return [t for t in ((n or {}).get("spec") or {}).get("taints") or ()
                if t.get("effect") == "NoExecute"]

    def on_node(et: str, n: Obj, old: Obj | None) -> None:
        name = n["metadata"]["name"]
        armed.pop(name, None)
        node_ctrl.enqueue(name)
        if cfg.taintEviction and et != "DELETED" and no_execute(n) != no_execute(old):
            for p in pods.by_index(POD_NODE_INDEX, name):
                pod_ctrl.enqueue(Request(p["metadata"].get("namespace", ""), p["metadata"]["name"]))

    def renewal_moves_nothing(name: str, lease: Obj, old: Obj) -> bool:
        """Whether reconciling the node for this Lease update could only repeat its last look.

        While ``name`` is armed, the node's last reconcile saw this very Node object, found it
        not Unknown and its taints in order, and left a timer at or before ``deadline``; every
        Lease update since kept renewTime from going back. A renewal that moves renewTime
        forward again can then only move the deadline later: the reconcile would find the
        deadline ahead (no Unknown), the same taints (no write), and ask for a timer after the
        one already pending (the queue keeps the earlier). So the node waits for that timer,
        which reads the newest Lease, as it would have anyway.
        """
        seen = armed.get(name)
        if seen is None or clock.now() + 1e-6 >= seen[1]:
            return False
        if nodes.get("", name) is not seen[0]:
            return False
        before, after = renew_time(old), renew_time(lease)
        return before is not None and after is not None and after >= before

    def on_lease(et: str, lease: Obj, old: Obj | None) -> None:
        md = lease["metadata"]
        if md.get("namespace") != LEASE_NS:
            return
        name = md["name"]
        if et == "MODIFIED" and old is not None and renewal_moves_nothing(name, lease, old):
            return
        armed.pop(name, None)
        node_ctrl.enqueue(name)

    def on_pod(et: str, p: Obj, old: Obj | None) -> None:
        if not cfg.taintEviction:
            return
        node = (p.get("spec") or {}).get("nodeName")
        if et == "DELETED" or (node and node != ((old or {}).get("spec") or {}).get("nodeName")) or \
                bool(p["metadata"].get("deletionTimestamp")) != bool(
                    ((old or {}).get("metadata") or {}).get("deletionTimestamp")):
            pod_ctrl.enqueue(Request(p["metadata"].get("namespace", ""), p["metadata"]["name"]))

    def start() -> None:
        nodes.add_handler(on_node)
        leases.add_handler(on_lease, replay=False)
        pods.add_handler(on_pod)

    ctx.manager.on_start(start)
