"""Request benchmarks on a small store: pod creates, single GETs, watch fan-out.

Each runs against minik8s and against the bare aiohttp ceiling, from the
load process on the other core, and reports throughput, p50, p99, max and
who used the CPU (server, client, everything else on the machine).
"""

from __future__ import annotations

from typing import Any

from bench import procs, report

Obj = dict[str, Any]

SLO = "kube-apiserver SLO: p99 ≤ 1 s per call"
CONCURRENCY = 16
ROW_HEADERS = ["server", "client", "req/s", "p50", "p99", "max", "errors",
               "server CPU", "req/s per server core", "client CPU", "others' CPU"]


def per_core(r: Obj) -> float:
    """Throughput divided by the server's CPU use: what one whole core would give, if the
    server is the bottleneck. Steadier than req/s when the machine is shared."""
    return r["rate"] / r["server_cpu"] if r["server_cpu"] > 0.05 else float("nan")


def row(server: str, client: str, r: Obj) -> list[str]:
    return [server, client, report.num(r["rate"]), report.ms(r["p50_ms"] / 1000),
            report.ms(r["p99_ms"] / 1000), report.ms(r["max_ms"] / 1000), str(r["errors"]),
            report.pct(r["server_cpu"]), report.num(per_core(r)), report.pct(r["client_cpu"]),
            report.pct(r["other_cpu"])]


def rate(r: Obj) -> str:
    """req/s, with what one whole server core would give beside it (robust to a busy machine)."""
    return f"{report.num(r['rate'], '/s')} ({report.num(per_core(r), '/s')} per server core)"


def _create_job(ns: str, prefix: str, quick: bool) -> Obj:
    return {"mode": "http", "method": "POST", "path": f"/api/v1/namespaces/{ns}/pods",
            "body": "pod", "namespace": ns, "prefix": prefix, "concurrency": CONCURRENCY,
            "duration": 1.5 if quick else 8.0, "warmup": 0.3 if quick else 1.0}


def create(quick: bool) -> report.Section:
    out: Obj = {}
    gcs: Obj = {}
    kinds = [("minik8s", ""), ("bare", "")] + ([] if quick else [("minik8s+controllers", "*")])
    for kind, controllers in kinds:
        with procs.Server(kind.split("+")[0], controllers) as s:
            s.ensure_namespace("bench")
            s.gc(reset=True)
            out[kind] = procs.load(_create_job("bench", "pod-", quick), s)
            gcs[kind] = s.stats()["gc"]
    m, b = out["minik8s"], out["bare"]
    sec = report.Section("create", "Pod creates over HTTP")
    sec.text(f"`POST /api/v1/namespaces/bench/pods` with a kubectl-like pod body (1–2 "
             f"containers, labels, resources, env, probe; ~1.2 kB), unique names, "
             f"{CONCURRENCY} requests in flight on keep-alive connections, raw aiohttp client, "
             f"{'1.5' if quick else '8'} s after a warm-up, starting from an empty namespace. "
             "The bare server parses, stamps uid/resourceVersion and answers the bytes minik8s "
             "would (defaults, managedFields, admission) without computing them. Like every API "
             "benchmark here, minik8s runs without controllers (the API server's own figure); "
             "the last row runs the default set, as `minik8s serve` does: each pod is then also "
             "scheduled, bound and marked running by the simulated kubelet, with events.")
    rows = [row("minik8s", "aiohttp", m), row("bare aiohttp", "aiohttp", b)]
    if "minik8s+controllers" in out:
        rows.append(row("minik8s + default controllers", "aiohttp", out["minik8s+controllers"]))
    sec.table(ROW_HEADERS, rows)
    g = gcs["minik8s"]
    sec.text(f"CPython GC in the minik8s server over the run (warm-up included): gen0 "
             f"{g['gen0']['count']}× (max {report.ms(g['gen0']['max_ms'] / 1000)}), gen1 "
             f"{g['gen1']['count']}× (max {report.ms(g['gen1']['max_ms'] / 1000)}), gen2 "
             f"{g['gen2']['count']}× (total {report.ms(g['gen2']['total_ms'] / 1000)}, max "
             f"{report.ms(g['gen2']['max_ms'] / 1000)}).")
    sec.check("pod creates/s (aiohttp client)", rate(m), "≥ 2,500/s", m["rate"] >= 2500,
              rate(b), SLO)
    sec.check("pod create p99", report.ms(m["p99_ms"] / 1000), "≤ 50 ms", m["p99_ms"] <= 50,
              report.ms(b["p99_ms"] / 1000), SLO)
    sec.raw = {"results": out, "gc": gcs}
    return sec


def kubeclient(quick: bool) -> report.Section:
    threads = 8
    dur = 1.0 if quick else 6.0
    job = {"mode": "kubeclient", "namespace": "bench", "threads": threads, "duration": dur,
           "warmup": 0.3 if quick else 1.0}
    out: Obj = {}
    for kind in ("minik8s", "bare"):
        with procs.Server(kind) as s:
            s.ensure_namespace("bench")
            out[kind] = procs.load(dict(job, prefix="kc-"), s)
            out[kind + "-raw"] = procs.load(dict(job, prefix="kr-", preload_content=False), s)
    m, b, mr, br = out["minik8s"], out["bare"], out["minik8s-raw"], out["bare-raw"]
    sec = report.Section("kubeclient", "Pod creates from the official `kubernetes` Python client")
    sec.text(f"`CoreV1Api.create_namespaced_pod` from {threads} threads in the load process "
             f"(urllib3 pool of {threads}), same pod bodies, {dur:.0f} s each way. By default the "
             "client validates each request body and each response into pydantic `V1Pod` models "
             "(kubernetes 37), which costs the client about half again as much CPU per create, more "
             "than the server spends: "
             "against the bare handler, which does almost nothing, it tops out below 1,500/s, so "
             "that figure measures the client, not the server. With `_preload_content=False` the "
             "client returns the raw response (how the client is used for throughput) and the "
             "figure shows what the server allows a Python client; the ≥ 1,500/s target is "
             "judged on it.")
    sec.table(ROW_HEADERS, [row("minik8s", "kubernetes, raw response", mr),
                            row("minik8s", "kubernetes, V1Pod models", m),
                            row("bare aiohttp", "kubernetes, raw response", br),
                            row("bare aiohttp", "kubernetes, V1Pod models", b)])
    sec.check("pod creates/s (`kubernetes` client, raw response)", rate(mr), "≥ 1,500/s",
              mr["rate"] >= 1500, rate(br), SLO)
    sec.check("pod creates/s (`kubernetes` client, V1Pod models)", rate(m),
              "— (client-bound)", None, rate(b), SLO)
    sec.raw = out
    return sec


def get(quick: bool) -> report.Section:
    n = 1000
    job = {"mode": "http", "method": "GET", "path": "/api/v1/namespaces/bench/pods/{i}",
           "mod": n, "prefix": "pre-", "concurrency": CONCURRENCY,
           "duration": 1.5 if quick else 6.0, "warmup": 0.3 if quick else 1.0}
    out: Obj = {}
    for kind in ("minik8s", "bare"):
        with procs.Server(kind) as s:
            s.preload("bench", n)
            out[kind] = procs.load(job, s)
    m, b = out["minik8s"], out["bare"]
    sec = report.Section("get", "Single GETs")
    sec.text(f"`GET /api/v1/namespaces/bench/pods/NAME` cycling over {n:,} stored pods "
             f"(preloaded in-process), {CONCURRENCY} in flight, keep-alive, "
             f"{job['duration']:.0f} s after warm-up; ~{m['body_bytes']:,} bytes per answer.")
    sec.table(ROW_HEADERS, [row("minik8s", "aiohttp", m), row("bare aiohttp", "aiohttp", b)])
    sec.check("single GETs/s", rate(m), "≥ 8,000/s", m["rate"] >= 8000, rate(b), SLO)
    sec.check("single GET p99", report.ms(m["p99_ms"] / 1000), "≤ 10 ms", m["p99_ms"] <= 10,
              report.ms(b["p99_ms"] / 1000), SLO)
    sec.raw = out
    return sec


def watch(quick: bool) -> report.Section:
    n = 100
    job: Obj = {"mode": "watch", "namespace": "watch", "watchers": n, "singles": 10 if quick else 60,
           "burst": 200 if quick else 1000, "gap": 0.02}
    out: Obj = {}
    for kind in ("minik8s", "bare"):
        with procs.Server(kind) as s:
            s.ensure_namespace("watch")
            out[kind] = procs.load(job, s)
    m, b = out["minik8s"], out["bare"]
    sec = report.Section("watch", "Watch fan-out: one event to 100 watchers")
    sec.text(
        f"{n} HTTP watch streams (`?watch=1`, JSON) on an empty namespace, read at the socket "
        "by a raw asyncio protocol in the load process (arrival time taken on receipt, parsed "
        f"afterwards). **Latency**: {job['singles']} single pod writes, {job['gap'] * 1000:.0f} "
        "ms apart, from the server's write (CLOCK_MONOTONIC, shared by the two processes) to the "
        "last of the watchers receiving it; *spread* is first → last watcher. **Throughput**: "
        f"one burst of {job['burst']:,} back-to-back writes, deliveries/s from the first write "
        "to the last delivery. Afterwards every watcher's stream is decoded: it must hold "
        "every event, in order, and nothing else.")
    rows = []
    for label, r in (("minik8s", m), ("bare aiohttp", b)):
        rows.append([label, report.ms(r["p50_ms"] / 1000), report.ms(r["p99_ms"] / 1000),
                     report.ms(r["max_ms"] / 1000), report.ms(r["spread_p50_ms"] / 1000),
                     report.num(r["deliveries_per_s"], "/s"), f"{r['burst_write_s'] * 1000:.0f} ms",
                     f"{r['watchers_wrong']} of {n}", report.pct(r["server_cpu"]),
                     report.pct(r["other_cpu"])])
    sec.table(["server", "p50 to last watcher", "p99", "max", "spread p50", "burst deliveries",
               "burst writes took", "watchers missing/extra events", "server CPU (burst)",
               "others' CPU"], rows)
    sec.check("one event → 100 watchers (p50, write → last watcher)",
              report.ms(m["p50_ms"] / 1000), "≤ 2 ms", m["p50_ms"] <= 2,
              report.ms(b["p50_ms"] / 1000), SLO)
    sec.check("watch deliveries/s (burst, 100 watchers)", report.num(m["deliveries_per_s"], "/s"),
              "≥ 50,000/s", m["deliveries_per_s"] >= 50000,
              report.num(b["deliveries_per_s"], "/s"), "")
    sec.check("watch events missed", f"{m['watchers_wrong']} watchers", "none",
              m["watchers_wrong"] == 0 and not m["first_error"], "", "")
    sec.raw = out
    return sec
