"""Cluster DNS records: (state, name, type) → answer, as CoreDNS's kubernetes plugin answers.

Pure: ``DnsIndex`` is fed Service, Endpoints and Pod objects (by the DNS
component's informer handlers) and answers questions with plain tuples; the
wire format is ``dns.server``'s business. Follows the Kubernetes DNS
specification (kubernetes/dns docs/specification.md):

- ``<svc>.<ns>.svc.<zone>``: A → ClusterIP; headless → ready endpoint IPs
- ``<host>.<svc>.<ns>.svc.<zone>``: A → that endpoint (hostname, or dashed IP)
- ``_<port>._<proto>.<svc>.<ns>.svc.<zone>``: SRV for named ports
- ExternalName → CNAME; ``<a-b-c-d>.<ns>.pod.<zone>`` → A; PTR for service and endpoint IPs
- ``dns-version.<zone>`` TXT; NXDOMAIN/NODATA carry the zone's SOA
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

Obj = dict[str, Any]
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
SCHEMA_VERSION = "1.1.0"


@dataclasses.dataclass(frozen=True)
class RR:
    name: str
    type: str  # "A" | "AAAA" | "SRV" | "CNAME" | "PTR" | "TXT" | "SOA"
    data: Any  # ip str | (priority, weight, port, target) | name | text | soa tuple
    ttl: int


@dataclasses.dataclass
class Answer:
    rcode: int = NOERROR
    answer: list[RR] = dataclasses.field(default_factory=list)
    authority: list[RR] = dataclasses.field(default_factory=list)
    additional: list[RR] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Endpoint:
    ip: str
    hostname: str  # "" when the pod has none (named by its dashed IP)


@dataclasses.dataclass
class _Service:
    name: str
    namespace: str
    type: str
    cluster_ips: list[str]
    external_name: str
    ports: list[tuple[str, str, int]]  # (name, protocol, port)
    endpoints: list[_Endpoint]
    endpoint_ports: list[tuple[str, str, int]]

    @property
    def headless(self) -> bool:
        return not self.cluster_ips or self.cluster_ips[0] == "None"


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


class DnsIndex:
    """Services, their endpoints and extra names, indexed by the names DNS asks for."""

    def __init__(self, domain: str = "cluster.local", ttl: int = 5) -> None:
        self.domain = domain.strip(".").lower()
        self.ttl = ttl
        self.generation = 0
        self._services: dict[tuple[str, str], _Service] = {}
        self._endpoints: dict[tuple[str, str], Obj] = {}
        self._namespaces: set[str] = set()
        self._ptr: dict[str, list[str]] = {}
        #: extra A records (External DNS: ingress hosts, annotated LoadBalancers)
        self._extra: dict[str, dict[str, list[str]]] = {}
        self._soa_serial = 1
        self._ptr_dirty = True

    # ---------------------------------------------------------------- feeding
    def set_service(self, svc: Obj | None, key: tuple[str, str]) -> None:
        if svc is None:
            self._services.pop(key, None)
        else:
            spec = svc.get("spec") or {}
            ips = list(spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []))
            self._services[key] = _Service(
                name=key[1], namespace=key[0], type=spec.get("type", "ClusterIP"), cluster_ips=ips,
                external_name=spec.get("externalName", ""),
                ports=[(p.get("name", ""), p.get("protocol", "TCP"), int(p.get("port", 0)))
                       for p in spec.get("ports") or () if isinstance(p, dict)],
                endpoints=[], endpoint_ports=[])
            self._apply_endpoints(key)
        self._changed()

    def set_endpoints(self, ep: Obj | None, key: tuple[str, str]) -> None:
        if ep is None:
            self._endpoints.pop(key, None)
        else:
            self._endpoints[key] = ep
        self._apply_endpoints(key)
        self._changed()

    def set_namespace(self, name: str, exists: bool) -> None:
        if exists:
            self._namespaces.add(name)
        else:
            self._namespaces.discard(name)
        self._changed()

    def set_extra(self, owner: str, names: dict[str, list[str]]) -> None:
        """Extra A records owned by ``owner`` (replacing what it had)."""
        new = {n.strip(".").lower(): ips for n, ips in names.items()}
        if self._extra.get(owner, {}) == new:
            return
        if new:
            self._extra[owner] = new
        else:
            self._extra.pop(owner, None)
        self._changed()

    def _apply_endpoints(self, key: tuple[str, str]) -> None:
        svc = self._services.get(key)
        if svc is None:
            return
        ep = self._endpoints.get(key)
        svc.endpoints, svc.endpoint_ports = [], []
        for subset in (ep or {}).get("subsets") or ():
            for a in subset.get("addresses") or ():
                if a.get("ip"):
                    svc.endpoints.append(_Endpoint(a["ip"], a.get("hostname", "")))
            for p in subset.get("ports") or ():
                t = (p.get("name", ""), p.get("protocol", "TCP"), int(p.get("port", 0)))
                if t not in svc.endpoint_ports:
                    svc.endpoint_ports.append(t)

    def _changed(self) -> None:
        self.generation += 1
        self._soa_serial += 1
        self._ptr_dirty = True

    def _rebuild_ptr(self) -> None:
        ptr: dict[str, list[str]] = {}
        for svc in self._services.values():
            base = f"{svc.name}.{svc.namespace}.svc.{self.domain}"
            if not svc.headless:
                for ip in svc.cluster_ips:
                    ptr.setdefault(ip, []).append(base)
            else:
                for e in svc.endpoints:
                    ptr.setdefault(e.ip, []).append(f"{e.hostname or _dashed(e.ip)}.{base}")
        self._ptr = ptr
        self._ptr_dirty = False

    # ---------------------------------------------------------------- answering
    def soa(self, zone: str) -> RR:
        return RR(zone, "SOA", (f"ns.dns.{zone}", f"hostmaster.{zone}", self._soa_serial,
                                7200, 1800, 86400, self.ttl), self.ttl)

    def in_zone(self, name: str) -> str | None:
        """The served zone ``name`` falls in, if any."""
        for zone in (self.domain, "in-addr.arpa", "ip6.arpa"):
            if name == zone or name.endswith("." + zone):
                return zone
        for owner in self._extra.values():
            if name in owner:
                return name
        return None

    def resolve(self, qname: str, qtype: str) -> Answer:
        name = qname.rstrip(".").lower()
        zone = self.in_zone(name)
        if zone is None:
            return Answer(REFUSED)
        if zone in ("in-addr.arpa", "ip6.arpa"):
            return self._reverse(name, qtype, zone)
        if zone != self.domain:
            return self._extra_answer(name, qtype, zone)
        rel = name[: -len(self.domain)].rstrip(".")
        labels = rel.split(".") if rel else []
        records: list[RR] | None = None
        additional: list[RR] = []
        if labels == ["dns-version"]:
            records = [RR(name, "TXT", SCHEMA_VERSION, self.ttl)]
        elif not labels or labels in (["svc"], ["pod"]):
            records = []
        elif labels[-1] == "svc":
            records, additional = self._svc(name, labels[:-1], qtype)
        elif labels[-1] == "pod" and len(labels) == 3:
            records = self._pod(name, labels[0], labels[1])
        if records is None:
            return Answer(NXDOMAIN, authority=[self.soa(self.domain)])
        matching = [r for r in records if r.type == qtype or (r.type == "CNAME" and qtype != "CNAME")
                    or qtype == "ANY"]
        if not matching:
            return Answer(NOERROR, authority=[self.soa(self.domain)])
        return Answer(NOERROR, answer=matching, additional=additional if qtype == "SRV" else [])

    def _svc(self, name: str, labels: list[str], qtype: str) -> tuple[list[RR] | None, list[RR]]:
        ttl = self.ttl
        if len(labels) == 1:  # <ns>.svc
            return ([] if labels[0] in self._namespaces or any(
                k[0] == labels[0] for k in self._services) else None), []
        if len(labels) == 2:  # <svc>.<ns>.svc
            svc = self._services.get((labels[1], labels[0]))
            if svc is None:
                return None, []
            if svc.type == "ExternalName":
                return [RR(name, "CNAME", svc.external_name.rstrip("."), ttl)], []
            if svc.headless:
                return [RR(name, _family(e.ip), e.ip, ttl) for e in svc.endpoints], []
            return [RR(name, _family(ip), ip, ttl) for ip in svc.cluster_ips], []
        if len(labels) == 3 and not labels[0].startswith("_"):  # <host>.<svc>.<ns>.svc
            svc = self._services.get((labels[2], labels[1]))
            if svc is None or not svc.headless:
                return None, []
            recs = [RR(name, _family(e.ip), e.ip, ttl) for e in svc.endpoints
                    if (e.hostname or _dashed(e.ip)) == labels[0]]
            return (recs or None), []
        if len(labels) == 4 and labels[0].startswith("_") and labels[1].startswith("_"):
            svc = self._services.get((labels[3], labels[2]))
            if svc is None:
                return None, []
            pname, proto = labels[0][1:], labels[1][1:].upper()
            base = f"{svc.name}.{svc.namespace}.svc.{self.domain}"
            if not svc.headless:
                ports = [p for p in svc.ports if p[0] == pname and p[1] == proto]
                if not ports:
                    return None, []
                recs = [RR(name, "SRV", (0, 100, p[2], base), ttl) for p in ports]
                add = [RR(base, _family(ip), ip, ttl) for ip in svc.cluster_ips]
                return recs, add
            ports = [p for p in svc.endpoint_ports if p[0] == pname and p[1] == proto]
            if not ports or not svc.endpoints:
                return None, []
            weight = max(100 // len(svc.endpoints), 1)
            recs, add = [], []
            for e in svc.endpoints:
                target = f"{e.hostname or _dashed(e.ip)}.{base}"
                for p in ports:
                    recs.append(RR(name, "SRV", (0, weight, p[2], target), ttl))
                add.append(RR(target, _family(e.ip), e.ip, ttl))
            return recs, add
        return None, []

    def _pod(self, name: str, dashed: str, ns: str) -> list[RR] | None:
        ip = dashed.replace("-", ".")
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            try:
                addr = ipaddress.ip_address(dashed.replace("-", ":"))
            except ValueError:
                return None
        return [RR(name, _family(str(addr)), str(addr), self.ttl)]

    def _reverse(self, name: str, qtype: str, zone: str) -> Answer:
        if self._ptr_dirty:
            self._rebuild_ptr()
        ip = _ptr_to_ip(name, zone)
        targets = self._ptr.get(ip or "")
        if not targets:
            return Answer(NXDOMAIN, authority=[self.soa(zone)])
        if qtype not in ("PTR", "ANY"):
            return Answer(NOERROR, authority=[self.soa(zone)])
        return Answer(NOERROR, answer=[RR(name, "PTR", t, self.ttl) for t in targets])

    def _extra_answer(self, name: str, qtype: str, zone: str) -> Answer:
        ips: list[str] = []
        for owner in self._extra.values():
            ips += owner.get(name, [])
        recs = [RR(name, _family(ip), ip, self.ttl) for ip in dict.fromkeys(ips)]
        matching = [r for r in recs if r.type == qtype or qtype == "ANY"]
        if not matching:
            return Answer(NOERROR)
        return Answer(NOERROR, answer=matching)

    # ---------------------------------------------------------------- helpers
    def search_path(self, namespace: str) -> list[str]:
        """A pod's resolv.conf search list under dnsPolicy ClusterFirst."""
        return [f"{namespace}.svc.{self.domain}", f"svc.{self.domain}", self.domain]

    def resolve_from_pod(self, name: str, namespace: str, qtype: str = "A", ndots: int = 5) -> Answer:
        """Resolve a short name the way a pod's stub resolver would (search list, ndots:5)."""
        if name.endswith("."):
            return self.resolve(name, qtype)
        candidates = []
        if name.count(".") >= ndots:
            candidates.append(name)
        candidates += [f"{name}.{s}" for s in self.search_path(namespace)]
        if name.count(".") < ndots:
            candidates.append(name)
        last = Answer(NXDOMAIN)
        for c in candidates:
            ans = self.resolve(c, qtype)
            if ans.rcode == NOERROR and ans.answer:
                return ans
            last = ans
        return last


def _family(ip: str) -> str:
    return "AAAA" if ":" in ip else "A"


def _ptr_to_ip(name: str, zone: str) -> str | None:
    rel = name[: -len(zone)].rstrip(".")
    parts = rel.split(".")
    try:
        if zone == "in-addr.arpa" and len(parts) == 4:
            return str(ipaddress.ip_address(".".join(reversed(parts))))
        if zone == "ip6.arpa" and len(parts) == 32:
            hexs = "".join(reversed(parts))
            return str(ipaddress.ip_address(":".join(hexs[i:i + 4] for i in range(0, 32, 4))))
    except ValueError:
        return None
    return None
