"""minik8s.testing: the pytest plugin, cluster handles, hypothesis strategies, state machines."""

from minik8s.testing.cluster import AsyncTestCluster, TestCluster, load_manifests

__all__ = ["AsyncTestCluster", "TestCluster", "load_manifests"]
