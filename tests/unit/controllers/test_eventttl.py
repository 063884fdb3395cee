"""Event expiry (kube-apiserver's ``--event-ttl``), on the virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.aio.clock import VirtualClock
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import eventttl

Obj = dict[str, Any]
NS = "default"


def config(**kw: Any) -> ClusterConfig:
    return ClusterConfig(controllers=["eventttl"], **kw)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(config(), clock="virtual", serve=False) as c:
        yield c


def core_event(name: str, message: str = "m") -> Obj:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": NS},
            "reason": "Test", "message": message, "type": "Normal"}


def events(c: Cluster, api: str = "v1") -> list[str]:
    return sorted(e["metadata"]["name"] for e in c.client.list(api, "Event", NS).items)


def our_timers(c: Cluster) -> int:
    """Pending clock timers (this cluster runs only the event-ttl component)."""
    assert isinstance(c.clock, VirtualClock)
    return c.clock.pending_timers()


async def test_an_event_goes_exactly_ttl_after_its_creation(cluster: Cluster) -> None:
    cluster.client.create(core_event("a"))
    await cluster.advance(3599)
    assert events(cluster) == ["a"]
    await cluster.advance(1)
    assert events(cluster) == []


async def test_each_write_restarts_the_ttl(cluster: Cluster) -> None:
    cluster.client.create(core_event("a"))
    cluster.client.create(core_event("b"))
    await cluster.advance(1800)
    ev = cluster.client.get("v1", "Event", "a", NS)
    ev["count"] = 2
    cluster.client.update(ev)                                  # like the recorder's count++
    await cluster.advance(1800)
    assert events(cluster) == ["a"]                           # b: created 3600 s ago
    await cluster.advance(1799)
    assert events(cluster) == ["a"]
    await cluster.advance(1)
    assert events(cluster) == []


async def test_recorded_events_expire_and_a_repeat_refreshes_them(cluster: Cluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": NS, "uid": "u1"}}
    cluster.client.event(pod, "Scheduled", "Successfully assigned", component="s")
    await cluster.advance(3000)
    cluster.client.event(pod, "Scheduled", "Successfully assigned", component="s")  # count 2
    [ev] = cluster.client.list("v1", "Event", NS).items
    assert ev["count"] == 2
    await cluster.advance(3599)
    assert len(events(cluster)) == 1
    await cluster.advance(1)
    assert events(cluster) == []


async def test_a_watcher_sees_the_expired_event_deleted(cluster: Cluster) -> None:
    rv = cluster.client.list("v1", "Event", NS).resource_version
    w = cluster.client.watch("v1", "Event", NS, resource_version=rv)
    cluster.client.create(core_event("a"))
    await cluster.advance(3600)
    seen = []
    while (item := w.get_nowait()) is not None:
        seen.append((item[0], item[1]["metadata"]["name"]))
    assert seen == [("ADDED", "a"), ("DELETED", "a")]
    w.close()


async def test_events_k8s_io_events_expire_too(cluster: Cluster) -> None:
    cluster.client.create({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "e", "namespace": NS}, "eventTime": cluster.clock.rfc3339_micro(),
        "reportingController": "example.com/c", "reportingInstance": "i", "action": "Do",
        "reason": "Test", "type": "Normal", "regarding": {"kind": "Pod", "name": "p"}})
    await cluster.advance(3599)
    assert events(cluster, "events.k8s.io/v1") == ["e"]
    await cluster.advance(1)
    assert events(cluster, "events.k8s.io/v1") == []


async def test_one_timer_for_many_events(cluster: Cluster) -> None:
    for i in range(200):
        cluster.client.create(core_event(f"e{i}"))
        await cluster.advance(1)
    assert our_timers(cluster) == 1                          # not one per Event
    await cluster.advance(3600 - 200)
    assert len(events(cluster)) == 199                        # e0 went at 3600 s
    await cluster.advance(100)
    assert len(events(cluster)) == 99
    await cluster.advance(100)
    assert events(cluster) == [] and our_timers(cluster) == 0


async def test_the_ttl_is_configurable_and_zero_keeps_events() -> None:
    async with Cluster(config(event_ttl="90s"), clock="virtual", serve=False) as c:
        c.client.create(core_event("a"))
        await c.advance(89)
        assert events(c) == ["a"]
        await c.advance(1)
        assert events(c) == []
    async with Cluster(config(event_ttl=0), clock="virtual", serve=False) as c:
        c.client.create(core_event("a"))
        await c.advance(30 * 86400)
        assert events(c) == ["a"]


async def test_stored_events_count_from_their_last_timestamp() -> None:
    """A snapshot (or a data directory) carries no lease: its Events count from their
    latest timestamp."""
    async with Cluster(config(), clock="virtual", serve=False) as a:
        a.client.create({**core_event("old"), "lastTimestamp": a.clock.rfc3339()})
        await a.advance(1000)
        a.client.create({**core_event("new"), "lastTimestamp": a.clock.rfc3339()})
        snap, now = a.snapshot(), a.clock.now()
    async with Cluster(config(), clock=VirtualClock(now), serve=False, snapshot=snap) as b:
        await b.advance(2599)
        assert events(b) == ["new", "old"]
        await b.advance(1)
        assert events(b) == ["new"]
        await b.advance(1000)
        assert events(b) == []


def test_last_written_takes_the_latest_timestamp() -> None:
    ev = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
          "lastTimestamp": "2026-01-01T00:10:00Z",
          "series": {"lastObservedTime": "2026-01-01T00:20:00.500000Z"}}
    assert eventttl.last_written(ev) == 1767225600.0 + 1200.5
    assert eventttl.last_written({"metadata": {}, "eventTime": None}) is None
