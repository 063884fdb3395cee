"""Ingress: validation, the emulated controller's address, routing, and External DNS names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.api.ingress_routes import resolve
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=["namespace", "serviceaccount", "ingress"])
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        yield c


def ingress(name: str, rules: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"rules": rules, **spec}}


def rule(host: str, *paths: tuple[str, str, str]) -> dict[str, Any]:
    return {"host": host, "http": {"paths": [
        {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
        for p, t, s in paths]}}


async def test_an_ingress_of_the_default_class_gets_the_controllers_address(cluster: Cluster) -> None:
    c = cluster.client
    ing = c.create(ingress("web", [rule("foo.example.com", ("/", "Prefix", "web"))]))
    assert ing["spec"]["ingressClassName"] == "nginx"
    await cluster.settle()
    ing = c.get("networking.k8s.io/v1", "Ingress", "web", "default")
    assert ing["status"]["loadBalancer"]["ingress"] == [{"ip": "172.18.255.199"}]


async def test_ingress_host_names_resolve_in_cluster_dns_and_disappear_with_it(cluster: Cluster) -> None:
    c = cluster.client
    c.create(ingress("web", [rule("foo.example.com", ("/", "Prefix", "web"))]))
    await cluster.settle()
    ans = cluster.dns_index.resolve("foo.example.com", "A")
    assert [r.data for r in ans.answer] == ["172.18.255.199"]
    c.delete("networking.k8s.io/v1", "Ingress", "web", "default")
    assert cluster.dns_index.resolve("foo.example.com", "A").rcode == 5


async def test_a_path_without_path_type_is_rejected_with_the_real_message(cluster: Cluster) -> None:
    bad = ingress("web", [rule("foo.example.com", ("/", "Prefix", "web"))])
    del bad["spec"]["rules"][0]["http"]["paths"][0]["pathType"]
    with pytest.raises(errors.Invalid) as e:
        cluster.client.create(bad)
    assert "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" in e.value.message


@pytest.mark.parametrize("url,expected", [
    ("http://foo.example.com/api/v1", "api"),
    ("http://foo.example.com/apiary", "web"),
    ("http://foo.example.com/exact", "exact"),
    ("http://foo.example.com/exact/more", "web"),
    ("http://bar.wild.com/", "wild"),
    ("http://other.com/", "default"),
], ids=["the longest prefix wins", "prefixes match whole path elements",
        "an exact path beats a prefix", "an exact path matches only itself",
        "a wildcard host matches one label", "unmatched hosts go to the default backend"])
def test_routing(url: str, expected: str) -> None:
    ings = [ingress("a", [rule("foo.example.com", ("/", "Prefix", "web"), ("/api", "Prefix", "api"),
                               ("/exact", "Exact", "exact")),
                          rule("*.wild.com", ("/", "Prefix", "wild"))],
                    defaultBackend={"service": {"name": "default", "port": {"number": 80}}})]
    route = resolve(url, ings)
    assert route is not None and route.service == expected
