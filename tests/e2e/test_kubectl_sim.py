"""kubectl against the simulated kubelet (real clock): run, wait, logs, get -o wide, delete.

Pods are bound through the in-process client (the scheduler may beat us to it, which is
fine); the kubelet then runs them with its short real-clock delays.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from minik8s.api import errors

pytestmark = pytest.mark.kubectl

NODE = "minik8s-worker"


def bind(served: Any, name: str) -> None:
    try:
        served.run(served.client.bind, "default", name, NODE)
    except errors.Conflict:
        pass  # already bound (by the scheduler)


def eventually(fn: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_run_wait_logs_wide_and_a_prompt_delete(served_module: Any) -> None:
    served = served_module
    served.kubectl("run", "web", "--image=nginx:1.27")
    bind(served, "web")
    served.kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=10s")

    logs = served.kubectl("logs", "web").stdout
    assert logs.endswith("[minik8s] container web started (image nginx:1.27)\n")
    stamped = served.kubectl("logs", "web", "--tail=1", "--timestamps").stdout
    assert stamped.count("\n") == 1 and stamped.split()[0].endswith("Z")

    out = served.kubectl("get", "pods", "web", "-o", "wide").stdout.splitlines()
    assert out[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    row = out[1].split()
    pod = served.client.get("v1", "Pod", "web", "default")
    assert row[:4] == ["web", "1/1", "Running", "0"]
    assert row[5] == pod["status"]["podIP"] and row[5].startswith("10.244.")
    assert row[6] == pod["spec"]["nodeName"]

    events = served.kubectl("get", "events", "--field-selector", "involvedObject.name=web").stdout
    for reason in ("Pulling", "Pulled", "Created", "Started"):
        assert reason in events

    t = time.monotonic()
    served.kubectl("delete", "pod", "web")
    assert time.monotonic() - t < 5
    assert served.client.get_or_none("v1", "Pod", "web", "default") is None


def test_a_missing_secret_key_shows_create_container_config_error(served_module: Any) -> None:
    served = served_module
    served.run(served.client.create, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "database", "namespace": "default"},
        "spec": {"containers": [{"name": "mysql", "image": "mysql:8.0", "env": [
            {"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": "helloworld-secrets", "key": "rootPassword"}}}]}]}})
    bind(served, "database")

    def status() -> list[str]:
        lines = served.kubectl("get", "pod", "database").stdout.splitlines()
        cells = lines[1].split()
        return cells if cells[2] == "CreateContainerConfigError" else []

    cells = eventually(status)
    assert cells[:3] == ["database", "0/1", "CreateContainerConfigError"]
    p = served.kubectl("logs", "database", check=False)
    assert p.returncode != 0
    assert 'container "mysql" in pod "database" is waiting to start: CreateContainerConfigError' \
        in p.stderr
    served.kubectl("create", "secret", "generic", "helloworld-secrets",
                   "--from-literal=rootPassword=pw")
    served.kubectl("wait", "--for=condition=Ready", "pod/database", "--timeout=10s")
    served.kubectl("delete", "pod", "database")
