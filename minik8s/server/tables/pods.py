"""The printers of pods and pod templates (``kubectl get pods``).

``printPod`` of kube-apiserver 1.33: the Ready, Status, Restarts cells with the
init-container and sidecar rules, and the ``Completed`` row condition. Built on
``format`` and ``printer``; listed in ``registry.BUILTIN_PRINTERS``.
"""

from __future__ import annotations

from typing import Any

from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]

NODE_UNREACHABLE_POD_REASON = "NodeLost"


def _restartable_init(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _pod_cells(pod: Obj, now: float) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    restarts = restartable_restarts = ready = 0
    total = len(fmt.as_list(spec.get("containers")))
    last_restart: float | None = None
    last_restartable_restart: float | None = None
    phase = status.get("phase") or "Pending"  # what the server stores on create
    reason = status.get("reason") or phase
    for cond in fmt.as_list(status.get("conditions")):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = fmt.as_list(spec.get("initContainers"))
    by_name = {c.get("name"): c for c in init_specs}
    total += sum(1 for c in init_specs if _restartable_init(c))

    def later(current: float | None, terminated: Any) -> float | None:
        finished = fmt.parse_time(fmt.sub(terminated, "finishedAt"))
        if finished is not None and (current is None or finished > current):
            return finished
        return current

    initializing = False
    for i, cs in enumerate(fmt.as_list(status.get("initContainerStatuses"))):
        count = fmt.as_int(cs.get("restartCount"))
        last_terminated = fmt.sub(cs, "lastState", "terminated")
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
        if terminated is not None and fmt.as_int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:  # initialization failed
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif fmt.as_int(terminated.get("signal")) != 0:
                reason = f"Init:Signal:{fmt.as_int(terminated.get('signal'))}"
            else:
                reason = f"Init:ExitCode:{fmt.as_int(terminated.get('exitCode'))}"
        elif waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or fmt.condition_true(status.get("conditions"), "Initialized"):
        restarts, last_restart = restartable_restarts, last_restartable_restart
        has_running = False
        for cs in reversed(fmt.as_list(status.get("containerStatuses"))):
            restarts += fmt.as_int(cs.get("restartCount"))
            last_terminated = fmt.sub(cs, "lastState", "terminated")
            if last_terminated is not None:
                last_restart = later(last_restart, last_terminated)
            state = cs.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                signal = fmt.as_int(terminated.get("signal"))
                reason = (f"Signal:{signal}" if signal
                          else f"ExitCode:{fmt.as_int(terminated.get('exitCode'))}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # a pod whose last container completed while another still runs is not "Completed"
        if reason == "Completed" and has_running:
            ready_now = fmt.condition_true(status.get("conditions"), "Ready")
            reason = "Running" if ready_now else "NotReady"

    deleting = fmt.meta(pod).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({fmt.human_duration(now - last_restart)} ago)"

    pod_ips = fmt.as_list(status.get("podIPs"))
    # decoding a v1 pod fills podIPs from podIP, so a lone podIP counts too
    pod_ip = (fmt.sub(pod_ips[0], "ip") if pod_ips else status.get("podIP")) or fmt.NONE
    gates = fmt.as_list(spec.get("readinessGates"))
    readiness = fmt.NONE
    if gates:
        conditions = fmt.as_list(status.get("conditions"))
        true_count = 0
        for gate in gates:
            for cond in conditions:
                if cond.get("type") == gate.get("conditionType"):
                    true_count += cond.get("status") == "True"
                    break
        readiness = f"{true_count}/{len(gates)}"
    return [
        fmt.name(pod), f"{ready}/{total}", reason, restarts_cell, fmt.age(pod, now),
        pod_ip, spec.get("nodeName") or fmt.NONE, status.get("nominatedNodeName") or fmt.NONE,
        readiness,
    ]


def _pod_conditions(pod: Obj) -> list[Obj] | None:
    phase = fmt.sub(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]
    return None


POD = pr.Printer(pr.cols(
    pr.col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    pr.col("Status", "The aggregate status of the containers in this pod."),
    pr.col("Restarts", "The number of times the containers in this pod have been restarted "
           "and when the last container in this pod has restarted."),
    pr.AGE_COL,
    pr.doc_col("IP", "core.PodStatus.podIP", priority=1),
    pr.doc_col("Node", "core.PodSpec.nodeName", priority=1),
    pr.doc_col("Nominated Node", "core.PodStatus.nominatedNodeName", priority=1),
    pr.doc_col("Readiness Gates", "core.PodSpec.readinessGates", priority=1),
), _pod_cells, _pod_conditions)


def _pod_template_cells(obj: Obj, now: float) -> list[Any]:
    names, images = fmt.containers(fmt.sub(obj, "template", "spec", "containers"))
    return [fmt.name(obj), names, images,
            fmt.format_labels(fmt.sub(obj, "template", "metadata", "labels"))]


POD_TEMPLATE = pr.Printer(pr.cols(
    pr.col("Containers", "Names of each container in the template."),
    pr.col("Images", "Images referenced by each container in the template."),
    pr.col("Pod Labels", "The labels for the pod template."),
), _pod_template_cells)
