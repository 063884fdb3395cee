"""Watch consistency under concurrent writes (a hypothesis property).

Writers create, update and delete objects concurrently while watchers start at
different points: before the writes, in the middle, and resuming from an older
resourceVersion. Safety properties, for every watcher:

* it sees every event after its start resourceVersion, in order, without gaps or
  duplicates (compared with the server's own replay of its history, and with the
  resourceVersions the writers were acknowledged);
* replaying its events over the list it started from yields exactly the final list.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

_ns_ids = itertools.count()

ops = st.lists(st.tuples(st.sampled_from(["create", "update", "delete"]), st.integers(0, 5)),
               min_size=1, max_size=25)


class _Watch(threading.Thread):
    def __init__(self, url: str, rv: str) -> None:
        super().__init__(daemon=True)
        self.url, self.rv = url, rv
        self.events: list[dict[str, Any]] = []
        self.opened = threading.Event()

    def run(self) -> None:
        with requests.get(f"{self.url}?watch=true&resourceVersion={self.rv}&timeoutSeconds=30",
                          stream=True, timeout=40) as resp:
            self.opened.set()
            for line in resp.iter_lines():
                if not line:
                    continue
                ev = json.loads(line)
                self.events.append(ev)
                if ev["object"]["metadata"].get("name") == "zz-end":
                    return


def _writer(url: str, tag: str, plan: list[tuple[str, int]], acked: dict[int, str]) -> None:
    s = requests.Session()
    for k, (op, i) in enumerate(plan):
        name = f"o{i}"
        if op == "create":
            r = s.post(url, json={"metadata": {"name": name}, "data": {"w": f"{tag}{k}"}},
                       timeout=10)
        elif op == "update":
            r = s.put(f"{url}/{name}", json={"metadata": {"name": name},
                                               "data": {"w": f"{tag}{k}"}}, timeout=10)
        else:
            r = s.delete(f"{url}/{name}", timeout=10)
        if r.status_code in (200, 201) and op != "delete":
            rv = r.json()["metadata"]["resourceVersion"]
            acked[int(rv)] = name


def _state(items: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    return {o["metadata"]["name"]: (o["metadata"]["resourceVersion"], o.get("data"))
            for o in items}


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
@given(plans=st.lists(ops, min_size=2, max_size=3), split=st.integers(0, 100))
def test_every_watcher_sees_every_event_in_order_and_replays_to_the_final_state(
        base: str, plans: list[list[tuple[str, int]]], split: int) -> None:
    ns = f"wc-{next(_ns_ids)}"
    requests.post(base + "/api/v1/namespaces", json={"metadata": {"name": ns}}, timeout=10)
    url = f"{base}/api/v1/namespaces/{ns}/configmaps"
    initial = requests.get(url, timeout=10).json()
    starts: list[tuple[str, list[dict[str, Any]]]] = [
        (initial["metadata"]["resourceVersion"], initial["items"])]
    watchers = [_Watch(url, starts[0][0])]
    watchers[0].start()
    watchers[0].opened.wait(10)

    acked: dict[int, str] = {}
    # first part of each plan, then a watcher starts mid-way, then the rest concurrently
    cut = [len(p) * split // 100 for p in plans]
    firsts = [threading.Thread(target=_writer, args=(url, f"a{j}-", p[:c], acked))
              for j, (p, c) in enumerate(zip(plans, cut))]
    for t in firsts:
        t.start()
    for t in firsts:
        t.join(60)
    middle = requests.get(url, timeout=10).json()
    starts.append((middle["metadata"]["resourceVersion"], middle["items"]))
    watchers.append(_Watch(url, starts[1][0]))
    # and one resuming from the beginning, started late: replayed from history
    starts.append(starts[0])
    watchers.append(_Watch(url, starts[0][0]))
    for w in watchers[1:]:
        w.start()
        w.opened.wait(10)
    rests = [threading.Thread(target=_writer, args=(url, f"b{j}-", p[c:], acked))
             for j, (p, c) in enumerate(zip(plans, cut))]
    for t in rests:
        t.start()
    for t in rests:
        t.join(60)
    requests.post(url, json={"metadata": {"name": "zz-end"}}, timeout=10)
    for w in watchers:
        w.join(30)
        assert not w.is_alive(), "a watcher never saw the end marker"
    final = _state([o for o in requests.get(url, timeout=10).json()["items"]
                    if o["metadata"]["name"] != "zz-end"])

    # the server's own replay of its history is the reference sequence
    reference = watchers[2].events
    ref_rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in reference]
    assert ref_rvs == sorted(ref_rvs) and len(set(ref_rvs)) == len(ref_rvs)
    for rv, name in acked.items():  # every acknowledged write is an event
        assert any(r == rv and e["object"]["metadata"]["name"] == name
                   for r, e in zip(ref_rvs, reference)), (rv, name)
    for (start_rv, items), w in zip(starts, watchers):
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in w.events]
        assert all(r > int(start_rv) for r in rvs)
        expected = [(e["type"], r) for e, r in zip(reference, ref_rvs) if r > int(start_rv)]
        assert [(e["type"], r) for e, r in zip(w.events, rvs)] == expected
        # replay over the starting list gives the final list
        state = _state(items)
        for e in w.events:
            o = e["object"]
            if o["metadata"]["name"] == "zz-end":
                continue
            if e["type"] == "DELETED":
                state.pop(o["metadata"]["name"], None)
            else:
                state[o["metadata"]["name"]] = (o["metadata"]["resourceVersion"], o.get("data"))
        assert state == final
