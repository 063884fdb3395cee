"""The composition root: builds the store, registry, server and controllers, and runs them.

``async with Cluster() as c:`` starts an in-memory cluster serving HTTP on a
free port (``c.url``, ``c.kubeconfig_path``) with an in-process client
(``c.client``). ``settle()`` runs controllers until nothing is pending.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
import ipaddress
import os
import random
import secrets
import socket
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from minik8s import bootstrap, kubeconfig
from minik8s.aio.clock import Clock, RealClock, VirtualClock
from minik8s.api.resources import ResourceTable, builtin_resources
from minik8s.client.client import Client
from minik8s import snapshot as snapshot_mod
from minik8s.config import ClusterConfig
from minik8s.snapshot import Snapshot
from minik8s.dns import feed as dns_feed
from minik8s.dns.records import DnsIndex
from minik8s.dns.server import DnsServer
from minik8s import controllers
from minik8s.registry import admission, names
from minik8s.registry.registry import Registry
from minik8s.runtime import gcpolicy
from minik8s.runtime.informer import InformerFactory
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.manager import Manager
from minik8s.server.app import HTTP_LIMITS, ApiServer
from minik8s.store.store import Store


if TYPE_CHECKING:
    from minik8s.auth.component import Auth
    from minik8s.persist import Database

#: components that live outside minik8s.controllers
COMPONENT_MODULES = {"scheduler": "minik8s.scheduler.scheduler", "kubelet": "minik8s.sim.kubelet",
                     "metrics": "minik8s.metrics.component"}


def enabled_components(spec: list[str]) -> list[str]:
    """``--controllers``-style list → names in start order."""
    names: list[str] = []
    if "*" in spec:
        names = list(controllers.DEFAULT)
    for item in spec:
        if item.startswith("-"):
            if item[1:] in names:
                names.remove(item[1:])
        elif item != "*" and item not in names:
            names.append(item)
    return names


def component_setup(name: str) -> Callable[[ControllerContext], None]:
    module = COMPONENT_MODULES.get(name, f"minik8s.controllers.{name}")
    try:
        missing = importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        missing = True
    if missing:
        return lambda ctx: None  # not built yet; see docs/emulation.md
    return importlib.import_module(module).setup  # type: ignore[no-any-return]


class Cluster:
    def __init__(self, config: ClusterConfig | None = None, *, clock: str | Clock = "real",
                 host: str = "127.0.0.1", port: int = 0, serve: bool = True,
                 kubeconfig_path: str | None = None, dns_port: int | None = 0,
                 snapshot: Snapshot | None = None) -> None:
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
        #: authentication/authorization (minik8s.auth.component.Auth), only when configured
        self.auth: Auth | None = None
        if self.config.auth.enabled:
            from minik8s.auth.component import Auth

            self.auth = Auth(self.config.auth, self.registry)
            self.auth.install(self.registry)
        #: PEM of the CA that signed the serving certificate (``AuthConfig.tls``)
        self.ca_pem: bytes | None = None
        self._unchecked_token: str | None = None
        #: the data directory's database (``DurabilityConfig``), when there is one
        self.database: Database | None = None
        durability = self.config.durability
        if durability.data_dir is not None:
            from minik8s.persist import Database

            self.database = Database(durability.data_dir, sync=durability.sync,
                                     history=durability.event_history)
            if snapshot is None:
                snapshot = self.database.load()  # None: a new data directory
        self._from_snapshot = snapshot is not None
        if snapshot is not None:
            snapshot_mod.restore_into(self, snapshot)
        if self.database is not None:
            # every committed write from now on (bootstrap included) is persisted
            self.store.on_write(self.database.record)
        self.informers = InformerFactory(self.registry)
        self.manager = Manager(self.clock)
        self.context = ControllerContext(self.manager, self.informers, self.client, self.clock,
                                         self.config, seed)
        for name in enabled_components(self.config.controllers):
            component_setup(name)(self.context)
        self.api = ApiServer(self.registry, self.clock, f"{host}:{port}")
        if self.auth is not None:
            self.api.auth_middleware = self.auth.middleware()
        metrics_api = self.context.shared.get("metrics_api")
        if metrics_api is not None:
            from minik8s.metrics.api import DISCOVERY, PREFIX

            self.api.groups[PREFIX] = metrics_api.handle
            self.api.discovery.add_static_group("metrics.k8s.io", "v1beta1", DISCOVERY)
        self.dns_index = DnsIndex(self.config.cluster_domain, self.config.dns_ttl)
        dns_feed.feed(self.dns_index, self.informers)
        self.dns_port = dns_port
        self.dns: DnsServer | None = None
        self._runner: web.AppRunner | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._kubeconfig_path = kubeconfig_path
        self.url = ""

    @property
    def kubeconfig_path(self) -> str:
        assert self._kubeconfig_path, "cluster not started with serve=True"
        return self._kubeconfig_path

    async def start(self) -> "Cluster":
        if not self._from_snapshot:
            bootstrap.bootstrap(self.client, self.config, self.port or 6443)
        self.manager.start()
        await self.manager.settle()
        if self.serve:
            await self._serve()
        return self

    async def _serve(self) -> None:
        app = self.api.app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.1, **HTTP_LIMITS)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        ssl_context = None
        if self.config.auth.serve_tls:
            from minik8s.auth import tls

            certs = tls.generate([self.host], self.config.cluster_domain, str(
                ipaddress.ip_network(self.config.service_cidr).network_address + 1))
            ssl_context, self.ca_pem = certs.server_context(), certs.ca_pem
        site = web.SockSite(self._runner, sock, ssl_context=ssl_context)
        await site.start()
        self.api.discovery.server_address = f"{self.host}:{self.port}"
        self.url = f"{'https' if ssl_context else 'http'}://{self.host}:{self.port}"
        if self.dns_port is not None:
            self.dns = DnsServer(self.dns_index, self.host, self.dns_port)
            await self.dns.start()
        if self._kubeconfig_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="minik8s-")
            self._kubeconfig_path = os.path.join(self._tmpdir.name, "kubeconfig")
        kubeconfig.write_standalone(self._kubeconfig_path, self.url, token=self.admin_token,
                                    ca_pem=self.ca_pem)

    @property
    def admin_token(self) -> str | None:
        """The bearer token of a cluster admin (``system:masters``) when auth is on; with TLS
        but no auth an unchecked token (kubectl prompts for a password on https without one)."""
        if self.auth is not None:
            return self.auth.admin_token
        if self.ca_pem is not None:
            if self._unchecked_token is None:
                self._unchecked_token = secrets.token_urlsafe(32)
            return self._unchecked_token
        return None

    @property
    def dns_address(self) -> tuple[str, int] | None:
        """(host, port) of the cluster DNS server, when serving."""
        return None if self.dns is None else self.dns.address

    def snapshot(self) -> Snapshot:
        """The cluster's state as a value; ``Cluster(snapshot=s)`` forks a new cluster from it."""
        return snapshot_mod.take(self)

    def route(self, url: str, ingress_class: str | None = None) -> Any:
        """Which Service, port and endpoints an Ingress would route ``url`` to (or None)."""
        from minik8s.api import ingress_routes

        ingresses = self.store.resource("ingresses.networking.k8s.io").objects.values()
        svc = self.store.resource("services")
        eps = self.store.resource("endpoints")
        return ingress_routes.resolve(
            url, list(ingresses), ingress_class=ingress_class,
            endpoints_of=lambda ns, name, port: ingress_routes.endpoint_addresses(
                eps.objects.get((ns, name)), svc.objects.get((ns, name)), port))

    async def stop(self) -> None:
        await self.manager.stop()
        if self.dns is not None:
            await self.dns.stop()
            self.dns = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
        if self.database is not None:
            self.database.close()
            self.database = None

    async def __aenter__(self) -> "Cluster":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def settle(self, timeout: float = 10.0) -> None:
        """Run controllers until every queue is empty and no timer is due now."""
        await asyncio.wait_for(self.manager.settle(), timeout)

    async def advance(self, seconds: float) -> None:
        """Virtual clock: fire every timer due in the next ``seconds``, in order, settling between."""
        await self.manager.advance(seconds)

    def tune_gc_for_serving(self) -> None:
        """``gcpolicy.tune_for_serving``: freeze what exists, leave full collections to
        explicit calls (``minik8s serve``). Process-wide: not for a test process hosting
        many clusters."""
        gcpolicy.tune_for_serving()

    def freeze_gc(self) -> None:
        """Move everything allocated so far out of the cyclic GC's reach (long-lived state)."""
        gc.collect()
        gc.freeze()
