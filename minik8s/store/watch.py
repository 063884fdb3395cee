"""One watcher: a bounded queue of events with a filter.

Writers never wait on watchers: ``offer`` never blocks. A watcher whose queue
is full is overrun: it stops receiving and its consumer sees ``Overrun``,
which the server turns into a 410 Expired, as kube-apiserver's watch cache
does for a consumer that cannot keep up. The consumer relists and rewatches.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minik8s.store.store import Event

DEFAULT_QUEUE = 10_000


class TooOld(Exception):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"too old resource version: {requested} ({current})")
        self.requested, self.current = requested, current


class Overrun(Exception):
    pass


class Closed(Exception):
    pass


class Watcher:
    """Receives (type, obj, rv) for events matching its filter.

    With a filter, an object that stops matching is delivered as DELETED and
    one that starts matching as ADDED, like kube-apiserver's cacher.
    """

    def __init__(self, matches: Callable[[dict[str, Any]], bool] | None, size: int,
                 registry: set[Watcher]) -> None:
        self._matches = matches
        self._size = size
        self._q: collections.deque[tuple[str, dict[str, Any], int]] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._registry = registry
        self.overrun = False
        self.closed = False
        #: called once, from the writer's commit, when the watcher is overrun: lets a
        #: consumer stuck in a blocked write give up (the HTTP stream aborts its socket)
        self.on_overrun: Callable[[], None] | None = None
        #: called from the writer's commit when the queue stops being empty, and on
        #: overrun and close: lets a consumer be pushed to instead of waiting on ``wait``
        #: (the HTTP stream flushes every ready watcher in one loop callback). It must
        #: not raise and must not write to the store.
        self.notify: Callable[[], None] | None = None

    def offer(self, ev: Event) -> bool:
        """Queue an event if it concerns us. False: drop this watcher."""
        if self.closed:
            return False
        m = self._matches
        if m is None:
            item = ev.item
        else:
            new_ok = m(ev.obj)
            if ev.type == "ADDED":
                if not new_ok:
                    return True
                item = ev.item
            elif ev.type == "DELETED":
                if not (ev.old is not None and m(ev.old)) and not new_ok:
                    return True
                item = ev.item
            else:
                old_ok = ev.old is not None and m(ev.old)
                if new_ok and old_ok:
                    item = ev.item
                elif new_ok:
                    item = ("ADDED", ev.obj, ev.rv)
                elif old_ok:
                    item = ("DELETED", ev.obj, ev.rv)
                else:
                    return True
        if len(self._q) >= self._size:
            self.overrun = True
            self._q.clear()
            self._wake()
            if self.on_overrun is not None:
                self.on_overrun()
            return False
        q = self._q
        q.append(item)
        if len(q) == 1:
            self._wake()
        return True

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
        if self.notify is not None:
            self.notify()

    def pending(self) -> int:
        return len(self._q)

    def get_nowait(self) -> tuple[str, dict[str, Any], int] | None:
        if self.overrun:
            raise Overrun()
        if self._q:
            return self._q.popleft()
        if self.closed:
            raise Closed()
        return None

    def take_all(self) -> list[tuple[str, dict[str, Any], int]]:
        """Every queued event, oldest first (empty if none); ``Overrun`` or ``Closed``
        as ``get_nowait`` raises them."""
        if self.overrun:
            raise Overrun()
        q = self._q
        if q:
            items = list(q)
            q.clear()
            return items
        if self.closed:
            raise Closed()
        return []

    async def wait(self) -> None:
        """Return once an event (or overrun/close) is ready, without taking it."""
        while not self._q and not self.overrun and not self.closed:
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def get(self) -> tuple[str, dict[str, Any], int]:
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def close(self) -> None:
        self.closed = True
        self._registry.discard(self)
        self._wake()
