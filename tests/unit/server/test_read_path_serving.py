"""GET, LIST and watch served from the store's cached encodings, over real HTTP.

The fast paths (cached bytes for GET, a spliced and streamed LIST body, watch
events encoded once and pushed to every stream) must answer exactly what the
plain encoders would: these tests compare the wire bytes with ``orjson`` of
the stored objects and check the semantics the fast paths must keep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.server import listbody, watchstream
from minik8s.server.app import ApiServer

PODS = "/api/v1/namespaces/default/pods"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
PARTIAL = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
QUEUE = 20


class Api:
    def __init__(self, cluster: Cluster, http: TestClient[web.Request, web.Application]) -> None:
        self.cluster, self.http = cluster, http

    async def create(self, name: str, **labels: str) -> dict[str, Any]:
        r = await self.http.post(PODS, json={"metadata": {"name": name, "labels": labels},
                                             "spec": {"containers": [{"name": "c", "image": "i"}]}})
        assert r.status == 201, await r.text()
        return await r.json()  # type: ignore[no-any-return]

    async def label(self, name: str, **labels: str) -> dict[str, Any]:
        r = await self.http.patch(f"{PODS}/{name}", data=orjson.dumps({"metadata": {"labels": labels}}),
                                  headers={"Content-Type": "application/merge-patch+json"})
        assert r.status == 200, await r.text()
        return await r.json()  # type: ignore[no-any-return]

    async def delete(self, name: str) -> None:
        r = await self.http.delete(f"{PODS}/{name}", params={"gracePeriodSeconds": "0"})
        assert r.status == 200, await r.text()

    def stored(self, name: str) -> dict[str, Any]:
        obj = self.cluster.store.get("pods", "default", name)
        assert obj is not None
        return obj

    async def names(self, query: dict[str, str] | None = None) -> list[str]:
        r = await self.http.get(PODS, params=query or {})
        assert r.status == 200, await r.text()
        return [o["metadata"]["name"] for o in (await r.json())["items"]]


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    cluster = Cluster(ClusterConfig(controllers=[], watch_queue=QUEUE), serve=False, dns_port=None)
    await cluster.start()
    http = TestClient(TestServer(ApiServer(cluster.registry, cluster.clock).app()))
    await http.start_server()
    try:
        yield Api(cluster, http)
    finally:
        await http.close()
        await cluster.stop()


async def _line(resp: ClientResponse, timeout: float = 5) -> bytes:
    return await asyncio.wait_for(resp.content.readline(), timeout)


# ------------------------------------------------------------------------------ GET

async def test_get_answers_the_stored_revision_and_an_update_answers_new_bytes(api: Api) -> None:
    await api.create("a", app="web")
    r = await api.http.get(f"{PODS}/a")
    assert r.headers["Content-Type"] == "application/json"
    first = await r.read()
    assert first == orjson.dumps(api.stored("a"))
    await api.label("a", app="db")
    second = await (await api.http.get(f"{PODS}/a")).read()
    assert second == orjson.dumps(api.stored("a")) != first
    assert orjson.loads(second)["metadata"]["labels"] == {"app": "db"}


async def test_get_keeps_table_partial_metadata_and_yaml_answers(api: Api) -> None:
    await api.create("a")
    table = await (await api.http.get(f"{PODS}/a", headers={"Accept": TABLE})).json()
    assert table["kind"] == "Table" and table["rows"][0]["cells"][0] == "a"
    partial = await (await api.http.get(f"{PODS}/a", headers={
        "Accept": "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"})).json()
    assert partial["kind"] == "PartialObjectMetadata" and "spec" not in partial
    r = await api.http.get(f"{PODS}/a", headers={"Accept": "application/yaml"})
    assert r.headers["Content-Type"] == "application/yaml" and "name: a" in await r.text()


# ------------------------------------------------------------------------------ LIST

async def test_list_follows_creates_updates_and_deletes(api: Api) -> None:
    for n in ("b", "a", "c"):
        await api.create(n)
    await api.names()  # every item's bytes are cached now
    await api.label("b", tier="x")
    await api.delete("c")
    r = await api.http.get(PODS)
    body = await r.json()
    assert [o["metadata"]["name"] for o in body["items"]] == ["a", "b"]
    assert body["items"] == [orjson.loads(orjson.dumps(api.stored(n))) for n in ("a", "b")]
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1"
    assert body["metadata"]["resourceVersion"] == str(api.cluster.store.revision)


async def test_list_selectors_and_paging_are_unchanged(api: Api) -> None:
    for i in range(5):
        await api.create(f"p{i}", app="web" if i % 2 else "db")
    assert await api.names() == [f"p{i}" for i in range(5)]  # fills the cache
    assert await api.names({"labelSelector": "app=web"}) == ["p1", "p3"]
    assert await api.names({"labelSelector": "app!=web"}) == ["p0", "p2", "p4"]
    assert await api.names({"fieldSelector": "metadata.name=p2"}) == ["p2"]
    await api.label("p0", app="web")
    assert await api.names({"labelSelector": "app=web"}) == ["p0", "p1", "p3"]
    page = await (await api.http.get(PODS, params={"limit": "2"})).json()
    assert [o["metadata"]["name"] for o in page["items"]] == ["p0", "p1"]
    assert page["metadata"]["remainingItemCount"] == 3
    rest = await (await api.http.get(PODS, params={"limit": "10", "continue":
                                                   page["metadata"]["continue"]})).json()
    assert [o["metadata"]["name"] for o in rest["items"]] == ["p2", "p3", "p4"]
    assert rest["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]


async def test_list_keeps_table_and_partial_metadata_answers(api: Api) -> None:
    await api.create("a")
    table = await (await api.http.get(PODS, headers={"Accept": TABLE})).json()
    assert table["kind"] == "Table" and [r["cells"][0] for r in table["rows"]] == ["a"]
    partial = await (await api.http.get(PODS, headers={"Accept": PARTIAL})).json()
    assert partial["kind"] == "PartialObjectMetadataList"
    assert [o["metadata"]["name"] for o in partial["items"]] == ["a"]


async def test_a_large_list_is_streamed_with_its_exact_length(api: Api) -> None:
    pods = api.cluster.table.by_key("pods")
    assert pods is not None
    pad = "x" * 4096
    for i in range(120):  # ~0.5 MiB: over listbody.SMALL, several slices
        api.cluster.registry.create(pods, "default", {"metadata": {
            "name": f"big-{i:03}", "annotations": {"pad": pad}},
            "spec": {"containers": [{"name": "c", "image": "i"}]}})
    original = listbody.SLICE
    listbody.SLICE = 64 * 1024
    try:
        r = await api.http.get(PODS)
        raw = await r.read()
    finally:
        listbody.SLICE = original
    assert len(raw) > listbody.SMALL and int(r.headers["Content-Length"]) == len(raw)
    body = orjson.loads(raw)
    assert [o["metadata"]["name"] for o in body["items"]] == [f"big-{i:03}" for i in range(120)]
    assert body["items"][7] == orjson.loads(orjson.dumps(api.stored("big-007")))


async def test_a_list_in_another_version_is_converted(api: Api) -> None:
    r = await api.http.post("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", json={
        "metadata": {"name": "h"}, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
            "minReplicas": 1, "maxReplicas": 3}})
    assert r.status == 201, await r.text()
    v1 = await (await api.http.get("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers")).json()
    v2 = await (await api.http.get("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers")).json()
    assert v1["items"][0]["apiVersion"] == "autoscaling/v1" and v1["items"][0]["spec"]["maxReplicas"] == 3
    assert v2["items"][0]["apiVersion"] == "autoscaling/v2"


# ------------------------------------------------------------------------------ watch

async def test_watchers_get_the_same_bytes_and_a_resumed_watch_replays_them(api: Api) -> None:
    start = (await (await api.http.get(PODS)).json())["metadata"]["resourceVersion"]
    one = await api.http.get(PODS, params={"watch": "true", "resourceVersion": start})
    two = await api.http.get(PODS, params={"watch": "1", "resourceVersion": start})
    await api.create("a")
    await api.label("a", app="web")
    await api.delete("a")
    live = [await _line(one) for _ in range(3)]
    assert [await _line(two) for _ in range(3)] == live
    assert [orjson.loads(x)["type"] for x in live] == ["ADDED", "MODIFIED", "DELETED"]
    again = await api.http.get(PODS, params={"watch": "true", "resourceVersion": start})
    assert [await _line(again) for _ in range(3)] == live
    for r in (one, two, again):
        r.close()


async def test_a_watch_from_now_starts_with_the_current_objects(api: Api) -> None:
    await api.create("a")
    await api.names()  # cached bytes...
    w = await api.http.get(PODS, params={"watch": "true"})
    first = orjson.loads(await _line(w))  # ...spliced into the synthetic ADDED
    assert first == {"type": "ADDED", "object": orjson.loads(orjson.dumps(api.stored("a")))}
    await api.create("b")
    assert orjson.loads(await _line(w))["object"]["metadata"]["name"] == "b"
    w.close()


async def test_a_selected_watch_sees_objects_leave_and_enter(api: Api) -> None:
    await api.create("a", app="web")
    rv = api.stored("a")["metadata"]["resourceVersion"]
    w = await api.http.get(PODS, params={"watch": "true", "resourceVersion": rv,
                                         "labelSelector": "app=web"})
    plain = await api.http.get(PODS, params={"watch": "true", "resourceVersion": rv})
    await api.label("a", app="db")
    await api.label("a", app="web")
    assert [orjson.loads(await _line(w))["type"] for _ in range(2)] == ["DELETED", "ADDED"]
    assert [orjson.loads(await _line(plain))["type"] for _ in range(2)] == ["MODIFIED", "MODIFIED"]
    w.close()
    plain.close()


async def test_timeout_seconds_ends_the_stream(api: Api) -> None:
    w = await api.http.get(PODS, params={"watch": "true", "timeoutSeconds": "1"})
    assert await asyncio.wait_for(w.read(), 5) == b""


async def test_bookmarks_only_when_asked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchstream, "BOOKMARK_EVERY", 0.05)
    asked = await api.http.get(PODS, params={"watch": "true", "allowWatchBookmarks": "true",
                                             "timeoutSeconds": "1"})
    plain = await api.http.get(PODS, params={"watch": "true", "timeoutSeconds": "1"})
    ev = orjson.loads(await _line(asked))
    assert ev["type"] == "BOOKMARK" and ev["object"]["kind"] == "Pod"
    assert ev["object"]["metadata"]["resourceVersion"] == str(api.cluster.store.revision)
    assert await asyncio.wait_for(plain.read(), 5) == b""
    asked.close()


async def test_a_table_watch_sends_column_definitions_once(api: Api) -> None:
    w = await api.http.get(PODS, params={"watch": "true"}, headers={"Accept": TABLE})
    assert w.headers["Content-Type"] == TABLE
    await api.create("a")
    await api.create("b")
    first, second = orjson.loads(await _line(w)), orjson.loads(await _line(w))
    assert first["object"]["kind"] == "Table" and first["object"]["columnDefinitions"]
    assert not second["object"].get("columnDefinitions")
    assert second["object"]["rows"][0]["cells"][0] == "b"
    w.close()


async def test_an_overrun_watcher_gets_410_and_the_stream_ends(api: Api) -> None:
    w = await api.http.get(PODS, params={"watch": "true"})
    pods = api.cluster.table.by_key("pods")
    assert pods is not None
    for i in range(QUEUE + 5):  # one loop turn: more events than the queue holds
        api.cluster.registry.create(pods, "default", {"metadata": {"name": f"o{i}"},
                                                      "spec": {"containers": [{"name": "c", "image": "i"}]}})
    lines = (await asyncio.wait_for(w.read(), 15)).splitlines()
    last = orjson.loads(lines[-1])
    assert last["type"] == "ERROR" and last["object"]["code"] == 410
    assert last["object"]["reason"] == "Expired"


async def test_a_client_that_hangs_up_is_forgotten(api: Api) -> None:
    rs = api.cluster.store.resource("pods")
    w = await api.http.get(PODS, params={"watch": "true"})
    await api.create("a")
    await _line(w)
    assert len(rs.watchers) == 1
    w.close()
    for _ in range(40):
        if not rs.watchers:
            break
        await asyncio.sleep(0.1)
    assert not rs.watchers


async def test_a_dropped_resource_delivers_what_was_queued_then_ends_the_stream(api: Api) -> None:
    w = await api.http.get(PODS, params={"watch": "true"})
    pods = api.cluster.table.by_key("pods")
    assert pods is not None
    api.cluster.registry.create(pods, "default", {"metadata": {"name": "last"},
                                                  "spec": {"containers": [{"name": "c", "image": "i"}]}})
    api.cluster.store.drop_resource("pods")  # as deleting a CRD does, in the same loop turn
    rest = await asyncio.wait_for(w.read(), 0.9)  # not after the one-second poll
    assert [orjson.loads(x)["object"]["metadata"]["name"] for x in rest.splitlines()] == ["last"]
