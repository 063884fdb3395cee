"""Shared test fixtures: a cluster served over HTTP from a background thread, and kubectl."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from served import KUBECTL_DIR, KUBECTL_VERSIONS, ServedCluster  # noqa: F401

@pytest.fixture
def served() -> Iterator[ServedCluster]:
    sc = ServedCluster()
    try:
        yield sc
    finally:
        sc.close()


@pytest.fixture(scope="module")
def served_module() -> Iterator[ServedCluster]:
    sc = ServedCluster()
    try:
        yield sc
    finally:
        sc.close()
