"""Deployment controller: ReplicaSets named ``<deployment>-<pod-template-hash>``, rolled out.

Like kube-controller-manager's ``pkg/controller/deployment``: claim ReplicaSets by selector and
ownerReference, then (``syncDeployment``) status only while deleting; paused conditions; a
paused Deployment or a scaling event (``desired-replicas`` annotation differs) is scaled
proportionally without rolling; the legacy rollback annotation is honoured; otherwise the
strategy rolls (``deployment_rollout``). ``deployment_sync`` does the writes, the status and
the progress deadline; ``deployment_util`` holds the pure helpers.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import selectors
from minik8s.controllers import deployment_rollout, podcontrol
from minik8s.controllers import deployment_util as du
from minik8s.controllers.deployment_sync import COMPONENT, Env, Sync
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, TerminalError
from minik8s.api import objects

Obj = dict[str, Any]
BY_CONTROLLER, ORPHANS = podcontrol.BY_CONTROLLER, podcontrol.ORPHANS


def setup(ctx: ControllerContext) -> None:
    deployments = ctx.informers.informer("apps/v1", "deployments")
    replicasets = ctx.informers.informer("apps/v1", "replicasets")
    pods = ctx.informers.informer("v1", "pods")
    podcontrol.index_by_controller(replicasets)
    podcontrol.index_by_controller(pods, orphans=False)
    client = ctx.client
    env = Env(client, ctx.clock, replicasets.get, lambda uid: pods.by_index(BY_CONTROLLER, uid))

    def reconcile(req: Request) -> Result | None:
        d = deployments.get(req.namespace, req.name)
        if d is None:
            return None
        try:
            sel = podcontrol.label_selector(d["spec"].get("selector"))
        except selectors.SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from e
        if sel.empty:
            return _selecting_all(ctx, d)
        candidates = replicasets.by_index(BY_CONTROLLER, d["metadata"]["uid"]) + [
            rs for rs in replicasets.by_index(ORPHANS, req.namespace)
            if sel.matches(podcontrol.labels_of(rs))]
        rss = podcontrol.claim(client, d, sel.matches, candidates)
        return sync_deployment(Sync(env, d, rss))

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def enqueue(ns: str, name: str) -> None:
        ctrl.enqueue(Request(ns, name))

    def enqueue_owner(rs: Obj | None) -> None:
        ref = podcontrol.controller_ref(rs) if rs is not None else None
        if ref is not None and ref.get("kind") == "Deployment":
            enqueue(rs["metadata"].get("namespace", ""), ref["name"])  # type: ignore[index]

    def on_replicaset(etype: str, rs: Obj, old: Obj | None) -> None:
        enqueue_owner(rs)
        if old is not None and podcontrol.controller_ref(old) != podcontrol.controller_ref(rs):
            enqueue_owner(old)
        if etype != "DELETED" and podcontrol.controller_ref(rs) is None:
            ns = rs["metadata"].get("namespace", "")
            for d in deployments.list(ns):  # getDeploymentsForReplicaSet: adoption candidates
                try:
                    if podcontrol.label_selector(d["spec"].get("selector")).matches(
                            podcontrol.labels_of(rs)):
                        enqueue(ns, d["metadata"]["name"])
                except selectors.SelectorError:
                    continue

    def on_pod(etype: str, pod: Obj, old: Obj | None) -> None:
        """deletePod: a Recreate rollout waits for the old pods to be gone."""
        if etype != "DELETED":
            return
        ref = podcontrol.controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = replicasets.get(pod["metadata"].get("namespace", ""), ref["name"])
        dref = podcontrol.controller_ref(rs) if rs is not None else None
        if dref is None or dref.get("kind") != "Deployment":
            return
        d = deployments.get(pod["metadata"].get("namespace", ""), dref["name"])
        if d is not None and not du.is_rolling(d):
            enqueue(d["metadata"].get("namespace", ""), d["metadata"]["name"])

    deployments.add_handler(lambda et, d, old: enqueue(
        d["metadata"].get("namespace", ""), d["metadata"]["name"]) if et != "DELETED" else None)
    replicasets.add_handler(on_replicaset, replay=False)
    pods.add_handler(on_pod, replay=False)


def sync_deployment(s: Sync) -> Result | None:
    """syncDeployment after claiming: pick what this sync does."""
    d = s.d
    if d["metadata"].get("deletionTimestamp"):
        new, old = s.all_and_sync_revision(False)
        s.sync_status([*old, new], new)
        return None
    s.check_paused_conditions()
    if d["spec"].get("paused"):
        return _sync(s)
    if deployment_rollout.rollback_to(d) is not None:
        return deployment_rollout.rollback(s)
    if _scaling_event(s):
        return _sync(s)
    strategy = (d["spec"].get("strategy") or {}).get("type") or "RollingUpdate"
    if strategy == "Recreate":
        return deployment_rollout.recreate(s)
    if strategy == "RollingUpdate":
        return deployment_rollout.rolling(s)
    raise TerminalError(f"unexpected deployment strategy type: {strategy}")


def _sync(s: Sync) -> Result | None:
    """sync: scaling events and paused Deployments (no rollout, no progress estimate)."""
    new, old = s.all_and_sync_revision(False)
    s.scale(new, old)
    if s.d["spec"].get("paused") and deployment_rollout.rollback_to(s.d) is None:
        s.cleanup(old)
    s.sync_status([*old, new], new)
    return None


def _scaling_event(s: Sync) -> bool:
    """isScalingEvent: an active ReplicaSet was sized for another replica count."""
    new, old = s.all_and_sync_revision(False)
    for rs in du.active([*old, new]):
        desired = du.desired_annotation(rs)
        if desired is not None and desired != du.replicas(s.d):
            return True
    return False


def _selecting_all(ctx: ControllerContext, d: Obj) -> Result | None:
    ctx.client.event(d, "SelectingAll",
                     "This deployment is selecting all pods. A non-empty selector is required.",
                     type="Warning", component=COMPONENT)
    status = d.get("status") or {}
    if int(status.get("observedGeneration") or 0) < d["metadata"].get("generation", 0):
        new = objects.deep_copy(d)
        new.setdefault("status", {})["observedGeneration"] = d["metadata"]["generation"]
        ctx.client.update_status(new)
    return None
