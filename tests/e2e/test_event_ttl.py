"""``minik8s serve --event-ttl``: Events go their TTL after the last write, seen from kubectl
and from an HTTP watch, as with kube-apiserver's flag of the same name."""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml
from test_cli_serve import kubectl, start

pytestmark = pytest.mark.kubectl

EVENT = {"apiVersion": "v1", "kind": "Event",
         "metadata": {"name": "hello.1", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "name": "hello", "namespace": "default"},
         "reason": "Tested", "message": "expires soon", "type": "Normal"}


def test_serve_event_ttl_expires_events_for_kubectl_and_watchers(tmp_path: pathlib.Path) -> None:
    kc = tmp_path / "kubeconfig"
    p, url, _ = start(["--kubeconfig", str(kc), "--event-ttl", "4s"])
    try:
        path = "/api/v1/namespaces/default/events"
        rv = json.load(urllib.request.urlopen(url + path, timeout=10))["metadata"]["resourceVersion"]
        manifest = tmp_path / "event.yaml"
        manifest.write_text(yaml.safe_dump(EVENT))
        created = time.monotonic()
        kubectl(str(kc), "create", "-f", str(manifest))
        assert "expires soon" in kubectl(str(kc), "get", "events", "-n", "default")
        seen = []
        with urllib.request.urlopen(f"{url}{path}?watch=true&resourceVersion={rv}"
                                    "&timeoutSeconds=20", timeout=30) as watch:
            for line in watch:
                ev = json.loads(line)
                seen.append((ev["type"], ev["object"]["metadata"]["name"]))
                if ev["type"] == "DELETED":
                    break
        gone_after = time.monotonic() - created
        assert seen == [("ADDED", "hello.1"), ("DELETED", "hello.1")]
        assert 4 <= gone_after < 12                      # 4 s after the create (a loaded machine)
        out = kubectl(str(kc), "get", "events", "-n", "default", "-o", "name")
        assert "hello.1" not in out
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)


def test_serve_refuses_a_bad_event_ttl() -> None:
    p = subprocess.run([sys.executable, "-m", "minik8s.cli", "serve", "--event-ttl", "soon"],
                       capture_output=True, text=True, timeout=30, check=False)
    assert p.returncode == 2 and 'time: invalid duration "soon"' in p.stderr
