"""The FailedScheduling text: ``framework.FitError.Error()``.

``0/3 nodes are available: 1 node(s) had untolerated taint
{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector.
preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.``

Each node contributes each of its reasons once; the "<count> <reason>" strings are
sorted as strings (Go's ``sort.Strings``, so "10 ..." sorts before "2 ..."); a
PreFilter rejection replaces the per-node histogram; the preemption (PostFilter)
message follows after a space.

Neighbours: ``framework`` (ScheduleResult.message) and ``preemption`` (its own
FitError over the dry-run statuses) call ``fit_error_message``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

NO_NODES_AVAILABLE = "no nodes available to schedule pods"  # ErrNoNodesAvailable


def _reasons(entry: Any) -> Iterable[str]:
    reasons = getattr(entry, "reasons", None)
    if reasons is not None:
        return reasons  # type: ignore[no-any-return]
    if isinstance(entry, str):
        return (entry,)
    return entry  # type: ignore[no-any-return]


def reason_histogram(diagnosis: Mapping[str, Any]) -> list[str]:
    """Sorted "<count> <reason>" strings over every node's reasons."""
    counts: dict[str, int] = {}
    for entry in diagnosis.values():
        for r in _reasons(entry):
            counts[r] = counts.get(r, 0) + 1
    return sorted(f"{n} {r}" for r, n in counts.items())


def fit_error_message(num_nodes: int, diagnosis: Mapping[str, Any], preemption_msg: str = "",
                      pre_filter_msg: str = "") -> str:
    """``FitError.Error()``.

    ``diagnosis`` maps node name to its reasons (a list, or a Status); ``pre_filter_msg``
    is the PreFilter rejection, if any; ``preemption_msg`` the PostFilter message
    (``"preemption: ..."``), if any.
    """
    msg = f"0/{num_nodes} nodes are available:"
    if pre_filter_msg:
        msg += f" {pre_filter_msg}."
    else:
        histogram = reason_histogram(diagnosis)
        if histogram:
            msg += " " + ", ".join(histogram) + "."
    if preemption_msg:
        msg += " " + preemption_msg
    return msg
