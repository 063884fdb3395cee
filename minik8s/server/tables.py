"""Server-side Table printing: the ``meta.k8s.io/v1`` Tables that ``kubectl get`` shows.

Column sets, cell values and column descriptions follow kube-apiserver 1.33
(``pkg/printers/internalversion``, ``apimachinery/util/duration``, the apiserver's
default table convertor and the CRD table convertor), re-written for plain dicts.
The real server always prints with ``Wide`` on, so every row carries the cells of
the ``priority: 1`` columns too; kubectl hides them unless ``-o wide``.

Everything here is a pure function of (resource, object, now). Built-in printers
are looked up by ``Resource.key``; custom resources plug in through a
``Printers`` registry (``Printers.register_columns`` with ``crd_columns``).
Neighbours: ``api.resources`` (what is printed), the list/get/watch handlers
(call ``to_table``), ``api.errors`` (the 400 for a bad ``includeObject``).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import math
import operator
import re
import types
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from minik8s.api import errors, resources

Obj = dict[str, Any]
CellsFn = Callable[[Obj, float], list[Any]]
ConditionsFn = Callable[[Obj], "list[Obj] | None"]

NONE = "<none>"
UNKNOWN = "<unknown>"
UNSET = "<unset>"


# --------------------------------------------------------------------------- durations


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: about 2-3 significant figures (``90s``, ``5m10s``,
    ``3h2m``, ``2d3h``, ``8d``, ``2y10d``, ``9y``). Up to 2 s into the future is
    clock skew and reads ``0s``; further is ``<invalid>``."""
    if math.isnan(seconds):
        return "<invalid>"
    s = int(seconds)  # truncates toward zero, as Go's int(d.Seconds())
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m" if rem == 0 else f"{minutes}m{rem}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h" if rem == 0 else f"{hours}h{rem}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d" if rem == 0 else f"{hours // 24}d{rem}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years, days = divmod(hours // 24, 365)
    if hours < 24 * 365 * 8 and days:
        return f"{years}y{days}d"
    return f"{years}y"


_ZERO_TIME = -62135596800.0  # 0001-01-01T00:00:00Z, Go's zero time.Time


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp (``metav1.Time`` / ``MicroTime``) as epoch seconds;
    None when absent, unparseable or Go's zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    ts = dt.timestamp()
    return None if ts <= _ZERO_TIME else ts


def translate_timestamp_since(value: Any, now: float) -> str:
    """The Age cell: ``human_duration(now - value)``, ``<unknown>`` without a timestamp."""
    ts = parse_time(value)
    if ts is None:
        return UNKNOWN
    return human_duration(now - ts)


def _age(obj: Obj, now: float) -> str:
    return translate_timestamp_since(_meta(obj).get("creationTimestamp"), now)


def _rfc3339(value: Any) -> str:
    """``Time.UTC().Format(time.RFC3339)``: whole seconds, ``Z``."""
    ts = parse_time(value)
    if ts is None:
        return "0001-01-01T00:00:00Z"
    dt = datetime.datetime.fromtimestamp(math.floor(ts), tz=datetime.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- small helpers


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name", ""))


def _sub(obj: Any, *path: str) -> Any:
    """obj[path[0]][path[1]]..., None as soon as a step is missing."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _selector_string(sel: Any) -> str | None:
    """``LabelSelectorAsSelector(sel).String()``; None when the selector is invalid."""
    if not isinstance(sel, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (sel.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in sel.get("matchExpressions") or []:
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        if op in ("In", "NotIn"):
            if not values:
                return None
            word = " in " if op == "In" else " notin "
            reqs.append((key, f"{key}{word}({','.join(sorted(values))})"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                return None
            reqs.append((key, key if op == "Exists" else f"!{key}"))
        else:
            return None
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(sel: Any) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` when it selects everything."""
    text = _selector_string(sel)
    if text is None:
        return "<error>"
    return text or NONE


def _containers(containers: Any) -> tuple[str, str]:
    """``layoutContainerCells``: names and images, comma-joined."""
    items = _list(containers)
    return (",".join(str(c.get("name", "")) for c in items),
            ",".join(str(c.get("image", "")) for c in items))


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _more(items: list[str], more: bool, count: int, limit: int) -> str:
    """``listWithMoreString``."""
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or UNSET


def _go_float(value: float) -> str:
    """Go's ``fmt.Sprint(float64)`` (``%g``, shortest digits): ``1.5``, ``1e+06``."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign, digit_tuple, exp = decimal.Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    x = int(exp) + len(digits) - 1  # decimal exponent of the leading digit
    neg = "-" if sign else ""
    if x < -4 or x >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{neg}{body}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{neg}0.{'0' * (-x - 1)}{digits}"
    if len(digits) <= x + 1:
        return f"{neg}{digits}{'0' * (x + 1 - len(digits))}"
    return f"{neg}{digits[:x + 1]}.{digits[x + 1:]}"


# --------------------------------------------------------------------------- quantities

_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12,
                     "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_QUANTITY = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?([a-zA-Z]*|[eE][+-]?\d+)")


def format_quantity(value: Any) -> str:
    """``resource.Quantity.String()``: the canonical form the server stores and prints
    (``2048Mi`` → ``2Gi``, ``1500m`` → ``1500m``, ``0.5`` → ``500m``, missing → ``0``)."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return str(value)
    text = repr(value) if isinstance(value, float) else str(value)
    m = _QUANTITY.fullmatch(text.strip())
    if m is None or not (m.group(2) or m.group(3)):
        return text
    sign, whole, frac, suffix = m.groups()
    amount = Fraction(int(whole or "0"))
    if frac:
        amount += Fraction(int(frac), 10 ** len(frac))
    binary = False
    if suffix in _BINARY_SUFFIXES:
        amount *= 1024 ** _BINARY_SUFFIXES[suffix]
        binary = True
    elif suffix in _DECIMAL_SUFFIXES:
        amount *= Fraction(10) ** _DECIMAL_SUFFIXES[suffix]
    elif suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        amount *= Fraction(10) ** int(suffix[1:])
    else:
        return text
    exponent_form = suffix[:1] in ("e", "E") and suffix not in _DECIMAL_SUFFIXES
    if sign == "-":
        amount = -amount
    # precision below 1n is rounded up (away from zero), as ParseQuantity does
    nanos = amount * 10 ** 9
    if nanos.denominator != 1:
        up = math.ceil(abs(nanos))
        amount = Fraction(up if amount > 0 else -up, 10 ** 9)
    if amount == 0:
        return "0"
    if binary and not (-1024 < amount < 1024) and amount.denominator == 1:
        number, power = int(amount), 0
        while number % 1024 == 0 and power < 6:
            number //= 1024
            power += 1
        return f"{number}{'' if power == 0 else 'KMGTPE'[power - 1] + 'i'}"
    mantissa, exp = int(amount * 10 ** 9), -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    shift = exp % 3  # Python's % keeps it in 0..2, like Go's two-case switch
    mantissa *= 10 ** shift
    exp -= shift
    if exponent_form:
        return f"{mantissa}" if exp == 0 else f"{mantissa}e{exp}"
    if exp > 18:
        mantissa, exp = mantissa * 10 ** (exp - 18), 18
    return f"{mantissa}{_DECIMAL_BY_EXP[exp]}"


def _quantity_ptr(value: Any) -> str:
    """``(*Quantity).String()`` on an optional field: ``<nil>`` when unset."""
    return "<nil>" if value is None else format_quantity(value)


# --------------------------------------------------------------------------- field docs

#: Column descriptions: the ``SwaggerDoc()`` texts (k8s.io/api and apimachinery v0.33)
#: the real printers quote, keyed ``<package>.<Type>.<field>``.
_DOCS: Mapping[str, str] = types.MappingProxyType({
    'meta.ObjectMeta.name': (
        'Name must be unique within a namespace. Is required when creating resources, although '
        'some resources may allow a client to request the generation of an appropriate name '
        'automatically. Name is primarily intended for creation idempotence and configuration '
        'definition. Cannot be updated. More info: '
        'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
    ),
    'meta.ObjectMeta.creationTimestamp': (
        'CreationTimestamp is a timestamp representing the server time when this object was '
        'created. It is not guaranteed to be set in happens-before order across separate '
        'operations. Clients may not set this value. It is represented in RFC3339 form and is '
        'in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: '
        'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#me'
        'tadata'
    ),
    'core.PodStatus.podIP': (
        'podIP address allocated to the pod. Routable at least within the cluster. Empty if '
        'not yet allocated.'
    ),
    'core.PodSpec.nodeName': (
        'NodeName indicates in which node this pod is scheduled. If empty, this pod is a '
        'candidate for scheduling by the scheduler defined in schedulerName. Once this field '
        'is set, the kubelet for this node becomes responsible for the lifecycle of this pod. '
        'This field should not be used to express a desire for the pod to be scheduled on a '
        'specific node. '
        'https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename'
    ),
    'core.PodStatus.nominatedNodeName': (
        'nominatedNodeName is set only when this pod preempts other pods on the node, but it '
        'cannot be scheduled right away as preemption victims receive their graceful '
        'termination periods. This field does not guarantee that the pod will be scheduled on '
        'this node. Scheduler may decide to place the pod elsewhere if other nodes become '
        'available sooner. Scheduler may also decide to give the resources on this node to a '
        'higher priority pod that is created after preemption. As a result, this field may be '
        'different than PodSpec.nodeName when the pod is scheduled.'
    ),
    'core.PodSpec.readinessGates': (
        'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready '
        'when all its containers are ready AND all conditions specified in the readiness gates '
        'have status equal to "True" More info: '
        'https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates'
    ),
    'core.PodSpec.nodeSelector': (
        'NodeSelector is a selector which must be true for the pod to fit on a node. Selector '
        "which must match a node's labels for the pod to be scheduled on that node. More info: "
        'https://kubernetes.io/docs/concepts/configuration/assign-pod-node/'
    ),
    'core.ReplicationControllerSpec.replicas': (
        'Replicas is the number of desired replicas. This is a pointer to distinguish between '
        'explicit zero and unspecified. Defaults to 1. More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-i'
        's-a-replicationcontroller'
    ),
    'core.ReplicationControllerStatus.replicas': (
        'Replicas is the most recently observed number of replicas. More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-i'
        's-a-replicationcontroller'
    ),
    'core.ReplicationControllerStatus.readyReplicas': (
        'The number of ready replicas for this replication controller.'
    ),
    'core.ReplicationControllerSpec.selector': (
        'Selector is a label query over pods that should match the Replicas count. If Selector '
        'is empty, it is defaulted to the labels present on the Pod template. Label keys and '
        'values that must match in order to be controlled by this replication controller, if '
        'empty defaulted to labels on Pod template. More info: '
        'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-select'
        'ors'
    ),
    'ext.ReplicaSetSpec.replicas': (
        'Replicas is the number of desired pods. This is a pointer to distinguish between '
        'explicit zero and unspecified. Defaults to 1. More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/replicaset'
    ),
    'ext.ReplicaSetStatus.replicas': (
        'Replicas is the most recently observed number of non-terminating pods. More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/replicaset'
    ),
    'ext.ReplicaSetStatus.readyReplicas': (
        'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'
    ),
    'ext.ReplicaSetSpec.selector': (
        'Selector is a label query over pods that should match the replica count. If the '
        'selector is empty, it is defaulted to the labels present on the pod template. Label '
        'keys and values that must match in order to be controlled by this replica set. More '
        'info: '
        'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-select'
        'ors'
    ),
    'ext.DaemonSetStatus.desiredNumberScheduled': (
        'The total number of nodes that should be running the daemon pod (including nodes '
        'correctly running the daemon pod). More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'
    ),
    'ext.DaemonSetStatus.currentNumberScheduled': (
        'The number of nodes that are running at least 1 daemon pod and are supposed to run '
        'the daemon pod. More info: '
        'https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'
    ),
    'ext.DaemonSetStatus.numberReady': (
        'The number of nodes that should be running the daemon pod and have one or more of the '
        'daemon pod running and ready.'
    ),
    'ext.DaemonSetStatus.updatedNumberScheduled': (
        'The total number of nodes that are running updated daemon pod'
    ),
    'ext.DaemonSetStatus.numberAvailable': (
        'The number of nodes that should be running the daemon pod and have one or more of the '
        'daemon pod running and available (ready for at least spec.minReadySeconds)'
    ),
    'ext.DaemonSetSpec.selector': (
        'A label query over pods that are managed by the daemon set. Must match in order to be '
        'controlled. If empty, defaulted to labels on Pod template. More info: '
        'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-select'
        'ors'
    ),
    'batch.JobStatus.succeeded': (
        'The number of pods which reached phase Succeeded. The value increases monotonically '
        'for a given spec. However, it may decrease in reaction to scale down of elastic '
        'indexed jobs.'
    ),
    'batch.JobSpec.selector': (
        'A label query over pods that should match the pod count. Normally, the system sets '
        'this field for you. More info: '
        'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-select'
        'ors'
    ),
    'batchb1.CronJobSpec.schedule': (
        'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'
    ),
    'batchb1.CronJobSpec.timeZone': (
        'The time zone name for the given schedule, see '
        'https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this '
        'will default to the time zone of the kube-controller-manager process. The set of '
        'valid time zone names and the time zone offset is loaded from the system-wide time '
        'zone database by the API server during CronJob validation and the controller manager '
        'during execution. If no system-wide time zone database can be found a bundled version '
        'of the database is used instead. If the time zone name becomes invalid during the '
        'lifetime of a CronJob or due to a change in host configuration, the controller will '
        'stop creating new new Jobs and will create a system event with the reason '
        'UnknownTimeZone. More information can be found in '
        'https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones'
    ),
    'batchb1.CronJobSpec.suspend': (
        'This flag tells the controller to suspend subsequent executions, it does not apply to '
        'already started executions.  Defaults to false.'
    ),
    'batchb1.CronJobStatus.active': (
        'A list of pointers to currently running jobs.'
    ),
    'batchb1.CronJobStatus.lastScheduleTime': (
        'Information when was the last time the job was successfully scheduled.'
    ),
    'core.ServiceSpec.type': (
        'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are '
        'ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a '
        'cluster-internal IP address for load-balancing to endpoints. Endpoints are determined '
        'by the selector or if that is not specified, by manual construction of an Endpoints '
        'object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated '
        'and the endpoints are published as a set of endpoints rather than a virtual IP. '
        '"NodePort" builds on ClusterIP and allocates a port on every node which routes to the '
        'same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an '
        'external load-balancer (if supported in the current cloud) which routes to the same '
        'endpoints as the clusterIP. "ExternalName" aliases this service to the specified '
        'externalName. Several other fields do not apply to ExternalName services. More info: '
        'https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-s'
        'ervice-types'
    ),
    'core.ServiceSpec.clusterIP': (
        'clusterIP is the IP address of the service and is usually assigned randomly. If an '
        'address is specified manually, is in-range (as per system configuration), and is not '
        'in use, it will be allocated to the service; otherwise creation of the service will '
        'fail. This field may not be changed through updates unless the type field is also '
        'being changed to ExternalName (which requires this field to be blank) or the type '
        'field is being changed from ExternalName (in which case this field may optionally be '
        'specified, as describe above).  Valid values are "None", empty string (""), or a '
        'valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), '
        'which is useful when direct endpoint connections are preferred and proxying is not '
        'required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field '
        'is specified when creating a Service of type ExternalName, creation will fail. This '
        'field will be wiped when updating a Service to type ExternalName. More info: '
        'https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-servi'
        'ce-proxies'
    ),
    'core.ServiceSpec.externalIPs': (
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept '
        'traffic for this service.  These IPs are not managed by Kubernetes.  The user is '
        'responsible for ensuring that traffic arrives at a node with this IP.  A common '
        'example is external load-balancers that are not part of the Kubernetes system.'
    ),
    'core.ServiceSpec.ports': (
        'The list of ports that are exposed by this service. More info: '
        'https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-servi'
        'ce-proxies'
    ),
    'core.ServiceSpec.selector': (
        'Route service traffic to pods with label keys and values matching this selector. If '
        'empty or not present, the service is assumed to have an external process managing its '
        'endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, '
        'NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: '
        'https://kubernetes.io/docs/concepts/services-networking/service/'
    ),
    'core.Endpoints.subsets': (
        'The set of all endpoints is the union of all subsets. Addresses are placed into '
        'subsets according to the IPs they share. A single address with multiple ports, some '
        'of which are ready and some of which are not (because they come from different '
        'containers) will result in the address being displayed in different subsets for the '
        'different ports. No address will appear in both Addresses and NotReadyAddresses in '
        'the same subset. Sets of addresses and ports that comprise a service.'
    ),
    'core.NodeSystemInfo.kubeletVersion': (
        'Kubelet Version reported by the node.'
    ),
    'core.NodeStatus.addresses': (
        'List of addresses reachable to the node. Queried from cloud provider, if available. '
        'More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: '
        'This field is declared as mergeable, but the merge key is not sufficiently unique, '
        'which can cause data corruption when it is merged. Callers should instead use a '
        'full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should '
        'assume that addresses can change during the lifetime of a Node. However, there are '
        "some exceptions where this may not be possible, such as Pods that inherit a Node's "
        'address in its own status or consumers of the downward API (status.hostIP).'
    ),
    'core.NodeSystemInfo.osImage': (
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'
    ),
    'core.NodeSystemInfo.kernelVersion': (
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
    ),
    'core.NodeSystemInfo.containerRuntimeVersion': (
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. '
        'containerd://1.4.2).'
    ),
    'core.Event.lastTimestamp': (
        'The time at which the most recent occurrence of this event was recorded.'
    ),
    'core.Event.type': (
        'Type of this event (Normal, Warning), new types could be added in the future'
    ),
    'core.Event.reason': (
        'This should be a short, machine understandable string that gives the reason for the '
        "transition into the object's current status."
    ),
    'core.Event.involvedObject': (
        'The object that this event is about.'
    ),
    'core.ObjectReference.fieldPath': (
        'If referring to a piece of an object instead of an entire object, this string should '
        'contain a valid JSON/Go field access statement, such as '
        'desiredState.manifest.containers[2]. For example, if the object reference is to a '
        'container within a pod, this would take on a value like: "spec.containers{name}" '
        '(where "name" refers to the name of the container that triggered the event) or if no '
        'container name is specified "spec.containers[2]" (container with index 2 in this '
        'pod). This syntax is chosen only to have some well-defined way of referencing a part '
        'of an object.'
    ),
    'core.Event.source': (
        'The component reporting this event. Should be a short machine understandable string.'
    ),
    'core.Event.message': (
        'A human-readable description of the status of this operation.'
    ),
    'core.Event.firstTimestamp': (
        'The time at which the event was first recorded. (Time of server receipt is in '
        'TypeMeta.)'
    ),
    'core.Event.count': (
        'The number of times this event has occurred.'
    ),
    'core.Secret.type': (
        'Used to facilitate programmatic handling of secret data. More info: '
        'https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'
    ),
    'core.Secret.data': (
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', "
        "'_' or '.'. The serialized form of the secret data is a base64 encoded string, "
        'representing the arbitrary (possibly non-string) data value here. Described in '
        'https://tools.ietf.org/html/rfc4648#section-4'
    ),
    'core.ServiceAccount.secrets': (
        'Secrets is a list of the secrets in the same namespace that pods running using this '
        'ServiceAccount are allowed to use. Pods are only limited to this list if this service '
        'account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The '
        '"kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. '
        'Prefer separate namespaces to isolate access to mounted secrets. This field should '
        'not be used to find auto-generated service account token secrets for use outside of '
        'pods. Instead, tokens can be requested directly using the TokenRequest API, or '
        'service account token secrets can be manually created. More info: '
        'https://kubernetes.io/docs/concepts/configuration/secret'
    ),
    'core.PersistentVolumeSpec.capacity': (
        "capacity is the description of the persistent volume's resources and capacity. More "
        'info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity'
    ),
    'core.PersistentVolumeSpec.accessModes': (
        'accessModes contains all ways the volume can be mounted. More info: '
        'https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes'
    ),
    'core.PersistentVolumeSpec.persistentVolumeReclaimPolicy': (
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when '
        'released from its claim. Valid options are Retain (default for manually created '
        'PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), '
        'and Recycle (deprecated). Recycle must be supported by the volume plugin underlying '
        'this PersistentVolume. More info: '
        'https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming'
    ),
    'core.PersistentVolumeStatus.phase': (
        'phase indicates if a volume is available, bound to a claim, or released by a claim. '
        'More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase'
    ),
    'core.PersistentVolumeSpec.claimRef': (
        'claimRef is part of a bi-directional binding between PersistentVolume and '
        'PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the '
        'authoritative bind between PV and PVC. More info: '
        'https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding'
    ),
    'core.PersistentVolumeStatus.reason': (
        'reason is a brief CamelCase string that describes any failure and is meant for '
        'machine parsing and tidy display in the CLI.'
    ),
    'core.PersistentVolumeSpec.volumeMode': (
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or '
        'to remain in raw block state. Value of Filesystem is implied when not included in '
        'spec.'
    ),
    'core.PersistentVolumeClaimStatus.phase': (
        'phase represents the current phase of PersistentVolumeClaim.'
    ),
    'core.PersistentVolumeClaimSpec.volumeName': (
        'volumeName is the binding reference to the PersistentVolume backing this claim.'
    ),
    'core.PersistentVolumeClaimStatus.capacity': (
        'capacity represents the actual resources of the underlying volume.'
    ),
    'core.PersistentVolumeClaimStatus.accessModes': (
        'accessModes contains the actual access modes the volume backing the PVC has. More '
        'info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1'
    ),
    'core.PersistentVolumeClaimSpec.volumeMode': (
        'volumeMode defines what type of volume is required by the claim. Value of Filesystem '
        'is implied when not included in claim spec.'
    ),
    'ext.DeploymentStatus.updatedReplicas': (
        'Total number of non-terminating pods targeted by this deployment that have the '
        'desired template spec.'
    ),
    'ext.DeploymentStatus.availableReplicas': (
        'Total number of available non-terminating pods (ready for at least minReadySeconds) '
        'targeted by this deployment.'
    ),
    'ext.DeploymentSpec.selector': (
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be '
        'the ones affected by this deployment.'
    ),
    'hpab1.HorizontalPodAutoscalerSpec.scaleTargetRef': (
        'scaleTargetRef points to the target resource to scale, and is used to the pods for '
        'which metrics should be collected, as well as to actually change the replica count.'
    ),
    'hpab1.HorizontalPodAutoscalerSpec.metrics': (
        'metrics contains the specifications for which to use to calculate the desired replica '
        'count (the maximum replica count across all metrics will be used).  The desired '
        'replica count is calculated multiplying the ratio between the target value and the '
        'current value by the current number of pods.  Ergo, metrics used must decrease as the '
        'pod count is increased, and vice-versa.  See the individual metric source types for '
        'more information about how each type of metric must respond.'
    ),
    'hpab1.HorizontalPodAutoscalerSpec.minReplicas': (
        'minReplicas is the lower limit for the number of replicas to which the autoscaler can '
        'scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha '
        'feature gate HPAScaleToZero is enabled and at least one Object or External metric is '
        'configured.  Scaling is active as long as at least one metric value is available.'
    ),
    'hpab1.HorizontalPodAutoscalerSpec.maxReplicas': (
        'maxReplicas is the upper limit for the number of replicas to which the autoscaler can '
        'scale up. It cannot be less that minReplicas.'
    ),
    'hpab1.HorizontalPodAutoscalerStatus.currentReplicas': (
        'currentReplicas is current number of replicas of pods managed by this autoscaler, as '
        'last seen by the autoscaler.'
    ),
    'core.ConfigMap.data': (
        'Data contains the configuration data. Each key must consist of alphanumeric '
        "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
        'BinaryData field. The keys stored in Data must not overlap with the keys in the '
        'BinaryData field, this is enforced during validation process.'
    ),
    'ext.NetworkPolicySpec.podSelector': (
        'Selects the pods to which this NetworkPolicy object applies.  The array of ingress '
        'rules is applied to any pods selected by this field. Multiple network policies can '
        'select the same set of pods.  In this case, the ingress rules for each are combined '
        'additively. This field is NOT optional and follows standard label selector semantics. '
        'An empty podSelector matches all pods in this namespace.'
    ),
    'rbacb1.RoleBinding.roleRef': (
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global '
        'namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'
    ),
    'rbacb1.ClusterRoleBinding.roleRef': (
        'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef '
        'cannot be resolved, the Authorizer must return an error.'
    ),
    'coord.LeaseSpec.holderIdentity': (
        'holderIdentity contains the identity of the holder of a current lease. If Coordinated '
        'Leader Election is used, the holder identity must be equal to the elected '
        'LeaseCandidate.metadata.name field.'
    ),
    'storage.StorageClass.provisioner': (
        'provisioner indicates the type of the provisioner.'
    ),
    'storage.StorageClass.reclaimPolicy': (
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned '
        'PersistentVolumes of this storage class. Defaults to Delete.'
    ),
    'storage.StorageClass.volumeBindingMode': (
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and '
        'bound.  When unset, VolumeBindingImmediate is used. This field is only honored by '
        'servers that enable the VolumeScheduling feature.'
    ),
    'storage.StorageClass.allowVolumeExpansion': (
        'allowVolumeExpansion shows whether the storage class allow volume expand.'
    ),
    'appsb1.ControllerRevision.revision': (
        'revision indicates the revision of the state represented by Data.'
    ),
    'sched.PriorityClass.value': (
        'value represents the integer value of this priority class. This is the actual '
        'priority that pods receive when they have the name of this class in their pod spec.'
    ),
    'sched.PriorityClass.globalDefault': (
        'globalDefault specifies whether this PriorityClass should be considered as the '
        'default priority for pods that do not have any priority class. Only one PriorityClass '
        'can be marked as `globalDefault`. However, if more than one PriorityClasses exists '
        'with their `globalDefault` field set to true, the smallest value of such global '
        'default PriorityClasses will be used as the default priority.'
    ),
    'sched.PriorityClass.preemptionPolicy': (
        'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, '
        'PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.'
    ),
    'storage.VolumeAttachmentSpec.attacher': (
        'attacher indicates the name of the volume driver that MUST handle this request. This '
        'is the name returned by GetPluginName().'
    ),
    'storage.VolumeAttachmentSource.persistentVolumeName': (
        'persistentVolumeName represents the name of the persistent volume to attach.'
    ),
    'storage.VolumeAttachmentSpec.nodeName': (
        'nodeName represents the node that the volume should be attached to.'
    ),
    'storage.VolumeAttachmentStatus.attached': (
        'attached indicates the volume is successfully attached. This field must only be set '
        'by the entity completing the attach operation, i.e. the external-attacher.'
    ),
    'discb1.EndpointSlice.addressType': (
        'addressType specifies the type of address carried by this EndpointSlice. All '
        'addresses in this slice must be the same type. This field is immutable after '
        'creation. The following address types are currently supported: * IPv4: Represents an '
        'IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully '
        'Qualified Domain Name.'
    ),
    'discb1.EndpointSlice.ports': (
        'ports specifies the list of network ports exposed by each endpoint in this slice. '
        'Each port must have a unique name. When ports is empty, it indicates that there are '
        'no defined ports. When a port is defined with a nil port value, it indicates "all '
        'ports". Each slice may include a maximum of 100 ports.'
    ),
    'discb1.EndpointSlice.endpoints': (
        'endpoints is a list of unique endpoints in this slice. Each slice may include a '
        'maximum of 1000 endpoints.'
    ),
    'storage.CSIDriverSpec.attachRequired': (
        'attachRequired indicates this CSI volume driver requires an attach operation (because '
        'it implements the CSI ControllerPublishVolume() method), and that the Kubernetes '
        'attach detach controller should call the attach volume interface which checks the '
        'volumeattachment status and waits until the volume is attached before proceeding to '
        'mounting. The CSI external-attacher coordinates with CSI volume driver and updates '
        'the volumeattachment status when the attach operation is complete. If the '
        'CSIDriverRegistry feature gate is enabled and the value is specified to false, the '
        'attach operation will be skipped. Otherwise the attach operation will be '
        'called.\n\nThis field is immutable.'
    ),
    'storage.CSIDriverSpec.podInfoOnMount': (
        'podInfoOnMount indicates this CSI volume driver requires additional pod information '
        '(like podName, podUID, etc.) during mount operations, if set to true. If set to '
        'false, pod information will not be passed on mount. Default is false.\n\nThe CSI '
        'driver specifies podInfoOnMount as part of driver deployment. If true, Kubelet will '
        'pass pod information as VolumeContext in the CSI NodePublishVolume() calls. The CSI '
        'driver is responsible for parsing and validating the information passed in as '
        'VolumeContext.\n\nThe following VolumeContext will be passed if podInfoOnMount is set '
        'to true. This list might grow, but the prefix will be used. '
        '"csi.storage.k8s.io/pod.name": pod.Name "csi.storage.k8s.io/pod.namespace": '
        'pod.Namespace "csi.storage.k8s.io/pod.uid": string(pod.UID) '
        '"csi.storage.k8s.io/ephemeral": "true" if the volume is an ephemeral inline volume\n  '
        '                              defined by a CSIVolumeSource, otherwise '
        '"false"\n\n"csi.storage.k8s.io/ephemeral" is a new feature in Kubernetes 1.16. It is '
        'only required for drivers which support both the "Persistent" and "Ephemeral" '
        'VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this '
        "field. As Kubernetes 1.15 doesn't support this field, drivers can only support one "
        'mode when deployed on such a cluster and the deployment determines which mode that '
        'is, for example via a command line parameter of the driver.\n\nThis field was '
        'immutable in Kubernetes < 1.29 and now is mutable.'
    ),
    'storage.CSIDriverSpec.storageCapacity': (
        'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider '
        'the storage capacity that the driver deployment will report by creating '
        'CSIStorageCapacity objects with capacity information, if set to true.\n\nThe check '
        'can be enabled immediately when deploying a driver. In that case, provisioning new '
        'volumes with late binding will pause until the driver deployment has published some '
        'suitable CSIStorageCapacity object.\n\nAlternatively, the driver can be deployed with '
        'the field unset or false and it can be flipped later when storage capacity '
        'information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and '
        'now is mutable.'
    ),
    'storage.CSIDriverSpec.tokenRequests': (
        "tokenRequests indicates the CSI driver needs pods' service account tokens it is "
        'mounting volume for to do necessary authentication. Kubelet will pass the tokens in '
        'VolumeContext in the CSI NodePublishVolume calls. The CSI driver should parse and '
        'validate the following VolumeContext: "csi.storage.k8s.io/serviceAccount.tokens": {\n '
        ' "<audience>": {\n    "token": <token>,\n    "expirationTimestamp": <expiration '
        'timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in each TokenRequest should '
        'be different and at most one token is empty string. To receive a new token after '
        'expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically.'
    ),
    'storage.CSIDriverSpec.requiresRepublish': (
        'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being '
        'periodically called to reflect any possible change in the mounted volume. This field '
        'defaults to false.\n\nNote: After a successful initial NodePublishVolume call, '
        'subsequent calls to NodePublishVolume should only update the contents of the volume. '
        'New mount points will not be seen by a running container.'
    ),
    'storage.CSIDriverSpec.volumeLifecycleModes': (
        'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. '
        'The default if the list is empty is "Persistent", which is the usage defined by the '
        'CSI specification and implemented in Kubernetes via the usual PV/PVC '
        'mechanism.\n\nThe other mode is "Ephemeral". In this mode, volumes are defined inline '
        'inside the pod spec with CSIVolumeSource and their lifecycle is tied to the lifecycle '
        'of that pod. A driver has to be aware of this because it is only going to get a '
        'NodePublishVolume call for such a volume.\n\nFor more information about implementing '
        'this mode, see https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A '
        'driver can support one or more of these modes and more modes may be added in the '
        'future.\n\nThis field is beta. This field is immutable.'
    ),
})


# --------------------------------------------------------------------------- columns


@dataclasses.dataclass(frozen=True)
class Printer:
    """One kind's table: its column definitions, the cells of a row and (pods only)
    the row conditions."""

    columns: tuple[Mapping[str, Any], ...]
    cells: CellsFn
    conditions: ConditionsFn | None = None


def _col(name: str, description: str, type_: str = "string", *, priority: int = 0,
         format_: str = "") -> Mapping[str, Any]:
    return types.MappingProxyType({"name": name, "type": type_, "format": format_,
                                   "description": description, "priority": priority})


def _doc_col(name: str, doc: str, type_: str = "string", *,
             priority: int = 0) -> Mapping[str, Any]:
    return _col(name, _DOCS[doc], type_, priority=priority)


_NAME_COL = _col("Name", _DOCS["meta.ObjectMeta.name"], format_="name")
_AGE_COL = _doc_col("Age", "meta.ObjectMeta.creationTimestamp")
_CONTAINERS_COL = _col("Containers", "Names of each container in the template.", priority=1)
_IMAGES_COL = _col("Images", "Images referenced by each container in the template.", priority=1)


def _cols(*columns: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    return (_NAME_COL, *columns)


# --------------------------------------------------------------------------- pods

NODE_UNREACHABLE_POD_REASON = "NodeLost"


def _restartable_init(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _condition_true(conditions: Any, type_: str) -> bool:
    """The first condition of ``type_`` has status True."""
    for cond in _list(conditions):
        if cond.get("type") == type_:
            return bool(cond.get("status") == "True")
    return False


def _pod_cells(pod: Obj, now: float) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    restarts = restartable_restarts = ready = 0
    total = len(_list(spec.get("containers")))
    last_restart: float | None = None
    last_restartable_restart: float | None = None
    phase = status.get("phase") or "Pending"  # what the server stores on create
    reason = status.get("reason") or phase
    for cond in _list(status.get("conditions")):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = _list(spec.get("initContainers"))
    by_name = {c.get("name"): c for c in init_specs}
    total += sum(1 for c in init_specs if _restartable_init(c))

    def later(current: float | None, terminated: Any) -> float | None:
        finished = parse_time(_sub(terminated, "finishedAt"))
        if finished is not None and (current is None or finished > current):
            return finished
        return current

    initializing = False
    for i, cs in enumerate(_list(status.get("initContainerStatuses"))):
        count = _int(cs.get("restartCount"))
        last_terminated = _sub(cs, "lastState", "terminated")
        restarts += count
        if last_terminated is not None:
            last_restart = later(last_restart, last_terminated)
        restartable = _restartable_init(by_name.get(cs.get("name")))
        if restartable:
            restartable_restarts += count
            if last_terminated is not None:
                last_restartable_restart = later(last_restartable_restart, last_terminated)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:  # initialization failed
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif _int(terminated.get("signal")) != 0:
                reason = f"Init:Signal:{_int(terminated.get('signal'))}"
            else:
                reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
        elif waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts, last_restart = restartable_restarts, last_restartable_restart
        has_running = False
        for cs in reversed(_list(status.get("containerStatuses"))):
            restarts += _int(cs.get("restartCount"))
            last_terminated = _sub(cs, "lastState", "terminated")
            if last_terminated is not None:
                last_restart = later(last_restart, last_terminated)
            state = cs.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                signal = _int(terminated.get("signal"))
                reason = (f"Signal:{signal}" if signal
                          else f"ExitCode:{_int(terminated.get('exitCode'))}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # a pod whose last container completed while another still runs is not "Completed"
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status.get("conditions"), "Ready") else "NotReady"

    deleting = _meta(pod).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"

    pod_ips = _list(status.get("podIPs"))
    # decoding a v1 pod fills podIPs from podIP, so a lone podIP counts too
    pod_ip = (_sub(pod_ips[0], "ip") if pod_ips else status.get("podIP")) or NONE
    gates = _list(spec.get("readinessGates"))
    readiness = NONE
    if gates:
        conditions = _list(status.get("conditions"))
        true_count = 0
        for gate in gates:
            for cond in conditions:
                if cond.get("type") == gate.get("conditionType"):
                    true_count += cond.get("status") == "True"
                    break
        readiness = f"{true_count}/{len(gates)}"
    return [
        _name(pod), f"{ready}/{total}", reason, restarts_cell, _age(pod, now),
        pod_ip, spec.get("nodeName") or NONE, status.get("nominatedNodeName") or NONE, readiness,
    ]


def _pod_conditions(pod: Obj) -> list[Obj] | None:
    phase = _sub(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]
    return None


_POD = Printer(_cols(
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col("Restarts", "The number of times the containers in this pod have been restarted "
         "and when the last container in this pod has restarted."),
    _AGE_COL,
    _doc_col("IP", "core.PodStatus.podIP", priority=1),
    _doc_col("Node", "core.PodSpec.nodeName", priority=1),
    _doc_col("Nominated Node", "core.PodStatus.nominatedNodeName", priority=1),
    _doc_col("Readiness Gates", "core.PodSpec.readinessGates", priority=1),
), _pod_cells, _pod_conditions)


def _pod_template_cells(obj: Obj, now: float) -> list[Any]:
    names, images = _containers(_sub(obj, "template", "spec", "containers"))
    return [_name(obj), names, images, format_labels(_sub(obj, "template", "metadata", "labels"))]


_POD_TEMPLATE = Printer(_cols(
    _col("Containers", "Names of each container in the template."),
    _col("Images", "Images referenced by each container in the template."),
    _col("Pod Labels", "The labels for the pod template."),
), _pod_template_cells)


# --------------------------------------------------------------------------- workloads


def _replicas(obj: Obj) -> int:
    """``spec.replicas``, defaulted to 1 as the server does."""
    return _int(_sub(obj, "spec", "replicas"), 1)


def _template_containers(obj: Obj, *path: str) -> list[Any]:
    names, images = _containers(_sub(obj, *path, "template", "spec", "containers"))
    return [names, images]


def _rc_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [_name(obj), _replicas(obj), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now),
            *_template_containers(obj, "spec"), format_labels(_sub(obj, "spec", "selector"))]


_RC = Printer(_cols(
    _doc_col("Desired", "core.ReplicationControllerSpec.replicas", "integer"),
    _doc_col("Current", "core.ReplicationControllerStatus.replicas", "integer"),
    _doc_col("Ready", "core.ReplicationControllerStatus.readyReplicas", "integer"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "core.ReplicationControllerSpec.selector", priority=1),
), _rc_cells)


def _rs_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [_name(obj), _replicas(obj), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now),
            *_template_containers(obj, "spec"),
            format_label_selector(_sub(obj, "spec", "selector"))]


_RS = Printer(_cols(
    _doc_col("Desired", "ext.ReplicaSetSpec.replicas", "integer"),
    _doc_col("Current", "ext.ReplicaSetStatus.replicas", "integer"),
    _doc_col("Ready", "ext.ReplicaSetStatus.readyReplicas", "integer"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "ext.ReplicaSetSpec.selector", priority=1),
), _rs_cells)


def _deployment_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    selector = _selector_string(_sub(obj, "spec", "selector"))
    return [_name(obj), f"{_int(status.get('readyReplicas'))}/{_replicas(obj)}",
            _int(status.get("updatedReplicas")), _int(status.get("availableReplicas")),
            _age(obj, now), *_template_containers(obj, "spec"),
            "<invalid>" if selector is None else selector]


_DEPLOYMENT = Printer(_cols(
    _col("Ready", "Number of the pod with ready state"),
    _doc_col("Up-to-date", "ext.DeploymentStatus.updatedReplicas"),
    _doc_col("Available", "ext.DeploymentStatus.availableReplicas"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "ext.DeploymentSpec.selector", priority=1),
), _deployment_cells)


def _statefulset_cells(obj: Obj, now: float) -> list[Any]:
    ready = _int(_sub(obj, "status", "readyReplicas"))
    return [_name(obj), f"{ready}/{_replicas(obj)}", _age(obj, now),
            *_template_containers(obj, "spec")]


_STATEFULSET = Printer(_cols(
    _col("Ready", "Number of the pod with ready state"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
), _statefulset_cells)


def _daemonset_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [_name(obj), _int(status.get("desiredNumberScheduled")),
            _int(status.get("currentNumberScheduled")), _int(status.get("numberReady")),
            _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable")),
            format_labels(_sub(obj, "spec", "template", "spec", "nodeSelector")),
            _age(obj, now), *_template_containers(obj, "spec"),
            format_label_selector(_sub(obj, "spec", "selector"))]


_DAEMONSET = Printer(_cols(
    _doc_col("Desired", "ext.DaemonSetStatus.desiredNumberScheduled", "integer"),
    _doc_col("Current", "ext.DaemonSetStatus.currentNumberScheduled", "integer"),
    _doc_col("Ready", "ext.DaemonSetStatus.numberReady", "integer"),
    _doc_col("Up-to-date", "ext.DaemonSetStatus.updatedNumberScheduled", "integer"),
    _doc_col("Available", "ext.DaemonSetStatus.numberAvailable", "integer"),
    _doc_col("Node Selector", "core.PodSpec.nodeSelector"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "ext.DaemonSetSpec.selector", priority=1),
), _daemonset_cells)


def _job_status(obj: Obj) -> str:
    conditions = _sub(obj, "status", "conditions")
    if _condition_true(conditions, "Complete"):
        return "Complete"
    if _condition_true(conditions, "Failed"):
        return "Failed"
    if _meta(obj).get("deletionTimestamp") is not None:
        return "Terminating"
    if _condition_true(conditions, "Suspended"):
        return "Suspended"
    if _condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_cells(obj: Obj, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec['completions'])}"
    else:
        parallelism = _int(spec.get("parallelism"), 1)
        completions = (f"{succeeded}/1 of {parallelism}" if parallelism > 1
                       else f"{succeeded}/1")
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration((now if end is None else end) - start)
    return [_name(obj), _job_status(obj), completions, duration, _age(obj, now),
            *_template_containers(obj, "spec"), format_label_selector(spec.get("selector"))]


_JOB = Printer(_cols(
    _col("Status", "Status of the job."),
    _doc_col("Completions", "batch.JobStatus.succeeded"),
    _col("Duration", "Time required to complete the job."),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "batch.JobSpec.selector", priority=1),
), _job_cells)


def _bool_cell(value: Any) -> str:
    """``printBoolPtr``."""
    if value is None:
        return UNSET
    return "True" if value else "False"


def _cronjob_cells(obj: Obj, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = _sub(spec, "jobTemplate", "spec") or {}
    return [_name(obj), spec.get("schedule", ""), spec.get("timeZone") or NONE,
            _bool_cell(spec.get("suspend", False)),  # the server defaults suspend to false
            len(_list(status.get("active"))),
            NONE if last is None else translate_timestamp_since(last, now), _age(obj, now),
            *_template_containers(job_spec), format_label_selector(job_spec.get("selector"))]


_CRONJOB = Printer(_cols(
    _doc_col("Schedule", "batchb1.CronJobSpec.schedule"),
    _doc_col("Timezone", "batchb1.CronJobSpec.timeZone"),
    _doc_col("Suspend", "batchb1.CronJobSpec.suspend", "boolean"),
    _doc_col("Active", "batchb1.CronJobStatus.active", "integer"),
    _doc_col("Last Schedule", "batchb1.CronJobStatus.lastScheduleTime"),
    _AGE_COL, _CONTAINERS_COL, _IMAGES_COL,
    _doc_col("Selector", "batch.JobSpec.selector", priority=1),
), _cronjob_cells)


def _controller_revision_cells(obj: Obj, now: float) -> list[Any]:
    controller = NONE
    for ref in _list(_meta(obj).get("ownerReferences")):
        if ref.get("controller") is True:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", ""))
            group_kind = f"{kind}.{group}" if group else kind
            name = str(ref.get("name", ""))
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


_CONTROLLER_REVISION = Printer(_cols(
    _col("Controller", "Controller of the object"),
    _doc_col("Revision", "appsb1.ControllerRevision.revision"),
    _AGE_COL,
), _controller_revision_cells)


def _hpa_metrics(obj: Obj) -> tuple[list[Any], list[Any]]:
    """(spec metrics, current metrics) in the v2 shape; v1 objects are converted."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    metrics = spec.get("metrics")
    if metrics is None and spec.get("targetCPUUtilizationPercentage") is not None:
        metrics = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}}}]
    current = status.get("currentMetrics")
    if current is None and status.get("currentCPUUtilizationPercentage") is not None:
        current = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    return _list(metrics), _list(current)


def format_hpa_metrics(specs: list[Any], statuses: list[Any]) -> str:
    """``formatHPAMetrics``: ``cpu: 38%/50%``, ``<unknown>`` before the first scrape."""
    if not specs:
        return NONE
    items: list[str] = []
    for i, spec in enumerate(specs):
        st = statuses[i] if i < len(statuses) and isinstance(statuses[i], dict) else {}
        kind = spec.get("type")
        if kind in ("External", "Object"):
            field = kind.lower()
            target = _sub(spec, field, "target") or {}
            source = st.get(field)
            current = UNKNOWN
            if target.get("averageValue") is not None:
                value = _sub(source, "current", "averageValue")
                if source is not None and value is not None:
                    current = format_quantity(value)
                items.append(f"{current}/{format_quantity(target['averageValue'])} (avg)")
            else:
                if source is not None:
                    current = _quantity_ptr(_sub(source, "current", "value"))
                items.append(f"{current}/{_quantity_ptr(target.get('value'))}")
        elif kind == "Pods":
            current = UNKNOWN
            if st.get("pods") is not None:
                current = _quantity_ptr(_sub(st, "pods", "current", "averageValue"))
            items.append(f"{current}/{_quantity_ptr(_sub(spec, 'pods', 'target', 'averageValue'))}")
        elif kind in ("Resource", "ContainerResource"):
            field = "resource" if kind == "Resource" else "containerResource"
            source, target = st.get(field), _sub(spec, field, "target") or {}
            name = _sub(spec, field, "name") or ""
            current = UNKNOWN
            if target.get("averageValue") is not None:
                if source is not None:
                    current = _quantity_ptr(_sub(source, "current", "averageValue"))
                items.append(f"{name}: {current}/{format_quantity(target['averageValue'])}")
            else:
                utilization = _sub(source, "current", "averageUtilization")
                if source is not None and utilization is not None:
                    current = f"{_int(utilization)}%"
                goal = target.get("averageUtilization")
                items.append(f"{name}: {current}/{'<auto>' if goal is None else f'{_int(goal)}%'}")
        else:
            items.append("<unknown type>")
    if len(items) > 2:
        return f"{', '.join(items[:2])} + {len(items) - 2} more..."
    return ", ".join(items)


def _hpa_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_replicas = spec.get("minReplicas")
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            format_hpa_metrics(*_hpa_metrics(obj)),
            UNSET if min_replicas is None else str(_int(min_replicas)),
            _int(spec.get("maxReplicas")), _int(_sub(obj, "status", "currentReplicas")),
            _age(obj, now)]


_HPA = Printer(_cols(
    _doc_col("Reference", "hpab1.HorizontalPodAutoscalerSpec.scaleTargetRef"),
    _doc_col("Targets", "hpab1.HorizontalPodAutoscalerSpec.metrics"),
    _doc_col("MinPods", "hpab1.HorizontalPodAutoscalerSpec.minReplicas"),
    _doc_col("MaxPods", "hpab1.HorizontalPodAutoscalerSpec.maxReplicas"),
    _doc_col("Replicas", "hpab1.HorizontalPodAutoscalerStatus.currentReplicas"),
    _AGE_COL,
), _hpa_cells)


def _pdb_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [_name(obj), "N/A" if min_available is None else str(min_available),
            "N/A" if max_unavailable is None else str(max_unavailable),
            _int(_sub(obj, "status", "disruptionsAllowed")), _age(obj, now)]


_PDB = Printer(_cols(
    _col("Min Available", "The minimum number of pods that must be available."),
    _col("Max Unavailable", "The maximum number of pods that may be unavailable."),
    _col("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.",
         "integer"),
    _AGE_COL,
), _pdb_cells)


# --------------------------------------------------------------------------- networking


def _load_balancer_ips(status: Any) -> list[str]:
    """``loadBalancerStatusStringer`` (never clipped: the server prints wide)."""
    found = set()
    for ingress in _list(_sub(status, "loadBalancer", "ingress")):
        if ingress.get("ip"):
            found.add(str(ingress["ip"]))
        elif ingress.get("hostname"):
            found.add(str(ingress["hostname"]))
    return sorted(found)


def service_external_ip(svc: Obj) -> str:
    """``getServiceExternalIP``: ``<none>``, ``<pending>``, or the addresses."""
    spec = svc.get("spec") or {}
    external_ips = [str(ip) for ip in _list(spec.get("externalIPs"))]
    svc_type = spec.get("type") or "ClusterIP"
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else NONE
    if svc_type == "LoadBalancer":
        lb_ips = _load_balancer_ips(svc.get("status"))
        if external_ips:
            return ",".join(lb_ips + external_ips)
        return ",".join(lb_ips) if lb_ips else "<pending>"
    if svc_type == "ExternalName":
        return str(spec.get("externalName", ""))
    return UNKNOWN


def service_ports(ports: Any) -> str:
    """``makePortString``: ``80/TCP,3306:31234/TCP``."""
    pieces = []
    for port in _list(ports):
        protocol = port.get("protocol") or "TCP"
        node_port = _int(port.get("nodePort"))
        if node_port > 0:
            pieces.append(f"{_int(port.get('port'))}:{node_port}/{protocol}")
        else:
            pieces.append(f"{_int(port.get('port'))}/{protocol}")
    return ",".join(pieces)


def _service_cells(svc: Obj, now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    cluster_ips = _list(spec.get("clusterIPs"))
    cluster_ip = (cluster_ips[0] if cluster_ips else spec.get("clusterIP")) or NONE
    return [_name(svc), spec.get("type") or "ClusterIP", cluster_ip, service_external_ip(svc),
            service_ports(spec.get("ports")) or NONE, _age(svc, now),
            format_labels(spec.get("selector"))]


_SERVICE = Printer(_cols(
    _doc_col("Type", "core.ServiceSpec.type"),
    _doc_col("Cluster-IP", "core.ServiceSpec.clusterIP"),
    _doc_col("External-IP", "core.ServiceSpec.externalIPs"),
    _doc_col("Port(s)", "core.ServiceSpec.ports"),
    _AGE_COL,
    _doc_col("Selector", "core.ServiceSpec.selector", priority=1),
), _service_cells)


def format_endpoints(endpoints: Obj) -> str:
    """``formatEndpoints``: up to three ``ip:port``, then ``+ N more...``."""
    subsets = _list(endpoints.get("subsets"))
    if not subsets:
        return NONE
    listed: list[str] = []
    limit, more, count = 3, False, 0
    for subset in subsets:
        addresses = _list(subset.get("addresses"))
        ports = _list(subset.get("ports"))
        targets: list[Any] = ports if ports else [None]  # headless: bare IPs
        for port in targets:
            count += len(addresses)
            for address in addresses:
                if len(listed) == limit:
                    more = True
                    break
                ip = str(address.get("ip", ""))
                listed.append(ip if port is None else _join_host_port(ip, _int(port.get("port"))))
    text = ",".join(listed)
    return f"{text} + {count - limit} more..." if more else text


_ENDPOINTS = Printer(_cols(
    _doc_col("Endpoints", "core.Endpoints.subsets"),
    _AGE_COL,
), lambda obj, now: [_name(obj), format_endpoints(obj), _age(obj, now)])


def _endpointslice_cells(obj: Obj, now: float) -> list[Any]:
    ports: list[str] = []
    count = 0
    for port in _list(obj.get("ports")):
        if len(ports) < 3:
            if port.get("port") is not None:
                ports.append(str(_int(port["port"])))
            else:
                ports.append(str(port["name"]) if port.get("name") is not None else "*")
        count += 1
    addresses: list[str] = []
    total = 0
    for endpoint in _list(obj.get("endpoints")):
        for address in _list(endpoint.get("addresses")):
            if len(addresses) < 3:
                addresses.append(str(address))
            total += 1
    return [_name(obj), str(obj.get("addressType", "")), _more(ports, count > 3, count, 3),
            _more(addresses, total > 3, total, 3), _age(obj, now)]


_ENDPOINTSLICE = Printer(_cols(
    _doc_col("AddressType", "discb1.EndpointSlice.addressType"),
    _doc_col("Ports", "discb1.EndpointSlice.ports"),
    _doc_col("Endpoints", "discb1.EndpointSlice.endpoints"),
    _AGE_COL,
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
    return [_name(obj), spec.get("ingressClassName") or NONE,
            _ingress_hosts(_list(spec.get("rules"))),
            ",".join(_load_balancer_ips(obj.get("status"))),
            "80, 443" if _list(spec.get("tls")) else "80", _age(obj, now)]


_INGRESS = Printer(_cols(
    _col("Class", "The name of the IngressClass resource that should be used for additional "
         "configuration"),
    _col("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
    _col("Address", "Address is a list containing ingress points for the load-balancer"),
    _col("Ports", "Ports of TLS configurations that open"),
    _AGE_COL,
), _ingress_cells)


def _ingress_class_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    parameters = NONE
    if isinstance(params, dict):
        parameters = str(params.get("kind", ""))
        if params.get("apiGroup") is not None:
            parameters += "." + str(params["apiGroup"])
        parameters += "/" + str(params.get("name", ""))
    return [_name(obj), str(spec.get("controller", "")), parameters, _age(obj, now)]


_INGRESS_CLASS = Printer(_cols(
    _col("Controller", "Controller that is responsible for handling this class"),
    _col("Parameters", "A reference to a resource with additional parameters"),
    _AGE_COL,
), _ingress_class_cells)


_NETWORK_POLICY = Printer(_cols(
    _doc_col("Pod-Selector", "ext.NetworkPolicySpec.podSelector"),
    _AGE_COL,
), lambda obj, now: [_name(obj), format_label_selector(_sub(obj, "spec", "podSelector") or {}),
                     _age(obj, now)])


# --------------------------------------------------------------------------- cluster and config


def node_status(node: Obj) -> str:
    """``Ready``, ``NotReady``, ``Unknown``, plus ``,SchedulingDisabled`` when cordoned."""
    ready = None
    for cond in _list(_sub(node, "status", "conditions")):
        if cond.get("type") == "Ready":
            ready = cond  # the last one wins, as in the printer's condition map
    status = ["Unknown"] if ready is None else [
        "Ready" if ready.get("status") == "True" else "NotReady"]
    if _sub(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(node: Obj) -> str:
    """Roles from ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role=<role>`` labels."""
    roles = set()
    for key, value in (_meta(node).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or NONE


def _node_address(node: Obj, kind: str) -> str:
    for address in _list(_sub(node, "status", "addresses")):
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return NONE


def _node_cells(node: Obj, now: float) -> list[Any]:
    info = _sub(node, "status", "nodeInfo") or {}
    return [_name(node), node_status(node), node_roles(node), _age(node, now),
            str(info.get("kubeletVersion", "")),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or UNKNOWN, info.get("kernelVersion") or UNKNOWN,
            info.get("containerRuntimeVersion") or UNKNOWN]


_NODE = Printer(_cols(
    _col("Status", "The status of the node"),
    _col("Roles", "The roles of the node"),
    _AGE_COL,
    _doc_col("Version", "core.NodeSystemInfo.kubeletVersion"),
    _doc_col("Internal-IP", "core.NodeStatus.addresses", priority=1),
    _doc_col("External-IP", "core.NodeStatus.addresses", priority=1),
    _doc_col("OS-Image", "core.NodeSystemInfo.osImage", priority=1),
    _doc_col("Kernel-Version", "core.NodeSystemInfo.kernelVersion", priority=1),
    _doc_col("Container-Runtime", "core.NodeSystemInfo.containerRuntimeVersion", priority=1),
), _node_cells)

_NAMESPACE = Printer(_cols(
    _col("Status", "The status of the namespace"),
    _AGE_COL,
), lambda obj, now: [_name(obj), str(_sub(obj, "status", "phase") or "Active"),  # as created
                     _age(obj, now)])

_CONFIGMAP = Printer(_cols(
    _doc_col("Data", "core.ConfigMap.data"),
    _AGE_COL,
), lambda obj, now: [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
                     _age(obj, now)])

_SECRET = Printer(_cols(
    _doc_col("Type", "core.Secret.type"),
    _doc_col("Data", "core.Secret.data"),
    _AGE_COL,
), lambda obj, now: [_name(obj), str(obj.get("type", "")), len(obj.get("data") or {}),
                     _age(obj, now)])

_SERVICE_ACCOUNT = Printer(_cols(
    _doc_col("Secrets", "core.ServiceAccount.secrets"),
    _AGE_COL,
), lambda obj, now: [_name(obj), len(_list(obj.get("secrets"))), _age(obj, now)])


def _component_status_cells(obj: Obj, now: float) -> list[Any]:
    status, message, error = "Unknown", "", ""
    for cond in _list(obj.get("conditions")):
        if cond.get("type") == "Healthy":
            status = "Healthy" if cond.get("status") == "True" else "Unhealthy"
            message, error = str(cond.get("message", "")), str(cond.get("error", ""))
            break
    return [_name(obj), status, message, error]


_COMPONENT_STATUS = Printer(_cols(
    _col("Status", "Status of the component conditions"),
    _col("Message", "Message of the component conditions"),
    _col("Error", "Error of the component conditions"),
), _component_status_cells)


def _resource_quota_cells(obj: Obj, now: float) -> list[Any]:
    hard = _sub(obj, "status", "hard") or {}
    used = _sub(obj, "status", "used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        target = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        target.append(f"{resource}: {format_quantity(used.get(resource))}/"
                      f"{format_quantity(hard[resource])}")
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


_RESOURCE_QUOTA = Printer(_cols(
    _col("Request", "Request represents a minimum amount of cpu/memory that a container may "
         "consume."),
    _col("Limit", "Limits control the maximum amount of cpu/memory that a container may use "
         "independent of contention on the node."),
    _AGE_COL,
), _resource_quota_cells)


def _priority_class_cells(obj: Obj, now: float) -> list[Any]:
    return [_name(obj), _int(obj.get("value")), bool(obj.get("globalDefault", False)),
            _age(obj, now), str(obj.get("preemptionPolicy") or "")]


_PRIORITY_CLASS = Printer(_cols(
    _doc_col("Value", "sched.PriorityClass.value", "integer"),
    _doc_col("Global-Default", "sched.PriorityClass.globalDefault", "boolean"),
    _AGE_COL,
    _doc_col("PreemptionPolicy", "sched.PriorityClass.preemptionPolicy"),
), _priority_class_cells)

_LEASE = Printer(_cols(
    _doc_col("Holder", "coord.LeaseSpec.holderIdentity"),
    _AGE_COL,
), lambda obj, now: [_name(obj), str(_sub(obj, "spec", "holderIdentity") or ""), _age(obj, now)])


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
    if parse_time(first_ts) is None:
        first_ts = ev.get("eventTime")
    first = translate_timestamp_since(first_ts, now)
    last = (translate_timestamp_since(ev["lastTimestamp"], now)
            if parse_time(ev.get("lastTimestamp")) is not None else first)
    count = _int(ev.get("count"))
    series = ev.get("series")
    if series is not None:
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
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
            str(ev.get("message", "")).strip(), first, count, _name(ev)]


_EVENT_COLUMNS = (
    _doc_col("Last Seen", "core.Event.lastTimestamp"),
    _doc_col("Type", "core.Event.type"),
    _doc_col("Reason", "core.Event.reason"),
    _doc_col("Object", "core.Event.involvedObject"),
    _doc_col("Subobject", "core.ObjectReference.fieldPath", priority=1),
    _doc_col("Source", "core.Event.source", priority=1),
    _doc_col("Message", "core.Event.message"),
    _doc_col("First Seen", "core.Event.firstTimestamp", priority=1),
    _doc_col("Count", "core.Event.count", priority=1),
    _col("Name", _DOCS["meta.ObjectMeta.name"], priority=1, format_="name"),
)
_EVENT = Printer(_EVENT_COLUMNS, _event_cells)
_EVENT_V1 = Printer(_EVENT_COLUMNS, lambda ev, now: _event_cells(_event_v1_as_core(ev), now))


# --------------------------------------------------------------------------- rbac


def _subjects(subjects: Any) -> list[str]:
    users: list[str] = []
    groups: list[str] = []
    service_accounts: list[str] = []
    for subject in _list(subjects):
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
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(obj, now),
            *_subjects(obj.get("subjects"))]


def _binding_printer(doc: str, what: str) -> Printer:
    return Printer(_cols(
        _doc_col("Role", doc),
        _AGE_COL,
        _col("Users", f"Users in the {what}", priority=1),
        _col("Groups", f"Groups in the {what}", priority=1),
        _col("ServiceAccounts", f"ServiceAccounts in the {what}", priority=1),
    ), _binding_cells)


# --------------------------------------------------------------------------- storage


def access_modes(modes: Any) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX,RWX,RWOP`` in that order."""
    present = set(_list(modes))
    order = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
             ("ReadWriteOncePod", "RWOP"))
    return ",".join(short for mode, short in order if mode in present)


_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"


def _pv_cells(pv: Obj, now: float) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if isinstance(ref, dict) else ""
    annotations = _meta(pv).get("annotations") or {}
    storage_class = (annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations
                     else spec.get("storageClassName", ""))
    phase = status.get("phase", "")
    if _meta(pv).get("deletionTimestamp") is not None:
        phase = "Terminating"
    return [_name(pv), format_quantity(_sub(spec, "capacity", "storage")),
            access_modes(spec.get("accessModes")),
            str(spec.get("persistentVolumeReclaimPolicy", "")),
            phase, claim, storage_class, spec.get("volumeAttributesClassName") or UNSET,
            str(status.get("reason", "")), _age(pv, now), spec.get("volumeMode") or UNSET]


_PV = Printer(_cols(
    _doc_col("Capacity", "core.PersistentVolumeSpec.capacity"),
    _doc_col("Access Modes", "core.PersistentVolumeSpec.accessModes"),
    _doc_col("Reclaim Policy", "core.PersistentVolumeSpec.persistentVolumeReclaimPolicy"),
    _doc_col("Status", "core.PersistentVolumeStatus.phase"),
    _doc_col("Claim", "core.PersistentVolumeSpec.claimRef"),
    _col("StorageClass", "StorageClass of the pv"),
    _col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    _doc_col("Reason", "core.PersistentVolumeStatus.reason"),
    _AGE_COL,
    _doc_col("VolumeMode", "core.PersistentVolumeSpec.volumeMode", priority=1),
), _pv_cells)


def _pvc_cells(pvc: Obj, now: float) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = status.get("phase", "")
    if _meta(pvc).get("deletionTimestamp") is not None:
        phase = "Terminating"
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = format_quantity(_sub(status, "capacity", "storage"))
    annotations = _meta(pvc).get("annotations") or {}
    storage_class = (annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations
                     else spec.get("storageClassName") or "")
    return [_name(pvc), phase, str(spec.get("volumeName", "")), capacity, modes, storage_class,
            spec.get("volumeAttributesClassName") or UNSET, _age(pvc, now),
            spec.get("volumeMode") or UNSET]


_PVC = Printer(_cols(
    _doc_col("Status", "core.PersistentVolumeClaimStatus.phase"),
    _doc_col("Volume", "core.PersistentVolumeClaimSpec.volumeName"),
    _doc_col("Capacity", "core.PersistentVolumeClaimStatus.capacity"),
    _doc_col("Access Modes", "core.PersistentVolumeClaimStatus.accessModes"),
    _col("StorageClass", "StorageClass of the pvc"),
    _col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    _AGE_COL,
    _doc_col("VolumeMode", "core.PersistentVolumeClaimSpec.volumeMode", priority=1),
), _pvc_cells)


def is_default_storage_class(obj: Obj) -> bool:
    annotations = _meta(obj).get("annotations") or {}
    return bool(annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
                or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true")


def _storage_class_cells(obj: Obj, now: float) -> list[Any]:
    name = _name(obj) + (" (default)" if is_default_storage_class(obj) else "")
    return [name, str(obj.get("provisioner", "")), obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate",
            bool(obj.get("allowVolumeExpansion", False)), _age(obj, now)]


_STORAGE_CLASS = Printer(_cols(
    _doc_col("Provisioner", "storage.StorageClass.provisioner"),
    _doc_col("ReclaimPolicy", "storage.StorageClass.reclaimPolicy"),
    _doc_col("VolumeBindingMode", "storage.StorageClass.volumeBindingMode"),
    _doc_col("AllowVolumeExpansion", "storage.StorageClass.allowVolumeExpansion"),
    _AGE_COL,
), _storage_class_cells)


def _csi_driver_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    tokens = spec.get("tokenRequests")
    token_requests = (UNSET if tokens is None
                      else ",".join(str(t.get("audience", "")) for t in _list(tokens)))
    modes = ",".join(str(m) for m in _list(spec.get("volumeLifecycleModes")))
    return [_name(obj), bool(spec.get("attachRequired", True)),
            bool(spec.get("podInfoOnMount", False)), bool(spec.get("storageCapacity", False)),
            token_requests, bool(spec.get("requiresRepublish", False)), modes or NONE,
            _age(obj, now)]


_CSI_DRIVER = Printer(_cols(
    _doc_col("AttachRequired", "storage.CSIDriverSpec.attachRequired", "boolean"),
    _doc_col("PodInfoOnMount", "storage.CSIDriverSpec.podInfoOnMount", "boolean"),
    _doc_col("StorageCapacity", "storage.CSIDriverSpec.storageCapacity", "boolean"),
    _doc_col("TokenRequests", "storage.CSIDriverSpec.tokenRequests"),
    _doc_col("RequiresRepublish", "storage.CSIDriverSpec.requiresRepublish", "boolean"),
    _doc_col("Modes", "storage.CSIDriverSpec.volumeLifecycleModes"),
    _AGE_COL,
), _csi_driver_cells)

_CSI_NODE = Printer(_cols(
    _col("Drivers", "Drivers indicates the number of CSI drivers registered on the node",
         "integer"),
    _AGE_COL,
), lambda obj, now: [_name(obj), len(_list(_sub(obj, "spec", "drivers"))), _age(obj, now)])


def _volume_attachment_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    return [_name(obj), str(spec.get("attacher", "")),
            str(_sub(spec, "source", "persistentVolumeName") or ""),
            str(spec.get("nodeName", "")), bool(_sub(obj, "status", "attached")),
            _age(obj, now)]


_VOLUME_ATTACHMENT = Printer(_cols(
    _col("Attacher", _DOCS["storage.VolumeAttachmentSpec.attacher"], format_="name"),
    _doc_col("PV", "storage.VolumeAttachmentSource.persistentVolumeName"),
    _doc_col("Node", "storage.VolumeAttachmentSpec.nodeName"),
    _doc_col("Attached", "storage.VolumeAttachmentStatus.attached", "boolean"),
    _AGE_COL,
), _volume_attachment_cells)


# --------------------------------------------------------------------------- the default


def _default_cells(obj: Obj, now: float) -> list[Any]:
    """The apiserver's default convertor: the name and the raw creation time."""
    return [_name(obj), _rfc3339(_meta(obj).get("creationTimestamp"))]


DEFAULT_PRINTER = Printer((
    _NAME_COL,
    _col("Created At", _DOCS["meta.ObjectMeta.creationTimestamp"], "date"),
), _default_cells)

#: Built-in printers by ``Resource.key``. Anything else (roles, clusterroles,
#: limitranges, customresourcedefinitions, podpresets, reviews...) gets DEFAULT_PRINTER.
BUILTIN_PRINTERS: Mapping[str, Printer] = types.MappingProxyType({
    "pods": _POD,
    "podtemplates": _POD_TEMPLATE,
    "replicationcontrollers": _RC,
    "services": _SERVICE,
    "endpoints": _ENDPOINTS,
    "nodes": _NODE,
    "namespaces": _NAMESPACE,
    "events": _EVENT,
    "events.events.k8s.io": _EVENT_V1,
    "secrets": _SECRET,
    "serviceaccounts": _SERVICE_ACCOUNT,
    "configmaps": _CONFIGMAP,
    "componentstatuses": _COMPONENT_STATUS,
    "persistentvolumes": _PV,
    "persistentvolumeclaims": _PVC,
    "resourcequotas": _RESOURCE_QUOTA,
    "deployments.apps": _DEPLOYMENT,
    "replicasets.apps": _RS,
    "statefulsets.apps": _STATEFULSET,
    "daemonsets.apps": _DAEMONSET,
    "controllerrevisions.apps": _CONTROLLER_REVISION,
    "jobs.batch": _JOB,
    "cronjobs.batch": _CRONJOB,
    "horizontalpodautoscalers.autoscaling": _HPA,
    "poddisruptionbudgets.policy": _PDB,
    "ingresses.networking.k8s.io": _INGRESS,
    "ingressclasses.networking.k8s.io": _INGRESS_CLASS,
    "networkpolicies.networking.k8s.io": _NETWORK_POLICY,
    "endpointslices.discovery.k8s.io": _ENDPOINTSLICE,
    "leases.coordination.k8s.io": _LEASE,
    "rolebindings.rbac.authorization.k8s.io": _binding_printer(
        "rbacb1.RoleBinding.roleRef", "roleBinding"),
    "clusterrolebindings.rbac.authorization.k8s.io": _binding_printer(
        "rbacb1.ClusterRoleBinding.roleRef", "clusterRoleBinding"),
    "priorityclasses.scheduling.k8s.io": _PRIORITY_CLASS,
    "storageclasses.storage.k8s.io": _STORAGE_CLASS,
    "csidrivers.storage.k8s.io": _CSI_DRIVER,
    "csinodes.storage.k8s.io": _CSI_NODE,
    "volumeattachments.storage.k8s.io": _VOLUME_ATTACHMENT,
})


# --------------------------------------------------------------------------- CRD columns

_PATH_TOKEN = re.compile(r"""
    \.\.                                   # recursive descent
  | \.(?P<field>(?:\\.|[^.\[\]\\])+)       # .field (``\.`` escapes a dot)
  | \[\s*(?P<quote>['"])(?P<key>.*?)(?P=quote)\s*\]      # ['key']
  | \[\s*\?\((?P<filter>.*?)\)\s*\]        # [?(@.type=="Ready")]
  | \[\s*(?P<index>\*|-?\d+)\s*\]          # [0], [*]
  | \[\s*(?P<start>-?\d*)\s*:\s*(?P<end>-?\d*)\s*\]      # [1:3]
""", re.VERBOSE)
_FILTER = re.compile(
    r"""\s*@(?P<path>[^=!<>\s]*)\s*(?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.+?))?\s*""")


def _parse_path(path: str) -> list[tuple[str, Any]]:
    """A CRD ``jsonPath`` as steps; ValueError when it is not one we understand."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    text = text.removeprefix("$")
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"unrecognized column definition {path!r}")
        if m.group(0) == "..":
            steps.append(("recurse", None))
            # ``..name`` keeps its name: re-read it as a field step
            pos = m.end() - 1
            continue
        if m.group("field") is not None:
            steps.append(("field", m.group("field").replace("\\.", ".")))
        elif m.group("key") is not None:
            steps.append(("field", m.group("key")))
        elif m.group("filter") is not None:
            fm = _FILTER.fullmatch(m.group("filter"))
            if fm is None:
                raise ValueError(f"unrecognized column definition {path!r}")
            sub = _parse_path(fm.group("path")) if fm.group("path") else []
            literal = _literal(fm.group("value")) if fm.group("op") else None
            steps.append(("filter", (sub, fm.group("op"), literal)))
        elif m.group("index") is not None:
            index = m.group("index")
            steps.append(("all", None) if index == "*" else ("index", int(index)))
        else:
            start, end = m.group("start"), m.group("end")
            steps.append(("slice", (int(start) if start else None, int(end) if end else None)))
        pos = m.end()
    return steps


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return json.loads(text)
    except ValueError:
        return text


_ORDERING = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _compare(left: Any, op: str, right: Any) -> bool:
    """A filter comparison; values of different types never match."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if not numbers and type(left) is not type(right):
        return False
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if not numbers and not isinstance(left, str):
        return False
    return bool(_ORDERING[op](left, right))


def _walk(values: list[Any], steps: list[tuple[str, Any]]) -> list[Any]:
    for step, arg in steps:
        found: list[Any] = []
        for value in values:
            if step == "field":
                if isinstance(value, dict) and arg in value:
                    found.append(value[arg])
            elif step == "all":
                if isinstance(value, list):
                    found.extend(value)
                elif isinstance(value, dict):
                    found.extend(value[k] for k in sorted(value))
            elif step == "index":
                if isinstance(value, list) and -len(value) <= arg < len(value):
                    found.append(value[arg])
            elif step == "slice":
                if isinstance(value, list):
                    found.extend(value[arg[0]:arg[1]])
            elif step == "recurse":
                found.extend(_descendants(value))
            elif step == "filter" and isinstance(value, list):
                sub, op, literal = arg
                for item in value:
                    hits = _walk([item], sub)
                    if op is None:
                        if hits:
                            found.append(item)
                    elif hits and _compare(hits[0], op, literal):
                        found.append(item)
        values = found
    return values


def _descendants(value: Any) -> list[Any]:
    out = [value]
    children = (value[k] for k in sorted(value)) if isinstance(value, dict) else (
        value if isinstance(value, list) else ())
    for child in children:
        out.extend(_descendants(child))
    return out


def jsonpath_first(obj: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of the first match of a simple JSONPath (``.spec.x``,
    ``.items[0].name``, ``.status.conditions[?(@.type=="Ready")].status``...)."""
    values = _walk([obj], _parse_path(path))
    return (True, values[0]) if values else (False, None)


def _print_value(value: Any) -> str | None:
    """jsonpath's PrintResults for one value: JSON for maps and lists, text otherwise."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def crd_cell(column_type: str, value: Any, now: float) -> Any:
    """``cellForJSONValue`` (string columns go through ``_print_value``)."""
    if value is None:
        return None
    if column_type == "string":
        return _print_value(value)
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
    elif column_type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif column_type == "boolean":
        if isinstance(value, bool):
            return value
    elif column_type == "date" and isinstance(value, str):
        if value in ("", "null"):
            return UNKNOWN
        try:
            dt = datetime.datetime.fromisoformat(value)
        except ValueError:
            return "<invalid>"
        if dt.tzinfo is None:  # RFC 3339 demands an offset
            return "<invalid>"
        ts = dt.timestamp()
        return UNKNOWN if ts <= _ZERO_TIME else human_duration(now - ts)
    return None


#: What a CRD version without ``additionalPrinterColumns`` shows.
DEFAULT_CRD_COLUMNS: tuple[Mapping[str, Any], ...] = (types.MappingProxyType({
    "name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
    "description": _DOCS["meta.ObjectMeta.creationTimestamp"],
}),)


def crd_columns(printer_columns: Iterable[Mapping[str, Any]] | None,
                ) -> tuple[list[Obj], CellsFn]:
    """Column definitions and a cells function for a CRD version's
    ``additionalPrinterColumns`` (the ``Age`` default when there are none), as the
    apiextensions table convertor builds them. ValueError for a JSONPath it cannot
    parse (the real server then falls back to the default convertor)."""
    given = list(printer_columns or ()) or list(DEFAULT_CRD_COLUMNS)
    columns: list[Obj] = [dict(_NAME_COL)]
    paths: list[tuple[str, list[tuple[str, Any]]]] = []
    for col in given:
        path = str(col.get("jsonPath", col.get("JSONPath", "")))
        paths.append((str(col.get("type", "string")), _parse_path(path)))
        columns.append({
            "name": col.get("name", ""), "type": col.get("type", "string"),
            "format": col.get("format", ""),
            "description": col.get("description") or
            f"Custom resource definition column (in JSONPath format): {path}",
            "priority": _int(col.get("priority")),
        })

    def cells(obj: Obj, now: float) -> list[Any]:
        row: list[Any] = [_name(obj)]
        for column_type, steps in paths:
            values = _walk([obj], steps)
            row.append(crd_cell(column_type, values[0], now) if values else None)
        return row

    return columns, cells


# --------------------------------------------------------------------------- registry and tables


class Printers:
    """The printers a server uses: the built-ins plus registered ones (custom
    resources). Registration replaces the built-in or default printer for a key."""

    def __init__(self) -> None:
        self._registered: dict[str, Printer] = {}

    def register_columns(self, key: str, columns: Iterable[Mapping[str, Any]],
                         cells_fn: CellsFn) -> None:
        """Print resource ``key`` (``plural.group``) with these columns and cells."""
        cols = tuple(types.MappingProxyType(dict(c)) for c in columns)
        self._registered[key] = Printer(cols, cells_fn)

    def unregister(self, key: str) -> None:
        self._registered.pop(key, None)

    def printer_for(self, res: resources.Resource) -> Printer:
        printer = self._registered.get(res.key)
        if printer is not None:
            return printer
        return _builtin_printer(res)


def _builtin_printer(res: resources.Resource) -> Printer:
    printer = BUILTIN_PRINTERS.get(res.key)
    if printer is not None:
        return printer
    if res.crd is not None:  # a CRD always has at least the Age column
        return _crd_printer(res)
    return DEFAULT_PRINTER


_CRD_PRINTERS: dict[int, tuple[resources.Resource, Printer]] = {}


def _crd_printer(res: resources.Resource) -> Printer:
    """The additionalPrinterColumns of the preferred version (cached per Resource row)."""
    hit = _CRD_PRINTERS.get(id(res))
    if hit is not None and hit[0] is res:
        return hit[1]
    cols = None
    versions = res.crd_versions or {}
    v = versions.get(res.preferred_version)
    if v is not None:
        cols = v.printer_columns
    try:
        columns, cells = crd_columns(cols)
    except ValueError:
        return DEFAULT_PRINTER
    printer = Printer(tuple(columns), cells)
    if len(_CRD_PRINTERS) > 1024:
        _CRD_PRINTERS.clear()
    _CRD_PRINTERS[id(res)] = (res, printer)
    return printer


def _printer(res: resources.Resource, printers: Printers | None) -> Printer:
    return printers.printer_for(res) if printers is not None else _builtin_printer(res)


def column_definitions(res: resources.Resource, *,
                       printers: Printers | None = None) -> list[Obj]:
    """The Table's ``columnDefinitions`` for ``res``, as fresh dicts."""
    return [dict(c) for c in _printer(res, printers).columns]


def row_cells(res: resources.Resource, obj: Obj, now: float, *,
              printers: Printers | None = None) -> list[Any]:
    """One row's cells for ``obj`` at epoch time ``now`` (wide cells included)."""
    return _printer(res, printers).cells(obj, now)


INCLUDE_OBJECT_VALUES = ("Metadata", "", "Object", "None")


def to_table(res: resources.Resource, objs: Iterable[Obj], now: float, *,
             include_object: str = "Metadata", resource_version: str = "",
             continue_token: str = "", api_version: str = "meta.k8s.io/v1",
             no_headers: bool = False, remaining_item_count: int | None = None,
             object_version: str | None = None,
             printers: Printers | None = None) -> Obj:
    """A ``Table`` of ``objs`` (a list answer, or one object for a get).

    ``include_object``: ``Metadata`` (default; rows carry a PartialObjectMetadata with
    the whole ``metadata``, managedFields included, as the real server sends),
    ``None`` (``object: null``) or ``Object`` (the object itself, stamped with
    ``kind``/``apiVersion`` of ``object_version``). Anything else is a 400.
    ``no_headers`` drops ``columnDefinitions`` (the server does this for every
    watch event after the first). ``resource_version``/``continue_token`` go to
    ``metadata``: the list's, or the object's own resourceVersion for a get.
    """
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise errors.BadRequest(f"unrecognized includeObject value: {json.dumps(include_object)}")
    printer = _printer(res, printers)
    rows: list[Obj] = []
    for obj in objs:
        row: Obj = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions is not None else None
        if conditions:
            row["conditions"] = conditions
        if include_object == "None":
            row["object"] = None
        elif include_object == "Object":
            row["object"] = {"kind": res.kind, "apiVersion": res.api_version(object_version),
                             **obj}
        else:
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": api_version,
                             "metadata": dict(_meta(obj))}
        rows.append(row)
    metadata: Obj = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    return {
        "kind": "Table", "apiVersion": api_version, "metadata": metadata,
        "columnDefinitions": None if no_headers else [dict(c) for c in printer.columns],
        "rows": rows,
    }
