"""The simulated kubelet's settings: the ``kubelet`` section of ``ClusterConfig.components``.

Keys are camelCase, like a KubeletConfiguration file. Delays default to zero
under the virtual clock (``settle()`` alone brings a pod to Running) and to
short real delays under ``minik8s serve``.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class KubeletSettings:
    #: seconds from "the sandbox is up" to "the container runs" (the image pull and the
    #: container start); also the duration the ``Pulled`` event reports. None: 0 virtual, 0.3 real
    startDelay: float | None = None
    #: seconds from "running" to "ready" (a readiness probe that passes at once). None: 0
    readyDelay: float | None = None
    #: seconds a container that honours SIGTERM takes to stop. None: 0 virtual, 0.1 real
    stopDelay: float | None = None
    #: kubelet --node-status-update-frequency: how often each node's lastHeartbeatTime moves
    nodeStatusUpdateFrequency: float = 10.0
    #: with node leases, an unchanged node status is re-posted only this often (kubelet's
    #: nodeStatusReportFrequency, 5 min); the Lease carries the 10 s heartbeat
    nodeStatusReportFrequency: float = 300.0
    #: the node Lease's spec.leaseDurationSeconds; it is renewed every quarter of it
    nodeLeaseDurationSeconds: int = 40
    #: CrashLoopBackOff: first back-off (the first restart is immediate), doubling up to the max
    backoffInitial: float = 10.0
    backoffMax: float = 300.0
    #: seconds after which a pod whose restartPolicy is Never or OnFailure and that has no
    #: minik8s.io/stage or minik8s.io/complete-after annotation completes (exit 0).
    #: None: such pods run until told otherwise, like every other pod
    completeAfter: float | None = None
    #: emit the kubelet's events (Pulling, Pulled, Created, Started, Killing, ...)
    events: bool = True
    #: log lines kept per container run
    maxLogLines: int = 1000
    #: extra stage files (paths); a stage with the name of a built-in one replaces it
    stages: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None, virtual: bool) -> KubeletSettings:
        d = dict(d or {})
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown kubelet settings: {sorted(unknown)}")
        s = cls(**d)
        if s.startDelay is None:
            s.startDelay = 0.0 if virtual else 0.3
        if s.readyDelay is None:
            s.readyDelay = 0.0
        if s.stopDelay is None:
            s.stopDelay = 0.0 if virtual else 0.1
        return s

    def number(self, key: str) -> float:
        """A delay named by a stage file (``delay: startDelay``)."""
        v = getattr(self, key, None)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise KeyError(f"kubelet setting {key!r} is not a number")
        return float(v)
