"""TestCluster / AsyncTestCluster behaviours tests lean on (regressions found while testing)."""

from __future__ import annotations

import copy

from minik8s.testing import AsyncTestCluster, TestCluster

WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
       "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


def test_apply_leaves_the_callers_manifest_alone_so_it_can_go_to_several_namespaces(
        minik8s_cluster: TestCluster) -> None:
    before = copy.deepcopy(WEB)
    for ns in ("one", "two"):
        minik8s_cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        minik8s_cluster.apply(WEB, namespace=ns)
        assert len(minik8s_cluster.client.list("v1", "Pod", ns).items) == 1
    assert WEB == before


def test_a_wait_for_predicate_may_use_the_client(minik8s_cluster: TestCluster) -> None:
    minik8s_cluster.apply(WEB)
    c = minik8s_cluster.client
    c.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 3}}, "default")
    pods = minik8s_cluster.wait_for(lambda: len(c.list("v1", "Pod", "default").items) == 3 and
                                    c.list("v1", "Pod", "default").items, timeout=5)
    assert len(pods) == 3


async def test_the_async_handle_waits_on_virtual_time(minik8s_async_cluster: AsyncTestCluster) -> None:
    start = minik8s_async_cluster.cluster.clock.now()

    async def later() -> bool:
        return minik8s_async_cluster.cluster.clock.now() >= start + 10
    await minik8s_async_cluster.wait_for(later, timeout=20, step=5)
    assert minik8s_async_cluster.cluster.clock.now() == start + 10
