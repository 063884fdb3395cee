"""HTTP edges of the API server, answered as kube-apiserver answers them.

A watch over HTTP/1.0 (no chunking: the connection's close ends the body), a watch
timeout of 0 (the server's default, not "now"), a bad ``includeObject`` refused before
a Table stream starts, the ``ListOptions`` rules of ``resourceVersionMatch`` and
``sendInitialEvents``, the deprecation ``Warning`` on (only) the resources that have one,
and a JSON write body parsed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from minik8s.api import schemas
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.server import listbody, watchstream
from minik8s.server.app import ApiServer

CMS = "/api/v1/namespaces/default/configmaps"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
ENDPOINTS_WARNING = '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"'

Http = TestClient[web.Request, web.Application]


@pytest.fixture
async def http() -> AsyncIterator[Http]:
    cluster = Cluster(ClusterConfig(controllers=[]), serve=False, dns_port=None)
    await cluster.start()
    client = TestClient(TestServer(ApiServer(cluster.registry, cluster.clock).app()))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await cluster.stop()


async def _create_cm(http: Http, name: str) -> dict[str, Any]:
    r = await http.post(CMS, json={"metadata": {"name": name}, "data": {"k": "v"}})
    assert r.status == 201, await r.text()
    return await r.json()  # type: ignore[no-any-return]


async def _status(r: Any, code: int) -> dict[str, Any]:
    body = await r.json()
    assert r.status == code, body
    assert body["kind"] == "Status" and body["code"] == code
    return body  # type: ignore[no-any-return]


# ------------------------------------------------------------------ HTTP/1.0 watch

class Raw:
    """One HTTP/1.0 exchange over a raw socket: the status line, the headers (lower-case
    names) and the reader positioned at the body."""

    def __init__(self, status: str, headers: dict[str, str], reader: asyncio.StreamReader) -> None:
        self.status, self.headers, self.reader = status, headers, reader

    async def line(self) -> Any:
        return orjson.loads(await asyncio.wait_for(self.reader.readline(), 5))

    async def rest(self) -> bytes:
        """The body up to EOF, that is until the server closes the connection."""
        return await asyncio.wait_for(self.reader.read(), 5)


@contextlib.asynccontextmanager
async def http10(http: Http, target: str, headers: str = "") -> AsyncIterator[Raw]:
    reader, writer = await asyncio.open_connection(http.host, http.port)
    try:
        writer.write(f"GET {target} HTTP/1.0\r\n{headers}\r\n".encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        lines = raw.decode().split("\r\n")
        parsed = {}
        for line in filter(None, lines[1:]):
            k, _, v = line.partition(":")
            parsed[k.strip().lower()] = v.strip()
        yield Raw(lines[0], parsed, reader)
    finally:
        writer.close()


async def test_an_http10_watch_streams_bare_lines(http: Http) -> None:
    await _create_cm(http, "before")
    async with http10(http, f"{CMS}?watch=1", "Host: localhost\r\n") as r:
        assert r.status == "HTTP/1.0 200 OK"
        assert r.headers["content-type"] == "application/json"
        # Go's net/http: no chunking for HTTP/1.0, no length; the close ends the body
        assert "transfer-encoding" not in r.headers and "content-length" not in r.headers
        first = await r.line()
        assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "before"
        await _create_cm(http, "after")
        second = await r.line()
        assert second["type"] == "ADDED" and second["object"]["metadata"]["name"] == "after"


async def test_an_http10_watch_ends_by_closing_the_connection(http: Http) -> None:
    await _create_cm(http, "a")
    async with http10(http, f"{CMS}?watch=1&timeoutSeconds=1") as r:
        assert r.status == "HTTP/1.0 200 OK"
        events = [orjson.loads(line) for line in (await r.rest()).splitlines()]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]


async def test_an_http10_table_watch_and_an_http11_watch_side_by_side(http: Http) -> None:
    plain = await http.get(CMS, params={"watch": "1"})  # HTTP/1.1: chunked, as before
    try:
        async with http10(http, f"{CMS}?watch=1", f"Accept: {TABLE}\r\n") as r:
            assert r.headers["content-type"] == TABLE
            assert plain.headers["Transfer-Encoding"] == "chunked"
            await _create_cm(http, "x")
            table = (await r.line())["object"]
            assert table["kind"] == "Table" and table["rows"][0]["cells"][0] == "x"
            line = orjson.loads(await asyncio.wait_for(plain.content.readline(), 5))
            assert line["object"]["metadata"]["name"] == "x"
    finally:
        plain.close()


async def test_an_http10_get_is_unchanged(http: Http) -> None:
    await _create_cm(http, "a")
    async with http10(http, f"{CMS}/a") as r:
        assert r.status == "HTTP/1.0 200 OK"
        body = await r.rest()
        assert len(body) == int(r.headers["content-length"])
        assert orjson.loads(body)["metadata"]["name"] == "a"


# ------------------------------------------------------------------ timeoutSeconds

def test_a_zero_or_absent_timeout_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.25)
    assert watchstream.watch_timeout(None) == 1800 * 1.25
    assert watchstream.watch_timeout(0) == 1800 * 1.25
    assert watchstream.watch_timeout(7) == 7.0
    assert watchstream.watch_timeout(-1) == -1.0  # a past deadline: ends at once, as in Go


def test_the_default_timeout_lies_between_min_request_timeout_and_twice_that() -> None:
    for _ in range(200):
        assert 1800 <= watchstream.watch_timeout(0) < 3600


async def test_timeout_seconds_zero_keeps_the_watch_open(http: Http) -> None:
    w = await http.get(CMS, params={"watch": "true", "timeoutSeconds": "0"})
    try:
        assert w.status == 200
        with pytest.raises(TimeoutError):  # not ended at once: nothing to read, no EOF
            await asyncio.wait_for(w.content.readline(), 1.5)
        await _create_cm(http, "later")
        ev = orjson.loads(await asyncio.wait_for(w.content.readline(), 5))
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "later"
    finally:
        w.close()


async def test_a_small_positive_timeout_ends_the_watch(http: Http) -> None:
    await _create_cm(http, "a")
    w = await http.get(CMS, params={"watch": "true", "timeoutSeconds": "1"})
    body = await asyncio.wait_for(w.read(), 5)
    assert [orjson.loads(x)["type"] for x in body.splitlines()] == ["ADDED"]


async def test_a_negative_timeout_ends_the_watch_at_once(http: Http) -> None:
    w = await http.get(CMS, params={"watch": "true", "timeoutSeconds": "-1"})
    assert w.status == 200
    assert await asyncio.wait_for(w.read(), 2) == b""


# ------------------------------------------------------------------ includeObject

BAD_INCLUDE = ("Unable to convert to Table as requested: includeObject: Invalid value: "
               "\"All\": must be 'Metadata', 'Object', 'None', or empty")


async def test_a_bad_include_object_on_a_table_watch_is_a_400_up_front(http: Http) -> None:
    await _create_cm(http, "a")
    r = await http.get(CMS, params={"watch": "true", "includeObject": "All"},
                       headers={"Accept": TABLE})
    body = await _status(r, 400)
    assert body["reason"] == "BadRequest" and body["message"] == BAD_INCLUDE


async def test_a_bad_include_object_on_a_table_list_or_get_is_the_same_400(http: Http) -> None:
    await _create_cm(http, "a")
    for path in (CMS, f"{CMS}/a"):
        r = await http.get(path, params={"includeObject": "All"}, headers={"Accept": TABLE})
        assert (await _status(r, 400))["message"] == BAD_INCLUDE
    # a GET of a missing object is still a 404 first (the getter runs before the transform)
    r = await http.get(f"{CMS}/nope", params={"includeObject": "All"}, headers={"Accept": TABLE})
    await _status(r, 404)


async def test_include_object_is_ignored_without_a_table(http: Http) -> None:
    await _create_cm(http, "a")
    r = await http.get(CMS, params={"includeObject": "All"})
    assert r.status == 200 and (await r.json())["kind"] == "ConfigMapList"
    w = await http.get(CMS, params={"watch": "true", "includeObject": "All", "timeoutSeconds": "1"})
    assert w.status == 200
    assert orjson.loads((await asyncio.wait_for(w.read(), 5)).splitlines()[0])["type"] == "ADDED"


@pytest.mark.parametrize("value,expect", [("None", None), ("", "PartialObjectMetadata"),
                                          ("Object", "ConfigMap"),
                                          ("Metadata", "PartialObjectMetadata")])
async def test_good_include_object_values_on_a_table_watch(http: Http, value: str,
                                                           expect: str | None) -> None:
    await _create_cm(http, "a")
    w = await http.get(CMS, params={"watch": "true", "includeObject": value,
                                    "timeoutSeconds": "1"}, headers={"Accept": TABLE})
    assert w.status == 200
    ev = orjson.loads((await asyncio.wait_for(w.read(), 5)).splitlines()[0])
    obj = ev["object"]["rows"][0]["object"]
    assert (obj if obj is None else obj["kind"]) == expect


# ------------------------------------------------------------------ resourceVersionMatch

def _invalid(detail: str) -> str:
    return f'ListOptions.meta.k8s.io "" is invalid: {detail}'


async def test_resource_version_match_needs_a_resource_version(http: Http) -> None:
    r = await http.get(CMS, params={"resourceVersionMatch": "NotOlderThan"})
    body = await _status(r, 422)
    assert body["reason"] == "Invalid"
    assert body["message"] == _invalid("resourceVersionMatch: Forbidden: resourceVersionMatch "
                                       "is forbidden unless resourceVersion is provided")
    assert body["details"] == {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{
        "reason": "FieldValueForbidden", "field": "resourceVersionMatch",
        "message": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"}]}


@pytest.mark.parametrize("query,message", [
    ({"resourceVersionMatch": "Exact", "resourceVersion": "0"},
     ('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for '
     'resourceVersion "0"')),
    ({"resourceVersionMatch": "Newest", "resourceVersion": "1"},
     ('resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", '
     '"NotOlderThan", ""')),
    ({"resourceVersionMatch": "Exact", "resourceVersion": "1", "continue": "x"},
     ("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is "
     "provided")),
    ({"sendInitialEvents": "true"},
     "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
    ({"resourceVersionMatch": "exact"},
     ('[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless '
     'resourceVersion is provided, resourceVersionMatch: Unsupported value: "exact": '
     'supported values: "Exact", "NotOlderThan", ""]')),
], ids=["exact-at-0", "unsupported", "with-continue", "send-initial-events", "two-errors"])
async def test_list_options_rules(http: Http, query: dict[str, str], message: str) -> None:
    r = await http.get(CMS, params=query)
    assert (await _status(r, 422))["message"] == _invalid(message)


@pytest.mark.parametrize("query", [
    {"resourceVersionMatch": "NotOlderThan", "resourceVersion": "0"},
    {"resourceVersionMatch": "NotOlderThan", "resourceVersion": "1"},
    {"resourceVersionMatch": "", "resourceVersion": ""},
], ids=["not-older-than-0", "not-older-than-1", "empty"])
async def test_valid_resource_version_match_lists(http: Http, query: dict[str, str]) -> None:
    await _create_cm(http, "a")
    r = await http.get(CMS, params=query)
    assert r.status == 200, await r.text()
    assert [o["metadata"]["name"] for o in (await r.json())["items"]] == ["a"]


async def test_exact_with_a_resource_version_lists(http: Http) -> None:
    cm = await _create_cm(http, "a")
    r = await http.get(CMS, params={"resourceVersionMatch": "Exact",
                                    "resourceVersion": cm["metadata"]["resourceVersion"]})
    assert r.status == 200, await r.text()


@pytest.mark.parametrize("query,message", [
    ({"resourceVersionMatch": "NotOlderThan"},
     ("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
     "sendInitialEvents is provided")),
    ({"sendInitialEvents": "true"},
     ("resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
     "resourceVersionMatch to NotOlderThan")),
    ({"sendInitialEvents": "true", "resourceVersionMatch": "Exact"},
     ('[resourceVersionMatch: Forbidden: sendInitialEvents requires setting '
     'resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": '
     'supported values: "NotOlderThan"]')),
], ids=["match-without-send", "send-without-match", "exact"])
async def test_watch_options_rules(http: Http, query: dict[str, str], message: str) -> None:
    r = await http.get(CMS, params={"watch": "true", "timeoutSeconds": "1", **query})
    assert (await _status(r, 422))["message"] == _invalid(message)


async def test_send_initial_events_with_not_older_than_watches(http: Http) -> None:
    await _create_cm(http, "a")
    w = await http.get(CMS, params={"watch": "true", "sendInitialEvents": "true",
                                    "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": "1"})
    assert w.status == 200
    body = await asyncio.wait_for(w.read(), 5)
    assert [orjson.loads(x)["object"]["metadata"]["name"] for x in body.splitlines()] == ["a"]


async def test_list_options_are_checked_after_the_resource_is_found(http: Http) -> None:
    r = await http.get("/api/v1/namespaces/default/nothings", params={"resourceVersionMatch": "x"})
    await _status(r, 404)


# ------------------------------------------------------------------ deprecation warnings

EPS = "/api/v1/namespaces/default/endpoints"


async def test_a_deprecated_resource_warns_on_every_answer(http: Http) -> None:
    r = await http.post(EPS, json={"metadata": {"name": "e"}})
    assert r.status == 201 and r.headers.getall("Warning") == [ENDPOINTS_WARNING]
    for path in (EPS, f"{EPS}/e"):
        r = await http.get(path)
        assert r.status == 200 and r.headers.getall("Warning") == [ENDPOINTS_WARNING]
    r = await http.get(f"{EPS}/missing")  # errors too, as kube-apiserver sends them
    assert r.status == 404 and r.headers.getall("Warning") == [ENDPOINTS_WARNING]
    r = await http.get(EPS, params={"resourceVersionMatch": "x"})
    assert r.status == 422 and r.headers.getall("Warning") == [ENDPOINTS_WARNING]
    w = await http.get(EPS, params={"watch": "true", "timeoutSeconds": "1"})
    assert w.status == 200 and w.headers.getall("Warning") == [ENDPOINTS_WARNING]
    await w.read()
    r = await http.get("/api/v1/componentstatuses")
    assert r.headers.getall("Warning") == ['299 - "v1 ComponentStatus is deprecated in v1.19+"']


async def test_a_large_deprecated_list_still_warns(http: Http, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listbody, "SMALL", 0)  # every list would be streamed
    await http.post(EPS, json={"metadata": {"name": "e"}})
    r = await http.get(EPS)
    assert r.headers.getall("Warning") == [ENDPOINTS_WARNING]
    assert "e" in [o["metadata"]["name"] for o in (await r.json())["items"]]


async def test_other_resources_have_no_warning(http: Http) -> None:
    await _create_cm(http, "a")
    for r in (await http.get(CMS), await http.get(f"{CMS}/a"), await http.get(f"{CMS}/b"),
              await http.get("/version"), await http.get("/api/v1")):
        assert "Warning" not in r.headers


# ------------------------------------------------------------------ one parse per write

async def test_a_json_write_body_is_parsed_once(http: Http, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = schemas.duplicate_fields

    def spy(raw: bytes, *args: Any, **kwargs: Any) -> list[str]:
        seen.append(args[0] if args else kwargs.get("decoded", "not passed"))
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(schemas, "duplicate_fields", spy)
    await _create_cm(http, "a")
    assert seen == [{"metadata": {"name": "a"}, "data": {"k": "v"}}]
    r = await http.put(f"{CMS}/a", json={"metadata": {"name": "a"}, "data": {"k": "w"}})
    assert r.status == 200 and seen[-1] == {"metadata": {"name": "a"}, "data": {"k": "w"}}


async def test_duplicate_fields_are_still_found(http: Http) -> None:
    raw = b'{"metadata": {"name": "a", "name": "b"}, "data": {}}'
    r = await http.post(CMS, data=raw, params={"fieldValidation": "Strict"},
                        headers={"Content-Type": "application/json"})
    body = await _status(r, 400)
    assert 'duplicate field "metadata.name"' in body["message"]
    r = await http.post(CMS, data=raw, headers={"Content-Type": "application/json"})
    assert r.status == 201
    assert r.headers.getall("Warning") == ['299 - "duplicate field \\"metadata.name\\""']


@pytest.mark.parametrize(("value", "watching"), [("true", True), ("1", True), ("", True),
                                                 ("yes", True), ("0", False), ("FALSE", False)])
def test_watch_query_values_convert_as_apimachinery_does(value: str, watching: bool) -> None:
    """Convert_Slice_string_To_bool: only 0 and false (any case) are false; an empty value is true."""
    from minik8s.server.rest import _query_bool

    assert _query_bool({"watch": value}, "watch") is watching
    assert _query_bool({}, "watch") is False
