"""`minik8s serve` as a user runs it: starts fast, writes or merges a kubeconfig, serves kubectl,
answers health checks, stops cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import yaml

from served import KUBECTL_DIR

pytestmark = pytest.mark.kubectl


def start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, float]:
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "minik8s.cli", "serve", "--port", "0", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, **(env or {})})
    assert p.stdout is not None
    line = p.stdout.readline()
    took = time.perf_counter() - t
    assert line.startswith("minik8s serving the Kubernetes API at http://127.0.0.1:"), line
    url = line.split(" at ")[1].split()[0]
    return p, url, took


def kubectl(kubeconfig: str, *args: str) -> str:
    out = subprocess.run([os.path.join(KUBECTL_DIR, "kubectl"), "--kubeconfig", kubeconfig, *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_serve_with_a_standalone_kubeconfig_then_sigterm(tmp_path: pathlib.Path) -> None:
    kc = tmp_path / "kubeconfig"
    p, url, took = start(["--kubeconfig", str(kc)])
    try:
        cfg = yaml.safe_load(kc.read_text())
        assert cfg["current-context"] == "minik8s" and cfg["clusters"][0]["cluster"]["server"] == url
        nodes = kubectl(str(kc), "get", "nodes")
        assert "minik8s-control-plane" in nodes and "minik8s-worker2" in nodes
        assert kubectl(str(kc), "get", "--raw", "/readyz") == "ok"
        assert "v1.33" in kubectl(str(kc), "version")
        assert took < 5  # the figure itself is measured in bench/ (target 0.5 s)
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
    assert p.returncode == 0 and "stopping" in out


def test_serve_merges_a_minik8s_context_without_touching_others(tmp_path: pathlib.Path) -> None:
    kc = tmp_path / "config"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "prod",
        "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example.com"}}],
        "users": [{"name": "prod", "user": {"token": "secret"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "prod"}}]}))
    p, url, _ = start([], env={"KUBECONFIG": str(kc)})
    try:
        cfg = yaml.safe_load(kc.read_text())
        assert cfg["current-context"] == "minik8s"
        assert {c["name"] for c in cfg["contexts"]} == {"prod", "minik8s"}
        assert next(u for u in cfg["users"] if u["name"] == "prod")["user"] == {"token": "secret"}
        assert "minik8s-worker" in kubectl(str(kc), "get", "nodes")
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=10)
    assert p.returncode == 0


def test_a_topology_file_sets_the_nodes(tmp_path: pathlib.Path) -> None:
    topo = tmp_path / "cluster.yaml"
    topo.write_text(yaml.safe_dump({"nodes": [
        {"name": "cp", "role": "control-plane"},
        {"name": "big", "labels": {"disktype": "ssd"}, "capacity": {"cpu": "16", "memory": "64Gi"}},
        {"name": "gpu", "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]}]}))
    kc = tmp_path / "kubeconfig"
    p, _, _ = start(["--kubeconfig", str(kc), "--config", str(topo)])
    try:
        out = kubectl(str(kc), "get", "nodes", "-L", "disktype")
        assert [line.split()[0] for line in out.splitlines()[1:]] == ["big", "cp", "gpu"]
        assert "ssd" in out
        big = kubectl(str(kc), "get", "node", "big", "-o", "jsonpath={.status.allocatable.cpu}")
        assert big == "16"
    finally:
        p.terminate()
        p.communicate(timeout=10)
