"""Fixtures for the reliability tests: one served cluster per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from served import ServedCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[ServedCluster]:
    sc = ServedCluster(dns_port=None)
    try:
        yield sc
    finally:
        sc.close()


@pytest.fixture(scope="module")
def base(cluster: ServedCluster) -> str:
    return cluster.cluster.url
