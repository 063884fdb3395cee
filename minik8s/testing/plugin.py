"""The pytest plugin (entry point ``pytest11``): per-test clusters as fixtures.

Fixtures:
- ``minik8s_cluster``: a fresh cluster per test (``TestCluster``: sync methods,
  runs on a background thread; works in sync and async tests, with kubectl and
  blocking client libraries).
- ``minik8s_async_cluster``: a fresh cluster on the test's event loop
  (``AsyncTestCluster``: the same operations as coroutines).
- ``minik8s_session_cluster``: one cluster for the whole session.

Options: ``--minik8s-nodes N``, ``--minik8s-config FILE``,
``--minik8s-clock virtual|real``. Marker: ``@pytest.mark.minik8s(nodes=5,
config={...}, clock="real")``. A failing test that used a cluster gets a
"minik8s cluster" report section: every object and the event log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from minik8s.config import ClusterConfig, NodeConfig, worker_name
from minik8s.testing.cluster import AsyncTestCluster, TestCluster

_HANDLES = pytest.StashKey[list[Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("minik8s", "minik8s in-memory Kubernetes clusters")
    g.addoption("--minik8s-nodes", type=int, default=None,
                help="worker nodes in each test cluster (default: the kind-like 2 workers)")
    g.addoption("--minik8s-config", default=None, help="cluster topology YAML for test clusters")
    g.addoption("--minik8s-clock", choices=("virtual", "real"), default="virtual",
                help="clock of test clusters (default: virtual)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "minik8s(nodes=None, config=None, clock=None): topology/clock of this test's cluster")


def _settings(request: pytest.FixtureRequest) -> tuple[ClusterConfig, str]:
    opt = request.config.getoption
    path = opt("--minik8s-config")
    cfg = ClusterConfig.from_yaml(path) if path else ClusterConfig()
    nodes = opt("--minik8s-nodes")
    clock = opt("--minik8s-clock")
    marker = request.node.get_closest_marker("minik8s") if hasattr(request, "node") else None
    if marker is not None:
        if marker.kwargs.get("config") is not None:
            c = marker.kwargs["config"]
            cfg = c if isinstance(c, ClusterConfig) else ClusterConfig.from_dict(c)
            nodes = None  # the marker's own topology wins over --minik8s-nodes
        nodes = marker.kwargs.get("nodes", nodes)
        clock = marker.kwargs.get("clock") or clock
    if nodes is not None:
        cfg.nodes = [NodeConfig("minik8s-control-plane", role="control-plane")] + [
            NodeConfig(worker_name(i)) for i in range(int(nodes))]
    return cfg, clock


def _track(request: pytest.FixtureRequest, handle: Any) -> None:
    node = request.node
    node.stash.setdefault(_HANDLES, []).append(handle)


@pytest.fixture
def minik8s_cluster(request: pytest.FixtureRequest) -> Iterator[TestCluster]:
    """A fresh cluster for this test (virtual clock by default), served on free ports."""
    cfg, clock = _settings(request)
    tc = TestCluster(cfg, clock=clock)
    _track(request, tc)
    try:
        yield tc
    finally:
        tc.close()


@pytest.fixture
async def minik8s_async_cluster(request: pytest.FixtureRequest) -> AsyncIterator[AsyncTestCluster]:
    """A fresh cluster on the test's event loop; its operations are coroutines."""
    cfg, clock = _settings(request)
    ac = await AsyncTestCluster.start(cfg, clock=clock)
    _track(request, ac)
    try:
        yield ac
    finally:
        await ac.close()


@pytest.fixture(scope="session")
def minik8s_session_cluster(request: pytest.FixtureRequest) -> Iterator[TestCluster]:
    """One cluster shared by the whole session (fork it per test with ``.fork()`` if needed)."""
    cfg, clock = _settings(request)
    tc = TestCluster(cfg, clock=clock)
    try:
        yield tc
    finally:
        tc.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and report.when == "call":
        for h in item.stash.get(_HANDLES, []):
            try:
                report.sections.append(("minik8s cluster", h.dump()))
            except Exception as e:  # noqa: BLE001 - a report must never fail
                report.sections.append(("minik8s cluster", f"(could not dump the cluster: {e})"))
    return report
