"""Persistent volumes: binding, dynamic provisioning, reclaim, protection, expansion.

One reconcile per claim and one per volume, as kube-controller-manager's
persistentvolume-binder does (the provisioner is emulated in-process, like
kind's local-path provisioner):

- a Pending claim binds to the smallest Available volume that fits (class,
  access modes, size, selector, ``volumeName``); failing that, a class with a
  provisioner gets a new volume ``pvc-<claim uid>`` — at once for
  ``Immediate`` binding, or once the scheduler picked a node
  (``volume.kubernetes.io/selected-node``) for ``WaitForFirstConsumer``;
- a volume whose claim is gone is Released (``Retain``) or deleted (``Delete``);
- the ``kubernetes.io/pvc-protection`` / ``pv-protection`` finalizers are
  removed only when no pod uses the claim / no claim holds the volume;
- a claim asking for more storage grows when its class allows expansion.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors, quantity, selectors
from minik8s.registry.registry import WriteOptions
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.api import objects

Obj = dict[str, Any]
DEFAULT_CLASS_ANN = "storageclass.kubernetes.io/is-default-class"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
COMPONENT = "persistentvolume-controller"


def _size(obj: Obj, *path: str) -> int:
    cur: Any = obj
    for p in path:
        cur = (cur or {}).get(p) if isinstance(cur, dict) else None
    try:
        return quantity.whole(cur) if cur is not None else 0
    except quantity.QuantityError:
        return 0


def _claim_ref_matches(pv: Obj, pvc: Obj) -> bool:
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    md = pvc["metadata"]
    return ref.get("name") == md["name"] and ref.get("namespace") == md.get("namespace") and \
        (not ref.get("uid") or ref.get("uid") == md.get("uid"))


def setup(ctx: ControllerContext) -> None:
    reg = ctx.client.reg
    claims = ctx.informers.informer("v1", "persistentvolumeclaims")
    volumes = ctx.informers.informer("v1", "persistentvolumes")
    classes = ctx.informers.informer("storage.k8s.io/v1", "storageclasses")
    pods = ctx.informers.informer("v1", "pods")
    pv_res = reg.table.by_key("persistentvolumes")
    pvc_res = reg.table.by_key("persistentvolumeclaims")
    assert pv_res is not None and pvc_res is not None
    pods.add_indexer("claims", lambda p: [
        f"{p['metadata'].get('namespace', '')}/{v['persistentVolumeClaim']['claimName']}"
        for v in (p.get("spec") or {}).get("volumes") or ()
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)])

    def write(res: Any, new: Obj, old: Obj, sub: str | None = None) -> Obj:
        if new == old:
            return old
        return reg._update_from(res, new, old, WriteOptions(field_manager=COMPONENT), sub)

    def event(obj: Obj, reason: str, msg: str, type_: str = "Normal") -> None:
        ctx.client.event(obj, reason, msg, type=type_, component=COMPONENT)

    def pods_using(pvc: Obj) -> list[Obj]:
        md = pvc["metadata"]
        return [p for p in pods.by_index("claims", f"{md.get('namespace', '')}/{md['name']}")
                if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]

    # ------------------------------------------------------------------ claims
    def bind(pvc: Obj, pv: Obj, by_controller: bool) -> None:
        md = pvc["metadata"]
        new_pv = objects.deep_copy(pv)
        spec = new_pv["spec"]
        spec["claimRef"] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": md["name"],
                            "namespace": md.get("namespace", ""), "uid": md["uid"],
                            "resourceVersion": md.get("resourceVersion", "")}
        if by_controller:
            new_pv["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bound-by-controller"] = "yes"
        pv = write(pv_res, new_pv, pv)
        new_pv = objects.deep_copy(pv)
        new_pv.setdefault("status", {})["phase"] = "Bound"
        new_pv["status"].pop("reason", None)
        new_pv["status"].pop("message", None)
        write(pv_res, new_pv, pv, "status")
        new = objects.deep_copy(pvc)
        new["spec"]["volumeName"] = pv["metadata"]["name"]
        ann = new["metadata"].setdefault("annotations", {})
        ann["pv.kubernetes.io/bind-completed"] = "yes"
        if by_controller:
            ann["pv.kubernetes.io/bound-by-controller"] = "yes"
        pvc2 = write(pvc_res, new, pvc)
        new = objects.deep_copy(pvc2)
        new["status"] = {"phase": "Bound", "accessModes": list(pv["spec"].get("accessModes") or []),
                         "capacity": dict((pv["spec"].get("capacity") or {}))}
        write(pvc_res, new, pvc2, "status")

    def find_volume(pvc: Obj, cls: str) -> Obj | None:
        spec = pvc.get("spec") or {}
        want = _size(pvc, "spec", "resources", "requests", "storage")
        modes = set(spec.get("accessModes") or ())
        sel = spec.get("selector")
        best = None
        for pv in volumes.list():
            ps = pv.get("spec") or {}
            if (pv.get("status") or {}).get("phase") not in (None, "Available", "Pending"):
                continue
            if pv["metadata"].get("deletionTimestamp"):
                continue
            ref = ps.get("claimRef")
            if ref and not _claim_ref_matches(pv, pvc):
                continue
            if spec.get("volumeName") and spec["volumeName"] != pv["metadata"]["name"]:
                continue
            if (ps.get("storageClassName") or "") != cls:
                continue
            if not modes <= set(ps.get("accessModes") or ()):
                continue
            if ps.get("volumeMode", "Filesystem") != spec.get("volumeMode", "Filesystem"):
                continue
            size = _size(pv, "spec", "capacity", "storage")
            if size < want:
                continue
            if sel is not None:
                try:
                    if not selectors.label_selector_from_dict(sel).matches(pv["metadata"].get("labels")):
                        continue
                except ValueError:
                    continue
            if best is None or size < _size(best, "spec", "capacity", "storage"):
                best = pv
        return best

    def provision(pvc: Obj, sc: Obj, node: str | None) -> None:
        md = pvc["metadata"]
        prov = sc.get("provisioner", "")
        name = f"pvc-{md['uid']}"
        if volumes.get("", name) is not None:
            return
        spec = pvc.get("spec") or {}
        pv: Obj = {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": prov},
                         "finalizers": [PV_PROTECTION]},
            "spec": {"accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                     "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")},
                     "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                     "storageClassName": sc["metadata"]["name"],
                     "volumeMode": spec.get("volumeMode", "Filesystem"),
                     "hostPath": {"path": f"/var/local-path-provisioner/{name}_{md.get('namespace')}_{md['name']}",
                                  "type": "DirectoryOrCreate"},
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": md["name"],
                                  "namespace": md.get("namespace", ""), "uid": md["uid"],
                                  "resourceVersion": md.get("resourceVersion", "")}}}
        if sc.get("mountOptions"):
            pv["spec"]["mountOptions"] = list(sc["mountOptions"])
        if node:
            pv["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
        event(pvc, "Provisioning", f'External provisioner is provisioning volume for claim "{md.get("namespace")}/{md["name"]}"')
        ctx.client.create(pv, manager=prov or COMPONENT)
        event(pvc, "ProvisioningSucceeded", f"Successfully provisioned volume {name}")

    def reconcile_claim(req: Request) -> Result | None:
        pvc = claims.get(req.namespace, req.name)
        if pvc is None:
            return None
        md = pvc["metadata"]
        if md.get("deletionTimestamp"):
            if PVC_PROTECTION in (md.get("finalizers") or ()) and not pods_using(pvc):
                new = objects.deep_copy(pvc)
                new["metadata"]["finalizers"] = [f for f in md["finalizers"] if f != PVC_PROTECTION]
                write(pvc_res, new, pvc)
            return None
        spec = pvc.get("spec") or {}
        phase = (pvc.get("status") or {}).get("phase")
        if phase == "Bound" and spec.get("volumeName"):
            pv = volumes.get("", spec["volumeName"])
            if pv is None:
                new = objects.deep_copy(pvc)
                new["status"] = {"phase": "Lost"}
                write(pvc_res, new, pvc, "status")
                event(pvc, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
                      "Warning")
                return None
            expand(pvc, pv)
            return None
        cls = spec.get("storageClassName") or ""
        if spec.get("volumeName"):
            pv = volumes.get("", spec["volumeName"])
            if pv is not None and (not (pv["spec"].get("claimRef")) or _claim_ref_matches(pv, pvc)):
                bind(pvc, pv, by_controller=False)
            return None
        pv = find_volume(pvc, cls)
        if pv is not None:
            bind(pvc, pv, by_controller=True)
            return None
        sc = classes.get("", cls) if cls else None
        if sc is None:
            if cls:
                event(pvc, "ProvisioningFailed", f'storageclass.storage.k8s.io "{cls}" not found', "Warning")
            else:
                event(pvc, "FailedBinding", "no persistent volumes available for this claim and no storage "
                                            "class is set", "Normal")
            return None
        prov = sc.get("provisioner", "")
        if prov == "kubernetes.io/no-provisioner":
            event(pvc, "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
            return None
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer":
            node = (md.get("annotations") or {}).get(SELECTED_NODE)
            if not node:
                event(pvc, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
                return None
            ensure_provisioner_annotations(pvc, prov)
            provision(pvc, sc, node)
        else:
            ensure_provisioner_annotations(pvc, prov)
            provision(pvc, sc, None)
        pv = volumes.get("", f"pvc-{md['uid']}")
        cur = claims.get(req.namespace, req.name)
        if pv is not None and cur is not None:
            bind(cur, pv, by_controller=True)
        return None

    def ensure_provisioner_annotations(pvc: Obj, prov: str) -> None:
        ann = pvc["metadata"].get("annotations") or {}
        if ann.get("volume.kubernetes.io/storage-provisioner") == prov:
            return
        new = objects.deep_copy(pvc)
        a = new["metadata"].setdefault("annotations", {})
        a["volume.beta.kubernetes.io/storage-provisioner"] = prov
        a["volume.kubernetes.io/storage-provisioner"] = prov
        write(pvc_res, new, pvc)
        event(pvc, "ExternalProvisioning",
              f"Waiting for a volume to be created either by the external provisioner '{prov}' or manually "
              "by the system administrator. If volume creation is delayed, please verify that the "
              "provisioner is running and correctly registered.")

    def expand(pvc: Obj, pv: Obj) -> None:
        want = _size(pvc, "spec", "resources", "requests", "storage")
        have = _size(pv, "spec", "capacity", "storage")
        if want <= have:
            return
        sc = classes.get("", (pvc.get("spec") or {}).get("storageClassName") or "")
        if sc is None or not sc.get("allowVolumeExpansion"):
            return
        req = pvc["spec"]["resources"]["requests"]["storage"]
        new_pv = objects.deep_copy(pv)
        new_pv["spec"]["capacity"]["storage"] = req
        write(pv_res, new_pv, pv)
        cur = claims.get(pvc["metadata"].get("namespace", ""), pvc["metadata"]["name"])
        if cur is not None:
            new = objects.deep_copy(cur)
            new.setdefault("status", {}).setdefault("capacity", {})["storage"] = req
            write(pvc_res, new, cur, "status")
            event(cur, "VolumeResizeSuccessful", "MountVolume.NodeExpandVolume succeeded for volume "
                                                 f'"{pv["metadata"]["name"]}"')

    # ------------------------------------------------------------------ volumes
    def reconcile_volume(name: str) -> Result | None:
        pv = volumes.get("", name)
        if pv is None:
            return None
        md = pv["metadata"]
        spec = pv.get("spec") or {}
        ref = spec.get("claimRef")
        phase = (pv.get("status") or {}).get("phase")
        if md.get("deletionTimestamp"):
            if PV_PROTECTION in (md.get("finalizers") or ()) and phase != "Bound":
                new = objects.deep_copy(pv)
                new["metadata"]["finalizers"] = [f for f in md["finalizers"] if f != PV_PROTECTION]
                write(pv_res, new, pv)
            return None
        if not ref:
            if phase != "Available":
                new = objects.deep_copy(pv)
                new.setdefault("status", {})["phase"] = "Available"
                write(pv_res, new, pv, "status")
            return None
        pvc = claims.get(ref.get("namespace", ""), ref.get("name", ""))
        if pvc is not None and (not ref.get("uid") or pvc["metadata"]["uid"] == ref["uid"]):
            return None  # claim side binds
        if not ref.get("uid"):
            return None  # pre-bound to a claim that does not exist yet
        if phase == "Bound" or phase is None or phase == "Pending":
            policy = spec.get("persistentVolumeReclaimPolicy", "Retain")
            if policy == "Delete":
                try:
                    reg.delete(pv_res, "", name, {})
                except errors.NotFound:
                    pass
                new_pv = volumes.get("", name)
                if new_pv is not None and (new_pv.get("status") or {}).get("phase") == "Bound":
                    new = objects.deep_copy(new_pv)
                    new["status"]["phase"] = "Released"
                    write(pv_res, new, new_pv, "status")
                return None
            new = objects.deep_copy(pv)
            new.setdefault("status", {})["phase"] = "Released"
            write(pv_res, new, pv, "status")
        return None

    claim_ctrl = ctx.manager.add("persistentvolume-binder-claims", reconcile_claim)
    volume_ctrl = ctx.manager.add("persistentvolume-binder-volumes", reconcile_volume)

    def claim_key(o: Obj) -> Request:
        return Request(o["metadata"].get("namespace", ""), o["metadata"]["name"])

    claims.add_handler(lambda et, o, old: claim_ctrl.enqueue(claim_key(o)) if et != "DELETED" else None)

    def on_claim_deleted(et: str, o: Obj, old: Obj | None) -> None:
        if et == "DELETED":
            vn = (o.get("spec") or {}).get("volumeName")
            if vn:
                volume_ctrl.enqueue(vn)
    claims.add_handler(on_claim_deleted, replay=False)

    def on_volume(et: str, o: Obj, old: Obj | None) -> None:
        if et != "DELETED":
            volume_ctrl.enqueue(o["metadata"]["name"])
        # a volume becoming available may satisfy a waiting claim
        for c in claims.list():
            if (c.get("status") or {}).get("phase") == "Pending":
                claim_ctrl.enqueue(claim_key(c))
    volumes.add_handler(on_volume)

    def on_class(et: str, o: Obj, old: Obj | None) -> None:
        for c in claims.list():
            if (c.get("status") or {}).get("phase") == "Pending":
                claim_ctrl.enqueue(claim_key(c))
    classes.add_handler(on_class, replay=False)

    def on_pod(et: str, o: Obj, old: Obj | None) -> None:
        for v in (o.get("spec") or {}).get("volumes") or ():
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict):
                claim_ctrl.enqueue(Request(o["metadata"].get("namespace", ""),
                                           v["persistentVolumeClaim"].get("claimName", "")))
    pods.add_handler(on_pod, replay=False)
