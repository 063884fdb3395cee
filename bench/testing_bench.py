"""Testing-toolkit benchmarks: what a test suite waits for.

- fresh cluster: ``TestCluster()`` (background thread, HTTP + DNS served) and
  ``AsyncTestCluster.start()`` (test's loop, served), and the bare in-process
  ``Cluster(serve=False)``; start and close timed apart (target: start ≤ 50 ms);
- snapshot / fork with 1,000 objects: ``cluster.snapshot()``, the restore into a new
  ``Cluster`` (its ``__init__`` with ``snapshot=``), a whole fork (init + start) and
  ``TestCluster.fork()`` (target: ≤ 10 ms);
- a generated module of 200 tests (apply a Deployment, check its pods) run by pytest with a
  fresh ``minik8s_cluster`` per test vs one ``minik8s_session_cluster``;
- ``--profile``: the top cumulative costs of ``Cluster.__init__`` + ``start()``.

    python -m bench.testing_bench            # everything (~1 minute)
    python -m bench.testing_bench --quick    # fewer repetitions, 50-test module
    python -m bench.testing_bench --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any

from minik8s.cluster import Cluster
from minik8s.testing import AsyncTestCluster, TestCluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_FRESH_MS = 50.0
TARGET_SNAPSHOT_MS = 10.0


def _ms(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples) * 1000, 2),
            "min_ms": round(min(samples) * 1000, 2), "max_ms": round(max(samples) * 1000, 2)}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


# --- fresh clusters -------------------------------------------------------------------------------


def fresh_sync(runs: int) -> dict[str, Any]:
    start, close = [], []
    for i in range(runs + 1):
        dt, tc = _timed(TestCluster)
        dc, _ = _timed(tc.close)
        if i:  # the first run pays imports
            start.append(dt)
            close.append(dc)
    return {"name": "TestCluster() start", **_ms(start), "close_median_ms": _ms(close)["median_ms"],
            "target_ms": TARGET_FRESH_MS}


def fresh_async(runs: int) -> dict[str, Any]:
    async def go() -> tuple[list[float], list[float]]:
        start, close = [], []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            ac = await AsyncTestCluster.start()
            t1 = time.perf_counter()
            await ac.close()
            if i:
                start.append(t1 - t0)
                close.append(time.perf_counter() - t1)
        return start, close
    start, close = asyncio.run(go())
    return {"name": "AsyncTestCluster.start()", **_ms(start), "close_median_ms": _ms(close)["median_ms"],
            "target_ms": TARGET_FRESH_MS}


def fresh_bare(runs: int) -> dict[str, Any]:
    async def go() -> tuple[list[float], list[float]]:
        init, start = [], []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            c = Cluster(clock="virtual", serve=False)
            t1 = time.perf_counter()
            await c.start()
            t2 = time.perf_counter()
            await c.stop()
            if i:
                init.append(t1 - t0)
                start.append(t2 - t1)
        return init, start
    init, start = asyncio.run(go())
    total = [a + b for a, b in zip(init, start)]
    return {"name": "Cluster(serve=False) __init__ + start()", **_ms(total),
            "init_median_ms": _ms(init)["median_ms"], "start_median_ms": _ms(start)["median_ms"],
            "target_ms": TARGET_FRESH_MS}


# --- snapshot / fork ------------------------------------------------------------------------------


def snapshot_fork(runs: int, objects: int = 1000) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        c = Cluster(clock="virtual", serve=False)
        await c.start()
        for i in range(objects):
            c.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": f"cm-{i}", "namespace": "default", "labels": {"i": str(i % 10)}},
                             "data": {"k": "v" * 64}})
        await c.settle()
        take, restore, fork = [], [], []
        snap = c.snapshot()
        for _ in range(runs):
            dt, snap = _timed(c.snapshot)
            take.append(dt)
            t0 = time.perf_counter()
            f = Cluster(c.config, clock="virtual", serve=False, snapshot=snap)
            t1 = time.perf_counter()
            await f.start()
            t2 = time.perf_counter()
            await f.stop()
            restore.append(t1 - t0)
            fork.append(t2 - t0)
        await c.stop()
        return [{"name": f"snapshot() of {snap.size} objects", **_ms(take), "target_ms": TARGET_SNAPSHOT_MS},
                {"name": f"Cluster(snapshot=) __init__ ({snap.size} objects)", **_ms(restore),
                 "target_ms": TARGET_SNAPSHOT_MS},
                {"name": f"fork: __init__ + start() ({snap.size} objects)", **_ms(fork),
                 "target_ms": TARGET_SNAPSHOT_MS}]
    out = asyncio.run(go())
    tc = TestCluster()
    try:
        tc.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"k": "v"}}
                  for i in range(objects)])
        forks = []
        for _ in range(max(3, runs // 3)):
            dt, f = _timed(tc.fork)
            forks.append(dt)
            f.close()
    finally:
        tc.close()
    out.append({"name": f"TestCluster.fork() ({objects} ConfigMaps, served)", **_ms(forks)})
    return out


# --- a generated test module ---------------------------------------------------------------------

MODULE = '''
import pytest

DEPLOYMENT = {{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {{"name": "web"}},
               "spec": {{"replicas": 2, "selector": {{"matchLabels": {{"app": "web"}}}},
                        "template": {{"metadata": {{"labels": {{"app": "web"}}}},
                                     "spec": {{"containers": [{{"name": "c", "image": "nginx"}}]}}}}}}}}


@pytest.fixture
def cluster({fixture}):
    return {fixture}


@pytest.mark.parametrize("i", range({n}))
def test_deployment(cluster, i):
    ns = "default" if "{fixture}" == "minik8s_cluster" else f"t{{i}}"
    if ns != "default":
        cluster.apply({{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": ns}}}})
    cluster.apply(DEPLOYMENT, namespace=ns)
    pods = cluster.client.list("v1", "Pod", ns, label_selector="app=web").items
    assert len(pods) == 2
'''


def generated_module(n: int) -> list[dict[str, Any]]:
    out = []
    with tempfile.TemporaryDirectory(prefix="minik8s-bench-") as d:
        with open(os.path.join(d, "pytest.ini"), "w") as f:
            f.write("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        for fixture, label in (("minik8s_cluster", "fresh cluster per test"),
                               ("minik8s_session_cluster", "one shared cluster (namespace per test)")):
            path = os.path.join(d, f"test_{fixture}.py")
            with open(path, "w") as f:
                f.write(textwrap.dedent(MODULE.format(fixture=fixture, n=n)))
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider"],
                               cwd=d, check=False, capture_output=True, text=True, timeout=1800)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError(p.stdout[-3000:] + p.stderr[-3000:])
            out.append({"name": f"{n}-test module, {label}", "wall_s": round(wall, 2),
                        "per_test_ms": round(wall / n * 1000, 1)})
    return out


# --- profile ----------------------------------------------------------------------------------------


def profile_start(runs: int = 10, top: int = 25) -> str:
    async def go() -> None:
        for _ in range(runs):
            c = Cluster(clock="virtual", serve=False)
            await c.start()
            await c.stop()
    asyncio.run(go())  # warm imports
    prof = cProfile.Profile()
    prof.enable()
    asyncio.run(go())
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.testing_bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, a 50-test module")
    ap.add_argument("--profile", action="store_true", help="only profile Cluster.__init__ + start()")
    ap.add_argument("--json", action="store_true", help="print JSON lines only")
    args = ap.parse_args(argv)
    if args.profile:
        print(profile_start())
        return
    runs = 5 if args.quick else 20
    rows = [fresh_bare(runs), fresh_async(runs), fresh_sync(runs), *snapshot_fork(runs),
            *generated_module(50 if args.quick else 200)]
    for r in rows:
        if args.json:
            print(json.dumps(r))
            continue
        value = f"{r['median_ms']:8.1f} ms" if "median_ms" in r else f"{r['wall_s']:8.2f} s "
        extra = {k: v for k, v in r.items() if k not in ("name", "median_ms", "wall_s")}
        target = r.get("target_ms")
        verdict = "" if target is None else ("  ok" if r["median_ms"] <= target else "  MISSES target")
        print(f"{r['name']:<58} {value}{verdict}  {extra}")


if __name__ == "__main__":
    main()
