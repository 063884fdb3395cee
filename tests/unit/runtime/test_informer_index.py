"""Informer indexes follow updates: an object leaves the values it no longer has."""

from __future__ import annotations

from typing import Any

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig


def _by_app(o: dict[str, Any]) -> list[str]:
    app = (o["metadata"].get("labels") or {}).get("app")
    return [app] if app else []


async def test_index_follows_label_changes_and_deletes() -> None:
    async with Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False) as c:
        inf = c.informers.informer("v1", "configmaps")
        c.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "early", "namespace": "default", "labels": {"app": "a"}}})
        inf.add_indexer("app", _by_app)  # files what exists already
        assert inf.has_index("app") and not inf.has_index("other")
        cm = c.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "x", "namespace": "default", "labels": {"app": "a"}}})
        assert [o["metadata"]["name"] for o in inf.by_index("app", "a")] == ["early", "x"]
        cm["data"] = {"k": "v"}  # same labels: still filed under a
        cm = c.client.update(cm)
        assert [o["metadata"]["name"] for o in inf.by_index("app", "a")] == ["early", "x"]
        cm["metadata"]["labels"] = {"app": "b"}
        cm = c.client.update(cm)
        assert [o["metadata"]["name"] for o in inf.by_index("app", "a")] == ["early"]
        assert [o["metadata"]["name"] for o in inf.by_index("app", "b")] == ["x"]
        cm["metadata"]["labels"] = {}
        cm = c.client.update(cm)
        assert inf.by_index("app", "b") == [] and "b" not in inf._indexes["app"]
        c.client.delete("v1", "ConfigMap", "early", "default")
        assert inf.by_index("app", "a") == [] and inf._filed["app"] == {}
