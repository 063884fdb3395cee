"""Simulated container logs, kept per container ID, read by ``pods/log``.

Each container run (a containerID) gets its lines: start, user lines from the
``minik8s.io/logs`` annotation, exit. Only the current and the previous run of
each container are kept, like a kubelet that has garbage-collected older
dead containers. ``read`` picks the run the way the kubelet's
``validateContainerLogStatus`` does and fails with its messages.
"""

from __future__ import annotations

import collections
import datetime as _dt
from typing import Any

from minik8s.api import errors

Obj = dict[str, Any]


def _nano(t: float) -> str:
    """RFC3339NanoFixed, the kubelet's --timestamps format."""
    d = _dt.datetime.fromtimestamp(t, _dt.UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond * 1000:09d}Z"


class PodLogs:
    def __init__(self, max_lines: int = 1000) -> None:
        self.max_lines = max_lines
        self._lines: dict[str, collections.deque[tuple[float, str]]] = {}
        #: (pod uid, container name) -> the last two container IDs
        self._runs: dict[tuple[str, str], collections.deque[str]] = {}

    def write(self, uid: str, container: str, container_id: str, t: float, line: str) -> None:
        lines = self._lines.get(container_id)
        if lines is None:
            runs = self._runs.setdefault((uid, container), collections.deque())
            runs.append(container_id)
            while len(runs) > 2:
                self._lines.pop(runs.popleft(), None)
            lines = self._lines[container_id] = collections.deque(maxlen=self.max_lines)
        lines.append((t, line))

    def forget(self, uid: str) -> None:
        for key in [k for k in self._runs if k[0] == uid]:
            for cid in self._runs.pop(key):
                self._lines.pop(cid, None)

    def read(self, pod: Obj, container: str, now: float, *, previous: bool = False,
             tail_lines: int | None = None, timestamps: bool = False,
             since_seconds: float | None = None, limit_bytes: int | None = None) -> str:
        cid = _container_id(pod, container, previous)
        lines = list(self._lines.get(cid.partition("://")[2] or cid, ()))
        if since_seconds is not None:
            lines = [x for x in lines if x[0] >= now - since_seconds]
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        out = "".join((f"{_nano(t)} {text}\n" if timestamps else f"{text}\n") for t, text in lines)
        if limit_bytes is not None and limit_bytes >= 0:
            out = out.encode()[:limit_bytes].decode(errors="ignore")
        return out


def _container_id(pod: Obj, name: str, previous: bool) -> str:
    pod_name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    cs = next((c for c in (status.get("containerStatuses") or []) +
               (status.get("initContainerStatuses") or []) if c.get("name") == name), None)
    if cs is None:
        raise errors.BadRequest(f'container "{name}" in pod "{pod_name}" is not available')
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated")
    if previous:
        if not last or not last.get("containerID"):
            raise errors.BadRequest(
                f'previous terminated container "{name}" in pod "{pod_name}" not found')
        return str(last["containerID"])
    if "running" in state:
        return str(cs.get("containerID", ""))
    term = state.get("terminated")
    if term is not None:
        cid = term.get("containerID") or (last or {}).get("containerID")
        if not cid:
            raise errors.BadRequest(f'container "{name}" in pod "{pod_name}" is terminated')
        return str(cid)
    if last:
        if not last.get("containerID"):
            raise errors.BadRequest(f'container "{name}" in pod "{pod_name}" is terminated')
        return str(last["containerID"])
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason", "")
        if reason == "ErrImagePull":
            reason = "image can't be pulled"
        elif reason == "ImagePullBackOff":
            reason = "trying and failing to pull image"
        raise errors.BadRequest(f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    raise errors.BadRequest(
        f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')
