"""The scheduling core: a pure, synchronous kube-scheduler (no I/O, no asyncio, no API calls).

The controller (``scheduler.py``, written alongside) keeps a ``ClusterCache`` in sync
from watch events, pops pods from its priority queue (``queuesort.less``), runs
``Framework.schedule(pod)``, then either ``cache.assume`` + binds, or calls
``preemption.preempt`` and reports ``result.message(preemption_msg)`` as the
FailedScheduling event.

Modules: ``quantity`` (resource quantities), ``podinfo``/``nodeinfo`` (parsed objects),
``nodeselector``, ``aggregates`` (topology counts), ``cache``, ``status``,
``framework``, ``profile`` (plugins and weights as data), ``messages`` (FitError
text), ``preemption`` and ``plugins/`` (one module per rule).
"""

from __future__ import annotations

from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.framework import Framework, ScheduleResult
from minik8s.scheduler.messages import fit_error_message
from minik8s.scheduler.plugins.queuesort import less
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.preemption import PreemptionResult, preempt
from minik8s.scheduler.profile import DEFAULT_PROFILE, Profile, load_profile

__all__ = ["DEFAULT_PROFILE", "ClusterCache", "Framework", "PodInfo", "PreemptionResult",
           "Profile", "ScheduleResult", "fit_error_message", "less", "load_profile", "preempt"]
