"""Builders and helpers shared by the end-to-end tests (kubectl and client libraries).

Objects are plain dicts, created through the in-process client of a
``ServedCluster`` (``tests/conftest.py``) and checked through kubectl or the
client, so every test sees what a user sees.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

#: the oldest and newest kubectl every behaviour is checked with
EDGE_VERSIONS = ["1.27", "1.33"]
#: versions that send protobuf bodies from typed clients (create <sub>, autoscale, can-i)
PROTOBUF_VERSIONS = ["1.32", "1.33"]


#: a schedulerName nobody serves: the pod stays Pending and unchanged (quiet for watches and
#: no-op checks) until a test binds it itself
NO_SCHEDULER = "e2e-nobody"


def make_pod(name: str, namespace: str = "default", *, labels: dict[str, str] | None = None,
             image: str = "nginx:1.25", owner: Obj | None = None,
             scheduler: str | None = None) -> Obj:
    md: Obj = {"name": name, "namespace": namespace}
    if labels:
        md["labels"] = dict(labels)
    if owner is not None:
        md["ownerReferences"] = [owner_ref(owner)]
    spec: Obj = {"containers": [{"name": "c", "image": image}]}
    if scheduler:
        spec["schedulerName"] = scheduler
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


def make_deployment(name: str, namespace: str = "default", *, replicas: int = 0,
                    images: tuple[str, ...] = ("nginx:1.25",)) -> Obj:
    """A Deployment; ``replicas=0`` keeps workload controllers (when present) quiet."""
    containers = [{"name": f"c{i}" if i else "nginx", "image": img} for i, img in enumerate(images)]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers}}}}


def make_replicaset(name: str, owner: Obj, namespace: str = "default") -> Obj:
    app = owner["metadata"]["name"]
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": app},
                         "ownerReferences": [owner_ref(owner)]},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def owner_ref(owner: Obj) -> Obj:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def write_manifest(tmp_path: Path, name: str, *objs: Obj | str) -> str:
    """Write objects (dicts or raw YAML text) as one multi-document YAML file."""
    docs = [o if isinstance(o, str) else yaml.safe_dump(o, sort_keys=False) for o in objs]
    path = tmp_path / name
    path.write_text("---\n".join(docs))
    return str(path)


def kubectl_json(served: Any, *args: str, version: str | None = None) -> Any:
    return json.loads(served.kubectl(*args, "-o", "json", version=version).stdout)


def names_of(stdout: str) -> list[str]:
    """``-o name`` output → bare names."""
    return [line.split("/", 1)[1] for line in stdout.split()]


def table_rows(stdout: str) -> list[list[str]]:
    """A printed table → rows of cells (header included), split on runs of 2+ spaces."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy (for controllers on the real clock)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)


class LineReader:
    """Reads a subprocess's stdout on a thread so tests can wait for lines with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        self._t = threading.Thread(target=self._pump, daemon=True)
        self._t.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for(self, pred: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while not pred(self.lines):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; lines so far: {self.lines!r}")
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"process ended; lines: {self.lines!r}")
            self.lines.append(line)
        return self.lines

    def stop(self) -> str:
        """Kill the process; return its stderr."""
        self.proc.kill()
        self.proc.wait(10)
        self._t.join(5)
        err = self.proc.stderr.read() if self.proc.stderr else ""
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return err
