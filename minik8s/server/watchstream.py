"""Watch over HTTP: newline-delimited JSON events on a chunked response.

An HTTP/1.0 client cannot take chunks: as Go's ``net/http`` does, its stream
is the bare lines and the end of the body is the closed connection.

Honours ``resourceVersion`` (replay or synthetic ADDED), ``timeoutSeconds``,
``allowWatchBookmarks`` (bookmarks only when asked: ``kubectl get -w`` prints
them as rows otherwise) and Table encoding. A client that goes away is
noticed within a second; an overrun watcher gets ERROR 410 and is closed.

Fan-out is push, not pull: a commit that queues an event on a watcher marks
its stream ready, and one loop callback (``_Flusher``) then writes every ready
stream's queued events straight to its transport, as one HTTP chunk, without
waking the stream's task. Each event's JSON line is built once per flush and
shared by every JSON watcher of that version (the object's bytes come from the
store's per-revision cache, so LIST and GET reuse them). The stream's task only
handles what is slow or rare: timeouts, bookmarks, a full socket, overrun and
disconnects.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import HttpVersion11, web

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.server import negotiation as neg
from minik8s.server import tables
from minik8s.store import watch as _watch

if TYPE_CHECKING:
    from minik8s.aio.clock import Clock
    from minik8s.registry.registry import Registry
    from minik8s.server.paths import Target
    from minik8s.store.store import ResourceStore

log = logging.getLogger("minik8s.server")

#: kube-apiserver's ``--min-request-timeout``; a watch without ``timeoutSeconds`` (or
#: with 0) lasts a random time between this and twice this (``get.go`` ``ListResource``)
MIN_REQUEST_TIMEOUT = 1800.0
BOOKMARK_EVERY = 60.0
POLL = 1.0
#: seconds an overrun watcher's consumer gets to take its 410 before the connection is cut
OVERRUN_GRACE = 10.0
#: bytes a stream's transport may hold unsent before we stop handing it events and wait for
#: the socket to drain (events wait in the watcher's bounded queue meanwhile); at least the
#: transport's own high-water mark, so that waiting on ``drain`` really waits
WRITE_HIGH = 256 * 1024

Item = tuple[str, dict[str, Any], int]


class Shared:
    """What one flush round shares between streams: each event's line per version, and
    the last chunk written per encoding, which a stream whose queue held the very same
    events writes again (every unfiltered watcher of a resource, in a burst or not)."""

    __slots__ = ("chunks", "lines")

    def __init__(self) -> None:
        #: (type, version, id(obj)) -> (obj, line)
        self.lines: dict[tuple[str, str, int], tuple[dict[str, Any], bytes]] = {}
        #: share key -> (items, chunk)
        self.chunks: dict[Any, tuple[list[Item], bytes]] = {}


#: the start of an event's line, by type (the object's bytes and ``}\n`` follow)
_PREFIX = {t: b'{"type":"' + t.encode() + b'","object":' for t in ("ADDED", "MODIFIED", "DELETED")}


class _Flusher:
    """The streams of one event loop that have events waiting, written in one callback.

    A burst of commits in one loop turn costs one callback, and every stream gets
    all of its events in one write."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)
        self._ready: list[_Stream] = []
        self._scheduled = False
        self._stores: weakref.WeakSet[Any] = weakref.WeakSet()
        self._flushed_this_turn = False

    def mark(self, s: _Stream) -> None:
        if s.marked:
            return
        s.marked = True
        self._ready.append(s)
        if not self._scheduled:
            loop = self._loop()
            if loop is None:
                return
            self._scheduled = True
            loop.call_soon(self.run)

    def attach(self, store: Any) -> None:
        """Flush right after the first commit of a loop turn has reached every watcher
        (before the writer's response): a single write reaches its watchers at once, while
        the rest of a burst in the same turn is still written in one callback, batched."""
        if store in self._stores:
            return
        self._stores.add(store)
        me = weakref.ref(self)

        def after_commit(key: str, ev: Any) -> None:
            f = me()
            if f is None or not f._ready or f._flushed_this_turn:
                return
            loop = f._loop()
            if loop is None:
                return
            f._flushed_this_turn = True
            loop.call_soon(f._next_turn)
            f.run()
        store.on_write(after_commit)

    def _next_turn(self) -> None:
        self._flushed_this_turn = False

    def run(self) -> None:
        self._scheduled = False
        ready, self._ready = self._ready, []
        shared = Shared()
        for s in ready:
            s.marked = False
            try:
                s.flush(shared)
            except Exception:  # one stream's failure must not starve the others
                log.exception("watch stream failed; closing it")
                s.fail()


_FLUSHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Flusher] = \
    weakref.WeakKeyDictionary()


def _flusher(loop: asyncio.AbstractEventLoop) -> _Flusher:
    f = _FLUSHERS.get(loop)
    if f is None:
        f = _FLUSHERS[loop] = _Flusher(loop)
    return f


class _Stream:
    """One HTTP watch response fed by one store watcher."""

    def __init__(self, request: web.Request, watcher: _watch.Watcher,
                 encode: Callable[[list[Item], Shared], list[bytes]], share: Any,
                 chunked: bool = True) -> None:
        self.transport = request.transport
        self.watcher = watcher
        self.encode = encode
        #: how a write is framed: an HTTP/1.1 chunk, or the bare bytes (HTTP/1.0, whose
        #: body ends when the connection closes)
        self.frame = _chunk if chunked else b"".join
        #: streams with equal keys encode events identically (None: this one is unique)
        self.share = share
        self.marked = False
        self.blocked = False
        self.done = False
        #: the stream task's wake-up, while it sleeps
        self.wake: asyncio.Future[None] | None = None

    def on_ready(self, flusher: _Flusher) -> Callable[[], None]:
        def ready() -> None:
            flusher.mark(self)
        return ready

    def wake_task(self) -> None:
        w = self.wake
        if w is not None and not w.done():
            w.set_result(None)

    def fail(self) -> None:
        self.done = True
        if self.transport is not None:
            self.transport.abort()
        self.wake_task()

    def full(self) -> bool:
        tr = self.transport
        return tr is not None and tr.get_write_buffer_size() > WRITE_HIGH

    def flush(self, shared: Shared) -> None:
        """Write every queued event now, unless the socket is backed up (the task then
        waits for it to drain) or the watch is over (the task is told)."""
        if self.done or self.blocked:
            return
        tr = self.transport
        if tr is None or tr.is_closing():
            self.wake_task()
            return
        if tr.get_write_buffer_size() > WRITE_HIGH:
            self.blocked = True
            self.wake_task()
            return
        try:
            items = self.watcher.take_all()
        except (_watch.Overrun, _watch.Closed):
            self.wake_task()
            return
        if not items:
            return
        if self.share is None:
            tr.write(self.frame(self.encode(items, shared)))
        else:
            last = shared.chunks.get(self.share)
            if last is not None and _same(last[0], items):
                tr.write(last[1])
            else:
                chunk = self.frame(self.encode(items, shared))
                shared.chunks[self.share] = (items, chunk)
                tr.write(chunk)
        if self.watcher.closed:  # those were its last events
            self.wake_task()

    def write(self, lines: list[bytes]) -> None:
        """Lines as one HTTP chunk (bare on HTTP/1.0), straight to the transport (the
        headers went out with ``prepare``)."""
        tr = self.transport
        if tr is not None and not tr.is_closing():
            tr.write(self.frame(lines))


def _chunk(lines: list[bytes]) -> bytes:
    """One HTTP/1.1 chunk holding ``lines``."""
    size = 0
    for line in lines:
        size += len(line)
    return b"".join([b"%x\r\n" % size, *lines, b"\r\n"])


def _same(a: list[Item], b: list[Item]) -> bool:
    """Whether two streams took the same events (revisions first: no deep dict compare
    unless they already agree, and then the tuples are normally the same objects)."""
    return len(a) == len(b) and a[0][2] == b[0][2] and a[-1][2] == b[-1][2] and a == b


def _json_encoder(reg: Registry, rs: ResourceStore, res: Resource,
                  version: str) -> Callable[[list[Item], Shared], list[bytes]]:
    """Plain JSON events: one line per (event, version), shared across the round."""
    to_version = reg.to_version
    encoded = rs.encoded

    def encode(items: list[Item], shared: Shared) -> list[bytes]:
        out = []
        lines = shared.lines
        for etype, obj, _ in items:
            key = (etype, version, id(obj))
            hit = lines.get(key)
            if hit is not None and hit[0] is obj:
                out.append(hit[1])
                continue
            line = _PREFIX[etype] + encoded(to_version(res, obj, version)) + b"}\n"
            lines[key] = (obj, line)
            out.append(line)
        return out

    return encode


def _form_encoder(reg: Registry, res: Resource, t: Target, clock: Clock,
                  accept: neg.Accept, include_object: str
                  ) -> Callable[[list[Item], Shared], list[bytes]]:
    """Table and PartialObjectMetadata events: encoded per stream (they carry
    per-stream state, and are rare)."""
    first_table = [True]

    def encode(items: list[Item], shared: Shared) -> list[bytes]:
        out = []
        for etype, obj, _ in items:
            out_obj = reg.to_version(res, obj, t.version)
            payload: Any
            if accept.form == "table":
                payload = tables.to_table(
                    res, [out_obj], clock.now(), include_object=include_object,
                    resource_version=out_obj["metadata"].get("resourceVersion", ""),
                    api_version=f"meta.k8s.io/{accept.table_version}", no_headers=not first_table[0])
                first_table[0] = False
            else:
                payload = {"kind": "PartialObjectMetadata",
                           "apiVersion": f"meta.k8s.io/{accept.table_version}",
                           "metadata": out_obj.get("metadata", {})}
            out.append(orjson.dumps({"type": etype, "object": payload}) + b"\n")
        return out

    return encode


def watch_timeout(seconds: int | None) -> float:
    """How long a watch lasts: ``timeoutSeconds``, or when it is absent or 0 a random
    duration in [min-request-timeout, twice that), as kube-apiserver picks it (a
    negative value ends the watch at once, as there)."""
    if not seconds:
        return MIN_REQUEST_TIMEOUT * (random.random() + 1.0)
    return float(seconds)


async def stream(request: web.Request, reg: Registry, res: Resource, t: Target,
                 clock: Clock, *, label_selector: str | None,
                 field_selector: str | None, accept: neg.Accept | None = None,
                 include_object: str = "Metadata",
                 headers: dict[str, str] | None = None) -> web.StreamResponse:
    """Serve one watch. ``include_object`` is a Table watch's, already checked (a bad
    value is a 400 before the stream starts); ``headers`` go out with the response's."""
    q = request.query
    if accept is None:
        accept = neg.negotiate(request)
    # query booleans convert as apimachinery's Convert_Slice_string_To_bool: only 0/false are false
    bookmarks = "allowWatchBookmarks" in q and q.get("allowWatchBookmarks", "").lower() not in ("0", "false")
    timeout = watch_timeout(neg.query_int(q, "timeoutSeconds"))
    rv = q.get("resourceVersion")
    if q.get("sendInitialEvents", "").lower() == "true":
        rv = None
    try:
        watcher = reg.watch(res, t.namespace, rv, label_selector=label_selector,
                            field_selector=field_selector)
        gone: errors.Gone | None = None
    except errors.Gone as e:
        watcher, gone = None, e
    content_type = "application/json"
    if accept.form == "table":
        content_type = f"application/json;as=Table;v={accept.table_version};g=meta.k8s.io"
    resp = web.StreamResponse(status=200, headers={"Content-Type": content_type, **(headers or {})})
    # kube-apiserver asks for chunking; Go's net/http cannot chunk for an HTTP/1.0 client and
    # sends the bare stream, ended by closing the connection (aiohttp does the same when
    # chunking is not asked for: no Content-Length, no keep-alive)
    chunked = request.version >= HttpVersion11
    if chunked:
        resp.enable_chunked_encoding()
    try:
        writer = await resp.prepare(request)
    except BaseException:
        if watcher is not None:
            watcher.close()
        raise
    if gone is not None:
        await resp.write(orjson.dumps({"type": "ERROR", "object": gone.to_status()}) + b"\n")
        return resp
    assert watcher is not None and writer is not None
    loop = asyncio.get_running_loop()
    share: Any = None
    if accept.form in ("table", "partial", "partiallist"):
        encode = _form_encoder(reg, res, t, clock, accept, include_object)
    else:  # JSON (a YAML watch gets JSON lines too, as before)
        encode = _json_encoder(reg, reg.store.resource(res.key), res, t.version)
        share = (res.key, t.version, chunked)
    s = _Stream(request, watcher, encode, share, chunked)
    flusher = _flusher(loop)
    flusher.attach(reg.store)

    def overrun() -> None:
        # a consumer that stopped reading has filled its socket and our buffer: the
        # 410 cannot reach it, so cut the connection (as kube-apiserver terminates a
        # watcher whose buffer is full) and neither the stream nor its buffers outlive it
        if s.full() and s.transport is not None:
            s.transport.abort()

    def on_overrun() -> None:  # called inside a writer's commit: act after it
        loop.call_soon(overrun)

    watcher.on_overrun = on_overrun
    watcher.notify = s.on_ready(flusher)
    deadline = loop.time() + timeout
    if loop.time() < deadline:
        s.flush(Shared())  # what the watch starts with (initial ADDED or replayed history)
    next_bookmark = loop.time() + BOOKMARK_EVERY
    try:
        while True:
            if watcher.overrun:
                await _gone(request, resp, s)
                break
            tr = request.transport
            if tr is None or tr.is_closing():
                break
            if s.done:
                break
            if s.blocked:
                await writer.drain()  # the socket drained below its low-water mark
                if s.full():  # a transport whose high-water mark is above ours
                    await asyncio.sleep(0.01)
                    continue
                s.blocked = False
                s.flush(Shared())
                continue
            if watcher.closed and not watcher.pending():
                break
            now = loop.time()
            if now >= deadline:
                break
            if bookmarks and now >= next_bookmark:
                next_bookmark = now + BOOKMARK_EVERY
                s.flush(Shared())  # queued events go first
                if not s.blocked:
                    s.write([orjson.dumps({"type": "BOOKMARK", "object": {
                        "kind": res.kind, "apiVersion": res.api_version(t.version),
                        "metadata": {"resourceVersion": str(reg.store.revision)}}}) + b"\n"])
                continue
            wake_at = min(deadline, now + POLL, next_bookmark if bookmarks else deadline)
            fut: asyncio.Future[None] = loop.create_future()
            s.wake = fut
            timer = loop.call_at(wake_at, _resolve, fut)
            try:
                await fut
            finally:
                timer.cancel()
                s.wake = None
    except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        s.done = True
        watcher.notify = None
        watcher.close()
    transport = request.transport
    if transport is None or transport.is_closing():
        return resp
    try:
        await resp.write_eof()
    except (ConnectionResetError, ConnectionError, RuntimeError):
        pass
    return resp


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def _gone(request: web.Request, resp: web.StreamResponse, s: _Stream) -> None:
    """The overrun watcher's last event: ERROR 410 (the client relists), if it reads it
    within ``OVERRUN_GRACE``; otherwise the connection is cut."""
    s.write([orjson.dumps({"type": "ERROR", "object": errors.Gone(
        "too old resource version: watcher fell behind and was closed").to_status()}) + b"\n"])
    try:
        await asyncio.wait_for(resp.write_eof(), OVERRUN_GRACE)
    except TimeoutError:
        if request.transport is not None:
            request.transport.abort()
