"""Cluster DNS with a real resolver client (dnspython) over UDP and TCP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from minik8s.cluster import Cluster


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(clock="virtual") as c:
        yield c


def ask(c: Cluster, name: str, rtype: str = "A", *, tcp: bool = False,
        payload: int | None = None) -> dns.message.Message:
    host, port = c.dns_address  # type: ignore[misc]
    q = dns.message.make_query(name, rtype, use_edns=payload is not None,
                               payload=payload or 512)
    if tcp:
        return dns.query.tcp(q, host, port=port, timeout=2)
    return dns.query.udp(q, host, port=port, timeout=2, ignore_trailing=True)


async def ask_async(c: Cluster, name: str, rtype: str = "A", **kw: Any) -> dns.message.Message:
    import asyncio

    return await asyncio.to_thread(ask, c, name, rtype, **kw)


def addrs(m: dns.message.Message) -> list[str]:
    return sorted(r.to_text() for rrset in m.answer for r in rrset)


def service(name: str, *, selector: bool = True, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"ports": [{"name": "http", "port": 80}], **spec}
    if selector:
        s["selector"] = {"app": name}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": s}


def endpoints(name: str, ips: list[tuple[str, str]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": "default"},
            "subsets": [{"addresses": [{"ip": ip, **({"hostname": h} if h else {})} for ip, h in ips],
                         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}


async def test_a_service_name_answers_its_cluster_ip(cluster: Cluster) -> None:
    svc = cluster.client.create(service("web"))
    m = await ask_async(cluster, "web.default.svc.cluster.local")
    assert addrs(m) == [svc["spec"]["clusterIP"]]
    assert m.flags & dns.flags.AA


async def test_the_kubernetes_service_and_kube_dns_have_their_well_known_ips(cluster: Cluster) -> None:
    assert addrs(await ask_async(cluster, "kubernetes.default.svc.cluster.local")) == ["10.96.0.1"]
    assert addrs(await ask_async(cluster, "kube-dns.kube-system.svc.cluster.local")) == ["10.96.0.10"]


async def test_a_headless_service_answers_its_endpoint_addresses(cluster: Cluster) -> None:
    c = cluster.client
    c.create(service("cassandra", selector=False, clusterIP="None"))  # endpoints managed by hand
    c.create(endpoints("cassandra", [("10.244.1.5", "cassandra-0"), ("10.244.2.6", "cassandra-1")]))
    assert addrs(await ask_async(cluster, "cassandra.default.svc.cluster.local")) == ["10.244.1.5", "10.244.2.6"]
    m = await ask_async(cluster, "cassandra-1.cassandra.default.svc.cluster.local")
    assert addrs(m) == ["10.244.2.6"]


async def test_srv_records_name_the_port_and_carry_addresses(cluster: Cluster) -> None:
    c = cluster.client
    svc = c.create(service("web"))
    m = await ask_async(cluster, "_http._tcp.web.default.svc.cluster.local", "SRV")
    assert [r.to_text() for rrset in m.answer for r in rrset] == ["0 100 80 web.default.svc.cluster.local."]
    assert [r.to_text() for rrset in m.additional for r in rrset] == [svc["spec"]["clusterIP"]]


async def test_external_name_services_are_cnames(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "v1", "kind": "Service",
                           "metadata": {"name": "ext", "namespace": "default"},
                           "spec": {"type": "ExternalName", "externalName": "example.com"}})
    m = await ask_async(cluster, "ext.default.svc.cluster.local")
    assert m.answer[0].rdtype == dns.rdatatype.CNAME
    assert m.answer[0][0].to_text() == "example.com."


async def test_missing_names_are_nxdomain_with_an_soa(cluster: Cluster) -> None:
    m = await ask_async(cluster, "nope.default.svc.cluster.local")
    assert m.rcode() == dns.rcode.NXDOMAIN
    assert m.authority[0].rdtype == dns.rdatatype.SOA


async def test_an_existing_name_of_another_type_is_nodata(cluster: Cluster) -> None:
    m = await ask_async(cluster, "kubernetes.default.svc.cluster.local", "AAAA")
    assert m.rcode() == dns.rcode.NOERROR and not m.answer and m.authority


async def test_names_outside_the_cluster_are_refused(cluster: Cluster) -> None:
    m = await ask_async(cluster, "example.com")
    assert m.rcode() == dns.rcode.REFUSED


async def test_pod_and_reverse_records(cluster: Cluster) -> None:
    assert addrs(await ask_async(cluster, "10-244-1-5.default.pod.cluster.local")) == ["10.244.1.5"]
    m = await ask_async(cluster, "1.0.96.10.in-addr.arpa", "PTR")
    assert addrs(m) == ["kubernetes.default.svc.cluster.local."]


async def test_a_deleted_service_is_gone_from_dns_at_once(cluster: Cluster) -> None:
    cluster.client.create(service("web"))
    assert (await ask_async(cluster, "web.default.svc.cluster.local")).answer
    cluster.client.delete("v1", "Service", "web", "default")
    m = await ask_async(cluster, "web.default.svc.cluster.local")
    assert m.rcode() == dns.rcode.NXDOMAIN


async def test_large_answers_truncate_over_udp_and_come_whole_over_tcp(cluster: Cluster) -> None:
    c = cluster.client
    c.create(service("big", selector=False, clusterIP="None"))
    c.create(endpoints("big", [(f"10.244.{i // 250}.{i % 250 + 1}", "") for i in range(100)]))
    m = await ask_async(cluster, "big.default.svc.cluster.local")
    assert m.flags & dns.flags.TC and not m.answer
    m = await ask_async(cluster, "big.default.svc.cluster.local", tcp=True)
    assert len(m.answer[0]) == 100


async def test_dns_version_txt(cluster: Cluster) -> None:
    m = await ask_async(cluster, "dns-version.cluster.local", "TXT")
    assert m.answer[0][0].to_text() == '"1.1.0"'


async def test_garbage_packets_never_stop_the_server(cluster: Cluster) -> None:
    import asyncio

    host, port = cluster.dns_address  # type: ignore[misc]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for junk in (b"", b"\x00", b"\xff" * 12, b"\x12\x34" + b"\x01\x00\x00\x02" + b"\x00" * 6 + b"\x03abc",
                 bytes(range(256))):
        s.sendto(junk, (host, port))
    s.close()
    await asyncio.sleep(0.05)
    assert addrs(await ask_async(cluster, "kubernetes.default.svc.cluster.local")) == ["10.96.0.1"]


async def test_short_names_resolve_through_the_pod_search_path(cluster: Cluster) -> None:
    svc = cluster.client.create(service("web"))
    idx = cluster.dns_index
    assert [r.data for r in idx.resolve_from_pod("web", "default").answer] == [svc["spec"]["clusterIP"]]
    assert [r.data for r in idx.resolve_from_pod("web.default", "other").answer] == [svc["spec"]["clusterIP"]]
    assert not idx.resolve_from_pod("web", "other").answer
