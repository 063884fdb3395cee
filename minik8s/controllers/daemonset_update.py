"""DaemonSet history and rolling updates: which revision is current, which old pods go next.

The counterpart of ``pkg/controller/daemon/update.go``. ``construct_history`` finds (or
snapshots) the ControllerRevision whose data equals the DaemonSet's template patch; its
``controller-revision-hash`` label is the hash new pods carry. ``rolling_update`` picks the
out-of-date pods to delete (``maxUnavailable``) or the nodes to surge a new pod onto
(``maxSurge``); ``daemonset`` then creates and deletes. ``cleanup_history`` keeps at most
``revisionHistoryLimit`` old revisions that no pod uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minik8s.api import errors
from minik8s.client.client import Client
from minik8s.controllers import daemonset_util as du
from minik8s.controllers import history, podcontrol
from minik8s.api import objects

Obj = dict[str, Any]
PodsByNode = dict[str, list[Obj]]


class StaleCollisionCount(Exception):
    """A revision name is taken by other data: the collision count was bumped; retry."""


def matches(ds: Obj, rev: Obj) -> bool:
    """``Match``: the revision restores exactly this DaemonSet's template."""
    return history.go_json(history.template_patch(ds)) == history.go_json(rev.get("data"))


def _matcher(ds: Obj) -> Callable[[Obj], bool]:
    want = history.go_json(history.template_patch(ds))
    return lambda rev: history.go_json(rev.get("data")) == want


def _snapshot(client: Client, ds: Obj, number: int) -> Obj:
    """Create the revision of the current template, ``<ds>-<hash>``."""
    md = ds["metadata"]
    collision = (ds.get("status") or {}).get("collisionCount")
    hash_ = history.template_hash((ds.get("spec") or {}).get("template") or {}, collision)
    labels = ((ds["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    rev: Obj = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": f"{md['name']}-{hash_}", "namespace": md.get("namespace", ""),
                             "labels": {**labels, du.HASH_LABEL: hash_},
                             "ownerReferences": [podcontrol.new_controller_ref(ds)]},
                "data": history.template_patch(ds), "revision": number}
    if md.get("annotations"):
        rev["metadata"]["annotations"] = dict(md["annotations"])
    try:
        return client.create(rev, md.get("namespace", ""))
    except errors.AlreadyExists:
        existing = client.get("apps/v1", "ControllerRevision", rev["metadata"]["name"],
                              md.get("namespace", ""))
        if matches(ds, existing):
            return existing
        fresh = client.get("apps/v1", "DaemonSet", md["name"], md.get("namespace", ""))
        if (fresh.get("status") or {}).get("collisionCount") != collision:
            raise StaleCollisionCount(f"found a stale collision count of DaemonSet {md['name']}")
        fresh.setdefault("status", {})["collisionCount"] = int(collision or 0) + 1
        client.update_status(fresh)
        raise StaleCollisionCount(f"revision name {rev['metadata']['name']} is taken") from None


def construct_history(client: Client, ds: Obj, revisions: list[Obj],
                      pods: list[Obj]) -> tuple[Obj, list[Obj]]:
    """``constructHistory``: (current revision, old revisions), renumbering the current one
    above every old one (a rollback) and folding duplicates of it into one."""
    is_current = _matcher(ds)
    current = [r for r in revisions if is_current(r)]
    old = [r for r in revisions if not is_current(r)]
    number = max((history.number(r) for r in old), default=0) + 1
    if not current:
        return _snapshot(client, ds, number), old
    cur = _dedup(client, current, pods)
    return history.renumber(client, cur, number) if history.number(cur) < number else cur, old


def _dedup(client: Client, current: list[Obj], pods: list[Obj]) -> Obj:
    """``dedupCurHistories``: keep the highest revision; move pods of the others onto it."""
    keep = max(current, key=history.number)
    keep_hash = podcontrol.labels_of(keep).get(du.HASH_LABEL, "")
    for dup in current:
        if dup is keep:
            continue
        dup_hash = podcontrol.labels_of(dup).get(du.HASH_LABEL)
        for p in pods:
            if dup_hash and podcontrol.labels_of(p).get(du.HASH_LABEL) == dup_hash:
                relabelled = objects.deep_copy(p)
                relabelled["metadata"]["labels"][du.HASH_LABEL] = keep_hash
                try:
                    client.update(relabelled)
                except errors.NotFound:
                    pass
        history.delete_revision(client, dup)
    return keep


def cleanup_history(client: Client, ds: Obj, old: list[Obj], pods: list[Obj]) -> None:
    """Delete the oldest revisions beyond ``revisionHistoryLimit`` that no pod carries."""
    limit = (ds.get("spec") or {}).get("revisionHistoryLimit")
    to_kill = len(old) - (10 if limit is None else int(limit))
    if to_kill <= 0:
        return
    live = {podcontrol.labels_of(p).get(du.HASH_LABEL) for p in pods}
    for rev in history.sort_revisions(old):
        if to_kill <= 0:
            break
        if podcontrol.labels_of(rev).get(du.HASH_LABEL) in live:
            continue
        history.delete_revision(client, rev)
        to_kill -= 1


# --- rolling update -------------------------------------------------------------------------


def _updated_and_old(ds: Obj, pods: list[Obj], hash_: str) -> tuple[Obj | None, Obj | None, bool]:
    """``findUpdatedPodsOnNode``: the node's (new pod, old pod), or not ok when there are
    several of either (the manage step prunes those first)."""
    new = old = None
    gen = du.template_generation(ds)
    for p in pods:
        if p["metadata"].get("deletionTimestamp"):
            continue
        if du.is_updated(p, hash_, gen):
            if new is not None:
                return None, None, False
            new = p
        else:
            if old is not None:
                return None, None, False
            old = p
    return new, old, True


def rolling_update(ds: Obj, nodes: dict[str, Obj], by_node: PodsByNode, hash_: str, now: float,
                   available: Callable[[Obj], bool]) -> tuple[list[str], list[str]]:
    """``rollingUpdate``: (pod names to delete, node names to create a pod on)."""
    by_node = {k: list(v) for k, v in by_node.items()}
    desired = 0
    for name in sorted(nodes):
        if du.should_run(ds, nodes[name])[0]:
            desired += 1
            by_node.setdefault(name, [])
    max_surge = du.surge_count(ds, desired)
    max_unavailable = du.unavailable_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1  # an impossible configuration: accept unavailability
    if max_surge == 0:
        return _without_surge(ds, by_node, hash_, max_unavailable, available), []
    return _with_surge(ds, nodes, by_node, hash_, max_surge, desired, available)


def _without_surge(ds: Obj, by_node: PodsByNode, hash_: str, max_unavailable: int,
                   available: Callable[[Obj], bool]) -> list[str]:
    """Delete old pods while fewer than ``maxUnavailable`` nodes lack an available pod."""
    unavailable = 0
    replace: list[str] = []
    candidates: list[str] = []
    for node in sorted(by_node):
        new, old, ok = _updated_and_old(ds, by_node[node], hash_)
        if not ok or (new is None) == (old is None):
            unavailable += 1  # the manage step creates or prunes here first
        elif new is not None:
            unavailable += not available(new)
        elif old is not None and not available(old):
            replace.append(old["metadata"]["name"])
            unavailable += 1
        elif old is not None and unavailable < max_unavailable:
            candidates.append(old["metadata"]["name"])
    room = min(max(max_unavailable - unavailable, 0), len(candidates))
    return replace + candidates[:room]


def _with_surge(ds: Obj, nodes: dict[str, Obj], by_node: PodsByNode, hash_: str, max_surge: int,
                desired: int, available: Callable[[Obj], bool]) -> tuple[list[str], list[str]]:
    """Start a new pod beside an old one (at most ``maxSurge`` at a time); delete the old one
    once the new one is available."""
    to_delete: list[str] = []
    should_not_run: list[str] = []
    candidates: list[str] = []
    allowed: list[str] = []
    surge = n_available = 0
    for node in sorted(by_node):
        new, old, ok = _updated_and_old(ds, by_node[node], hash_)
        if not ok:
            surge += 1
            continue
        if old is not None:
            n_available += available(old)
        elif new is not None:
            n_available += available(new)
        if old is None:
            continue
        if new is None:
            node_obj = nodes.get(node)
            runs = node_obj is not None and du.should_run(ds, node_obj)[0]
            if not available(old):
                if not runs:
                    to_delete.append(old["metadata"]["name"])
                else:
                    allowed.append(node)
            elif not runs:
                should_not_run.append(old["metadata"]["name"])
            elif surge < max_surge:
                candidates.append(node)
        elif not available(new):
            surge += 1
        else:
            to_delete.append(old["metadata"]["name"])
    deletable = min(max(n_available - desired, 0), len(should_not_run))
    to_delete += should_not_run[:deletable]
    room = min(max(max_surge - surge, 0), len(candidates))
    return to_delete, allowed + candidates[:room]
