"""A minimal reconcile loop: committed writes → de-duplicated keys → reconcile functions.

Each controller declares which resources wake it and maps an event to the
keys it reconciles; the loop de-duplicates keys and calls the reconcile
function with the key, never with the event, so controllers stay
level-triggered. ``settle()`` returns when no key is pending.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Iterable
from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.registry.registry import Registry

log = logging.getLogger("minik8s.runtime")

Obj = dict[str, Any]
Mapper = Callable[[Resource, str, Obj, "Obj | None"], Iterable[Any]]
Reconcile = Callable[[Any], None]


class Controller:
    def __init__(self, name: str, watches: Iterable[str], mapper: Mapper, reconcile: Reconcile) -> None:
        self.name = name
        self.watches = frozenset(watches)
        self.mapper = mapper
        self.reconcile = reconcile


class Dispatcher:
    def __init__(self, registry: Registry) -> None:
        self.reg = registry
        self.controllers: list[Controller] = []
        self._pending: collections.OrderedDict[tuple[str, Any], Controller] = collections.OrderedDict()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        registry.after_write(self._on_write)

    def add(self, c: Controller) -> None:
        self.controllers.append(c)

    def enqueue(self, c: Controller, key: Any) -> None:
        self._pending[(c.name, key)] = c
        self._idle.clear()
        self._wake.set()

    def _on_write(self, res: Resource, etype: str, obj: Obj, old: Obj | None) -> None:
        for c in self.controllers:
            if "*" in c.watches or res.key in c.watches:
                for key in c.mapper(res, etype, obj, old):
                    self.enqueue(c, key)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="minik8s-dispatch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def run_pending(self, limit: int = 100_000) -> int:
        """Drain the queue synchronously (keys added meanwhile run too)."""
        n = 0
        while self._pending and n < limit:
            (name, key), c = self._pending.popitem(last=False)
            n += 1
            try:
                c.reconcile(key)
            except errors.ApiError as e:
                log.debug("%s: reconcile %r: %s", name, key, e)
            except Exception:
                log.exception("%s: reconcile %r failed", name, key)
        if not self._pending:
            self._idle.set()
        return n

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self.run_pending(1000)
            if self._pending:
                self._wake.set()
            await asyncio.sleep(0)

    async def settle(self) -> None:
        while self._pending:
            self.run_pending()
            await asyncio.sleep(0)
