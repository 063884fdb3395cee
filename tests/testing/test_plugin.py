"""The pytest plugin as a user meets it: options, the marker, the fixtures, the failure report."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture(autouse=True)
def user_ini(pytester: pytest.Pytester) -> None:
    """The inner runs get a user's ordinary configuration (pytest-asyncio wants its loop scope)."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")


NODES_TEST = """
def test_nodes(minik8s_cluster):
    names = [n["metadata"]["name"] for n in minik8s_cluster.client.list("v1", "Node").items]
    assert len(names) == {count}, names
"""


def test_the_nodes_option_sets_the_worker_count(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(NODES_TEST.format(count=5))
    pytester.runpytest("--minik8s-nodes", "4", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_marker_overrides_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.minik8s(nodes=1)
        def test_one_worker(minik8s_cluster):
            assert len(minik8s_cluster.client.list("v1", "Node").items) == 2

        @pytest.mark.minik8s(config={"nodes": [{"name": "solo", "role": "control-plane"}]})
        def test_a_config_dict(minik8s_cluster):
            assert [n["metadata"]["name"] for n in minik8s_cluster.client.list("v1", "Node").items] == ["solo"]

        def test_the_option(minik8s_cluster):
            assert len(minik8s_cluster.client.list("v1", "Node").items) == 4
    """)
    pytester.runpytest("--minik8s-nodes=3", "-p", "no:cacheprovider", "--strict-markers").assert_outcomes(passed=3)


def test_the_config_option_reads_a_topology_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", topology="""
        nodes:
          - {name: cp, role: control-plane}
          - {name: gpu-1, labels: {accelerator: gpu}}
    """)
    pytester.makepyfile("""
        def test_topology(minik8s_cluster):
            node = minik8s_cluster.client.get("v1", "Node", "gpu-1")
            assert node["metadata"]["labels"]["accelerator"] == "gpu"
    """)
    pytester.runpytest("--minik8s-config", "topology.yaml", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_clock_option_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        def test_option_clock(minik8s_cluster):
            assert not minik8s_cluster.cluster.clock.virtual

        @pytest.mark.minik8s(clock="virtual")
        def test_marker_clock(minik8s_cluster):
            assert minik8s_cluster.cluster.clock.virtual
    """)
    pytester.runpytest("--minik8s-clock=real", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_async_fixture_runs_on_the_tests_loop(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import asyncio

        async def test_async(minik8s_async_cluster):
            assert minik8s_async_cluster.cluster.clock.virtual
            await minik8s_async_cluster.apply({"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": "cm"}, "data": {"a": "b"}})
            assert minik8s_async_cluster.client.get("v1", "ConfigMap", "cm", "default")["data"] == {"a": "b"}
            before = minik8s_async_cluster.cluster.clock.now()
            await minik8s_async_cluster.advance(30)
            assert minik8s_async_cluster.cluster.clock.now() == before + 30
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_session_cluster_is_shared(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        seen = []

        def test_first(minik8s_session_cluster):
            seen.append(minik8s_session_cluster)
            minik8s_session_cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})

        def test_second(minik8s_session_cluster):
            assert minik8s_session_cluster is seen[0]
            assert minik8s_session_cluster.client.get_or_none("v1", "ConfigMap", "x", "default")
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_failing_test_reports_the_cluster(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_fails(minik8s_cluster):
            minik8s_cluster.apply({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
            assert False, "boom"

        def test_passes(minik8s_cluster):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    section = out.split("- minik8s cluster -", 1)[1]
    for line in ("== deployments.apps (1)", "  default/web", "== pods (2)", "== events",
                 "Running minik8s-worker", "ScalingReplicaSet Deployment/web"):
        assert line in section, line
    assert out.count("- minik8s cluster -") == 1  # only the failing test


def test_pytest_help_lists_the_options() -> None:
    out = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                         check=False, capture_output=True, text=True, timeout=120).stdout
    for option in ("--minik8s-nodes", "--minik8s-config", "--minik8s-clock"):
        assert option in out
    assert "minik8s in-memory Kubernetes clusters" in out
