"""CronJob controller: creates Jobs on a cron schedule, on the clock (cronjob_controllerv2).

One reconcile per CronJob, level-triggered over the CronJob and the Jobs it controls:

- finished Jobs leave ``status.active`` (``SawCompletedJob``), successful ones move
  ``lastSuccessfulTime``; refs to Jobs that are gone are dropped (``MissingJob``);
- the most recent unmet schedule time after ``lastScheduleTime`` (or creation), no older
  than ``startingDeadlineSeconds``, gets Job ``<cronjob>-<minutes since epoch>`` with the
  ``batch.kubernetes.io/cronjob-scheduled-timestamp`` annotation (``SuccessfulCreate``),
  subject to ``concurrencyPolicy`` (Forbid skips, Replace deletes the active ones first)
  and ``suspend``;
- finished Jobs beyond ``successfulJobsHistoryLimit``/``failedJobsHistoryLimit`` are deleted
  oldest first (``SuccessfulDelete``);
- the key is requeued for the next schedule time, so ``advance()`` fires every run.

Neighbours: ``controllers.cron`` parses schedules; ``controllers.job`` runs the Jobs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minik8s.api import errors
from minik8s.api import cron
from minik8s.controllers import jobpods
from minik8s.controllers.jobpods import Obj
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

COMPONENT = "cronjob-controller"
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: more unmet schedule times than this gets a TooManyMissedTimes warning
MAX_MISSED = 100
#: clock readings within this of a schedule time count as reaching it (float sums)
EPSILON = 1e-3


def job_name(cj: Obj, scheduled: float) -> str:
    return f"{cj['metadata']['name']}-{int(scheduled // 60)}"


def rfc3339_in(t: float, tz: dt.tzinfo) -> str:
    """Go's ``Format(time.RFC3339)`` of ``t`` in zone ``tz`` (``Z`` for a zero offset)."""
    d = dt.datetime.fromtimestamp(int(t), tz)
    off = d.utcoffset() or dt.timedelta(0)
    if off == dt.timedelta(0):
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    s = d.strftime("%Y-%m-%dT%H:%M:%S%z")
    return s[:-2] + ":" + s[-2:]


def go_time(t: float) -> str:
    """Go's ``%v`` of a UTC time.Time, as events print it (RFC 1123Z here)."""
    return dt.datetime.fromtimestamp(int(t), dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def most_recent(sched: cron.Schedule, earliest: float, now: float) -> tuple[float | None, int]:
    """The latest schedule time in (earliest, now] and roughly how many there were."""
    t = sched.next(earliest)
    last, count = None, 0
    while t is not None and t <= now + EPSILON:
        last, count = t, count + 1
        if count > MAX_MISSED:
            t2 = sched.next(t)
            interval = (t2 - t) if t2 is not None else 60.0
            count = int((now - t) // max(interval, 1.0)) + count
            return _latest_before(sched, now, last), count
        t = sched.next(t)
    return last, count


def _latest_before(sched: cron.Schedule, now: float, floor: float) -> float:
    for window in (3600.0, 86400.0, 32 * 86400.0, 367 * 86400.0, 6 * 367 * 86400.0):
        start = max(now - window, floor)
        t = sched.next(start)
        if t is not None and t <= now + EPSILON:
            last = t
            nxt = sched.next(t)
            while nxt is not None and nxt <= now + EPSILON:
                last, nxt = nxt, sched.next(nxt)
            return last
    return floor


def setup(ctx: ControllerContext) -> None:
    cronjobs = ctx.informers.informer("batch/v1", "cronjobs")
    jobs = ctx.informers.informer("batch/v1", "jobs")
    jobs.add_indexer("cronjob-controller", lambda j: [
        r["uid"] for r in [jobpods.controller_ref(j)] if r is not None and r.get("kind") == "CronJob"])
    client, clock = ctx.client, ctx.clock

    def event(cj: Obj, reason: str, message: str, type: str = "Normal") -> None:
        client.event(cj, reason, message, type=type, component=COMPONENT)

    def reconcile(req: Request) -> Result | None:
        shared = cronjobs.get(req.namespace, req.name)
        if shared is None:
            return None
        cj = objects.deep_copy(shared)
        status = cj.setdefault("status", {})
        before = objects.deep_copy(status)
        children = [j for j in jobs.by_index("cronjob-controller", cj["metadata"]["uid"])]
        requeue = sync(cj, children)
        cleanup_finished(cj, children)
        if not status.get("active"):
            status.pop("active", None)
        if status != before:
            client.update_status(cj, manager=COMPONENT)
        return Result(requeue_after=max(requeue, 0.0)) if requeue is not None else None

    def sync(cj: Obj, children: list[Obj]) -> float | None:
        spec, status = cj["spec"], cj["status"]
        active = status.setdefault("active", [])
        seen = set()
        for j in children:
            uid = j["metadata"]["uid"]
            seen.add(uid)
            in_active = any(r.get("uid") == uid for r in active)
            finished = jobpods.is_finished(j)
            if not in_active and not finished:
                event(cj, "UnexpectedJob",
                      f"Saw a job that the controller did not create or forgot: {j['metadata']['name']}",
                      "Warning")
            elif in_active and finished:
                cond = "Complete" if succeeded(j) else "Failed"
                active[:] = [r for r in active if r.get("uid") != uid]
                event(cj, "SawCompletedJob", f"Saw completed job: {j['metadata']['name']}, "
                      f"condition: {cond}")
            done = (j.get("status") or {}).get("completionTime")
            if succeeded(j) and done:
                last = status.get("lastSuccessfulTime")
                if last is None or jobpods.parse_time(done) > jobpods.parse_time(last):
                    status["lastSuccessfulTime"] = done
        for r in list(active):
            if r.get("uid") not in seen and jobs.get(r.get("namespace", ""), r.get("name", "")) is None:
                event(cj, "MissingJob", f"Active job went missing: {r.get('name')}")
                active.remove(r)
        if cj["metadata"].get("deletionTimestamp"):
            return None
        tz_name = spec.get("timeZone")
        if tz_name is not None:
            try:
                cron.load_zone(tz_name)
            except cron.CronError as e:
                event(cj, "UnknownTimeZone", f'invalid timeZone: "{tz_name}": {e}', "Warning")
                return None
        if spec.get("suspend"):
            return None
        schedule = spec.get("schedule") or ""
        if "TZ" in schedule:
            event(cj, "UnsupportedSchedule", f'CRON_TZ or TZ used in schedule "{schedule}" is not '
                  "officially supported, see https://kubernetes.io/docs/concepts/workloads/"
                  "controllers/cron-jobs/ for more details", "Warning")
        try:
            sched = cron.parse(schedule, None if "TZ" in schedule else tz_name)
        except cron.CronError as e:
            event(cj, "UnparseableSchedule", f'unparseable schedule: "{schedule}" : {e}', "Warning")
            return None
        now = clock.now()
        nxt = sched.next(now)
        requeue = (nxt - now) if nxt is not None else None
        earliest = jobpods.parse_time(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - int(deadline))
        scheduled, missed = most_recent(sched, earliest, now)
        if missed > MAX_MISSED:
            event(cj, "TooManyMissedTimes", f"too many missed start times: {missed}. Set or decrease "
                  ".spec.startingDeadlineSeconds or check clock skew", "Warning")
        if scheduled is None:
            return requeue
        if deadline is not None and scheduled + int(deadline) < now - EPSILON:
            event(cj, "MissSchedule", f"Missed scheduled time to start a job: {go_time(scheduled)}",
                  "Warning")
            return requeue
        name = job_name(cj, scheduled)
        last = status.get("lastScheduleTime")
        if any(r.get("name") == name for r in active) or \
                (last is not None and abs(jobpods.parse_time(last) - scheduled) < EPSILON):
            return requeue
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            event(cj, "JobAlreadyActive",
                  "Not starting job because prior execution is running and concurrency policy is Forbid")
            return requeue
        if policy == "Replace":
            for r in list(active):
                job = jobs.get(r.get("namespace", ""), r.get("name", ""))
                if job is None:
                    continue
                delete_job(cj, job)
        job = new_job(cj, scheduled, sched.tz)
        try:
            created = client.create(job)
        except errors.AlreadyExists:
            existing = jobs.get(cj["metadata"]["namespace"], name)
            ref = jobpods.controller_ref(existing) if existing is not None else None
            if existing is None or ref is None or ref.get("uid") != cj["metadata"]["uid"]:
                return requeue  # someone else's Job holds the name: nothing to do this time
            created = existing
        except errors.ApiError as e:
            event(cj, "FailedCreate", f"Error creating job: {e}", "Warning")
            raise
        else:
            event(cj, "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        if not jobpods.is_finished(created) and \
                not any(r.get("uid") == created["metadata"]["uid"] for r in active):
            active.append(object_ref(created))
        status["lastScheduleTime"] = cron_time(scheduled)
        return requeue

    def delete_job(cj: Obj, job: Obj) -> bool:
        md = job["metadata"]
        try:
            client.delete("batch/v1", "Job", md["name"], md["namespace"], propagation_policy="Background")
        except errors.NotFound:
            pass
        except errors.ApiError as e:
            event(cj, "FailedDelete", f"Deleted job: {e}", "Warning")
            return False
        active = cj["status"].get("active") or []
        active[:] = [r for r in active if r.get("uid") != md["uid"]]
        event(cj, "SuccessfulDelete", f"Deleted job {md['name']}")
        return True

    def cleanup_finished(cj: Obj, children: list[Obj]) -> None:
        spec = cj["spec"]
        ok_limit, failed_limit = spec.get("successfulJobsHistoryLimit"), spec.get("failedJobsHistoryLimit")
        live = [j for j in children if not j["metadata"].get("deletionTimestamp")
                and jobs.get(j["metadata"]["namespace"], j["metadata"]["name"]) is not None]
        ok = [j for j in live if succeeded(j)]
        failed = [j for j in live if jobpods.is_finished(j) and not succeeded(j)]
        for group, limit in ((ok, ok_limit), (failed, failed_limit)):
            if limit is None or len(group) <= int(limit):
                continue
            group.sort(key=_start_order)
            for j in group[:len(group) - int(limit)]:
                delete_job(cj, j)

    ctrl = ctx.manager.add(COMPONENT, reconcile)
    cronjobs.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"]["namespace"], o["metadata"]["name"])) if et != "DELETED" else None)

    def on_job(et: str, job: Obj, old: Obj | None) -> None:
        for o in (job, old):
            ref = jobpods.controller_ref(o) if o is not None else None
            if ref is not None and ref.get("kind") == "CronJob":
                ctrl.enqueue(Request(job["metadata"]["namespace"], ref.get("name", "")))

    jobs.add_handler(on_job)


def succeeded(job: Obj) -> bool:
    c = jobpods.find_condition(job, "Complete")
    return c is not None and c.get("status") == "True"


def _start_order(job: Obj) -> tuple[Any, ...]:
    start = (job.get("status") or {}).get("startTime")
    return (start is None, jobpods.parse_time(start) if start else 0.0, job["metadata"]["name"])


def cron_time(t: float) -> str:
    return dt.datetime.fromtimestamp(round(t), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_ref(job: Obj) -> Obj:
    md = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": md["name"],
            "namespace": md["namespace"], "resourceVersion": md["resourceVersion"], "uid": md["uid"]}


def new_job(cj: Obj, scheduled: float, tz: dt.tzinfo) -> Obj:
    """``getJobFromTemplate2``: the template's labels, annotations and spec, owned by ``cj``."""
    tpl = cj["spec"].get("jobTemplate") or {}
    tmd = tpl.get("metadata") or {}
    annotations = dict(tmd.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = rfc3339_in(scheduled, tz)
    md: Obj = {"name": job_name(cj, scheduled), "namespace": cj["metadata"]["namespace"],
               "annotations": annotations, "ownerReferences": [jobpods.owner_ref(cj)]}
    if tmd.get("labels"):
        md["labels"] = dict(tmd["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
            "spec": objects.deep_copy(tpl.get("spec") or {})}
