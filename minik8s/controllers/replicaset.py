"""ReplicaSet controller: keep ``spec.replicas`` active pods matching the selector.

Like kube-controller-manager's ``pkg/controller/replicaset``: claim pods (adopt matching
orphans, release owned pods that stopped matching), create or delete the difference (at most
``BURST_REPLICAS`` per sync, creations in slow-start batches), pick victims by
``podcontrol.deletion_order``, and write ``status`` (replicas, fullyLabeledReplicas,
readyReplicas, availableReplicas, observedGeneration, the ReplicaFailure condition).
``replicationcontroller`` runs the same reconcile over ReplicationControllers (``Kind``).

Informer caches are current at commit time here, so the real controller's expectations
(waiting for its own creates and deletes to be observed) are not needed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from minik8s.api import errors, selectors
from minik8s.controllers import podcontrol
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, TerminalError
from minik8s.api import objects

Obj = dict[str, Any]


def _rs_selector(obj: Mapping[str, Any]) -> selectors.LabelSelector:
    return podcontrol.label_selector((obj.get("spec") or {}).get("selector"))


def _rc_selector(obj: Mapping[str, Any]) -> selectors.LabelSelector:
    sel = (obj.get("spec") or {}).get("selector")
    if not sel:  # an RC selects nothing without a selector (defaulting copies template labels)
        return selectors.nothing()
    return podcontrol.label_selector({"matchLabels": sel})


@dataclasses.dataclass(frozen=True)
class Kind:
    """What differs between the ReplicaSet and ReplicationController controllers."""

    api_version: str
    kind: str
    #: the work queue's and the events' name
    controller: str
    #: ``ctx.rng`` stream for pod names
    rng: str
    selector: Callable[[Mapping[str, Any]], selectors.LabelSelector]


REPLICASET = Kind("apps/v1", "ReplicaSet", "replicaset-controller", "replicaset", _rs_selector)
REPLICATIONCONTROLLER = Kind("v1", "ReplicationController", "replication-controller",
                             "replicationcontroller", _rc_selector)


def setup(ctx: ControllerContext) -> None:
    setup_kind(ctx, REPLICASET)


def setup_kind(ctx: ControllerContext, kind: Kind) -> None:
    owners = ctx.informers.informer(kind.api_version, kind.kind)
    pods = ctx.informers.informer("v1", "pods")
    by_controller, orphans = podcontrol.BY_CONTROLLER, podcontrol.ORPHANS
    podcontrol.index_by_controller(pods)
    podcontrol.index_by_controller(owners, orphans=False)
    control = podcontrol.PodControl(ctx.client, ctx.rng(kind.rng), kind.controller)
    clock, client = ctx.clock, ctx.client

    def related_pods(owner: Obj) -> list[Obj]:
        """getIndirectlyRelatedPods: pods of every owner sharing this one's controller."""
        ref = podcontrol.controller_ref(owner)
        siblings = owners.by_index(by_controller, ref["uid"]) if ref else [owner]
        out: list[Obj] = []
        for s in siblings:
            out.extend(pods.by_index(by_controller, s["metadata"]["uid"]))
        return out

    def reconcile(req: Request) -> Result | None:
        owner = owners.get(req.namespace, req.name)
        if owner is None:
            return None
        try:
            sel = kind.selector(owner)
        except selectors.SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from e
        uid = owner["metadata"]["uid"]
        candidates = pods.by_index(by_controller, uid) + [
            p for p in pods.by_index(orphans, req.namespace)
            if sel.matches(podcontrol.labels_of(p))]
        active = podcontrol.claim(client, owner, sel.matches,
                                  [p for p in candidates if podcontrol.is_active(p)])
        err: Exception | None = None
        if not owner["metadata"].get("deletionTimestamp"):
            active, err = manage(owner, active)
        now = clock.now()
        status = calculate_status(owner, active, err, now, clock.rfc3339())
        if status != (owner.get("status") or {}):
            new = objects.deep_copy(owner)
            new["status"] = status
            owner = client.update_status(new)
        if err is not None:
            raise err
        return _requeue(owner, active, now)

    def manage(owner: Obj, active: list[Obj]) -> tuple[list[Obj], Exception | None]:
        """manageReplicas: create or delete the difference; the pods that remain active."""
        diff = len(active) - int((owner.get("spec") or {}).get("replicas", 1))
        template = (owner.get("spec") or {}).get("template") or {}
        if diff < 0:
            created: list[Obj] = []

            def create() -> None:
                try:
                    created.append(control.create(owner, template))
                except errors.ApiError as e:
                    if not podcontrol.namespace_terminating(e):  # all later creates fail too
                        raise

            _, err = podcontrol.slow_start(min(-diff, podcontrol.BURST_REPLICAS), create)
            return active + created, err
        if diff > 0:
            diff = min(diff, podcontrol.BURST_REPLICAS)
            victims = active if diff >= len(active) else podcontrol.deletion_order(
                active, related_pods(owner), clock.now())[:diff]
            gone = {v["metadata"]["name"] for v in victims}
            first: Exception | None = None
            for v in victims:
                try:
                    control.delete(owner, v)
                except errors.ApiError as e:
                    gone.discard(v["metadata"]["name"])
                    first = first or e
            return [p for p in active if p["metadata"]["name"] not in gone], first
        return active, None

    ctrl = ctx.manager.add(kind.controller, reconcile)

    def enqueue_owner(ns: str, ref: Obj | None) -> None:
        if ref is not None and ref.get("kind") == kind.kind:
            ctrl.enqueue(Request(ns, ref["name"]))

    def enqueue_matching(pod: Obj) -> None:
        ns = pod["metadata"].get("namespace", "")
        labels = podcontrol.labels_of(pod)
        for o in owners.list(ns):
            try:
                if kind.selector(o).matches(labels):
                    ctrl.enqueue(Request(ns, o["metadata"]["name"]))
            except selectors.SelectorError:
                continue

    def on_pod(etype: str, pod: Obj, old: Obj | None) -> None:
        ns = pod["metadata"].get("namespace", "")
        ref = podcontrol.controller_ref(pod)
        enqueue_owner(ns, ref)
        old_ref = podcontrol.controller_ref(old) if old is not None else None
        if old is not None and old_ref != ref:
            enqueue_owner(ns, old_ref)
        if etype != "DELETED" and ref is None and (
                old is None or podcontrol.labels_of(old) != podcontrol.labels_of(pod)
                or old_ref is not None):
            enqueue_matching(pod)

    owners.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"].get("namespace", ""), o["metadata"]["name"])) if et != "DELETED" else None)
    pods.add_handler(on_pod, replay=False)


def calculate_status(owner: Obj, active: list[Obj], err: Exception | None, now: float,
                     stamp: str) -> Obj:
    """calculateStatus + observedGeneration, with the API's omitempty fields left out."""
    old = owner.get("status") or {}
    spec = owner.get("spec") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    tlabels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    fully = ready = available = 0
    titems = tlabels.items()
    for p in active:
        labels = podcontrol.labels_of(p)
        if all(labels.get(k) == v for k, v in titems):
            fully += 1
        if podcontrol.is_ready(p):
            ready += 1
            if not min_ready or podcontrol.is_available(p, min_ready, now):
                available += 1
    conds = [dict(c) for c in old.get("conditions") or ()]
    failure = next((c for c in conds if c.get("type") == "ReplicaFailure"), None)
    if err is not None and failure is None:
        diff = len(active) - int(spec.get("replicas", 1))
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conds.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": stamp,
                      "reason": reason, "message": getattr(err, "message", str(err))})
    elif err is None and failure is not None:
        conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
    status: Obj = {"replicas": len(active)}
    for key, value in (("fullyLabeledReplicas", fully), ("readyReplicas", ready),
                       ("availableReplicas", available),
                       ("observedGeneration", owner["metadata"].get("generation", 0))):
        if value:
            status[key] = value
    if conds:
        status["conditions"] = conds
    return status


def _requeue(owner: Obj, active: list[Obj], now: float) -> Result | None:
    """Look again when the next ready pod has been ready for minReadySeconds."""
    min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
    if not min_ready:
        return None
    due = [t for p in active if (t := podcontrol.available_at(p, min_ready)) is not None
           and now < t < math.inf]
    return Result(requeue_after=min(due) - now) if due else None
