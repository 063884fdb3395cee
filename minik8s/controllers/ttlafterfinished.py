"""TTL-after-finished controller: deletes finished Jobs ``ttlSecondsAfterFinished`` later.

Like kube-controller-manager's ttl-after-finished-controller: the clock starts at the
``lastTransitionTime`` of the Job's Complete/Failed condition; when it runs out the Job is
deleted with Background propagation (the garbage collector then deletes its pods), with a
resourceVersion precondition so a Job changed in the meantime is looked at again.
Set up by ``controllers.job``; also enabled on its own by the name ``ttlafterfinished``.
"""

from __future__ import annotations

from minik8s.api import errors
from minik8s.controllers import jobpods
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result

COMPONENT = "ttl-after-finished-controller"


def finish_time(job: jobpods.Obj) -> float | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True" \
                and c.get("lastTransitionTime"):
            return jobpods.parse_time(c["lastTransitionTime"])
    return None


def setup(ctx: ControllerContext) -> None:
    if ctx.shared.get(COMPONENT):
        return
    ctx.shared[COMPONENT] = True
    jobs = ctx.informers.informer("batch/v1", "jobs")

    def reconcile(req: Request) -> Result | None:
        job = jobs.get(req.namespace, req.name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        finished = finish_time(job)
        if ttl is None or finished is None:
            return None
        left = finished + int(ttl) - ctx.clock.now()
        if left > 0:
            return Result(requeue_after=left)
        try:
            ctx.client.delete("batch/v1", "Job", req.name, req.namespace,
                              propagation_policy="Background",
                              preconditions={"resourceVersion": job["metadata"]["resourceVersion"]})
        except errors.NotFound:
            pass
        return None

    ctrl = ctx.manager.add(COMPONENT, reconcile)
    jobs.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"]["namespace"], o["metadata"]["name"])) if et != "DELETED" else None)
