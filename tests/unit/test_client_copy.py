"""The in-process client's copies: callers own what they get, unless they ask to share."""

from __future__ import annotations

from minik8s.cluster import Cluster

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
      "data": {"k": "v"}}


async def test_create_returns_a_copy_unless_asked_to_share() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        mine = c.client.create(CM)
        stored = c.informers.informer("v1", "configmaps").get("default", "c")
        assert mine == stored and mine is not stored
        mine["data"]["k"] = "changed"  # the caller's own copy
        assert stored["data"]["k"] == "v"
        shared = c.client.create({**CM, "metadata": {"name": "d", "namespace": "default"}}, copy=False)
        assert shared is c.informers.informer("v1", "configmaps").get("default", "d")
