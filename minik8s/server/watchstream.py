"""Watch over HTTP: newline-delimited JSON events on a chunked response.

Honours ``resourceVersion`` (replay or synthetic ADDED), ``timeoutSeconds``,
``allowWatchBookmarks`` (bookmarks only when asked: ``kubectl get -w`` prints
them as rows otherwise) and Table encoding. A client that goes away is
noticed within a second; an overrun watcher gets ERROR 410 and is closed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.server import negotiation as neg
from minik8s.server import tables
from minik8s.store import watch as _watch

if TYPE_CHECKING:
    from minik8s.aio.clock import Clock
    from minik8s.registry.registry import Registry
    from minik8s.server.paths import Target

DEFAULT_TIMEOUT = 1800.0  # kube-apiserver's --min-request-timeout is 1800 s
BOOKMARK_EVERY = 60.0
POLL = 1.0
#: seconds an overrun watcher's consumer gets to take its 410 before the connection is cut
OVERRUN_GRACE = 10.0


async def stream(request: web.Request, reg: "Registry", res: Resource, t: "Target",
                 clock: "Clock", *, label_selector: str | None,
                 field_selector: str | None) -> web.StreamResponse:
    q = request.query
    accept = neg.negotiate(request)
    bookmarks = q.get("allowWatchBookmarks", "").lower() == "true"
    timeout = DEFAULT_TIMEOUT
    seconds = neg.query_int(q, "timeoutSeconds")
    if seconds is not None:
        timeout = float(seconds)
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
    resp = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    if gone is not None:
        await _write(resp, {"type": "ERROR", "object": gone.to_status()})
        return resp
    assert watcher is not None
    loop = asyncio.get_running_loop()
    # a consumer that stopped reading blocks our writes once the socket buffers are
    # full; when its queue then overruns, the 410 cannot reach it: cut the connection
    # (as kube-apiserver terminates a watcher whose buffer is full) so that neither the
    # stream nor its buffers outlive it
    writing = [False]

    def overrun() -> None:
        transport = request.transport
        if writing[0] and transport is not None:
            transport.abort()

    def on_overrun() -> None:  # called inside a writer's commit: act after it
        loop.call_soon(overrun)

    watcher.on_overrun = on_overrun
    deadline = loop.time() + timeout
    next_bookmark = loop.time() + BOOKMARK_EVERY
    first_table = True
    try:
        while True:
            now = loop.time()
            if now >= deadline:
                break
            try:
                item = watcher.get_nowait()
            except _watch.Overrun:
                gone_event = {"type": "ERROR", "object": errors.Gone(
                    "too old resource version: watcher fell behind and was closed").to_status()}
                try:  # a consumer that does not read even this much is cut off
                    await asyncio.wait_for(_write(resp, gone_event), OVERRUN_GRACE)
                except asyncio.TimeoutError:
                    if request.transport is not None:
                        request.transport.abort()
                break
            except _watch.Closed:
                break
            if item is None:
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                if bookmarks and now >= next_bookmark:
                    next_bookmark = now + BOOKMARK_EVERY
                    await _write(resp, {"type": "BOOKMARK", "object": {
                        "kind": res.kind, "apiVersion": res.api_version(t.version),
                        "metadata": {"resourceVersion": str(reg.store.revision)}}})
                    continue
                try:
                    await asyncio.wait_for(watcher.wait(), min(POLL, deadline - now))
                except asyncio.TimeoutError:
                    pass
                continue
            etype, obj, _ = item
            out_obj = reg.to_version(res, obj, t.version)
            if accept.form == "table":
                table = tables.to_table(res, [out_obj], clock.now(),
                                        include_object=q.get("includeObject", "Metadata"),
                                        resource_version=out_obj["metadata"].get("resourceVersion", ""),
                                        api_version=f"meta.k8s.io/{accept.table_version}",
                                        no_headers=not first_table)
                first_table = False
                payload: Any = table
            elif accept.form in ("partial", "partiallist"):
                payload = {"kind": "PartialObjectMetadata",
                           "apiVersion": f"meta.k8s.io/{accept.table_version}",
                           "metadata": out_obj.get("metadata", {})}
            else:
                payload = out_obj
            writing[0] = True
            await _write(resp, {"type": etype, "object": payload})
            writing[0] = False
    except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        watcher.close()
    transport = request.transport
    if transport is None or transport.is_closing():
        return resp
    try:
        await resp.write_eof()
    except (ConnectionResetError, ConnectionError, RuntimeError):
        pass
    return resp


async def _write(resp: web.StreamResponse, event: dict[str, Any]) -> None:
    await resp.write(orjson.dumps(event) + b"\n")
