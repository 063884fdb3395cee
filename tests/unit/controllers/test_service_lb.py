"""The service controller: LoadBalancer addresses from a pool, on the virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.controllers import service

Obj = dict[str, Any]
NS = "default"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "service"]
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"


def config(pool: str | None = None) -> ClusterConfig:
    comps = {"service": {"loadBalancerPool": pool}} if pool else {}
    return ClusterConfig(controllers=CONTROLLERS, components=comps)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(config(), clock="virtual", serve=False) as c:
        yield c


@pytest.fixture
async def small() -> AsyncIterator[Cluster]:
    async with Cluster(config("172.18.255.200-172.18.255.201"), clock="virtual", serve=False) as c:
        yield c


def make_lb(name: str, **spec: Any) -> Obj:
    s: Obj = {"type": "LoadBalancer", "selector": {"app": name},
              "ports": [{"port": 80, "targetPort": 8080}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": s}


def ingress(c: Cluster, name: str) -> list[Obj]:
    svc = c.client.get("v1", "Service", name, NS)
    return list(((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])


def events(c: Cluster, name: str) -> list[tuple[str, str]]:
    evs = sorted(c.client.list("v1", "Event", NS).items,
                 key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in evs if e["involvedObject"]["name"] == name]


async def test_a_load_balancer_gets_the_first_pool_address(cluster: Cluster) -> None:
    cluster.client.create(make_lb("web"))
    await cluster.settle()
    assert ingress(cluster, "web") == [{"ip": "172.18.255.200", "ipMode": "VIP"}]
    svc = cluster.client.get("v1", "Service", "web", NS)
    assert svc["metadata"]["finalizers"] == [FINALIZER]
    assert events(cluster, "web") == [("EnsuringLoadBalancer", "Ensuring load balancer"),
                                      ("EnsuredLoadBalancer", "Ensured load balancer")]


async def test_each_load_balancer_gets_its_own_address(cluster: Cluster) -> None:
    for n in ("a", "b", "c"):
        cluster.client.create(make_lb(n))
    await cluster.settle()
    assert [ingress(cluster, n)[0]["ip"] for n in ("a", "b", "c")] == [
        "172.18.255.200", "172.18.255.201", "172.18.255.202"]


async def test_a_requested_address_in_the_pool_is_honoured(cluster: Cluster) -> None:
    cluster.client.create(make_lb("web", loadBalancerIP="172.18.255.240"))
    await cluster.settle()
    assert ingress(cluster, "web")[0]["ip"] == "172.18.255.240"


@pytest.mark.parametrize("requested,why", [
    ("10.0.0.1", "requested IP 10.0.0.1 is not in the load balancer pool"),
    ("172.18.255.200", "requested IP 172.18.255.200 is already in use"),
], ids=["an address outside the pool is refused", "an address in use is refused"])
async def test_unusable_requested_addresses_are_reported(cluster: Cluster, requested: str,
                                                         why: str) -> None:
    cluster.client.create(make_lb("first"))
    await cluster.settle()
    cluster.client.create(make_lb("web", loadBalancerIP=requested))
    await cluster.settle()
    assert ingress(cluster, "web") == []
    assert ("SyncLoadBalancerFailed",
            f"Error syncing load balancer: failed to ensure load balancer: {why}") in events(cluster, "web")


async def test_an_exhausted_pool_leaves_the_service_pending_until_an_address_frees(
        small: Cluster) -> None:
    for n in ("a", "b", "c"):
        small.client.create(make_lb(n))
    await small.settle()
    assert ingress(small, "c") == []
    assert events(small, "c")[-1] == (
        "SyncLoadBalancerFailed",
        ("Error syncing load balancer: failed to ensure load balancer: no available IPs in the "
         "load balancer pool"))
    small.client.delete("v1", "Service", "a", NS)
    await small.settle()
    assert small.client.get_or_none("v1", "Service", "a", NS) is None
    assert ingress(small, "c") == [{"ip": "172.18.255.200", "ipMode": "VIP"}]


async def test_changing_the_type_releases_the_address(cluster: Cluster) -> None:
    cluster.client.create(make_lb("web"))
    await cluster.settle()
    cluster.client.patch("v1", "Service", "web", {"spec": {"type": "ClusterIP"}}, NS)
    await cluster.settle()
    svc = cluster.client.get("v1", "Service", "web", NS)
    assert ingress(cluster, "web") == [] and "finalizers" not in svc["metadata"]
    assert events(cluster, "web")[-2:] == [("DeletingLoadBalancer", "Deleting load balancer"),
                                           ("DeletedLoadBalancer", "Deleted load balancer")]
    cluster.client.create(make_lb("other"))
    await cluster.settle()
    assert ingress(cluster, "other")[0]["ip"] == "172.18.255.200"


async def test_a_service_with_a_load_balancer_class_is_someone_elses(cluster: Cluster) -> None:
    cluster.client.create(make_lb("web", loadBalancerClass="example.com/lb"))
    await cluster.settle()
    assert ingress(cluster, "web") == []
    assert events(cluster, "web") == []


async def test_the_pool_may_be_a_cidr() -> None:
    async with Cluster(config("192.0.2.0/30"), clock="virtual", serve=False) as c:
        c.client.create(make_lb("web"))
        await c.settle()
        assert ingress(c, "web")[0]["ip"] == "192.0.2.1"


@pytest.mark.parametrize("text,expected", [
    ("10.0.0.1-10.0.0.3", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ("10.0.0.0/30", ["10.0.0.1", "10.0.0.2"]),
    ("10.0.0.9, 10.0.0.1-10.0.0.2", ["10.0.0.9", "10.0.0.1", "10.0.0.2"]),
], ids=["a range includes both ends", "a CIDR gives its hosts", "a list joins its parts in order"])
def test_pool_syntax(text: str, expected: list[str]) -> None:
    assert service.parse_pool(text) == expected


def test_a_bad_pool_is_an_error() -> None:
    with pytest.raises(ValueError):
        service.parse_pool("nope")
