"""Disruption controller: PodDisruptionBudget status, as kube-controller-manager's disruption-controller.

Per PDB: the pods its selector matches in its namespace, then

- ``minAvailable: N``      → expectedPods = number of matching pods, desiredHealthy = N;
- ``minAvailable: P%``     → expectedPods = the scale of the pods' controllers,
  desiredHealthy = ceil(P% of it);
- ``maxUnavailable: N|P%`` → expectedPods = the controllers' scale, desiredHealthy =
  expectedPods - N (P% rounded up), at least 0;
- currentHealthy = Ready pods that are not being deleted and not in ``disruptedPods``
  (entries there expire after 2 minutes or when the pod is gone or deleting);
- disruptionsAllowed = currentHealthy - desiredHealthy (0 when negative or nothing expected),
  with condition ``DisruptionAllowed`` (``SufficientPods``/``InsufficientPods``, or
  ``SyncFailed`` with the error) and ``observedGeneration``.

A controller's scale is ``spec.replicas`` of the ReplicationController, StatefulSet, or
ReplicaSet — or of the Deployment owning that ReplicaSet. Simplification: where the real
controller would fail (a pod with no controller, or one whose kind has no known scale) each
such pod counts as one expected pod instead. The eviction subresource
(``registry.subresources``) reads ``status.disruptionsAllowed``.
"""

from __future__ import annotations

import math
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import selectors
from minik8s.controllers import endpoints as ep
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.runtime.informer import Informer
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "disruption-controller"
DELETION_TIMEOUT = 120.0


class SyncError(Exception):
    pass


def scaled(value: Any, total: int) -> int:
    """``intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)``."""
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%"):
        raise SyncError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        pct = int(s[:-1])
    except ValueError:
        raise SyncError(f"invalid value \"{s}\": strconv.Atoi: parsing \"{s[:-1]}\": invalid syntax") \
            from None
    return math.ceil(pct * total / 100)


def controller_ref(obj: Obj) -> Obj | None:
    for o in obj["metadata"].get("ownerReferences") or ():
        if o.get("controller"):
            return o  # type: ignore[no-any-return]
    return None


def setup(ctx: ControllerContext) -> None:
    pdbs = ctx.informers.informer("policy/v1", "poddisruptionbudgets")
    pods = ctx.informers.informer("v1", "pods")
    owners: dict[str, Informer] = {
        "ReplicaSet": ctx.informers.informer("apps/v1", "replicasets"),
        "Deployment": ctx.informers.informer("apps/v1", "deployments"),
        "StatefulSet": ctx.informers.informer("apps/v1", "statefulsets"),
        "ReplicationController": ctx.informers.informer("v1", "replicationcontrollers"),
    }
    client, clock = ctx.client, ctx.clock

    def owner(ns: str, ref: Obj) -> Obj | None:
        inf = owners.get(ref.get("kind", ""))
        o = inf.get(ns, ref.get("name", "")) if inf is not None else None
        return o if o is not None and o["metadata"]["uid"] == ref.get("uid") else None

    def expected_scale(ns: str, matched: list[Obj]) -> int:
        scales: dict[str, int] = {}
        loose = 0
        for p in matched:
            ref = controller_ref(p)
            ctl = owner(ns, ref) if ref is not None else None
            if ctl is None:
                loose += 1  # simplification: the real controller fails the sync here
                continue
            if ctl["kind"] == "ReplicaSet":
                dref = controller_ref(ctl)
                dep = owner(ns, dref) if dref is not None and dref.get("kind") == "Deployment" else None
                if dep is not None:
                    ctl = dep
            scales[ctl["metadata"]["uid"]] = int((ctl.get("spec") or {}).get("replicas", 1))
        return sum(scales.values()) + loose

    def expected(pdb: Obj, matched: list[Obj]) -> tuple[int, int]:
        spec, ns = pdb.get("spec") or {}, pdb["metadata"]["namespace"]
        if spec.get("maxUnavailable") is not None:
            count = expected_scale(ns, matched)
            return count, max(count - scaled(spec["maxUnavailable"], count), 0)
        if spec.get("minAvailable") is not None:
            if isinstance(spec["minAvailable"], int):
                return len(matched), spec["minAvailable"]
            count = expected_scale(ns, matched)
            return count, scaled(spec["minAvailable"], count)
        return 0, 0

    def set_condition(status: Obj, cond_status: str, reason: str, message: str, gen: int) -> None:
        conds = status.setdefault("conditions", [])
        for c in conds:
            if c.get("type") == "DisruptionAllowed":
                if c.get("status") != cond_status:
                    c["lastTransitionTime"] = clock.rfc3339()
                c.update(status=cond_status, reason=reason, message=message, observedGeneration=gen)
                return
        conds.append({"type": "DisruptionAllowed", "status": cond_status, "observedGeneration": gen,
                      "lastTransitionTime": clock.rfc3339(), "reason": reason, "message": message})

    def reconcile(req: Request) -> Result | None:
        shared = pdbs.get(req.namespace, req.name)
        if shared is None:
            return None
        pdb = objects.deep_copy(shared)
        status = pdb.setdefault("status", {})
        before = objects.deep_copy(status)
        gen = int(pdb["metadata"].get("generation") or 1)
        now = clock.now()
        recheck: float | None = None
        try:
            try:
                sel = selectors.label_selector_from_dict((pdb.get("spec") or {}).get("selector"))
            except ValueError as e:
                raise SyncError(str(e)) from None
            matched = [p for p in pods.list(req.namespace)
                       if sel.matches(p["metadata"].get("labels") or {})]
            if not matched:
                client.event(pdb, "NoPods", "No matching pods found", component=COMPONENT)
            count, desired = expected(pdb, matched)
        except SyncError as e:
            status["disruptionsAllowed"] = 0
            set_condition(status, "False", "SyncFailed", str(e), int(status.get("observedGeneration") or 0))
        else:
            by_name = {p["metadata"]["name"]: p for p in matched}
            disrupted: dict[str, str] = {}
            for name, when in (status.get("disruptedPods") or {}).items():
                p = by_name.get(name)
                if p is None or p["metadata"].get("deletionTimestamp"):
                    continue
                expiry = parse_rfc3339(when) + DELETION_TIMEOUT
                if expiry <= now:
                    continue
                disrupted[name] = when
                recheck = expiry if recheck is None else min(recheck, expiry)
            healthy = sum(1 for p in matched if not p["metadata"].get("deletionTimestamp")
                          and p["metadata"]["name"] not in disrupted and ep.is_ready(p))
            allowed = healthy - desired
            if count <= 0 or allowed <= 0:
                allowed = 0
            status.update(currentHealthy=healthy, desiredHealthy=desired, disruptionsAllowed=allowed,
                          expectedPods=count, observedGeneration=gen)
            if disrupted:
                status["disruptedPods"] = disrupted
            else:
                status.pop("disruptedPods", None)
            if allowed > 0:
                set_condition(status, "True", "SufficientPods", "", gen)
            else:
                set_condition(status, "False", "InsufficientPods", "", gen)
        if status != before:
            client.update_status(pdb, manager=COMPONENT)
        return Result(requeue_after=recheck - now) if recheck is not None else None

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def enqueue_matching(ns: str, *label_sets: dict[str, str]) -> None:
        for pdb in pdbs.list(ns):
            try:
                sel = selectors.label_selector_from_dict((pdb.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if any(sel.matches(ls) for ls in label_sets):
                ctrl.enqueue(Request(ns, pdb["metadata"]["name"]))

    def on_pod(et: str, pod: Obj, old: Obj | None) -> None:
        sets = [pod["metadata"].get("labels") or {}]
        if old is not None:
            sets.append(old["metadata"].get("labels") or {})
        enqueue_matching(pod["metadata"].get("namespace", ""), *sets)

    def on_owner(et: str, o: Obj, old: Obj | None) -> None:
        if old is not None and (old.get("spec") or {}).get("replicas") == \
                (o.get("spec") or {}).get("replicas"):
            return
        for pdb in pdbs.list(o["metadata"].get("namespace", "")):
            ctrl.enqueue(Request(pdb["metadata"]["namespace"], pdb["metadata"]["name"]))

    pdbs.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"]["namespace"], o["metadata"]["name"])) if et != "DELETED" else None)
    pods.add_handler(on_pod)
    for inf in owners.values():
        inf.add_handler(on_owner, replay=False)
