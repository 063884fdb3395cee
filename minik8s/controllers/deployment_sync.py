"""One Deployment sync: finding or creating the new ReplicaSet, scaling, status and progress.

``Sync`` holds one reconcile's working copy of the Deployment and its claimed ReplicaSets,
and does the writes of kube-controller-manager's ``sync.go`` and ``progress.go``:
``new_replicaset`` (getNewReplicaSet: revision bookkeeping, hash-named creation, collision
count), ``scale`` (proportional scaling), ``scale_rs`` (with ``ScalingReplicaSet`` events),
``cleanup`` (revisionHistoryLimit), ``sync_status`` and ``sync_rollout_status`` (the
Progressing condition and the progress-deadline timer). ``deployment_rollout`` drives the
strategies; ``deployment_util`` holds the pure helpers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from minik8s.aio import clock as _clock
from minik8s.aio.clock import Clock
from minik8s.api import errors
from minik8s.api.selectors import go_quote
from minik8s.client.client import Client
from minik8s.controllers import deployment_util as du
from minik8s.controllers import podcontrol
from minik8s.runtime.controller import Result
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "deployment-controller"


@dataclasses.dataclass
class Env:
    """What every sync needs from the controller."""

    client: Client
    clock: Clock
    #: a ReplicaSet by (namespace, name), from the informer cache
    get_rs: Callable[[str, str], Obj | None]
    #: pods controlled by a ReplicaSet uid
    pods_of: Callable[[str], list[Obj]]


class Sync:
    def __init__(self, env: Env, d: Obj, rss: list[Obj]) -> None:
        self.env, self.client = env, env.client
        self.d = objects.deep_copy(d)
        self.rss = rss

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.d["metadata"]["name"]  # type: ignore[no-any-return]

    @property
    def ns(self) -> str:
        return self.d["metadata"].get("namespace", "")  # type: ignore[no-any-return]

    def stamp(self) -> str:
        return self.env.clock.rfc3339()

    def event(self, reason: str, message: str, type: str = "Normal") -> None:
        self.client.event(self.d, reason, message, type=type, component=COMPONENT)

    def status(self) -> Obj:
        return self.d.setdefault("status", {})  # type: ignore[no-any-return]

    def write_status(self, status: Obj | None = None) -> None:
        if status is not None:
            self.d["status"] = status
        self.d = self.client.update_status(self.d)

    def write_revision(self, rev: str) -> None:
        """SetDeploymentRevision (written through the main resource: status writes here
        change only status)."""
        ann = self.d["metadata"].get("annotations") or {}
        if ann.get(du.REVISION) == rev:
            return
        new = objects.deep_copy(self.d)
        new["metadata"].setdefault("annotations", {})[du.REVISION] = rev
        status = self.d.get("status")
        self.d = self.client.update(new)
        if status is not None:
            self.d["status"] = status

    # -- ReplicaSets --------------------------------------------------------------------------
    def all_and_sync_revision(self, create: bool) -> tuple[Obj | None, list[Obj]]:
        """getAllReplicaSetsAndSyncRevision (over the cache's current copies: this sync's own
        writes are seen, so they do not conflict with each other)."""
        self.rss = [rs for o in self.rss
                    if (rs := self.env.get_rs(self.ns, o["metadata"]["name"])) is not None
                    and rs["metadata"]["uid"] == o["metadata"]["uid"]]
        existing = du.find_new(self.d, self.rss)
        old = du.find_old(self.d, self.rss, existing)
        return self.new_replicaset(existing, old, create), old

    def new_replicaset(self, existing: Obj | None, old: list[Obj], create: bool) -> Obj | None:
        """getNewReplicaSet."""
        d = self.d
        new_rev = str(du.max_revision(old) + 1)
        min_ready = d["spec"].get("minReadySeconds") or 0
        if existing is not None:
            rs = objects.deep_copy(existing)
            changed = du.set_new_rs_annotations(d, rs, new_rev, True)
            if changed or (rs["spec"].get("minReadySeconds") or 0) != min_ready:
                _set_min_ready(rs, min_ready)
                return self.client.update(rs)
            self.write_revision((rs["metadata"].get("annotations") or {}).get(du.REVISION, ""))
            if du.has_progress_deadline(d) and \
                    du.get_condition(self.status(), "Progressing") is None:
                du.set_condition(self.status(), du.new_condition(
                    "Progressing", "True", du.FOUND_NEW_RS,
                    f"Found new replica set {go_quote(rs['metadata']['name'])}", self.stamp()))
                self.write_status()
            return rs
        if not create:
            return None
        template = objects.deep_copy(d["spec"]["template"])
        h = du.compute_hash(template, self.status().get("collisionCount"))
        template.setdefault("metadata", {})
        template["metadata"]["labels"] = {**(template["metadata"].get("labels") or {}),
                                          du.HASH_LABEL: h}
        selector = objects.deep_copy(d["spec"]["selector"])
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), du.HASH_LABEL: h}
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
            "name": f"{self.name}-{h}", "namespace": self.ns,
            "labels": dict(template["metadata"]["labels"]),
            "ownerReferences": [podcontrol.new_controller_ref(d)]},
            "spec": {"replicas": 0, "selector": selector, "template": template}}
        _set_min_ready(rs, min_ready)
        count = self.new_rs_new_replicas([*old, rs], rs)
        rs["spec"]["replicas"] = count
        du.set_new_rs_annotations(d, rs, new_rev, False)
        already = False
        try:
            created = self.client.create(rs)
        except errors.AlreadyExists:
            found = self.env.get_rs(self.ns, rs["metadata"]["name"])
            ref = podcontrol.controller_ref(found) if found else None
            if found is None or ref is None or ref.get("uid") != d["metadata"]["uid"] or \
                    not du.equal_ignore_hash(d["spec"]["template"], found["spec"]["template"]):
                self.status()["collisionCount"] = int(self.status().get("collisionCount") or 0) + 1
                self.write_status()
                raise
            created, already = found, True
        except errors.ApiError as e:
            name = go_quote(rs["metadata"]["name"])
            msg = f"Failed to create new replica set {name}: {e.message}"
            if du.has_progress_deadline(d):
                du.set_condition(self.status(), du.new_condition(
                    "Progressing", "False", du.FAILED_RS_CREATE, msg, self.stamp()))
                try:
                    self.write_status()
                except errors.ApiError:
                    pass
            self.event(du.FAILED_RS_CREATE, msg, "Warning")
            raise
        if not already and count > 0:
            self.event("ScalingReplicaSet",
                       f"Scaled up replica set {created['metadata']['name']} from 0 to {count}")
        self.write_revision(new_rev)
        if not already and du.has_progress_deadline(d):
            du.set_condition(self.status(), du.new_condition(
                "Progressing", "True", du.NEW_RS_CREATED,
                f"Created new replica set {go_quote(created['metadata']['name'])}", self.stamp()))
            self.write_status()
        return created

    def new_rs_new_replicas(self, all_rss: list[Obj], new: Obj) -> int:
        """NewRSNewReplicas: how far the new ReplicaSet may grow now."""
        d = self.d
        if not du.is_rolling(d):
            return du.replicas(d)
        max_total = du.replicas(d) + du.max_surge(d)
        current = du.sum_spec(all_rss)
        if current >= max_total:
            return du.replicas(new)
        up = min(max_total - current, du.replicas(d) - du.replicas(new))
        return du.replicas(new) + up

    def scale_rs(self, rs: Obj, new_scale: int, op: str) -> tuple[bool, Obj]:
        """scaleReplicaSet: spec.replicas plus desired/max annotations; an event on resize."""
        d = self.d
        size = du.replicas(rs) != new_scale
        desired, maximum = du.replicas(d), du.replicas(d) + du.max_surge(d)
        if not size and not du.replicas_annotations_need_update(rs, desired, maximum):
            return False, rs
        old_scale = du.replicas(rs)
        new = objects.deep_copy(rs)
        new["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(new, desired, maximum)
        out = self.client.update(new)
        if size:
            self.event("ScalingReplicaSet", f"Scaled {op} replica set {rs['metadata']['name']} "
                                            f"from {old_scale} to {new_scale}")
        return size, out

    def scale_and_record(self, rs: Obj, new_scale: int) -> tuple[bool, Obj]:
        if du.replicas(rs) == new_scale:
            return False, rs
        return self.scale_rs(rs, new_scale, "up" if du.replicas(rs) < new_scale else "down")

    def scale(self, new: Obj | None, old: list[Obj]) -> None:
        """scale: a lone active ReplicaSet gets the full count; a saturated new one empties the
        old; otherwise (RollingUpdate) the difference is spread proportionally."""
        d = self.d
        target = du.find_active_or_latest(new, old)
        if target is not None:
            if du.replicas(target) != du.replicas(d):
                self.scale_and_record(target, du.replicas(d))
            return
        if _saturated(d, new):
            for rs in du.active(old):
                self.scale_and_record(rs, 0)
            return
        if not du.is_rolling(d):
            return
        all_rss = du.active([*old, new])
        allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
        to_add = allowed - du.sum_spec(all_rss)
        op = ""
        if to_add > 0:  # ReplicaSetsBySizeNewer
            all_rss.sort(key=du.by_creation, reverse=True)
            all_rss.sort(key=du.replicas, reverse=True)
            op = "up"
        elif to_add < 0:  # ReplicaSetsBySizeOlder
            all_rss.sort(key=du.by_creation)
            all_rss.sort(key=du.replicas, reverse=True)
            op = "down"
        sizes: dict[str, int] = {}
        added = 0
        for rs in all_rss:
            p = du.proportion(rs, d, to_add, added) if to_add else 0
            sizes[rs["metadata"]["name"]] = du.replicas(rs) + p
            added += p
        for i, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add:
                sizes[name] = max(sizes[name] + to_add - added, 0)
            self.scale_rs(rs, sizes[name], op)

    def cleanup(self, old: list[Obj]) -> None:
        """cleanupDeployment: delete the oldest empty ReplicaSets beyond revisionHistoryLimit."""
        d = self.d
        if not du.has_history_limit(d):
            return
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(d["spec"]["revisionHistoryLimit"])
        if diff <= 0:
            return
        alive.sort(key=lambda rs: (du.revision(rs), du.by_creation(rs)))
        for rs in alive[:diff]:
            md = rs["metadata"]
            if du.status_of(rs, "replicas") or du.replicas(rs) or \
                    md.get("generation", 0) > du.status_of(rs, "observedGeneration"):
                continue
            try:
                self.client.delete("apps/v1", "ReplicaSet", md["name"], self.ns)
            except errors.NotFound:
                pass

    # -- status ---------------------------------------------------------------------------------
    def sync_status(self, all_rss: list[Obj | None], new: Obj | None) -> None:
        """syncDeploymentStatus: counters and Available, no progress estimate."""
        status = du.calculate_status(all_rss, new, self.d, self.stamp())
        if status != (self.d.get("status") or {}):
            self.write_status(status)

    def sync_rollout_status(self, all_rss: list[Obj | None], new: Obj | None) -> Result | None:
        """syncRolloutStatus: also the Progressing condition; requeue for the deadline."""
        d, now = self.d, self.stamp()
        status = du.calculate_status(all_rss, new, d, now)
        deadline = du.has_progress_deadline(d)
        if not deadline:
            du.remove_condition(status, "Progressing")
        cur = du.get_condition(d.get("status") or {}, "Progressing")
        finished = (int(status.get("replicas") or 0) == int(status.get("updatedReplicas") or 0)
                    and cur is not None and cur.get("reason") == du.NEW_RS_AVAILABLE)
        subject = (f"ReplicaSet {go_quote(new['metadata']['name'])}" if new is not None
                   else f"Deployment {go_quote(self.name)}")
        if deadline and not finished:
            if du.complete(d, status):
                du.set_condition(status, du.new_condition(
                    "Progressing", "True", du.NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.", now))
            elif du.progressing(d, status):
                cond = du.new_condition("Progressing", "True", du.REPLICASET_UPDATED,
                                        f"{subject} is progressing.", now)
                if cur is not None:
                    if cur.get("status") == "True":
                        cond["lastTransitionTime"] = cur.get("lastTransitionTime")
                    du.remove_condition(status, "Progressing")
                du.set_condition(status, cond)
            elif self.timed_out(status):
                du.set_condition(status, du.new_condition(
                    "Progressing", "False", du.TIMED_OUT, f"{subject} has timed out progressing.",
                    now))
        failures = _replica_failures(all_rss, new)
        if failures:
            du.set_condition(status, failures[0])
        else:
            du.remove_condition(status, "ReplicaFailure")
        if status != (d.get("status") or {}):
            self.write_status(status)
        return self.requeue_stuck()

    def timed_out(self, status: Obj) -> bool:
        """DeploymentTimedOut (at the deadline itself, where the real one waits for 'after')."""
        cond = du.get_condition(status, "Progressing")
        if cond is None or cond.get("reason") == du.NEW_RS_AVAILABLE:
            return False
        if cond.get("reason") == du.TIMED_OUT:
            return True
        since = _clock.parse_rfc3339(cond["lastUpdateTime"])
        return since + int(self.d["spec"]["progressDeadlineSeconds"]) <= self.env.clock.now()

    def requeue_stuck(self) -> Result | None:
        """requeueStuckDeployment: look again when the progress deadline passes."""
        status = self.d.get("status") or {}
        cond = du.get_condition(status, "Progressing")
        if not du.has_progress_deadline(self.d) or cond is None:
            return None
        if du.complete(self.d, status) or cond.get("reason") == du.TIMED_OUT:
            return None
        due = _clock.parse_rfc3339(cond["lastUpdateTime"]) + \
            int(self.d["spec"]["progressDeadlineSeconds"])
        after = due - self.env.clock.now()
        return Result(requeue_after=after) if after > 0 else Result(requeue=True)

    def check_paused_conditions(self) -> None:
        """checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed."""
        if not du.has_progress_deadline(self.d):
            return
        cond = du.get_condition(self.status(), "Progressing")
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return
        paused_cond = cond is not None and cond.get("reason") == du.PAUSED
        paused = bool(self.d["spec"].get("paused"))
        if paused and not paused_cond:
            c = du.new_condition("Progressing", "Unknown", du.PAUSED, "Deployment is paused",
                                 self.stamp())
        elif not paused and paused_cond:
            c = du.new_condition("Progressing", "Unknown", du.RESUMED, "Deployment is resumed",
                                 self.stamp())
        else:
            return
        du.set_condition(self.status(), c)
        self.write_status()


def _set_min_ready(rs: Obj, min_ready: int) -> None:
    if min_ready:
        rs["spec"]["minReadySeconds"] = min_ready
    else:
        rs["spec"].pop("minReadySeconds", None)


def _saturated(d: Obj, rs: Obj | None) -> bool:
    """IsSaturated."""
    if rs is None:
        return False
    r = du.replicas(d)
    return (du.replicas(rs) == r and du.desired_annotation(rs) == r
            and du.status_of(rs, "availableReplicas") == r)


def _replica_failures(all_rss: list[Obj | None], new: Obj | None) -> list[Obj]:
    """getReplicaFailures: ReplicaFailure conditions of the new ReplicaSet, else of any."""
    def conv(rs: Obj | None) -> list[Obj]:
        out = []
        for c in ((rs or {}).get("status") or {}).get("conditions") or ():
            if c.get("type") == "ReplicaFailure":
                out.append({"type": "ReplicaFailure", "status": c.get("status"),
                            "lastUpdateTime": c.get("lastTransitionTime"),
                            "lastTransitionTime": c.get("lastTransitionTime"),
                            "reason": c.get("reason"), "message": c.get("message")})
        return out
    return conv(new) or [c for rs in all_rss for c in conv(rs)]
