"""Helpers for the leaf update tests: run a script of writes with and without
``Registry._leaf_update`` and compare what each run answered and stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry.registry import Registry

Obj = dict[str, Any]


def fresh() -> Cluster:
    """A cluster without controllers, with the ``default`` namespace."""
    c = Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False)
    c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return c


def stored_state(c: Cluster) -> list[bytes]:
    """Every stored object and every event, as stored."""
    out: list[bytes] = []
    for key, rs in sorted(c.store.resources(), key=lambda x: x[0]):
        out += [orjson.dumps(rs.objects[k]) for k in sorted(rs.objects)]
        out += [orjson.dumps([key, ev.type, ev.rv, ev.obj]) for ev in rs.history]
    return out


def both_ways(script: Callable[[Cluster], list[bytes]]
              ) -> tuple[list[bytes], list[bytes], list[str]]:
    """``script`` run on a fresh cluster with leaf updates (its output, and the resources
    that took one, in order) and on another without them (its output)."""
    taken: list[str] = []
    leaf_update = Registry._leaf_update

    def counting(self: Registry, res: Any, *args: Any) -> Obj | None:
        done = leaf_update(self, res, *args)
        if done is not None:
            taken.append(res.key)
        return done

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Registry, "_leaf_update", counting)
        fast = script(fresh())
        mp.setattr(Registry, "_leaf_update", lambda *args: None)
        slow = script(fresh())
    return fast, slow, taken
