"""Where the server's time goes: py-spy samples of the minik8s process under load.

Optional (``--profile``; needs ``py-spy`` on PATH, not a project dependency).
For each workload the server is sampled while the load process runs; the
collapsed stacks give each function's *self* share (leaf frames) and the
*inclusive* share of minik8s functions (on the stack at all). Idle samples
(the event loop waiting in ``select``/``epoll``) are dropped before shares are
computed, so percentages are of busy time.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import tempfile
from typing import Any

from bench import procs, report

Obj = dict[str, Any]

_FRAME = re.compile(r"^(?P<fn>.+?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")
#: leaf frames that mean "the event loop is waiting" (uvloop's wait is in C, under Runner.run)
IDLE = {"asyncio/runners.py:Runner.run", "uvloop/__init__.py:run", "selectors.py:EpollSelector.select",
        "asyncio/base_events.py:BaseEventLoop._run_once"}


def _short(file: str) -> str:
    if file.startswith("minik8s/"):
        return file
    for marker in ("/minik8s/", "/site-packages/", "/lib/python3.11/", "/lib/python3"):
        if marker in file:
            tail = file.split(marker, 1)[1]
            return ("minik8s/" + tail) if marker == "/minik8s/" else tail
    return file


def parse(raw_path: str) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """(busy samples, self samples by function, inclusive samples of minik8s functions)."""
    self_c: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    busy = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack or not n.isdigit():
                continue
            frames = []
            for fr in stack.split(";"):
                m = _FRAME.match(fr)
                frames.append(f"{_short(m['file'])}:{m['fn']}" if m else fr)
            if not frames or frames[-1] in IDLE:
                continue
            count = int(n)
            busy += count
            self_c[frames[-1]] += count
            for fr in set(frames):
                if fr.startswith("minik8s/"):
                    incl[fr] += count
    return busy, self_c, incl


def _sample(pid: int, seconds: float, out: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["py-spy", "record", "-p", str(pid), "-d", str(int(seconds)),
                             "-r", "250", "-f", "raw", "-o", out, "--nonblocking",
                             "--full-filenames"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


WORKLOADS: list[tuple[str, Obj, int]] = [
    # (name, load job, pods to preload in namespace "bench"; -1: none, controllers on)
    ("pod creates", {"mode": "http", "method": "POST", "path": "/api/v1/namespaces/bench/pods",
                     "body": "pod", "namespace": "bench", "prefix": "prof-", "concurrency": 16,
                     "duration": 6.0}, 0),
    ("single GETs", {"mode": "http", "method": "GET", "path": "/api/v1/namespaces/bench/pods/{i}",
                     "mod": 1000, "prefix": "pre-", "concurrency": 16, "duration": 6.0}, 1000),
    ("LIST 10k", {"mode": "http", "method": "GET", "path": "/api/v1/namespaces/bench/pods",
                  "concurrency": 1, "duration": 6.0}, 10_000),
    ("pod creates, default controllers running",
     {"mode": "http", "method": "POST", "path": "/api/v1/namespaces/bench/pods", "body": "pod",
      "namespace": "bench", "prefix": "prof-", "concurrency": 16, "duration": 6.0}, -1),
    ("watch fan-out", {"mode": "watch", "namespace": "bench", "watchers": 100, "singles": 100,
                       "burst": 2000, "gap": 0.01}, 0),
]


def profile(quick: bool) -> report.Section:
    sec = report.Section("profile", "Where the server's time goes (py-spy)")
    if shutil.which("py-spy") is None:
        sec.text("py-spy is not installed; `pip install py-spy` and rerun with `--profile`.")
        return sec
    sec.text("py-spy sampling the minik8s server process (no controllers unless said) at 250 Hz "
             "while the load runs; shares "
             "are of busy samples (the event loop's idle wait dropped). *self*: the function "
             "was the one running; *inclusive*: a minik8s function on the stack.")
    tmp = tempfile.mkdtemp(prefix="minik8s-prof-")
    raw: Obj = {}
    for name, job, preload in WORKLOADS:
        job = dict(job)
        if quick and "duration" in job:
            job["duration"] = 2.0
        with procs.Server("minik8s", "*" if preload < 0 else "") as s:
            s.preload("bench", max(preload, 0))
            out = os.path.join(tmp, re.sub(r"\W+", "-", name) + ".txt")
            secs = job.get("duration", 6.0) + 1
            spy = _sample(s.pid, secs, out)
            raw[name] = procs.load(job, s)  # py-spy samples meanwhile, in its own process
            spy.wait(60)
        if not os.path.exists(out):
            sec.text(f"**{name}**: py-spy produced no samples (permissions?).")
            continue
        busy, self_c, incl = parse(out)
        if not busy:
            continue
        top_self = [[f"`{fn}`", f"{c / busy * 100:.1f}%"] for fn, c in self_c.most_common(12)]
        top_incl = [[f"`{fn}`", f"{c / busy * 100:.1f}%"] for fn, c in incl.most_common(14)]
        sec.text(f"**{name}** ({busy:,} busy samples)")
        width = max(len(top_self), len(top_incl))
        top_self += [["", ""]] * (width - len(top_self))
        top_incl += [["", ""]] * (width - len(top_incl))
        sec.table(["self", "%", "inclusive (minik8s)", "%"],
                  [a + b for a, b in zip(top_self, top_incl)])
        raw[name + " profile"] = {"busy": busy, "self": self_c.most_common(40),
                                  "inclusive": incl.most_common(40), "file": out}
    sec.raw = raw
    return sec
