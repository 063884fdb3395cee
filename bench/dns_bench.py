"""DNS benchmark: A-record queries per second on one core, minik8s vs a bare dnslib server.

Server (core 0) and a raw UDP load generator (core 1) run in separate
processes. Workloads: repeated names (cache hits), cold names (each name
asked once after a change), at 1,000 and 10,000 services.

    python -m bench.dns_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import struct
import time
from typing import Any

from dnslib import QTYPE, RR, A, DNSRecord


def _pin(core: int) -> None:
    try:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})
    except (AttributeError, OSError):
        pass


def _serve_minik8s(n_services: int, port_q: Any, stop_ev: Any) -> None:
    _pin(0)

    async def main() -> None:
        from minik8s.dns.records import DnsIndex
        from minik8s.dns.server import DnsServer

        idx = DnsIndex()
        idx.set_namespace("default", True)
        for i in range(n_services):
            idx.set_service({"metadata": {"name": f"svc-{i}", "namespace": "default"},
                             "spec": {"clusterIP": f"10.96.{i // 250}.{i % 250 + 1}",
                                      "ports": [{"name": "http", "port": 80}]}}, ("default", f"svc-{i}"))
        srv = DnsServer(idx, "127.0.0.1", 0)
        await srv.start()
        port_q.put(srv.port)
        while not stop_ev.is_set():
            await asyncio.sleep(0.1)
        await srv.stop()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def _serve_bare(port_q: Any, stop_ev: Any) -> None:
    """The Python ceiling: dnslib parse + fixed answer + pack on an asyncio UDP socket."""
    _pin(0)

    class P(asyncio.DatagramProtocol):
        def connection_made(self, t: Any) -> None:
            self.t = t

        def datagram_received(self, data: bytes, addr: Any) -> None:
            q = DNSRecord.parse(data)
            r = q.reply()
            r.add_answer(RR(q.q.qname, QTYPE.A, rdata=A("10.96.0.1"), ttl=5))
            self.t.sendto(r.pack(), addr)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        t, _ = await loop.create_datagram_endpoint(P, local_addr=("127.0.0.1", 0))
        port_q.put(t.get_extra_info("sockname")[1])
        while not stop_ev.is_set():
            await asyncio.sleep(0.1)
        t.close()

    asyncio.run(main())


def _load(port: int, names: list[str], total: int, window: int = 32) -> dict[str, float]:
    """Keep ``window`` queries in flight; measure throughput and per-query latency."""
    _pin(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(2)
    packets = []
    for i, n in enumerate(names):
        q = DNSRecord.question(n, "A")
        q.header.id = i % 65536
        packets.append(bytes(q.pack()))
    sent_at: dict[int, float] = {}
    lat: list[float] = []
    sent = recv = lost = 0
    t0 = time.perf_counter()
    while recv + lost < total:
        while sent < total and sent - recv - lost < window:
            p = packets[sent % len(packets)]
            ident = sent % 65536
            p = struct.pack(">H", ident) + p[2:]
            sent_at[ident] = time.perf_counter()
            s.send(p)
            sent += 1
        try:
            data = s.recv(4096)
        except socket.timeout:
            lost += sent - recv - lost
            continue
        ident = struct.unpack(">H", data[:2])[0]
        t = sent_at.pop(ident, None)
        if t is not None:
            lat.append(time.perf_counter() - t)
        recv += 1
    el = time.perf_counter() - t0
    lat.sort()
    return {"qps": recv / el, "p50_ms": 1000 * lat[len(lat) // 2],
            "p99_ms": 1000 * lat[int(len(lat) * 0.99)], "lost": lost}


def run(quick: bool = False) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    total = 20_000 if quick else 100_000
    results = []
    for n_services in ((1000,) if quick else (1000, 10_000)):
        q, ev = ctx.Queue(), ctx.Event()
        p = ctx.Process(target=_serve_minik8s, args=(n_services, q, ev))
        p.start()
        port = q.get(timeout=60)
        hot = [f"svc-{i % 100}.default.svc.cluster.local" for i in range(100)]
        cold = [f"svc-{i}.default.svc.cluster.local" for i in range(n_services)]
        _load(port, hot, 2000)  # warm up
        r = _load(port, hot, total)
        r1 = _load(port, hot, 5000, window=1)
        r["p99_ms_one_in_flight"] = r1["p99_ms"]
        results.append({"bench": f"minik8s, repeated names, {n_services} services", **r})
        # cold: more distinct questions than fit the warmed cache; each asked once
        r = _load(port, [n.replace("svc-", "svc-") for n in cold], min(total, n_services))
        results.append({"bench": f"minik8s, cold names, {n_services} services", **r})
        ev.set()
        p.join(10)
    q, ev = ctx.Queue(), ctx.Event()
    p = ctx.Process(target=_serve_bare, args=(q, ev))
    p.start()
    port = q.get(timeout=60)
    r = _load(port, ["svc-1.default.svc.cluster.local"], total)
    results.append({"bench": "bare dnslib fixed answer (Python ceiling)", **r})
    ev.set()
    p.join(10)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    for r in run(args.quick):
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}))


if __name__ == "__main__":
    main()
