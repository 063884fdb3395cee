"""Priority and preemptionPolicy are set by the Priority admission plugin, as on a real
server: after the creator's managedFields are recorded, so the creator does not own them."""

from __future__ import annotations

from minik8s.cluster import Cluster

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


async def test_admission_sets_priority_outside_the_creators_fields() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        p = c.client.create(POD, manager="kubectl-run")
        assert p["spec"]["priority"] == 0
        assert p["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
        (entry,) = p["metadata"]["managedFields"]
        assert entry["manager"] == "kubectl-run"
        assert sorted(entry["fieldsV1"]["f:spec"]) == [
            "f:containers", "f:dnsPolicy", "f:enableServiceLinks", "f:restartPolicy",
            "f:schedulerName", "f:securityContext", "f:terminationGracePeriodSeconds"]


async def test_priority_class_value_and_an_explicit_policy_are_kept() -> None:
    async with Cluster(clock="virtual", serve=False) as c:
        p = c.client.create({**POD, "spec": {**POD["spec"], "priorityClassName": "system-node-critical",
                                             "preemptionPolicy": "Never"}})
        assert p["spec"]["priority"] == 2000001000
        assert p["spec"]["preemptionPolicy"] == "Never"
