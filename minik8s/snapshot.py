"""Cluster state as a value: take it, fork a cluster from it, save it, load it.

A ``Snapshot`` holds the stored objects (shared: stored dicts are never
mutated, so a fork copies references, not objects), the revision counter,
the custom resource rows, the allocators' and name generator's state and
the clock. ``Cluster(snapshot=...)`` starts from it without bootstrapping;
``save``/``load`` write it as YAML (``minik8s snapshot save|restore``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from minik8s.cluster import Cluster

Obj = dict[str, Any]
CRD_KEY = "customresourcedefinitions.apiextensions.k8s.io"


@dataclasses.dataclass
class Snapshot:
    revision: int
    objects: dict[str, list[Obj]]  # resource key → stored objects
    now: float | None = None
    rng_state: Any = None
    alloc_rng_state: Any = None
    #: retained watch history, ``(rv, resource key, event type, object)`` in rv order; None:
    #: none (a watch from before ``revision`` gets 410). Set by ``persist`` on restart.
    history: list[tuple[int, str, str, Obj]] | None = None
    #: with ``history``: every event after this revision is in it
    compacted: int = 0

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.objects.values())


def take(cluster: "Cluster") -> Snapshot:
    objects = {key: list(rs.objects.values()) for key, rs in cluster.store.resources() if rs.objects}
    return Snapshot(cluster.store.revision, objects,
                    cluster.clock.now() if cluster.clock.virtual else None,
                    cluster.names.rng.getstate(), cluster.registry.alloc.ips.rng.getstate())


def restore_into(cluster: "Cluster", snap: Snapshot) -> None:
    """Load a snapshot into a cluster that has not started (no controllers ran yet)."""
    from minik8s.api import crd

    store = cluster.store
    for crd_obj in snap.objects.get(CRD_KEY, ()):
        conds = {c.get("type"): c.get("status") for c in (crd_obj.get("status") or {}).get("conditions") or ()}
        if conds.get("Established") == "True":
            cluster.table.add(crd.resource_from_crd(crd_obj))
    for key, objs in snap.objects.items():
        rs = store.resource(key)
        for o in objs:
            md = o["metadata"]
            rs.put((md.get("namespace", ""), md["name"]), o)
    store.revision = snap.revision
    if snap.history is None:
        store.set_floor(snap.revision)  # history before the snapshot is gone: resume → 410
    else:
        _restore_history(store, snap.history, snap.compacted)
    alloc = cluster.registry.alloc
    for svc in snap.objects.get("services", ()):
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if ip and ip != "None":
                alloc.ips.used.add(ip)
        for p in spec.get("ports") or ():
            if isinstance(p, dict) and p.get("nodePort"):
                alloc.ports.used.add(p["nodePort"])
    if snap.rng_state is not None:
        cluster.names.rng.setstate(snap.rng_state)
    if snap.alloc_rng_state is not None:
        alloc.ips.rng.setstate(snap.alloc_rng_state)
    if snap.now is not None and cluster.clock.virtual:
        cluster.clock.set(max(snap.now, cluster.clock.now()))  # type: ignore[attr-defined]


def _restore_history(store: Any, history: list[tuple[int, str, str, Obj]],
                     compacted: int) -> None:
    """Put retained events back into each resource's watch history, oldest first.

    An event's previous state is the one before it in the history; the first event
    of an object has none (a selector watch sees it as ADDED if it matches)."""
    from minik8s.store.store import DELETED, Event

    store.set_floor(compacted)
    last: dict[tuple[str, str, str], Obj] = {}
    for rv, key, etype, obj in history:
        md = obj["metadata"]
        k = (key, md.get("namespace", ""), md["name"])
        store.resource(key).record(Event(etype, obj, last.get(k), rv))
        if etype == DELETED:
            last.pop(k, None)
        else:
            last[k] = obj


def save(snap: Snapshot, path: str) -> None:
    doc = {"apiVersion": "minik8s.io/v1alpha1", "kind": "Snapshot", "revision": snap.revision,
           "objects": snap.objects}
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)


def load(path: str) -> Snapshot:
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    if doc.get("kind") != "Snapshot":
        raise ValueError(f"{path}: not a minik8s snapshot")
    return Snapshot(int(doc.get("revision", 0)), dict(doc.get("objects") or {}))
