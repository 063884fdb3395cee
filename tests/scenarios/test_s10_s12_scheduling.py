"""S10 node affinity, S11 inter-pod (anti-)affinity, S12 taints and tolerations, replayed with kubectl."""

from __future__ import annotations

import pytest
from scenario_support import eventually, get_json, kubectl_apply, pods

from served import ServedCluster

pytestmark = pytest.mark.kubectl

S10 = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: node-affinity}
spec:
  replicas: 3
  selector: {matchLabels: {app: node-affinity}}
  template:
    metadata: {labels: {app: node-affinity}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: env, operator: In, values: [dev]}
      containers:
      - {name: k8s-demo, image: wardviaene/k8s-demo, ports: [{name: nodejs-port, containerPort: 3000}]}
"""

S10_MESSAGE = ("0/3 nodes are available: 1 node(s) had untolerated taint "
               "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node "
               "affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful "
               "for scheduling.")


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_s10_required_node_affinity_waits_for_a_labelled_node(served: ServedCluster, version: str) -> None:
    kubectl_apply(served, S10, version)
    eventually(lambda: len(pods(served, "app=node-affinity")) == 3)
    pod = pods(served, "app=node-affinity")[0]
    name = pod["metadata"]["name"]
    events = eventually(lambda: [e for e in get_json(served, "events")["items"]
                                 if e["involvedObject"]["name"] == name and e["reason"] == "FailedScheduling"])
    assert events[0]["message"] == S10_MESSAGE
    out = served.kubectl("describe", "pod", name, version=version).stdout
    assert "FailedScheduling" in out and "didn't match Pod's node affinity/selector" in out
    served.kubectl("label", "node", "minik8s-worker", "env=dev", version=version)

    def all_running_on_worker() -> bool:
        ps = pods(served, "app=node-affinity")
        return len(ps) == 3 and all(p["spec"].get("nodeName") == "minik8s-worker" and
                                    p["status"].get("phase") == "Running" for p in ps)
    eventually(all_running_on_worker)
    table = served.kubectl("get", "pods", "-o", "wide", version=version).stdout
    assert table.count("Running") == 3 and table.count("minik8s-worker ") == 3


def test_s10_preferred_terms_add_their_weights(served: ServedCluster) -> None:
    served.kubectl("label", "node", "minik8s-worker", "disk=ssd")
    served.kubectl("label", "node", "minik8s-worker2", "disk=ssd", "gpu=yes")
    kubectl_apply(served, """
apiVersion: v1
kind: Pod
metadata: {name: prefers}
spec:
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 10, preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}
      - {weight: 50, preference: {matchExpressions: [{key: gpu, operator: Exists}]}}
  containers: [{name: c, image: nginx}]
""")
    assert eventually(lambda: get_json(served, "pod", "prefers")["spec"].get("nodeName")) == "minik8s-worker2"


S11 = """
apiVersion: v1
kind: Pod
metadata: {name: pod-affinity-1, labels: {app: pod-affinity-1}}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pod-affinity-2}
spec:
  replicas: 3
  selector: {matchLabels: {app: pod-affinity-2}}
  template:
    metadata: {labels: {app: pod-affinity-2}}
    spec:
      affinity:
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions: [{key: app, operator: In, values: [pod-affinity-1]}]
            topologyKey: kubernetes.io/hostname
      containers: [{name: c, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pod-anti-affinity}
spec:
  replicas: 2
  selector: {matchLabels: {app: pod-anti-affinity}}
  template:
    metadata: {labels: {app: pod-anti-affinity}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions: [{key: app, operator: In, values: [pod-anti-affinity]}]
            topologyKey: kubernetes.io/hostname
      containers: [{name: c, image: nginx}]
"""


def test_s11_affinity_colocates_and_anti_affinity_spreads(served: ServedCluster) -> None:
    kubectl_apply(served, S11)
    first = eventually(lambda: get_json(served, "pod", "pod-affinity-1")["spec"].get("nodeName"))
    eventually(lambda: len([p for p in pods(served, "app=pod-affinity-2") if p["spec"].get("nodeName")]) == 3)
    assert {p["spec"]["nodeName"] for p in pods(served, "app=pod-affinity-2")} == {first}
    eventually(lambda: len([p for p in pods(served, "app=pod-anti-affinity") if p["spec"].get("nodeName")]) == 2)
    assert len({p["spec"]["nodeName"] for p in pods(served, "app=pod-anti-affinity")}) == 2
    served.kubectl("scale", "deployment", "pod-anti-affinity", "--replicas=3")
    third = eventually(lambda: [p for p in pods(served, "app=pod-anti-affinity")
                                if p["status"].get("conditions") and any(
                                    c.get("reason") == "Unschedulable" for c in p["status"]["conditions"])])
    assert "didn't match pod anti-affinity rules" in third[0]["status"]["conditions"][-1]["message"]


def deployment(name: str, tolerations: str = "") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 4
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: c, image: nginx}}]
{tolerations}
"""


def test_s12_a_tainted_worker_only_gets_tolerating_pods(served: ServedCluster) -> None:
    out = served.kubectl("taint", "nodes", "minik8s-worker", "type=specialnode:NoSchedule").stdout
    assert "node/minik8s-worker tainted" in out
    kubectl_apply(served, deployment("tolerations-1"))
    kubectl_apply(served, deployment("tolerations-2", """      tolerations:
      - {key: type, operator: Equal, value: specialnode, effect: NoSchedule}"""))
    eventually(lambda: all(p["spec"].get("nodeName") for p in pods(served, "app in (tolerations-1,tolerations-2)"))
               and len(pods(served, "app in (tolerations-1,tolerations-2)")) == 8)
    assert {p["spec"]["nodeName"] for p in pods(served, "app=tolerations-1")} == {"minik8s-worker2"}
    assert "minik8s-control-plane" not in {p["spec"]["nodeName"] for p in pods(served, "app=tolerations-2")}
    out = served.kubectl("taint", "nodes", "minik8s-worker", "type-").stdout
    assert "node/minik8s-worker untainted" in out
    node = get_json(served, "node", "minik8s-worker")
    assert not node["spec"].get("taints")


def test_s12_no_execute_evicts_pods_that_do_not_tolerate_it(served: ServedCluster) -> None:
    kubectl_apply(served, """
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeName: minik8s-worker
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: patient}
spec:
  nodeName: minik8s-worker
  tolerations: [{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}]
  containers: [{name: c, image: nginx}]
""")
    eventually(lambda: get_json(served, "pod", "pinned")["status"].get("phase") == "Running")
    served.kubectl("taint", "nodes", "minik8s-worker", "maintenance=now:NoExecute")
    eventually(lambda: "pinned" not in served.kubectl("get", "pods", "-o", "name").stdout)
    assert "pod/patient" in served.kubectl("get", "pods", "-o", "name").stdout


def test_s12_cordon_and_drain_use_the_eviction_subresource(served: ServedCluster) -> None:
    kubectl_apply(served, deployment("drained"))
    eventually(lambda: len([p for p in pods(served, "app=drained") if p["status"].get("phase") == "Running"]) == 4)
    out = served.kubectl("drain", "minik8s-worker", "--ignore-daemonsets", "--delete-emptydir-data",
                         "--timeout=30s").stdout
    assert "node/minik8s-worker cordoned" in out and "evicted" in out
    assert "Ready,SchedulingDisabled" in served.kubectl("get", "node", "minik8s-worker").stdout
    eventually(lambda: len(pods(served, "app=drained")) == 4 and all(
        p["spec"].get("nodeName") == "minik8s-worker2" for p in pods(served, "app=drained")))
    served.kubectl("uncordon", "minik8s-worker")
