"""The DNS wire: dnslib over asyncio UDP and TCP, with an encoded-answer cache.

Hot path: a query whose question (name, type, class, EDNS size) was
answered before since the last change of the index is answered from cached
bytes with only the ID patched in — no dnslib parse or pack. Everything else
goes through dnslib. Bad packets get FORMERR/NOTIMP or are dropped; the
server never reaches out to the network.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from dnslib import AAAA, CNAME, EDNS0, PTR, QTYPE, RCODE, RR, SOA, SRV, TXT, A, DNSRecord

from minik8s.dns import records
from minik8s.memo import remember

log = logging.getLogger("minik8s.dns")

MAX_UDP = 512
MAX_EDNS = 4096
CACHE_MAX = 100_000

_RDATA = {
    "A": lambda d: A(d), "AAAA": lambda d: AAAA(d), "CNAME": lambda d: CNAME(d + "."),
    "PTR": lambda d: PTR(d + "."), "TXT": lambda d: TXT(d),
    "SRV": lambda d: SRV(priority=d[0], weight=d[1], port=d[2], target=d[3] + "."),
    "SOA": lambda d: SOA(d[0] + ".", d[1] + ".", (d[2], d[3], d[4], d[5], d[6])),
}


def _rr(r: records.RR) -> RR:
    return RR(r.name + ".", getattr(QTYPE, r.type), rdata=_RDATA[r.type](r.data), ttl=r.ttl)


class DnsHandler:
    """Packet in, packet out (or None to drop)."""

    def __init__(self, index: records.DnsIndex) -> None:
        self.index = index
        self._cache: dict[bytes, bytes] = {}
        self._cache_gen = -1
        self.queries = 0

    def _question_key(self, data: bytes) -> tuple[bytes, int] | None:
        """(cache key, udp size) from a plain one-question query, or None to take the slow path."""
        if len(data) < 17:
            return None
        flags, qd, an, ns, ar = struct.unpack_from(">HHHHH", data, 2)
        if qd != 1 or an or ns or ar > 1 or flags & 0x7800 or flags & 0x8000:
            return None
        i = 12
        n = len(data)
        while i < n:
            ln = data[i]
            if ln == 0:
                break
            if ln & 0xC0:
                return None
            i += 1 + ln
        end = i + 5
        if end > n:
            return None
        size = MAX_UDP
        if ar == 1:
            # an OPT pseudo-RR: root name, type 41, class = udp payload size
            if end + 11 > n or data[end] != 0 or data[end + 1:end + 3] != b"\x00\x29":
                return None
            size = min(max(struct.unpack_from(">H", data, end + 3)[0], MAX_UDP), MAX_EDNS)
        elif end != n:
            return None
        return data[12:end].lower() + bytes([ar]) + struct.pack(">H", size) + bytes([flags & 0x0100 and 1]), size

    def handle(self, data: bytes, tcp: bool = False) -> bytes | None:
        self.queries += 1
        data = bytes(data)
        if self._cache_gen != self.index.generation:
            self._cache.clear()
            self._cache_gen = self.index.generation
        hit = self._question_key(data)
        if hit is not None:
            key = hit[0] + (b"T" if tcp else b"U")
            cached = self._cache.get(key)
            if cached is not None:
                return data[:2] + cached
        reply = self._slow(data, tcp)
        if reply is not None and hit is not None:
            remember(self._cache, hit[0] + (b"T" if tcp else b"U"), reply[2:], CACHE_MAX)
        return reply

    def _slow(self, data: bytes, tcp: bool) -> bytes | None:
        try:
            req = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - dnslib raises many types on garbage
            if len(data) >= 12:
                return _formerr(data)
            return None
        if req.header.qr:
            return None  # a response sent to us: drop
        reply = req.reply()
        reply.header.ra = 0
        reply.header.aa = 1
        edns_size = None
        for ar in req.ar:
            if ar.rtype == QTYPE.OPT:
                edns_size = min(max(ar.rclass, MAX_UDP), MAX_EDNS)
        if edns_size is not None:
            reply.add_ar(EDNS0(udp_len=MAX_EDNS))
        if req.header.opcode != 0:
            reply.header.rcode = RCODE.NOTIMP
            reply.header.aa = 0
            return reply.pack()
        if len(req.questions) != 1:
            reply.header.rcode = RCODE.FORMERR
            reply.header.aa = 0
            return reply.pack()
        q = req.questions[0]
        qtype = QTYPE.get(q.qtype, str(q.qtype))
        try:
            name = str(q.qname)
        except Exception:  # noqa: BLE001
            reply.header.rcode = RCODE.FORMERR
            return reply.pack()
        if len(name) > 255:
            reply.header.rcode = RCODE.FORMERR
            return reply.pack()
        ans = self.index.resolve(name, str(qtype))
        reply.header.rcode = ans.rcode
        if ans.rcode == records.REFUSED:
            reply.header.aa = 0
        for r in ans.answer:
            reply.add_answer(_rr(r))
        for r in ans.authority:
            reply.add_auth(_rr(r))
        for r in ans.additional:
            reply.add_ar(_rr(r))
        packed = bytes(reply.pack())
        limit = MAX_UDP if edns_size is None else edns_size
        if not tcp and len(packed) > limit:
            reply.rr, reply.auth = [], []
            reply.ar = [r for r in reply.ar if r.rtype == QTYPE.OPT]
            reply.header.tc = 1
            packed = bytes(reply.pack())
        return packed


def _formerr(data: bytes) -> bytes:
    ident = data[:2]
    flags = 0x8000 | (data[2] & 0x78) << 8 | RCODE.FORMERR
    return ident + struct.pack(">HHHHH", flags, 0, 0, 0, 0)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, handler: DnsHandler) -> None:
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            out = self.handler.handle(data)
        except Exception:  # noqa: BLE001 - never let one packet kill the server
            log.exception("dns: failed to answer a UDP query")
            out = _formerr(data) if len(data) >= 12 else None
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


class DnsServer:
    """UDP and TCP on one port of ``host`` (port 0 picks a free one for both)."""

    def __init__(self, index: records.DnsIndex, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = DnsHandler(index)
        self.host, self.port = host, port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.base_events.Server | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        for _ in range(20):
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self.handler), local_addr=(self.host, self.port))
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                transport.close()
                if self.port:
                    raise
                continue
            self._udp = transport  # type: ignore[assignment]
            self.port = port
            return self.address
        raise OSError("could not bind UDP and TCP on one port")

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), 30)
                (n,) = struct.unpack(">H", head)
                data = await asyncio.wait_for(reader.readexactly(n), 30)
                try:
                    out = self.handler.handle(data, tcp=True)
                except Exception:  # noqa: BLE001
                    log.exception("dns: failed to answer a TCP query")
                    out = _formerr(data) if len(data) >= 12 else None
                if out is None:
                    break
                writer.write(struct.pack(">H", len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None
