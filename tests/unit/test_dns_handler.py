"""The DNS packet handler: answers, caching, and never a crash on bad input."""

from __future__ import annotations

import struct

from dnslib import QTYPE, DNSRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from minik8s.dns.records import DnsIndex
from minik8s.dns.server import DnsHandler


def make_index() -> DnsIndex:
    idx = DnsIndex()
    idx.set_namespace("default", True)
    idx.set_service({"metadata": {"name": "web", "namespace": "default"},
                     "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80}]}},
                    ("default", "web"))
    return idx


def test_a_repeated_question_is_answered_from_cache_with_its_own_id() -> None:
    h = DnsHandler(make_index())
    q1 = DNSRecord.question("web.default.svc.cluster.local", "A")
    q1.header.id = 1
    q2 = DNSRecord.question("web.default.svc.cluster.local", "A")
    q2.header.id = 2
    r1 = DNSRecord.parse(h.handle(q1.pack()))  # type: ignore[arg-type]
    r2 = DNSRecord.parse(h.handle(q2.pack()))  # type: ignore[arg-type]
    assert (r1.header.id, r2.header.id) == (1, 2)
    assert str(r2.rr[0].rdata) == "10.96.0.20"


def test_the_cache_is_dropped_when_the_index_changes() -> None:
    idx = make_index()
    h = DnsHandler(idx)
    q = DNSRecord.question("web.default.svc.cluster.local", "A").pack()
    h.handle(q)
    idx.set_service(None, ("default", "web"))
    r = DNSRecord.parse(h.handle(q))  # type: ignore[arg-type]
    assert r.header.rcode == 3


def test_unknown_opcodes_are_not_implemented() -> None:
    q = DNSRecord.question("web.default.svc.cluster.local", "A")
    q.header.opcode = 2
    r = DNSRecord.parse(DnsHandler(make_index()).handle(q.pack()))  # type: ignore[arg-type]
    assert r.header.rcode == 4


def test_two_questions_are_a_format_error() -> None:
    q = DNSRecord.question("web.default.svc.cluster.local", "A")
    q.add_question(DNSRecord.question("x.default.svc.cluster.local", "A").q)
    r = DNSRecord.parse(DnsHandler(make_index()).handle(q.pack()))  # type: ignore[arg-type]
    assert r.header.rcode == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_get_a_reply_or_are_dropped_never_an_exception(data: bytes) -> None:
    out = DnsHandler(make_index()).handle(data)
    assert out is None or len(out) >= 12


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=63),
                min_size=1, max_size=8),
       st.sampled_from(["A", "AAAA", "SRV", "PTR", "TXT", "ANY", "MX", "CNAME"]),
       st.integers(min_value=0, max_value=65535))
def test_any_well_formed_question_gets_a_well_formed_answer(labels: list[str], qtype: str,
                                                            ident: int) -> None:
    q = DNSRecord.question(".".join(labels) + ".svc.cluster.local", qtype)
    q.header.id = ident
    r = DNSRecord.parse(DnsHandler(make_index()).handle(q.pack()))  # type: ignore[arg-type]
    assert r.header.id == ident and r.header.qr == 1
    assert r.header.rcode in (0, 3)
    assert QTYPE.get(r.q.qtype) == qtype


def test_truncated_headers_are_dropped_quietly() -> None:
    assert DnsHandler(make_index()).handle(struct.pack(">H", 7)) is None
