"""The CronJob controller on the virtual clock (2026-01-01T00:00:00Z at start).

Jobs are run by the Job controller where a test needs them to finish; ``finish_all`` stands in
for the scheduler and kubelet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import jobpods

Obj = dict[str, Any]
NS = "default"
NODE = "minik8s-worker"
BASE = ["namespace", "serviceaccount", "garbagecollector", "cronjob"]
T0_MINUTES = 1767225600 // 60
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=BASE), clock="virtual", serve=False) as c:
        yield c


@pytest.fixture
async def with_jobs() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=BASE + ["job"]), clock="virtual",
                       serve=False) as c:
        yield c


def make_cronjob(name: str = "hello", schedule: str = "*/5 * * * *", **spec: Any) -> Obj:
    s: Obj = {"schedule": schedule, "jobTemplate": {
        "metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
        "spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [
            {"name": "hello", "image": "busybox:1.28", "command": ["date"]}]}}}}}
    s.update(spec)
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": NS}, "spec": s}


def cronjob(c: Cluster, name: str = "hello") -> Obj:
    return c.client.get("batch/v1", "CronJob", name, NS)


def jobs(c: Cluster) -> list[str]:
    return sorted(j["metadata"]["name"] for j in c.client.list("batch/v1", "Job", NS).items
                  if not j["metadata"].get("deletionTimestamp"))


def events(c: Cluster, reason: str) -> list[str]:
    evs = sorted(c.client.list("v1", "Event", NS).items,
                 key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in evs
            if e["reason"] == reason and e["involvedObject"]["kind"] == "CronJob"]


def finish_all(c: Cluster, phase: str = "Succeeded") -> None:
    for p in c.client.list("v1", "Pod", NS).items:
        if not jobpods.is_active(p):
            continue
        name = p["metadata"]["name"]
        if not p["spec"].get("nodeName"):
            c.client.bind(NS, name, NODE)
        p = c.client.get("v1", "Pod", name, NS)
        p["status"] = {"phase": phase, "conditions": [
            {"type": "Ready", "status": "False", "lastTransitionTime": c.clock.rfc3339()}]}
        c.client.update_status(p)


def name_at(minutes_after_start: int, name: str = "hello") -> str:
    return f"{name}-{T0_MINUTES + minutes_after_start}"


async def test_an_hour_of_every_five_minutes_creates_twelve_jobs(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob())
    await cluster.settle()
    assert jobs(cluster) == []
    await cluster.advance(3600)
    expected = [name_at(m) for m in range(5, 61, 5)]
    assert jobs(cluster) == expected
    assert events(cluster, "SuccessfulCreate") == [f"Created job {n}" for n in expected]
    first = cluster.client.get("batch/v1", "Job", expected[0], NS)
    md = first["metadata"]
    assert md["annotations"] == {"note": "x", SCHEDULED: "2026-01-01T00:05:00Z"}
    assert md["labels"]["team"] == "a"
    assert md["ownerReferences"][0]["kind"] == "CronJob"
    cj = cronjob(cluster)
    assert cj["status"]["lastScheduleTime"] == "2026-01-01T01:00:00Z"
    assert [r["name"] for r in cj["status"]["active"]] == expected
    assert set(cj["status"]["active"][0]) == {"apiVersion", "kind", "name", "namespace",
                                              "resourceVersion", "uid"}


async def test_history_limits_keep_the_newest_finished_jobs(with_jobs: Cluster) -> None:
    c = with_jobs
    c.client.create(make_cronjob(successfulJobsHistoryLimit=3, failedJobsHistoryLimit=1))
    await c.settle()
    for _ in range(12):
        await c.advance(300)
        finish_all(c)
        await c.settle()
    assert len(events(c, "SuccessfulCreate")) == 12
    assert jobs(c) == [name_at(m) for m in (50, 55, 60)]
    assert events(c, "SuccessfulDelete")[:2] == [f"Deleted job {name_at(5)}",
                                                 f"Deleted job {name_at(10)}"]
    assert f"Saw completed job: {name_at(5)}, condition: Complete" in events(c, "SawCompletedJob")
    st = cronjob(c)["status"]
    assert "active" not in st
    assert st["lastSuccessfulTime"] == "2026-01-01T01:00:00Z"


async def test_failed_jobs_have_their_own_history_limit(with_jobs: Cluster) -> None:
    c = with_jobs
    c.client.create(make_cronjob(failedJobsHistoryLimit=1, jobTemplate={"spec": {
        "backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "hello", "image": "busybox"}]}}}}))
    await c.settle()
    for _ in range(3):
        await c.advance(300)
        finish_all(c, "Failed")
        await c.settle()
    assert jobs(c) == [name_at(15)]
    assert f"Saw completed job: {name_at(5)}, condition: Failed" in events(c, "SawCompletedJob")


async def test_forbid_skips_runs_while_one_is_active(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob(concurrencyPolicy="Forbid"))
    await cluster.advance(900)
    assert jobs(cluster) == [name_at(5)]
    assert events(cluster, "JobAlreadyActive") == [
        "Not starting job because prior execution is running and concurrency policy is Forbid"]


async def test_forbid_starts_the_missed_run_once_the_active_one_finishes(with_jobs: Cluster) -> None:
    c = with_jobs
    c.client.create(make_cronjob(concurrencyPolicy="Forbid"))
    await c.advance(420)                               # 00:07, one job active since 00:05
    assert jobs(c) == [name_at(5)]
    await c.advance(180)                               # 00:10 is skipped
    finish_all(c)
    await c.settle()                                   # ...then taken as soon as it is free
    assert jobs(c) == [name_at(5), name_at(10)]


async def test_replace_deletes_the_active_job_first(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob(concurrencyPolicy="Replace"))
    await cluster.advance(600)
    assert jobs(cluster) == [name_at(10)]
    assert events(cluster, "SuccessfulDelete") == [f"Deleted job {name_at(5)}"]
    assert [r["name"] for r in cronjob(cluster)["status"]["active"]] == [name_at(10)]


async def test_a_suspended_cronjob_creates_nothing(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob(suspend=True))
    await cluster.advance(3600)
    assert jobs(cluster) == []
    cluster.client.patch("batch/v1", "CronJob", "hello", {"spec": {"suspend": False}}, NS)
    await cluster.settle()
    # resuming catches up with the most recent missed time only
    assert jobs(cluster) == [name_at(60)]


async def test_the_starting_deadline_drops_runs_missed_by_too_much(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob(suspend=True, startingDeadlineSeconds=60))
    await cluster.advance(3600 + 120)                 # 01:02: the 01:00 run is 120 s late
    cluster.client.patch("batch/v1", "CronJob", "hello", {"spec": {"suspend": False}}, NS)
    await cluster.settle()
    assert jobs(cluster) == []
    await cluster.advance(180)
    assert jobs(cluster) == [name_at(65)]


async def test_the_time_zone_decides_the_wall_clock(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob(schedule="0 9 * * *", timeZone="Asia/Seoul"))
    await cluster.advance(86400)
    name = f"hello-{(1767225600 + 86400) // 60}"       # 2026-01-02T09:00+09:00
    assert jobs(cluster) == [name]
    job = cluster.client.get("batch/v1", "Job", name, NS)
    assert job["metadata"]["annotations"][SCHEDULED] == "2026-01-02T09:00:00+09:00"


async def test_a_job_that_went_missing_leaves_the_active_list(cluster: Cluster) -> None:
    cluster.client.create(make_cronjob())
    await cluster.advance(300)
    cluster.client.delete("batch/v1", "Job", name_at(5), NS)
    await cluster.settle()
    assert "active" not in cronjob(cluster)["status"]


@pytest.mark.parametrize("spec,reason,message", [
    ({"schedule": "61 * * * *"}, "UnparseableSchedule",
     'unparseable schedule: "61 * * * *" : end of range (61) above maximum (59): 61'),
    ({"schedule": "* * * *"}, "UnparseableSchedule",
     'unparseable schedule: "* * * *" : expected exactly 5 fields, found 4: * * * *'),
    ({"schedule": "*/5 * * * *", "timeZone": "Mars/Olympus"}, "UnknownTimeZone",
     'invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus'),
], ids=["a minute out of range is reported and nothing runs",
        "a missing field is reported and nothing runs",
        "an unknown time zone is reported and nothing runs"])
async def test_bad_schedules_are_reported(cluster: Cluster, spec: Obj, reason: str,
                                          message: str) -> None:
    try:
        cluster.client.create(make_cronjob(**spec))
    except errors.Invalid as e:  # an API server that validates schedules refuses them up front
        assert message.split(": ")[-1] in str(e)
        return
    await cluster.advance(600)
    assert jobs(cluster) == []
    assert events(cluster, reason) == [message]


# -- with every default component (scheduler and kubelet included) ----------------------


async def test_with_every_default_component_an_hour_leaves_the_last_three_jobs() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        cj = make_cronjob()
        cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"] = {
            "annotations": {"minik8s.io/complete-after": "10"}}
        c.client.create(cj)
        await c.settle()
        await c.advance(3600 + 60)
        assert len(events(c, "SuccessfulCreate")) == 12
        assert jobs(c) == [name_at(m) for m in (50, 55, 60)]
        st = cronjob(c)["status"]
        assert "active" not in st and st["lastSuccessfulTime"] == "2026-01-01T01:00:10Z"
