"""What stages read: one pod during a sync (``View``) and the facts about it (``FACTS``).

A ``View`` holds the pod being synced, a copy of its status that stage effects
edit (copied on the first edit), and the reference checks, computed once per
sync. ``Facts`` computes each fact a stage's ``match`` names when first asked:
``pod.*`` about the pod, ``container.*`` and ``image.*`` about one of its
containers (a ``Target``). docs/simulation.md lists them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from minik8s.aio.clock import Clock
from minik8s.client.client import Client
from minik8s.sim import podstatus, refs
from minik8s.sim.ips import PodIPs
from minik8s.sim.logs import PodLogs
from minik8s.sim.settings import KubeletSettings
from minik8s.sim.stages import Stage, StageError
from minik8s.api import objects

Obj = dict[str, Any]
ANN = "minik8s.io/"


@dataclasses.dataclass
class Env:
    """What the worker needs from the kubelet around it."""

    clock: Clock
    client: Client
    settings: KubeletSettings
    stages: list[Stage]
    ips: PodIPs
    logs: PodLogs
    #: (kind, namespace, name) -> object or None, from informer caches
    lookup: refs.Lookup
    new_container_id: Callable[[], str]
    #: node name -> images present on it
    images: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    #: called with (time, pod key, target, stage name) for every stage that runs
    trace: Callable[[float, str, str, str], None] | None = None


@dataclasses.dataclass(slots=True)
class Target:
    """A container of the pod: its spec, its status entry, and what kind it is."""

    spec: Obj
    status: Obj
    kind: str  # init | sidecar | app
    index: int


class Facts(dict[str, Any]):
    """Facts about the pod (and one container), computed when a stage first asks."""

    __slots__ = ("target", "view")

    def __init__(self, view: View, target: Target | None) -> None:
        self.view, self.target = view, target

    def __missing__(self, key: str) -> Any:
        fn = FACTS.get(key)
        if fn is None or (self.target is None and not key.startswith("pod.")):
            raise KeyError(key)
        v = self[key] = fn(self.view, self.target)
        return v


#: the status fields stage effects edit in place (``View.writable`` copies them first)
_NESTED = ("conditions", "initContainerStatuses", "containerStatuses", "hostIPs", "podIPs")


class View:
    """One sync's working state."""

    def __init__(self, env: Env, pod: Obj, node: Obj, network_ready: bool) -> None:
        self.env, self.pod, self.node = env, pod, node
        self.md = pod["metadata"]
        self.spec = pod.get("spec") or {}
        #: a shallow copy; ``writable()`` copies the nested parts before a stage edits them
        self.status: Obj = dict(pod.get("status") or {})
        self._writable = False
        self.ann = self.md.get("annotations") or {}
        self.now = env.clock.now()
        self.stamp = env.clock.rfc3339(self.now)  # the clock remembers the last second's text
        self.network_ready = network_ready
        self._volume_errors: list[str] | None = None
        self._config_errors: dict[str, str | None] = {}
        self._targets: list[Target] | None = None
        self.delete = False

    def writable(self) -> None:
        """Copy the nested status parts once, before the first stage edits them."""
        if not self._writable:
            status = self.status
            nested = {k: status[k] for k in _NESTED if k in status}
            if nested:
                status.update(objects.deep_copy(nested))  # one copy for all of them
            self._writable = True
            self._targets = None

    def volume_errors(self) -> list[str]:
        if self._volume_errors is None:
            self._volume_errors = refs.volume_errors(self.pod, self.env.lookup)
        return self._volume_errors

    def config_error(self, c: Obj) -> str | None:
        name = c.get("name", "")
        if name not in self._config_errors:
            self._config_errors[name] = refs.container_config_error(self.pod, c, self.env.lookup)
        return self._config_errors[name]

    def targets(self) -> list[Target]:
        """The containers that have a status entry (init containers first), cached."""
        if self._targets is None:
            self._targets = self._make_targets()
        return self._targets

    def _make_targets(self) -> list[Target]:
        out: list[Target] = []
        for key, lst in (("initContainers", "initContainerStatuses"),
                         ("containers", "containerStatuses")):
            by_name = {c.get("name"): c for c in self.status.get(lst) or ()}
            for i, c in enumerate(self.spec.get(key) or ()):
                cs = by_name.get(c.get("name"))
                if cs is None:
                    continue
                kind = "app" if key == "containers" else (
                    "sidecar" if podstatus.is_sidecar(c) else "init")
                out.append(Target(c, cs, kind, i))
        return out

    def float_ann(self, key: str) -> float | None:
        v = self.ann.get(ANN + key)
        try:
            return None if v is None else float(v)
        except ValueError:
            return None


# -- facts ------------------------------------------------------------------------------

def _state(t: Target) -> str:
    return podstatus.state_of(t.status)


def _turn(v: View, t: Target) -> bool:
    if t.kind == "app":
        return all(_init_done(x) for x in v.targets() if x.kind != "app")
    return all(_init_done(x) for x in v.targets() if x.kind != "app" and x.index < t.index)


def _init_done(t: Target) -> bool:
    return bool(t.status.get("started")) if t.kind == "sidecar" else bool(t.status.get("ready"))


def _exit_code(t: Target) -> int | None:
    term = (t.status.get("state") or {}).get("terminated")
    return None if term is None else int(term.get("exitCode", 0))


def _restart(v: View, t: Target) -> bool:
    policy = v.spec.get("restartPolicy", "Always")
    code = _exit_code(t)
    if code is None:
        code = int(((t.status.get("lastState") or {}).get("terminated") or {}).get("exitCode", 0))
    if t.kind == "sidecar":
        return not _apps_done(v, None)
    if t.kind == "init":
        return policy != "Never" and code != 0
    return policy == "Always" or (policy == "OnFailure" and code != 0)


def _backoff(v: View, t: Target) -> float:
    rc = int(t.status.get("restartCount", 0))
    s = v.env.settings
    return 0.0 if rc == 0 else min(s.backoffInitial * 2 ** (rc - 1), s.backoffMax)


def _complete_after(v: View, t: Target | None) -> float | None:
    after = v.float_ann("complete-after")
    if after is not None:
        return after
    profile = v.ann.get(ANN + "stage", "running")
    if profile == "complete":
        return 0.0
    if profile == "running" and v.spec.get("restartPolicy", "Always") != "Always":
        return v.env.settings.completeAfter
    return None


def _exit_code_ann(v: View, t: Target | None) -> int:
    try:
        return int(v.ann.get(ANN + "exit-code", 1))
    except ValueError:
        return 1


def _apps_done(v: View, t: Target | None) -> bool:
    apps = [x for x in v.targets() if x.kind == "app"]
    return bool(apps) and all(_state(x) == "terminated" and not _restart(v, x) for x in apps)


def _image_pull(v: View, t: Target) -> bool:
    policy = t.spec.get("imagePullPolicy", "IfNotPresent")
    if policy == "Always":
        return True
    if policy == "Never":
        return False
    have = v.env.images.get(v.spec.get("nodeName", ""), set())
    return podstatus.normalize_image(t.spec.get("image", "")) not in have


def _cond_true(v: View, ctype: str) -> bool:
    for c in v.status.get("conditions") or ():
        if c.get("type") == ctype and c.get("status") == "True":
            return True
    return False


FACTS: dict[str, Callable[[View, Any], Any]] = {
    "pod.deleting": lambda v, t: bool(v.md.get("deletionTimestamp")),
    "pod.deletionTimestamp": lambda v, t: v.md.get("deletionTimestamp"),
    "pod.seen": lambda v, t: "startTime" in v.status,
    "pod.sandbox": lambda v, t: _cond_true(v, "PodReadyToStartContainers"),
    "pod.volumes": lambda v, t: "missing" if v.volume_errors() else "ready",
    "pod.network": lambda v, t: "ready" if v.network_ready or v.spec.get("hostNetwork") else "notReady",
    "pod.profile": lambda v, t: v.ann.get(ANN + "stage", "running"),
    "pod.ignoreSigterm": lambda v, t: v.ann.get(ANN + "ignore-sigterm") == "true",
    "pod.completeAfter": _complete_after,
    "pod.failAfter": lambda v, t: v.float_ann("fail-after") or 0.0,
    "pod.exitCode": _exit_code_ann,
    "pod.running": lambda v, t: sum(1 for x in v.targets() if _state(x) == "running"),
    "pod.hostNetwork": lambda v, t: bool(v.spec.get("hostNetwork")),
    "pod.restartPolicy": lambda v, t: v.spec.get("restartPolicy", "Always"),
    "pod.phase": lambda v, t: v.status.get("phase"),
    "pod.appsDone": _apps_done,
    "container.name": lambda v, t: t.spec.get("name"),
    "container.kind": lambda v, t: t.kind,
    "container.state": lambda v, t: _state(t),
    "container.reason": lambda v, t: ((t.status.get("state") or {}).get(_state(t)) or {}).get("reason"),
    "container.ready": lambda v, t: bool(t.status.get("ready")),
    "container.started": lambda v, t: bool(t.status.get("started")),
    "container.turn": _turn,
    "container.config": lambda v, t: "error" if v.config_error(t.spec) else "ok",
    "container.restart": _restart,
    "container.restartCount": lambda v, t: int(t.status.get("restartCount", 0)),
    "container.backoff": _backoff,
    "container.exitCode": lambda v, t: _exit_code(t),
    "container.startedAt": lambda v, t: (
        ((t.status.get("state") or {}).get("running") or {}).get("startedAt")
        or ((t.status.get("state") or {}).get("terminated") or {}).get("startedAt")),
    "container.finishedAt": lambda v, t: (
        ((t.status.get("state") or {}).get("terminated") or {}).get("finishedAt")
        or (((t.status.get("lastState") or {}).get("terminated")) or {}).get("finishedAt")),
    "image.pull": _image_pull,
}


def check_facts(stage: Stage) -> None:
    """Every fact a stage names must exist (container facts only in container scope)."""
    named = list(stage.match)
    for ev in stage.then.get("events") or ():
        named += list(ev.get("when") or {})
    delays = list((stage.repeat or {}).values())
    if isinstance(stage.delay, dict):
        delays += [stage.delay.get("after"), stage.delay.get("seconds", 0)]
    else:
        delays.append(stage.delay)
    named += [d for d in delays if isinstance(d, str) and "." in d]
    for key in named:
        if key not in FACTS:
            raise StageError(f"stage {stage.name}: unknown fact {key!r}")
        if stage.scope == "pod" and key.startswith(("container.", "image.")):
            raise StageError(f"stage {stage.name}: {key} needs scope: container")
