"""Benchmarks on a big store: LIST at 1k/10k/50k, 100k pods in memory, and the CPython GC.

They share one preloaded server per kind (``Big``), started on first use:
namespaces ``ns-1k``, ``ns-10k``, ``ns-50k`` and a filler up to 100,000 pods
(11,000 in quick mode), created in-process through the full write path with
the cyclic GC paused, then one explicit full collection (timed: that is the
pause a full GC costs at this size). Run order matters: ``gc`` writes, so it
goes last.
"""

from __future__ import annotations

import time
from typing import Any

from bench import procs, report
from bench.api import CONCURRENCY, SLO

Obj = dict[str, Any]


class Big:
    """Lazily started, preloaded servers shared by ``list``, ``memory`` and ``gc``."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.sizes = {"ns-1k": 1000, "ns-10k": 10_000} if quick else {
            "ns-1k": 1000, "ns-10k": 10_000, "ns-50k": 50_000, "filler": 39_000}
        self.total = sum(self.sizes.values())
        self._servers: dict[str, procs.Server] = {}
        self.info: dict[str, Obj] = {}

    def server(self, kind: str) -> procs.Server:
        s = self._servers.get(kind)
        if s is None:
            s = self._servers[kind] = procs.Server(kind)
            t0 = time.perf_counter()
            for ns, n in self.sizes.items():
                s.call("/preload", {"namespace": ns, "count": n, "prefix": "pre-", "gc_off": True})
            load_s = time.perf_counter() - t0
            collect = s.gc(collect=True, reset=True)["collect_s"]
            self.info[kind] = {"load_s": load_s, "collect_s": collect, "stats": s.stats()}
        return s

    def close(self) -> None:
        for s in self._servers.values():
            s.stop()
        self._servers.clear()


def _list_sizes(big: Big) -> list[tuple[str, int, int, float]]:
    """(namespace, pods, repetitions, target seconds)."""
    reps = {1000: 100, 10_000: 12, 50_000: 4} if not big.quick else {1000: 20, 10_000: 3}
    target = {1000: 0.015, 10_000: 0.15, 50_000: 1.0}
    return [(ns, n, reps[n], target[n]) for ns, n in big.sizes.items() if ns != "filler"]


def list_(quick: bool, big: Big) -> report.Section:
    out: dict[Any, Any] = {}
    for kind in ("minik8s", "bare"):
        s = big.server(kind)
        for ns, n, reps, _ in _list_sizes(big):
            job = {"mode": "http", "method": "GET", "path": f"/api/v1/namespaces/{ns}/pods",
                   "concurrency": 1}
            # quick: no separate cold request (one process start fewer per size)
            cold = None if big.quick else procs.load(dict(job, count=1), s)
            warm = procs.load(dict(job, count=reps), s)
            out[(kind, n)] = (cold, warm)
        out[(kind, "rss")] = s.stats()["rss"]
    sec = report.Section("list", "LIST of 1k / 10k / 50k pods")
    sec.text(f"`GET /api/v1/namespaces/NS/pods` (what `kubectl get pods -n NS -o json` asks) with "
             f"NS holding exactly that many pods, {big.total:,} pods stored in all; one request "
             "at a time, timed by the client until the whole body is read. The first request "
             "after the load is *cold* (minik8s encodes each object once and keeps the bytes); "
             "the rest are warm.")
    rows = []
    for ns, n, reps, target in _list_sizes(big):
        mc, mw = out[("minik8s", n)]
        bc, bw = out[("bare", n)]
        cold_ms = "—" if mc is None else report.ms(mc["max_ms"] / 1000)
        rows.append([f"{n:,}", f"{mw['body_bytes'] / 2**20:,.1f} MiB", cold_ms,
                     report.ms(mw["p50_ms"] / 1000), report.ms(mw["p99_ms"] / 1000),
                     report.ms(mw["max_ms"] / 1000), str(reps), report.ms(bw["p50_ms"] / 1000),
                     report.ms(bw["p99_ms"] / 1000)])
        sec.check(f"LIST {n:,} pods (p99, warm)", report.ms(mw["p99_ms"] / 1000),
                  f"≤ {report.ms(target)}", mw["p99_ms"] / 1000 <= target,
                  report.ms(bw["p99_ms"] / 1000), SLO)
        if mc is not None:
            sec.check(f"LIST {n:,} pods (cold, first)", cold_ms, "— (reported)", None,
                      report.ms(bc["max_ms"] / 1000), "")
    sec.table(["pods", "body", "minik8s cold", "minik8s p50", "minik8s p99", "minik8s max",
               "runs", "bare p50", "bare p99"], rows)
    sec.text(f"Server RSS after these lists (their objects' JSON bytes now cached): minik8s "
             f"{report.mb(out[('minik8s', 'rss')])}, bare {report.mb(out[('bare', 'rss')])}.")
    sec.raw = {f"{k[0]}-{k[1]}": v for k, v in out.items()}
    return sec


def memory(quick: bool, big: Big) -> report.Section:
    out: Obj = {}
    for kind in ("minik8s", "bare"):
        s = big.server(kind)
        info = big.info[kind]
        job = {"mode": "http", "method": "GET", "path": "/api/v1/namespaces/ns-10k/pods/{i}",
               "mod": 10_000, "prefix": "pre-", "concurrency": CONCURRENCY,
               "duration": 1.5 if quick else 6.0, "warmup": 0.3}
        out[kind] = {"rss": info["stats"]["rss"], "load_s": info["load_s"],
                     "collect_s": info["collect_s"], "get": procs.load(job, s)}
    m, b = out["minik8s"], out["bare"]
    n = big.total
    sec = report.Section("memory", f"{n:,} pods stored")
    sec.text(f"{n:,} pods created in-process through the full write path (validation, "
             f"defaulting, admission, indexes, watch history, informers) in "
             f"{m['load_s']:.1f} s with the cyclic GC paused, then one full collection. RSS is "
             f"VmRSS of the server process; then single GETs over HTTP while they are stored "
             f"({CONCURRENCY} in flight). The bare server holds the same stored JSON as dicts plus "
             f"bytes.")
    sec.table(["server", "RSS", "per pod", "GET req/s", "GET p50", "GET p99", "GET max"], [
        [label, report.mb(r["rss"]), f"{r['rss'] / n / 1024:.1f} KiB",
         report.num(r["get"]["rate"]), report.ms(r["get"]["p50_ms"] / 1000),
         report.ms(r["get"]["p99_ms"] / 1000), report.ms(r["get"]["max_ms"] / 1000)]
        for label, r in (("minik8s", m), ("bare aiohttp", b))])
    if not quick:
        sec.check(f"RSS with {n:,} pods", report.mb(m["rss"]), "≤ 1.5 GB",
                  m["rss"] <= 1.5e9, report.mb(b["rss"]), "")
        sec.check(f"GET p99 with {n:,} pods stored", report.ms(m["get"]["p99_ms"] / 1000),
                  "≤ 100 ms", m["get"]["p99_ms"] <= 100, report.ms(b["get"]["p99_ms"] / 1000), SLO)
    sec.raw = out
    return sec


#: (label, GC change applied before the run, share of the full create count) — order
#: matters: each leaves its state behind. The default-thresholds run must grow the store by
#: over 25% so that CPython's own rule starts a full collection inside it.
GC_SCENARIOS: list[tuple[str, Obj, float]] = [
    ("as `minik8s serve` runs (frozen after start; no automatic full collection)", {}, 1 / 3),
    ("CPython's default thresholds `(700, 10, 10)`: automatic full collections",
     {"threshold": [700, 10, 10]}, 1.0),
    ("`Cluster.freeze_gc()` after the load (collect + freeze), default thresholds",
     {"freeze": True, "threshold": [700, 10, 10]}, 1 / 3),
    ("`gc.freeze()` every second (background task), default thresholds",
     {"freeze_every": 1.0}, 1 / 3),
]


def gc_(quick: bool, big: Big) -> report.Section:
    s = big.server("minik8s")
    n0 = big.total
    count = 2500 if quick else 30_000
    full = s.gc(collect=True)["collect_s"]
    rows: list[list[str]] = []
    results: list[Obj] = []
    for label, change, share in GC_SCENARIOS:
        applied = s.gc(**change) if change else {}
        s.gc(reset=True)
        n = int(count * share)
        r = procs.load({"mode": "http", "method": "POST", "path": "/api/v1/namespaces/ns-1k/pods",
                        "body": "pod", "namespace": "ns-1k", "prefix": f"gc{len(rows)}-",
                        "concurrency": CONCURRENCY, "count": n}, s)
        st = s.stats()
        g = st["gc"]
        rows.append([label, f"{n:,}", report.num(r["rate"]), report.ms(r["p50_ms"] / 1000),
                     report.ms(r["p99_ms"] / 1000), report.ms(r["max_ms"] / 1000),
                     f"{g['gen2']['count']}× max {report.ms(g['gen2']['max_ms'] / 1000)}",
                     f"{g['gen1']['count']}× max {report.ms(g['gen1']['max_ms'] / 1000)}",
                     report.ms(g["gen0"]["max_ms"] / 1000), report.pct(r["other_cpu"])])
        results.append({"label": label, "applied": applied, "load": r, "stats": st})
    s.gc(freeze_every=0, threshold=[700, 10, 10])
    sec = report.Section("gc", "CPython GC with a big store")
    sec.text(f"A full collection (`gc.collect()`) with {n0:,} pods stored took "
             f"{report.ms(big.info['minik8s']['collect_s'])} right after the load and "
             f"{report.ms(full)} again now — the pause any request waits through when CPython "
             f"decides on a gen-2 collection (it does once the objects that survived since the "
             f"last one exceed 25% of those it holds).")
    sec.text(f"Then pod creates over HTTP ({CONCURRENCY} in flight) under each GC setting in "
             "turn, on the same growing server; the run with CPython's default thresholds is long "
             "enough to cross its 25% rule, so it contains the full collection a growing store "
             "gets. Pauses are recorded in the server with `gc.callbacks`:")
    sec.table(["GC setting", "creates", "creates/s", "p50", "p99", "max", "gen2 collections",
               "gen1 collections", "gen0 max", "others' CPU"], rows)
    a = results[0]["load"]
    if not quick:
        sec.check(f"create p99 with {n0:,} pods stored (GC as `minik8s serve` runs)",
                  report.ms(a["p99_ms"] / 1000), "≤ 100 ms", a["p99_ms"] <= 100, "", SLO)
        sec.check(f"slowest create with {n0:,} pods stored (GC as `minik8s serve` runs)",
                  report.ms(a["max_ms"] / 1000), "— (reported)", None, "", SLO)
    sec.check(f"full GC pause with {n0:,} pods stored", report.ms(full), "— (reported)", None,
              "", "finding to check: 1.7–2.4 s at 100k")
    sec.raw = {"full_collect_s": full, "scenarios": results}
    return sec
