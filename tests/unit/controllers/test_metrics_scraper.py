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
