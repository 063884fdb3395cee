"""Pod-level helpers of the Job controller: pod states, completion indexes, pod writes.

Neighbours: ``controllers.job`` (the sync that uses these) and ``controllers.cronjob``
(``is_finished``, ``find_condition``). Mirrors kube-controller-manager's
``pkg/controller/job`` utils, ``indexed_job_utils.go`` and ``controller.ActivePods``.
"""

from __future__ import annotations

from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors, selectors
from minik8s.client.client import Client
from minik8s.registry import names
from minik8s.runtime.controller import Request, Result
from minik8s.runtime.informer import Informer
from minik8s.api import objects

Obj = dict[str, Any]
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"


# -- objects ------------------------------------------------------------------------------
def controller_ref(obj: Obj) -> Obj | None:
    for o in obj["metadata"].get("ownerReferences") or ():
        if isinstance(o, dict) and o.get("controller"):
            return o
    return None


def job_owner_uids(pod: Obj) -> list[str]:
    ref = controller_ref(pod)
    return [ref["uid"]] if ref is not None and ref.get("kind") == "Job" and ref.get("uid") else []


def owner_ref(owner: Obj) -> Obj:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def find_condition(obj: Obj, type_: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def is_finished(job: Obj) -> bool:
    """``IsJobFinished``: a Complete or Failed condition that is True."""
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())


def selects(job: Obj, labels: dict[str, str]) -> bool:
    """Whether the Job's selector matches ``labels`` (an empty or bad selector: no)."""
    try:
        sel = selectors.label_selector_from_dict((job.get("spec") or {}).get("selector"))
    except ValueError:
        return False
    return not sel.empty and sel.matches(labels)


def parse_time(s: str) -> float:
    return parse_rfc3339(s)


# -- pod states ---------------------------------------------------------------------------
def phase(p: Obj) -> str:
    return str((p.get("status") or {}).get("phase") or "Pending")


def is_active(p: Obj) -> bool:
    return phase(p) not in ("Succeeded", "Failed") and not p["metadata"].get("deletionTimestamp")


def is_terminating(p: Obj) -> bool:
    return bool(p["metadata"].get("deletionTimestamp")) and phase(p) not in ("Succeeded", "Failed")


def ready_condition(p: Obj) -> Obj | None:
    return find_condition(p, "Ready")


def is_ready(p: Obj) -> bool:
    c = ready_condition(p)
    return c is not None and c.get("status") == "True"


def has_finalizer(p: Obj) -> bool:
    return TRACKING_FINALIZER in (p["metadata"].get("finalizers") or ())


def completion_index(p: Obj) -> int | None:
    v = (p["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if v is None:
        v = (p["metadata"].get("labels") or {}).get(COMPLETION_INDEX)
    try:
        n = int(str(v))
    except ValueError:
        return None
    return n if n >= 0 else None


def finish_time(p: Obj) -> float:
    """When a pod finished: its containers, else Ready=False, else its deletion, else creation."""
    st = p.get("status") or {}
    times: list[float] = []
    for cs in st.get("containerStatuses") or ():
        fin = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if not fin:
            times = []
            break
        times.append(parse_time(fin))
    if times:
        return max(times)
    c = ready_condition(p)
    if c is not None and c.get("status") == "False" and c.get("lastTransitionTime"):
        return parse_time(c["lastTransitionTime"])
    md = p["metadata"]
    if md.get("deletionTimestamp"):
        return parse_time(md["deletionTimestamp"]) - float(md.get("deletionGracePeriodSeconds") or 0)
    return parse_time(md["creationTimestamp"]) if md.get("creationTimestamp") else 0.0


def _active_order(p: Obj) -> tuple[Any, ...]:
    """``controller.ActivePods``: the pods to delete first sort first."""
    st = p.get("status") or {}
    rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(phase(p), 0)
    c = ready_condition(p)
    ready = is_ready(p)
    since = parse_time(c["lastTransitionTime"]) if ready and c and c.get("lastTransitionTime") else 0.0
    restarts = sum(int(cs.get("restartCount") or 0) for cs in st.get("containerStatuses") or ())
    created = p["metadata"].get("creationTimestamp")
    return (1 if (p.get("spec") or {}).get("nodeName") else 0, rank, 1 if ready else 0, -since,
            -restarts, -(parse_time(created) if created else float("inf")), p["metadata"]["name"])


def pods_for_removal(pods: list[Obj], rm_at_least: int, completions: int | None) -> list[Obj]:
    """``activePodsForRemoval``: Indexed jobs drop bad and repeated indexes first."""
    rm: list[Obj] = []
    left = list(pods)
    if completions is not None:
        by_index: dict[int, list[Obj]] = {}
        left = []
        for p in pods:
            ix = completion_index(p)
            if ix is None or ix >= completions:
                rm.append(p)
            else:
                by_index.setdefault(ix, []).append(p)
        for ix in sorted(by_index):
            group = sorted(by_index[ix], key=_active_order)
            rm.extend(group[:-1])
            left.append(group[-1])
    if len(rm) < rm_at_least:
        left.sort(key=_active_order)
        rm.extend(left[:rm_at_least - len(rm)])
    return rm


# -- indexes ------------------------------------------------------------------------------
def parse_indexes(text: str, completions: int) -> set[int]:
    out: set[int] = set()
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        try:
            lo, hi = int(a), int(b or a)
        except ValueError:
            continue
        out.update(range(lo, min(hi, completions - 1) + 1))
    return out


def format_indexes(ixs: set[int]) -> str:
    """Ordered intervals: ``{0,1,2,4}`` → ``0-2,4``."""
    parts: list[str] = []
    run: list[int] = []
    for i in sorted(ixs):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


def first_pending_indexes(active: list[Obj], succeeded: set[int], count: int,
                          completions: int) -> list[int]:
    busy = set(succeeded) | {ix for p in active if (ix := completion_index(p)) is not None}
    return [i for i in range(completions) if i not in busy][:count]


# -- writes -------------------------------------------------------------------------------
def new_pod(job: Obj, index: int | None, rng: Any) -> Obj:
    """A pod from the Job's template (``GetPodFromTemplate`` plus the Job's additions)."""
    tpl = objects.deep_copy((job.get("spec") or {}).get("template") or {})
    tmd = tpl.get("metadata") or {}
    spec = tpl.get("spec") or {}
    labels = dict(tmd.get("labels") or {})
    annotations = dict(tmd.get("annotations") or {})
    finalizers = list(tmd.get("finalizers") or [])
    if TRACKING_FINALIZER not in finalizers:
        finalizers.append(TRACKING_FINALIZER)
    name = job["metadata"]["name"]
    prefix = f"{name}-"
    if index is not None:
        annotations[COMPLETION_INDEX] = str(index)
        labels[COMPLETION_INDEX] = str(index)
        spec["hostname"] = f"{name}-{index}"
        prefix = f"{name}-{index}-"
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            env = c.setdefault("env", [])
            if not any(e.get("name") == INDEX_ENV for e in env):
                env.append({"name": INDEX_ENV, "valueFrom": {"fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}})
    md: Obj = {"generateName": prefix, "name": generated_name(prefix, rng),
               "namespace": job["metadata"]["namespace"], "finalizers": finalizers,
               "ownerReferences": [owner_ref(job)]}
    if labels:
        md["labels"] = labels
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


def generated_name(prefix: str, rng: Any) -> str:
    cut = names.MAX_GENERATED_NAME - names.GENERATE_SUFFIX
    return prefix[:cut] + "".join(rng.choice(names.ALPHANUMS) for _ in range(names.GENERATE_SUFFIX))


def create_pod(client: Client, pod: Obj, rng: Any, attempts: int = 8) -> Obj:
    """Create, drawing a new name on a collision (what generateName retries do)."""
    for _ in range(attempts - 1):
        try:
            return client.create(pod)
        except errors.AlreadyExists:
            pod["metadata"]["name"] = generated_name(pod["metadata"]["generateName"], rng)
    return client.create(pod)


def remove_finalizer(client: Client, pod: Obj) -> None:
    md = pod["metadata"]
    cur = client.get("v1", "Pod", md["name"], md["namespace"])
    fins = cur["metadata"].get("finalizers") or []
    if cur["metadata"]["uid"] != md["uid"] or TRACKING_FINALIZER not in fins:
        return
    rest = [f for f in fins if f != TRACKING_FINALIZER]
    if rest:
        cur["metadata"]["finalizers"] = rest
    else:
        del cur["metadata"]["finalizers"]
    client.update(cur)


def adopt(client: Client, pod: Obj, job: Obj) -> Obj | None:
    new = objects.deep_copy(pod)
    md = new["metadata"]
    md["ownerReferences"] = list(md.get("ownerReferences") or []) + [owner_ref(job)]
    if TRACKING_FINALIZER not in (md.get("finalizers") or ()):
        md["finalizers"] = list(md.get("finalizers") or []) + [TRACKING_FINALIZER]
    try:
        return client.update(new)
    except (errors.NotFound, errors.Conflict, errors.Invalid):
        return None


def release(client: Client, pod: Obj, uid: str) -> None:
    new = objects.deep_copy(pod)
    refs = [o for o in new["metadata"].get("ownerReferences") or () if o.get("uid") != uid]
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    try:
        client.update(new)
    except (errors.NotFound, errors.Conflict):
        pass


def sync_orphan_pod(client: Client, pods: Informer, jobs: Informer, req: Request) -> Result | None:
    """``syncOrphanPod``: drop the tracking finalizer of a pod whose Job is gone or finished."""
    pod = pods.get(req.namespace, req.name)
    if pod is None or not has_finalizer(pod):
        return None
    ref = controller_ref(pod)
    if ref is not None:
        if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
            return None
        job = jobs.get(req.namespace, ref.get("name", ""))
        if job is not None and job["metadata"]["uid"] == ref.get("uid") and not is_finished(job):
            return None
    try:
        remove_finalizer(client, pod)
    except errors.NotFound:
        pass
    return None
