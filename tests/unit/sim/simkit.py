"""Helpers for the simulated kubelet's tests: a virtual-clock cluster and pod builders (imported by conftest and tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

#: the components these tests need; the scheduler is left out (tests bind pods themselves)
COMPONENTS = ["namespace", "serviceaccount", "garbagecollector", "nodelifecycle", "kubelet"]
WORKER = "minik8s-worker"


def make_pod(name: str, *, image: str = "nginx", annotations: dict[str, str] | None = None,
             containers: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"containers": containers or [{"name": name, "image": image}], **spec}}


class Sim:
    """A cluster plus the few verbs these tests repeat."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.client = cluster.client

    async def run(self, pod: dict[str, Any], node: str = WORKER) -> dict[str, Any]:
        """Create the pod, bind it, settle; return it."""
        self.client.create(pod)
        self.client.bind("default", pod["metadata"]["name"], node)
        await self.cluster.settle()
        return self.pod(pod["metadata"]["name"])

    def pod(self, name: str) -> dict[str, Any]:
        return self.client.get("v1", "Pod", name, "default")

    def pod_or_none(self, name: str) -> dict[str, Any] | None:
        return self.client.get_or_none("v1", "Pod", name, "default")

    def node(self, name: str = WORKER) -> dict[str, Any]:
        return self.client.get("v1", "Node", name)

    def events(self, name: str) -> list[tuple[str, str, str, int]]:
        evs = [e for e in self.client.list("v1", "Event", "default").items
               if e["involvedObject"].get("name") == name]
        evs.sort(key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
        return [(e["type"], e["reason"], e["message"], e["count"]) for e in evs]

    def reasons(self, name: str) -> list[str]:
        return [e[1] for e in self.events(name)]

    async def settle(self) -> None:
        await self.cluster.settle()

    async def advance(self, seconds: float) -> None:
        await self.cluster.advance(seconds)


def cluster_config(**kw: Any) -> ClusterConfig:
    return ClusterConfig.from_dict({"controllers": COMPONENTS, **kw})


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with Cluster(cluster_config(), clock="virtual", serve=False) as c:
        yield Sim(c)
