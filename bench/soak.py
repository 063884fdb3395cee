"""``python -m bench.soak [--seconds 600] [--interval 60] [--event-ttl 60s] [--data-dir DIR] [--write]``
(or ``--write-cost``: what ``--data-dir`` costs per write, in process)

A bounded soak: ``minik8s serve`` in its own process (all controllers, as a user runs
it) under a mixed load from concurrent clients on this machine — writers creating,
updating and deleting ConfigMaps (a bounded set of names, so the stored state stays
the same size), a pod writer (scheduler and kubelet at work), watchers that resume
from their last resourceVersion (and relist on 410), and a lister. Every interval it
reports the server's RSS and the latency percentiles of the requests in it; the point
is whether RSS stays flat and latency steady. Loopback only; it stops by itself.

The server runs with ``--event-ttl 60s`` (kube-apiserver's default, and minik8s's, is
1h): the Events the pod churn records (~40 a second) then reach their steady state
within the run, which a 1h TTL would only reach after an hour.

``--write`` puts the table into docs/performance.md as its "Soak" section (replacing
the generated part of an earlier one, keeping the prose written under it); otherwise
the markdown is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = "soak"


@dataclass
class Window:
    """What happened in one interval."""

    lat: list[float] = field(default_factory=list)
    errors: int = 0
    events: int = 0
    relists: int = 0


class Soak:
    def __init__(self, url: str, seconds: float, interval: float) -> None:
        self.url = url
        self.deadline = time.monotonic() + seconds
        self.interval = interval
        self.lock = threading.Lock()
        self.window = Window()

    def live(self) -> bool:
        return time.monotonic() < self.deadline

    def timed(self, s: requests.Session, method: str, path: str, **kw: Any) -> requests.Response | None:
        t = time.perf_counter()
        try:
            r = s.request(method, self.url + path, timeout=30, **kw)
        except requests.RequestException:
            with self.lock:
                self.window.errors += 1
            return None
        dt = time.perf_counter() - t
        with self.lock:
            self.window.lat.append(dt)
            if r.status_code >= 500:
                self.window.errors += 1
        return r

    def take(self) -> Window:
        with self.lock:
            w, self.window = self.window, Window()
        return w

    # ----------------------------------------------------------------- clients
    def writer(self, me: int, names: int) -> None:
        s, rng = requests.Session(), random.Random(me)
        path = f"/api/v1/namespaces/{NS}/configmaps"
        exists: set[int] = set()
        n = 0
        while self.live():
            i = rng.randrange(names)
            name = f"w{me}-{i}"
            n += 1
            if i not in exists:
                r = self.timed(s, "POST", path, json={"metadata": {"name": name},
                                                     "data": {"n": str(n), "pad": "x" * 1024}})
                if r is not None and r.status_code in (201, 409):
                    exists.add(i)
            elif rng.random() < 0.7:
                self.timed(s, "PUT", f"{path}/{name}", json={
                    "metadata": {"name": name}, "data": {"n": str(n), "pad": "x" * 1024}})
            else:
                self.timed(s, "DELETE", f"{path}/{name}")
                exists.discard(i)

    def pods(self) -> None:
        s, rng = requests.Session(), random.Random(99)
        path = f"/api/v1/namespaces/{NS}/pods"
        live: list[str] = []
        n = 0
        while self.live():
            if len(live) < 20 or rng.random() < 0.5:
                n += 1
                r = self.timed(s, "POST", path, json={
                    "metadata": {"name": f"p{n}", "labels": {"app": "soak"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}],
                             "terminationGracePeriodSeconds": 0}})
                if r is not None and r.status_code == 201:
                    live.append(f"p{n}")
            else:
                self.timed(s, "DELETE", f"{path}/{live.pop(rng.randrange(len(live)))}"
                           "?gracePeriodSeconds=0")
            time.sleep(0.05)

    def watcher(self) -> None:
        s = requests.Session()
        path = f"/api/v1/namespaces/{NS}/configmaps"
        rv = s.get(self.url + path, timeout=30).json()["metadata"]["resourceVersion"]
        while self.live():
            left = max(1, int(self.deadline - time.monotonic()))
            try:
                with s.get(f"{self.url}{path}?watch=true&resourceVersion={rv}"
                           f"&timeoutSeconds={min(60, left)}", stream=True, timeout=90) as resp:
                    for line in resp.iter_lines():
                        if not line:
                            continue
                        ev = json.loads(line)
                        if ev["type"] == "ERROR":  # 410: relist, watch from there
                            rv = s.get(self.url + path, timeout=30).json()["metadata"][
                                "resourceVersion"]
                            with self.lock:
                                self.window.relists += 1
                            break
                        rv = ev["object"]["metadata"]["resourceVersion"]
                        with self.lock:
                            self.window.events += 1
            except requests.RequestException:
                with self.lock:
                    self.window.errors += 1

    def lister(self) -> None:
        s = requests.Session()
        while self.live():
            self.timed(s, "GET", f"/api/v1/namespaces/{NS}/configmaps?limit=500")
            time.sleep(0.5)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve(data_dir: str | None, event_ttl: str) -> tuple[subprocess.Popen[bytes], str, str]:
    tmp = tempfile.mkdtemp(prefix="minik8s-soak-")
    log = os.path.join(tmp, "serve.log")
    cmd = [sys.executable, "-m", "minik8s.cli", "serve", "--port", "0", "--dns-port", "0",
           "--kubeconfig", os.path.join(tmp, "kubeconfig"), "--event-ttl", event_ttl]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log) as f:
            for line in f:
                if "serving the Kubernetes API at" in line:
                    return proc, line.split(" at ", 1)[1].split()[0], tmp
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"minik8s serve did not start; see {log}")


def _ms(xs: list[float], q: float) -> str:
    if not xs:
        return "-"
    xs = sorted(xs)
    return f"{xs[min(len(xs) - 1, int(q * len(xs)))] * 1000:.1f}"


def run(seconds: float, interval: float, writers: int, watchers: int,
        data_dir: str | None, pods: bool = True,
        event_ttl: str = "60s") -> tuple[list[str], dict[str, Any]]:
    proc, url, _tmp = serve(data_dir, event_ttl)
    try:
        requests.post(url + "/api/v1/namespaces", json={"metadata": {"name": NS}}, timeout=30)
        soak = Soak(url, seconds, interval)
        threads = [threading.Thread(target=soak.writer, args=(i, 200), daemon=True)
                   for i in range(writers)]
        threads += [threading.Thread(target=soak.watcher, daemon=True) for _ in range(watchers)]
        threads += [threading.Thread(target=soak.lister, daemon=True)]
        if pods:
            threads.append(threading.Thread(target=soak.pods, daemon=True))
        start_rss = rss_mib(proc.pid)
        t0 = time.monotonic()
        for t in threads:
            t.start()
        rows = [("| elapsed | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
                 "| watch events | relists | server RSS MiB |"),
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        rss = [start_rss]
        #: (seconds elapsed, RSS) at the end of each interval
        series: list[tuple[float, float]] = []
        k = 0
        while soak.live():
            k += 1
            time.sleep(max(0.0, t0 + k * interval - time.monotonic()))
            w = soak.take()
            rss.append(rss_mib(proc.pid))
            secs = round(k * interval)
            series.append((secs, rss[-1]))
            label = f"{secs // 60}:{secs % 60:02d}"
            rows.append(f"| {label} | {len(w.lat)} | {len(w.lat) / interval:.0f} | "
                        f"{_ms(w.lat, 0.5)} | {_ms(w.lat, 0.95)} | {_ms(w.lat, 0.99)} | "
                        f"{max(w.lat) * 1000 if w.lat else 0:.1f} | {w.errors} | {w.events} | "
                        f"{w.relists} | {rss[-1]:.0f} |")
            print(rows[-1], flush=True)
        for t in threads:
            t.join(90)
        stored = {}
        for kind, path in (("ConfigMaps", f"/api/v1/namespaces/{NS}/configmaps"),
                           ("Pods", "/api/v1/pods"), ("Events", "/api/v1/events")):
            stored[kind] = len(requests.get(url + path, timeout=60).json()["items"])
        summary = {"stored": stored, "rss_start_mib": start_rss, "rss_end_mib": rss[-1],
                   "rss_after_first_interval_mib": rss[1] if len(rss) > 1 else start_rss,
                   "rss_max_mib": max(rss), "rss_series": series}
        return rows, summary
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


MARK = "Written by `bench/soak.py --write`."


def _label(secs: float) -> str:
    secs = round(secs)
    return f"{secs // 60}:{secs % 60:02d}"


def settled(series: list[tuple[float, float]]) -> str:
    """RSS over the last third of the run (two intervals at least), once warm-up is over."""
    if len(series) < 3:
        return ""
    late = series[-max(2, len(series) // 3):]
    (t0, r0), (t1, r1) = late[0], late[-1]
    return (f" Last {len(late)} intervals ({_label(t0)} to {_label(t1)}): RSS {r0:.0f} → "
            f"{r1:.0f} MiB ({(r1 - r0) / (t1 - t0) * 60:+.1f} MiB a minute).")


def markdown(rows: list[str], summary: dict[str, Any], argv: list[str], seconds: float,
             writers: int, watchers: int, data_dir: str | None, pods: bool = True,
             event_ttl: str = "60s") -> str:
    growth = summary["rss_end_mib"] - summary["rss_after_first_interval_mib"]
    return "\n".join([
        "## Soak",
        "",
        (f"`python -m bench.soak {' '.join(argv)}`: {seconds:.0f} s against `minik8s serve "
         f"--event-ttl {event_ttl}` (all controllers{', --data-dir' if data_dir else ''}) in its "
         f"own process; {writers} ConfigMap writers (create/update/delete over 200 names each, "
         f"~1 KiB objects), {'a pod writer, ' if pods else ''}{watchers} watchers resuming from "
         "their last resourceVersion, a lister (`limit=500` every 0.5 s). Events expire "
         f"{event_ttl} after their last write (the default, as kube-apiserver's, is 1h), so the "
         "Events the pod churn records reach their steady state within the run. Latency is per "
         "request, client side, all verbs together; RSS is the server process's at the end of "
         "each interval."),
        "",
        *rows,
        "",
        f"Server RSS: {summary['rss_start_mib']:.0f} MiB at start, "
        f"{summary['rss_after_first_interval_mib']:.0f} MiB after the first interval, "
        f"{summary['rss_end_mib']:.0f} MiB at the end ({growth:+.0f} MiB after the first "
        f"interval; max {summary['rss_max_mib']:.0f} MiB)."
        + settled(summary.get("rss_series") or [])
        + " Stored at the end: "
        + ", ".join(f"{n} {k}" for k, n in summary["stored"].items())
        + ". " + MARK,
        "",
    ])


def write_section(text: str) -> str:
    """Put ``text`` in as the Soak section; prose written under an earlier one's generated
    part (after ``MARK``) stays."""
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        doc = f.read()
    start = doc.find("\n## Soak\n")
    if start >= 0:
        end = doc.find("\n## ", start + 1)
        end = end if end >= 0 else len(doc)
        mark = doc.find(MARK, start, end)
        prose = doc[mark + len(MARK):end].strip("\n") if mark >= 0 else ""
        section = text + ("\n" + prose + "\n" if prose else "")
        doc = doc[:start + 1] + section + "\n" + doc[end + 1:]
    else:
        at = doc.find("\n## How to run")
        doc = (doc[:at + 1] + text + "\n" + doc[at + 1:]) if at >= 0 else doc + "\n" + text
    with open(path, "w") as f:
        f.write(doc)
    return path


def write_cost(n: int = 2000) -> str:
    """Per-write cost of durability, in process (no HTTP): ``n`` ConfigMap creates into a
    cluster in memory, with ``--data-dir`` and ``sync=normal``, and with ``sync=full``."""
    import asyncio
    import gc
    import shutil

    from minik8s.cluster import Cluster
    from minik8s.config import ClusterConfig, DurabilityConfig

    async def one(durability: DurabilityConfig) -> list[float]:
        async with Cluster(ClusterConfig(durability=durability), serve=False,
                           dns_port=None) as c:
            res = c.table.by_key("configmaps")
            assert res is not None
            gc.collect()
            gc.freeze()
            lat = []
            for i in range(n):
                t = time.perf_counter()
                c.registry.create(res, "default", {"metadata": {"name": f"b{i}"},
                                                   "data": {"k": "v" * 1024}})
                lat.append(time.perf_counter() - t)
            gc.unfreeze()
            return lat

    rows = ["| storage | mean µs | p50 µs | p95 µs | p99 µs |", "|---|---:|---:|---:|---:|"]
    for name, sync in (("memory only", None), ("--data-dir, sync normal", "normal"),
                       ("--data-dir, sync full", "full")):
        tmp = tempfile.mkdtemp(prefix="minik8s-cost-", dir=ROOT)  # a real disk, not tmpfs
        try:
            d = DurabilityConfig(data_dir=tmp, sync=sync) if sync else DurabilityConfig()
            lat = sorted(asyncio.run(one(d)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        pct = [lat[int(q * (len(lat) - 1))] * 1e6 for q in (0.5, 0.95, 0.99)]
        rows.append(f"| {name} | {sum(lat) / len(lat) * 1e6:.0f} | "
                    + " | ".join(f"{p:.0f}" for p in pct) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    # warm-up takes minutes: the watch history (10,000 writes a resource) and the scheduler's
    # cache of parsed pods (4,096) fill at the pod writer's ~8 pods a second
    ap.add_argument("--seconds", type=float, default=600, help="how long (default 600)")
    ap.add_argument("--interval", type=float, default=None,
                    help="seconds per table row (default 60, or seconds/5 for short runs)")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--watchers", type=int, default=3)
    ap.add_argument("--data-dir", default=None, help="soak the durable path (--data-dir)")
    ap.add_argument("--event-ttl", default="60s", metavar="DURATION",
                    help="the server's --event-ttl (default 60s: steady within a 5-minute run)")
    ap.add_argument("--no-pods", action="store_true",
                    help="no pod writer (no scheduler, kubelet or Events at work)")
    ap.add_argument("--write", action="store_true", help="put the table into docs/performance.md")
    ap.add_argument("--write-cost", action="store_true",
                    help="only measure what durability costs per write (in process) and print it")
    args = ap.parse_args(argv)
    if args.write_cost:
        print(write_cost())
        return 0
    interval = args.interval or (60.0 if args.seconds >= 300 else max(args.seconds / 5, 1.0))
    rows, summary = run(args.seconds, interval, args.writers, args.watchers, args.data_dir,
                        not args.no_pods, args.event_ttl)
    text = markdown(rows, summary, sys.argv[1:] if argv is None else argv, args.seconds,
                    args.writers, args.watchers, args.data_dir, not args.no_pods,
                    args.event_ttl)
    if args.write:
        print(f"wrote the Soak section of {write_section(text)}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
