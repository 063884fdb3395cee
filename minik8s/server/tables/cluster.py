"""The printers of the cluster and configuration kinds: nodes, namespaces, config
maps, secrets, service accounts, component statuses, resource quotas, priority
classes, leases, events (core and ``events.k8s.io``) and RBAC bindings.

kube-apiserver 1.33's printers. Built on ``format``, ``printer`` and ``docs``;
listed in ``registry.BUILTIN_PRINTERS``. Storage kinds are in ``storage``.
"""

from __future__ import annotations

from typing import Any

from minik8s.server.tables import docs
from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def node_status(node: Obj) -> str:
    """``Ready``, ``NotReady``, ``Unknown``, plus ``,SchedulingDisabled`` when cordoned."""
    ready = None
    for cond in fmt.as_list(fmt.sub(node, "status", "conditions")):
        if cond.get("type") == "Ready":
            ready = cond  # the last one wins, as in the printer's condition map
    status = ["Unknown"] if ready is None else [
        "Ready" if ready.get("status") == "True" else "NotReady"]
    if fmt.sub(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(node: Obj) -> str:
    """Roles from ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role=<role>`` labels."""
    roles = set()
    for key, value in (fmt.meta(node).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or fmt.NONE


def _node_address(node: Obj, kind: str) -> str:
    for address in fmt.as_list(fmt.sub(node, "status", "addresses")):
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return fmt.NONE


def _node_cells(node: Obj, now: float) -> list[Any]:
    info = fmt.sub(node, "status", "nodeInfo") or {}
    return [fmt.name(node), node_status(node), node_roles(node), fmt.age(node, now),
            str(info.get("kubeletVersion", "")),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or fmt.UNKNOWN, info.get("kernelVersion") or fmt.UNKNOWN,
            info.get("containerRuntimeVersion") or fmt.UNKNOWN]


NODE = pr.Printer(pr.cols(
    pr.col("Status", "The status of the node"),
    pr.col("Roles", "The roles of the node"),
    pr.AGE_COL,
    pr.doc_col("Version", "core.NodeSystemInfo.kubeletVersion"),
    pr.doc_col("Internal-IP", "core.NodeStatus.addresses", priority=1),
    pr.doc_col("External-IP", "core.NodeStatus.addresses", priority=1),
    pr.doc_col("OS-Image", "core.NodeSystemInfo.osImage", priority=1),
    pr.doc_col("Kernel-Version", "core.NodeSystemInfo.kernelVersion", priority=1),
    pr.doc_col("Container-Runtime", "core.NodeSystemInfo.containerRuntimeVersion", priority=1),
), _node_cells)

NAMESPACE = pr.Printer(pr.cols(
    pr.col("Status", "The status of the namespace"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), str(fmt.sub(obj, "status", "phase") or "Active"),  # as created
                     fmt.age(obj, now)])

CONFIGMAP = pr.Printer(pr.cols(
    pr.doc_col("Data", "core.ConfigMap.data"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
                     fmt.age(obj, now)])

SECRET = pr.Printer(pr.cols(
    pr.doc_col("Type", "core.Secret.type"),
    pr.doc_col("Data", "core.Secret.data"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), str(obj.get("type", "")), len(obj.get("data") or {}),
                     fmt.age(obj, now)])

SERVICE_ACCOUNT = pr.Printer(pr.cols(
    pr.doc_col("Secrets", "core.ServiceAccount.secrets"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), len(fmt.as_list(obj.get("secrets"))), fmt.age(obj, now)])


def _component_status_cells(obj: Obj, now: float) -> list[Any]:
    status, message, error = "Unknown", "", ""
    for cond in fmt.as_list(obj.get("conditions")):
        if cond.get("type") == "Healthy":
            status = "Healthy" if cond.get("status") == "True" else "Unhealthy"
            message, error = str(cond.get("message", "")), str(cond.get("error", ""))
            break
    return [fmt.name(obj), status, message, error]


COMPONENT_STATUS = pr.Printer(pr.cols(
    pr.col("Status", "Status of the component conditions"),
    pr.col("Message", "Message of the component conditions"),
    pr.col("Error", "Error of the component conditions"),
), _component_status_cells)


def _resource_quota_cells(obj: Obj, now: float) -> list[Any]:
    hard = fmt.sub(obj, "status", "hard") or {}
    used = fmt.sub(obj, "status", "used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        target = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        target.append(f"{resource}: {fmt.format_quantity(used.get(resource))}/"
                      f"{fmt.format_quantity(hard[resource])}")
    return [fmt.name(obj), ", ".join(requests), ", ".join(limits), fmt.age(obj, now)]


RESOURCE_QUOTA = pr.Printer(pr.cols(
    pr.col("Request", "Request represents a minimum amount of cpu/memory that a container may "
           "consume."),
    pr.col("Limit", "Limits control the maximum amount of cpu/memory that a container may use "
           "independent of contention on the node."),
    pr.AGE_COL,
), _resource_quota_cells)


def _priority_class_cells(obj: Obj, now: float) -> list[Any]:
    return [fmt.name(obj), fmt.as_int(obj.get("value")), bool(obj.get("globalDefault", False)),
            fmt.age(obj, now), str(obj.get("preemptionPolicy") or "")]


PRIORITY_CLASS = pr.Printer(pr.cols(
    pr.doc_col("Value", "sched.PriorityClass.value", "integer"),
    pr.doc_col("Global-Default", "sched.PriorityClass.globalDefault", "boolean"),
    pr.AGE_COL,
    pr.doc_col("PreemptionPolicy", "sched.PriorityClass.preemptionPolicy"),
), _priority_class_cells)

LEASE = pr.Printer(pr.cols(
    pr.doc_col("Holder", "coord.LeaseSpec.holderIdentity"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), str(fmt.sub(obj, "spec", "holderIdentity") or ""),
                     fmt.age(obj, now)])


# --------------------------------------------------------------------------- events


def _event_v1_as_core(ev: Obj) -> Obj:
    """An ``events.k8s.io/v1`` Event in the core shape the printer reads (the server
    stores both as one internal type)."""
    return {
        "metadata": ev.get("metadata") or {},
        "involvedObject": ev.get("regarding") or {},
        "message": ev.get("note", ""),
        "source": ev.get("deprecatedSource") or {},
        "firstTimestamp": ev.get("deprecatedFirstTimestamp"),
        "lastTimestamp": ev.get("deprecatedLastTimestamp"),
        "count": ev.get("deprecatedCount"),
        "series": ev.get("series"),
        "eventTime": ev.get("eventTime"),
        "reportingComponent": ev.get("reportingController", ""),
        "reportingInstance": ev.get("reportingInstance", ""),
        "type": ev.get("type", ""),
        "reason": ev.get("reason", ""),
    }


def _event_cells(ev: Obj, now: float) -> list[Any]:
    first_ts = ev.get("firstTimestamp")
    if fmt.parse_time(first_ts) is None:
        first_ts = ev.get("eventTime")
    first = fmt.translate_timestamp_since(first_ts, now)
    last = (fmt.translate_timestamp_since(ev["lastTimestamp"], now)
            if fmt.parse_time(ev.get("lastTimestamp")) is not None else first)
    count = fmt.as_int(ev.get("count"))
    series = ev.get("series")
    if series is not None:
        last = fmt.translate_timestamp_since(series.get("lastObservedTime"), now)
        count = fmt.as_int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    involved = ev.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [last, str(ev.get("type", "")), str(ev.get("reason", "")), target,
            str(involved.get("fieldPath", "")), f"{component}, {host}" if host else component,
            str(ev.get("message", "")).strip(), first, count, fmt.name(ev)]


_EVENT_COLUMNS = (
    pr.doc_col("Last Seen", "core.Event.lastTimestamp"),
    pr.doc_col("Type", "core.Event.type"),
    pr.doc_col("Reason", "core.Event.reason"),
    pr.doc_col("Object", "core.Event.involvedObject"),
    pr.doc_col("Subobject", "core.ObjectReference.fieldPath", priority=1),
    pr.doc_col("Source", "core.Event.source", priority=1),
    pr.doc_col("Message", "core.Event.message"),
    pr.doc_col("First Seen", "core.Event.firstTimestamp", priority=1),
    pr.doc_col("Count", "core.Event.count", priority=1),
    pr.col("Name", docs.DOCS["meta.ObjectMeta.name"], priority=1, format_="name"),
)
EVENT = pr.Printer(_EVENT_COLUMNS, _event_cells)
EVENT_V1 = pr.Printer(_EVENT_COLUMNS, lambda ev, now: _event_cells(_event_v1_as_core(ev), now))


# --------------------------------------------------------------------------- rbac


def _subjects(subjects: Any) -> list[str]:
    users: list[str] = []
    groups: list[str] = []
    service_accounts: list[str] = []
    for subject in fmt.as_list(subjects):
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "ServiceAccount":
            service_accounts.append(f"{subject.get('namespace', '')}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [", ".join(users), ", ".join(groups), ", ".join(service_accounts)]


def _binding_cells(obj: Obj, now: float) -> list[Any]:
    ref = obj.get("roleRef") or {}
    return [fmt.name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", fmt.age(obj, now),
            *_subjects(obj.get("subjects"))]


def binding_printer(doc: str, what: str) -> pr.Printer:
    return pr.Printer(pr.cols(
        pr.doc_col("Role", doc),
        pr.AGE_COL,
        pr.col("Users", f"Users in the {what}", priority=1),
        pr.col("Groups", f"Groups in the {what}", priority=1),
        pr.col("ServiceAccounts", f"ServiceAccounts in the {what}", priority=1),
    ), _binding_cells)
