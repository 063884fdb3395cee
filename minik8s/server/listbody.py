"""Sending a big JSON list body made of already-encoded items.

A LIST answer is ``head`` + items joined by ``,`` + ``tail``, where the items
are the store's cached bytes of each object. Joining tens of megabytes into one
``bytes`` costs a fresh allocation (page faults) and a copy, and on Python
before 3.12.9 aiohttp copies the whole body once more to put its headers in
front. Large bodies are therefore sent as a ``Content-Length`` stream of
slices of about ``SLICE`` bytes: each slice is one small join, and the socket
drains one slice while the next is built, so the client starts reading early.
"""

from __future__ import annotations

from aiohttp import web

from minik8s.server import negotiation as neg

#: bodies up to this size are sent as one ``web.Response``
SMALL = 256 * 1024
#: bytes per slice of a large body
SLICE = 1024 * 1024


def size(head: bytes, parts: list[bytes], tail: bytes) -> int:
    """Length of ``head + b",".join(parts) + tail``."""
    n = len(head) + len(tail) + max(len(parts) - 1, 0)
    for p in parts:
        n += len(p)
    return n


async def respond(request: web.Request, head: bytes, parts: list[bytes],
                  tail: bytes) -> web.StreamResponse:
    """Answer ``head + b",".join(parts) + tail`` as ``application/json``."""
    total = size(head, parts, tail)
    if total <= SMALL:
        return web.Response(body=head + b",".join(parts) + tail, headers={"Content-Type": neg.JSON})
    resp = web.StreamResponse(headers={"Content-Type": neg.JSON})
    resp.content_length = total
    await resp.prepare(request)
    per = max(1, len(parts) * SLICE // total)
    first = parts[:per]
    first[0] = head + first[0]
    await resp.write(b",".join(first))
    for i in range(per, len(parts), per):
        piece = parts[i:i + per]
        piece.insert(0, b"")  # the "," after the previous slice
        await resp.write(b",".join(piece))
    await resp.write_eof(tail)
    return resp
