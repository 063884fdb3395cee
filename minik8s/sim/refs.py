"""The reference checks a real kubelet makes, with its messages.

Before mounting volumes: every non-optional ConfigMap and Secret volume (and
projected source) must exist and hold the keys its ``items`` name, and every
PersistentVolumeClaim must exist and be Bound (``FailedMount``). Before
creating a container: every non-optional ``envFrom`` object and
``valueFrom`` key must resolve (``CreateContainerConfigError``).

``refs_of(pod)`` lists what a pod depends on, so the kubelet can be woken
when one of those objects appears or changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
#: (kind, namespace, name) -> the object or None
Lookup = Callable[[str, str, str], "Obj | None"]


def _keys(obj: Obj) -> set[str]:
    if obj.get("kind") == "Secret":
        return set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return set(obj.get("data") or {}) | set(obj.get("binaryData") or {})


def refs_of(pod: Obj) -> list[str]:
    """Index values ``Kind/namespace/name`` of every object the pod refers to."""
    ns = pod["metadata"].get("namespace", "")
    spec = pod.get("spec") or {}
    out: list[str] = []
    for v in spec.get("volumes") or ():
        if not isinstance(v, dict):
            continue
        if isinstance(v.get("configMap"), dict):
            out.append(f"ConfigMap/{ns}/{v['configMap'].get('name', '')}")
        if isinstance(v.get("secret"), dict):
            out.append(f"Secret/{ns}/{v['secret'].get('secretName', '')}")
        if isinstance(v.get("persistentVolumeClaim"), dict):
            out.append(f"PersistentVolumeClaim/{ns}/{v['persistentVolumeClaim'].get('claimName', '')}")
        for src in (v.get("projected") or {}).get("sources") or ():
            if isinstance(src.get("configMap"), dict):
                out.append(f"ConfigMap/{ns}/{src['configMap'].get('name', '')}")
            if isinstance(src.get("secret"), dict):
                out.append(f"Secret/{ns}/{src['secret'].get('name', '')}")
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            for ef in c.get("envFrom") or ():
                if isinstance(ef.get("configMapRef"), dict):
                    out.append(f"ConfigMap/{ns}/{ef['configMapRef'].get('name', '')}")
                if isinstance(ef.get("secretRef"), dict):
                    out.append(f"Secret/{ns}/{ef['secretRef'].get('name', '')}")
            for e in c.get("env") or ():
                vf = e.get("valueFrom") or {}
                if isinstance(vf.get("configMapKeyRef"), dict):
                    out.append(f"ConfigMap/{ns}/{vf['configMapKeyRef'].get('name', '')}")
                if isinstance(vf.get("secretKeyRef"), dict):
                    out.append(f"Secret/{ns}/{vf['secretKeyRef'].get('name', '')}")
    return sorted(set(out))


def _source_error(kind: str, ns: str, src: Obj, name: str, get: Lookup) -> str | None:
    if src.get("optional"):
        return None
    obj = get(kind, ns, name)
    label = "configmap" if kind == "ConfigMap" else "secret"
    if obj is None:
        return f'{label} "{name}" not found'
    keys = _keys(obj)
    for item in src.get("items") or ():
        k = item.get("key")
        if k not in keys:
            if kind == "ConfigMap":
                return f"configmap references non-existent config key: {k}"
            return f"references non-existent secret key: {k}"
    return None


def volume_errors(pod: Obj, get: Lookup) -> list[str]:
    """FailedMount messages, one per volume that cannot be set up (empty: all mount)."""
    ns = pod["metadata"].get("namespace", "")
    errs: list[str] = []
    for v in (pod.get("spec") or {}).get("volumes") or ():
        if not isinstance(v, dict):
            continue
        vname = v.get("name", "")
        err: str | None = None
        if isinstance(v.get("configMap"), dict):
            err = _source_error("ConfigMap", ns, v["configMap"], v["configMap"].get("name", ""), get)
        elif isinstance(v.get("secret"), dict):
            err = _source_error("Secret", ns, v["secret"], v["secret"].get("secretName", ""), get)
        elif isinstance(v.get("projected"), dict):
            for src in v["projected"].get("sources") or ():
                if isinstance(src.get("configMap"), dict):
                    err = _source_error("ConfigMap", ns, src["configMap"],
                                        src["configMap"].get("name", ""), get)
                elif isinstance(src.get("secret"), dict):
                    err = _source_error("Secret", ns, src["secret"], src["secret"].get("name", ""), get)
                if err:
                    break
        elif isinstance(v.get("persistentVolumeClaim"), dict):
            claim = v["persistentVolumeClaim"].get("claimName", "")
            pvc = get("PersistentVolumeClaim", ns, claim)
            why = None
            if pvc is None:
                why = (f"failed to fetch PVC from API server: persistentvolumeclaims "
                       f'"{claim}" not found')
            elif (pvc.get("status") or {}).get("phase") != "Bound":
                why = "PVC is not bound"
            if why:
                errs.append(f"Unable to attach or mount volumes: unmounted volumes=[{vname}], "
                            f"unattached volumes=[{vname}], failed to process volumes=[{vname}]: "
                            f"error processing PVC {ns}/{claim}: {why}")
            continue
        if err:
            errs.append(f'MountVolume.SetUp failed for volume "{vname}" : {err}')
    return errs


def container_config_error(pod: Obj, container: Obj, get: Lookup) -> str | None:
    """The CreateContainerConfigError message for one container, or None."""
    ns = pod["metadata"].get("namespace", "")
    for ef in container.get("envFrom") or ():
        for field, kind, label in (("configMapRef", "ConfigMap", "configmap"),
                                   ("secretRef", "Secret", "secret")):
            ref = ef.get(field)
            if isinstance(ref, dict) and not ref.get("optional"):
                name = ref.get("name", "")
                if get(kind, ns, name) is None:
                    return f'{label} "{name}" not found'
    for e in container.get("env") or ():
        vf = e.get("valueFrom") or {}
        for field, kind, label in (("configMapKeyRef", "ConfigMap", "configmap"),
                                   ("secretKeyRef", "Secret", "secret")):
            ref = vf.get(field)
            if not isinstance(ref, dict) or ref.get("optional"):
                continue
            name, key = ref.get("name", ""), ref.get("key", "")
            obj = get(kind, ns, name)
            if obj is None:
                return f'{label} "{name}" not found'
            if key not in _keys(obj):
                return f"couldn't find key {key} in {kind} {ns}/{name}"
    return None
