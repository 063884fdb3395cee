"""S2 ConfigMap, S3 Ingress + External DNS, S4 volumes, S5 PodPreset, S6 StatefulSet with claims and DNS,
replayed with kubectl (and dnspython for the DNS steps)."""

from __future__ import annotations

import pathlib

import dns.message
import dns.query
import pytest
from scenario_support import eventually, get_json, kubectl_apply

from served import ServedCluster

pytestmark = pytest.mark.kubectl


def dig(sc: ServedCluster, name: str, rtype: str = "A") -> list[str]:
    host, port = sc.cluster.dns_address  # type: ignore[misc]
    m = dns.query.udp(dns.message.make_query(name, rtype), host, port=port, timeout=2)
    return sorted(r.to_text() for rrset in m.answer for r in rrset)


NGINX_POD = """
apiVersion: v1
kind: Pod
metadata: {name: helloworld-nginx, labels: {app: helloworld-nginx}}
spec:
  containers:
  - name: nginx
    image: nginx:1.11
    ports: [{containerPort: 80}]
    volumeMounts: [{name: config-volume, mountPath: /etc/nginx/conf.d}]
  - name: k8s-demo
    image: wardviaene/k8s-demo
    ports: [{containerPort: 3000}]
  volumes:
  - name: config-volume
    configMap:
      name: nginx-config
      items: [{key: reverseproxy.conf, path: reverseproxy.conf}]
"""


def test_s2_a_pod_mounting_a_missing_configmap_waits_then_runs(served: ServedCluster,
                                                               tmp_path: pathlib.Path) -> None:
    kubectl_apply(served, NGINX_POD)
    eventually(lambda: "ContainerCreating" in served.kubectl("get", "pod", "helloworld-nginx").stdout)
    eventually(lambda: any(e["reason"] == "FailedMount" and 'configmap "nginx-config" not found' in e["message"]
                           for e in get_json(served, "events")["items"]))
    conf = tmp_path / "reverseproxy.conf"
    conf.write_text("server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:3000; }\n}\n")
    served.kubectl("create", "configmap", "nginx-config", f"--from-file={conf}")
    cm = served.kubectl("get", "configmap", "nginx-config", "-o", "yaml").stdout
    assert "reverseproxy.conf: |" in cm and "proxy_pass http://127.0.0.1:3000;" in cm
    eventually(lambda: "2/2     Running" in served.kubectl("get", "pod", "helloworld-nginx").stdout)


def test_s3_an_ingress_gets_an_address_and_its_host_resolves(served: ServedCluster) -> None:
    served.kubectl("create", "deployment", "web", "--image=nginx")
    served.kubectl("expose", "deployment", "web", "--port=80")
    out = served.kubectl("create", "ingress", "web", "--class=nginx",
                         "--rule=helloworld-v1.example.com/*=web:80").stdout
    assert "ingress.networking.k8s.io/web created" in out
    addr = eventually(lambda: get_json(served, "ingress", "web")["status"]["loadBalancer"].get("ingress"))
    ip = addr[0]["ip"]
    assert ip in served.kubectl("get", "ingress", "web").stdout
    assert dig(served, "helloworld-v1.example.com") == [ip]
    route = served.cluster.route("http://helloworld-v1.example.com/anything")
    assert route is not None and route.service == "web"
    served.kubectl("delete", "ingress", "web")
    eventually(lambda: dig(served, "helloworld-v1.example.com") == [])


def test_s3_annotated_load_balancers_get_external_dns_names(served: ServedCluster) -> None:
    served.kubectl("create", "deployment", "web", "--image=nginx")
    served.kubectl("expose", "deployment", "web", "--port=80", "--type=LoadBalancer", "--name=web-lb")
    served.kubectl("annotate", "service", "web-lb", "external-dns.alpha.kubernetes.io/hostname=app.example.com")
    ip = eventually(lambda: get_json(served, "service", "web-lb")["status"]["loadBalancer"].get("ingress"))[0]["ip"]
    assert eventually(lambda: dig(served, "app.example.com") == [ip])


def test_s4_a_retained_dynamic_volume_is_released_with_its_claim(served: ServedCluster) -> None:
    kubectl_apply(served, """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard-retain}
provisioner: kubernetes.io/aws-ebs
parameters: {type: gp2, zone: eu-west-1a}
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: myclaim}
spec:
  storageClassName: standard-retain
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 8Gi}}
""")
    line = eventually(lambda: [l for l in served.kubectl("get", "pvc").stdout.splitlines()
                               if l.startswith("myclaim") and " Bound " in l])[0]
    assert "pvc-" in line and "8Gi" in line and "RWO" in line and "standard-retain" in line
    pv = line.split()[2]
    assert get_json(served, "pv", pv)["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    served.kubectl("delete", "pvc", "myclaim")
    eventually(lambda: get_json(served, "pv", pv)["status"]["phase"] == "Released")
    kubectl_apply(served, """
apiVersion: v1
kind: Pod
metadata: {name: ebs-inline}
spec:
  containers: [{name: c, image: nginx, volumeMounts: [{name: v, mountPath: /data}]}]
  volumes: [{name: v, awsElasticBlockStore: {volumeID: vol-0123456789abcdef0, fsType: ext4}}]
""")
    assert get_json(served, "pod", "ebs-inline")["spec"]["volumes"][0]["awsElasticBlockStore"] == {
        "volumeID": "vol-0123456789abcdef0", "fsType": "ext4"}


PRESETS = """
apiVersion: settings.k8s.io/v1alpha1
kind: PodPreset
metadata: {name: share-credential}
spec:
  selector: {matchLabels: {app: myapp}}
  env: [{name: MY_SECRET, value: "123456"}]
  volumeMounts: [{mountPath: /share, name: share-volume}]
  volumes: [{name: share-volume, emptyDir: {}}]
"""


def test_s5_pod_presets_inject_into_matching_pods(served: ServedCluster) -> None:
    kubectl_apply(served, PRESETS)
    kubectl_apply(served, """
apiVersion: v1
kind: Pod
metadata: {name: myapp, labels: {app: myapp}}
spec:
  containers: [{name: a, image: busybox}, {name: b, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec:
  containers: [{name: a, image: busybox}]
""")
    pod = get_json(served, "pod", "myapp")
    for c in pod["spec"]["containers"]:
        assert {"name": "MY_SECRET", "value": "123456"} in c["env"]
        assert {"mountPath": "/share", "name": "share-volume"} in c["volumeMounts"]
    assert "podpreset.admission.kubernetes.io/podpreset-share-credential" in pod["metadata"]["annotations"]
    assert all("env" not in c for c in get_json(served, "pod", "other")["spec"]["containers"])
    kubectl_apply(served, PRESETS.replace("share-credential", "conflicting").replace('"123456"', '"999"'))
    kubectl_apply(served, """
apiVersion: v1
kind: Pod
metadata: {name: clash, labels: {app: myapp}}
spec:
  containers: [{name: a, image: busybox}]
""")
    assert all("env" not in c for c in get_json(served, "pod", "clash")["spec"]["containers"])
    assert "conflict occurred while applying podpresets" in served.kubectl("describe", "pod", "clash").stdout


CASSANDRA = """
apiVersion: v1
kind: Service
metadata: {name: cassandra, labels: {app: cassandra}}
spec:
  clusterIP: None
  ports: [{port: 9042}]
  selector: {app: cassandra}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cassandra, labels: {app: cassandra}}
spec:
  serviceName: cassandra
  replicas: 3
  selector: {matchLabels: {app: cassandra}}
  template:
    metadata: {labels: {app: cassandra}}
    spec:
      terminationGracePeriodSeconds: 1800
      containers:
      - name: cassandra
        image: gcr.io/google-samples/cassandra:v14
        ports: [{containerPort: 7000, name: intra-node}, {containerPort: 9042, name: cql}]
        resources: {limits: {cpu: 500m, memory: 1Gi}, requests: {cpu: 500m, memory: 1Gi}}
        volumeMounts: [{name: cassandra-data, mountPath: /cassandra_data}]
  volumeClaimTemplates:
  - metadata: {name: cassandra-data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: standard
      resources: {requests: {storage: 8Gi}}
"""


def test_s6_cassandra_ordered_identity_claims_and_dns(served: ServedCluster) -> None:
    kubectl_apply(served, CASSANDRA)

    def running() -> list[str]:
        return sorted(p["metadata"]["name"] for p in get_json(served, "pods", "-l", "app=cassandra")["items"]
                      if p["status"].get("phase") == "Running")
    eventually(lambda: running() == ["cassandra-0", "cassandra-1", "cassandra-2"], timeout=30)
    created = {p["metadata"]["name"]: p["metadata"]["creationTimestamp"]
               for p in get_json(served, "pods", "-l", "app=cassandra")["items"]}
    assert created["cassandra-0"] <= created["cassandra-1"] <= created["cassandra-2"]
    pvcs = served.kubectl("get", "pvc").stdout
    for i in range(3):
        line = next(l for l in pvcs.splitlines() if l.startswith(f"cassandra-data-cassandra-{i}"))
        assert " Bound " in line and "8Gi" in line and "RWO" in line and "standard" in line
    ip1 = get_json(served, "pod", "cassandra-1")["status"]["podIP"]
    assert dig(served, "cassandra-1.cassandra.default.svc.cluster.local") == [ip1]
    assert len(dig(served, "cassandra.default.svc.cluster.local")) == 3
    claim = get_json(served, "pod", "cassandra-2")["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    volume = get_json(served, "pvc", claim)["spec"]["volumeName"]
    served.kubectl("delete", "pod", "cassandra-2", "--wait=false")
    eventually(lambda: (p := get_json(served, "pod", "cassandra-2"))["status"].get("phase") == "Running"
               and not p["metadata"].get("deletionTimestamp"), timeout=40)
    assert get_json(served, "pod", "cassandra-2")["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim
    assert get_json(served, "pvc", claim)["spec"]["volumeName"] == volume
