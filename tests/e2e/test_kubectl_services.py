"""Scenario S1 (notes 4-1, service discovery) replayed with kubectl against a served cluster.

The manifests are the notes' own. The cluster runs every default component on the real
clock, so the LoadBalancer address (service controller) and, once the scheduler, kubelet and
Deployment controller exist, the Endpoints of running pods come from the controllers.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import eventually, table_rows, write_manifest

pytestmark = pytest.mark.kubectl

SECRETS = """\
apiVersion: v1
kind: Secret
metadata:
  name: helloworld-secrets
type: Opaque
data:
  username: aGVsbG93b3JsZA==
  password: cGFzc3dvcmQ=
  rootPassword: cm9vdHBhc3N3b3Jk
  database: aGVsbG93b3JsZA==
"""

DATABASE = """\
apiVersion: v1
kind: Pod
metadata:
  name: database
  labels:
    app: database
spec:
  containers:
  - name: mysql
    image: mysql:5.7
    ports:
    - name: mysql-port
      containerPort: 3306
    env:
      - name: MYSQL_ROOT_PASSWORD
        valueFrom:
          secretKeyRef:
            name: helloworld-secrets
            key: rootPassword
      - name: MYSQL_USER
        valueFrom:
          secretKeyRef:
            name: helloworld-secrets
            key: username
      - name: MYSQL_PASSWORD
        valueFrom:
          secretKeyRef:
            name: helloworld-secrets
            key: password
      - name: MYSQL_DATABASE
        valueFrom:
          secretKeyRef:
            name: helloworld-secrets
            key: database
"""

DATABASE_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: database-service
spec:
  ports:
  - port: 3306
    protocol: TCP
  selector:
    app: database
  type: NodePort
"""

HELLOWORLD_DB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloworld-deployment
spec:
  replicas: 3
  selector:
    matchLabels:
      app: helloworld-db
  template:
    metadata:
      labels:
        app: helloworld-db
    spec:
      containers:
      - name: k8s-demo
        image: wardviaene/k8s-demo
        command: ["node", "index-db.js"]
        ports:
        - name: nodejs-port
          containerPort: 3000
        env:
          - name: MYSQL_HOST
            value: database-service
          - name: MYSQL_USER
            value: root
          - name: MYSQL_PASSWORD
            valueFrom:
              secretKeyRef:
                name: helloworld-secrets
                key: rootPassword
          - name: MYSQL_DATABASE
            valueFrom:
              secretKeyRef:
                name: helloworld-secrets
                key: database
"""

HELLOWORLD_DB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: helloworld-db-service
spec:
  ports:
  - port: 3000
    protocol: TCP
  selector:
    app: helloworld-db
  type: NodePort
"""

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def rows_by_name(stdout: str) -> dict[str, list[str]]:
    rows = table_rows(stdout)
    return {r[0]: r for r in rows[1:]}


def create(served: Any, tmp_path: Path, name: str, text: str) -> str:
    return str(served.kubectl("create", "-f", write_manifest(tmp_path, name, text)).stdout.strip())


def setup_s1(served: Any, tmp_path: Path) -> None:
    assert create(served, tmp_path, "secrets.yml", SECRETS) == "secret/helloworld-secrets created"
    assert create(served, tmp_path, "database.yml", DATABASE) == "pod/database created"
    assert create(served, tmp_path, "database-service.yml", DATABASE_SERVICE) == \
        "service/database-service created"
    assert create(served, tmp_path, "helloworld-db.yml", HELLOWORLD_DB) == \
        "deployment.apps/helloworld-deployment created"
    assert create(served, tmp_path, "helloworld-db-service.yml", HELLOWORLD_DB_SERVICE) == \
        "service/helloworld-db-service created"


def test_s1_secret_shows_four_data_items(served: Any, tmp_path: Path) -> None:
    create(served, tmp_path, "secrets.yml", SECRETS)
    rows = table_rows(served.kubectl("get", "secrets").stdout)
    assert rows[0][:3] == ["NAME", "TYPE", "DATA"]
    assert rows_by_name(served.kubectl("get", "secrets").stdout)["helloworld-secrets"][:3] == [
        "helloworld-secrets", "Opaque", "4"]


def test_s1_services_get_cluster_ips_node_ports_and_an_external_ip(served: Any,
                                                                   tmp_path: Path) -> None:
    setup_s1(served, tmp_path)
    out = served.kubectl("expose", "deployment", "helloworld-deployment", "--type=LoadBalancer",
                         "--name=helloworld-my-service").stdout.strip()
    assert out == "service/helloworld-my-service exposed"

    def services() -> dict[str, list[str]] | None:
        rows = rows_by_name(served.kubectl("get", "services").stdout)
        lb = rows.get("helloworld-my-service")
        return rows if lb is not None and lb[3] != "<pending>" else None

    rows = eventually(services)
    assert table_rows(served.kubectl("get", "services").stdout)[0] == [
        "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    for name, type_, port in (("database-service", "NodePort", 3306),
                              ("helloworld-db-service", "NodePort", 3000),
                              ("helloworld-my-service", "LoadBalancer", 3000)):
        row = rows[name]
        assert row[1] == type_
        assert ipaddress.ip_address(row[2]) in SERVICE_CIDR
        m = re.fullmatch(rf"{port}:(\d+)/TCP", row[4])
        assert m is not None and 30000 <= int(m.group(1)) <= 32767, row
    assert rows["database-service"][3] == "<none>"
    assert rows["helloworld-my-service"][3] == "172.18.255.200"
    assert rows["kubernetes"][1:5] == ["ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    svc = served.run(served.client.get, "v1", "Service", "helloworld-my-service", "default")
    assert svc["spec"]["selector"] == {"app": "helloworld-db"}
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "172.18.255.200", "ipMode": "VIP"}]


def test_s1_endpoints_list_the_running_pods(served: Any, tmp_path: Path) -> None:
    setup_s1(served, tmp_path)

    def endpoints() -> dict[str, list[str]] | None:
        rows = rows_by_name(served.kubectl("get", "endpoints").stdout)
        db, web = rows.get("database-service"), rows.get("helloworld-db-service")
        if db is None or web is None or "<none>" in (db[1], web[1]):
            return None
        return rows if len(web[1].split(",")) == 3 else None

    rows = eventually(endpoints, timeout=20)
    pods = served.run(served.client.list, "v1", "Pod", "default").items
    ip = {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}
    assert rows["database-service"][1] == f"{ip['database']}:3306"
    web = sorted(f"{v}:3000" for k, v in ip.items() if k.startswith("helloworld-deployment-"))
    assert sorted(rows["helloworld-db-service"][1].split(",")) == web
    assert rows["kubernetes"][1].startswith("172.18.0.3:")   # the API server, left as it is
