"""The ``sim`` fixture: a virtual-clock cluster with the kubelet and node lifecycle controller."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sim_support import Sim, cluster_config

from minik8s.cluster import Cluster


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with Cluster(cluster_config(), clock="virtual", serve=False) as c:
        yield Sim(c)
