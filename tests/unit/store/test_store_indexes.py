"""The store's indexes across rewrites of one object.

A write that keeps an object's labels and indexed fields (a status write, a lease
renewal) only swaps the object: these tests pin that the indexes then still answer
as a full re-index would, and that a write changing either is re-indexed.
"""

from __future__ import annotations

from typing import Any

from minik8s.store.store import Store


def pod(name: str, node: str = "", **labels: str) -> dict[str, Any]:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {"nodeName": node}}


def put(store: Store, obj: dict[str, Any]) -> dict[str, Any]:
    rv = store.next_revision()
    obj["metadata"]["resourceVersion"] = str(rv)
    store.commit_put("pods", obj, rv)
    return obj


def indexes(store: Store) -> tuple[Any, ...]:
    rs = store.resource("pods")
    return ({ns: dict(objs) for ns, objs in rs.by_namespace.items()},
            {k: set(v) for k, v in rs.by_label.items()},
            {f: {v: set(s) for v, s in idx.items()} for f, idx in rs.by_field.items()})


def rebuilt(store: Store) -> tuple[Any, ...]:
    """The indexes a store holding the same objects, written once each, has."""
    fresh = Store()
    fresh.resource("pods").add_field_index("spec.nodeName", lambda o: o["spec"]["nodeName"])
    for o in store.resource("pods").objects.values():
        put(fresh, dict(o))
    a = indexes(fresh)
    return ({ns: {n: store.resource("pods").objects[(ns, n)] for n in objs}
             for ns, objs in a[0].items()}, a[1], a[2])


def test_rewrites_keep_the_indexes_a_full_index_gives() -> None:
    store = Store()
    store.resource("pods").add_field_index("spec.nodeName", lambda o: o["spec"]["nodeName"])
    put(store, pod("a", app="web"))
    put(store, pod("b", app="web"))
    steps = [pod("a", app="web"),  # same labels and node: the object alone moves
             pod("a", "n1", app="web"),  # an indexed field changes
             pod("a", "n1", app="db"),  # a label changes
             pod("a", "n1", app="db", tier="x"),  # a label is added
             pod("a", "n1", app="db"),  # ... and removed
             pod("b", app="web")]
    for obj in steps:
        new = put(store, obj)
        assert store.resource("pods").by_namespace["default"][obj["metadata"]["name"]] is new
        assert indexes(store) == rebuilt(store)
