"""Full GC collections wait while controllers settle; the caller's thresholds come back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from minik8s.cluster import Cluster
from minik8s.runtime import gcpolicy
from minik8s.runtime.gcpolicy import full_collections_deferred


@pytest.fixture(autouse=True)
def _thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_deferred_inside_restored_after_and_nestable() -> None:
    with full_collections_deferred():
        assert gc.get_threshold() == (700, 10, gcpolicy.DEFERRED)
        with full_collections_deferred():
            assert gc.get_threshold() == (700, 10, gcpolicy.DEFERRED)
        assert gc.get_threshold() == (700, 10, gcpolicy.DEFERRED)  # the outer one still runs
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_after_an_error() -> None:
    with pytest.raises(RuntimeError), full_collections_deferred():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_change_made_meanwhile_is_kept() -> None:
    with full_collections_deferred():
        gc.set_threshold(500, 5, 5)
    assert gc.get_threshold() == (500, 5, 5)


def test_disabled_or_already_deferred_is_left_alone() -> None:
    gc.set_threshold(0, 10, 10)  # threshold 0 disables collection: not ours to turn on
    with full_collections_deferred():
        assert gc.get_threshold() == (0, 10, 10)
    gc.set_threshold(700, 10, 1_000_000)  # as tune_gc_for_serving leaves it
    with full_collections_deferred():
        assert gc.get_threshold() == (700, 10, 1_000_000)
    assert gc.get_threshold() == (700, 10, 1_000_000)


async def test_settle_defers_full_collections_while_controllers_run() -> None:
    seen: list[tuple[int, int, int]] = []
    async with Cluster(clock="virtual", serve=False) as c:
        def probe(key: str) -> None:
            seen.append(gc.get_threshold())

        c.manager.add("probe", probe).queue.add("x")  # type: ignore[arg-type]
        await c.manager.settle()  # runs the probe before its first await
        assert seen and seen[0][2] == gcpolicy.DEFERRED
        assert gc.get_threshold() == (700, 10, 10)
