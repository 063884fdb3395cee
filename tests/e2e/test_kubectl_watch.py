"""``kubectl get -w``: a long-running kubectl sees writes made through the in-process client.

The initial rows come from the LIST and must not be printed a second time by the WATCH
(that happens when the list's resourceVersion is wrong or bookmarks leak into the stream).
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
from e2e_support import EDGE_VERSIONS, NO_SCHEDULER, LineReader, eventually, make_pod
from served import KUBECTL_DIR

pytestmark = [pytest.mark.kubectl, pytest.mark.parametrize("version", EDGE_VERSIONS)]


def start(served: Any, version: str, *args: str) -> LineReader:
    exe = os.path.join(KUBECTL_DIR, f"kubectl.{version}")
    proc = subprocess.Popen([exe, "--kubeconfig", served.cluster.kubeconfig_path,
                             "--cache-dir", served.cache, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return LineReader(proc)


def quiet_pod(name: str, **kw: Any) -> Any:
    """Unscheduled pods change only when the test changes them."""
    return make_pod(name, scheduler=NO_SCHEDULER, **kw)


def first_cell(line: str) -> str:
    return line.split()[0]


def mutate(served: Any, name: str) -> None:
    c = served.client
    served.run(c.create, quiet_pod(name))
    served.run(lambda: c.patch("v1", "Pod", name, {"metadata": {"labels": {"x": "y"}}},
                               "default"))
    served.run(lambda: c.delete("v1", "Pod", name, "default", grace_period_seconds=0))


def test_get_watch_prints_initial_rows_once_then_changes(served: Any, version: str) -> None:
    served.run(served.client.create, quiet_pod("p1"))
    w = start(served, version, "get", "pods", "-w")
    try:
        w.wait_for(lambda lines: len(lines) >= 2)  # header + the existing pod
        mutate(served, "p2")
        lines = w.wait_for(lambda lines: sum(first_cell(x) == "p2" for x in lines) >= 3)
    finally:
        err = w.stop()
    assert lines[0].split()[:2] == ["NAME", "READY"]
    assert [first_cell(x) for x in lines].count("NAME") == 1
    assert [first_cell(x) for x in lines].count("p1") == 1  # not duplicated by the watch
    assert err == ""


def test_get_watch_output_watch_events(served: Any, version: str) -> None:
    served.run(served.client.create, quiet_pod("p1"))
    w = start(served, version, "get", "pods", "-w", "--output-watch-events")
    try:
        w.wait_for(lambda lines: len(lines) >= 2)
        mutate(served, "p2")
        lines = w.wait_for(lambda lines: any(x.startswith("DELETED") for x in lines))
    finally:
        w.stop()
    assert lines[0].split()[:2] == ["EVENT", "NAME"]
    events = [x.split()[:2] for x in lines[1:]]
    assert events[0] == ["ADDED", "p1"]
    p2 = [e for e, n in events if n == "p2"]
    assert p2[0] == "ADDED" and p2[-1] == "DELETED" and "MODIFIED" in p2
    assert [n for _, n in events].count("p1") == 1


def test_get_watch_json_streams_objects(served: Any, version: str) -> None:
    import json

    w = start(served, version, "get", "pods", "-w", "-o", "json", "--output-watch-events")
    try:
        served.run(served.client.create, quiet_pod("p1"))
        lines = w.wait_for(lambda lines: len(lines) >= 1)
    finally:
        w.stop()
    event = json.loads(lines[0])  # one compact JSON event per line
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "Pod" and event["object"]["metadata"]["name"] == "p1"


def watchers(served: Any, key: str) -> int:
    return int(served.run(lambda: len(served.cluster.store.resource(key).watchers)))


def test_get_watch_single_object_by_name(served: Any, version: str) -> None:
    served.run(served.client.create, quiet_pod("p1"))
    served.run(served.client.create, quiet_pod("other"))
    before = watchers(served, "pods")
    w = start(served, version, "get", "pod", "p1", "-w", "--output-watch-events")
    try:
        w.wait_for(lambda lines: len(lines) >= 2)
        # kubectl GETs the object, prints it, then watches from resourceVersion=0 ("now"):
        # a change made before the watch is registered is (by design) never printed
        eventually(lambda: watchers(served, "pods") > before)
        served.run(lambda: served.client.patch("v1", "Pod", "other",
                                               {"metadata": {"labels": {"a": "b"}}}, "default"))
        served.run(lambda: served.client.patch("v1", "Pod", "p1",
                                               {"metadata": {"labels": {"a": "b"}}}, "default"))
        lines = w.wait_for(lambda lines: any(x.startswith("MODIFIED") for x in lines))
    finally:
        w.stop()
    assert all(x.split()[1] == "p1" for x in lines[1:])  # the other pod never shows up


def test_get_watch_with_selector_sees_objects_enter_and_leave(served: Any, version: str) -> None:
    c = served.client
    served.run(c.create, quiet_pod("in", labels={"app": "x"}))
    served.run(c.create, quiet_pod("out", labels={"app": "y"}))
    w = start(served, version, "get", "pods", "-l", "app=x", "-w", "--output-watch-events")
    try:
        w.wait_for(lambda lines: len(lines) >= 2)
        served.run(lambda: c.patch("v1", "Pod", "out", {"metadata": {"labels": {"app": "x"}}},
                                   "default"))
        served.run(lambda: c.patch("v1", "Pod", "in", {"metadata": {"labels": {"app": "z"}}},
                                   "default"))
        lines = w.wait_for(lambda lines: len(lines) >= 4)
    finally:
        w.stop()
    # entering the selector is ADDED, leaving it is DELETED
    assert [x.split()[:2] for x in lines[1:4]] == [["ADDED", "in"], ["ADDED", "out"],
                                                  ["DELETED", "in"]]
