"""The Deployment strategies: RollingUpdate, Recreate, and the legacy rollback annotation.

kube-controller-manager's ``rolling.go``, ``recreate.go`` and ``rollback.go`` as functions of
one ``deployment_sync.Sync``. Each step writes at most one kind of change and returns; the
writes' own events bring the Deployment back for the next step.
"""

from __future__ import annotations

from typing import Any

from minik8s.controllers import deployment_util as du
from minik8s.controllers.deployment_sync import Sync
from minik8s.runtime.controller import Result
from minik8s.api import objects

Obj = dict[str, Any]


# --- RollingUpdate ------------------------------------------------------------------------------


def rolling(s: Sync) -> Result | None:
    """rolloutRolling: scale the new ReplicaSet up within maxSurge, then the old ones down
    within maxUnavailable; clean up history once complete."""
    new, old = s.all_and_sync_revision(True)
    assert new is not None
    all_rss: list[Obj | None] = [*old, new]
    if _reconcile_new(s, all_rss, new):
        return s.sync_rollout_status(all_rss, new)
    if _reconcile_old(s, all_rss, du.active(old), new):
        return s.sync_rollout_status(all_rss, new)
    if du.complete(s.d, s.d.get("status") or {}):
        s.cleanup(old)
    return s.sync_rollout_status(all_rss, new)


def _reconcile_new(s: Sync, all_rss: list[Obj | None], new: Obj) -> bool:
    want = du.replicas(s.d)
    if du.replicas(new) == want:
        return False
    if du.replicas(new) > want:
        return s.scale_and_record(new, want)[0]
    count = s.new_rs_new_replicas([rs for rs in all_rss if rs is not None], new)
    return s.scale_and_record(new, count)[0]


def _reconcile_old(s: Sync, all_rss: list[Obj | None], old: list[Obj], new: Obj) -> bool:
    """reconcileOldReplicaSets."""
    if du.sum_spec(old) == 0:
        return False
    d = s.d
    min_available = du.replicas(d) - du.max_unavailable(d)
    new_unavailable = du.replicas(new) - du.status_of(new, "availableReplicas")
    max_scaled_down = du.sum_spec(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old, cleaned = _cleanup_unhealthy(s, old, max_scaled_down)
    scaled = _scale_down_old(s, [*old, new], old)
    return cleaned + scaled > 0


def _cleanup_unhealthy(s: Sync, old: list[Obj], limit: int) -> tuple[list[Obj], int]:
    """cleanupUnhealthyReplicas: drop old replicas that are not available first."""
    old = sorted(old, key=du.by_creation)
    total = 0
    for i, rs in enumerate(old):
        if total >= limit:
            break
        have, avail = du.replicas(rs), du.status_of(rs, "availableReplicas")
        if have == 0 or have == avail:
            continue
        down = min(limit - total, have - avail)
        _, old[i] = s.scale_and_record(rs, have - down)
        total += down
    return old, total


def _scale_down_old(s: Sync, all_rss: list[Obj], old: list[Obj]) -> int:
    """scaleDownOldReplicaSetsForRollingUpdate: as far as availability allows, oldest first."""
    min_available = du.replicas(s.d) - du.max_unavailable(s.d)
    available = du.sum_status(all_rss, "availableReplicas")
    if available <= min_available:
        return 0
    budget = available - min_available
    total = 0
    for rs in sorted(old, key=du.by_creation):
        if total >= budget:
            break
        if du.replicas(rs) == 0:
            continue
        down = min(du.replicas(rs), budget - total)
        s.scale_and_record(rs, du.replicas(rs) - down)
        total += down
    return total


# --- Recreate -----------------------------------------------------------------------------------


def recreate(s: Sync) -> Result | None:
    """rolloutRecreate: old ReplicaSets to 0, wait until their pods are gone, then the new one."""
    new, old = s.all_and_sync_revision(False)
    all_rss: list[Obj | None] = [*old, new]
    scaled = False
    for rs in du.active(old):
        scaled = s.scale_and_record(rs, 0)[0] or scaled
    if scaled or _old_pods_running(s, new, old):
        return s.sync_rollout_status(all_rss, new)
    if new is None:
        new, old = s.all_and_sync_revision(True)
        all_rss = [*old, new]
    assert new is not None
    s.scale_and_record(new, du.replicas(s.d))
    if du.complete(s.d, s.d.get("status") or {}):
        s.cleanup(old)
    return s.sync_rollout_status(all_rss, new)


def _old_pods_running(s: Sync, new: Obj | None, old: list[Obj]) -> bool:
    if du.sum_status(old, "replicas") > 0:
        return True
    new_uid = new["metadata"]["uid"] if new is not None else None
    for rs in s.rss:
        if rs["metadata"]["uid"] == new_uid:
            continue
        for pod in s.env.pods_of(rs["metadata"]["uid"]):
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False


# --- rollback (the deprecated.deployment.rollback.to annotation) --------------------------------


def rollback_to(d: Obj) -> int | None:
    v = (d["metadata"].get("annotations") or {}).get(du.ROLLBACK_TO)
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def rollback(s: Sync) -> Result | None:
    """rollback: copy the template of the wanted revision into the Deployment."""
    new, old = s.all_and_sync_revision(True)
    all_rss = [rs for rs in (*old, new) if rs is not None]
    target = rollback_to(s.d) or du.last_revision(all_rss)
    if target == 0:
        s.event("DeploymentRollbackRevisionNotFound", "Unable to find last revision.", "Warning")
        return _clear_rollback(s, None)
    for rs in all_rss:
        if du.revision(rs) == target:
            return _clear_rollback(s, rs, target)
    s.event("DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.",
            "Warning")
    return _clear_rollback(s, None)


def _clear_rollback(s: Sync, rs: Obj | None, target: int = 0) -> Result | None:
    d = objects.deep_copy(s.d)
    performed = False
    if rs is not None:
        if not du.equal_ignore_hash(d["spec"]["template"], rs["spec"]["template"]):
            tpl = objects.deep_copy(rs["spec"]["template"])
            labels = dict((tpl.get("metadata") or {}).get("labels") or {})
            labels.pop(du.HASH_LABEL, None)
            tpl.setdefault("metadata", {})["labels"] = labels
            d["spec"]["template"] = tpl
            ann = {k: v for k, v in (d["metadata"].get("annotations") or {}).items()
                   if k in du.SKIP_ANNOTATIONS}
            ann.update({k: v for k, v in (rs["metadata"].get("annotations") or {}).items()
                        if k not in du.SKIP_ANNOTATIONS})
            d["metadata"]["annotations"] = ann
            performed = True
        else:
            s.event("DeploymentRollbackTemplateUnchanged",
                    f"The rollback revision contains the same template as current deployment "
                    f"\"{s.name}\"", "Warning")
    (d["metadata"].get("annotations") or {}).pop(du.ROLLBACK_TO, None)
    s.d = s.client.update(d)
    if performed:
        s.event("DeploymentRollback", f"Rolled back deployment \"{s.name}\" to revision {target}")
    return None
