"""The simulated kubelet as a user sees it: pod status, events, IPs, deletion, logs, nodes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from simkit import WORKER, Sim, cluster_config, make_pod

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.sim import podstatus

HEX64 = re.compile(r"^containerd://[0-9a-f]{64}$")


def cond(pod: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next(c for c in pod["status"]["conditions"] if c["type"] == ctype)


def container(pod: dict[str, Any], i: int = 0) -> dict[str, Any]:
    cs: dict[str, Any] = pod["status"]["containerStatuses"][i]
    return cs


async def test_a_bound_pod_is_running_and_ready_after_settle_with_every_status_field(sim: Sim) -> None:
    pod = await sim.run(make_pod("web", image="nginx:1.27"))
    st = pod["status"]
    assert st["phase"] == "Running"
    assert [c["type"] for c in st["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert all(c["status"] == "True" for c in st["conditions"])
    assert st["hostIP"] == "172.18.0.4" and st["hostIPs"] == [{"ip": "172.18.0.4"}]
    assert st["podIP"] == "10.244.2.2" and st["podIPs"] == [{"ip": "10.244.2.2"}]
    assert st["startTime"] == "2026-01-01T00:00:00Z"
    cs = container(pod)
    assert cs["name"] == "web" and cs["ready"] is True and cs["started"] is True
    assert cs["restartCount"] == 0 and cs["lastState"] == {}
    assert cs["image"] == "docker.io/library/nginx:1.27"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert HEX64.match(cs["containerID"])
    assert cs["state"] == {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    assert sim.reasons("web") == ["Pulling", "Pulled", "Created", "Started"]


async def test_a_missing_secret_key_gives_create_container_config_error_until_the_secret_has_it(
        sim: Sim) -> None:
    sim.client.create({"apiVersion": "v1", "kind": "Secret",
                       "metadata": {"name": "helloworld-secrets", "namespace": "default"},
                       "stringData": {"username": "root"}})
    env = [{"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "helloworld-secrets", "key": "rootPassword"}}}]
    pod = await sim.run(make_pod("database", containers=[{"name": "mysql", "image": "mysql:8", "env": env}]))
    assert pod["status"]["phase"] == "Pending"
    assert container(pod)["ready"] is False
    assert container(pod)["state"] == {"waiting": {
        "reason": "CreateContainerConfigError",
        "message": "couldn't find key rootPassword in Secret default/helloworld-secrets"}}
    msg = "Error: couldn't find key rootPassword in Secret default/helloworld-secrets"
    assert ("Warning", "Failed", msg, 1) in sim.events("database")
    sim.client.patch("v1", "Secret", "helloworld-secrets", {"stringData": {"rootPassword": "x"}},
                     "default")
    await sim.settle()
    pod = sim.pod("database")
    assert pod["status"]["phase"] == "Running" and cond(pod, "Ready")["status"] == "True"


async def test_a_missing_secret_gives_the_not_found_message(sim: Sim) -> None:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]
    pod = await sim.run(make_pod("p", containers=[{"name": "c", "image": "busybox", "env": env}]))
    assert container(pod)["state"]["waiting"]["message"] == 'secret "nope" not found'


async def test_an_optional_reference_does_not_hold_the_pod(sim: Sim) -> None:
    env = [{"name": "P", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k",
                                                            "optional": True}}}]
    pod = await sim.run(make_pod("p", containers=[{"name": "c", "image": "busybox", "env": env}],
                                 volumes=[{"name": "v", "secret": {"secretName": "nope",
                                                                   "optional": True}}]))
    assert pod["status"]["phase"] == "Running"


async def test_a_missing_configmap_volume_gives_failed_mount_then_running_once_it_appears(
        sim: Sim) -> None:
    pod = await sim.run(make_pod(
        "helloworld-nginx",
        containers=[{"name": "nginx", "image": "nginx", "volumeMounts": [
            {"name": "config-volume", "mountPath": "/etc/nginx/conf.d"}]}],
        volumes=[{"name": "config-volume", "configMap": {"name": "nginx-config"}}]))
    assert pod["status"]["phase"] == "Pending"
    assert container(pod)["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "podIP" not in pod["status"]
    assert sim.events("helloworld-nginx") == [(
        "Warning", "FailedMount",
        'MountVolume.SetUp failed for volume "config-volume" : configmap "nginx-config" not found', 1)]
    await sim.advance(5)
    assert sim.events("helloworld-nginx")[0][3] > 1  # retried with back-off
    sim.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "nginx-config", "namespace": "default"},
                       "data": {"reverseproxy.conf": "server {}"}})
    await sim.settle()
    assert sim.pod("helloworld-nginx")["status"]["phase"] == "Running"


async def test_crashloop_restarts_back_off_on_the_clock(sim: Sim) -> None:
    pod = await sim.run(make_pod("crash", annotations={"minik8s.io/stage": "crashloop"}))
    cs = container(pod)
    assert cs["restartCount"] == 1
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["state"]["waiting"]["message"].startswith(
        "back-off 10s restarting failed container=crash pod=crash_default(")
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert pod["status"]["phase"] == "Running" and cond(pod, "Ready")["status"] == "False"
    counts = []
    for _ in range(7):
        await sim.advance(10)
        counts.append(container(sim.pod("crash"))["restartCount"])
    # restarts at 10 s, then 20 s later (30 s), then 40 s later (70 s)
    assert counts == [2, 2, 3, 3, 3, 3, 4]
    await sim.advance(600)
    msg = container(sim.pod("crash"))["state"]["waiting"]["message"]
    assert msg.startswith("back-off 5m0s restarting failed container=crash")
    backoff = [e for e in sim.events("crash") if e[1] == "BackOff"]
    assert backoff[0][2].startswith("Back-off restarting failed container crash in pod crash_default(")


async def test_complete_after_gives_succeeded(sim: Sim) -> None:
    await sim.run(make_pod("pi", restartPolicy="Never", annotations={"minik8s.io/complete-after": "10"}))
    await sim.advance(9)
    assert sim.pod("pi")["status"]["phase"] == "Running"
    await sim.advance(1)
    pod = sim.pod("pi")
    assert pod["status"]["phase"] == "Succeeded"
    assert container(pod)["state"]["terminated"]["reason"] == "Completed"
    assert cond(pod, "Ready")["reason"] == "PodCompleted"


async def test_a_failed_pod_with_restart_policy_never_fails_with_the_exit_code(sim: Sim) -> None:
    pod = await sim.run(make_pod("t", restartPolicy="Never", annotations={
        "minik8s.io/stage": "failed", "minik8s.io/exit-code": "42"}))
    assert pod["status"]["phase"] == "Failed"
    term = container(pod)["state"]["terminated"]
    assert term["exitCode"] == 42 and term["reason"] == "Error"
    assert cond(pod, "Ready")["reason"] == "PodFailed"


async def test_plain_pods_run_forever_unless_told_otherwise(sim: Sim) -> None:
    await sim.run(make_pod("job-like", restartPolicy="Never"))
    await sim.advance(600)
    assert sim.pod("job-like")["status"]["phase"] == "Running"


async def test_the_complete_after_setting_finishes_run_to_completion_pods() -> None:
    cfg = cluster_config(components={"kubelet": {"completeAfter": 5}})
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        s = Sim(c)
        await s.run(make_pod("once", restartPolicy="OnFailure"))
        await s.run(make_pod("server"))
        await s.advance(5)
        assert s.pod("once")["status"]["phase"] == "Succeeded"
        assert s.pod("server")["status"]["phase"] == "Running"


async def test_graceful_delete_is_prompt_for_a_pod_that_honours_sigterm(sim: Sim) -> None:
    await sim.run(make_pod("web"))
    sim.client.delete("v1", "Pod", "web", "default")
    await sim.settle()
    assert sim.pod_or_none("web") is None
    assert ("Normal", "Killing", "Stopping container web", 1) in sim.events("web")


async def test_ignore_sigterm_keeps_the_pod_for_its_whole_grace_period(sim: Sim) -> None:
    await sim.run(make_pod("slow", terminationGracePeriodSeconds=45,
                           annotations={"minik8s.io/ignore-sigterm": "true"}))
    sim.client.delete("v1", "Pod", "slow", "default")
    await sim.settle()
    await sim.advance(44)
    pod = sim.pod("slow")
    assert pod["metadata"]["deletionTimestamp"] and container(pod)["state"].get("running")
    await sim.advance(1)
    assert sim.pod_or_none("slow") is None


async def test_pod_ips_are_sequential_per_node_and_released_on_delete(sim: Sim) -> None:
    a = await sim.run(make_pod("a"))
    b = await sim.run(make_pod("b"))
    other = await sim.run(make_pod("c"), node="minik8s-worker2")
    assert [a["status"]["podIP"], b["status"]["podIP"]] == ["10.244.2.2", "10.244.2.3"]
    assert other["status"]["podIP"] == "10.244.3.2"
    sim.client.delete("v1", "Pod", "a", "default")
    await sim.settle()
    d = await sim.run(make_pod("d"))
    e = await sim.run(make_pod("e"))
    # host-local: continue after the last one handed out, then reuse what was freed
    assert d["status"]["podIP"] == "10.244.2.4"
    assert e["status"]["podIP"] == "10.244.2.5"


async def test_host_network_pods_get_the_node_address(sim: Sim) -> None:
    pod = await sim.run(make_pod("hn", hostNetwork=True))
    assert pod["status"]["podIP"] == pod["status"]["hostIP"] == "172.18.0.4"


async def test_the_same_seed_gives_the_same_ips_and_container_ids() -> None:
    async def once() -> tuple[str, str]:
        async with Cluster(cluster_config(seed=7), clock="virtual", serve=False) as c:
            pod = await Sim(c).run(make_pod("x"))
            return pod["status"]["podIP"], container(pod)["containerID"]

    assert await once() == await once()


async def test_init_containers_run_in_order_before_the_app_containers(sim: Sim) -> None:
    pod = await sim.run(make_pod("i", initContainers=[{"name": "a", "image": "busybox"},
                                                      {"name": "b", "image": "busybox"}]))
    inits = pod["status"]["initContainerStatuses"]
    assert [s["state"]["terminated"]["reason"] for s in inits] == ["Completed", "Completed"]
    assert pod["status"]["phase"] == "Running"
    assert [e[2] for e in sim.events("i") if e[1] == "Started"] == [
        "Started container a", "Started container b", "Started container i"]


async def test_a_readiness_gate_holds_ready_until_its_condition_is_true(sim: Sim) -> None:
    pod = await sim.run(make_pod("g", readinessGates=[{"conditionType": "example.com/ok"}]))
    ready = cond(pod, "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ReadinessGatesNotReady"
    assert cond(pod, "ContainersReady")["status"] == "True"
    sim.client.patch("v1", "Pod", "g", {"status": {"conditions": [
        {"type": "example.com/ok", "status": "True"}]}}, "default",
        patch_type="application/strategic-merge-patch+json", subresource="status")
    await sim.settle()
    assert cond(sim.pod("g"), "Ready")["status"] == "True"


async def test_pod_logs_support_tail_timestamps_and_previous(sim: Sim) -> None:
    await sim.run(make_pod("crash", annotations={"minik8s.io/stage": "crashloop",
                                                 "minik8s.io/logs": "hello\nworld"}))
    logs = sim.cluster.registry.pod_logs
    assert logs is not None
    first_run = ("2026-01-01T00:00:00Z [minik8s] container crash started (image nginx)\n"
                 "2026-01-01T00:00:00Z hello\n"
                 "2026-01-01T00:00:00Z world\n"
                 "2026-01-01T00:00:00Z [minik8s] container crash exited with code 1\n")
    assert logs("default", "crash", "crash", previous=True) == first_run
    # in back-off, the current logs are those of the run that just exited, as on a real node
    assert logs("default", "crash", "crash") == first_run.replace(
        "00:00:00Z [minik8s] container crash exited", "00:00:00Z [minik8s] container crash exited")
    await sim.advance(10)
    assert logs("default", "crash", "crash", tail_lines=1) == \
        "2026-01-01T00:00:10Z [minik8s] container crash exited with code 1\n"
    stamped = logs("default", "crash", "crash", tail_lines=1, timestamps=True)
    assert stamped.startswith("2026-01-01T00:00:10.000000000Z 2026-01-01T00:00:10Z [minik8s]")


async def test_logs_of_a_container_that_has_not_started_say_why(sim: Sim) -> None:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]
    await sim.run(make_pod("p", containers=[{"name": "c", "image": "busybox", "env": env}]))
    assert sim.cluster.registry.pod_logs is not None
    with pytest.raises(errors.BadRequest, match='container "c" in pod "p" is waiting to start: '
                                                "CreateContainerConfigError"):
        sim.cluster.registry.pod_logs("default", "p", "c")
    with pytest.raises(errors.BadRequest, match='previous terminated container "c" in pod "p" not found'):
        sim.cluster.registry.pod_logs("default", "p", "c", previous=True)


async def test_a_node_created_later_is_registered_and_gets_a_lease_and_heartbeats(sim: Sim) -> None:
    sim.client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}})
    await sim.settle()
    node = sim.node("extra")
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "extra"
    assert node["spec"]["podCIDR"] == "10.244.4.0/24"
    assert {"type": "InternalIP", "address": "172.18.0.6"} in node["status"]["addresses"]
    assert node["status"]["allocatable"]["pods"] == "110"
    ready = cond(node, "Ready")
    assert ready["status"] == "True" and ready["reason"] == "KubeletReady"
    lease = sim.client.get("coordination.k8s.io/v1", "Lease", "extra", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "extra"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert lease["spec"]["renewTime"] == "2026-01-01T00:00:00.000000Z"
    assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"
    await sim.advance(10)
    # the Lease is the 10 s heartbeat; an unchanged status is re-posted every 5 minutes
    lease = sim.client.get("coordination.k8s.io/v1", "Lease", "extra", "kube-node-lease")
    assert lease["spec"]["renewTime"] == "2026-01-01T00:00:10.000000Z"
    assert cond(sim.node("extra"), "Ready")["lastHeartbeatTime"] == "2026-01-01T00:00:00Z"
    await sim.advance(290)
    assert cond(sim.node("extra"), "Ready")["lastHeartbeatTime"] == "2026-01-01T00:05:00Z"
    assert cond(sim.node("extra"), "Ready")["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    pod = await sim.run(make_pod("on-extra"), node="extra")
    assert pod["status"]["podIP"] == "10.244.4.2"


async def test_a_registration_label_removed_later_is_set_again(sim: Sim) -> None:
    await sim.advance(10)  # the kubelet has found this Node object registered (and remembers it)
    sim.client.patch("v1", "Node", WORKER, {"metadata": {"labels": {"kubernetes.io/os": None}}})
    await sim.settle()
    assert sim.node()["metadata"]["labels"]["kubernetes.io/os"] == "linux"
    await sim.advance(10)
    assert sim.node()["metadata"]["labels"]["kubernetes.io/os"] == "linux"


async def test_heartbeats_are_timers_so_settle_alone_writes_nothing(sim: Sim) -> None:
    rev = sim.cluster.store.revision
    await sim.settle()
    await sim.settle()
    assert sim.cluster.store.revision == rev
    await sim.advance(10)
    assert sim.cluster.store.revision > rev


async def test_a_dead_kubelet_leaves_its_pods_alone_until_it_comes_back(sim: Sim) -> None:
    sim.client.patch("v1", "Node", WORKER, {"metadata": {"annotations": {
        "minik8s.io/node-ready": "unknown"}}})
    await sim.settle()
    sim.client.create(make_pod("w"))
    sim.client.bind("default", "w", WORKER)
    await sim.settle()
    assert "startTime" not in sim.pod("w")["status"]
    sim.client.patch("v1", "Node", WORKER, {"metadata": {"annotations": {
        "minik8s.io/node-ready": None}}})
    await sim.settle()
    assert sim.pod("w")["status"]["phase"] == "Running"


@pytest.mark.parametrize("image,want", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.27", "docker.io/library/nginx:1.27"),
    ("bitnami/redis", "docker.io/bitnami/redis:latest"),
    ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
], ids=["a bare name gets docker.io/library and latest", "a tag is kept",
        "a user repository gets docker.io", "a registry host is kept",
        "a registry with a port is not mistaken for a tag"])
def test_image_names_are_normalised_like_containerd(image: str, want: str) -> None:
    assert podstatus.normalize_image(image) == want


@pytest.mark.parametrize("seconds,want", [
    (0, "0s"), (0.25, "250ms"), (1.2, "1.2s"), (10, "10s"), (80, "1m20s"), (300, "5m0s")],
    ids=["zero", "milliseconds", "fractional seconds", "seconds", "minutes", "five minutes"])
def test_durations_read_like_go(seconds: float, want: str) -> None:
    assert podstatus.go_duration(seconds) == want
