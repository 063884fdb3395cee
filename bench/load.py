"""The load generator process: reads one JSON job on stdin, prints one JSON result.

``python -m bench.load`` pins itself to its core (1 by default), then runs
one of: ``http`` (a raw aiohttp client, keep-alive, fixed concurrency, per
request latency), ``kubeclient`` (the official ``kubernetes`` client from
several threads), ``watch`` (N HTTP watch streams; single-event latency and
burst fan-out throughput). The server's CPU time over the measured window
is read from /proc so a result says which side was saturated.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from typing import Any, Self

import orjson

from bench import workload

Obj = dict[str, Any]

CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU-seconds spent busy by the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / CLK_TCK


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Window:
    """Wall and CPU time (ours and the server's) over the measured part of a run."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid

    def __enter__(self) -> Self:
        self.t0 = time.perf_counter()
        self.s0 = proc_cpu_s(self.pid)
        self.c0 = time.process_time()
        self.m0 = machine_busy_s()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.server_cpu = (proc_cpu_s(self.pid) - self.s0) / self.wall if self.wall else 0.0
        self.client_cpu = (time.process_time() - self.c0) / self.wall if self.wall else 0.0
        busy = (machine_busy_s() - self.m0) / self.wall if self.wall else 0.0
        #: cores' worth of CPU used by everything else on the machine (noise)
        self.other_cpu = max(0.0, busy - self.server_cpu - self.client_cpu)

    def fill(self, out: Obj) -> Obj:
        out["server_cpu"] = self.server_cpu
        out["client_cpu"] = self.client_cpu
        out["other_cpu"] = self.other_cpu
        return out


# ---------------------------------------------------------------- http

def _bodies(job: Obj) -> tuple[bytes, bytes]:
    """Two pod templates (1 and 2 containers) with a name placeholder."""
    ns = job["namespace"]
    return (orjson.dumps(workload.make_pod("NAME__", ns, 0)),
            orjson.dumps(workload.make_pod("NAME__", ns, 1)))


async def run_http(job: Obj) -> Obj:
    """{"url", "method", "path" (may hold {i}), "mod", "body": "pod"|None, "prefix",
    "concurrency", "duration" | "count", "warmup"}"""
    import aiohttp

    base = job["url"]
    method = job["method"]
    path_t: str = job["path"]
    mod = job.get("mod") or 0
    prefix = job.get("prefix", "")
    conc = job["concurrency"]
    duration = job.get("duration")
    count = job.get("count")
    warmup = job.get("warmup", 0.0)
    tmpl = _bodies(job) if job.get("body") == "pod" else None
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    lat: list[float] = []
    sizes: list[int] = []
    errors = 0
    first_error = ""
    nxt = 0
    measuring = False
    stop_at = float("inf")

    conn = aiohttp.TCPConnector(limit=conc, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=conn, timeout=timeout, skip_auto_headers=("User-Agent",)) as s:
        async def worker() -> None:
            nonlocal nxt, errors, first_error
            while True:
                i = nxt
                nxt += 1
                if count is not None and i >= count:
                    return
                if time.perf_counter() >= stop_at:
                    return
                name = f"{prefix}{i % mod if mod else i}"
                url = base + path_t.replace("{i}", name)
                data = tmpl[i % 2].replace(b"NAME__", name.encode()) if tmpl else None
                t0 = time.perf_counter()
                async with s.request(method, url, data=data, headers=headers) as r:
                    body = await r.read()
                    ok = r.status < 300
                dt = time.perf_counter() - t0
                if not ok:
                    errors += 1
                    if not first_error:
                        first_error = f"{r.status} {body[:300]!r}"
                if measuring:
                    lat.append(dt)
                    if len(sizes) < 5:
                        sizes.append(len(body))

        if warmup:
            stop_at = time.perf_counter() + warmup
            await asyncio.gather(*(worker() for _ in range(conc)))
        measuring = True
        stop_at = time.perf_counter() + duration if duration else float("inf")
        with Window(job["server_pid"]) as w:
            await asyncio.gather(*(worker() for _ in range(conc)))
    out = workload.summarize(lat, w.wall, errors)
    out["first_error"] = first_error
    out["body_bytes"] = sizes[0] if sizes else 0
    out["concurrency"] = conc
    return w.fill(out)


# ---------------------------------------------------------------- official client

def run_kubeclient(job: Obj) -> Obj:
    """{"url", "namespace", "prefix", "threads", "duration", "warmup", "preload_content"}"""
    import kubernetes.client as k

    cfg = k.Configuration()
    cfg.host = job["url"]
    threads = job["threads"]
    cfg.connection_pool_maxsize = threads
    api = k.CoreV1Api(k.ApiClient(cfg))
    ns, prefix = job["namespace"], job["prefix"]
    preload = job.get("preload_content", True)
    lock = threading.Lock()
    counter = [0]
    lat: list[float] = []
    errors = [0]
    first_error = [""]
    phase = {"measuring": False, "stop_at": 0.0}

    def worker() -> None:
        while True:
            with lock:
                i = counter[0]
                counter[0] += 1
            if time.perf_counter() >= phase["stop_at"]:
                return
            body = workload.make_pod(f"{prefix}{i}", ns, i)
            t0 = time.perf_counter()
            try:
                r: Any = api.create_namespaced_pod(ns, body,  # type: ignore[arg-type]
                                                   _preload_content=preload)
                if not preload:  # read the raw body, so the connection goes back to the pool
                    r.read()
                    r.release_conn()
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors[0] += 1
                if not first_error[0]:
                    first_error[0] = repr(e)[:300]
            dt = time.perf_counter() - t0
            if phase["measuring"]:
                with lock:
                    lat.append(dt)

    def round_(seconds: float) -> None:
        phase["stop_at"] = time.perf_counter() + seconds
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    round_(job.get("warmup", 1.0))
    phase["measuring"] = True
    with Window(job["server_pid"]) as w:
        round_(job["duration"])
    out = workload.summarize(lat, w.wall, errors[0])
    out["first_error"] = first_error[0]
    out["concurrency"] = threads
    return w.fill(out)


# ---------------------------------------------------------------- watch fan-out

class _WatchStream(asyncio.Protocol):
    """One HTTP watch stream read at the socket: arrival times are taken in
    ``data_received`` with no parsing, so the client adds as little as it can
    to what it measures. Events are counted by their closing ``}\\n`` (JSON
    escapes newlines inside strings; each event is one chunk) and the raw
    bytes are kept to be dechunked and checked after the run."""

    def __init__(self, fan: _Fan, request: bytes) -> None:
        self.fan = fan
        self.request = request
        self.raw = bytearray()
        self.body_at = -1
        self.events = 0
        self.target = 0
        self._last = b""
        self.ready = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.raw += data
        if self.body_at < 0:
            at = self.raw.find(b"\r\n\r\n")
            if at < 0:
                return
            self.body_at = at + 4
            if not self.ready.done():
                self.ready.set_result(None)
            data = bytes(self.raw[self.body_at:])
        n = (self._last + data).count(b"}\n")
        self._last = data[-1:]
        if n:
            before = self.events
            self.events += n
            if before < self.target <= self.events:
                self.fan.arrived(now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("watch stream closed"))

    def decoded(self) -> list[Obj]:
        """The events received, dechunked and parsed."""
        body = bytes(self.raw[self.body_at:])
        data = bytearray()
        i = 0
        while i < len(body):
            eol = body.find(b"\r\n", i)
            if eol < 0:
                break
            size = int(body[i:eol].split(b";")[0], 16)
            if size == 0:
                break
            data += body[eol + 2:eol + 2 + size]
            i = eol + 2 + size + 2
        return [orjson.loads(line) for line in bytes(data).split(b"\n") if line.strip()]


class _Fan:
    """All watchers of one run: when did the last of them see the awaited event?"""

    def __init__(self) -> None:
        self.left = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def expect(self, streams: list[_WatchStream], events: int) -> None:
        self.left = len(streams)
        self.first = self.last = 0.0
        self.done.clear()
        for s in streams:
            s.target = events

    def arrived(self, now: float) -> None:
        if not self.first:
            self.first = now
        self.last = now
        self.left -= 1
        if self.left == 0:
            self.done.set()


async def run_watch(job: Obj) -> Obj:
    """{"url", "control", "namespace", "watchers", "singles", "burst", "gap"}

    Opens N HTTP watch streams on an empty namespace, then (1) ``singles``
    writes one at a time: latency from the server's write (CLOCK_MONOTONIC,
    which processes share) to the last watcher receiving it; (2) one burst of
    ``burst`` back-to-back writes: deliveries/s from the first write to the
    last delivery. Afterwards every watcher must hold every event, in order.
    """
    from urllib.parse import urlsplit

    import aiohttp

    ns, n = job["namespace"], job["watchers"]
    singles, burst, gap = job["singles"], job["burst"], job.get("gap", 0.02)
    ctl = job["control"]
    u = urlsplit(job["url"])
    assert u.hostname is not None and u.port is not None
    request = (f"GET /api/v1/namespaces/{ns}/pods?watch=1 HTTP/1.1\r\nHost: {u.netloc}\r\n"
               "Accept: application/json\r\nUser-Agent: bench\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    fan = _Fan()
    streams: list[_WatchStream] = []
    for _ in range(n):
        _, proto = await loop.create_connection(lambda: _WatchStream(fan, request),
                                                u.hostname, u.port)
        streams.append(proto)
    await asyncio.wait_for(asyncio.gather(*(s.ready for s in streams)), 30)
    await asyncio.sleep(0.2)
    async with aiohttp.ClientSession() as s:
        # (1) single events
        single_lat: list[float] = []
        spread: list[float] = []
        with Window(job["server_pid"]) as w1:
            for i in range(singles):
                fan.expect(streams, i + 1)
                async with s.post(ctl + "/write", json={"namespace": ns, "name": f"single-{i}"}) as r:
                    t_write = (await r.json())["t"]
                await asyncio.wait_for(fan.done.wait(), 30)
                single_lat.append(fan.last - t_write)
                spread.append(fan.last - fan.first)
                await asyncio.sleep(gap)
        # (2) one burst
        fan.expect(streams, singles + burst)
        with Window(job["server_pid"]) as w2:
            async with s.post(ctl + "/burst", json={"namespace": ns, "count": burst,
                                                    "prefix": "burst-"}) as r:
                b = await r.json()
            await asyncio.wait_for(fan.done.wait(), 120)
        burst_s = fan.last - b["t"]
    for st in streams:
        st.transport.close()
    want = [f"single-{i}" for i in range(singles)] + [f"burst-{i}" for i in range(burst)]
    wrong = 0
    first_error = ""
    for st in streams:
        evs = st.decoded()
        got = [e["object"]["metadata"]["name"] for e in evs if e.get("type") == "ADDED"]
        if got != want or len(evs) != len(want):
            wrong += 1
            if not first_error:
                first_error = f"got {len(evs)} events, first types {[e.get('type') for e in evs[:3]]}"
    out = workload.summarize(single_lat, w1.wall)
    out["spread_p50_ms"] = workload.percentile(sorted(spread), 50) * 1000
    out["burst_events"] = burst
    out["burst_s"] = burst_s
    out["burst_write_s"] = b["write_s"]
    out["deliveries_per_s"] = burst * n / burst_s
    out["watchers_wrong"] = wrong
    out["first_error"] = first_error
    out["watchers"] = n
    return w2.fill(out)


def main() -> None:
    job = orjson.loads(sys.stdin.buffer.read())
    workload.pin(job.get("cpu", 1))
    mode = job["mode"]
    if mode == "kubeclient":
        out = run_kubeclient(job)
    else:
        runner = {"http": run_http, "watch": run_watch}[mode]
        try:
            import uvloop

            out = uvloop.run(runner(job))
        except ImportError:
            out = asyncio.run(runner(job))
    sys.stdout.write(orjson.dumps(out).decode() + "\n")


if __name__ == "__main__":
    main()
