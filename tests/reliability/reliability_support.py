"""Helpers for the reliability tests: a served cluster, raw HTTP, and the answer checks.

Every answer of the server, whatever was sent, must be a success or a well-formed
``Status`` with a 4xx code (the one 5xx minik8s gives on purpose is etcd's
``request is too large``, as kube-apiserver passes it on), and never a traceback.
"""

from __future__ import annotations

import json
import os
from typing import Any

import requests

#: the only 5xx answer minik8s gives on purpose (kube-apiserver 1.33 passes etcd's error on)
ETCD_TOO_LARGE = "etcdserver: request is too large"
#: HTTP-level refusals from the HTTP parser itself (no Status body, like Go's net/http)
PROTOCOL_CODES = (400, 413, 431)


def rss_kib(pid: int | None = None) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid or os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def check_answer(resp: Any, what: str = "") -> None:
    """The invariant every fuzzed request must satisfy."""
    body = resp.content
    where = f"{what}: {resp.status_code} {body[:300]!r}"
    assert b"Traceback" not in body and b'File "/' not in body, f"traceback on the wire: {where}"
    code = resp.status_code
    if code < 400:
        return
    method = getattr(getattr(resp, "request", None), "method", "")
    if method == "HEAD":  # no body to check
        assert code < 500, where
        return
    ct = _header(resp, "Content-Type")
    assert ct.startswith("application/json"), f"error without a Status: {where}"
    status = json.loads(body)
    assert status.get("kind") == "Status" and status.get("apiVersion") == "v1", where
    assert status.get("status") == "Failure" and status.get("code") == code, where
    assert isinstance(status.get("message"), str) and status["message"], where
    if code >= 500:
        assert status["message"] == ETCD_TOO_LARGE, f"server error: {where}"


def _header(resp: Any, name: str) -> str:
    """A header of a ``requests`` response or a schemathesis one (values are lists)."""
    for k, v in resp.headers.items():
        if k.lower() == name.lower():
            return v[0] if isinstance(v, list) else str(v)
    return ""


def healthy(base: str) -> None:
    """The server still answers normally: health, a write, a read."""
    s = requests.Session()
    assert s.get(base + "/healthz", timeout=10).text == "ok"
    r = s.post(base + "/api/v1/namespaces/default/configmaps", timeout=10,
               json={"metadata": {"generateName": "alive-"}, "data": {"k": "v"}})
    assert r.status_code == 201, r.text
    name = r.json()["metadata"]["name"]
    r = s.get(base + f"/api/v1/namespaces/default/configmaps/{name}", timeout=10)
    assert r.status_code == 200 and r.json()["data"] == {"k": "v"}
    assert s.delete(base + f"/api/v1/namespaces/default/configmaps/{name}",
                    timeout=10).status_code == 200


def request(s: requests.Session, method: str, url: str, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", 15)
    return s.request(method, url, **kw)
