"""Event expiry: an Event is deleted ``ClusterConfig.event_ttl`` seconds after its last write.

kube-apiserver stores Events with an etcd lease of ``--event-ttl`` (default 1h) attached at
every create and update, so an Event nobody writes again is gone an hour later and watchers
see it DELETED. Without that, a cluster that churns pods grows by the Events its scheduler
and kubelets record (~40 a second in ``bench/soak.py``) for as long as it runs.

minik8s has no leases, so this component keeps them: each Event's deadline (commit time +
TTL) in write order, and ONE clock timer for the earliest. Writes arrive in clock order, so
the deadlines are already sorted: a write costs a dict move, and the timer, when it fires,
queues every Event due by then as one batch; the reconcile deletes each through the client
(the normal write path) with uid and resourceVersion preconditions, so an Event written in
between is looked at again with its new deadline. Both APIs' Events (core/v1 and
events.k8s.io/v1, two stores here, one in kube-apiserver) expire alike.

Differences from kube-apiserver: its lease manager shares one lease among the writes of up
to a minute (5 % of a TTL under 20 min), so a real Event goes between TTL and TTL + 1 min
after its last write; here exactly at TTL, which keeps virtual-clock runs exact. Events already stored at
start (a snapshot, ``--data-dir``) count from their latest timestamp (no lease survives a
restart here). ``event_ttl`` 0 keeps Events for good, as ``--event-ttl 0`` (no lease) does.
"""

from __future__ import annotations

import collections
import functools
from typing import Any

from minik8s.aio.clock import Timer, parse_rfc3339
from minik8s.api import errors
from minik8s.api.cron import go_duration
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result

COMPONENT = "event-ttl-controller"
#: the Events of both APIs (stored apart in minik8s)
EVENT_APIS = ("v1", "events.k8s.io/v1")
#: where an Event records when it was last written, in either API's shape
TIMESTAMPS = ("lastTimestamp", "eventTime", "deprecatedLastTimestamp", "firstTimestamp",
              "deprecatedFirstTimestamp")

Obj = dict[str, Any]
#: (api_version, namespace, name)
Key = tuple[str, str, str]


def ttl_seconds(value: float | str) -> float:
    """``event_ttl`` as seconds: a number, or a Go duration (``1h``, ``90s``) from YAML."""
    return go_duration(value) if isinstance(value, str) else float(value)


def last_written(ev: Obj) -> float | None:
    """The latest time an Event says it was written (its series, timestamps, managed fields)."""
    times = [ev.get(f) for f in TIMESTAMPS]
    times.append((ev.get("series") or {}).get("lastObservedTime"))
    md = ev.get("metadata") or {}
    times.append(md.get("creationTimestamp"))
    times += [m.get("time") for m in md.get("managedFields") or () if isinstance(m, dict)]
    parsed = []
    for t in times:
        if isinstance(t, str) and t:
            try:
                parsed.append(parse_rfc3339(t))
            except ValueError:
                continue
    return max(parsed, default=None)


class EventExpiry:
    """Deadlines of the stored Events in write order, and one timer for the earliest due."""

    def __init__(self, ctx: ControllerContext, ttl: float) -> None:
        self.ctx, self.clock, self.ttl = ctx, ctx.clock, ttl
        self.informers = {api: ctx.informers.informer(api, "events") for api in EVENT_APIS}
        #: key -> deadline, oldest write first (so earliest deadline first)
        self.deadlines: collections.OrderedDict[Key, float] = collections.OrderedDict()
        self.timer: Timer | None = None
        self.started = False
        self.ctrl = ctx.manager.add(COMPONENT, self.reconcile)
        now = self.clock.now()
        stored = []
        for api, inf in self.informers.items():
            for ev in inf.list():
                written = min(last_written(ev) or now, now)
                stored.append((written + ttl, self.key(api, ev)))
            inf.add_handler(functools.partial(self.on_event, api), replay=False)
        for deadline, key in sorted(stored):
            self.deadlines[key] = deadline
        ctx.manager.on_start(self.start)

    @staticmethod
    def key(api: str, ev: Obj) -> Key:
        md = ev["metadata"]
        return (api, md.get("namespace", ""), md["name"])

    def start(self) -> None:
        # timers need the running loop (the real clock's), which exists from start on
        self.started = True
        self.arm()

    def on_event(self, api: str, etype: str, ev: Obj, old: Obj | None) -> None:
        """Every committed write of an Event (re)starts its TTL, as the etcd lease does."""
        key = self.key(api, ev)
        if etype == "DELETED":
            self.deadlines.pop(key, None)
            return
        self.deadlines[key] = self.clock.now() + self.ttl
        self.deadlines.move_to_end(key)
        if self.timer is None:
            self.arm()

    def arm(self) -> None:
        """Arm the timer for the first deadline still ahead (none if nothing is stored)."""
        if not self.started:
            return
        now = self.clock.now()
        for deadline in self.deadlines.values():
            if deadline > now:
                self.timer = self.clock.call_at(deadline, self.fire)
                return
        self.timer = None

    def fire(self) -> None:
        """Queue every Event due by now (one batch), then wait for the next deadline."""
        now = self.clock.now()
        for key, deadline in self.deadlines.items():
            if deadline > now:
                break
            self.ctrl.enqueue(key)
        self.arm()

    def reconcile(self, key: Key) -> Result | None:
        api, ns, name = key
        ev = self.informers[api].get(ns, name)
        if ev is None:
            self.deadlines.pop(key, None)
            return None
        deadline = self.deadlines.get(key)
        if deadline is None:  # not seen written (cannot happen): count from now
            deadline = self.deadlines[key] = self.clock.now() + self.ttl
        if deadline > self.clock.now():
            # written again since it was queued (or the wall clock stepped back): the timer
            # comes back for it at its new deadline
            if self.timer is None:
                self.arm()
            return None
        md = ev["metadata"]
        try:
            self.ctx.client.delete(api, "Event", name, ns, preconditions={
                "uid": md.get("uid"), "resourceVersion": md.get("resourceVersion")})
        except errors.NotFound:
            self.deadlines.pop(key, None)
        return None


def setup(ctx: ControllerContext) -> None:
    ttl = ttl_seconds(ctx.config.event_ttl)
    if ttl > 0:
        ctx.shared[COMPONENT] = EventExpiry(ctx, ttl)
