"""Test-facing cluster handles: the same operations for sync and async tests.

``TestCluster`` (sync) runs the cluster on its own event loop in a thread,
so plain test functions, subprocesses (kubectl) and blocking client
libraries all work. ``AsyncTestCluster`` runs it on the test's own loop and
offers the same operations as coroutines. Both serve HTTP on a free port and
DNS on another, and default to the virtual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.snapshot import Snapshot

Obj = dict[str, Any]
TEST_MANAGER = "minik8s-test"


def load_manifests(manifest: str | os.PathLike[str] | Obj | Iterable[Obj]) -> list[Obj]:
    """YAML text (multi-document), a path to a file or directory, a dict, or dicts."""
    if isinstance(manifest, dict):
        docs: list[Any] = [manifest]
    elif isinstance(manifest, (str, os.PathLike)) and not (isinstance(manifest, str) and "\n" in manifest) \
            and pathlib.Path(manifest).exists():
        p = pathlib.Path(manifest)
        files = sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
        docs = [d for f in files for d in yaml.safe_load_all(f.read_text())]
    elif isinstance(manifest, str):
        docs = list(yaml.safe_load_all(manifest))
    else:
        docs = list(manifest)  # type: ignore[arg-type]
    out: list[Obj] = []
    for d in docs:
        if not d:
            continue
        if d.get("kind", "").endswith("List") and "items" in d:
            out += [i for i in d["items"] if i]
        else:
            out.append(d)
    return out


class _Common:
    cluster: Cluster

    @property
    def client(self) -> Any:
        return self.cluster.client

    @property
    def api_url(self) -> str:
        return self.cluster.url

    @property
    def kubeconfig_path(self) -> str:
        return self.cluster.kubeconfig_path

    @property
    def dns_address(self) -> tuple[str, int] | None:
        return self.cluster.dns_address

    def _apply_now(self, manifest: Any, namespace: str) -> list[Obj]:
        out = []
        client = self.cluster.client  # runs on the cluster's loop (TestCluster._run)
        for doc in load_manifests(manifest):
            doc = {**doc, "metadata": dict(doc.get("metadata") or {})}  # never edit the caller's dict
            md = doc["metadata"]
            res = client.resource(doc["apiVersion"], doc["kind"])
            if res.namespaced:
                md.setdefault("namespace", namespace)
            out.append(client.apply(doc, manager=TEST_MANAGER, force=True))
        return out

    @contextlib.contextmanager
    def as_current_kubeconfig(self) -> Iterator[str]:
        """Point ``$KUBECONFIG`` (and an already imported ``kubernetes`` client's default
        location, which it reads once at import) at this cluster, for code under test that
        loads "the" kubeconfig itself — operators, CLIs."""
        old_env = os.environ.get("KUBECONFIG")
        os.environ["KUBECONFIG"] = self.kubeconfig_path
        kc = sys.modules.get("kubernetes.config.kube_config")
        old_default = getattr(kc, "KUBE_CONFIG_DEFAULT_LOCATION", None)
        if kc is not None:
            kc.KUBE_CONFIG_DEFAULT_LOCATION = self.kubeconfig_path  # type: ignore[attr-defined]
        try:
            yield self.kubeconfig_path
        finally:
            if old_env is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = old_env
            if kc is not None:
                kc.KUBE_CONFIG_DEFAULT_LOCATION = old_default  # type: ignore[attr-defined]

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                version: str | None = None, timeout: float = 60) -> str:
        """Run the installed kubectl against this cluster; returns stdout."""
        exe = shutil.which(f"kubectl.{version}") if version else None
        if version and exe is None:
            base = os.path.dirname(os.path.realpath(shutil.which("kubectl") or "kubectl"))
            exe = os.path.join(base, f"kubectl.{version}")
        exe = exe or shutil.which("kubectl") or "kubectl"
        cache = getattr(self, "_kubectl_cache", None)
        if cache is None:
            cache = self._kubectl_cache = tempfile.mkdtemp(prefix="minik8s-kubectl-")
        p = subprocess.run([exe, "--kubeconfig", self.kubeconfig_path, "--cache-dir", cache, *args],
                           input=input, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {p.returncode}\n{p.stderr}")
        return p.stdout

    def _cleanup_kubectl(self) -> None:
        cache = getattr(self, "_kubectl_cache", None)
        if cache:
            shutil.rmtree(cache, ignore_errors=True)

    def dump(self) -> str:
        """A ``kubectl get all -A``-style listing plus the event log, for failure reports."""
        lines = []
        reg = self.cluster.registry
        for res in reg.table:
            if res.virtual or res.key in ("events", "events.events.k8s.io"):
                continue
            objs = reg.store.resource(res.key).objects
            if not objs or res.key in ("configmaps", "serviceaccounts", "leases.coordination.k8s.io"):
                continue
            lines.append(f"== {res.key} ({len(objs)})")
            for (ns, name), o in sorted(objs.items()):
                phase = (o.get("status") or {}).get("phase", "")
                node = (o.get("spec") or {}).get("nodeName", "") if res.key == "pods" else ""
                lines.append(f"  {ns + '/' if ns else ''}{name} {phase} {node}".rstrip())
        lines.append("== events")
        for e in sorted(reg.store.resource("events").objects.values(),
                        key=lambda e: (e.get("lastTimestamp") or "", e["metadata"]["name"])):
            io = e.get("involvedObject") or {}
            lines.append(f"  {e.get('lastTimestamp', '')} {e.get('type', '')} {e.get('reason', '')} "
                         f"{io.get('kind', '')}/{io.get('name', '')}: {e.get('message', '')}")
        return "\n".join(lines)


class _ThreadSafeClient:
    """The in-process client, with every call run on the cluster's own loop thread."""

    def __init__(self, owner: "TestCluster") -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._owner.cluster.client, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._owner._run(lambda: target(*args, **kwargs))
        return call


class TestCluster(_Common):
    """A cluster on a background thread: synchronous methods, usable from any test.

    ``client`` calls run on the cluster's loop thread, so tests (and threads they
    start) can use it while HTTP clients and controllers work concurrently."""

    __test__ = False  # not a test class

    @property
    def client(self) -> Any:
        return _ThreadSafeClient(self)

    def __init__(self, config: ClusterConfig | None = None, *, clock: str = "virtual",
                 snapshot: Snapshot | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="minik8s-test", daemon=True)
        self._thread.start()
        self.cluster = self._call(self._make(config, clock, snapshot))

    async def _make(self, config: ClusterConfig | None, clock: str, snapshot: Snapshot | None) -> Cluster:
        c = Cluster(config, clock=clock, snapshot=snapshot)
        await c.start()
        return c

    def _call(self, coro: Any, timeout: float | None = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if threading.current_thread() is self._thread:
            return fn(*args)  # already on the loop (a wait_for predicate using ``client``)

        async def go() -> Any:
            return fn(*args)
        return self._call(go())

    def settle(self, timeout: float = 10.0) -> None:
        self._call(self.cluster.settle(timeout))

    def advance(self, seconds: float) -> None:
        self._call(self.cluster.advance(seconds))

    def apply(self, manifest: Any, namespace: str = "default") -> list[Obj]:
        out = self._run(self._apply_now, manifest, namespace)
        self.settle()
        return out  # type: ignore[no-any-return]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, step: float = 1.0) -> Any:
        """Until ``predicate()`` is truthy: settling, then advancing virtual time by ``step``
        (or sleeping, on the real clock), for at most ``timeout`` seconds of cluster time."""
        waited = 0.0
        while True:
            self.settle()
            value = self._run(predicate)
            if value:
                return value
            if waited >= timeout:
                raise TimeoutError(f"condition not met within {timeout}s")
            if self.cluster.clock.virtual:
                self.advance(step)
            else:
                time.sleep(min(step, 0.05))
                step = min(step, 0.05)
            waited += step

    def snapshot(self) -> Snapshot:
        self.settle()
        return self._run(self.cluster.snapshot)  # type: ignore[no-any-return]

    def fork(self) -> "TestCluster":
        return TestCluster(self.cluster.config, clock="virtual" if self.cluster.clock.virtual else "real",
                           snapshot=self.snapshot())

    def close(self) -> None:
        try:
            self._call(self.cluster.stop(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            self.loop.close()
            self._cleanup_kubectl()


class AsyncTestCluster(_Common):
    """A cluster on the test's own event loop: the same operations, as coroutines."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @classmethod
    async def start(cls, config: ClusterConfig | None = None, *, clock: str = "virtual",
                    snapshot: Snapshot | None = None) -> "AsyncTestCluster":
        c = Cluster(config, clock=clock, snapshot=snapshot)
        await c.start()
        return cls(c)

    async def settle(self, timeout: float = 10.0) -> None:
        await self.cluster.settle(timeout)

    async def advance(self, seconds: float) -> None:
        await self.cluster.advance(seconds)

    async def apply(self, manifest: Any, namespace: str = "default") -> list[Obj]:
        out = self._apply_now(manifest, namespace)
        await self.settle()
        return out

    async def kubectl_async(self, *args: str, **kw: Any) -> str:
        return await asyncio.to_thread(self.kubectl, *args, **kw)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, step: float = 1.0) -> Any:
        waited = 0.0
        while True:
            await self.settle()
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if waited >= timeout:
                raise TimeoutError(f"condition not met within {timeout}s")
            if self.cluster.clock.virtual:
                await self.advance(step)
            else:
                await asyncio.sleep(min(step, 0.05))
                step = min(step, 0.05)
            waited += step

    async def snapshot(self) -> Snapshot:
        await self.settle()
        return self.cluster.snapshot()

    async def close(self) -> None:
        await self.cluster.stop()
        self._cleanup_kubectl()
