"""The composition root: builds the store, registry, server and controllers, and runs them.

``async with Cluster() as c:`` starts an in-memory cluster serving HTTP on a
free port (``c.url``, ``c.kubeconfig_path``) with an in-process client
(``c.client``). ``settle()`` runs controllers until nothing is pending.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import socket
import tempfile
from typing import Any

from aiohttp import web

from minik8s import bootstrap, kubeconfig
from minik8s.aio.clock import Clock, RealClock, VirtualClock
from minik8s.api.resources import ResourceTable, builtin_resources
from minik8s.client.client import Client
from minik8s.config import ClusterConfig
from minik8s.controllers import garbagecollector, namespace, serviceaccount
from minik8s.registry import admission, names
from minik8s.registry.registry import Registry
from minik8s.runtime.dispatch import Dispatcher
from minik8s.server.app import ApiServer
from minik8s.store.store import Store


class Cluster:
    def __init__(self, config: ClusterConfig | None = None, *, clock: str | Clock = "real",
                 host: str = "127.0.0.1", port: int = 0, serve: bool = True,
                 kubeconfig_path: str | None = None) -> None:
        self.config = config or ClusterConfig()
        if isinstance(clock, Clock):
            self.clock = clock
        else:
            self.clock = VirtualClock() if clock == "virtual" else RealClock()
        seed = self.config.seed
        if seed is None and self.clock.virtual:
            seed = 0
        self.host, self.port, self.serve = host, port, serve
        self.table = ResourceTable(builtin_resources())
        self.store = Store(self.config.watch_history, self.config.watch_queue)
        self.names = names.NameGenerator(seed)
        rng = random.Random(seed)
        self.registry = Registry(self.table, self.store, self.clock, self.names,
                                 admission.Allocators(self.config.service_cidr,
                                                      self.config.node_port_range, rng))
        self.client = Client(self.registry)
        self.dispatcher = Dispatcher(self.registry)
        for make in (namespace.controller, serviceaccount.controller, garbagecollector.controller):
            self.dispatcher.add(make(self.client))
        self.api = ApiServer(self.registry, self.clock, f"{host}:{port}")
        self._runner: web.AppRunner | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._kubeconfig_path = kubeconfig_path
        self.url = ""

    @property
    def kubeconfig_path(self) -> str:
        assert self._kubeconfig_path, "cluster not started with serve=True"
        return self._kubeconfig_path

    async def start(self) -> "Cluster":
        bootstrap.bootstrap(self.client, self.config, self.port or 6443)
        self.dispatcher.run_pending()
        self.dispatcher.start()
        if self.serve:
            await self._serve()
        return self

    async def _serve(self) -> None:
        app = self.api.app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.api.discovery.server_address = f"{self.host}:{self.port}"
        self.url = f"http://{self.host}:{self.port}"
        if self._kubeconfig_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="minik8s-")
            self._kubeconfig_path = os.path.join(self._tmpdir.name, "kubeconfig")
        kubeconfig.write_standalone(self._kubeconfig_path, self.url)

    async def stop(self) -> None:
        await self.dispatcher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    async def __aenter__(self) -> "Cluster":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def settle(self, timeout: float = 10.0) -> None:
        """Run controllers until no work is pending."""
        await asyncio.wait_for(self.dispatcher.settle(), timeout)

    def freeze_gc(self) -> None:
        """Move everything allocated so far out of the cyclic GC's reach (long-lived state)."""
        gc.collect()
        gc.freeze()
