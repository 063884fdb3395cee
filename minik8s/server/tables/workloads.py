"""The printers of the workload kinds: replication controllers, replica sets,
deployments, stateful sets, daemon sets, jobs, cron jobs, controller revisions,
horizontal pod autoscalers and pod disruption budgets.

kube-apiserver 1.33's printers for ``apps``, ``batch``, ``autoscaling`` and
``policy``. Built on ``format`` and ``printer``; listed in
``registry.BUILTIN_PRINTERS``. Pods are in ``pods``.
"""

from __future__ import annotations

from typing import Any

from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def _replicas(obj: Obj) -> int:
    """``spec.replicas``, defaulted to 1 as the server does."""
    return fmt.as_int(fmt.sub(obj, "spec", "replicas"), 1)


def _template_containers(obj: Obj, *path: str) -> list[Any]:
    names, images = fmt.containers(fmt.sub(obj, *path, "template", "spec", "containers"))
    return [names, images]


def _rc_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [fmt.name(obj), _replicas(obj), fmt.as_int(status.get("replicas")),
            fmt.as_int(status.get("readyReplicas")), fmt.age(obj, now),
            *_template_containers(obj, "spec"), fmt.format_labels(fmt.sub(obj, "spec", "selector"))]


RC = pr.Printer(pr.cols(
    pr.doc_col("Desired", "core.ReplicationControllerSpec.replicas", "integer"),
    pr.doc_col("Current", "core.ReplicationControllerStatus.replicas", "integer"),
    pr.doc_col("Ready", "core.ReplicationControllerStatus.readyReplicas", "integer"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "core.ReplicationControllerSpec.selector", priority=1),
), _rc_cells)


def _rs_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [fmt.name(obj), _replicas(obj), fmt.as_int(status.get("replicas")),
            fmt.as_int(status.get("readyReplicas")), fmt.age(obj, now),
            *_template_containers(obj, "spec"),
            fmt.format_label_selector(fmt.sub(obj, "spec", "selector"))]


RS = pr.Printer(pr.cols(
    pr.doc_col("Desired", "ext.ReplicaSetSpec.replicas", "integer"),
    pr.doc_col("Current", "ext.ReplicaSetStatus.replicas", "integer"),
    pr.doc_col("Ready", "ext.ReplicaSetStatus.readyReplicas", "integer"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "ext.ReplicaSetSpec.selector", priority=1),
), _rs_cells)


def _deployment_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    selector = fmt.selector_string(fmt.sub(obj, "spec", "selector"))
    return [fmt.name(obj), f"{fmt.as_int(status.get('readyReplicas'))}/{_replicas(obj)}",
            fmt.as_int(status.get("updatedReplicas")), fmt.as_int(status.get("availableReplicas")),
            fmt.age(obj, now), *_template_containers(obj, "spec"),
            "<invalid>" if selector is None else selector]


DEPLOYMENT = pr.Printer(pr.cols(
    pr.col("Ready", "Number of the pod with ready state"),
    pr.doc_col("Up-to-date", "ext.DeploymentStatus.updatedReplicas"),
    pr.doc_col("Available", "ext.DeploymentStatus.availableReplicas"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "ext.DeploymentSpec.selector", priority=1),
), _deployment_cells)


def _statefulset_cells(obj: Obj, now: float) -> list[Any]:
    ready = fmt.as_int(fmt.sub(obj, "status", "readyReplicas"))
    return [fmt.name(obj), f"{ready}/{_replicas(obj)}", fmt.age(obj, now),
            *_template_containers(obj, "spec")]


STATEFULSET = pr.Printer(pr.cols(
    pr.col("Ready", "Number of the pod with ready state"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
), _statefulset_cells)


def _daemonset_cells(obj: Obj, now: float) -> list[Any]:
    status = obj.get("status") or {}
    return [fmt.name(obj), fmt.as_int(status.get("desiredNumberScheduled")),
            fmt.as_int(status.get("currentNumberScheduled")),
            fmt.as_int(status.get("numberReady")),
            fmt.as_int(status.get("updatedNumberScheduled")),
            fmt.as_int(status.get("numberAvailable")),
            fmt.format_labels(fmt.sub(obj, "spec", "template", "spec", "nodeSelector")),
            fmt.age(obj, now), *_template_containers(obj, "spec"),
            fmt.format_label_selector(fmt.sub(obj, "spec", "selector"))]


DAEMONSET = pr.Printer(pr.cols(
    pr.doc_col("Desired", "ext.DaemonSetStatus.desiredNumberScheduled", "integer"),
    pr.doc_col("Current", "ext.DaemonSetStatus.currentNumberScheduled", "integer"),
    pr.doc_col("Ready", "ext.DaemonSetStatus.numberReady", "integer"),
    pr.doc_col("Up-to-date", "ext.DaemonSetStatus.updatedNumberScheduled", "integer"),
    pr.doc_col("Available", "ext.DaemonSetStatus.numberAvailable", "integer"),
    pr.doc_col("Node Selector", "core.PodSpec.nodeSelector"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "ext.DaemonSetSpec.selector", priority=1),
), _daemonset_cells)


def _job_status(obj: Obj) -> str:
    conditions = fmt.sub(obj, "status", "conditions")
    if fmt.condition_true(conditions, "Complete"):
        return "Complete"
    if fmt.condition_true(conditions, "Failed"):
        return "Failed"
    if fmt.meta(obj).get("deletionTimestamp") is not None:
        return "Terminating"
    if fmt.condition_true(conditions, "Suspended"):
        return "Suspended"
    if fmt.condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_cells(obj: Obj, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = fmt.as_int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{fmt.as_int(spec['completions'])}"
    else:
        parallelism = fmt.as_int(spec.get("parallelism"), 1)
        completions = (f"{succeeded}/1 of {parallelism}" if parallelism > 1
                       else f"{succeeded}/1")
    start = fmt.parse_time(status.get("startTime"))
    end = fmt.parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = fmt.human_duration((now if end is None else end) - start)
    return [fmt.name(obj), _job_status(obj), completions, duration, fmt.age(obj, now),
            *_template_containers(obj, "spec"), fmt.format_label_selector(spec.get("selector"))]


JOB = pr.Printer(pr.cols(
    pr.col("Status", "Status of the job."),
    pr.doc_col("Completions", "batch.JobStatus.succeeded"),
    pr.col("Duration", "Time required to complete the job."),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "batch.JobSpec.selector", priority=1),
), _job_cells)


def _bool_cell(value: Any) -> str:
    """``printBoolPtr``."""
    if value is None:
        return fmt.UNSET
    return "True" if value else "False"


def _cronjob_cells(obj: Obj, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = fmt.sub(spec, "jobTemplate", "spec") or {}
    return [fmt.name(obj), spec.get("schedule", ""), spec.get("timeZone") or fmt.NONE,
            _bool_cell(spec.get("suspend", False)),  # the server defaults suspend to false
            len(fmt.as_list(status.get("active"))),
            fmt.NONE if last is None else fmt.translate_timestamp_since(last, now),
            fmt.age(obj, now),
            *_template_containers(job_spec), fmt.format_label_selector(job_spec.get("selector"))]


CRONJOB = pr.Printer(pr.cols(
    pr.doc_col("Schedule", "batchb1.CronJobSpec.schedule"),
    pr.doc_col("Timezone", "batchb1.CronJobSpec.timeZone"),
    pr.doc_col("Suspend", "batchb1.CronJobSpec.suspend", "boolean"),
    pr.doc_col("Active", "batchb1.CronJobStatus.active", "integer"),
    pr.doc_col("Last Schedule", "batchb1.CronJobStatus.lastScheduleTime"),
    pr.AGE_COL, pr.CONTAINERS_COL, pr.IMAGES_COL,
    pr.doc_col("Selector", "batch.JobSpec.selector", priority=1),
), _cronjob_cells)


def _controller_revision_cells(obj: Obj, now: float) -> list[Any]:
    controller = fmt.NONE
    for ref in fmt.as_list(fmt.meta(obj).get("ownerReferences")):
        if ref.get("controller") is True:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", ""))
            group_kind = f"{kind}.{group}" if group else kind
            name = str(ref.get("name", ""))
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [fmt.name(obj), controller, fmt.as_int(obj.get("revision")), fmt.age(obj, now)]


CONTROLLER_REVISION = pr.Printer(pr.cols(
    pr.col("Controller", "Controller of the object"),
    pr.doc_col("Revision", "appsb1.ControllerRevision.revision"),
    pr.AGE_COL,
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
    return fmt.as_list(metrics), fmt.as_list(current)


def format_hpa_metrics(specs: list[Any], statuses: list[Any]) -> str:
    """``formatHPAMetrics``: ``cpu: 38%/50%``, ``<unknown>`` before the first scrape."""
    if not specs:
        return fmt.NONE
    items: list[str] = []
    for i, spec in enumerate(specs):
        st = statuses[i] if i < len(statuses) and isinstance(statuses[i], dict) else {}
        kind = spec.get("type")
        if kind in ("External", "Object"):
            field = kind.lower()
            target = fmt.sub(spec, field, "target") or {}
            source = st.get(field)
            current = fmt.UNKNOWN
            if target.get("averageValue") is not None:
                value = fmt.sub(source, "current", "averageValue")
                if source is not None and value is not None:
                    current = fmt.format_quantity(value)
                items.append(f"{current}/{fmt.format_quantity(target['averageValue'])} (avg)")
            else:
                if source is not None:
                    current = fmt.quantity_ptr(fmt.sub(source, "current", "value"))
                items.append(f"{current}/{fmt.quantity_ptr(target.get('value'))}")
        elif kind == "Pods":
            current = fmt.UNKNOWN
            if st.get("pods") is not None:
                current = fmt.quantity_ptr(fmt.sub(st, "pods", "current", "averageValue"))
            wanted = fmt.quantity_ptr(fmt.sub(spec, "pods", "target", "averageValue"))
            items.append(f"{current}/{wanted}")
        elif kind in ("Resource", "ContainerResource"):
            field = "resource" if kind == "Resource" else "containerResource"
            source, target = st.get(field), fmt.sub(spec, field, "target") or {}
            name = fmt.sub(spec, field, "name") or ""
            current = fmt.UNKNOWN
            if target.get("averageValue") is not None:
                if source is not None:
                    current = fmt.quantity_ptr(fmt.sub(source, "current", "averageValue"))
                items.append(f"{name}: {current}/{fmt.format_quantity(target['averageValue'])}")
            else:
                utilization = fmt.sub(source, "current", "averageUtilization")
                if source is not None and utilization is not None:
                    current = f"{fmt.as_int(utilization)}%"
                goal = target.get("averageUtilization")
                goal_text = "<auto>" if goal is None else f"{fmt.as_int(goal)}%"
                items.append(f"{name}: {current}/{goal_text}")
        else:
            items.append("<unknown type>")
    if len(items) > 2:
        return f"{', '.join(items[:2])} + {len(items) - 2} more..."
    return ", ".join(items)


def _hpa_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_replicas = spec.get("minReplicas")
    return [fmt.name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            format_hpa_metrics(*_hpa_metrics(obj)),
            fmt.UNSET if min_replicas is None else str(fmt.as_int(min_replicas)),
            fmt.as_int(spec.get("maxReplicas")),
            fmt.as_int(fmt.sub(obj, "status", "currentReplicas")),
            fmt.age(obj, now)]


HPA = pr.Printer(pr.cols(
    pr.doc_col("Reference", "hpab1.HorizontalPodAutoscalerSpec.scaleTargetRef"),
    pr.doc_col("Targets", "hpab1.HorizontalPodAutoscalerSpec.metrics"),
    pr.doc_col("MinPods", "hpab1.HorizontalPodAutoscalerSpec.minReplicas"),
    pr.doc_col("MaxPods", "hpab1.HorizontalPodAutoscalerSpec.maxReplicas"),
    pr.doc_col("Replicas", "hpab1.HorizontalPodAutoscalerStatus.currentReplicas"),
    pr.AGE_COL,
), _hpa_cells)


def _pdb_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [fmt.name(obj), "N/A" if min_available is None else str(min_available),
            "N/A" if max_unavailable is None else str(max_unavailable),
            fmt.as_int(fmt.sub(obj, "status", "disruptionsAllowed")), fmt.age(obj, now)]


PDB = pr.Printer(pr.cols(
    pr.col("Min Available", "The minimum number of pods that must be available."),
    pr.col("Max Unavailable", "The maximum number of pods that may be unavailable."),
    pr.col("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.",
           "integer"),
    pr.AGE_COL,
), _pdb_cells)
