"""Each real client library, unchanged, against the minik8s_cluster fixture (one example each)."""

from __future__ import annotations

import warnings

import pytest

from minik8s.testing import AsyncTestCluster, TestCluster

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "fast"}}


def test_official_kubernetes_client(minik8s_cluster: TestCluster) -> None:
    import kubernetes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        api = kubernetes.config.new_client_from_config(minik8s_cluster.kubeconfig_path)
        v1 = kubernetes.client.CoreV1Api(api)
        v1.create_namespaced_config_map("default", CM)
        got = v1.read_namespaced_config_map("settings", "default")
        assert got.data == {"mode": "fast"}
        with pytest.raises(kubernetes.client.exceptions.ApiException) as e:
            v1.read_namespaced_config_map("missing", "default")
        assert e.value.status == 404
        api.close()


async def test_kubernetes_asyncio(minik8s_async_cluster: AsyncTestCluster) -> None:
    import kubernetes_asyncio

    await kubernetes_asyncio.config.load_kube_config(config_file=minik8s_async_cluster.kubeconfig_path)
    async with kubernetes_asyncio.client.ApiClient() as api:
        v1 = kubernetes_asyncio.client.CoreV1Api(api)
        await v1.create_namespaced_config_map("default", CM)
        got = await v1.read_namespaced_config_map("settings", "default")
        assert got.data == {"mode": "fast"}
        nodes = await v1.list_node()
        assert [n.metadata.name for n in nodes.items] == [
            "minik8s-control-plane", "minik8s-worker", "minik8s-worker2"]


async def test_lightkube(minik8s_async_cluster: AsyncTestCluster) -> None:
    from lightkube import AsyncClient, KubeConfig
    from lightkube.resources.core_v1 import ConfigMap, Namespace

    client = AsyncClient(KubeConfig.from_file(minik8s_async_cluster.kubeconfig_path))
    await client.create(ConfigMap.from_dict(CM), namespace="default")
    got = await client.get(ConfigMap, "settings", namespace="default")
    assert got.data == {"mode": "fast"}
    names = [ns.metadata.name async for ns in client.list(Namespace)]
    assert "kube-system" in names
    await client.close()


async def test_kr8s(minik8s_async_cluster: AsyncTestCluster) -> None:
    import kr8s.asyncio
    from kr8s.asyncio.objects import ConfigMap

    api = await kr8s.asyncio.api(kubeconfig=minik8s_async_cluster.kubeconfig_path)
    cm = await ConfigMap(dict(CM, metadata={"name": "settings", "namespace": "default"}), api=api)
    await cm.create()
    got = await ConfigMap.get("settings", namespace="default", api=api)
    assert got.raw["data"] == {"mode": "fast"}
    nodes = [n.name async for n in api.get("nodes")]
    assert len(nodes) == 3
