"""Durable state: ``minik8s serve --data-dir`` loses nothing it acknowledged.

A served cluster in another process is killed with SIGKILL in the middle of a write
load and restarted on the same data directory: every acknowledged object is there
with the resourceVersion it was acknowledged with. In process: a restart keeps uids
and resourceVersions, watches resume from a persisted resourceVersion or get 410
once it was compacted away, and ``minik8s snapshot save|restore`` round-trips.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from served import ServedCluster

from minik8s import cli
from minik8s.config import ClusterConfig, DurabilityConfig

CM = "/api/v1/namespaces/default/configmaps"


def _serve(data_dir: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    log = data_dir.parent / f"serve-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "minik8s.cli", "serve", "--port", "0", "--dns-port", "0",
             "--data-dir", str(data_dir), "--kubeconfig", str(data_dir.parent / "kubeconfig"),
             *extra], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log.read_text().splitlines():
            if "serving the Kubernetes API at" in line:
                return proc, line.split(" at ", 1)[1].split()[0]
        time.sleep(0.05)
    proc.kill()
    proc.wait(10)
    raise AssertionError(f"minik8s serve did not start: {log.read_text()}")


def _writer(url: str, prefix: str, acked: dict[str, str], stop: threading.Event) -> None:
    s = requests.Session()
    i = 0
    while not stop.is_set():
        name = f"{prefix}-{i}"
        try:
            r = s.post(url + CM, json={"metadata": {"name": name}, "data": {"i": str(i)}},
                       timeout=5)
        except requests.RequestException:
            return  # the server is gone
        if r.status_code == 201:
            acked[name] = r.json()["metadata"]["resourceVersion"]
        i += 1


def _counter(url: str, acked: list[tuple[int, str]], stop: threading.Event) -> None:
    """Read-modify-write one object; remember each acknowledged (value, resourceVersion)."""
    s = requests.Session()
    s.post(url + CM, json={"metadata": {"name": "counter"}, "data": {"n": "0"}}, timeout=5)
    while not stop.is_set():
        try:
            cur = s.get(f"{url}{CM}/counter", timeout=5).json()
            n = int(cur["data"]["n"]) + 1
            cur["data"]["n"] = str(n)
            r = s.put(f"{url}{CM}/counter", json=cur, timeout=5)
        except (requests.RequestException, ValueError, KeyError):
            return
        if r.status_code == 200:
            acked.append((n, r.json()["metadata"]["resourceVersion"]))


def test_kill_9_during_a_write_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, url = _serve(data)
    acked: dict[str, str] = {}
    counts: list[tuple[int, str]] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(url, f"w{i}", acked, stop))
               for i in range(3)] + [threading.Thread(target=_counter, args=(url, counts, stop))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while (len(acked) < 120 or len(counts) < 15) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-load: requests are in flight
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) >= 120 and len(counts) >= 15

    proc, url = _serve(data)
    try:
        items = requests.get(url + CM, timeout=10).json()["items"]
        stored = {o["metadata"]["name"]: o for o in items}
        missing = [n for n in acked if n not in stored]
        assert not missing, f"{len(missing)} acknowledged objects lost: {missing[:5]}"
        wrong = [n for n, rv in acked.items() if stored[n]["metadata"]["resourceVersion"] != rv]
        assert not wrong, f"resourceVersions changed: {wrong[:5]}"
        # the counter holds the last acknowledged value, or a later one that was
        # committed before the kill but not yet acknowledged
        last_n, last_rv = counts[-1]
        counter = stored["counter"]
        assert int(counter["data"]["n"]) >= last_n
        assert int(counter["metadata"]["resourceVersion"]) >= int(last_rv)
        # and the server goes on from there: new writes get newer resourceVersions
        top = max(int(o["metadata"]["resourceVersion"]) for o in items)
        r = requests.post(url + CM, json={"metadata": {"name": "after"}}, timeout=10)
        assert r.status_code == 201 and int(r.json()["metadata"]["resourceVersion"]) > top
    finally:
        proc.kill()
        proc.wait(10)


def _durable(data_dir: Path, **kw: Any) -> ClusterConfig:
    return ClusterConfig(durability=DurabilityConfig(data_dir=str(data_dir), **kw))


def test_a_restart_keeps_uids_resource_versions_and_the_revision(tmp_path: Path) -> None:
    sc = ServedCluster(dns_port=None, config=_durable(tmp_path))
    try:
        created = [requests.post(sc.cluster.url + CM, json={"metadata": {"name": f"c{i}"}},
                                 timeout=10).json() for i in range(5)]
        requests.delete(f"{sc.cluster.url}{CM}/c4", timeout=10)
        revision = sc.cluster.store.revision
    finally:
        sc.close()
    sc = ServedCluster(dns_port=None, config=_durable(tmp_path))
    try:
        assert sc.cluster.store.revision >= revision
        for obj in created[:4]:
            got = requests.get(f"{sc.cluster.url}{CM}/{obj['metadata']['name']}",
                               timeout=10).json()
            assert got["metadata"]["uid"] == obj["metadata"]["uid"]
            assert got["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
        assert requests.get(f"{sc.cluster.url}{CM}/c4", timeout=10).status_code == 404
        # uids stay unique: the restarted cluster does not replay its name generator
        new = requests.post(sc.cluster.url + CM, json={"metadata": {"name": "new"}},
                            timeout=10).json()
        assert new["metadata"]["uid"] not in {o["metadata"]["uid"] for o in created}
    finally:
        sc.close()


def _watch(url: str, rv: str, n: int) -> list[dict[str, Any]]:
    events = []
    with requests.get(f"{url}{CM}?watch=true&resourceVersion={rv}&timeoutSeconds=2",
                      stream=True, timeout=10) as resp:
        for line in resp.iter_lines():
            if line:
                events.append(json.loads(line))
                if len(events) >= n:
                    break
    return events


def test_watches_resume_across_a_restart_or_get_410_once_compacted(tmp_path: Path) -> None:
    sc = ServedCluster(dns_port=None, config=_durable(tmp_path, event_history=100))
    try:
        url = sc.cluster.url
        first = requests.post(url + CM, json={"metadata": {"name": "w0"}}, timeout=10).json()
        start_rv = first["metadata"]["resourceVersion"]
        for i in range(1, 6):
            requests.post(url + CM, json={"metadata": {"name": f"w{i}"}}, timeout=10)
        requests.delete(f"{url}{CM}/w1", timeout=10)
    finally:
        sc.close()
    sc = ServedCluster(dns_port=None, config=_durable(tmp_path, event_history=100))
    try:
        url = sc.cluster.url
        events = _watch(url, start_rv, 6)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "w1"), ("ADDED", "w2"), ("ADDED", "w3"), ("ADDED", "w4"), ("ADDED", "w5"),
            ("DELETED", "w1")]
        # push the start out of the retained history: resuming from it is 410 Expired
        for i in range(250):
            requests.post(url + CM, json={"metadata": {"name": f"x{i}"}}, timeout=10)
    finally:
        sc.close()
    sc = ServedCluster(dns_port=None, config=_durable(tmp_path, event_history=100))
    try:
        events = _watch(sc.cluster.url, start_rv, 1)
        assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
    finally:
        sc.close()


def test_snapshot_save_and_restore_round_trip_through_a_data_dir(tmp_path: Path,
                                                                  capsys: Any) -> None:
    src = tmp_path / "src"
    sc = ServedCluster(dns_port=None, config=_durable(src))
    try:
        made = requests.post(sc.cluster.url + CM, json={"metadata": {"name": "keep"},
                                                        "data": {"k": "v"}}, timeout=10).json()
    finally:
        sc.close()
    file = tmp_path / "state.yaml"
    assert cli.main(["snapshot", "save", str(file), "--data-dir", str(src)]) == 0
    dst = tmp_path / "dst"
    assert cli.main(["snapshot", "restore", str(file), "--data-dir", str(dst)]) == 0
    assert f"minik8s serve --data-dir {dst}" in capsys.readouterr().out
    # a directory that already holds state is not overwritten
    assert cli.main(["snapshot", "restore", str(file), "--data-dir", str(dst)]) == 1
    sc = ServedCluster(dns_port=None, config=_durable(dst))
    try:
        got = requests.get(f"{sc.cluster.url}{CM}/keep", timeout=10).json()
        assert got["metadata"]["uid"] == made["metadata"]["uid"]
        assert got["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]
        assert got["data"] == {"k": "v"}
    finally:
        sc.close()
