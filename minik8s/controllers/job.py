"""Job controller: runs a Job's pods to completion, as kube-controller-manager's job-controller.

One reconcile per Job (``Request(ns, name)``), level-triggered over the Job and its pods:

- pods are created from the template (``<job>-<5 chars>``, Indexed: ``<job>-<i>-<5 chars>``
  with the completion-index annotation, label, hostname and ``JOB_COMPLETION_INDEX``),
  owned by the Job and carrying the ``batch.kubernetes.io/job-tracking`` finalizer;
- a finished pod is first recorded in ``status.uncountedTerminatedPods``, then its finalizer
  is removed, then it moves to ``succeeded``/``failed`` — the real two-step accounting;
- failures count against ``backoffLimit``; replacements wait 10 s doubling (cap 6 min) after
  the last failure, on the clock; ``activeDeadlineSeconds`` fails the Job on the clock;
- the interim ``SuccessCriteriaMet``/``FailureTarget`` condition comes first, then ``Complete``
  (with ``completionTime``) or ``Failed`` once no pod is terminating;
- ``suspend`` deletes active pods (``Suspended`` condition); resuming resets ``startTime``.

Neighbours: ``controllers.ttlafterfinished`` (set up from here) deletes finished Jobs after
``ttlSecondsAfterFinished``; ``controllers.jobpods`` holds the pod-level helpers.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors, selectors
from minik8s.controllers import jobpods, podcontrol, ttlafterfinished
from minik8s.controllers.jobpods import Obj
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

COMPONENT = "job-controller"
DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 360.0
#: at most this many pods are created or deleted per sync (MaxPodCreateDeletePerSync)
MAX_CREATE_DELETE = 500
#: pods added to uncountedTerminatedPods per sync (MaxUncountedPods)
MAX_UNCOUNTED = 500


def setup(ctx: ControllerContext) -> None:
    jobs = ctx.informers.informer("batch/v1", "jobs")
    pods = ctx.informers.informer("v1", "pods")
    podcontrol.index_by_controller(pods)
    client = ctx.client
    rng = ctx.rng("job")
    backoffs: dict[str, tuple[int, float | None]] = {}  # job uid → (failures, last failure)

    def event(job: Obj, reason: str, message: str, type: str = "Normal") -> None:
        client.event(job, reason, message, type=type, component=COMPONENT)

    def reconcile(req: Request) -> Result | None:
        shared = jobs.get(req.namespace, req.name)
        if shared is None:
            return None
        uid = shared["metadata"]["uid"]
        if jobpods.is_finished(shared):
            backoffs.pop(uid, None)
            return None
        managed_by = (shared.get("spec") or {}).get("managedBy")
        if managed_by and managed_by != "kubernetes.io/job-controller":
            return None
        if (shared["spec"].get("completionMode") or "NonIndexed") not in ("NonIndexed", "Indexed"):
            event(shared, "UnknownCompletionMode",
                  "Skipped Job sync because completion mode is unknown", "Warning")
            return None
        sync = JobSync(ctx, objects.deep_copy(shared), claim_pods(shared), backoffs.get(uid, (0, None)),
                       rng, event)
        result = sync.run()
        if sync.backoff_updated:
            backoffs[uid] = sync.backoff
        return result

    def job_pods(uid: str) -> list[Obj]:
        """Pods whose controller reference is the Job with this uid (the shared index holds
        every controller's pods; a reference to this uid of another kind is not the Job's)."""
        return [p for p in pods.by_index(podcontrol.BY_CONTROLLER, uid) if jobpods.job_owner_uids(p)]

    def claim_pods(job: Obj) -> list[Obj]:
        """Owned pods, plus matching orphans adopted; owned pods that stopped matching released."""
        md = job["metadata"]
        ns, uid = md["namespace"], md["uid"]
        try:
            sel = selectors.label_selector_from_dict(job["spec"].get("selector"))
        except ValueError:
            sel = selectors.nothing()
        out: list[Obj] = []
        for p in job_pods(uid):
            if sel.matches(p["metadata"].get("labels") or {}) or md.get("deletionTimestamp"):
                out.append(p)
            else:
                jobpods.release(client, p, uid)
        if sel.empty or md.get("deletionTimestamp"):
            return out
        for p in pods.by_index(podcontrol.ORPHANS, ns):
            if sel.matches(p["metadata"].get("labels") or {}) and \
                    not p["metadata"].get("deletionTimestamp"):
                adopted = jobpods.adopt(client, p, job)
                if adopted is not None:
                    out.append(adopted)
        return out

    ctrl = ctx.manager.add(COMPONENT, reconcile)
    orphans = ctx.manager.add("job-orphan-pod-controller", lambda req: jobpods.sync_orphan_pod(
        client, pods, jobs, req))

    def on_job(et: str, job: Obj, old: Obj | None) -> None:
        md = job["metadata"]
        ctrl.enqueue(Request(md["namespace"], md["name"]))
        if et == "DELETED":
            for p in job_pods(md["uid"]):
                orphans.enqueue(Request(md["namespace"], p["metadata"]["name"]))

    def on_pod(et: str, pod: Obj, old: Obj | None) -> None:
        md = pod["metadata"]
        ns = md.get("namespace", "")
        pod_ref = jobpods.controller_ref(pod)
        for ref in (pod_ref, jobpods.controller_ref(old) if old is not None else None):
            if ref is not None and ref.get("kind") == "Job":
                ctrl.enqueue(Request(ns, ref.get("name", "")))
        if et != "DELETED" and jobpods.TRACKING_FINALIZER in (md.get("finalizers") or ()):
            ref = pod_ref
            job = jobs.get(ns, ref.get("name", "")) if ref is not None else None
            if job is None or job["metadata"]["uid"] != (ref or {}).get("uid") or \
                    jobpods.is_finished(job):
                orphans.enqueue(Request(ns, md["name"]))
        elif et != "DELETED" and pod_ref is None:
            # a pod with no owner may be adopted by a Job whose selector matches it
            labels = md.get("labels") or {}
            for j in jobs.list(ns):
                if jobpods.selects(j, labels):
                    ctrl.enqueue(Request(ns, j["metadata"]["name"]))

    jobs.add_handler(on_job)
    pods.add_handler(on_pod)
    ttlafterfinished.setup(ctx)


class JobSync:
    """One syncJob pass over a private copy of the Job and a snapshot of its pods."""

    def __init__(self, ctx: ControllerContext, job: Obj, pods: list[Obj],
                 backoff: tuple[int, float | None], rng: Any, event: Any) -> None:
        self.ctx, self.client, self.clock = ctx, ctx.client, ctx.clock
        self.job, self.pods, self.rng, self.event = job, pods, rng, event
        self.spec: Obj = job["spec"]
        self.status: Obj = job.setdefault("status", {})
        self.status.setdefault("uncountedTerminatedPods", {})
        self.old_backoff = backoff
        self.backoff = backoff
        self.backoff_updated = False
        self.requeue: list[float] = []
        self.indexed = self.spec.get("completionMode") == "Indexed"
        self.completions: int | None = self.spec.get("completions")
        self.finished_cond: Obj | None = None

    # -- the sync --------------------------------------------------------------------
    def run(self) -> Result | None:
        job, spec, status, now = self.job, self.spec, self.status, self.clock.now()
        original_status = objects.deep_copy(status)
        unc = status["uncountedTerminatedPods"]
        self.unc_succeeded = set(unc.get("succeeded") or ())
        self.unc_failed = set(unc.get("failed") or ())
        active_pods = [p for p in self.pods if jobpods.is_active(p)]
        active = len(active_pods)
        ready = sum(1 for p in active_pods if jobpods.is_ready(p))
        terminating = sum(1 for p in self.pods if jobpods.is_terminating(p))
        new_succ, new_failed = self.new_finished_pods()
        succeeded = int(status.get("succeeded") or 0) + len(new_succ) + len(self.unc_succeeded)
        failed = int(status.get("failed") or 0) + len(new_failed) + len(self.unc_failed)
        suspended = bool(spec.get("suspend"))
        if not status.get("startTime") and not suspended:
            status["startTime"] = self.clock.rfc3339()
        self.backoff = self.new_backoff(new_succ, new_failed)

        cond = jobpods.find_condition(job, "SuccessCriteriaMet")
        self.finished_cond = cond if cond is not None and cond.get("status") == "True" else None
        if self.finished_cond is None:
            ft = jobpods.find_condition(job, "FailureTarget")
            if ft is not None and ft.get("status") == "True":
                self.finished_cond = self.condition("Failed", ft.get("reason", ""),
                                                    ft.get("message", ""))
        if self.finished_cond is None:
            deadline = spec.get("activeDeadlineSeconds")
            if failed > int(spec.get("backoffLimit", 6)) or self.past_backoff_on_failure():
                self.finished_cond = self.condition(
                    "FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif deadline is not None and not suspended and status.get("startTime"):
                left = jobpods.parse_time(status["startTime"]) + int(deadline) - now
                if left <= 0:
                    self.finished_cond = self.condition(
                        "FailureTarget", "DeadlineExceeded",
                        "Job was active longer than specified deadline")
                else:
                    self.requeue.append(left)
        if self.indexed:
            self.prev_indexes, self.succ_indexes = self.succeeded_indexes()
            succeeded = len(self.succ_indexes)

        if self.finished_cond is not None:
            deleted, deleted_ready = self.delete_active(active_pods, keep_finalizer=True)
            if deleted != active:
                self.finished_cond = None
            active -= deleted
            terminating += deleted
            ready -= deleted_ready
        else:
            managed = False
            if not job["metadata"].get("deletionTimestamp"):
                active, ready, terminating = self.manage(active_pods, succeeded, terminating, ready)
                managed = True
            if self.completions is None:
                complete = succeeded > 0 and active == 0
            else:
                complete = succeeded >= self.completions and active == 0
            if complete:
                self.finished_cond = self.condition(
                    "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")
            elif managed:
                self.ensure_suspend_condition(suspended)
        status["active"] = active
        status["ready"] = ready
        status["terminating"] = terminating
        self.track_and_flush(original_status, terminating)
        return Result(requeue_after=min(self.requeue)) if self.requeue else None

    # -- counting --------------------------------------------------------------------
    def pod_failed(self, p: Obj) -> bool:
        phase = (p.get("status") or {}).get("phase")
        if phase == "Failed":
            return True
        if self.only_replace_failed():
            return False
        return bool(p["metadata"].get("deletionTimestamp")) and phase != "Succeeded"

    def only_replace_failed(self) -> bool:
        return self.spec.get("podReplacementPolicy") == "Failed" or \
            self.spec.get("podFailurePolicy") is not None

    def valid_index(self, p: Obj) -> bool:
        if not self.indexed:
            return True
        ix = jobpods.completion_index(p)
        return ix is not None and ix < int(self.completions or 0)

    def new_finished_pods(self) -> tuple[list[Obj], list[Obj]]:
        succ, failed = [], []
        for p in self.pods:
            uid = p["metadata"]["uid"]
            if not jobpods.has_finalizer(p) or not self.valid_index(p):
                continue
            if (p.get("status") or {}).get("phase") == "Succeeded":
                if uid not in self.unc_succeeded:
                    succ.append(p)
            elif self.pod_failed(p) and uid not in self.unc_failed:
                failed.append(p)
        return succ, failed

    def new_backoff(self, succ: list[Obj], failed: list[Obj]) -> tuple[int, float | None]:
        count, last = self.old_backoff
        fail_times = sorted(jobpods.finish_time(p) for p in failed)
        if not succ:
            if not failed:
                return count, last
            return count + len(failed), fail_times[-1]
        last_success = max(jobpods.finish_time(p) for p in succ)
        after = [t for t in fail_times if t > last_success]
        return len(after), (after[-1] if after else None)

    def backoff_remaining(self) -> float:
        count, last = self.backoff
        if count == 0 or last is None:
            return 0.0
        delay = DEFAULT_BACKOFF
        for _ in range(1, count):
            delay *= 2
            if delay >= MAX_BACKOFF:
                delay = MAX_BACKOFF
                break
        elapsed = self.clock.now() - last
        return 0.0 if delay < elapsed else delay - elapsed

    def past_backoff_on_failure(self) -> bool:
        tpl_spec = (self.spec.get("template") or {}).get("spec") or {}
        if tpl_spec.get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for p in self.pods:
            st = p.get("status") or {}
            if st.get("phase") in ("Running", "Pending"):
                for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                    restarts += int(cs.get("restartCount") or 0)
        limit = int(self.spec.get("backoffLimit", 6))
        return restarts > 0 if limit == 0 else restarts >= limit

    def succeeded_indexes(self) -> tuple[set[int], set[int]]:
        total = int(self.completions or 0)
        prev = jobpods.parse_indexes(self.status.get("completedIndexes") or "", total)
        new = set(prev)
        for p in self.pods:
            ix = jobpods.completion_index(p)
            if (p.get("status") or {}).get("phase") == "Succeeded" and ix is not None and \
                    ix < total and jobpods.has_finalizer(p):
                new.add(ix)
        return prev, new

    # -- pods ------------------------------------------------------------------------
    def manage(self, active_pods: list[Obj], succeeded: int, terminating: int,
               ready: int) -> tuple[int, int, int]:
        """manageJob: returns (active, ready, terminating) after creating or deleting pods."""
        active = len(active_pods)
        if self.spec.get("suspend"):
            removed, removed_ready = self.delete_active(
                jobpods.pods_for_removal(active_pods, active, self.completions if self.indexed else None),
                keep_finalizer=False)
            return active - removed, ready - removed_ready, terminating + removed
        parallelism = int(self.spec.get("parallelism", 1))
        if self.completions is None:
            want = active if succeeded > 0 else parallelism
        else:
            want = max(min(self.completions - succeeded, parallelism), 0)
        rm_at_least = max(active - want, 0)
        to_delete = jobpods.pods_for_removal(active_pods, rm_at_least,
                                             self.completions if self.indexed else None)
        to_delete = to_delete[:MAX_CREATE_DELETE]
        if to_delete:
            removed, removed_ready = self.delete_active(to_delete, keep_finalizer=False)
            return active - removed, ready - removed_ready, terminating + removed
        busy = terminating if self.only_replace_failed() else 0
        diff = want - busy - active
        if diff <= 0:
            return active, ready, terminating
        remaining = self.backoff_remaining()
        if remaining > 0:
            self.requeue.append(remaining)
            return active, ready, terminating
        diff = min(diff, MAX_CREATE_DELETE)
        indexes: list[int | None] = [None] * diff
        if self.indexed:
            indexes = list(jobpods.first_pending_indexes(
                active_pods, self.succ_indexes, diff, int(self.completions or 0)))
        for ix in indexes:
            pod = jobpods.new_pod(self.job, ix, self.rng)
            try:
                created = jobpods.create_pod(self.client, pod, self.rng)
            except errors.ApiError as e:
                self.event(self.job, "FailedCreate", f"Error creating: {e}", "Warning")
                raise
            active += 1
            self.event(self.job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return active, ready, terminating

    def delete_active(self, pods: list[Obj], keep_finalizer: bool) -> tuple[int, int]:
        """Delete pods (finalizer first removed unless ``keep_finalizer``): (deleted, ready)."""
        deleted = ready = 0
        for p in pods:
            md = p["metadata"]
            try:
                if not keep_finalizer and jobpods.has_finalizer(p):
                    jobpods.remove_finalizer(self.client, p)
                self.client.delete("v1", "Pod", md["name"], md["namespace"])
            except errors.NotFound:
                pass
            self.event(self.job, "SuccessfulDelete", f"Deleted pod: {md['name']}")
            deleted += 1
            ready += 1 if jobpods.is_ready(p) else 0
        return deleted, ready

    # -- status ----------------------------------------------------------------------
    def condition(self, type_: str, reason: str, message: str) -> Obj:
        now = self.clock.rfc3339()
        c: Obj = {"type": type_, "status": "True", "lastProbeTime": now,
                  "lastTransitionTime": now}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c

    def ensure_condition(self, type_: str, status: str, reason: str, message: str) -> bool:
        conds = self.status.setdefault("conditions", [])
        for c in conds:
            if c.get("type") == type_:
                if (c.get("status"), c.get("reason", ""), c.get("message", "")) == \
                        (status, reason, message):
                    return False
                c.clear()
                c.update(self.condition(type_, reason, message), status=status)
                return True
        if status == "False":
            if not conds:
                del self.status["conditions"]
            return False
        conds.append(self.condition(type_, reason, message) | {"status": status})
        return True

    def ensure_suspend_condition(self, suspended: bool) -> None:
        if suspended:
            if self.ensure_condition("Suspended", "True", "JobSuspended", "Job suspended"):
                self.event(self.job, "Suspended", "Job suspended")
        elif self.ensure_condition("Suspended", "False", "JobResumed", "Job resumed"):
            self.event(self.job, "Resumed", "Job resumed")
            # activeDeadlineSeconds counts continuous activity: restart the clock
            self.status["startTime"] = self.clock.rfc3339()

    def track_and_flush(self, original: Obj, terminating: int) -> None:
        """trackJobStatusAndRemoveFinalizers: uncounted → finalizers off → counters → terminal."""
        status, unc = self.status, self.status["uncountedTerminatedPods"]
        with_finalizer = {p["metadata"]["uid"] for p in self.pods if jobpods.has_finalizer(p)}
        self.clean_uncounted(with_finalizer)
        to_remove: list[Obj] = []
        new_indexes: list[int] = []
        finished_failing = self.finished_cond is not None and \
            self.finished_cond["type"] != "SuccessCriteriaMet"
        for p in sorted(self.pods, key=lambda p: jobpods.completion_index(p) or 0) \
                if self.indexed else self.pods:
            uid = p["metadata"]["uid"]
            if not jobpods.has_finalizer(p):
                continue
            considered_failed = self.pod_failed(p)
            phase = (p.get("status") or {}).get("phase")
            removable = bool(self.job["metadata"].get("deletionTimestamp")) or \
                self.finished_cond is not None or phase == "Succeeded" or considered_failed
            if not removable:
                continue
            to_remove.append(p)
            if phase == "Succeeded" and uid not in set(unc.get("failed") or ()):
                if self.indexed:
                    ix = jobpods.completion_index(p)
                    if ix is not None and ix < int(self.completions or 0) and ix not in self.prev_indexes:
                        new_indexes.append(ix)
                elif uid not in set(unc.get("succeeded") or ()):
                    unc.setdefault("succeeded", []).append(uid)
            elif considered_failed or finished_failing:
                ix = jobpods.completion_index(p)
                if uid not in set(unc.get("failed") or ()) and \
                        (not self.indexed or (ix is not None and ix < int(self.completions or 0))):
                    unc.setdefault("failed", []).append(uid)
            if len(new_indexes) + len(unc.get("succeeded") or ()) + len(unc.get("failed") or ()) \
                    >= MAX_UNCOUNTED:
                self.requeue.append(0.0)
                break
        if self.indexed:
            self.succ_indexes = self.succ_indexes | set(new_indexes)
            status["succeeded"] = len(self.succ_indexes)
            status["completedIndexes"] = jobpods.format_indexes(self.succ_indexes)
        final = self.finished_cond
        if final is not None and final["type"] in ("FailureTarget", "SuccessCriteriaMet"):
            if jobpods.find_condition(self.job, final["type"]) is None:
                status.setdefault("conditions", []).append(final)
            kind = "Complete" if final["type"] == "SuccessCriteriaMet" else "Failed"
            self.finished_cond = self.condition(kind, final.get("reason", ""), final.get("message", ""))
        self.flush(original)                         # 1: uncounted UIDs and interim condition
        flushed = objects.deep_copy(self.status)
        for p in to_remove:
            try:
                jobpods.remove_finalizer(self.client, p)
            except errors.NotFound:
                pass
            with_finalizer.discard(p["metadata"]["uid"])
        self.clean_uncounted(with_finalizer)
        finished = False
        if self.finished_cond is not None and not unc.get("succeeded") and not unc.get("failed") \
                and terminating == 0:
            c = self.finished_cond
            self.ensure_condition(c["type"], "True", c.get("reason", ""), c.get("message", ""))
            if c["type"] == "Complete":
                status["completionTime"] = c["lastTransitionTime"]
            finished = True
        self.flush(flushed)                          # 2: counters and the terminal condition
        if finished and self.finished_cond is not None:
            c = self.finished_cond
            if c["type"] == "Complete":
                if self.completions is not None and int(status.get("succeeded") or 0) > self.completions:
                    self.event(self.job, "TooManySucceededPods",
                               "Too many succeeded pods running after completion count reached", "Warning")
                self.event(self.job, "Completed", "Job completed")
            else:
                self.event(self.job, c.get("reason", ""), c.get("message", ""), "Warning")

    def clean_uncounted(self, with_finalizer: set[str]) -> None:
        unc = self.status["uncountedTerminatedPods"]
        for key, counter in (("succeeded", "succeeded"), ("failed", "failed")):
            uids = unc.get(key) or []
            keep = [u for u in uids if u in with_finalizer]
            if len(keep) != len(uids):
                self.status[counter] = int(self.status.get(counter) or 0) + len(uids) - len(keep)
            if keep:
                unc[key] = keep
            else:
                unc.pop(key, None)

    def flush(self, before: Obj) -> None:
        status = self.status
        for k in ("active", "succeeded", "failed"):
            if not status.get(k):
                status.pop(k, None)
        if status == before:
            return
        self.job["status"] = status
        written = self.client.update_status(self.job, manager=COMPONENT)
        self.job["metadata"] = written["metadata"]
        if not self.backoff_updated:
            self.backoff_updated = True
