"""Properties of the write path: what is created comes back unchanged (except server-set fields)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

label_key = st.from_regex(r"\A([a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?\.)?[a-zA-Z0-9]([-A-Za-z0-9_.]{0,10}[a-zA-Z0-9])?\Z",
                          fullmatch=True).map(lambda k: k if "." not in k.split("/")[0] else "example.com/" + k)
label_value = st.from_regex(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]{0,10})?[A-Za-z0-9])?\Z", fullmatch=True)
name = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?\Z", fullmatch=True)
config_key = st.from_regex(r"\A[-._a-zA-Z0-9]{1,20}\Z", fullmatch=True).filter(lambda k: k not in (".", ".."))


def _subset(sent: Any, got: Any) -> bool:
    if isinstance(sent, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(got, list) and len(sent) == len(got) and all(_subset(a, b) for a, b in zip(sent, got))
    return bool(sent == got)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name, st.dictionaries(label_key, label_value, max_size=4),
       st.dictionaries(config_key, st.text(max_size=30), max_size=5))
def test_a_configmap_round_trips_create_then_get(n: str, labels: dict[str, str], data: dict[str, str]) -> None:
    async def go() -> None:
        async with Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False) as c:
            body = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": n, "namespace": "default", "labels": labels}, "data": data}
            c.client.create(body)
            got = c.client.get("v1", "ConfigMap", n, "default")
            assert _subset(body, got)
            assert got["metadata"]["uid"] and got["metadata"]["resourceVersion"]
    asyncio.run(go())


containers = st.lists(st.fixed_dictionaries({
    "image": st.sampled_from(["nginx", "nginx:1.27", "busybox", "registry.example.com/app@sha256:" + "a" * 64]),
    "args": st.lists(st.text(max_size=8), max_size=3),
    "env": st.lists(st.fixed_dictionaries({"value": st.text(max_size=10)}), max_size=2),
}), min_size=1, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name, containers, st.dictionaries(label_key, label_value, max_size=3))
def test_a_pod_round_trips_with_only_server_set_fields_added(n: str, cs: list[dict[str, Any]],
                                                            labels: dict[str, str]) -> None:
    for i, c in enumerate(cs):
        c["name"] = f"c{i}"
        for j, e in enumerate(c["env"]):
            e["name"] = f"E{j}"
    async def go() -> None:
        async with Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False) as c:
            body = {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": n, "namespace": "default", "labels": labels},
                    "spec": {"containers": cs}}
            c.client.create(body)
            got = c.client.get("v1", "Pod", n, "default")
            sent = {"metadata": body["metadata"],
                    "spec": {"containers": [dict(x, volumeMounts=got["spec"]["containers"][i].get("volumeMounts"))
                                            for i, x in enumerate(cs)]}}
            assert _subset(sent, got)
    asyncio.run(go())
