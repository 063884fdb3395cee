"""ControllerRevisions: the template history the StatefulSet and DaemonSet controllers keep.

The counterpart of kube-controller-manager's ``pkg/controller/history``. A revision's
``data`` is a patch that puts a template back, ``{"spec": {"template": {..., "$patch":
"replace"}}}``; its ``revision`` number orders the history. StatefulSet revisions are named
``<set>-<hash>`` with the hash of that data (FNV-32 of its JSON, plus the collision count) and
carry it in the ``controller.kubernetes.io/hash`` label; DaemonSets name theirs with
``template_hash`` (``controller.ComputeHash``) and the ``controller-revision-hash`` label
(``daemonset_history``). Both controllers also share the small numeric helpers at the end.

The JSON is rendered as Go's ``json.Marshal`` renders a map (sorted keys, compact, HTML
characters escaped), so hashes are stable; they differ from a real cluster's only where the
stored template itself differs.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from minik8s.api import errors
from minik8s.client.client import Client
from minik8s.controllers import podcontrol
from minik8s.registry import names
from minik8s.api import objects

Obj = dict[str, Any]

#: history.ControllerRevisionHashLabel
HASH_LABEL = "controller.kubernetes.io/hash"
#: names are cut so that ``<prefix>-<hash>`` fits in 253 characters
MAX_PREFIX = 223
_COLLISION_ATTEMPTS = 16


# --- hashing ------------------------------------------------------------------------------------


def go_json(obj: Any) -> bytes:
    """``json.Marshal`` of decoded JSON: sorted keys, no spaces, ``<``/``>``/``&`` escaped."""
    s = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(ch, esc)
    return s.encode()


def fnv32(data: bytes) -> int:
    """FNV-1, 32 bits (``hash/fnv.New32``)."""
    h = 0x811C9DC5
    for b in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ b
    return h


def fnv32a(data: bytes) -> int:
    """FNV-1a, 32 bits (``hash/fnv.New32a``)."""
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(s: str) -> str:
    """``rand.SafeEncodeString``: every character to one of 27 that spell no words."""
    return "".join(names.ALPHANUMS[ord(c) % len(names.ALPHANUMS)] for c in s)


def hash_revision(data: Any, collision_count: int | None) -> str:
    """``HashControllerRevision``: FNV-32 of the data, then of the collision count's digits."""
    raw = go_json(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode(str(fnv32(raw)))


def template_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """``controller.ComputeHash``: FNV-32a of the template (+ the collision count as 8 bytes).

    Go hashes a spew dump of the typed struct; the canonical JSON stands in for it.
    """
    raw = go_json(template)
    if collision_count is not None:
        raw += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0"
    return safe_encode(str(fnv32a(raw)))


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:MAX_PREFIX]}-{hash_}"


# --- revisions as objects -----------------------------------------------------------------------


def template_patch(obj: Mapping[str, Any]) -> Obj:
    """``getPatch``: the patch that restores ``obj``'s pod template."""
    template = objects.deep_copy((obj.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def template_of(rev: Mapping[str, Any]) -> Obj:
    """The pod template a revision restores."""
    t = dict(((rev.get("data") or {}).get("spec") or {}).get("template") or {})
    t.pop("$patch", None)
    return t


def apply_revision(obj: Mapping[str, Any], rev: Mapping[str, Any]) -> Obj:
    """``ApplyRevision``: ``obj`` with the revision's template — a shallow copy that shares
    everything else (callers build pods from it and copy what they change)."""
    out = dict(obj)
    out["spec"] = {**(obj.get("spec") or {}), "template": template_of(rev)}
    return out


def new_revision(parent: Mapping[str, Any], labels: Mapping[str, str], data: Obj, number: int,
                 collision_count: int) -> Obj:
    """``NewControllerRevision`` (+ the parent's annotations, as the StatefulSet controller adds)."""
    md = parent["metadata"]
    hash_ = hash_revision(data, collision_count)
    rev: Obj = {
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": revision_name(md["name"], hash_), "namespace": md.get("namespace", ""),
                     "labels": {**labels, HASH_LABEL: hash_},
                     "ownerReferences": [podcontrol.new_controller_ref(parent)]},
        "data": data, "revision": number}
    if md.get("annotations"):
        rev["metadata"]["annotations"] = dict(md["annotations"])
    return rev


def number(rev: Mapping[str, Any]) -> int:
    return int(rev.get("revision") or 0)


def sort_revisions(revs: Iterable[Obj]) -> list[Obj]:
    """``SortControllerRevisions``: by revision, then creation time, then name."""
    return sorted(revs, key=lambda r: (number(r), r["metadata"].get("creationTimestamp") or "",
                                       r["metadata"]["name"]))


def next_number(revs: list[Obj]) -> int:
    """``nextRevision`` of a sorted history."""
    return number(revs[-1]) + 1 if revs else 1


def _label_hash(rev: Mapping[str, Any]) -> int | None:
    h = ((rev.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL)
    if h is not None and h.isdigit() and int(h) < 2**31:  # strconv.ParseInt(h, 10, 32)
        return int(h)
    return None


def equal_revision(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """``EqualRevision``: the same data (a differing numeric hash label settles it early)."""
    if a is None or b is None:
        return a is b
    ha, hb = _label_hash(a), _label_hash(b)
    if ha is not None and hb is not None and ha != hb:
        return False
    return go_json(a.get("data")) == go_json(b.get("data"))


def find_equal(revs: Iterable[Obj], needle: Mapping[str, Any]) -> list[Obj]:
    return [r for r in revs if equal_revision(r, needle)]


# --- writes -------------------------------------------------------------------------------------


def create_revision(client: Client, parent: Mapping[str, Any], rev: Obj,
                    collision_count: int) -> tuple[Obj, int]:
    """``CreateControllerRevision``: create under ``<parent>-<hash>``; on a name taken by other
    data, count a collision and rehash. Returns the revision and the collision count."""
    name = parent["metadata"]["name"]
    ns = parent["metadata"].get("namespace", "")
    for _ in range(_COLLISION_ATTEMPTS):
        hash_ = hash_revision(rev["data"], collision_count)
        clone = objects.deep_copy(rev)
        clone["metadata"]["name"] = revision_name(name, hash_)
        clone["metadata"]["namespace"] = ns
        try:
            return client.create(clone, ns), collision_count
        except errors.AlreadyExists:
            exists = client.get("apps/v1", "ControllerRevision", clone["metadata"]["name"], ns)
            if go_json(exists.get("data")) == go_json(clone["data"]):
                return exists, collision_count
            collision_count += 1
    raise errors.Conflict(f"could not find a free name for a revision of {name}")


def renumber(client: Client, rev: Obj, new_number: int) -> Obj:
    """``UpdateControllerRevision``: give an existing revision a new number (a rollback)."""
    if number(rev) == new_number:
        return rev
    clone = objects.deep_copy(rev)
    clone["revision"] = new_number
    return client.update(clone)


def delete_revision(client: Client, rev: Mapping[str, Any]) -> None:
    md = rev["metadata"]
    try:
        client.delete("apps/v1", "ControllerRevision", md["name"], md.get("namespace", ""))
    except errors.NotFound:
        pass


# --- numbers both controllers need ------------------------------------------------------------


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent`` (ValueError on a malformed string)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%") or not s[:-1].lstrip("-").isdigit():
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a "
                         f"percentage: {s!r}")
    x = int(s[:-1]) * total / 100
    return math.ceil(x) if round_up else math.floor(x)
