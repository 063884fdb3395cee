"""EndpointSlice controller: discovery.k8s.io/v1 EndpointSlices for Services with a selector.

Like kube-controller-manager's endpointslice-controller (and the staging reconciler):

- every pod with an IP that is not Succeeded/Failed becomes an endpoint — terminating ones
  too — with ``conditions {ready, serving, terminating}`` (``ready`` = serving and not
  terminating, or always with ``publishNotReadyAddresses``), ``nodeName``, ``targetRef``,
  ``zone`` (the node's ``topology.kubernetes.io/zone``) and ``hostname`` as for Endpoints;
  pods on a node that does not exist are skipped;
- endpoints are grouped by the set of ports they offer (named ports resolved per pod), at most
  100 per slice; slices are named ``<service>-<5 chars>`` (generateName), labelled
  ``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by:
  endpointslice-controller.k8s.io`` plus the Service's labels, owned by the Service;
- existing slices are updated in place (endpoints stay where they are, new ones fill slices
  with room), emptied ones deleted or reused for new groups; a Service with no endpoints keeps
  one placeholder slice (no endpoints, no ports).

Only IPv4 is produced (the cluster is single-stack). Slices managed by anyone else, and
Services without selectors, are left alone: nothing is mirrored from Endpoints.
Neighbour: ``controllers.endpoints`` (pod helpers, trigger times).
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.controllers import endpoints as ep
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "endpointslice-controller"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
ZONE = "topology.kubernetes.io/zone"
MAX_PER_SLICE = 100

PortsKey = tuple[tuple[Any, ...], ...]


def endpoint_for(pod: Obj, svc: Obj, node: Obj | None) -> Obj:
    """``podToEndpoint``."""
    serving = ep.is_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ready = bool((svc.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    e: Obj = {"addresses": [ep.pod_ip(pod)],
              "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    if ep.should_set_hostname(pod, svc):
        e["hostname"] = pod["spec"]["hostname"]
    if (pod.get("spec") or {}).get("nodeName"):
        e["nodeName"] = pod["spec"]["nodeName"]
    e["targetRef"] = ep.target_ref(pod)
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE)
    if zone:
        e["zone"] = zone
    return e


def endpoint_ports(svc: Obj, pod: Obj) -> list[Obj]:
    out = []
    for sp in (svc.get("spec") or {}).get("ports") or ():
        number = ep.find_port(pod, sp)
        if number is None:
            continue
        p: Obj = {"name": sp.get("name") or "", "port": number, "protocol": sp.get("protocol") or "TCP"}
        if sp.get("appProtocol"):
            p["appProtocol"] = sp["appProtocol"]
        out.append(p)
    return out


def ports_key(ports: list[Obj] | None) -> PortsKey:
    return tuple(sorted((p.get("name") or "", p.get("port") or 0, p.get("protocol") or "",
                         p.get("appProtocol") or "") for p in ports or ()))


def endpoint_key(e: Obj) -> str:
    return str((e.get("targetRef") or {}).get("uid") or (e.get("addresses") or [""])[0])


def slice_labels(svc: Obj) -> dict[str, str]:
    labels = {k: v for k, v in (svc["metadata"].get("labels") or {}).items()
              if k not in (SERVICE_NAME, MANAGED_BY)}
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[ep.HEADLESS] = ""
    labels[SERVICE_NAME] = svc["metadata"]["name"]
    labels[MANAGED_BY] = CONTROLLER_NAME
    return labels


def owned_by(s: Obj, svc: Obj) -> bool:
    return any(o.get("uid") == svc["metadata"]["uid"] and o.get("controller")
               for o in s["metadata"].get("ownerReferences") or ())


def is_placeholder(s: Obj) -> bool:
    return not s.get("endpoints") and not s.get("ports")


def setup(ctx: ControllerContext) -> None:
    services = ctx.informers.informer("v1", "services")
    pods = ctx.informers.informer("v1", "pods")
    nodes = ctx.informers.informer("v1", "nodes")
    slices = ctx.informers.informer("discovery.k8s.io/v1", "endpointslices")
    slices.add_indexer("endpointslice-controller", lambda s: [
        f"{s['metadata'].get('namespace')}/{(s['metadata'].get('labels') or {}).get(SERVICE_NAME)}"]
        if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == CONTROLLER_NAME else [])
    client = ctx.client
    tracker = ep.TriggerTimeTracker()

    def desired_groups(svc: Obj, selected: list[Obj]) -> dict[PortsKey, tuple[list[Obj], dict[str, Obj]]]:
        groups: dict[PortsKey, tuple[list[Obj], dict[str, Obj]]] = {}
        for pod in selected:
            if not ep.should_be_in_endpoints(pod, True):
                continue
            node_name = (pod.get("spec") or {}).get("nodeName")
            node = nodes.get("", node_name) if node_name else None
            if node_name and node is None:
                continue  # the real controller skips pods whose Node it cannot find
            ports = endpoint_ports(svc, pod)
            e = endpoint_for(pod, svc, node)
            groups.setdefault(ports_key(ports), (ports, {}))[1][endpoint_key(e)] = e
        return groups

    def reconcile(req: Request) -> Result | None:
        svc = services.get(req.namespace, req.name)
        if svc is None:
            tracker.forget(req.namespace, req.name)
            return None  # slices go with the Service (ownerReferences → garbage collector)
        if not ep.managed(svc):
            return None
        selected = ep.selected_pods(pods, svc)
        trigger = tracker.compute(svc, selected)
        groups = desired_groups(svc, selected)
        existing: list[Obj] = sorted(slices.by_index("endpointslice-controller", f"{req.namespace}/{req.name}"),
                          key=lambda s: s["metadata"]["name"])
        deletes = [s for s in existing if not owned_by(s, svc) or s.get("addressType") != "IPv4"]
        owned = [s for s in existing if s not in deletes]
        by_key: dict[PortsKey, list[Obj]] = {}
        for s in owned:
            by_key.setdefault(ports_key(s.get("ports")), []).append(s)
        creates: list[tuple[list[Obj], list[Obj]]] = []     # (ports, endpoints)
        updates: list[tuple[Obj, list[Obj], list[Obj]]] = []  # (slice, ports, endpoints)
        for key, (ports, pool) in sorted(groups.items()):
            pool = dict(pool)
            kept: list[tuple[Obj, list[Obj]]] = []
            for s in by_key.pop(key, []):
                eps = [pool.pop(endpoint_key(e)) for e in s.get("endpoints") or ()
                       if endpoint_key(e) in pool]
                kept.append((s, eps))
            rest = sorted(pool.values(), key=lambda e: (e["addresses"][0], endpoint_key(e)))
            for s, eps in kept:
                room = MAX_PER_SLICE - len(eps)
                if room > 0 and rest:
                    eps.extend(rest[:room])
                    rest = rest[room:]
                if eps:
                    updates.append((s, ports, eps))
                else:
                    deletes.append(s)
            for i in range(0, len(rest), MAX_PER_SLICE):
                creates.append((ports, rest[i:i + MAX_PER_SLICE]))
        for leftover in by_key.values():
            deletes.extend(leftover)
        if not groups and not updates:
            holders = [s for s in deletes if owned_by(s, svc) and is_placeholder(s)]
            if holders:
                deletes.remove(holders[0])
                updates.append((holders[0], [], []))
            else:
                creates.append(([], []))
        # turn a create plus a delete into one update, as the real reconciler does
        while creates and deletes and owned_by(deletes[-1], svc):
            ports, eps = creates.pop()
            updates.append((deletes.pop(), ports, eps))
        for ports, eps in creates:
            client.create(slice_obj(svc, None, ports, eps, trigger), manager=COMPONENT)
        for s, ports, eps in updates:
            new = slice_obj(svc, s, ports, eps, trigger)
            if (new.get("endpoints"), new.get("ports"), new["metadata"].get("labels"),
                    new["metadata"].get("ownerReferences")) == \
                    (s.get("endpoints"), s.get("ports"), s["metadata"].get("labels"),
                     s["metadata"].get("ownerReferences")):
                continue
            client.update(new, manager=COMPONENT)
        for s in deletes:
            try:
                client.delete("discovery.k8s.io/v1", "EndpointSlice", s["metadata"]["name"],
                              req.namespace)
            except errors.NotFound:
                pass
        return None

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def on_service(et: str, o: Obj, old: Obj | None) -> None:
        ctrl.enqueue(Request(o["metadata"]["namespace"], o["metadata"]["name"]))

    def on_pod(et: str, pod: Obj, old: Obj | None) -> None:
        for req in ep.services_selecting(services, pod, old):
            ctrl.enqueue(req)

    def on_node(et: str, node: Obj, old: Obj | None) -> None:
        zone = (node["metadata"].get("labels") or {}).get(ZONE)
        old_zone = ((old or {}).get("metadata", {}).get("labels") or {}).get(ZONE)
        if et == "MODIFIED" and zone == old_zone:
            return
        for svc in services.list():
            if ep.managed(svc):
                on_service(et, svc, None)

    def on_slice(et: str, s: Obj, old: Obj | None) -> None:
        labels = s["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY) == CONTROLLER_NAME and labels.get(SERVICE_NAME):
            ctrl.enqueue(Request(s["metadata"]["namespace"], labels[SERVICE_NAME]))

    services.add_handler(on_service)
    pods.add_handler(on_pod)
    nodes.add_handler(on_node, replay=False)
    slices.add_handler(on_slice, replay=False)


def slice_obj(svc: Obj, current: Obj | None, ports: list[Obj], eps: list[Obj],
              trigger: float | None) -> Obj:
    """The slice as it should be: ``current`` (kept name and metadata) or a new one."""
    name = svc["metadata"]["name"]
    if current is not None:
        new = objects.deep_copy(current)
        md = new["metadata"]
    else:
        md = {"generateName": f"{name}-", "namespace": svc["metadata"]["namespace"]}
        new = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": md}
    md["labels"] = slice_labels(svc)
    md["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service", "name": name,
                              "uid": svc["metadata"]["uid"], "controller": True,
                              "blockOwnerDeletion": True}]
    annotations = dict(md.get("annotations") or {})
    if trigger is not None:
        annotations[ep.TRIGGER_TIME] = ep.format_trigger(trigger)
    else:
        annotations.pop(ep.TRIGGER_TIME, None)
    if annotations:
        md["annotations"] = annotations
    else:
        md.pop("annotations", None)
    new["addressType"] = "IPv4"
    new["endpoints"] = eps or None
    new["ports"] = ports or None
    return new
