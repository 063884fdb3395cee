"""The Endpoints and EndpointSlice controllers, on the virtual clock.

``run`` stands in for the scheduler and kubelet: it binds a pod and writes a Running status with
an IP and a Ready condition. A hypothesis property checks that after any sequence of readiness
flips and deletions, the ready addresses are exactly the ready, non-terminating selected pods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

Obj = dict[str, Any]
NS = "default"
NODE = "minik8s-worker"
CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "endpoints", "endpointslice"]
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False) as c:
        yield c


def make_service(name: str = "web", selector: dict[str, str] | None = None,
                 ports: list[Obj] | None = None, **spec: Any) -> Obj:
    s: Obj = {"ports": ports if ports is not None else [{"name": "http", "port": 80,
                                                         "targetPort": 8080}]}
    if selector is not None:
        s["selector"] = selector
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NS, "labels": {"tier": "front"}}, "spec": s}


def make_pod(name: str, labels: dict[str, str] | None = None, ports: list[Obj] | None = None,
             **spec: Any) -> Obj:
    s: Obj = {"containers": [{"name": "c", "image": "nginx", "ports": ports or []}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": name, "namespace": NS, "labels": labels or {"app": "web"}}, "spec": s}


def ip_of(name: str) -> str:
    return f"10.244.1.{sum(map(ord, name)) % 250 + 2}"


def run(c: Cluster, name: str, ready: bool = True, node: str = NODE) -> None:
    p = c.client.get("v1", "Pod", name, NS)
    if not p["spec"].get("nodeName"):
        c.client.bind(NS, name, node)
        p = c.client.get("v1", "Pod", name, NS)
    ip = ip_of(name)
    p["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "conditions": [
        {"type": "Ready", "status": "True" if ready else "False",
         "lastTransitionTime": c.clock.rfc3339()}]}
    c.client.update_status(p)


def endpoints(c: Cluster, name: str = "web") -> Obj | None:
    return c.client.get_or_none("v1", "Endpoints", name, NS)


def addresses(ep: Obj | None, key: str = "addresses") -> set[str]:
    return {a["ip"] for s in (ep or {}).get("subsets") or () for a in s.get(key) or ()}


def slices(c: Cluster, name: str = "web") -> list[Obj]:
    return c.client.list("discovery.k8s.io/v1", "EndpointSlice", NS,
                         label_selector=f"kubernetes.io/service-name={name}").items


def slice_endpoints(c: Cluster, name: str = "web") -> list[Obj]:
    return [e for s in slices(c, name) for e in s.get("endpoints") or ()]


# -- Endpoints ---------------------------------------------------------------------------
async def test_ready_and_not_ready_pods_fill_the_two_address_lists(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    for n in ("web-a", "web-b", "other"):
        cluster.client.create(make_pod(n, {"app": "web" if n != "other" else "db"}))
    run(cluster, "web-a")
    run(cluster, "web-b", ready=False)
    run(cluster, "other")
    await cluster.settle()
    ep = endpoints(cluster)
    assert ep is not None
    assert ep["metadata"]["labels"] == {"tier": "front"}
    assert ep["metadata"]["annotations"][TRIGGER] == "2026-01-01T00:00:00Z"
    [subset] = ep["subsets"]
    pod_a = cluster.client.get("v1", "Pod", "web-a", NS)
    assert subset["addresses"] == [{"ip": ip_of("web-a"), "nodeName": NODE, "targetRef": {
        "kind": "Pod", "namespace": NS, "name": "web-a", "uid": pod_a["metadata"]["uid"]}}]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == [ip_of("web-b")]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


async def test_pods_without_an_ip_or_finished_are_left_out(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    cluster.client.create(make_pod("pending"))
    cluster.client.create(make_pod("done"))
    run(cluster, "done")
    p = cluster.client.get("v1", "Pod", "done", NS)
    p["status"]["phase"] = "Succeeded"
    cluster.client.update_status(p)
    await cluster.settle()
    ep = endpoints(cluster)
    assert ep is not None and "subsets" not in ep


async def test_terminating_pods_are_excluded(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    cluster.client.create(make_pod("web-a"))
    run(cluster, "web-a")
    await cluster.settle()
    assert addresses(endpoints(cluster)) == {ip_of("web-a")}
    cluster.client.delete("v1", "Pod", "web-a", NS)       # bound: stays Terminating for 30 s
    await cluster.settle()
    assert cluster.client.get("v1", "Pod", "web-a", NS)["metadata"]["deletionTimestamp"]
    assert addresses(endpoints(cluster)) == set()
    assert addresses(endpoints(cluster), "notReadyAddresses") == set()


async def test_publish_not_ready_addresses_lists_every_pod_as_ready(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}, publishNotReadyAddresses=True))
    cluster.client.create(make_pod("web-a"))
    cluster.client.create(make_pod("web-b"))
    run(cluster, "web-a", ready=False)
    run(cluster, "web-b")
    cluster.client.delete("v1", "Pod", "web-b", NS)
    await cluster.settle()
    assert addresses(endpoints(cluster)) == {ip_of("web-a"), ip_of("web-b")}


async def test_hostname_is_set_for_pods_in_the_services_subdomain(cluster: Cluster) -> None:
    cluster.client.create(make_service("db", selector={"app": "db"}, clusterIP="None"))
    cluster.client.create(make_pod("db-0", {"app": "db"}, hostname="db-0", subdomain="db"))
    cluster.client.create(make_pod("db-1", {"app": "db"}, hostname="db-1", subdomain="other"))
    run(cluster, "db-0")
    run(cluster, "db-1")
    await cluster.settle()
    ep = endpoints(cluster, "db")
    assert ep is not None
    assert {a["ip"]: a.get("hostname") for a in ep["subsets"][0]["addresses"]} == {
        ip_of("db-0"): "db-0", ip_of("db-1"): None}
    assert ep["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    eps = {e["targetRef"]["name"]: e.get("hostname") for e in slice_endpoints(cluster, "db")}
    assert eps == {"db-0": "db-0", "db-1": None}


async def test_named_target_ports_resolve_per_pod_and_group_subsets(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}, ports=[
        {"name": "http", "port": 80, "targetPort": "web"},
        {"name": "metrics", "port": 9090, "targetPort": 9090}]))
    cluster.client.create(make_pod("web-a", ports=[{"name": "web", "containerPort": 8080}]))
    cluster.client.create(make_pod("web-b", ports=[{"name": "web", "containerPort": 8081}]))
    cluster.client.create(make_pod("web-c", ports=[{"name": "admin", "containerPort": 7000}]))
    for n in ("web-a", "web-b", "web-c"):
        run(cluster, n)
    await cluster.settle()
    ep = endpoints(cluster)
    assert ep is not None
    got = sorted((sorted(a["ip"] for a in s["addresses"]), [(p["name"], p["port"]) for p in s["ports"]])
                 for s in ep["subsets"])
    assert got == sorted([
        ([ip_of("web-a")], [("http", 8080)]),
        ([ip_of("web-b")], [("http", 8081)]),
        (sorted([ip_of("web-a"), ip_of("web-b"), ip_of("web-c")]), [("metrics", 9090)]),
    ])
    by_ports = {tuple((p["name"], p["port"]) for p in s["ports"]):
                sorted(e["targetRef"]["name"] for e in s["endpoints"]) for s in slices(cluster)}
    assert by_ports == {(("http", 8080), ("metrics", 9090)): ["web-a"],
                        (("http", 8081), ("metrics", 9090)): ["web-b"],
                        (("metrics", 9090),): ["web-c"]}


async def test_services_without_a_selector_are_left_alone(cluster: Cluster) -> None:
    cluster.client.create(make_service("ext"))
    manual = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext", "namespace": NS},
              "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 80}]}]}
    cluster.client.create(manual)
    await cluster.settle()
    assert addresses(endpoints(cluster, "ext")) == {"192.0.2.10"}
    assert slices(cluster, "ext") == []
    k8s = endpoints(cluster, "kubernetes")
    assert k8s is not None and addresses(k8s) == {"172.18.0.3"}
    assert k8s["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}


async def test_deleting_a_service_deletes_its_endpoints_and_slices(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    await cluster.settle()
    assert endpoints(cluster) is not None and len(slices(cluster)) == 1
    cluster.client.delete("v1", "Service", "web", NS)
    await cluster.settle()
    assert endpoints(cluster) is None and slices(cluster) == []


# -- EndpointSlices ----------------------------------------------------------------------
async def test_a_service_with_no_pods_has_one_placeholder_slice(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    await cluster.settle()
    [s] = slices(cluster)
    assert s["metadata"]["name"].startswith("web-") and len(s["metadata"]["name"]) == 9
    assert s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["labels"] == {
        "tier": "front", "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert s["addressType"] == "IPv4" and s["endpoints"] is None and s["ports"] is None
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"


async def test_slice_endpoints_carry_conditions_node_zone_and_ref(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}, ports=[{"port": 80}]))
    cluster.client.create(make_pod("web-a"))
    cluster.client.create(make_pod("web-b"))
    run(cluster, "web-a")
    run(cluster, "web-b", ready=False)
    await cluster.settle()
    [s] = slices(cluster)
    assert s["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    uid = cluster.client.get("v1", "Pod", "web-a", NS)["metadata"]["uid"]
    eps = {e["targetRef"]["name"]: e for e in s["endpoints"]}
    assert eps["web-a"] == {"addresses": [ip_of("web-a")], "conditions": {
        "ready": True, "serving": True, "terminating": False}, "nodeName": NODE,
        "targetRef": {"kind": "Pod", "namespace": NS, "name": "web-a", "uid": uid},
        "zone": "minik8s-a"}
    assert eps["web-b"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    cluster.client.delete("v1", "Pod", "web-a", NS)
    await cluster.settle()
    [s2] = slices(cluster)
    assert s2["metadata"]["name"] == s["metadata"]["name"]       # updated in place
    eps = {e["targetRef"]["name"]: e for e in s2["endpoints"]}
    assert eps["web-a"]["conditions"] == {"ready": False, "serving": True, "terminating": True}


async def test_more_than_a_hundred_endpoints_spill_into_another_slice(cluster: Cluster) -> None:
    cluster.client.create(make_service(selector={"app": "web"}))
    for i in range(130):
        cluster.client.create(make_pod(f"web-{i}"))
        run(cluster, f"web-{i}")
    await cluster.settle()
    sizes = sorted(len(s["endpoints"]) for s in slices(cluster))
    assert sum(sizes) == 130 and max(sizes) <= 100 and len(sizes) == 2


# -- property ----------------------------------------------------------------------------
STEPS = st.lists(st.tuples(st.sampled_from(["ready", "unready", "delete", "create"]),
                           st.integers(0, 5)), min_size=1, max_size=12)


async def _flip(steps: list[tuple[str, int]]) -> None:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual", serve=False) as c:
        c.client.create(make_service(selector={"app": "web"}))
        live: set[str] = set()
        for op, i in steps:
            name = f"web-{i}"
            exists = c.client.get_or_none("v1", "Pod", name, NS)
            if op == "create" and exists is None:
                c.client.create(make_pod(name, {"app": "web"} if i % 3 else {"app": "db"}))
            elif op in ("ready", "unready") and exists is not None and \
                    not exists["metadata"].get("deletionTimestamp"):
                run(c, name, ready=op == "ready")
            elif op == "delete" and exists is not None:
                c.client.delete("v1", "Pod", name, NS)
            await c.settle()
            live = set()
            for p in c.client.list("v1", "Pod", NS, label_selector="app=web").items:
                st_ = p.get("status") or {}
                ready = any(x["type"] == "Ready" and x["status"] == "True"
                            for x in st_.get("conditions") or ())
                if ready and st_.get("podIP") and not p["metadata"].get("deletionTimestamp"):
                    live.add(st_["podIP"])
            assert addresses(endpoints(c)) == live
            assert {e["addresses"][0] for e in slice_endpoints(c)
                    if e["conditions"]["ready"]} == live


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_the_ready_set_always_equals_the_ready_selected_pods(steps: list[tuple[str, int]]) -> None:
    asyncio.run(_flip(steps))


# -- with every default component (scheduler and kubelet included) ----------------------


async def test_with_every_default_component_a_deployments_pods_become_endpoints() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        c.client.create({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": "web", "namespace": NS}, "spec": {
                             "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                                 "containers": [{"name": "c", "image": "nginx",
                                                 "ports": [{"containerPort": 8080}]}]}}}})
        c.client.create(make_service(selector={"app": "web"}))
        await c.settle()
        await c.advance(10)
        pods = c.client.list("v1", "Pod", NS, label_selector="app=web").items
        ips = {p["status"]["podIP"] for p in pods}
        assert len(ips) == 3
        assert addresses(endpoints(c)) == ips
        assert {e["addresses"][0] for e in slice_endpoints(c) if e["conditions"]["ready"]} == ips
