"""The example kopf operator (fixtures/operators/database) tested offline against minik8s."""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from minik8s.testing import TestCluster

HERE = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "operators" / "database"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def operator(minik8s_cluster: TestCluster) -> Iterator[TestCluster]:
    from kopf.testing import KopfRunner

    minik8s_cluster.apply(HERE / "crd.yaml")
    with minik8s_cluster.as_current_kubeconfig(), \
            KopfRunner(["run", "--standalone", "-A", "--verbose", str(HERE / "operator.py")],
                       timeout=30) as runner:
        minik8s_cluster.runner = runner  # type: ignore[attr-defined]
        yield minik8s_cluster
    assert runner.exception is None, runner.output


def poll(fn: Any, timeout: float = 15.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_database_becomes_a_statefulset_service_and_secret_then_is_cleaned_up(
        operator: TestCluster) -> None:
    c = operator.client
    operator.apply({"apiVersion": "example.com/v1", "kind": "Database",
                    "metadata": {"name": "orders"}, "spec": {"engine": "postgres", "replicas": 2}})
    sts = poll(lambda: c.get_or_none("apps/v1", "StatefulSet", "orders", "default"))
    assert sts["spec"]["replicas"] == 2
    assert sts["metadata"]["ownerReferences"][0]["kind"] == "Database"
    svc = c.get("v1", "Service", "orders", "default")
    assert svc["spec"]["clusterIP"] == "None"
    assert set(c.get("v1", "Secret", "orders-credentials", "default")["data"]) == {"username", "password"}
    db = poll(lambda: (d := c.get("example.com/v1", "Database", "orders", "default"))
              and d.get("status", {}).get("phase") and d)
    assert db["status"]["endpoint"] == "orders.default.svc.cluster.local:5432"
    assert db["spec"]["storage"] == "1Gi"  # defaulted by the CRD schema
    assert any(f.startswith("kopf.zalando.org/") for f in db["metadata"]["finalizers"])
    out = operator.kubectl("get", "databases")
    assert out.split("\n")[1].split()[:3] == ["orders", "postgres", "2"]

    c.patch("example.com/v1", "Database", "orders", {"spec": {"replicas": 3}}, "default")
    poll(lambda: c.get("apps/v1", "StatefulSet", "orders", "default")["spec"]["replicas"] == 3)

    c.delete("example.com/v1", "Database", "orders", "default")
    poll(lambda: c.get_or_none("example.com/v1", "Database", "orders", "default") is None)
    operator.settle()
    poll(lambda: c.get_or_none("apps/v1", "StatefulSet", "orders", "default") is None)
    assert c.get_or_none("v1", "Secret", "orders-credentials", "default") is None
