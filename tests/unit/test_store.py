"""Store and watch semantics: revisions, indexes, history, resume, 410, bounded queues."""

from __future__ import annotations

import pytest

from minik8s.store import watch as _watch
from minik8s.store.store import Store


def make(name: str, ns: str = "default", labels: dict[str, str] | None = None, rv: int = 0) -> dict:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {},
                         "resourceVersion": str(rv)}}


def put(store: Store, obj: dict) -> int:
    rv = store.next_revision()
    obj["metadata"]["resourceVersion"] = str(rv)
    store.commit_put("pods", obj, rv)
    return rv


def test_every_write_gets_the_next_global_revision() -> None:
    s = Store()
    a = put(s, make("a"))
    rv = s.next_revision()
    s.commit_put("configmaps", {"metadata": {"name": "c", "namespace": "default"}}, rv)
    b = put(s, make("b"))
    assert (a, rv, b) == (1, 2, 3)


def test_label_index_follows_relabelling_and_deletion() -> None:
    s = Store()
    put(s, make("a", labels={"app": "web"}))
    rs = s.resource("pods")
    assert rs.by_label[("app", "web")] == {("default", "a")}
    put(s, make("a", labels={"app": "db"}))
    assert ("app", "web") not in rs.by_label
    rv = s.next_revision()
    s.commit_delete("pods", make("a", labels={"app": "db"}), rv)
    assert rs.by_label == {} and rs.by_namespace == {}


def test_watch_replays_history_after_the_given_revision_in_order() -> None:
    s = Store()
    put(s, make("a"))
    start = s.revision
    put(s, make("b"))
    put(s, make("a"))
    w = s.watch("pods", start)
    got = []
    while (item := w.get_nowait()) is not None:
        got.append((item[0], item[1]["metadata"]["name"], item[2]))
    assert got == [("ADDED", "b", 2), ("MODIFIED", "a", 3)]


def test_watch_from_a_revision_older_than_the_history_is_too_old() -> None:
    s = Store(history=2)
    for i in range(5):
        put(s, make(f"p{i}"))
    with pytest.raises(_watch.TooOld):
        s.watch("pods", 1)
    s.watch("pods", 3)  # still covered: events 4 and 5 are kept


def test_a_filtered_watcher_sees_objects_leave_and_enter_its_selection() -> None:
    s = Store()
    put(s, make("a", labels={"app": "web"}))
    w = s.watch("pods", s.revision, lambda o: o["metadata"]["labels"].get("app") == "web")
    put(s, make("a", labels={"app": "db"}))
    put(s, make("a", labels={"app": "web"}))
    put(s, make("b", labels={"app": "db"}))
    types = []
    while (item := w.get_nowait()) is not None:
        types.append(item[0])
    assert types == ["DELETED", "ADDED"]


def test_a_slow_watcher_is_overrun_without_slowing_writers() -> None:
    s = Store(watch_queue=3)
    w = s.watch("pods", s.revision)
    for i in range(10):
        put(s, make(f"p{i}"))
    with pytest.raises(_watch.Overrun):
        w.get_nowait()
    assert w not in s.resource("pods").watchers


async def test_wait_returns_when_an_event_arrives() -> None:
    import asyncio

    s = Store()
    w = s.watch("pods", s.revision)

    async def later() -> None:
        await asyncio.sleep(0)
        put(s, make("x"))

    t = asyncio.create_task(later())
    await asyncio.wait_for(w.wait(), 1)
    assert w.get_nowait()[1]["metadata"]["name"] == "x"
    await t
