"""The store's per-revision encoding cache and the watcher's push hooks.

GET, LIST and watch share one ``orjson`` encoding of each stored revision; these
tests pin down when that encoding may be reused (only for the stored revision)
and that it stays within its byte budget.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from minik8s.store import watch as _watch
from minik8s.store.store import Store


def pod(name: str, ns: str = "default", **labels: str) -> dict[str, Any]:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "labels": labels}}


def put(store: Store, obj: dict[str, Any], key: str = "pods") -> dict[str, Any]:
    rv = store.next_revision()
    obj["metadata"]["resourceVersion"] = str(rv)
    store.commit_put(key, obj, rv)
    return obj


def delete(store: Store, obj: dict[str, Any], key: str = "pods") -> dict[str, Any]:
    rv = store.next_revision()
    final = dict(obj, metadata=dict(obj["metadata"], resourceVersion=str(rv)))
    store.commit_delete(key, final, rv)
    return final


def test_a_stored_revision_is_encoded_once_and_shared() -> None:
    s = Store()
    a = put(s, pod("a"))
    rs = s.resource("pods")
    first = rs.encoded(a)
    assert first == orjson.dumps(a)
    assert rs.encoded(a) is first
    assert s.encoded("pods", a) is first
    assert s.encode_budget.used == len(first) == rs.cached_bytes()


def test_an_update_gets_new_bytes_and_the_old_revision_is_not_kept() -> None:
    s = Store()
    rs = s.resource("pods")
    old = put(s, pod("a", app="web"))
    old_bytes = rs.encoded(old)
    new = put(s, pod("a", app="db"))
    assert rs.encoded(new) == orjson.dumps(new) != old_bytes
    # the replaced revision (still held by watch history) is encoded afresh, never cached
    assert rs.encoded(old) == old_bytes
    assert rs.encoded(old) is not old_bytes
    assert s.encode_budget.used == len(orjson.dumps(new))


def test_a_deleted_object_leaves_the_cache() -> None:
    s = Store()
    rs = s.resource("pods")
    a = put(s, pod("a"))
    rs.encoded(a)
    final = delete(s, a)
    assert rs.cached_bytes() == 0 and s.encode_budget.used == 0
    assert rs.encoded(final) == orjson.dumps(final)
    assert rs.cached_bytes() == 0  # a deleted object's final state is not stored


def test_an_equal_dict_that_is_not_the_stored_one_is_not_cached() -> None:
    s = Store()
    rs = s.resource("pods")
    a = put(s, pod("a"))
    twin = orjson.loads(orjson.dumps(a))
    assert rs.encoded(twin) == orjson.dumps(a)
    assert rs.cached_bytes() == 0
    assert s.encoded("configmaps", twin) == orjson.dumps(a)  # an unknown resource: no cache
    assert "configmaps" not in dict(s.resources())


def test_the_cache_fills_up_to_its_budget_and_frees_room_on_writes() -> None:
    s = Store()
    rs = s.resource("pods")
    objs = [put(s, pod(f"p{i}")) for i in range(5)]  # all encode to the same length
    one = len(orjson.dumps(objs[0]))
    s.encode_budget.limit = 3 * one
    raws = [rs.encoded(o) for o in objs]
    assert raws == [orjson.dumps(o) for o in objs]
    assert s.encode_budget.used <= 3 * one
    assert len(rs._encoded) == 3  # the rest are encoded on each request
    delete(s, objs[0])
    assert rs.encoded(objs[4]) is rs.encoded(objs[4])  # room again


def test_dropping_a_resource_returns_its_budget() -> None:
    s = Store()
    for i in range(3):
        s.resource("widgets").encoded(put(s, pod(f"w{i}"), "widgets"))
    assert s.encode_budget.used > 0
    s.drop_resource("widgets")
    assert s.encode_budget.used == 0


def test_every_unfiltered_watcher_queues_the_same_event_tuple() -> None:
    s = Store()
    w1, w2 = s.watch("pods", 0), s.watch("pods", 0)
    put(s, pod("a"))
    (i1,), (i2,) = w1.take_all(), w2.take_all()
    assert i1 is i2 and i1[0] == "ADDED"


def test_notify_fires_when_the_queue_stops_being_empty_and_on_close() -> None:
    s = Store()
    w = s.watch("pods", 0)
    calls: list[int] = []
    w.notify = lambda: calls.append(w.pending())
    put(s, pod("a"))
    put(s, pod("b"))
    assert calls == [1]  # not once per event: the consumer takes them all
    assert [i[1]["metadata"]["name"] for i in w.take_all()] == ["a", "b"]
    assert w.take_all() == []
    put(s, pod("c"))
    assert calls == [1, 1]
    w.take_all()
    w.close()
    assert len(calls) == 3
    with pytest.raises(_watch.Closed):
        w.take_all()


def test_notify_fires_on_overrun_and_take_all_reports_it() -> None:
    s = Store(watch_queue=2)
    w = s.watch("pods", 0)
    calls: list[bool] = []
    w.notify = lambda: calls.append(w.overrun)
    for i in range(3):
        put(s, pod(f"p{i}"))
    assert calls == [False, True]
    with pytest.raises(_watch.Overrun):
        w.take_all()
