"""The kubelet's status rules: pod phase and conditions from container statuses.

Container statuses are the simulation's state (stages change them); the rest
of the pod status follows from them as in the kubelet's
``generateAPIPodStatus``/``getPhase`` and ``status/generate.go``: the phase
from container states and the restart policy, the kubelet-owned conditions
(PodReadyToStartContainers, Initialized, Ready, ContainersReady,
PodScheduled) with readiness gates, and lastTransitionTime kept while a
condition's status stays the same. Also: image name normalisation and Go's
duration format, which event messages use.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

Obj = dict[str, Any]

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                      "PodScheduled")
TERMINAL = ("Succeeded", "Failed")


def is_sidecar(c: Obj) -> bool:
    return c.get("restartPolicy") == "Always"


def state_of(cs: Obj | None) -> str:
    st = (cs or {}).get("state") or {}
    for k in ("running", "terminated", "waiting"):
        if k in st:
            return k
    return "none"


def _last_terminated(cs: Obj) -> Obj | None:
    t = (cs.get("lastState") or {}).get("terminated")
    return t if isinstance(t, dict) else None


def get_phase(pod: Obj, status: Obj) -> str:
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy", "Always")
    inits = {c.get("name"): c for c in status.get("initContainerStatuses") or ()}
    apps = {c.get("name"): c for c in status.get("containerStatuses") or ()}
    pending_init = failed_init = 0
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("initContainers") or ():
        cs = inits.get(c.get("name"))
        st = state_of(cs)
        if is_sidecar(c):
            if cs is None:
                unknown += 1
            elif st == "running":
                if not cs.get("started"):
                    pending_init += 1
                running += 1
            elif st == "waiting" and _last_terminated(cs) is None:
                pending_init += 1
                waiting += 1
            elif st == "none":
                pending_init += 1
                unknown += 1
            continue
        if cs is None or st in ("running", "none"):
            pending_init += 1
        elif st == "terminated":
            if cs["state"]["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        else:
            last = _last_terminated(cs)
            if last is not None:
                if last.get("exitCode", 0) != 0:
                    failed_init += 1
            else:
                pending_init += 1
    for c in spec.get("containers") or ():
        cs = apps.get(c.get("name"))
        st = state_of(cs)
        if cs is None or st == "none":
            unknown += 1
        elif st == "running":
            running += 1
        elif st == "terminated":
            stopped += 1
            if cs["state"]["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif _last_terminated(cs) is not None:
            stopped += 1
        else:
            waiting += 1
    if failed_init and policy == "Never":
        return "Failed"
    any_started = any(state_of(cs) in ("running", "terminated") for cs in apps.values())
    if (pending_init and not any_started) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _cond(ctype: str, status: str, reason: str = "", message: str = "") -> Obj:
    c: Obj = {"type": ctype, "status": status, "lastProbeTime": None}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"


def containers_ready(pod: Obj, status: Obj, phase: str) -> Obj:
    spec = pod.get("spec") or {}
    if phase == "Failed":
        return _cond("ContainersReady", "False", "PodFailed")
    statuses = {c.get("name"): c for c in (status.get("containerStatuses") or [])
                + (status.get("initContainerStatuses") or [])}
    unknown, unready = [], []
    specs = [c for c in spec.get("initContainers") or () if is_sidecar(c)] + \
        list(spec.get("containers") or ())
    for c in specs:
        cs = statuses.get(c.get("name"))
        if cs is None:
            unknown.append(c.get("name", ""))
        elif not cs.get("ready"):
            unready.append(c.get("name", ""))
    if phase == "Succeeded" and not unknown:
        return _cond("ContainersReady", "False", "PodCompleted")
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        msgs.append(f"containers with unready status: {_names(unready)}")
    if msgs:
        return _cond("ContainersReady", "False", "ContainersNotReady", ", ".join(msgs))
    return _cond("ContainersReady", "True")


def pod_ready(pod: Obj, status: Obj, conditions: list[Obj], phase: str) -> Obj:
    cr = containers_ready(pod, status, phase)
    if cr["status"] != "True":
        return _cond("Ready", cr["status"], cr.get("reason", ""), cr.get("message", ""))
    by_type = {c.get("type"): c for c in conditions}
    msgs = []
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        t = gate.get("conditionType", "")
        c = by_type.get(t)
        if c is None:
            msgs.append(f'corresponding condition of pod readiness gate "{t}" does not exist.')
        elif c.get("status") != "True":
            msgs.append(f'the status of pod readiness gate "{t}" is not "True", but {c.get("status")}')
    if msgs:
        return _cond("Ready", "False", "ReadinessGatesNotReady", ", ".join(msgs))
    return _cond("Ready", "True")


def initialized(pod: Obj, status: Obj, phase: str) -> Obj:
    spec = pod.get("spec") or {}
    statuses = {c.get("name"): c for c in status.get("initContainerStatuses") or ()}
    unknown, incomplete = [], []
    for c in spec.get("initContainers") or ():
        cs = statuses.get(c.get("name"))
        if cs is None:
            unknown.append(c.get("name", ""))
        elif (is_sidecar(c) and not cs.get("started")) or (not is_sidecar(c) and not cs.get("ready")):
            incomplete.append(c.get("name", ""))
    if phase == "Succeeded" and not unknown:
        return _cond("Initialized", "True", "PodCompleted")
    if any(state_of(cs) in ("running", "terminated") for cs in status.get("containerStatuses") or ()):
        return _cond("Initialized", "True")
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        msgs.append(f"containers with incomplete status: {_names(incomplete)}")
    if msgs:
        return _cond("Initialized", "False", "ContainersNotInitialized", ", ".join(msgs))
    return _cond("Initialized", "True")


def generate(pod: Obj, status: Obj, now: str) -> None:
    """Set phase and the kubelet-owned conditions of ``status`` (in place) from its containers."""
    old_phase = (pod.get("status") or {}).get("phase")
    phase = get_phase(pod, status)
    if old_phase in TERMINAL:
        phase = old_phase  # pods never leave a terminal phase
    status["phase"] = phase
    old = {c.get("type"): c for c in status.get("conditions") or ()}
    conds = [c for c in status.get("conditions") or () if c.get("type") not in KUBELET_CONDITIONS]
    sandbox = old.get("PodReadyToStartContainers")
    ready_to_start = _cond("PodReadyToStartContainers",
                           "True" if sandbox and sandbox.get("status") == "True" else "False")
    new = [ready_to_start, initialized(pod, status, phase),
           pod_ready(pod, status, conds, phase), containers_ready(pod, status, phase),
           _cond("PodScheduled", "True")]
    for c in new:
        prev = old.get(c["type"])
        if prev is not None and prev.get("status") == c["status"] and prev.get("lastTransitionTime"):
            c["lastTransitionTime"] = prev["lastTransitionTime"]
        else:
            c["lastTransitionTime"] = now
        # keep the field order of a real status: lastProbeTime, lastTransitionTime, ...
        conds.append({k: c[k] for k in ("lastProbeTime", "lastTransitionTime", "message", "reason",
                                        "status", "type") if k in c})
    status["conditions"] = conds


# -- images ---------------------------------------------------------------------------

#: the image helpers are pure and a cluster runs few distinct images: each is worked out once
@functools.lru_cache(maxsize=1024)
def normalize_image(image: str) -> str:
    """``nginx`` -> ``docker.io/library/nginx:latest``, as containerd reports it."""
    name, digest = image, ""
    if "@" in name:
        name, digest = name.split("@", 1)
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    if digest:
        return f"{name}@{digest}"
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


@functools.lru_cache(maxsize=1024)
def image_id(image: str) -> str:
    full = normalize_image(image)
    if "@" in full:
        return full
    repo = full.rsplit(":", 1)[0]
    return f"{repo}@sha256:{hashlib.sha256(full.encode()).hexdigest()}"


@functools.lru_cache(maxsize=1024)
def image_size(image: str) -> int:
    """A stable, plausible size for the Pulled event."""
    h = int(hashlib.sha256(normalize_image(image).encode()).hexdigest()[:8], 16)
    return 2_000_000 + h % 200_000_000


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String`` for a duration (truncated to ms like the kubelet's)."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s = f"{rem / 1000:.3f}".rstrip("0").rstrip(".")
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"
