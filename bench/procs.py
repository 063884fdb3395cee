"""Process plumbing for the runner: start a server process, talk to its control
channel, run one load job in its own pinned process.

Every process started here is stopped here, by its own pid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from typing import Any, Self

Obj = dict[str, Any]

SERVER_CPU = 0
LOAD_CPU = 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def http_json(method: str, url: str, body: Obj | None = None, timeout: float = 600) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


class Server:
    """``python -m bench.server`` in its own process; stop by closing its stdin.

    ``controllers`` as ``ClusterConfig.controllers`` (comma list): empty by default, so
    figures are the API server's own, as kube-apiserver's are measured; ``"*"`` runs what
    ``minik8s serve`` runs (scheduler, kubelet, ...)."""

    def __init__(self, kind: str = "minik8s", controllers: str = "") -> None:
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--kind", kind, "--cpu", str(SERVER_CPU),
             "--controllers", controllers],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=_env(), text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise RuntimeError(f"bench.server --kind {kind} exited with {self.proc.returncode}")
        info = json.loads(line)
        self.url: str = info["url"]
        self.control: str = info["control"]
        self.pid: int = info["pid"]
        self.loop: str = info["loop"]

    def call(self, path: str, body: Obj | None = None) -> Any:
        return http_json("POST" if body is not None else "GET", self.control + path, body)

    def preload(self, namespace: str, count: int, prefix: str = "pre-") -> Obj:
        return self.call("/preload", {"namespace": namespace, "count": count, "prefix": prefix})  # type: ignore[no-any-return]

    def stats(self) -> Obj:
        return self.call("/stats")  # type: ignore[no-any-return]

    def gc(self, **kw: Any) -> Obj:
        return self.call("/gc", kw)  # type: ignore[no-any-return]

    def ensure_namespace(self, ns: str) -> None:
        self.preload(ns, 0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def load(job: Obj, server: Server, timeout: float = 600) -> Obj:
    """Run one job in ``python -m bench.load`` on the load core; its JSON result."""
    job = dict(job, server_pid=server.pid, cpu=LOAD_CPU)
    job.setdefault("url", server.url)
    job.setdefault("control", server.control)
    p = subprocess.run([sys.executable, "-m", "bench.load"], input=json.dumps(job).encode(),
                       capture_output=True, cwd=ROOT, env=_env(), timeout=timeout, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"bench.load failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def wait_http(url: str, deadline: float) -> bool:
    """Poll ``url`` until it answers 200 or ``deadline`` (perf_counter) passes."""
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.002)
    return False
