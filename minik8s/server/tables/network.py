"""The printers of the networking kinds: services, endpoints, endpoint slices,
ingresses, ingress classes and network policies.

kube-apiserver 1.33's printers (``makePortString``, ``getServiceExternalIP``,
``formatEndpoints``...). Built on ``format`` and ``printer``; listed in
``registry.BUILTIN_PRINTERS``.
"""

from __future__ import annotations

from typing import Any

from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _more(items: list[str], more: bool, count: int, limit: int) -> str:
    """``listWithMoreString``."""
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or fmt.UNSET


def _load_balancer_ips(status: Any) -> list[str]:
    """``loadBalancerStatusStringer`` (never clipped: the server prints wide)."""
    found = set()
    for ingress in fmt.as_list(fmt.sub(status, "loadBalancer", "ingress")):
        if ingress.get("ip"):
            found.add(str(ingress["ip"]))
        elif ingress.get("hostname"):
            found.add(str(ingress["hostname"]))
    return sorted(found)


def service_external_ip(svc: Obj) -> str:
    """``getServiceExternalIP``: ``<none>``, ``<pending>``, or the addresses."""
    spec = svc.get("spec") or {}
    external_ips = [str(ip) for ip in fmt.as_list(spec.get("externalIPs"))]
    svc_type = spec.get("type") or "ClusterIP"
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else fmt.NONE
    if svc_type == "LoadBalancer":
        lb_ips = _load_balancer_ips(svc.get("status"))
        if external_ips:
            return ",".join(lb_ips + external_ips)
        return ",".join(lb_ips) if lb_ips else "<pending>"
    if svc_type == "ExternalName":
        return str(spec.get("externalName", ""))
    return fmt.UNKNOWN


def service_ports(ports: Any) -> str:
    """``makePortString``: ``80/TCP,3306:31234/TCP``."""
    pieces = []
    for port in fmt.as_list(ports):
        protocol = port.get("protocol") or "TCP"
        node_port = fmt.as_int(port.get("nodePort"))
        if node_port > 0:
            pieces.append(f"{fmt.as_int(port.get('port'))}:{node_port}/{protocol}")
        else:
            pieces.append(f"{fmt.as_int(port.get('port'))}/{protocol}")
    return ",".join(pieces)


def _service_cells(svc: Obj, now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    cluster_ips = fmt.as_list(spec.get("clusterIPs"))
    cluster_ip = (cluster_ips[0] if cluster_ips else spec.get("clusterIP")) or fmt.NONE
    return [fmt.name(svc), spec.get("type") or "ClusterIP", cluster_ip, service_external_ip(svc),
            service_ports(spec.get("ports")) or fmt.NONE, fmt.age(svc, now),
            fmt.format_labels(spec.get("selector"))]


SERVICE = pr.Printer(pr.cols(
    pr.doc_col("Type", "core.ServiceSpec.type"),
    pr.doc_col("Cluster-IP", "core.ServiceSpec.clusterIP"),
    pr.doc_col("External-IP", "core.ServiceSpec.externalIPs"),
    pr.doc_col("Port(s)", "core.ServiceSpec.ports"),
    pr.AGE_COL,
    pr.doc_col("Selector", "core.ServiceSpec.selector", priority=1),
), _service_cells)


def format_endpoints(endpoints: Obj) -> str:
    """``formatEndpoints``: up to three ``ip:port``, then ``+ N more...``."""
    subsets = fmt.as_list(endpoints.get("subsets"))
    if not subsets:
        return fmt.NONE
    listed: list[str] = []
    limit, more, count = 3, False, 0
    for subset in subsets:
        addresses = fmt.as_list(subset.get("addresses"))
        ports = fmt.as_list(subset.get("ports"))
        targets: list[Any] = ports if ports else [None]  # headless: bare IPs
        for port in targets:
            count += len(addresses)
            for address in addresses:
                if len(listed) == limit:
                    more = True
                    break
                ip = str(address.get("ip", ""))
                listed.append(ip if port is None
                              else _join_host_port(ip, fmt.as_int(port.get("port"))))
    text = ",".join(listed)
    return f"{text} + {count - limit} more..." if more else text


ENDPOINTS = pr.Printer(pr.cols(
    pr.doc_col("Endpoints", "core.Endpoints.subsets"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), format_endpoints(obj), fmt.age(obj, now)])


def _endpointslice_cells(obj: Obj, now: float) -> list[Any]:
    ports: list[str] = []
    count = 0
    for port in fmt.as_list(obj.get("ports")):
        if len(ports) < 3:
            if port.get("port") is not None:
                ports.append(str(fmt.as_int(port["port"])))
            else:
                ports.append(str(port["name"]) if port.get("name") is not None else "*")
        count += 1
    addresses: list[str] = []
    total = 0
    for endpoint in fmt.as_list(obj.get("endpoints")):
        for address in fmt.as_list(endpoint.get("addresses")):
            if len(addresses) < 3:
                addresses.append(str(address))
            total += 1
    return [fmt.name(obj), str(obj.get("addressType", "")), _more(ports, count > 3, count, 3),
            _more(addresses, total > 3, total, 3), fmt.age(obj, now)]


ENDPOINTSLICE = pr.Printer(pr.cols(
    pr.doc_col("AddressType", "discb1.EndpointSlice.addressType"),
    pr.doc_col("Ports", "discb1.EndpointSlice.ports"),
    pr.doc_col("Endpoints", "discb1.EndpointSlice.endpoints"),
    pr.AGE_COL,
), _endpointslice_cells)


def _ingress_hosts(rules: list[Any]) -> str:
    """``formatHosts``: up to three hosts, ``*`` when none."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(str(rule["host"]))
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - 3} more..." if more else text


def _ingress_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    return [fmt.name(obj), spec.get("ingressClassName") or fmt.NONE,
            _ingress_hosts(fmt.as_list(spec.get("rules"))),
            ",".join(_load_balancer_ips(obj.get("status"))),
            "80, 443" if fmt.as_list(spec.get("tls")) else "80", fmt.age(obj, now)]


INGRESS = pr.Printer(pr.cols(
    pr.col("Class", "The name of the IngressClass resource that should be used for additional "
           "configuration"),
    pr.col("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
    pr.col("Address", "Address is a list containing ingress points for the load-balancer"),
    pr.col("Ports", "Ports of TLS configurations that open"),
    pr.AGE_COL,
), _ingress_cells)


def _ingress_class_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    parameters = fmt.NONE
    if isinstance(params, dict):
        parameters = str(params.get("kind", ""))
        if params.get("apiGroup") is not None:
            parameters += "." + str(params["apiGroup"])
        parameters += "/" + str(params.get("name", ""))
    return [fmt.name(obj), str(spec.get("controller", "")), parameters, fmt.age(obj, now)]


INGRESS_CLASS = pr.Printer(pr.cols(
    pr.col("Controller", "Controller that is responsible for handling this class"),
    pr.col("Parameters", "A reference to a resource with additional parameters"),
    pr.AGE_COL,
), _ingress_class_cells)


NETWORK_POLICY = pr.Printer(pr.cols(
    pr.doc_col("Pod-Selector", "ext.NetworkPolicySpec.podSelector"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj),
                     fmt.format_label_selector(fmt.sub(obj, "spec", "podSelector") or {}),
                     fmt.age(obj, now)])
