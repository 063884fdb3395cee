"""Plugin results and per-cycle state: ``Code``, ``Status``, ``CycleState``, ``PreFilterResult``.

Mirrors ``k8s.io/kube-scheduler/framework``: a Status carries a code, the reasons
shown to users ("node(s) didn't match Pod's node affinity/selector") and the
plugin that produced it. Filters return ``None`` for success (the common case
costs nothing); rejections are usually module-level constants.

Neighbours: every plugin returns these; ``framework`` aggregates them;
``messages`` prints them.
"""

from __future__ import annotations

import enum
from typing import Any


class Code(enum.IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2  # preemption might help
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3  # preemption cannot help
    WAIT = 4
    SKIP = 5  # PreFilter/PreScore: this plugin has nothing to do for the pod


class Status:
    """A plugin's verdict; ``message`` joins the reasons with ", " like ``Status.Message()``."""

    __slots__ = ("code", "plugin", "reasons")

    def __init__(self, code: Code, *reasons: str, plugin: str = "") -> None:
        self.code = code
        self.reasons: tuple[str, ...] = reasons
        self.plugin = plugin

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    def is_rejected(self) -> bool:
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    def is_skip(self) -> bool:
        return self.code == Code.SKIP

    def __repr__(self) -> str:
        who = f" [{self.plugin}]" if self.plugin else ""
        return f"Status({self.code.name}{who}: {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return (self.code, self.reasons) == (other.code, other.reasons)

    def __hash__(self) -> int:
        return hash((self.code, self.reasons))


SKIP = Status(Code.SKIP)


def unschedulable(*reasons: str, plugin: str = "") -> Status:
    return Status(Code.UNSCHEDULABLE, *reasons, plugin=plugin)


def unresolvable(*reasons: str, plugin: str = "") -> Status:
    return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, *reasons, plugin=plugin)


def error(message: str, plugin: str = "") -> Status:
    return Status(Code.ERROR, message, plugin=plugin)


class PreFilterResult:
    """A PreFilter's success that narrows the nodes to check (``None`` = all nodes)."""

    __slots__ = ("node_names",)

    def __init__(self, node_names: set[str] | None) -> None:
        self.node_names = node_names


class CycleState:
    """Data plugins compute once per cycle (PreFilter/PreScore) and read per node.

    ``clone()`` copies each entry through its own ``clone()`` (when it has one), so
    preemption can add and remove pods on a copy without touching the cycle.
    """

    __slots__ = ("data", "skip_filter", "skip_score")

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.skip_filter: set[str] = set()
        self.skip_score: set[str] = set()

    def read(self, key: str) -> Any:
        return self.data[key]

    def write(self, key: str, value: Any) -> None:
        self.data[key] = value

    def clone(self) -> CycleState:
        c = CycleState()
        c.data = {k: (v.clone() if hasattr(v, "clone") else v) for k, v in self.data.items()}
        c.skip_filter = set(self.skip_filter)
        c.skip_score = set(self.skip_score)
        return c
