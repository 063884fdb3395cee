"""metrics-server's scrape loop: which nodes it samples (docs/metrics-and-hpa.md)."""

from __future__ import annotations

import asyncio

from minik8s.cluster import Cluster


def test_a_node_is_sampled_only_while_ready() -> None:
    """The scraper remembers each Node object's readiness; a rewritten Node is looked at again."""

    async def run() -> list[set[str]]:
        async with Cluster(clock="virtual", serve=False) as c:
            store = c.context.shared["metrics"]
            await c.advance(60)
            seen = [set(store.nodes)]
            node = max(seen[0])

            def ready(v: str | None) -> None:
                c.client.patch("v1", "Node", node,
                               {"metadata": {"annotations": {"minik8s.io/node-ready": v}}})

            ready("false")
            await c.advance(60)
            seen.append(set(store.nodes))
            await c.advance(60)  # the same NotReady Node again
            seen.append(set(store.nodes))
            ready(None)
            await c.advance(60)
            seen.append(set(store.nodes))
            seen.append({node})
            return seen

    every, down, still_down, back, (node,) = asyncio.run(run())
    assert len(every) >= 2 and node in every
    assert down == still_down == every - {node}
    assert back == every


def test_pod_usage_answers_again_only_for_the_same_pod_object_and_demand() -> None:
    """UsageModel remembers a pod's usage while only the pod object and its demand decide it:
    a new object, another demand, an override or a usage rule give a fresh answer."""
    from minik8s.metrics.usage import UsageModel, UsageSettings

    def pod(cpu_usage: str | None = None, limit: str | None = None) -> dict:
        md: dict = {"name": "p", "namespace": "default", "uid": "u1"}
        if cpu_usage:
            md["annotations"] = {"minik8s.io/cpu-usage": cpu_usage}
        res = {"limits": {"cpu": limit}} if limit else {}
        return {"metadata": md, "spec": {"containers": [{"name": "a", "resources": res}]}}

    settings = UsageSettings()
    model = UsageModel(settings, lambda: 0.0, lambda ns, name: [], list)
    p = pod()
    first = model.pod_usage(p)
    assert first == {"a": (1, 4 * 1024 * 1024)}
    assert model.pod_usage(p) is first  # the same object and demand: the same answer
    assert model.pod_usage(p, (300.0, 0.0)) == {"a": (301, 4 * 1024 * 1024)}
    assert model.pod_usage(pod("250m")) == {"a": (250, 4 * 1024 * 1024)}  # a new object
    assert model.pod_usage(pod("250m", limit="100m")) == {"a": (100, 4 * 1024 * 1024)}
    model.set_usage("default", "p", cpu="50m")
    assert model.pod_usage(p) == {"a": (50, 4 * 1024 * 1024)}
    model.clear_usage("default", "p")
    assert model.pod_usage(p) == first
    settings.usage = [{"selector": "", "cpu": "70m"}]
    assert model.pod_usage(p) == {"a": (70, 4 * 1024 * 1024)}
