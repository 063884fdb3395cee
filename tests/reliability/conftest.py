"""Fixtures for the reliability tests: one served cluster per module."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

# hypothesis imports libcst to report a failing example; libcst's mypy_extensions import
# warns, and with warnings as errors that would replace the failure with an INTERNALERROR
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        import libcst.metadata  # noqa: F401
    except ImportError:
        pass

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
