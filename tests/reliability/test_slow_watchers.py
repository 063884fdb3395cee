"""Slow or stuck watchers never stall writers or other watchers.

A watcher that stops reading fills its socket, then its queue; once the queue
overruns it is dropped (its queue freed) and its connection cut, while writers keep
their latency and a healthy watcher sees every event. A watcher that merely falls
behind a burst gets ``ERROR`` 410 Expired and relists. The cluster here keeps short
queues (``watch_queue=1000``, ``watch_history=2000``; the defaults are 10,000) so a
few thousand writes are enough.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from reliability_support import rss_kib
from served import ServedCluster

from minik8s.config import ClusterConfig

QUEUE = 1000


@pytest.fixture(scope="module")
def sc() -> Iterator[ServedCluster]:
    s = ServedCluster(dns_port=None, config=ClusterConfig(watch_queue=QUEUE, watch_history=2000))
    try:
        for ns in ("slow", "burst"):
            requests.post(s.cluster.url + "/api/v1/namespaces", json={"metadata": {"name": ns}},
                          timeout=10)
        yield s
    finally:
        s.close()


def _writes(url: str, n: int, names: int, out: list[float], who: str = "") -> None:
    """``n`` updates spread over ``names`` objects of ~6 KiB; latencies into ``out``."""
    s = requests.Session()
    path = url + "/api/v1/namespaces/slow/configmaps"
    for i in range(n):
        body = {"metadata": {"name": f"o{i % names}"}, "data": {"i": f"{who}{i}", "pad": "x" * 6144}}
        t = time.perf_counter()
        r = s.put(f"{path}/o{i % names}", json=body, timeout=10)
        out.append(time.perf_counter() - t)
        assert r.status_code in (200, 201), r.text[:200]


class _Reader(threading.Thread):
    """A healthy watcher: reads every event as it comes."""

    def __init__(self, url: str, rv: str) -> None:
        super().__init__(daemon=True)
        self.url, self.rv = url, rv
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        with requests.get(f"{self.url}/api/v1/namespaces/slow/configmaps?watch=true"
                          f"&resourceVersion={self.rv}&timeoutSeconds=60", stream=True,
                          timeout=70) as resp:
            self.ready.set()
            for line in resp.iter_lines():
                if line:
                    ev = json.loads(line)
                    self.events.append(ev)
                    if ev["object"].get("data", {}).get("i") == "done":
                        return


def _stuck_watcher(url: str, rv: str) -> socket.socket:
    """Opens a watch, reads the status line, then never reads again."""
    u = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((u.hostname, u.port))
    sock.sendall(f"GET /api/v1/namespaces/slow/configmaps?watch=true&resourceVersion={rv} "
                 "HTTP/1.1\r\nHost: minik8s\r\n\r\n".encode())
    assert sock.recv(12).startswith(b"HTTP/1.1 200")
    return sock


def _pct(xs: list[float], q: float) -> float:
    return sorted(xs)[int(q * (len(xs) - 1))]


def test_a_stuck_watcher_neither_slows_writers_nor_other_watchers_nor_grows_memory(
        sc: ServedCluster) -> None:
    url = sc.cluster.url
    for i in range(20):
        requests.post(url + "/api/v1/namespaces/slow/configmaps", json={
            "metadata": {"name": f"o{i}"}}, timeout=10)
    _writes(url, 1200, 20, [])  # warm up: objects exist, history and queues fill
    base_lat: list[float] = []  # the baseline: the same two writers, no stuck watcher
    threads = [threading.Thread(target=_writes, args=(url, 400, 20, base_lat, f"b{k}-"))
               for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rv = requests.get(url + "/api/v1/namespaces/slow/configmaps", timeout=10).json()[
        "metadata"]["resourceVersion"]
    configmaps = sc.cluster.store.resource("configmaps")
    watchers_before = len(configmaps.watchers)
    rss_before = rss_kib()

    stuck = _stuck_watcher(url, rv)
    reader = _Reader(url, rv)
    reader.start()
    reader.ready.wait(10)
    lat: list[float] = []
    threads = [threading.Thread(target=_writes, args=(url, 1500, 20, lat, f"t{k}-"))
               for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    r = requests.put(url + "/api/v1/namespaces/slow/configmaps/o0", timeout=10,
                     json={"metadata": {"name": "o0"}, "data": {"i": "done"}})
    assert r.status_code == 200
    reader.join(30)
    rss_growth_mib = (rss_kib() - rss_before) / 1024

    # the healthy watcher saw every write, in order, without a gap
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in reader.events]
    assert len(reader.events) == 3001 and rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    assert all(e["type"] == "MODIFIED" for e in reader.events)
    # writers kept their latency (medians and tails, with room for a busy CI machine)
    p50, p95 = statistics.median(lat), _pct(lat, 0.95)
    base50, base95 = statistics.median(base_lat), _pct(base_lat, 0.95)
    assert p50 < 3 * base50 + 0.005, (p50, base50)
    assert p95 < 3 * base95 + 0.02, (p95, base95)
    # the stuck watcher was dropped: its queue is gone and its connection was cut (the
    # healthy reader's watcher goes once the server notices it hung up, within a second)
    deadline = time.monotonic() + 5
    while len(configmaps.watchers) > watchers_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(configmaps.watchers) == watchers_before
    stuck.settimeout(10)
    received = 0
    try:
        while chunk := stuck.recv(65536):
            received += len(chunk)
    except (ConnectionResetError, TimeoutError) as e:
        assert isinstance(e, ConnectionResetError), "the stuck watcher's connection stays open"
    finally:
        stuck.close()
    # memory: what the stuck watcher held is bounded by its queue, not by the writes
    assert rss_growth_mib < 40, rss_growth_mib


def test_a_watcher_overrun_by_a_burst_gets_410_and_can_relist(sc: ServedCluster) -> None:
    url = sc.cluster.url
    path = url + "/api/v1/namespaces/burst/configmaps"
    rv = requests.get(path, timeout=10).json()["metadata"]["resourceVersion"]
    with requests.get(f"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=30",
                      stream=True, timeout=40) as resp:
        lines = resp.iter_lines()

        def burst() -> None:  # one loop turn: more events than the queue holds
            res = sc.cluster.table.by_key("configmaps")
            for i in range(QUEUE + 200):
                sc.cluster.registry.create(res, "burst", {"metadata": {"name": f"b{i}"}})

        sc.run(burst)
        events = [json.loads(line) for line in lines if line]
    assert events[-1]["type"] == "ERROR"
    assert events[-1]["object"]["code"] == 410 and events[-1]["object"]["reason"] == "Expired"
    # the client relists and watches again from the list's resourceVersion
    listed = requests.get(path, timeout=10).json()
    assert len(listed["items"]) >= QUEUE + 200
