"""Table printing (``minik8s.server.tables``) against kube-apiserver 1.33's printers.

Expected cells were worked out from the real printers' logic; ids read as sentences.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from minik8s.api import errors, resources
from minik8s.server import tables

NOW = datetime.datetime(2026, 1, 2, 12, 0, 0, tzinfo=datetime.UTC).timestamp()
RES = {r.key: r for r in resources.builtin_resources()}


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp ``seconds`` before NOW."""
    dt = datetime.datetime.fromtimestamp(NOW - seconds, tz=datetime.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str = "x", age: float = 300, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "uid": "uid-1", "resourceVersion": "7",
            "creationTimestamp": ago(age), **extra}


def running(name: str = "c", *, ready: bool = True, restarts: int = 0,
            last_finished: float | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts,
                              "state": {"running": {"startedAt": ago(100)}}}
    if last_finished is not None:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": ago(last_finished)}}
    return status


def waiting(reason: str, name: str = "c", restarts: int = 0) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": restarts,
            "state": {"waiting": {"reason": reason}}}


def terminated(name: str = "c", *, exit_code: int = 0, reason: str | None = None,
               signal: int = 0) -> dict[str, Any]:
    term: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": term}}


def make_pod(*, phase: str | None = "Running", containers: int = 1,
             statuses: list[dict[str, Any]] | None = None,
             init: list[dict[str, Any]] | None = None,
             init_statuses: list[dict[str, Any]] | None = None,
             conditions: list[dict[str, Any]] | None = None, reason: str | None = None,
             deleting: bool = False, **spec: Any) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if phase is not None:
        status["phase"] = phase
    if reason is not None:
        status["reason"] = reason
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = conditions
    pod_spec: dict[str, Any] = {
        "containers": [{"name": f"c{i}" if i else "c", "image": "nginx"}
                       for i in range(containers)],
        **spec,
    }
    if init is not None:
        pod_spec["initContainers"] = init
    metadata = meta("web-0")
    if deleting:
        metadata["deletionTimestamp"] = ago(1)
    return {"metadata": metadata, "spec": pod_spec, "status": status}


def make_node(*, ready: str | None = "True", unschedulable: bool = False,
              labels: dict[str, str] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian GNU/Linux 12",
                     "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.0"},
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                      {"type": "Hostname", "address": "node-1"}],
    }
    if ready is not None:
        status["conditions"] = [{"type": "MemoryPressure", "status": "False"},
                                {"type": "Ready", "status": ready}]
    node: dict[str, Any] = {"metadata": meta("node-1", 3 * 86400, labels=labels or {}),
                            "spec": {}, "status": status}
    if unschedulable:
        node["spec"]["unschedulable"] = True
    return node


def make_service(svc_type: str = "ClusterIP", ports: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    spec = {"type": svc_type, "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
            "ports": ports if ports is not None else [{"port": 80, "protocol": "TCP"}],
            "selector": {"app": "web"}, **extra.pop("spec", {})}
    return {"metadata": meta("web"), "spec": spec, "status": extra.pop("status", {})}


def names(key: str) -> list[str]:
    return [c["name"] for c in tables.column_definitions(RES[key])]


def cells(key: str, obj: dict[str, Any]) -> list[Any]:
    return tables.row_cells(RES[key], obj, NOW)


def status_of(pod: dict[str, Any]) -> str:
    return str(cells("pods", pod)[2])


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (-1.5, "0s"), (-2, "<invalid>"), (59, "59s"), (119, "119s"), (120, "2m"),
    (130, "2m10s"), (599, "9m59s"), (600, "10m"), (659, "10m"), (10799, "179m"),
    (10800, "3h"), (3 * 3600 + 120, "3h2m"), (8 * 3600 - 1, "7h59m"), (8 * 3600, "8h"),
    (47 * 3600, "47h"), (48 * 3600, "2d"), (51 * 3600, "2d3h"), (8 * 86400, "8d"),
    (729 * 86400, "729d"), (730 * 86400, "2y"), (740 * 86400, "2y10d"),
    (8 * 365 * 86400, "8y"), (20 * 365 * 86400, "20y"),
], ids=[
    "zero is 0s", "a second in the future is clock skew", "two seconds ahead is invalid",
    "under a minute counts seconds", "seconds are kept up to two minutes",
    "two minutes drop the seconds", "under ten minutes keep the seconds",
    "just under ten minutes", "ten minutes are bare minutes", "seconds vanish past ten minutes",
    "minutes last until three hours", "three hours are bare hours", "hours keep their minutes",
    "just under eight hours", "eight hours drop the minutes", "hours last until two days",
    "two days are days", "days keep their hours under eight days", "eight days drop the hours",
    "days last until two years", "two years are years", "years keep their days",
    "eight years drop the days", "decades are years",
])
def test_human_duration(seconds: float, text: str) -> None:
    assert tables.human_duration(seconds) == text


def test_age_without_a_timestamp_is_unknown() -> None:
    assert tables.translate_timestamp_since(None, NOW) == "<unknown>"
    assert tables.translate_timestamp_since("0001-01-01T00:00:00Z", NOW) == "<unknown>"
    assert tables.translate_timestamp_since(ago(90), NOW) == "90s"
    assert tables.translate_timestamp_since("2026-01-02T11:59:00.123456Z", NOW) == "59s"


# --------------------------------------------------------------------------- headers


HEADERS: list[tuple[str, list[str]]] = [
    ("pods", ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
              "Readiness Gates"]),
    ("deployments.apps", ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers",
                          "Images", "Selector"]),
    ("replicasets.apps", ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images",
                          "Selector"]),
    ("statefulsets.apps", ["Name", "Ready", "Age", "Containers", "Images"]),
    ("daemonsets.apps", ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available",
                         "Node Selector", "Age", "Containers", "Images", "Selector"]),
    ("services", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]),
    ("endpoints", ["Name", "Endpoints", "Age"]),
    ("nodes", ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP",
               "OS-Image", "Kernel-Version", "Container-Runtime"]),
    ("namespaces", ["Name", "Status", "Age"]),
    ("configmaps", ["Name", "Data", "Age"]),
    ("secrets", ["Name", "Type", "Data", "Age"]),
    ("serviceaccounts", ["Name", "Secrets", "Age"]),
    ("events", ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message",
                "First Seen", "Count", "Name"]),
    ("persistentvolumes", ["Name", "Capacity", "Access Modes", "Reclaim Policy", "Status",
                           "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age",
                           "VolumeMode"]),
    ("persistentvolumeclaims", ["Name", "Status", "Volume", "Capacity", "Access Modes",
                                "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode"]),
    ("replicationcontrollers", ["Name", "Desired", "Current", "Ready", "Age", "Containers",
                                "Images", "Selector"]),
    ("jobs.batch", ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images",
                    "Selector"]),
    ("cronjobs.batch", ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule",
                        "Age", "Containers", "Images", "Selector"]),
    ("horizontalpodautoscalers.autoscaling", ["Name", "Reference", "Targets", "MinPods",
                                              "MaxPods", "Replicas", "Age"]),
    ("ingresses.networking.k8s.io", ["Name", "Class", "Hosts", "Address", "Ports", "Age"]),
    ("ingressclasses.networking.k8s.io", ["Name", "Controller", "Parameters", "Age"]),
    ("storageclasses.storage.k8s.io", ["Name", "Provisioner", "ReclaimPolicy",
                                       "VolumeBindingMode", "AllowVolumeExpansion", "Age"]),
    ("endpointslices.discovery.k8s.io", ["Name", "AddressType", "Ports", "Endpoints", "Age"]),
    ("leases.coordination.k8s.io", ["Name", "Holder", "Age"]),
    ("poddisruptionbudgets.policy", ["Name", "Min Available", "Max Unavailable",
                                     "Allowed Disruptions", "Age"]),
    ("roles.rbac.authorization.k8s.io", ["Name", "Created At"]),
    ("clusterroles.rbac.authorization.k8s.io", ["Name", "Created At"]),
    ("rolebindings.rbac.authorization.k8s.io", ["Name", "Role", "Age", "Users", "Groups",
                                                "ServiceAccounts"]),
    ("clusterrolebindings.rbac.authorization.k8s.io", ["Name", "Role", "Age", "Users",
                                                       "Groups", "ServiceAccounts"]),
    ("controllerrevisions.apps", ["Name", "Controller", "Revision", "Age"]),
    ("priorityclasses.scheduling.k8s.io", ["Name", "Value", "Global-Default", "Age",
                                           "PreemptionPolicy"]),
    ("resourcequotas", ["Name", "Request", "Limit", "Age"]),
    ("limitranges", ["Name", "Created At"]),
    ("customresourcedefinitions.apiextensions.k8s.io", ["Name", "Created At"]),
    ("podpresets.settings.k8s.io", ["Name", "Created At"]),
]


@pytest.mark.parametrize(("key", "header"), HEADERS,
                         ids=[f"{key} shows the 1.33 columns" for key, _ in HEADERS])
def test_headers_match_the_real_server(key: str, header: list[str]) -> None:
    assert names(key) == header


@pytest.mark.parametrize("key", sorted(RES), ids=lambda k: f"{k} rows fit its columns")
def test_every_builtin_row_fits_its_columns(key: str) -> None:
    columns = tables.column_definitions(RES[key])
    row = cells(key, {"metadata": meta()})
    assert len(row) == len(columns)
    for col in columns:
        assert set(col) == {"name", "type", "format", "description", "priority"}
        assert col["type"] in {"string", "integer", "boolean", "date", "number"}
        assert col["description"]


def test_wide_columns_have_priority_one_and_the_name_column_is_formatted() -> None:
    pod = tables.column_definitions(RES["pods"])
    assert [c["priority"] for c in pod] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert pod[0]["format"] == "name" and pod[0]["description"].startswith("Name must be unique")
    assert pod[5]["description"].startswith("podIP address allocated to the pod.")
    created = tables.column_definitions(RES["roles.rbac.authorization.k8s.io"])[1]
    assert created["type"] == "date"
    assert created["description"].startswith("CreationTimestamp is a timestamp")


# --------------------------------------------------------------------------- pods


@pytest.mark.parametrize(("pod", "status"), [
    (make_pod(phase="Pending"), "Pending"),
    (make_pod(phase=None), "Pending"),
    (make_pod(phase="Pending", statuses=[waiting("ContainerCreating")]), "ContainerCreating"),
    (make_pod(statuses=[running()]), "Running"),
    (make_pod(phase="Succeeded", statuses=[terminated(reason="Completed")]), "Completed"),
    (make_pod(statuses=[waiting("CrashLoopBackOff", restarts=4)]), "CrashLoopBackOff"),
    (make_pod(phase="Failed", statuses=[terminated(exit_code=1, reason="Error")]), "Error"),
    (make_pod(statuses=[terminated(exit_code=137)]), "ExitCode:137"),
    (make_pod(statuses=[terminated(exit_code=137, signal=9)]), "Signal:9"),
    (make_pod(phase="Pending", init=[{"name": "i"}],
              init_statuses=[waiting("PodInitializing", name="i")]), "Init:0/1"),
    (make_pod(phase="Pending", init=[{"name": "i"}, {"name": "j"}],
              init_statuses=[terminated("i"), {"name": "j", "state": {"running": {}}}]),
     "Init:1/2"),
    (make_pod(phase="Pending", init=[{"name": "i"}],
              init_statuses=[waiting("CrashLoopBackOff", name="i")]), "Init:CrashLoopBackOff"),
    (make_pod(phase="Pending", init=[{"name": "i"}],
              init_statuses=[terminated("i", exit_code=2, reason="Error")]), "Init:Error"),
    (make_pod(phase="Pending", init=[{"name": "i"}],
              init_statuses=[terminated("i", exit_code=2)]), "Init:ExitCode:2"),
    (make_pod(statuses=[running()], deleting=True), "Terminating"),
    (make_pod(phase="Succeeded", statuses=[terminated(reason="Completed")], deleting=True),
     "Completed"),
    (make_pod(reason="NodeLost", statuses=[running()], deleting=True), "Unknown"),
    (make_pod(phase="Failed", reason="Evicted"), "Evicted"),
    (make_pod(phase="Pending", conditions=[{"type": "PodScheduled", "status": "False",
                                            "reason": "SchedulingGated"}]), "SchedulingGated"),
    (make_pod(containers=2, statuses=[terminated("c", reason="Completed"), running("c1")],
              conditions=[{"type": "Ready", "status": "True"}]), "Running"),
    (make_pod(containers=2, statuses=[terminated("c", reason="Completed"), running("c1")]),
     "NotReady"),
], ids=[
    "a pending pod shows Pending", "a pod without status is Pending",
    "a waiting container shows its reason", "a running pod shows Running",
    "a succeeded pod shows Completed", "a crash-looping container shows CrashLoopBackOff",
    "a failed container shows Error", "a reasonless exit shows its exit code",
    "a reasonless kill shows its signal", "an initializing pod counts init containers",
    "the first unfinished init container is counted",
    "a failing init container shows Init: and its reason",
    "a failed init container shows Init:Error", "a reasonless init exit shows its code",
    "a deleted running pod shows Terminating", "a deleted finished pod keeps its status",
    "a deleted pod on a lost node shows Unknown", "an evicted pod shows Evicted",
    "a gated pod shows SchedulingGated",
    "Completed next to a running container reads Running when Ready",
    "Completed next to a running container reads NotReady otherwise",
])
def test_pod_status(pod: dict[str, Any], status: str) -> None:
    assert status_of(pod) == status


def test_pod_row_has_every_wide_cell() -> None:
    pod = make_pod(statuses=[running()], nodeName="node-1")
    pod["status"]["podIPs"] = [{"ip": "10.1.0.5"}, {"ip": "fd00::5"}]
    assert cells("pods", pod) == ["web-0", "1/1", "Running", "0", "5m", "10.1.0.5", "node-1",
                                  "<none>", "<none>"]


def test_pod_wide_cells_show_none_when_unscheduled() -> None:
    assert cells("pods", make_pod(phase="Pending"))[5:] == ["<none>"] * 4


def test_pod_ip_falls_back_to_pod_ip_and_nominated_node_shows() -> None:
    pod = make_pod(statuses=[running()])
    pod["status"].update(podIP="10.1.0.7", nominatedNodeName="node-2")
    assert cells("pods", pod)[5:8] == ["10.1.0.7", "<none>", "node-2"]


@pytest.mark.parametrize(("pod", "restarts"), [
    (make_pod(statuses=[running(restarts=3, last_finished=300)]), "3 (5m ago)"),
    (make_pod(statuses=[running(restarts=3)]), "3"),
    (make_pod(containers=2, statuses=[running("c", restarts=1, last_finished=4000),
                                      running("c1", restarts=2, last_finished=90)]),
     "3 (90s ago)"),
], ids=["restarts show when the last one ended", "restarts without a finish time are bare",
        "restarts add up and the latest finish wins"])
def test_pod_restarts(pod: dict[str, Any], restarts: str) -> None:
    assert cells("pods", pod)[3] == restarts


def test_ready_counts_ready_running_containers_and_started_sidecars() -> None:
    pod = make_pod(containers=2, init=[{"name": "side", "restartPolicy": "Always"}],
                   init_statuses=[{"name": "side", "started": True, "ready": True,
                                   "restartCount": 1, "state": {"running": {}}}],
                   statuses=[running("c"), running("c1", ready=False)],
                   conditions=[{"type": "Initialized", "status": "True"}])
    row = cells("pods", pod)
    assert row[1:4] == ["2/3", "Running", "1"]


def test_readiness_gates_count_true_conditions() -> None:
    pod = make_pod(statuses=[running()], readinessGates=[{"conditionType": "a"},
                                                         {"conditionType": "b"}],
                   conditions=[{"type": "a", "status": "True"}, {"type": "b", "status": "False"}])
    assert cells("pods", pod)[8] == "1/2"


def test_finished_pods_carry_a_completed_row_condition() -> None:
    table = tables.to_table(RES["pods"], [make_pod(phase="Succeeded"), make_pod()], NOW)
    assert table["rows"][0]["conditions"] == [{
        "type": "Completed", "status": "True", "reason": "Succeeded",
        "message": "The pod has completed successfully."}]
    assert "conditions" not in table["rows"][1]


# --------------------------------------------------------------------------- workloads


def template(*containers: tuple[str, str]) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": n, "image": i} for n, i in containers]}}


def test_deployment_row() -> None:
    deploy = {"metadata": meta("web", 7200), "spec": {
        "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
        "template": template(("nginx", "nginx:1.27"), ("log", "busybox"))},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert cells("deployments.apps", deploy) == [
        "web", "2/3", 3, 2, "120m", "nginx,log", "nginx:1.27,busybox", "app=web"]


def test_replicaset_statefulset_and_daemonset_rows() -> None:
    rs = {"metadata": meta("web-abc"), "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}},
        "template": template(("nginx", "nginx"))}, "status": {"replicas": 2, "readyReplicas": 1}}
    assert cells("replicasets.apps", rs) == [
        "web-abc", 2, 2, 1, "5m", "nginx", "nginx", "app=web,pod-template-hash=abc"]
    sts = {"metadata": meta("db"), "spec": {"replicas": 3, "template": template(("pg", "pg"))},
           "status": {"readyReplicas": 3}}
    assert cells("statefulsets.apps", sts) == ["db", "3/3", "5m", "pg", "pg"]
    ds = {"metadata": meta("agent"), "spec": {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                              "containers": [{"name": "a", "image": "agent:1"}]}}},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                   "updatedNumberScheduled": 3, "numberAvailable": 2}}
    assert cells("daemonsets.apps", ds) == [
        "agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "5m", "a", "agent:1", "app=agent"]


def test_replication_controller_row_and_defaulted_replicas() -> None:
    rc = {"metadata": meta("rc"), "spec": {"selector": {"app": "rc"},
                                           "template": template(("c", "img"))}}
    assert cells("replicationcontrollers", rc) == ["rc", 1, 0, 0, "5m", "c", "img", "app=rc"]


@pytest.mark.parametrize(("selector", "text"), [
    (None, "<none>"),
    ({}, "<none>"),
    ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]},
                           {"key": "env", "operator": "NotIn", "values": ["dev"]},
                           {"key": "canary", "operator": "DoesNotExist"},
                           {"key": "app", "operator": "Exists"}]},
     "app,!canary,env notin (dev),tier in (be,fe)"),
    ({"matchExpressions": [{"key": "x", "operator": "In", "values": []}]}, "<error>"),
], ids=["no selector is none", "an empty selector is none", "labels are sorted by key",
        "expressions are rendered and sorted", "an invalid selector is an error"])
def test_label_selector_formatting(selector: Any, text: str) -> None:
    assert tables.format_label_selector(selector) == text


@pytest.mark.parametrize(("spec", "status", "expected"), [
    ({"completions": 1}, {"succeeded": 1, "startTime": ago(100), "completionTime": ago(40),
                          "conditions": [{"type": "Complete", "status": "True"}]},
     ["Complete", "1/1", "60s"]),
    ({"completions": 3, "parallelism": 2}, {"succeeded": 1, "startTime": ago(150)},
     ["Running", "1/3", "2m30s"]),
    ({"parallelism": 4}, {}, ["Running", "0/1 of 4", ""]),
    ({"completions": 1}, {"conditions": [{"type": "Failed", "status": "True"}]},
     ["Failed", "0/1", ""]),
    ({"completions": 1, "suspend": True},
     {"conditions": [{"type": "Suspended", "status": "True"}]}, ["Suspended", "0/1", ""]),
    ({"completions": 1}, {"conditions": [{"type": "FailureTarget", "status": "True"}]},
     ["FailureTarget", "0/1", ""]),
], ids=["a complete job shows its duration", "a running job's duration runs until now",
        "a work queue shows its parallelism", "a failed job shows Failed",
        "a suspended job shows Suspended", "a job about to fail shows FailureTarget"])
def test_job_status_completions_and_duration(spec: dict[str, Any], status: dict[str, Any],
                                             expected: list[Any]) -> None:
    job = {"metadata": meta("pi"), "spec": {**spec, "template": template(("pi", "perl"))},
           "status": status}
    assert cells("jobs.batch", job)[1:4] == expected


def test_cronjob_row() -> None:
    cj = {"metadata": meta("nightly", 86400 * 3), "spec": {
        "schedule": "0 3 * * *", "timeZone": "Etc/UTC", "suspend": False,
        "jobTemplate": {"spec": {"template": template(("run", "busybox"))}}},
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(3600)}}
    assert cells("cronjobs.batch", cj) == [
        "nightly", "0 3 * * *", "Etc/UTC", "False", 1, "60m", "3d", "run", "busybox", "<none>"]
    cj["spec"].pop("timeZone")
    cj["status"] = {}
    assert cells("cronjobs.batch", cj)[2:6] == ["<none>", "False", 0, "<none>"]


def test_controller_revision_names_its_controller() -> None:
    rev = {"metadata": meta("web-7d9", ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}]),
        "revision": 2}
    assert cells("controllerrevisions.apps", rev) == ["web-7d9", "statefulset.apps/web", 2, "5m"]


@pytest.mark.parametrize(("spec", "status", "targets"), [
    ({"metrics": [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}, {},
     "cpu: <unknown>/50%"),
    ({"metrics": [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]},
     {"currentMetrics": [{"type": "Resource", "resource": {
         "name": "cpu", "current": {"averageUtilization": 138, "averageValue": "690m"}}}]},
     "cpu: 138%/50%"),
    ({"targetCPUUtilizationPercentage": 80}, {"currentCPUUtilizationPercentage": 20},
     "cpu: 20%/80%"),
    ({"metrics": [
        {"type": "Resource", "resource": {"name": "memory", "target": {
            "type": "AverageValue", "averageValue": "512Mi"}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {
            "type": "AverageValue", "averageValue": "1k"}}},
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {
            "type": "Value", "value": "10"}}}]}, {},
     "memory: <unknown>/512Mi, <unknown>/1k + 1 more..."),
    ({}, {}, "<none>"),
], ids=["no metrics yet read unknown", "a measured utilization reads as a percentage",
        "an autoscaling/v1 object is read too", "past two metrics the rest are counted",
        "no metrics at all read none"])
def test_hpa_targets(spec: dict[str, Any], status: dict[str, Any], targets: str) -> None:
    hpa = {"metadata": meta("web"), "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1, "maxReplicas": 10, **spec}, "status": {"currentReplicas": 2, **status}}
    assert cells("horizontalpodautoscalers.autoscaling", hpa) == [
        "web", "Deployment/web", targets, "1", 10, 2, "5m"]


def test_pdb_row() -> None:
    pdb = {"metadata": meta("web"), "spec": {"minAvailable": "50%"},
           "status": {"disruptionsAllowed": 1}}
    assert cells("poddisruptionbudgets.policy", pdb) == ["web", "50%", "N/A", 1, "5m"]


# ------------------------------------------------------------------- services and networking


@pytest.mark.parametrize(("svc", "external", "ports"), [
    (make_service(), "<none>", "80/TCP"),
    (make_service("NodePort", [{"port": 3306, "nodePort": 31234, "protocol": "TCP"},
                               {"port": 80}]),
     "<none>", "3306:31234/TCP,80/TCP"),
    (make_service("LoadBalancer", [{"port": 53, "protocol": "UDP", "nodePort": 30053}]),
     "<pending>", "53:30053/UDP"),
    (make_service("LoadBalancer", status={"loadBalancer": {"ingress": [
        {"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}]}}),
     "203.0.113.9,lb.example.com", "80/TCP"),
    (make_service("ClusterIP", spec={"externalIPs": ["198.51.100.1", "198.51.100.2"]}),
     "198.51.100.1,198.51.100.2", "80/TCP"),
    (make_service("ExternalName", [], spec={"externalName": "db.example.com", "clusterIP": "",
                                            "clusterIPs": []}),
     "db.example.com", "<none>"),
], ids=["a cluster IP service has no external IP", "node ports are shown after the port",
        "a load balancer without an address is pending",
        "a load balancer shows its ingress addresses", "external IPs are listed",
        "an external name service shows the name and no ports"])
def test_service_external_ip_and_ports(svc: dict[str, Any], external: str, ports: str) -> None:
    row = cells("services", svc)
    assert row[3:5] == [external, ports]


def test_service_row() -> None:
    assert cells("services", make_service()) == [
        "web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "5m", "app=web"]
    headless = make_service(spec={"clusterIP": "None", "clusterIPs": ["None"], "selector": {}})
    assert cells("services", headless)[2::4] == ["None", "<none>"]


def test_endpoints_show_three_addresses_then_a_count() -> None:
    ep = {"metadata": meta("web"), "subsets": [{
        "addresses": [{"ip": f"10.244.1.{i}"} for i in range(5)],
        "ports": [{"port": 80}, {"name": "metrics", "port": 9090}]}]}
    assert cells("endpoints", ep) == [
        "web", "10.244.1.0:80,10.244.1.1:80,10.244.1.2:80 + 7 more...", "5m"]
    headless = {"metadata": meta("h"), "subsets": [{"addresses": [{"ip": "fd00::1"}]}]}
    assert cells("endpoints", headless)[1] == "fd00::1"
    assert cells("endpoints", {"metadata": meta("e")})[1] == "<none>"
    v6 = {"metadata": meta("v6"), "subsets": [{"addresses": [{"ip": "fd00::1"}],
                                               "ports": [{"port": 80}]}]}
    assert cells("endpoints", v6)[1] == "[fd00::1]:80"


def test_endpointslice_row() -> None:
    eps = {"metadata": meta("web-x1"), "addressType": "IPv4",
           "ports": [{"port": 80}, {"name": "https"}, {}],
           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]},
                         {"addresses": ["10.0.0.4"]}]}
    assert cells("endpointslices.discovery.k8s.io", eps) == [
        "web-x1", "IPv4", "80,https,*", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "5m"]
    empty = {"metadata": meta("e"), "addressType": "IPv4"}
    assert cells("endpointslices.discovery.k8s.io", empty)[2:4] == ["<unset>", "<unset>"]


def test_ingress_and_ingress_class_rows() -> None:
    ing = {"metadata": meta("web"), "spec": {
        "ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"]}],
        "rules": [{"host": h} for h in ("a.example.com", "b.example.com", "c.example.com",
                                        "d.example.com")]},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    assert cells("ingresses.networking.k8s.io", ing) == [
        "web", "nginx", "a.example.com,b.example.com,c.example.com + 1 more...", "192.0.2.10",
        "80, 443", "5m"]
    bare = {"metadata": meta("catch-all"), "spec": {"defaultBackend": {}}}
    assert cells("ingresses.networking.k8s.io", bare)[1:5] == ["<none>", "*", "", "80"]
    cls = {"metadata": meta("nginx"), "spec": {
        "controller": "k8s.io/ingress-nginx",
        "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters",
                       "name": "external-lb"}}}
    assert cells("ingressclasses.networking.k8s.io", cls) == [
        "nginx", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/external-lb", "5m"]


# --------------------------------------------------------------------------- nodes and config


@pytest.mark.parametrize(("node", "status", "roles"), [
    (make_node(), "Ready", "<none>"),
    (make_node(unschedulable=True), "Ready,SchedulingDisabled", "<none>"),
    (make_node(ready="False"), "NotReady", "<none>"),
    (make_node(ready="Unknown"), "NotReady", "<none>"),
    (make_node(ready=None), "Unknown", "<none>"),
    (make_node(labels={"node-role.kubernetes.io/control-plane": "",
                       "node-role.kubernetes.io/etcd": "true"}), "Ready", "control-plane,etcd"),
    (make_node(labels={"kubernetes.io/role": "worker", "node-role.kubernetes.io/": ""}),
     "Ready", "worker"),
], ids=["a ready node", "a cordoned node shows SchedulingDisabled", "a failing node is NotReady",
        "an unreachable node is NotReady", "a node without a Ready condition is Unknown",
        "roles come from node-role labels, sorted", "the legacy role label counts too"])
def test_node_status_and_roles(node: dict[str, Any], status: str, roles: str) -> None:
    assert cells("nodes", node)[1:3] == [status, roles]


def test_node_row() -> None:
    assert cells("nodes", make_node()) == [
        "node-1", "Ready", "<none>", "3d", "v1.33.0", "10.0.0.1", "<none>",
        "Debian GNU/Linux 12", "6.1.0", "containerd://1.7.0"]


def test_config_rows() -> None:
    cm = {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert cells("configmaps", cm) == ["cfg", 3, "5m"]
    secret = {"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"tls.crt": "",
                                                                         "tls.key": ""}}
    assert cells("secrets", secret) == ["s", "kubernetes.io/tls", 2, "5m"]
    sa = {"metadata": meta("default"), "secrets": [{"name": "t"}]}
    assert cells("serviceaccounts", sa) == ["default", 1, "5m"]
    ns = {"metadata": meta("dev"), "status": {"phase": "Terminating"}}
    assert cells("namespaces", ns) == ["dev", "Terminating", "5m"]
    lease = {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "node-1_abc"}}
    assert cells("leases.coordination.k8s.io", lease) == ["kube-scheduler", "node-1_abc", "5m"]


def test_resource_quota_splits_requests_and_limits() -> None:
    quota = {"metadata": meta("q"), "status": {
        "hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "2Gi", "limits.cpu": "4"},
        "used": {"pods": "3", "requests.cpu": "500m", "limits.memory": "1024Mi"}}}
    assert cells("resourcequotas", quota) == [
        "q", "pods: 3/10, requests.cpu: 500m/2", "limits.cpu: 0/4, limits.memory: 1Gi/2Gi", "5m"]


def test_priority_class_and_rbac_rows() -> None:
    pc = {"metadata": meta("high"), "value": 1000, "globalDefault": False,
          "preemptionPolicy": "PreemptLowerPriority"}
    assert cells("priorityclasses.scheduling.k8s.io", pc) == [
        "high", 1000, False, "5m", "PreemptLowerPriority"]
    rb = {"metadata": meta("read"), "roleRef": {"kind": "ClusterRole", "name": "view"},
          "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                       {"kind": "ServiceAccount", "name": "ci", "namespace": "tools"},
                       {"kind": "User", "name": "bob"}]}
    assert cells("rolebindings.rbac.authorization.k8s.io", rb) == [
        "read", "ClusterRole/view", "5m", "alice, bob", "devs", "tools/ci"]
    role = {"metadata": meta("r", creationTimestamp="2026-01-02T10:00:00.5+02:00")}
    assert cells("roles.rbac.authorization.k8s.io", role) == ["r", "2026-01-02T08:00:00Z"]


def test_events_core_and_events_k8s_io() -> None:
    ev = {"metadata": meta("web-0.17a"), "type": "Warning", "reason": "BackOff",
          "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{c}"},
          "source": {"component": "kubelet", "host": "node-1"},
          "message": "Back-off restarting failed container \n", "count": 7,
          "firstTimestamp": ago(3600), "lastTimestamp": ago(30)}
    assert cells("events", ev) == [
        "30s", "Warning", "BackOff", "pod/web-0", "spec.containers{c}", "kubelet, node-1",
        "Back-off restarting failed container", "60m", 7, "web-0.17a"]
    new = {"metadata": meta("web.1"), "type": "Normal", "reason": "Scheduled",
           "regarding": {"kind": "Pod", "name": "web-1"}, "note": "Assigned",
           "reportingController": "default-scheduler", "eventTime": "2026-01-02T11:57:59.5Z"}
    assert cells("events.events.k8s.io", new) == [
        "2m", "Normal", "Scheduled", "pod/web-1", "", "default-scheduler", "Assigned", "2m", 1,
        "web.1"]
    series = dict(ev, series={"count": 12, "lastObservedTime": ago(5)})
    assert cells("events", series)[0::8] == ["5s", 12]


def test_storage_rows() -> None:
    pv = {"metadata": meta("pv1"), "spec": {
        "capacity": {"storage": "10240Mi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "fast",
        "claimRef": {"namespace": "default", "name": "data"}, "volumeMode": "Filesystem"},
        "status": {"phase": "Bound"}}
    assert cells("persistentvolumes", pv) == [
        "pv1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>", "",
        "5m", "Filesystem"]
    pvc = {"metadata": meta("data"), "spec": {"volumeName": "pv1", "storageClassName": "fast",
                                              "resources": {"requests": {"storage": "5Gi"}}},
           "status": {"phase": "Bound", "capacity": {"storage": "10Gi"},
                      "accessModes": ["ReadWriteOncePod", "ReadOnlyMany"]}}
    assert cells("persistentvolumeclaims", pvc) == [
        "data", "Bound", "pv1", "10Gi", "ROX,RWOP", "fast", "<unset>", "5m", "<unset>"]
    pending = {"metadata": meta("p"), "spec": {"resources": {"requests": {"storage": "1Gi"}}},
               "status": {"phase": "Pending"}}
    assert cells("persistentvolumeclaims", pending)[1:6] == ["Pending", "", "", "", ""]
    sc = {"metadata": meta("standard", annotations={
        "storageclass.kubernetes.io/is-default-class": "true"}),
        "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"}
    assert cells("storageclasses.storage.k8s.io", sc) == [
        "standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False,
        "5m"]


@pytest.mark.parametrize(("given", "canonical"), [
    ("10Gi", "10Gi"), ("2048Mi", "2Gi"), ("1.5Gi", "1536Mi"), ("0.5Gi", "512Mi"),
    ("1000", "1k"), ("1024", "1024"), ("500m", "500m"), ("0.1", "100m"), ("1.5n", "2n"),
    ("1e3", "1e3"), (None, "0"), (3, "3"),
], ids=["binary stays binary", "binary moves to the largest exact suffix",
        "fractional binary goes down a suffix", "half a gibibyte is mebibytes",
        "a thousand is 1k", "a plain 1024 stays decimal", "millis stay millis",
        "a fraction becomes millis", "below a nano rounds up", "exponents stay exponents",
        "a missing quantity is 0", "a bare number is printed"])
def test_quantity_canonical_form(given: Any, canonical: str) -> None:
    assert tables.format_quantity(given) == canonical


# --------------------------------------------------------------------------- the Table


def test_table_shape_matches_the_captured_stub() -> None:
    pod = make_pod(statuses=[running()], nodeName="node-1")
    pod["metadata"]["labels"] = {"app": "web"}
    pod["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    table = tables.to_table(RES["pods"], [pod], NOW, resource_version="106")
    assert list(table) == ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"]
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "106"}
    assert list(table["rows"][0]) == ["cells", "object"]
    obj = table["rows"][0]["object"]
    assert obj["kind"] == "PartialObjectMetadata" and obj["apiVersion"] == "meta.k8s.io/v1"
    assert obj["metadata"] == pod["metadata"]  # the whole metadata, as the real server sends
    assert obj["metadata"] is not pod["metadata"]


def test_table_options() -> None:
    pod = make_pod()
    none = tables.to_table(RES["pods"], [pod], NOW, include_object="None",
                           continue_token="abc", remaining_item_count=4, no_headers=True,
                           api_version="meta.k8s.io/v1beta1")
    assert none["rows"][0]["object"] is None
    assert none["columnDefinitions"] is None
    assert none["apiVersion"] == "meta.k8s.io/v1beta1"
    assert none["metadata"] == {"continue": "abc", "remainingItemCount": 4}
    full = tables.to_table(RES["deployments.apps"], [{"metadata": meta("d")}], NOW,
                           include_object="Object")
    assert full["rows"][0]["object"] == {"kind": "Deployment", "apiVersion": "apps/v1",
                                         "metadata": meta("d")}
    empty = tables.to_table(RES["pods"], [], NOW)
    assert empty["rows"] == [] and empty["metadata"] == {}
    with pytest.raises(errors.BadRequest, match='unrecognized includeObject value: "All"'):
        tables.to_table(RES["pods"], [pod], NOW, include_object="All")


def test_column_definitions_are_fresh_copies() -> None:
    first = tables.column_definitions(RES["pods"])
    first[0]["name"] = "changed"
    assert tables.column_definitions(RES["pods"])[0]["name"] == "Name"


# --------------------------------------------------------------------------- custom resources

CRONTAB = {"metadata": meta("tab", 600), "spec": {"cronSpec": "* * * * */5", "replicas": 3,
                                                  "image": "my-cron", "ratio": 1.5,
                                                  "paused": True, "extra": {"b": 1, "a": [2]}},
           "status": {"conditions": [{"type": "Synced", "status": "False"},
                                     {"type": "Ready", "status": "True"}],
                      "lastRun": ago(90)}}


@pytest.mark.parametrize(("column", "cell"), [
    ({"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"}, "* * * * */5"),
    ({"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}, 3),
    ({"name": "Ratio", "type": "integer", "jsonPath": ".spec.ratio"}, 1),
    ({"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"}, 1.5),
    ({"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"}, True),
    ({"name": "Paused", "type": "string", "jsonPath": ".spec.paused"}, "true"),
    ({"name": "Ready", "type": "string",
      "jsonPath": '.status.conditions[?(@.type=="Ready")].status'}, "True"),
    ({"name": "First", "type": "string", "jsonPath": ".status.conditions[0].type"}, "Synced"),
    ({"name": "Last", "type": "string", "jsonPath": ".status.conditions[-1].type"}, "Ready"),
    ({"name": "Types", "type": "string", "jsonPath": ".status.conditions[*].type"}, "Synced"),
    ({"name": "Extra", "type": "string", "jsonPath": ".spec.extra"}, '{"a":[2],"b":1}'),
    ({"name": "Ran", "type": "date", "jsonPath": ".status.lastRun"}, "90s"),
    ({"name": "Missing", "type": "string", "jsonPath": ".spec.nothing.here"}, None),
    ({"name": "Wrong", "type": "integer", "jsonPath": ".spec.image"}, None),
    ({"name": "Img", "type": "string", "jsonPath": "{.spec['image']}"}, "my-cron"),
], ids=["a string field", "an integer field", "an integer column truncates a float",
        "a number column keeps the float", "a boolean field", "a boolean printed as text",
        "a condition picked by a filter", "an index", "a negative index",
        "a wildcard shows the first match", "a map is printed as compact JSON",
        "a date column shows an age", "a missing field is null", "a mistyped value is null",
        "bracket keys and braces are accepted"])
def test_crd_column_cells(column: dict[str, Any], cell: Any) -> None:
    columns, cells_fn = tables.crd_columns([column])
    assert [c["name"] for c in columns] == ["Name", column["name"]]
    assert cells_fn(CRONTAB, NOW) == ["tab", cell]


def test_crd_columns_default_to_age_and_describe_their_path() -> None:
    columns, cells_fn = tables.crd_columns([])
    assert [(c["name"], c["type"]) for c in columns] == [("Name", "string"), ("Age", "date")]
    assert cells_fn(CRONTAB, NOW) == ["tab", "10m"]
    columns, _ = tables.crd_columns([{"name": "Spec", "type": "string", "priority": 1,
                                      "jsonPath": ".spec.cronSpec"}])
    assert columns[1] == {
        "name": "Spec", "type": "string", "format": "", "priority": 1,
        "description": "Custom resource definition column (in JSONPath format): .spec.cronSpec"}


def test_crd_columns_reject_a_path_they_cannot_read() -> None:
    with pytest.raises(ValueError, match="unrecognized column definition"):
        tables.crd_columns([{"name": "Bad", "type": "string", "jsonPath": ".spec[oops"}])


def test_registered_columns_print_a_custom_resource() -> None:
    crontabs = resources.Resource(group="stable.example.com", versions=("v1",), kind="CronTab",
                                  plural="crontabs", singular="crontab", namespaced=True,
                                  crd="crontabs.stable.example.com")
    assert names_of(crontabs, None) == ["Name", "Age"]
    printers = tables.Printers()
    printers.register_columns(crontabs.key, *tables.crd_columns([
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]))
    assert names_of(crontabs, printers) == ["Name", "Spec", "Replicas"]
    table = tables.to_table(crontabs, [CRONTAB], NOW, printers=printers)
    assert table["rows"][0]["cells"] == ["tab", "* * * * */5", 3]
    printers.unregister(crontabs.key)
    assert names_of(crontabs, printers) == ["Name", "Age"]
    assert names_of(RES["pods"], printers)[:3] == ["Name", "Ready", "Status"]


def names_of(res: resources.Resource, printers: tables.Printers | None) -> list[str]:
    return [c["name"] for c in tables.column_definitions(res, printers=printers)]
