"""StatefulSet controller: stable pod names, ordered rollout, per-pod claims, revisions.

Like kube-controller-manager's ``pkg/controller/statefulset`` (``sync`` and
``performUpdate``): claim the set's pods (matching the selector and named
``<set>-<ordinal>``) and ControllerRevisions, find or create the update revision
(``<set>-<hash>``, ``history``), run the update algorithm (``statefulset_control``), write
``status`` (replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas,
currentRevision, updateRevision, observedGeneration, collisionCount), and keep at most
``revisionHistoryLimit`` revisions that no pod uses.

Informer caches are current at commit time here, so no expectations are kept; a pod's or a
claim's event wakes its set. ``minReadySeconds`` is honoured with a timed requeue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minik8s.api import errors, selectors
from minik8s.controllers import history, podcontrol
from minik8s.controllers import statefulset_control as control_
from minik8s.controllers import statefulset_pods as sp
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, TerminalError
from minik8s.api import objects

Obj = dict[str, Any]
KIND = "StatefulSet"
BY_CONTROLLER, ORPHANS = podcontrol.BY_CONTROLLER, podcontrol.ORPHANS


def setup(ctx: ControllerContext) -> None:
    sets = ctx.informers.informer("apps/v1", "statefulsets")
    pods = ctx.informers.informer("v1", "pods")
    claims = ctx.informers.informer("v1", "persistentvolumeclaims")
    revisions = ctx.informers.informer("apps/v1", "controllerrevisions")
    for inf in (pods, revisions):
        podcontrol.index_by_controller(inf)
    client, clock = ctx.client, ctx.clock
    control = control_.StatefulPodControl(client, claims)

    def owned(inf: Any, s: Obj, sel: selectors.LabelSelector, member: bool) -> list[Obj]:
        """Objects the set controls, after adopting matching orphans (pods: only members)."""
        md = s["metadata"]
        mine = inf.by_index(BY_CONTROLLER, md["uid"])
        orphans = [o for o in inf.by_index(ORPHANS, md.get("namespace", ""))
                   if sel.matches(podcontrol.labels_of(o)) and (not member or sp.is_member(s, o))]
        if member:
            return [p for p in podcontrol.claim(client, s, sel.matches, mine + orphans)
                    if sp.is_member(s, p)]
        out = [r for r in mine if sel.matches(podcontrol.labels_of(r))]
        if not md.get("deletionTimestamp"):
            out += podcontrol.claim(client, s, sel.matches, orphans)
        return out

    def reconcile(req: Request) -> Result | None:
        s = sets.get(req.namespace, req.name)
        if s is None:
            return None
        try:
            sel = podcontrol.label_selector(sp.spec(s).get("selector"))
        except selectors.SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from e
        revs = history.sort_revisions(owned(revisions, s, sel, member=False))
        members = owned(pods, s, sel, member=True)
        current, update, collision = _revisions(client, s, revs)
        now = clock.now()
        status, err = control_.update_stateful_set(
            control, s, history.apply_revision(s, current), history.apply_revision(s, update),
            current["metadata"]["name"], update["metadata"]["name"], collision, members, now)
        control_.complete_rolling_update(s, status)
        old = s.get("status") or {}
        new_status = control_.render_status(status, old)
        if new_status != old:
            fresh = sets.get(req.namespace, req.name)
            if fresh is not None:
                new = objects.deep_copy(fresh)
                new["status"] = new_status
                client.update_status(new)
        live = pods.by_index(BY_CONTROLLER, s["metadata"]["uid"])
        _truncate_history(client, s, live, revs, current, update)
        if err is not None:
            raise err
        return _requeue(s, live, now)

    ctrl = ctx.manager.add("statefulset-controller", reconcile)

    def enqueue(ns: str, name: str) -> None:
        ctrl.enqueue(Request(ns, name))

    def enqueue_owner(ns: str, ref: Obj | None) -> None:
        if ref is not None and ref.get("kind") == KIND:
            enqueue(ns, ref["name"])

    def on_pod(etype: str, pod: Obj, old: Obj | None) -> None:
        ns = pod["metadata"].get("namespace", "")
        ref = podcontrol.controller_ref(pod)
        enqueue_owner(ns, ref)
        if old is not None and (old_ref := podcontrol.controller_ref(old)) != ref:
            enqueue_owner(ns, old_ref)
        if etype != "DELETED" and ref is None:
            labels = podcontrol.labels_of(pod)
            for s in sets.list(ns):
                try:
                    if podcontrol.label_selector(sp.spec(s).get("selector")).matches(labels):
                        enqueue(ns, s["metadata"]["name"])
                except selectors.SelectorError:
                    continue

    def on_claim(etype: str, claim: Obj, old: Obj | None) -> None:
        # a claim going away may unblock a pod waiting on it (stale or being deleted)
        if etype != "DELETED" and not claim["metadata"].get("deletionTimestamp"):
            return
        ns, name = claim["metadata"].get("namespace", ""), claim["metadata"]["name"]
        for s in sets.list(ns):
            for t in sp.claim_templates(s):
                prefix = f"{(t.get('metadata') or {}).get('name', '')}-{s['metadata']['name']}-"
                if name.startswith(prefix) and name[len(prefix):].isdigit():
                    enqueue(ns, s["metadata"]["name"])

    sets.add_handler(lambda et, o, old: enqueue(o["metadata"].get("namespace", ""),
                                                o["metadata"]["name"]) if et != "DELETED" else None)
    pods.add_handler(on_pod, replay=False)
    claims.add_handler(on_claim, replay=False)


def _revisions(client: Any, s: Obj, revs: list[Obj]) -> tuple[Obj, Obj, int]:
    """``getStatefulSetRevisions``: (current, update, collisionCount), creating the update
    revision or renumbering an equal older one (a rollback) as needed."""
    collision = int((s.get("status") or {}).get("collisionCount") or 0)
    labels = ((sp.spec(s).get("template") or {}).get("metadata") or {}).get("labels") or {}
    candidate = history.new_revision(s, labels, history.template_patch(s),
                                     history.next_number(revs), collision)
    equal = history.find_equal(revs, candidate)
    if equal and history.equal_revision(revs[-1], equal[-1]):
        update = revs[-1]
    elif equal:
        update = history.renumber(client, equal[-1], history.number(candidate))
    else:
        update, collision = history.create_revision(client, s, candidate, collision)
    want = (s.get("status") or {}).get("currentRevision")
    current = next((r for r in revs if r["metadata"]["name"] == want), update)
    return current, update, collision


def _truncate_history(client: Any, s: Obj, pods: list[Obj], revs: list[Obj], current: Obj,
                      update: Obj) -> None:
    """Delete the oldest revisions no pod and no status field uses, beyond the limit."""
    live = {current["metadata"]["name"], update["metadata"]["name"]}
    live.update(sp.revision_of(p) for p in pods)
    old = [r for r in revs if r["metadata"]["name"] not in live]
    limit = sp.spec(s).get("revisionHistoryLimit")
    limit = 10 if limit is None else int(limit)
    if limit < 0 or len(old) <= limit:
        return
    for r in old[: len(old) - limit]:
        try:
            history.delete_revision(client, r)
        except errors.ApiError:
            continue


def _requeue(s: Mapping[str, Any], pods: list[Obj], now: float) -> Result | None:
    """Look again when the next ready pod has been ready for minReadySeconds."""
    min_ready = sp.min_ready(s)
    if not min_ready:
        return None
    soonest = math.inf
    for p in pods:
        at = podcontrol.available_at(p, min_ready)
        if at is not None and at > now:
            soonest = min(soonest, at)
    return Result(requeue_after=soonest - now) if soonest < math.inf else None
