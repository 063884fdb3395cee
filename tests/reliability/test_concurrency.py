"""Optimistic concurrency over HTTP, under real contention.

Many clients read-modify-write one object with resourceVersion preconditions: every
write that succeeded is reflected in the final object and every loser got 409
Conflict. Many clients create one name at once: exactly one 201, the rest 409
AlreadyExists. Many clients patch with ``resourceVersion`` in the patch: the same.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import requests

CM = "/api/v1/namespaces/default/configmaps"
CLIENTS = 12


def _run(n: int, fn: Any) -> list[Any]:
    out: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def go(i: int) -> None:
        barrier.wait()
        out[i] = fn(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def test_read_modify_write_loses_no_update_and_every_loser_gets_409(base: str) -> None:
    requests.post(base + CM, json={"metadata": {"name": "rmw"}, "data": {"n": "0", "by": ""}},
                  timeout=10)

    def client(i: int) -> Counter[int]:
        s = requests.Session()
        codes: Counter[int] = Counter()
        for _ in range(25):
            cur = s.get(f"{base}{CM}/rmw", timeout=10).json()
            cur["data"]["n"] = str(int(cur["data"]["n"]) + 1)
            cur["data"]["by"] += f"{i},"
            r = s.put(f"{base}{CM}/rmw", json=cur, timeout=10)
            codes[r.status_code] += 1
            if r.status_code == 409:
                status = r.json()
                assert status["reason"] == "Conflict"
                assert status["message"] == (
                    'Operation cannot be fulfilled on configmaps "rmw": the object has been '
                    "modified; please apply your changes to the latest version and try again")
        return codes

    results = _run(CLIENTS, client)
    total = sum(results, Counter())
    assert set(total) <= {200, 409}
    final = requests.get(f"{base}{CM}/rmw", timeout=10).json()
    # every acknowledged write is in the final value; none was lost to a concurrent one
    assert int(final["data"]["n"]) == total[200]
    writers = Counter(int(x) for x in final["data"]["by"].split(",") if x)
    assert writers == Counter({i: results[i][200] for i in range(CLIENTS) if results[i][200]})
    assert total[409] > 0  # there was contention


def test_concurrent_creates_of_one_name_give_exactly_one_201(base: str) -> None:
    for round_ in range(5):
        name = f"race-{round_}"

        def create(i: int, name: str = name) -> tuple[int, Any]:
            r = requests.post(base + CM, json={"metadata": {"name": name},
                                               "data": {"by": str(i)}}, timeout=10)
            return r.status_code, r.json()

        results = _run(CLIENTS, create)
        codes = Counter(code for code, _ in results)
        assert codes == Counter({201: 1, 409: CLIENTS - 1}), codes
        winner = next(body for code, body in results if code == 201)
        assert all(body["reason"] == "AlreadyExists" for code, body in results if code == 409)
        stored = requests.get(f"{base}{CM}/{name}", timeout=10).json()
        assert stored["metadata"]["uid"] == winner["metadata"]["uid"]
        assert stored["data"] == winner["data"]


def test_patches_with_a_resource_version_precondition_serialize_the_same_way(base: str) -> None:
    requests.post(base + CM, json={"metadata": {"name": "patched"}, "data": {"n": "0"}},
                  timeout=10)

    def client(i: int) -> Counter[int]:
        s = requests.Session()
        codes: Counter[int] = Counter()
        for _ in range(20):
            cur = s.get(f"{base}{CM}/patched", timeout=10).json()
            patch = {"metadata": {"resourceVersion": cur["metadata"]["resourceVersion"]},
                     "data": {"n": str(int(cur["data"]["n"]) + 1)}}
            r = s.patch(f"{base}{CM}/patched", json=patch, timeout=10,
                        headers={"Content-Type": "application/merge-patch+json"})
            codes[r.status_code] += 1
        return codes

    total = sum(_run(CLIENTS, client), Counter())
    assert set(total) <= {200, 409}
    final = requests.get(f"{base}{CM}/patched", timeout=10).json()
    assert int(final["data"]["n"]) == total[200]
