"""Start-up benchmarks: ``minik8s serve`` cold start, and in-process ``Cluster`` start.

Cold start is what a CI job waits for: process spawn until ``/readyz``
answers and the kubeconfig file exists. In-process start is what a test
fixture waits for. Each is set beside a bare aiohttp app started the same way
and beside the published start times of envtest, kind and KWOK.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench import procs, report

Obj = dict[str, Any]

ANCHOR_COLD = "envtest 5–15 s, kind 12–17 s, KWOK ~5 s"


def _pin0() -> None:
    os.sched_setaffinity(0, {procs.SERVER_CPU})


def _cold_once(cmd: list[str], kubeconfig: str | None) -> float:
    """Seconds from spawn to /readyz 200 (and the kubeconfig on disk)."""
    if kubeconfig and os.path.exists(kubeconfig):
        os.unlink(kubeconfig)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, cwd=procs.ROOT, env=procs._env(),
                         preexec_fn=_pin0, text=True)  # noqa: PLW1509 - the runner has no threads
    try:
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.search(r"http://[\w.:\[\]]+", line)
        if not m:
            raise RuntimeError(f"{cmd}: no URL in {line!r}")
        if not procs.wait_http(m.group(0) + "/readyz", t0 + 30):
            raise RuntimeError(f"{cmd}: /readyz never answered")
        while kubeconfig and not os.path.exists(kubeconfig):
            time.sleep(0.001)
        return time.perf_counter() - t0
    finally:
        p.terminate()  # minik8s serve stops on SIGTERM; bench.server dies of it
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def _interp_floor(runs: int) -> float:
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, preexec_fn=_pin0)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _import_top(n: int = 6) -> list[tuple[str, float]]:
    """Heaviest top-level imports of ``minik8s.cli`` + ``minik8s.cluster`` (-X importtime)."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-c",
                        "import minik8s.cli, minik8s.cluster"],
                       capture_output=True, text=True, cwd=procs.ROOT, env=procs._env(),
                       preexec_fn=_pin0, check=False)
    rows = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top level (and its direct children: 1–2 spaces)
            rows.append((m.group(4), int(m.group(2)) / 1e6))
    rows.sort(key=lambda r: -r[1])
    return rows[:n]


def _drop_bytecode() -> None:
    for root, dirs, _ in os.walk(os.path.join(procs.ROOT, "minik8s")):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(root, "__pycache__"))


def coldstart(quick: bool) -> report.Section:
    """Measured twice: from source (no bytecode: every module compiled on import, as an
    editable checkout runs where PYTHONDONTWRITEBYTECODE is set, like this machine) and
    byte-compiled (what ``pip install`` of the wheel leaves: it compiles every module)."""
    runs = 2 if quick else 7
    kc = os.path.join(tempfile.mkdtemp(prefix="minik8s-bench-"), "kubeconfig")
    serve = [sys.executable, "-m", "minik8s.cli", "serve", "--port", "0", "--kubeconfig", kc]
    bare = [sys.executable, "-m", "bench.server", "--kind", "bare", "--cpu", str(procs.SERVER_CPU)]
    _drop_bytecode()
    src = sorted(_cold_once(serve, kc) for _ in range(runs))
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(procs.ROOT, "minik8s")],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        m = sorted(_cold_once(serve, kc) for _ in range(runs))
    finally:
        _drop_bytecode()
    b = sorted(_cold_once(bare, None) for _ in range(runs))
    floor = _interp_floor(runs)
    med_m, med_b = statistics.median(m), statistics.median(b)
    sec = report.Section("coldstart", "Cold start: `minik8s serve` to a usable kubeconfig")
    sec.text(f"Process spawn → `/readyz` answers 200 and the kubeconfig file exists; {runs} runs, "
             f"server pinned to core {procs.SERVER_CPU}. `python -m minik8s.cli serve --port 0 "
             "--kubeconfig PATH` (what the `minik8s` console script runs). *Installed* is the "
             "package byte-compiled, as `pip install` of the wheel leaves it; *from source* is "
             "every module compiled on import, as an editable checkout runs where "
             "`PYTHONDONTWRITEBYTECODE` is set (this machine sets it), so nothing is ever cached.")
    sec.table(["process", "median", "min", "max"], [
        ["`minik8s serve`, installed (bytecode)", report.ms(med_m), report.ms(m[0]), report.ms(m[-1])],
        ["`minik8s serve`, from source (no bytecode)", report.ms(statistics.median(src)),
         report.ms(src[0]), report.ms(src[-1])],
        ["bare aiohttp app (same interpreter, aiohttp + uvloop)", report.ms(med_b),
         report.ms(b[0]), report.ms(b[-1])],
        ["`python -c pass` (interpreter floor)", report.ms(floor), "", ""],
    ])
    top = [] if quick else _import_top()
    if top:
        sec.text("Heaviest imports on the way (`python -X importtime -c 'import minik8s.cli, "
                 "minik8s.cluster'`, cumulative): " + ", ".join(f"`{n}` {report.ms(s)}" for n, s in top))
    sec.check("`minik8s serve` cold start (median, installed)", f"{report.ms(med_m)} (min {report.ms(m[0])})",
              "≤ 0.5 s", med_m <= 0.5,
              report.ms(med_b), ANCHOR_COLD)
    sec.check("`minik8s serve` cold start from source, no bytecode (median)",
              report.ms(statistics.median(src)), "— (reported)", None, report.ms(med_b), ANCHOR_COLD)
    sec.raw = {"minik8s": m, "minik8s_source": src, "bare": b, "floor": floor, "imports": top}
    return sec


_INPROC = r"""
import asyncio, json, statistics, sys, time
t = time.perf_counter()
from minik8s.cluster import Cluster
imp = time.perf_counter() - t
from aiohttp import web

async def ok(request):
    return web.Response(text="ok")

async def main():
    out = {"import_s": imp}
    n0 = len(sys.modules)
    t = time.perf_counter()
    Cluster(serve=False)  # the first construction imports the components
    out["first_construct_s"] = time.perf_counter() - t
    out["lazy_modules"] = len(sys.modules) - n0
    for serve in (False, True):
        ts, inits = [], []
        for _ in range(RUNS):
            t = time.perf_counter()
            c = Cluster(serve=serve, port=0)
            inits.append(time.perf_counter() - t)
            await c.start()
            ts.append(time.perf_counter() - t)
            await c.stop()
        out["serve" if serve else "inproc"] = ts
        out[("serve" if serve else "inproc") + "_init"] = inits
    ts = []
    for _ in range(RUNS):
        t = time.perf_counter()
        app = web.Application()
        app.router.add_get("/readyz", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        ts.append(time.perf_counter() - t)
        await runner.cleanup()
    out["bare"] = ts
    print(json.dumps(out))

asyncio.run(main())
"""


def inproc(quick: bool) -> report.Section:
    runs = 5 if quick else 11
    p = subprocess.run([sys.executable, "-c", _INPROC.replace("RUNS", str(runs))],
                       capture_output=True, text=True, cwd=procs.ROOT, env=procs._env(),
                       preexec_fn=_pin0, check=True)
    r: Obj = json.loads(p.stdout)
    sec = report.Section("inproc", "In-process start: `Cluster(...).start()`")
    sec.text(f"In a fresh process (default asyncio loop, as under pytest), pinned to core "
             f"{procs.SERVER_CPU}: `import minik8s.cluster` took {report.ms(r['import_s'])} "
             f"(paid once per process, not counted below). The first `Cluster()` in a process "
             f"took {report.ms(r['first_construct_s'])}: it imports the {r['lazy_modules']} "
             f"component modules (controllers, scheduler, simulated kubelet). Then {runs} "
             f"clusters are built, started and stopped; *first* is the first of those, the "
             f"others give the median.")
    rows = []
    for key, label in (("inproc", "`Cluster(serve=False)`"), ("serve", "`Cluster(serve=True)`"),
                       ("bare", "bare aiohttp `AppRunner` + `TCPSite`")):
        ts = r[key]
        init = r.get(key + "_init")
        rows.append([label, report.ms(ts[0]), report.ms(statistics.median(ts[1:])),
                     report.ms(max(ts[1:])),
                     report.ms(statistics.median(init[1:])) if init else "—"])
    sec.table(["construct + `start()`", "first in process", "median after", "max after",
               "of which `Cluster()` (median)"], rows)
    bare_med = report.ms(statistics.median(r["bare"][1:]))
    # the per-fixture cost is the steady one; the first start also imports the components
    med_in = statistics.median(r["inproc"][1:])
    sec.check("`Cluster(serve=False)` start (median, minik8s imported)", report.ms(med_in),
              "≤ 50 ms", med_in <= 0.05, bare_med, "envtest 5–15 s")
    sec.check("first `Cluster()` in a process (imports the components)",
              report.ms(r["first_construct_s"]), "— (reported)", None, "", "envtest 5–15 s")
    med_srv = statistics.median(r["serve"][1:])
    sec.check("`Cluster(serve=True)` start (median)", report.ms(med_srv), "— (reported)", None,
              bare_med, "envtest 5–15 s")
    sec.raw = r
    return sec
