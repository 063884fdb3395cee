"""PodPreset admission: injection into matching pods, annotations, conflicts, exclusion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(ClusterConfig(controllers=["namespace", "serviceaccount"]), clock="virtual",
                       serve=False) as c:
        yield c


def preset(name: str, env_value: str = "postgres") -> dict[str, Any]:
    return {"apiVersion": "settings.k8s.io/v1alpha1", "kind": "PodPreset",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"role": "frontend"}},
                     "env": [{"name": "DB_PORT", "value": "6379"}, {"name": "DB", "value": env_value}],
                     "volumeMounts": [{"mountPath": "/cache", "name": "cache-volume"}],
                     "volumes": [{"name": "cache-volume", "emptyDir": {}}]}}


def pod(name: str, labels: dict[str, str], **ann: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels, "annotations": dict(ann)},
            "spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "side", "image": "busybox"}]}}


async def test_a_matching_pod_gets_env_mounts_and_volumes_in_every_container(cluster: Cluster) -> None:
    c = cluster.client
    pp = c.create(preset("allow-database"))
    p = c.create(pod("website", {"app": "website", "role": "frontend"}))
    for container in p["spec"]["containers"]:
        assert {"name": "DB_PORT", "value": "6379"} in container["env"]
        assert {"mountPath": "/cache", "name": "cache-volume"} in container["volumeMounts"]
    assert {"name": "cache-volume", "emptyDir": {}} in p["spec"]["volumes"]
    assert p["metadata"]["annotations"]["podpreset.admission.kubernetes.io/podpreset-allow-database"] == \
        pp["metadata"]["resourceVersion"]


async def test_a_pod_that_does_not_match_is_untouched(cluster: Cluster) -> None:
    c = cluster.client
    c.create(preset("allow-database"))
    p = c.create(pod("backend", {"role": "backend"}))
    assert all("env" not in ct for ct in p["spec"]["containers"])


async def test_several_presets_merge(cluster: Cluster) -> None:
    c = cluster.client
    c.create(preset("a"))
    other = preset("b")
    other["spec"] = {"selector": {"matchLabels": {"role": "frontend"}},
                     "env": [{"name": "EXTRA", "value": "1"}]}
    c.create(other)
    p = c.create(pod("website", {"role": "frontend"}))
    names = [e["name"] for e in p["spec"]["containers"][0]["env"]]
    assert names == ["DB_PORT", "DB", "EXTRA"]


async def test_conflicting_presets_apply_none_and_leave_an_event(cluster: Cluster) -> None:
    c = cluster.client
    c.create(preset("a", "postgres"))
    c.create(preset("b", "mysql"))
    p = c.create(pod("website", {"role": "frontend"}))
    assert all("env" not in ct for ct in p["spec"]["containers"])
    events = [e for e in c.list("v1", "Event", "default").items
              if e["involvedObject"]["name"] == "website"]
    assert events and events[0]["type"] == "Warning"
    assert "conflict occurred while applying podpresets: a,b" in events[0]["message"]


async def test_an_excluded_pod_is_skipped(cluster: Cluster) -> None:
    c = cluster.client
    c.create(preset("a"))
    p = c.create(pod("website", {"role": "frontend"}, **{"podpreset.admission.kubernetes.io/exclude": "true"}))
    assert all("env" not in ct for ct in p["spec"]["containers"])
