"""A cluster served over HTTP from a background thread, and kubectl against it (for e2e tests)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig

KUBECTL_DIR = os.path.dirname(os.path.realpath(shutil.which("kubectl") or "/usr/bin/kubectl"))
KUBECTL_VERSIONS = sorted(
    (f.split(".", 1)[1] for f in os.listdir(KUBECTL_DIR) if f.startswith("kubectl.1.")),
    key=lambda v: tuple(int(x) for x in v.split(".")))


class ServedCluster:
    """A Cluster running on its own event loop in a thread, for sync tests and subprocesses."""

    def __init__(self, **kw: Any) -> None:
        self.loop = asyncio.new_event_loop()
        cfg = kw.setdefault("config", ClusterConfig())
        # a short namespace deletion grace period keeps real-clock tests quick (default 5 s)
        cfg.components.setdefault("namespace", {}).setdefault("deletionGracePeriod", 0.2)
        self.cluster = Cluster(**kw)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.call(self.cluster.start())
        self.cache = tempfile.mkdtemp(prefix="kubectl-cache-")

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, fn: Any, *args: Any) -> Any:
        async def _do() -> Any:
            return fn(*args)
        return self.call(_do())

    @property
    def client(self) -> Any:
        return self.cluster.client

    def settle(self) -> None:
        self.call(self.cluster.settle())

    def kubectl(self, *args: str, version: str | None = None, input: str | None = None,
                check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        exe = os.path.join(KUBECTL_DIR, f"kubectl.{version}") if version else "kubectl"
        cmd = [exe, "--kubeconfig", self.cluster.kubeconfig_path, "--cache-dir", self.cache, *args]
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed rc={p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def close(self) -> None:
        self.call(self.cluster.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
        shutil.rmtree(self.cache, ignore_errors=True)
