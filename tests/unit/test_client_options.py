"""The in-process client's write options: one WriteOptions serves every write of a kind
(version, dry run, manager), so a forced apply must not leave later writes forced."""

from __future__ import annotations

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
      "data": {"k": "v"}}


def _apply(c: Cluster, value: str, manager: str, force: bool = False) -> None:
    c.client.apply({**CM, "data": {"k": value}}, manager=manager, force=force)


async def test_a_forced_apply_leaves_later_applies_unforced() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        _apply(c, "a", "one")
        _apply(c, "b", "two", force=True)  # takes the field from "one"
        with pytest.raises(errors.Conflict):
            _apply(c, "c", "one")  # "two" owns it now and "one" did not force
        assert c.client.get("v1", "ConfigMap", "c", "default")["data"] == {"k": "b"}


async def test_writes_keep_their_manager_and_dry_run() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        c.client.create(CM, manager="maker")
        c.client.create({**CM, "metadata": {"name": "d", "namespace": "default"}}, dry_run=True,
                        manager="maker")
        assert c.client.get_or_none("v1", "ConfigMap", "d", "default") is None
        cm = c.client.get("v1", "ConfigMap", "c", "default")
        c.client.update({**cm, "data": {"k": "w"}}, manager="changer")
        managers = [e["manager"] for e in
                    c.client.get("v1", "ConfigMap", "c", "default")["metadata"]["managedFields"]]
        assert sorted(managers) == ["changer", "maker"]
