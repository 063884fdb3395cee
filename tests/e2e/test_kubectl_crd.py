"""Scenario S13: a CustomResourceDefinition served like a built-in, driven by kubectl."""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator

import pytest

from served import ServedCluster

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "crd"
pytestmark = pytest.mark.kubectl


@pytest.fixture(params=["1.27", "1.33"])
def crd_cluster(request: pytest.FixtureRequest) -> Iterator[tuple[ServedCluster, str]]:
    sc = ServedCluster()
    try:
        sc.kubectl("apply", "-f", str(DATA / "crd.yaml"), version=request.param)
        sc.settle()
        yield sc, request.param
    finally:
        sc.close()


def test_a_crd_is_established_and_its_resource_is_discoverable(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    crd = json.loads(sc.kubectl("get", "crd", "crontabs.stable.example.com", "-o", "json", version=v).stdout)
    conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conds == {"NamesAccepted": "True", "Established": "True"}
    assert crd["status"]["acceptedNames"]["listKind"] == "CronTabList"
    out = sc.kubectl("api-resources", "--api-group=stable.example.com", version=v).stdout
    assert "crontabs" in out and "ct" in out and "CronTab" in out


def test_custom_resources_print_their_additional_columns(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    assert "created" in sc.kubectl("apply", "-f", str(DATA / "ct.yaml"), version=v).stdout
    lines = sc.kubectl("get", "ct", version=v).stdout.splitlines()
    assert lines[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert lines[1].split()[:7] == ["my-new-cron-object", "*", "*", "*", "*", "*/5", "1"]


def test_an_invalid_custom_resource_is_rejected_with_every_field_error(
        crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    p = sc.kubectl("apply", "-f", str(DATA / "bad.yaml"), version=v, check=False)
    assert p.returncode == 1
    assert 'The CronTab "bad-cron" is invalid' in p.stderr
    assert "* spec.image: Required value" in p.stderr
    assert ("spec.cronSpec: Invalid value: \"* * * *\": spec.cronSpec in body should match "
            in p.stderr)
    assert "spec.replicas in body should be less than or equal to 10" in p.stderr


def test_defaults_from_the_schema_are_applied(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    sc.kubectl("apply", "-f", str(DATA / "ct.yaml"), version=v)
    obj = json.loads(sc.kubectl("get", "ct", "my-new-cron-object", "-o", "json", version=v).stdout)
    assert obj["spec"]["replicas"] == 1


def test_unknown_fields_are_rejected_under_strict_validation(
        crd_cluster: tuple[ServedCluster, str], tmp_path: pathlib.Path) -> None:
    sc, v = crd_cluster
    f = tmp_path / "extra.yaml"
    f.write_text((DATA / "ct.yaml").read_text() + "  bogus: 1\n")
    p = sc.kubectl("create", "-f", str(f), version=v, check=False)
    assert p.returncode == 1
    assert 'strict decoding error: unknown field "spec.bogus"' in p.stderr


def test_status_subresource_and_scale(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    sc.kubectl("apply", "-f", str(DATA / "ct.yaml"), version=v)
    sc.kubectl("patch", "ct", "my-new-cron-object", "--type=merge", "-p",
               '{"status":{"replicas":5}}', version=v)
    obj = json.loads(sc.kubectl("get", "ct", "my-new-cron-object", "-o", "json", version=v).stdout)
    assert "replicas" not in obj.get("status", {})  # the main resource ignores status
    sc.kubectl("patch", "ct", "my-new-cron-object", "--subresource=status", "--type=merge", "-p",
               '{"status":{"replicas":5}}', version="1.33")
    assert "scaled" in sc.kubectl("scale", "ct", "my-new-cron-object", "--replicas=3", version=v).stdout
    obj = json.loads(sc.kubectl("get", "ct", "my-new-cron-object", "-o", "json", version=v).stdout)
    assert obj["spec"]["replicas"] == 3 and obj["status"]["replicas"] == 5
    assert obj["metadata"]["generation"] == 2


def test_explain_describes_a_custom_resource(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    out = sc.kubectl("explain", "crontab.spec", version=v).stdout
    assert "cronSpec\t<string>" in out and "The schedule in cron format." in out
    assert "image\t<string> -required-" in out


def test_deleting_the_crd_removes_its_resource_and_objects(crd_cluster: tuple[ServedCluster, str]) -> None:
    sc, v = crd_cluster
    sc.kubectl("apply", "-f", str(DATA / "ct.yaml"), version=v)
    sc.kubectl("delete", "crd", "crontabs.stable.example.com", version=v)
    sc.settle()
    deadline = time.time() + 5
    while sc.cluster.table.by_key("crontabs.stable.example.com") is not None and time.time() < deadline:
        time.sleep(0.05)
    assert sc.cluster.table.by_key("crontabs.stable.example.com") is None
    assert sc.cluster.store.resource("crontabs.stable.example.com").objects == {}
    p = sc.kubectl("get", "crd", version=v, check=False)
    assert "crontabs" not in p.stdout
