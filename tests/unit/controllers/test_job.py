"""The Job controller (and TTL-after-finished), against the in-memory cluster on the virtual clock.

Only the controllers under test run; ``run``/``finish`` stand in for the scheduler and kubelet
by binding pods and writing the status a kubelet would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import jobpods

Obj = dict[str, Any]
NS = "default"
NODE = "minik8s-worker"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "job"]
FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX = "batch.kubernetes.io/job-completion-index"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False) as c:
        yield c


def make_job(name: str = "pi", **spec: Any) -> Obj:
    s: Obj = {"template": {"spec": {"restartPolicy": "Never", "containers": [
        {"name": "pi", "image": "perl:5.34", "command": ["perl", "-e", "print 1"]}]}}}
    s.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
            "spec": s}


def job(c: Cluster, name: str = "pi") -> Obj:
    return c.client.get("batch/v1", "Job", name, NS)


def job_pods(c: Cluster, name: str = "pi") -> list[Obj]:
    return sorted(c.client.list("v1", "Pod", NS, label_selector=f"job-name={name}").items,
                  key=lambda p: p["metadata"]["name"])


def active(c: Cluster, name: str = "pi") -> list[Obj]:
    return [p for p in job_pods(c, name) if jobpods.is_active(p)]


def conditions(j: Obj) -> list[tuple[str, str, str]]:
    return [(x["type"], x["status"], x.get("reason", "")) for x in j["status"].get("conditions") or ()]


def events(c: Cluster, reason: str | None = None) -> list[tuple[str, str]]:
    evs = sorted(c.client.list("v1", "Event", NS).items,
                 key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in evs if reason is None or e["reason"] == reason]


def set_phase(c: Cluster, pod: Obj, phase: str, ready: bool = False) -> None:
    name = pod["metadata"]["name"]
    if not c.client.get("v1", "Pod", name, NS)["spec"].get("nodeName"):
        c.client.bind(NS, name, NODE)
    p = c.client.get("v1", "Pod", name, NS)
    now = c.clock.rfc3339()
    terminated = {"exitCode": 0 if phase == "Succeeded" else 1, "finishedAt": now,
                  "reason": "Completed" if phase == "Succeeded" else "Error", "startedAt": now}
    p["status"] = {"phase": phase, "podIP": "10.244.1.9", "conditions": [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now}],
        "containerStatuses": [{"name": "pi", "image": "perl:5.34", "imageID": "", "ready": ready,
                               "restartCount": 0, "state": {"terminated": terminated}
                               if phase in ("Succeeded", "Failed") else {"running": {"startedAt": now}}}]}
    c.client.update_status(p)


def run(c: Cluster, pod: Obj) -> None:
    set_phase(c, pod, "Running", ready=True)


def finish(c: Cluster, pod: Obj, phase: str = "Succeeded") -> None:
    set_phase(c, pod, phase)


# -- creation ----------------------------------------------------------------------------
async def test_a_job_creates_its_pods_owned_labelled_and_tracked(cluster: Cluster) -> None:
    cluster.client.create(make_job(completions=3, parallelism=2))
    await cluster.settle()
    j = job(cluster)
    uid = j["metadata"]["uid"]
    pods = job_pods(cluster)
    assert len(pods) == 2
    for p in pods:
        md = p["metadata"]
        assert re.fullmatch(r"pi-[bcdfghjklmnpqrstvwxz2456789]{5}", md["name"])
        assert md["generateName"] == "pi-"
        assert md["finalizers"] == [FINALIZER]
        assert md["labels"] == {"batch.kubernetes.io/controller-uid": uid,
                                "batch.kubernetes.io/job-name": "pi", "controller-uid": uid,
                                "job-name": "pi"}
        assert md["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "pi",
                                          "uid": uid, "controller": True,
                                          "blockOwnerDeletion": True}]
    st = j["status"]
    assert st == {"active": 2, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {},
                  "startTime": "2026-01-01T00:00:00Z"}
    assert sorted(events(cluster, "SuccessfulCreate")) == sorted(
        ("SuccessfulCreate", f"Created pod: {p['metadata']['name']}") for p in pods)


async def test_pod_names_are_the_same_for_the_same_seed() -> None:
    names = []
    for _ in range(2):
        async with Cluster(ClusterConfig(controllers=CONTROLLERS, seed=7), clock="virtual",
                           serve=False) as c:
            c.client.create(make_job(completions=2, parallelism=2))
            await c.settle()
            names.append([p["metadata"]["name"] for p in job_pods(c)])
    assert names[0] == names[1]


async def test_ready_pods_are_counted(cluster: Cluster) -> None:
    cluster.client.create(make_job(parallelism=2, completions=2))
    await cluster.settle()
    run(cluster, job_pods(cluster)[0])
    await cluster.settle()
    assert job(cluster)["status"]["ready"] == 1


# -- completion --------------------------------------------------------------------------
async def test_completions_run_parallelism_at_a_time_until_complete(cluster: Cluster) -> None:
    cluster.client.create(make_job(completions=3, parallelism=2))
    await cluster.settle()
    seen: list[Obj] = []
    cluster.informers.informer("batch/v1", "jobs").add_handler(
        lambda et, o, old: seen.append(o["status"]), replay=False)
    for _ in range(3):
        pods = active(cluster)
        assert 1 <= len(pods) <= 2
        finish(cluster, pods[0])
        await cluster.settle()
    j = job(cluster)
    st = j["status"]
    assert st["succeeded"] == 3 and "active" not in st
    assert conditions(j) == [("SuccessCriteriaMet", "True", "CompletionsReached"),
                             ("Complete", "True", "CompletionsReached")]
    assert j["status"]["conditions"][1]["message"] == "Reached expected number of succeeded pods"
    assert st["completionTime"] == "2026-01-01T00:00:00Z"
    assert all(not p["metadata"].get("finalizers") for p in job_pods(cluster))
    assert events(cluster, "Completed") == [("Completed", "Job completed")]
    # the pod went through uncountedTerminatedPods before it was counted
    assert any((s.get("uncountedTerminatedPods") or {}).get("succeeded") for s in seen)
    # and SuccessCriteriaMet was written before Complete
    firsts = [[c["type"] for c in s.get("conditions") or ()] for s in seen]
    assert ["SuccessCriteriaMet"] in firsts


async def test_a_work_queue_job_completes_when_one_succeeds_and_the_rest_finish(
        cluster: Cluster) -> None:
    cluster.client.create(make_job(parallelism=2))
    await cluster.settle()
    j = job(cluster)
    assert j["spec"].get("completions") is None and len(active(cluster)) == 2
    a, b = active(cluster)
    finish(cluster, a)
    await cluster.settle()
    assert [p["metadata"]["name"] for p in active(cluster)] == [b["metadata"]["name"]]
    assert not conditions(job(cluster))
    finish(cluster, b)
    await cluster.settle()
    assert ("Complete", "True", "CompletionsReached") in conditions(job(cluster))


# -- failure -----------------------------------------------------------------------------
async def test_failed_pods_are_replaced_after_a_doubling_backoff(cluster: Cluster) -> None:
    cluster.client.create(make_job(backoffLimit=5))
    await cluster.settle()
    finish(cluster, active(cluster)[0], "Failed")
    await cluster.settle()
    assert job(cluster)["status"]["failed"] == 1 and not active(cluster)
    await cluster.advance(9)
    assert not active(cluster)
    await cluster.advance(1)
    assert len(active(cluster)) == 1                  # 10 s after the first failure
    finish(cluster, active(cluster)[0], "Failed")
    await cluster.settle()
    await cluster.advance(19)
    assert not active(cluster)
    await cluster.advance(1)
    assert len(active(cluster)) == 1                  # 20 s after the second


async def test_the_backoff_limit_fails_the_job(cluster: Cluster) -> None:
    cluster.client.create(make_job(backoffLimit=1))
    await cluster.settle()
    seen: list[list[str]] = []
    cluster.informers.informer("batch/v1", "jobs").add_handler(
        lambda et, o, old: seen.append([c["type"] for c in o["status"].get("conditions") or ()]),
        replay=False)
    for _ in range(2):
        await cluster.advance(60)
        finish(cluster, active(cluster)[0], "Failed")
        await cluster.settle()
    j = job(cluster)
    assert j["status"]["failed"] == 2
    assert conditions(j) == [("FailureTarget", "True", "BackoffLimitExceeded"),
                             ("Failed", "True", "BackoffLimitExceeded")]
    assert j["status"]["conditions"][1]["message"] == "Job has reached the specified backoff limit"
    assert "completionTime" not in j["status"]
    assert ["FailureTarget"] in seen
    assert events(cluster, "BackoffLimitExceeded") == [
        ("BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    await cluster.advance(600)
    assert not active(cluster)


async def test_the_active_deadline_fails_the_job_on_the_clock(cluster: Cluster) -> None:
    cluster.client.create(make_job(activeDeadlineSeconds=30, parallelism=2, completions=4))
    await cluster.settle()
    for p in active(cluster):
        run(cluster, p)
    await cluster.advance(29)
    assert not conditions(job(cluster))
    await cluster.advance(1)
    # the pods are terminating (no kubelet runs here): the Job waits for them before Failed
    assert conditions(job(cluster)) == [("FailureTarget", "True", "DeadlineExceeded")]
    for p in cluster.client.list("v1", "Pod", NS).items:
        cluster.client.delete("v1", "Pod", p["metadata"]["name"], NS, grace_period_seconds=0)
    await cluster.settle()
    j = job(cluster)
    assert conditions(j) == [("FailureTarget", "True", "DeadlineExceeded"),
                             ("Failed", "True", "DeadlineExceeded")]
    assert j["status"]["conditions"][1]["message"] == "Job was active longer than specified deadline"
    assert not active(cluster)
    assert j["status"]["failed"] == 2 and j["status"]["terminating"] == 0


async def test_pods_replaced_only_when_failed_wait_for_terminating_ones(cluster: Cluster) -> None:
    cluster.client.create(make_job(podReplacementPolicy="Failed"))
    await cluster.settle()
    pod = active(cluster)[0]
    run(cluster, pod)
    cluster.client.delete("v1", "Pod", pod["metadata"]["name"], NS)
    await cluster.settle()
    st = job(cluster)["status"]
    assert st["terminating"] == 1 and "active" not in st and not active(cluster)
    finish(cluster, pod, "Failed")                   # the kubelet ends it
    await cluster.settle()
    st = job(cluster)["status"]
    assert st["failed"] == 1 and st["terminating"] == 0
    await cluster.advance(10)
    assert len(active(cluster)) == 1


# -- indexed -----------------------------------------------------------------------------
async def test_indexed_pods_carry_their_index(cluster: Cluster) -> None:
    cluster.client.create(make_job("idx", completions=3, parallelism=3, completionMode="Indexed"))
    await cluster.settle()
    pods = job_pods(cluster, "idx")
    assert len(pods) == 3
    by_index = {}
    for p in pods:
        md = p["metadata"]
        i = md["annotations"][INDEX]
        assert md["labels"][INDEX] == i
        assert re.fullmatch(rf"idx-{i}-[a-z0-9]{{5}}", md["name"])
        assert p["spec"]["hostname"] == f"idx-{i}"
        assert {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": f"metadata.annotations['{INDEX}']"}}} in \
            p["spec"]["containers"][0]["env"]
        by_index[int(i)] = p
    assert sorted(by_index) == [0, 1, 2]
    finish(cluster, by_index[1])
    await cluster.settle()
    assert job(cluster, "idx")["status"]["completedIndexes"] == "1"
    finish(cluster, by_index[2], "Failed")
    await cluster.advance(10)
    repl = [p for p in active(cluster, "idx") if p["metadata"]["annotations"][INDEX] == "2"]
    assert len(repl) == 1                             # the failed index is retried
    finish(cluster, by_index[0])
    finish(cluster, repl[0])
    await cluster.settle()
    j = job(cluster, "idx")
    assert j["status"]["completedIndexes"] == "0-2" and j["status"]["succeeded"] == 3
    assert ("Complete", "True", "CompletionsReached") in conditions(j)


# -- suspend -----------------------------------------------------------------------------
async def test_a_suspended_job_runs_nothing_until_resumed(cluster: Cluster) -> None:
    cluster.client.create(make_job(suspend=True, completions=2, parallelism=2))
    await cluster.settle()
    j = job(cluster)
    assert not job_pods(cluster) and "startTime" not in j["status"]
    assert conditions(j) == [("Suspended", "True", "JobSuspended")]
    await cluster.advance(100)
    cluster.client.patch("batch/v1", "Job", "pi", {"spec": {"suspend": False}}, NS)
    await cluster.settle()
    j = job(cluster)
    assert len(active(cluster)) == 2
    assert conditions(j) == [("Suspended", "False", "JobResumed")]
    assert j["status"]["startTime"] == "2026-01-01T00:01:40Z"
    assert [r for r, _ in events(cluster) if r in ("Suspended", "Resumed")] == ["Suspended", "Resumed"]


async def test_suspending_a_running_job_deletes_its_active_pods(cluster: Cluster) -> None:
    cluster.client.create(make_job(completions=2, parallelism=2))
    await cluster.settle()
    cluster.client.patch("batch/v1", "Job", "pi", {"spec": {"suspend": True}}, NS)
    await cluster.settle()
    j = job(cluster)
    assert not job_pods(cluster)                      # unscheduled pods go at once
    assert "active" not in j["status"] and "failed" not in j["status"]
    assert conditions(j) == [("Suspended", "True", "JobSuspended")]


# -- pods the job does not own (any more) -----------------------------------------------
async def test_a_deleted_jobs_pods_lose_the_tracking_finalizer_and_go(cluster: Cluster) -> None:
    cluster.client.create(make_job(completions=2, parallelism=2))
    await cluster.settle()
    assert len(job_pods(cluster)) == 2
    cluster.client.delete("batch/v1", "Job", "pi", NS, propagation_policy="Background")
    await cluster.settle()
    assert job_pods(cluster) == []


async def test_a_matching_orphan_is_adopted_with_the_finalizer(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "stray", "namespace": NS, "labels": {"app": "batch"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}})
    j = make_job(manualSelector=True, selector={"matchLabels": {"app": "batch"}}, parallelism=1,
                 completions=1)
    j["spec"]["template"]["metadata"] = {"labels": {"app": "batch"}}
    cluster.client.create(j)
    await cluster.settle()
    pods = cluster.client.list("v1", "Pod", NS, label_selector="app=batch").items
    assert [p["metadata"]["name"] for p in pods] == ["stray"]
    md = pods[0]["metadata"]
    assert md["ownerReferences"][0]["name"] == "pi" and md["finalizers"] == [FINALIZER]


# -- TTL after finished ------------------------------------------------------------------
async def test_a_finished_job_is_deleted_after_its_ttl_with_its_pods(cluster: Cluster) -> None:
    cluster.client.create(make_job(ttlSecondsAfterFinished=100))
    await cluster.settle()
    await cluster.advance(5)
    finish(cluster, active(cluster)[0])
    await cluster.settle()
    assert ("Complete", "True", "CompletionsReached") in conditions(job(cluster))
    await cluster.advance(99)
    assert cluster.client.get_or_none("batch/v1", "Job", "pi", NS) is not None
    await cluster.advance(1)
    assert cluster.client.get_or_none("batch/v1", "Job", "pi", NS) is None
    assert job_pods(cluster) == []


# -- with every default component (scheduler and kubelet included) ----------------------


async def test_with_every_default_component_pods_that_complete_finish_the_job() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        j = make_job(completions=3, parallelism=2)
        j["spec"]["template"]["metadata"] = {"annotations": {"minik8s.io/complete-after": "5"}}
        c.client.create(j)
        await c.settle()
        await c.advance(30)
        j = job(c)
        assert j["status"]["succeeded"] == 3
        assert ("Complete", "True", "CompletionsReached") in conditions(j)
        assert [p["status"]["phase"] for p in job_pods(c)] == ["Succeeded"] * 3


async def test_with_every_default_component_failing_pods_exhaust_the_backoff_limit() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        j = make_job(backoffLimit=2)
        j["spec"]["template"]["metadata"] = {"annotations": {"minik8s.io/stage": "failed"}}
        c.client.create(j)
        await c.settle()
        await c.advance(120)
        j = job(c)
        assert j["status"]["failed"] == 3
        assert ("Failed", "True", "BackoffLimitExceeded") in conditions(j)
