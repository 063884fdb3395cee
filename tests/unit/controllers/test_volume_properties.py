"""Volume binding properties over random claims, volumes and pods (settled, virtual clock)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.cluster import Cluster

NS = "default"

claim_st = st.tuples(st.sampled_from(["fast", "standard", "manual"]), st.integers(1, 20),
                     st.booleans())  # class, size Gi, used by a pod
volume_st = st.integers(1, 30)  # size Gi of a pre-created manual volume


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claim_st, min_size=1, max_size=6), st.lists(volume_st, max_size=5),
       st.lists(st.integers(0, 5), max_size=3))
def test_claims_bind_once_and_pods_never_run_on_unbound_claims(claims: list[Any], volumes: list[int],
                                                                deletions: list[int]) -> None:
    async def go() -> None:
        async with Cluster(clock="virtual", serve=False) as c:
            cl = c.client
            cl.create({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
                       "provisioner": "example.com/fast", "volumeBindingMode": "Immediate"})
            for i, size in enumerate(volumes):
                cl.create({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv{i}"},
                           "spec": {"capacity": {"storage": f"{size}Gi"}, "accessModes": ["ReadWriteOnce"],
                                    "storageClassName": "manual", "hostPath": {"path": f"/d{i}"}}})
            for i, (cls, size, used) in enumerate(claims):
                cl.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                           "metadata": {"name": f"c{i}", "namespace": NS},
                           "spec": {"storageClassName": cls, "accessModes": ["ReadWriteOnce"],
                                    "resources": {"requests": {"storage": f"{size}Gi"}}}})
                if used:
                    cl.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": NS},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}], "volumes": [
                                   {"name": "d", "persistentVolumeClaim": {"claimName": f"c{i}"}}]}})
            await c.settle()
            for d in deletions:
                if d < len(claims):
                    try:
                        cl.delete("v1", "Pod", f"p{d}", NS)
                    except Exception:  # noqa: BLE001 - the pod may not exist
                        pass
                    try:
                        cl.delete("v1", "PersistentVolumeClaim", f"c{d}", NS)
                    except Exception:  # noqa: BLE001
                        pass
            await c.advance(30)
            pvcs = {p["metadata"]["name"]: p for p in cl.list("v1", "PersistentVolumeClaim", NS).items}
            pvs = cl.list("v1", "PersistentVolume").items
            bound_by = {}
            for pv in pvs:
                ref = pv["spec"].get("claimRef")
                if (pv.get("status") or {}).get("phase") == "Bound":
                    key = (ref["namespace"], ref["name"])
                    assert key not in bound_by, f"volume bound to two claims: {key}"
                    bound_by[key] = pv["metadata"]["name"]
            for name, pvc in pvcs.items():
                if pvc["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pvc.get("status") or {}).get("phase")
                if phase == "Bound":
                    assert bound_by.get((NS, name)) == pvc["spec"]["volumeName"]
                cls = pvc["spec"]["storageClassName"]
                i = int(name[1:])
                provisioned = cls == "fast" or (cls == "standard" and claims[i][2])
                if provisioned:
                    assert phase == "Bound", f"{name} of class {cls} is {phase}"
            for pod in cl.list("v1", "Pod", NS).items:
                claim = pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
                pvc = pvcs.get(claim)
                if pod["status"].get("phase") == "Running":
                    assert pvc is not None and pvc["status"].get("phase") == "Bound"
    asyncio.run(go())
