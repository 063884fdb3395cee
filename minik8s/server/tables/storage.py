"""The printers of the storage kinds: persistent volumes and claims, storage classes,
CSI drivers, CSI nodes and volume attachments.

kube-apiserver 1.33's printers. Built on ``format``, ``printer`` and ``docs``;
listed in ``registry.BUILTIN_PRINTERS``.
"""

from __future__ import annotations

from typing import Any

from minik8s.server.tables import docs
from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def access_modes(modes: Any) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX,RWX,RWOP`` in that order."""
    present = set(fmt.as_list(modes))
    order = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
             ("ReadWriteOncePod", "RWOP"))
    return ",".join(short for mode, short in order if mode in present)


_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"


def _pv_cells(pv: Obj, now: float) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if isinstance(ref, dict) else ""
    annotations = fmt.meta(pv).get("annotations") or {}
    storage_class = (annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations
                     else spec.get("storageClassName", ""))
    phase = status.get("phase", "")
    if fmt.meta(pv).get("deletionTimestamp") is not None:
        phase = "Terminating"
    return [fmt.name(pv), fmt.format_quantity(fmt.sub(spec, "capacity", "storage")),
            access_modes(spec.get("accessModes")),
            str(spec.get("persistentVolumeReclaimPolicy", "")),
            phase, claim, storage_class, spec.get("volumeAttributesClassName") or fmt.UNSET,
            str(status.get("reason", "")), fmt.age(pv, now), spec.get("volumeMode") or fmt.UNSET]


PV = pr.Printer(pr.cols(
    pr.doc_col("Capacity", "core.PersistentVolumeSpec.capacity"),
    pr.doc_col("Access Modes", "core.PersistentVolumeSpec.accessModes"),
    pr.doc_col("Reclaim Policy", "core.PersistentVolumeSpec.persistentVolumeReclaimPolicy"),
    pr.doc_col("Status", "core.PersistentVolumeStatus.phase"),
    pr.doc_col("Claim", "core.PersistentVolumeSpec.claimRef"),
    pr.col("StorageClass", "StorageClass of the pv"),
    pr.col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    pr.doc_col("Reason", "core.PersistentVolumeStatus.reason"),
    pr.AGE_COL,
    pr.doc_col("VolumeMode", "core.PersistentVolumeSpec.volumeMode", priority=1),
), _pv_cells)


def _pvc_cells(pvc: Obj, now: float) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = status.get("phase", "")
    if fmt.meta(pvc).get("deletionTimestamp") is not None:
        phase = "Terminating"
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = fmt.format_quantity(fmt.sub(status, "capacity", "storage"))
    annotations = fmt.meta(pvc).get("annotations") or {}
    storage_class = (annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations
                     else spec.get("storageClassName") or "")
    return [fmt.name(pvc), phase, str(spec.get("volumeName", "")), capacity, modes, storage_class,
            spec.get("volumeAttributesClassName") or fmt.UNSET, fmt.age(pvc, now),
            spec.get("volumeMode") or fmt.UNSET]


PVC = pr.Printer(pr.cols(
    pr.doc_col("Status", "core.PersistentVolumeClaimStatus.phase"),
    pr.doc_col("Volume", "core.PersistentVolumeClaimSpec.volumeName"),
    pr.doc_col("Capacity", "core.PersistentVolumeClaimStatus.capacity"),
    pr.doc_col("Access Modes", "core.PersistentVolumeClaimStatus.accessModes"),
    pr.col("StorageClass", "StorageClass of the pvc"),
    pr.col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    pr.AGE_COL,
    pr.doc_col("VolumeMode", "core.PersistentVolumeClaimSpec.volumeMode", priority=1),
), _pvc_cells)


def is_default_storage_class(obj: Obj) -> bool:
    annotations = fmt.meta(obj).get("annotations") or {}
    return bool(annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
                or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true")


def _storage_class_cells(obj: Obj, now: float) -> list[Any]:
    name = fmt.name(obj) + (" (default)" if is_default_storage_class(obj) else "")
    return [name, str(obj.get("provisioner", "")), obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate",
            bool(obj.get("allowVolumeExpansion", False)), fmt.age(obj, now)]


STORAGE_CLASS = pr.Printer(pr.cols(
    pr.doc_col("Provisioner", "storage.StorageClass.provisioner"),
    pr.doc_col("ReclaimPolicy", "storage.StorageClass.reclaimPolicy"),
    pr.doc_col("VolumeBindingMode", "storage.StorageClass.volumeBindingMode"),
    pr.doc_col("AllowVolumeExpansion", "storage.StorageClass.allowVolumeExpansion"),
    pr.AGE_COL,
), _storage_class_cells)


def _csi_driver_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    tokens = spec.get("tokenRequests")
    token_requests = (fmt.UNSET if tokens is None
                      else ",".join(str(t.get("audience", "")) for t in fmt.as_list(tokens)))
    modes = ",".join(str(m) for m in fmt.as_list(spec.get("volumeLifecycleModes")))
    return [fmt.name(obj), bool(spec.get("attachRequired", True)),
            bool(spec.get("podInfoOnMount", False)), bool(spec.get("storageCapacity", False)),
            token_requests, bool(spec.get("requiresRepublish", False)), modes or fmt.NONE,
            fmt.age(obj, now)]


CSI_DRIVER = pr.Printer(pr.cols(
    pr.doc_col("AttachRequired", "storage.CSIDriverSpec.attachRequired", "boolean"),
    pr.doc_col("PodInfoOnMount", "storage.CSIDriverSpec.podInfoOnMount", "boolean"),
    pr.doc_col("StorageCapacity", "storage.CSIDriverSpec.storageCapacity", "boolean"),
    pr.doc_col("TokenRequests", "storage.CSIDriverSpec.tokenRequests"),
    pr.doc_col("RequiresRepublish", "storage.CSIDriverSpec.requiresRepublish", "boolean"),
    pr.doc_col("Modes", "storage.CSIDriverSpec.volumeLifecycleModes"),
    pr.AGE_COL,
), _csi_driver_cells)

CSI_NODE = pr.Printer(pr.cols(
    pr.col("Drivers", "Drivers indicates the number of CSI drivers registered on the node",
           "integer"),
    pr.AGE_COL,
), lambda obj, now: [fmt.name(obj), len(fmt.as_list(fmt.sub(obj, "spec", "drivers"))),
                     fmt.age(obj, now)])


def _volume_attachment_cells(obj: Obj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    return [fmt.name(obj), str(spec.get("attacher", "")),
            str(fmt.sub(spec, "source", "persistentVolumeName") or ""),
            str(spec.get("nodeName", "")), bool(fmt.sub(obj, "status", "attached")),
            fmt.age(obj, now)]


VOLUME_ATTACHMENT = pr.Printer(pr.cols(
    pr.col("Attacher", docs.DOCS["storage.VolumeAttachmentSpec.attacher"], format_="name"),
    pr.doc_col("PV", "storage.VolumeAttachmentSource.persistentVolumeName"),
    pr.doc_col("Node", "storage.VolumeAttachmentSpec.nodeName"),
    pr.doc_col("Attached", "storage.VolumeAttachmentStatus.attached", "boolean"),
    pr.AGE_COL,
), _volume_attachment_cells)
