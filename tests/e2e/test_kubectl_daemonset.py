"""kubectl and the DaemonSet controller on a served cluster (real clock): scenario S7.

On the default topology (a tainted control-plane node and two workers) a DaemonSet without
tolerations runs on the two workers: ``kubectl get ds`` shows DESIRED 2 and the rest follow;
``kubectl set image`` rolls it, ``kubectl rollout status`` and ``rollout history`` read it.
The stand-in for missing components comes from ``test_kubectl_statefulset``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e_support import table_rows, write_manifest
from test_kubectl_statefulset import install_stand_in, poll, running

pytestmark = pytest.mark.kubectl

FLUENTD = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd
  labels: {app: fluentd}
spec:
  selector:
    matchLabels: {app: fluentd}
  template:
    metadata:
      labels: {app: fluentd}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: fluentd
        image: fluent/fluentd:v1.16
"""


@pytest.fixture
def cluster(served: Any) -> Any:
    served.run(install_stand_in, served.cluster)
    return served


def ds_row(cluster: Any) -> list[str]:
    rows = table_rows(cluster.kubectl("get", "ds", "fluentd").stdout)
    assert rows[0] == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE",
                       "NODE SELECTOR", "AGE"]
    return rows[1]


def daemon_pods(cluster: Any) -> list[dict[str, Any]]:
    return json.loads(cluster.kubectl("get", "pods", "-l", "app=fluentd", "-o", "json").stdout)[
        "items"]


def test_s7_a_daemonset_runs_one_pod_on_each_worker(cluster: Any, tmp_path: Path) -> None:
    f = write_manifest(tmp_path, "fluentd.yaml", FLUENTD)
    assert cluster.kubectl("apply", "-f", f).stdout.strip() == "daemonset.apps/fluentd created"
    poll(lambda: ds_row(cluster)[1:6] == ["2", "2", "2", "2", "2"])
    assert ds_row(cluster)[6] == "<none>"
    pods = daemon_pods(cluster)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["minik8s-worker", "minik8s-worker2"]
    assert all(running(p) for p in pods)
    assert cluster.kubectl("rollout", "status", "daemonset/fluentd",
                           "--timeout=20s").stdout.strip() == \
        'daemon set "fluentd" successfully rolled out'


def test_s7_set_image_rolls_the_daemonset_history_lists_it_and_undo_goes_back(
        cluster: Any, tmp_path: Path) -> None:
    f = write_manifest(tmp_path, "fluentd.yaml", FLUENTD)
    cluster.kubectl("apply", "-f", f)
    poll(lambda: ds_row(cluster)[1:6] == ["2", "2", "2", "2", "2"])
    assert cluster.kubectl("set", "image", "daemonset/fluentd",
                           "fluentd=fluent/fluentd:v1.17").stdout.strip() == \
        "daemonset.apps/fluentd image updated"

    def rolled(image: str) -> bool:
        pods = [p for p in daemon_pods(cluster) if not p["metadata"].get("deletionTimestamp")]
        return len(pods) == 2 and all(
            running(p) and p["spec"]["containers"][0]["image"] == image for p in pods)

    poll(lambda: rolled("fluent/fluentd:v1.17"))
    assert cluster.kubectl("rollout", "status", "daemonset/fluentd",
                           "--timeout=20s").stdout.strip() == \
        'daemon set "fluentd" successfully rolled out'
    rows = table_rows(cluster.kubectl("rollout", "history", "daemonset/fluentd").stdout)
    assert rows[0] == ["daemonset.apps/fluentd"]
    assert rows[1] == ["REVISION", "CHANGE-CAUSE"]
    assert [r[0] for r in rows[2:]] == ["1", "2"]

    assert cluster.kubectl("rollout", "undo", "daemonset/fluentd").stdout.strip() == \
        "daemonset.apps/fluentd rolled back"
    poll(lambda: rolled("fluent/fluentd:v1.16"))
    rows = table_rows(cluster.kubectl("rollout", "history", "daemonset/fluentd").stdout)
    assert [r[0] for r in rows[2:]] == ["2", "3"]
