"""PodPreset admission (settings.k8s.io/v1alpha1), as the old PodPreset plugin did it.

At pod creation, every PodPreset of the pod's namespace whose selector
matches the pod's labels injects its ``env``, ``envFrom`` and
``volumeMounts`` into every container (init containers too) and its
``volumes`` into the pod, and leaves an annotation
``podpreset.admission.kubernetes.io/podpreset-<name>: <resourceVersion>``.
A conflict (same env name or volume/mount with different content) applies
none of them. Pods annotated ``podpreset.admission.kubernetes.io/exclude:
"true"`` are left alone. (Upstream removed the API in 1.20; minik8s keeps it
for the course material.)
"""

from __future__ import annotations

from typing import Any

from minik8s.api import selectors

Obj = dict[str, Any]
ANNOTATION_PREFIX = "podpreset.admission.kubernetes.io/podpreset-"
EXCLUDE = "podpreset.admission.kubernetes.io/exclude"


def matching(pod: Obj, presets: list[Obj]) -> list[Obj]:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    out = []
    for pp in sorted(presets, key=lambda p: p["metadata"]["name"]):
        sel = (pp.get("spec") or {}).get("selector")
        try:
            if selectors.label_selector_from_dict(sel if sel is not None else {}).matches(labels):
                out.append(pp)
        except ValueError:
            continue
    return out


def _merge_keyed(existing: list[Obj], additions: list[tuple[str, Obj]], key: str,
                 what: str, errs: list[str], second_key: str | None = None) -> list[Obj]:
    by_key = {e.get(key): e for e in existing if isinstance(e, dict)}
    by_second = {e.get(second_key): e for e in existing if isinstance(e, dict)} if second_key else {}
    merged = list(existing)
    for preset, item in additions:
        found = by_key.get(item.get(key))
        if found is None:
            by_key[item.get(key)] = item
            merged.append(item)
        elif found != item:
            errs.append(f"merging {what} for {preset} has a conflict on {item.get(key)}")
        if second_key:
            f2 = by_second.get(item.get(second_key))
            if f2 is None:
                by_second[item.get(second_key)] = item
            elif f2 != item:
                errs.append(f"merging {what} for {preset} has a conflict on mount path "
                            f"{item.get(second_key)}")
    return merged


def apply(pod: Obj, presets: list[Obj]) -> tuple[list[str], str | None]:
    """Mutate ``pod`` with the matching presets. → (applied names, conflict message or None)."""
    md = pod.setdefault("metadata", {})
    if (md.get("annotations") or {}).get(EXCLUDE) == "true":
        return [], None
    chosen = matching(pod, presets)
    if not chosen:
        return [], None
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return [], None
    errs: list[str] = []
    containers = [c for k in ("initContainers", "containers") for c in spec.get(k) or ()
                  if isinstance(c, dict)]
    env_add = [(p["metadata"]["name"], e) for p in chosen for e in (p.get("spec") or {}).get("env") or ()]
    mount_add = [(p["metadata"]["name"], m) for p in chosen
                 for m in (p.get("spec") or {}).get("volumeMounts") or ()]
    vol_add = [(p["metadata"]["name"], v) for p in chosen for v in (p.get("spec") or {}).get("volumes") or ()]
    envfrom_add = [e for p in chosen for e in (p.get("spec") or {}).get("envFrom") or ()]
    new_envs, new_mounts = [], []
    for c in containers:
        new_envs.append(_merge_keyed(list(c.get("env") or []), env_add, "name", "env", errs))
        new_mounts.append(_merge_keyed(list(c.get("volumeMounts") or []), mount_add, "name",
                                       "volume mounts", errs, "mountPath"))
    new_vols = _merge_keyed(list(spec.get("volumes") or []), vol_add, "name", "volumes", errs)
    names = [p["metadata"]["name"] for p in chosen]
    if errs:
        return [], (f"conflict occurred while applying podpresets: {','.join(names)} on pod: "
                    f"{md.get('name') or md.get('generateName', '')} err: {'; '.join(dict.fromkeys(errs))}")
    for c, env, mounts in zip(containers, new_envs, new_mounts):
        if env:
            c["env"] = env
        if envfrom_add:
            c["envFrom"] = list(c.get("envFrom") or []) + envfrom_add
        if mounts:
            c["volumeMounts"] = mounts
    if new_vols:
        spec["volumes"] = new_vols
    ann = md.get("annotations")
    if not isinstance(ann, dict):
        md["annotations"] = ann = {}
    for p in chosen:
        ann[ANNOTATION_PREFIX + p["metadata"]["name"]] = p["metadata"].get("resourceVersion", "")
    return names, None
