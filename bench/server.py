"""The process under test: a minik8s ``Cluster`` or a bare aiohttp JSON handler.

``python -m bench.server --kind minik8s|bare [--cpu 0]`` pins itself to one
core, serves the Kubernetes API on a free port and prints one JSON line
(``url``, ``control``, ``pid``, ``start_ms``) once both listen. A second,
private aiohttp app on its own port is the benchmark's control channel:
preload pods in-process, burst writes for watch fan-out, GC controls and
statistics, cProfile on and off. ``run`` starts it; ``load`` talks to it.

The ``bare`` kind is the Python ceiling: the same aiohttp and event loop
serving the same URLs with no Kubernetes semantics (parse, stamp, store the
bytes, answer), so every figure can be read against what Python allows. It
answers the bytes minik8s would (``workload.stored_shape``: defaults,
managedFields, admission), so a client that decodes responses pays the same,
and runs under the GC policy ``minik8s serve`` uses.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import sys
import time
import uuid
from typing import Any

import orjson
from aiohttp import web

from bench import workload
from minik8s.runtime import gcpolicy

Obj = dict[str, Any]


class GcWatch:
    """Records every CPython GC pause (generation, seconds) through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._t0 = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._t0))

    def summary(self) -> Obj:
        out: Obj = {}
        for gen in (0, 1, 2):
            ps = [p for g, p in self.pauses if g == gen]
            out[f"gen{gen}"] = {"count": len(ps), "total_ms": sum(ps) * 1000,
                                "max_ms": max(ps, default=0.0) * 1000}
        return out


# ---------------------------------------------------------------- the two kinds

class Minik8s:
    """A real ``Cluster(serve=True, port=0)``, frozen after start as ``minik8s serve`` does."""

    def __init__(self, controllers: list[str]) -> None:
        from minik8s.cluster import Cluster
        from minik8s.config import ClusterConfig

        self.cluster = Cluster(ClusterConfig(controllers=controllers), serve=True, port=0)
        self.url = ""

    async def start(self) -> None:
        await self.cluster.start()
        self.cluster.tune_gc_for_serving()  # as cli._serve does
        self.url = self.cluster.url
        pods = self.cluster.registry.table.by_key("pods")
        assert pods is not None
        self._pods = pods

    async def stop(self) -> None:
        await self.cluster.stop()

    def ensure_namespace(self, ns: str) -> None:
        c = self.cluster.client
        if c.get_or_none("v1", "Namespace", ns) is None:
            c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def create_pod(self, body: Obj) -> None:
        # the full write path (validate, default, admit, commit, fan out), minus the client's copy
        self.cluster.registry.create(self._pods, body["metadata"]["namespace"], body)

    def pod_count(self) -> int:
        return len(self.cluster.store.resource("pods").objects)

    def freeze(self) -> None:
        self.cluster.freeze_gc()


class Bare:
    """The ceiling: one dict of pods, bytes kept beside them, queues per watcher."""

    def __init__(self) -> None:
        self.pods: dict[tuple[str, str], tuple[Obj, bytes]] = {}
        self.by_ns: dict[str, dict[str, bytes]] = {}
        self.watchers: dict[str, set[asyncio.Queue[bytes]]] = {}
        self.rv = 1
        self.url = ""
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/readyz", self.ready)
        app.router.add_get("/api/v1/namespaces/{ns}/pods", self.list_or_watch)
        app.router.add_post("/api/v1/namespaces/{ns}/pods", self.create)
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{name}", self.get)
        app.router.add_post("/api/v1/namespaces", self.create_ns)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # the GC policy minik8s serve uses, so the ceiling is not slowed by full collections
        # minik8s never runs
        gcpolicy.tune_for_serving()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def ready(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def create_ns(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        return web.Response(body=orjson.dumps(body), status=201, content_type="application/json")

    def _store(self, obj: Obj) -> bytes:
        md = obj["metadata"]
        self.rv += 1
        md["uid"] = str(uuid.uuid4())
        md["resourceVersion"] = str(self.rv)
        md["creationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        raw = orjson.dumps(obj)
        ns, name = md["namespace"], md["name"]
        self.pods[(ns, name)] = (obj, raw)
        self.by_ns.setdefault(ns, {})[name] = raw
        if self.watchers.get(ns):
            line = orjson.dumps({"type": "ADDED", "object": obj}) + b"\n"
            for q in self.watchers[ns]:
                q.put_nowait(line)
        return raw

    async def create(self, request: web.Request) -> web.Response:
        obj = orjson.loads(await request.read())
        obj.setdefault("metadata", {})["namespace"] = request.match_info["ns"]
        # answer what minik8s answers (defaults, managedFields, admission), so clients that
        # decode the response pay for the same bytes
        manager = request.headers.get("User-Agent", "").split("/", 1)[0]
        shaped = workload.stored_shape(obj, manager, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        return web.Response(body=self._store(shaped), status=201, content_type="application/json")

    async def get(self, request: web.Request) -> web.Response:
        hit = self.pods.get((request.match_info["ns"], request.match_info["name"]))
        if hit is None:
            return web.Response(status=404, body=b'{"kind":"Status","code":404}',
                                content_type="application/json")
        return web.Response(body=hit[1], content_type="application/json")

    async def list_or_watch(self, request: web.Request) -> web.StreamResponse:
        ns = request.match_info["ns"]
        if request.query.get("watch") in ("1", "true"):
            return await self.watch(request, ns)
        items = self.by_ns.get(ns, {})
        body = (b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"'
                + str(self.rv).encode() + b'"},"items":[' + b",".join(
                    items[k] for k in sorted(items)) + b"]}")
        return web.Response(body=body, content_type="application/json")

    async def watch(self, request: web.Request, ns: str) -> web.StreamResponse:
        q: asyncio.Queue[bytes] = asyncio.Queue()
        self.watchers.setdefault(ns, set()).add(q)
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            while True:
                await resp.write(await q.get())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.watchers[ns].discard(q)
        return resp

    def ensure_namespace(self, ns: str) -> None:
        pass

    def create_pod(self, body: Obj) -> None:
        self._store(workload.stored_shape(body))

    def pod_count(self) -> int:
        return len(self.pods)

    def freeze(self) -> None:
        gc.collect()
        gc.freeze()


# ---------------------------------------------------------------- control channel

class Control:
    def __init__(self, target: Minik8s | Bare, gcw: GcWatch) -> None:
        self.t = target
        self.gcw = gcw
        self.prof: cProfile.Profile | None = None
        self.freezer: asyncio.Future[None] | None = None

    async def close(self) -> None:
        if self.freezer is not None:
            self.freezer.cancel()
            await asyncio.gather(self.freezer, return_exceptions=True)
            self.freezer = None

    async def _freeze_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            gc.freeze()  # O(1): splices the generations onto the permanent one

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/preload", self.preload)
        app.router.add_post("/write", self.write)
        app.router.add_post("/burst", self.burst)
        app.router.add_get("/stats", self.stats)
        app.router.add_post("/gc", self.gc)
        app.router.add_post("/profile", self.profile)
        return app

    async def preload(self, request: web.Request) -> web.Response:
        """{"namespace", "count", "prefix", "gc_off"}: create pods in-process through the
        write path; with ``gc_off`` the cyclic GC is paused meanwhile (a fast load whose
        GC state the caller then sets explicitly)."""
        a = await request.json()
        ns, prefix = a["namespace"], a.get("prefix", "pre-")
        self.t.ensure_namespace(ns)
        if a.get("gc_off"):
            gc.disable()
        t0 = time.perf_counter()
        try:
            for i in range(int(a["count"])):
                self.t.create_pod(workload.make_pod(f"{prefix}{i}", ns, i))
                if i % 2000 == 1999:
                    await asyncio.sleep(0)  # let other requests through
        finally:
            gc.enable()
        return web.json_response({"seconds": time.perf_counter() - t0, "pods": self.t.pod_count()})

    async def write(self, request: web.Request) -> web.Response:
        """One pod write; answers the CLOCK_MONOTONIC time just before it (shared across processes)."""
        a = await request.json()
        body = workload.make_pod(a["name"], a["namespace"], 1)
        t = time.monotonic()
        self.t.create_pod(body)
        return web.json_response({"t": t})

    async def burst(self, request: web.Request) -> web.Response:
        """{"namespace", "count", "prefix"}: back-to-back writes (watch fan-out throughput)."""
        a = await request.json()
        bodies = [workload.make_pod(f"{a['prefix']}{i}", a["namespace"], i)
                  for i in range(int(a["count"]))]
        t = time.monotonic()
        for b in bodies:
            self.t.create_pod(b)
        return web.json_response({"t": t, "write_s": time.monotonic() - t})

    async def stats(self, request: web.Request) -> web.Response:
        tm = os.times()
        return web.json_response({
            "rss": workload.rss_bytes(), "cpu_s": tm.user + tm.system, "pods": self.t.pod_count(),
            "gc": self.gcw.summary(), "gc_threshold": gc.get_threshold(),
            "gc_frozen": gc.get_freeze_count(),
        })

    async def gc(self, request: web.Request) -> web.Response:
        """{"reset", "collect", "freeze", "threshold": [a, b, c], "freeze_every": s}
        in that order (``freeze_every`` 0 stops the periodic ``gc.freeze()``)."""
        a = await request.json()
        out: Obj = {}
        if "freeze_every" in a:
            if self.freezer is not None:
                self.freezer.cancel()
                self.freezer = None
            if a["freeze_every"]:
                self.freezer = asyncio.ensure_future(self._freeze_every(float(a["freeze_every"])))
        if a.get("reset"):
            self.gcw.pauses.clear()
        if a.get("collect"):
            t0 = time.perf_counter()
            gc.collect()
            out["collect_s"] = time.perf_counter() - t0
        if a.get("freeze"):
            t0 = time.perf_counter()
            self.t.freeze()
            out["freeze_s"] = time.perf_counter() - t0
        if a.get("threshold"):
            gc.set_threshold(*a["threshold"])
        out["threshold"] = gc.get_threshold()
        return web.json_response(out)

    async def profile(self, request: web.Request) -> web.Response:
        """{"action": "start"} or {"action": "stop", "path": ...} (pstats dump + text)."""
        a = await request.json()
        if a["action"] == "start":
            self.prof = cProfile.Profile()
            self.prof.enable()
            return web.json_response({})
        assert self.prof is not None
        self.prof.disable()
        self.prof.dump_stats(a["path"])
        st = pstats.Stats(self.prof)
        self.prof = None
        return web.json_response({"total_s": st.total_tt})  # type: ignore[attr-defined]


async def _main(args: argparse.Namespace) -> None:
    gcw = GcWatch()
    t0 = time.perf_counter()
    target: Minik8s | Bare
    if args.kind == "minik8s":
        target = Minik8s(args.controllers.split(",") if args.controllers else [])
    else:
        target = Bare()
    await target.start()
    start_ms = (time.perf_counter() - t0) * 1000
    control = Control(target, gcw)
    runner = web.AppRunner(control.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    cport = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(orjson.dumps({"url": target.url, "control": f"http://127.0.0.1:{cport}",
                        "pid": os.getpid(), "start_ms": start_ms,
                        "loop": type(asyncio.get_running_loop()).__module__}).decode(), flush=True)
    # stop when the runner closes our stdin (or kills us)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def _eof() -> None:
        await reader.read()
        done.set()

    eof = asyncio.ensure_future(_eof())
    try:
        await done.wait()
    finally:
        eof.cancel()
        await control.close()
        await runner.cleanup()
        await target.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.server")
    p.add_argument("--kind", choices=("minik8s", "bare"), default="minik8s")
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--no-uvloop", action="store_true")
    p.add_argument("--controllers", default="",
                   help="comma list as ClusterConfig.controllers ('*': as minik8s serve; "
                        "default none: the API server alone)")
    args = p.parse_args()
    workload.pin(args.cpu)
    if not args.no_uvloop:
        try:
            import uvloop

            uvloop.run(_main(args))
            return
        except ImportError:
            pass
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
