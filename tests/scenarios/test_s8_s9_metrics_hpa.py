"""S8 kubectl top and S9 the HorizontalPodAutoscaler, replayed with kubectl (short real-time settings)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from scenario_support import eventually, get_json, kubectl_apply

from minik8s.config import ClusterConfig
from served import ServedCluster

pytestmark = pytest.mark.kubectl

HPA_EXAMPLE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: hpa-example}
spec:
  replicas: 3
  selector: {matchLabels: {app: hpa-example}}
  template:
    metadata: {labels: {app: hpa-example}}
    spec:
      containers:
      - name: hpa-example
        image: gcr.io/google_containers/hpa-example
        ports: [{name: http-port, containerPort: 80}]
        resources: {requests: {cpu: 200m}}
---
apiVersion: v1
kind: Service
metadata: {name: hpa-example}
spec:
  type: NodePort
  selector: {app: hpa-example}
  ports: [{port: 31001, nodePort: 31001, targetPort: http-port, protocol: TCP}]
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: hpa-example-autoscaler}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hpa-example}
  minReplicas: 1
  maxReplicas: 10
  targetCPUUtilizationPercentage: 50
"""


@pytest.fixture
def fast() -> Iterator[ServedCluster]:
    """Real clock, with metrics-server and the HPA sped up (1 s scrape, 1 s sync, 4 s window)."""
    cfg = ClusterConfig(components={"metrics": {"resolution": 1},
                                    "hpa": {"syncPeriod": 1, "downscaleStabilization": 4}})
    sc = ServedCluster(config=cfg)
    try:
        yield sc
    finally:
        sc.close()


def replicas(sc: ServedCluster) -> int:
    return int(get_json(sc, "deployment", "hpa-example")["spec"]["replicas"])


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_s8_kubectl_top_node_and_pod(fast: ServedCluster, version: str) -> None:
    kubectl_apply(fast, HPA_EXAMPLE.split("---")[0])
    fast.kubectl("annotate", "pods", "-l", "app=hpa-example", "minik8s.io/cpu-usage=120m",
                 "minik8s.io/memory-usage=64Mi", version=version)
    out = eventually(lambda: fast.kubectl("top", "node", version=version).stdout)
    lines = out.splitlines()
    # kubectl 1.33 renamed the percentage columns
    pct = ["CPU%", "MEMORY%"] if version < "1.33" else ["CPU(%)", "MEMORY(%)"]
    assert lines[0].split() == ["NAME", "CPU(cores)", pct[0], "MEMORY(bytes)", pct[1]]
    assert len(lines) == 4
    pods_out = eventually(lambda: (o := fast.kubectl("top", "pod", "-l", "app=hpa-example",
                                                     version=version, check=False).stdout)
                          and o.count("120m") == 3 and o)
    assert "64Mi" in pods_out
    c = fast.kubectl("top", "pod", "--containers", "-A", version=version).stdout
    assert "hpa-example" in c and "POD" in c


def test_s9_hpa_scales_with_load_through_the_service_and_back(fast: ServedCluster) -> None:
    kubectl_apply(fast, HPA_EXAMPLE)
    first = fast.kubectl("get", "hpa").stdout
    assert "<unknown>/50%" in first
    # idle: 3 pods at 1m → scaled down to the minimum after the (shortened) window
    eventually(lambda: replicas(fast) == 1, timeout=30)
    hpa = fast.kubectl("get", "hpa").stdout
    assert "cpu: 0%/50%" in hpa or "cpu: 1%/50%" in hpa
    # load: 276m through the Service = 138% of one pod's 200m → ceil(1 × 138/50) = 3
    fast.kubectl("annotate", "service", "hpa-example", "minik8s.io/cpu-demand=276m")
    eventually(lambda: replicas(fast) == 3, timeout=30)
    described = fast.kubectl("describe", "hpa", "hpa-example-autoscaler").stdout
    assert "SuccessfulRescale" in described and "New size: 3" in described
    # heavy load → the maximum
    fast.kubectl("annotate", "--overwrite", "service", "hpa-example", "minik8s.io/cpu-demand=10")
    eventually(lambda: replicas(fast) == 10, timeout=40)
    # load stops → back to the minimum after the window
    fast.kubectl("annotate", "service", "hpa-example", "minik8s.io/cpu-demand-")
    eventually(lambda: replicas(fast) == 1, timeout=40)
    v2 = json.loads(fast.kubectl("get", "horizontalpodautoscalers.v2.autoscaling", "hpa-example-autoscaler", "-o", "json").stdout)
    conds = {c["type"]: c["reason"] for c in v2["status"]["conditions"]}
    assert conds["ScalingActive"] == "ValidMetricFound"


@pytest.mark.parametrize("version", ["1.27", "1.32", "1.33"])
def test_kubectl_autoscale_works_on_every_version(fast: ServedCluster, version: str) -> None:
    kubectl_apply(fast, HPA_EXAMPLE.split("---")[0])
    out = fast.kubectl("autoscale", "deployment", "hpa-example", "--cpu-percent=50", "--min=1", "--max=10",
                       version=version).stdout
    assert "horizontalpodautoscaler.autoscaling/hpa-example autoscaled" in out
    v1 = get_json(fast, "horizontalpodautoscalers.v1.autoscaling", "hpa-example")
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 50
