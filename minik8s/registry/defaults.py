"""Defaulting: the fields the real API server fills in, per kind.

Applied on every create and update (defaulting is idempotent), so that
``kubectl get -o yaml`` reads like a real cluster. Allocation of cluster IPs
and node ports is admission (``registry.admission``), not defaulting.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from minik8s.api import crd

Obj = dict[str, Any]


def _setdefault(d: Obj, key: str, value: Any) -> None:
    if d.get(key) is None:
        d[key] = value


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    if ":" not in name or name.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _container(c: Obj) -> None:
    if isinstance(c.get("image"), str):
        _setdefault(c, "imagePullPolicy", _image_pull_policy(c["image"]))
    _setdefault(c, "terminationMessagePath", "/dev/termination-log")
    _setdefault(c, "terminationMessagePolicy", "File")
    _setdefault(c, "resources", {})
    res = c["resources"]
    if isinstance(res, dict) and isinstance(res.get("limits"), dict):
        # requests default to limits where unset
        req = res.setdefault("requests", {}) if res.get("requests") is not None else None
        if req is None:
            res["requests"] = dict(res["limits"])
        else:
            for k, v in res["limits"].items():
                req.setdefault(k, v)
    for p in c.get("ports") or ():
        if isinstance(p, dict):
            _setdefault(p, "protocol", "TCP")
    for e in c.get("env") or ():
        if isinstance(e, dict):
            fr = (e.get("valueFrom") or {}).get("fieldRef") if isinstance(e.get("valueFrom"), dict) else None
            if isinstance(fr, dict):
                _setdefault(fr, "apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        p = c.get(probe)
        if isinstance(p, dict):
            _setdefault(p, "timeoutSeconds", 1)
            _setdefault(p, "periodSeconds", 10)
            _setdefault(p, "successThreshold", 1)
            _setdefault(p, "failureThreshold", 3)
            hg = p.get("httpGet")
            if isinstance(hg, dict):
                _setdefault(hg, "path", "/")
                _setdefault(hg, "scheme", "HTTP")


def pod_spec(spec: Obj) -> None:
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "restartPolicy", "Always")
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    _setdefault(spec, "dnsPolicy", "ClusterFirst")
    _setdefault(spec, "securityContext", {})
    _setdefault(spec, "schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                _container(c)
    for v in spec.get("volumes") or ():
        if not isinstance(v, dict):
            continue
        for src in ("configMap", "secret"):
            s = v.get(src)
            if isinstance(s, dict):
                _setdefault(s, "defaultMode", 420)
        hp = v.get("hostPath")
        if isinstance(hp, dict):
            _setdefault(hp, "type", "")
        if isinstance(v.get("projected"), dict):
            _setdefault(v["projected"], "defaultMode", 420)
        if isinstance(v.get("downwardAPI"), dict):
            _setdefault(v["downwardAPI"], "defaultMode", 420)


def pod_template(tpl: Obj) -> None:
    if not isinstance(tpl, dict):
        return
    md = tpl.get("metadata")
    if md is None:
        tpl["metadata"] = md = {}
    if isinstance(md, dict):
        md.setdefault("creationTimestamp", None)
    pod_spec(tpl.get("spec"))


def pod(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        pod_spec(spec)
        _setdefault(spec, "enableServiceLinks", True)
        # priority and preemptionPolicy come from the Priority admission plugin (create
        # only, after managedFields are recorded): admission.mutate_pod


def service(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "type", "ClusterIP")
    t = spec["type"]
    if t != "ExternalName":
        _setdefault(spec, "sessionAffinity", "None")
        _setdefault(spec, "internalTrafficPolicy", "Cluster")
    for p in spec.get("ports") or ():
        if isinstance(p, dict):
            _setdefault(p, "protocol", "TCP")
            if p.get("targetPort") is None and "port" in p:
                p["targetPort"] = p["port"]
    if t in ("NodePort", "LoadBalancer"):
        _setdefault(spec, "externalTrafficPolicy", "Cluster")
    if t == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _sub(d: Obj, key: str) -> Obj | None:
    """``d[key]`` as a dict, created when absent; None when it holds something else."""
    v = d.get(key)
    if v is None:
        d[key] = v = {}
    return v if isinstance(v, dict) else None


def _rolling(spec: Obj, field: str, **rolling: Any) -> None:
    """An update strategy of type RollingUpdate (the default) with its rollingUpdate defaults."""
    strat = _sub(spec, field)
    if strat is None:
        return
    _setdefault(strat, "type", "RollingUpdate")
    if strat["type"] == "RollingUpdate":
        ru = _sub(strat, "rollingUpdate")
        if ru is not None:
            for k, v in rolling.items():
                _setdefault(ru, k, v)


def deployment(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "replicas", 1)
    _rolling(spec, "strategy", maxUnavailable="25%", maxSurge="25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    pod_template(spec.get("template"))


def replicaset(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        _setdefault(spec, "replicas", 1)
        pod_template(spec.get("template"))


def replicationcontroller(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "replicas", 1)
    tpl = spec.get("template")
    if isinstance(tpl, dict):
        labels = (tpl.get("metadata") or {}).get("labels")
        if labels and not spec.get("selector"):
            spec["selector"] = dict(labels)
        md = obj.setdefault("metadata", {})
        if labels and not md.get("labels"):
            md["labels"] = dict(labels)
    pod_template(tpl)


def statefulset(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "replicas", 1)
    _setdefault(spec, "podManagementPolicy", "OrderedReady")
    _rolling(spec, "updateStrategy", partition=0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    pr = _sub(spec, "persistentVolumeClaimRetentionPolicy")
    if pr is not None:
        _setdefault(pr, "whenDeleted", "Retain")
        _setdefault(pr, "whenScaled", "Retain")
    for vct in spec.get("volumeClaimTemplates") or ():
        if isinstance(vct, dict):
            vct.setdefault("apiVersion", "v1")
            vct.setdefault("kind", "PersistentVolumeClaim")
            vct.setdefault("metadata", {}).setdefault("creationTimestamp", None)
            if isinstance(vct.get("spec"), dict):
                _setdefault(vct["spec"], "volumeMode", "Filesystem")
            vct.setdefault("status", {}).setdefault("phase", "Pending")
    pod_template(spec.get("template"))


def daemonset(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _rolling(spec, "updateStrategy", maxUnavailable=1, maxSurge=0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    pod_template(spec.get("template"))


def job(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _setdefault(spec, "parallelism", 1)
    _setdefault(spec, "backoffLimit", 6)
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "podReplacementPolicy", "TerminatingOrFailed")
    md = obj.get("metadata") or {}
    tpl = spec.get("template")
    if not spec.get("manualSelector") and md.get("uid") and isinstance(tpl, dict):
        # the job strategy's generated selector: unique to this Job, on the pods too
        uid, name = md["uid"], md.get("name", "")
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        if spec.get("selector") is None:
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        tmd = tpl.get("metadata")
        if not isinstance(tmd, dict):
            tpl["metadata"] = tmd = {}
        tl = tmd.get("labels")
        if not isinstance(tl, dict):
            tmd["labels"] = tl = {}
        for k, v in labels.items():
            tl.setdefault(k, v)
    pod_template(spec.get("template"))


def cronjob(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "concurrencyPolicy", "Allow")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "successfulJobsHistoryLimit", 3)
    _setdefault(spec, "failedJobsHistoryLimit", 1)
    jt = spec.get("jobTemplate")
    if isinstance(jt, dict):
        jt.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        if isinstance(jt.get("spec"), dict):
            js = jt["spec"]
            pod_template(js.get("template"))


def secret(obj: Obj) -> None:
    _setdefault(obj, "type", "Opaque")
    sd = obj.pop("stringData", None)
    if isinstance(sd, dict):
        data = obj.get("data")
        if not isinstance(data, dict):
            obj["data"] = data = {}
        for k, v in sd.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def namespace(obj: Obj) -> None:
    md = obj.setdefault("metadata", {})
    name = md.get("name")
    if name:
        labels = md.get("labels")
        if not isinstance(labels, dict):
            md["labels"] = labels = {}
        labels["kubernetes.io/metadata.name"] = name
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "finalizers", ["kubernetes"])
    st = obj.setdefault("status", {})
    if isinstance(st, dict):
        _setdefault(st, "phase", "Active")


def pvc(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        _setdefault(spec, "volumeMode", "Filesystem")
    st = obj.setdefault("status", {})
    if isinstance(st, dict):
        _setdefault(st, "phase", "Pending")


def pv(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        _setdefault(spec, "persistentVolumeReclaimPolicy", "Retain")
        _setdefault(spec, "volumeMode", "Filesystem")
    st = obj.setdefault("status", {})
    if isinstance(st, dict):
        _setdefault(st, "phase", "Pending")


def storageclass(obj: Obj) -> None:
    _setdefault(obj, "reclaimPolicy", "Delete")
    _setdefault(obj, "volumeBindingMode", "Immediate")


def hpa(obj: Obj) -> None:
    """autoscaling/v2 defaults (objects are stored as v2)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    beh = spec.get("behavior")
    if isinstance(beh, dict):
        up = beh.get("scaleUp")
        if up is None:
            beh["scaleUp"] = up = {}
        if isinstance(up, dict):
            _setdefault(up, "stabilizationWindowSeconds", 0)
            _setdefault(up, "selectPolicy", "Max")
            _setdefault(up, "policies", [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}])
        down = beh.get("scaleDown")
        if down is None:
            beh["scaleDown"] = down = {}
        if isinstance(down, dict):
            _setdefault(down, "selectPolicy", "Max")
            _setdefault(down, "policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def endpointslice(obj: Obj) -> None:
    for p in obj.get("ports") or ():
        if isinstance(p, dict):
            _setdefault(p, "protocol", "TCP")


def endpoints(obj: Obj) -> None:
    for s in obj.get("subsets") or ():
        if isinstance(s, dict):
            for p in s.get("ports") or ():
                if isinstance(p, dict):
                    _setdefault(p, "protocol", "TCP")


def ingressclass(obj: Obj) -> None:
    pass


def pdb(obj: Obj) -> None:
    pass


def node(obj: Obj) -> None:
    pass


def serviceaccount(obj: Obj) -> None:
    pass


def podpreset(obj: Obj) -> None:
    pass


#: resource key -> defaulting function
DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "pods": pod,
    "podtemplates": lambda o: pod_template(o.get("template")) if isinstance(o.get("template"), dict) else None,
    "services": service,
    "secrets": secret,
    "namespaces": namespace,
    "persistentvolumeclaims": pvc,
    "persistentvolumes": pv,
    "replicationcontrollers": replicationcontroller,
    "endpoints": endpoints,
    "deployments.apps": deployment,
    "replicasets.apps": replicaset,
    "statefulsets.apps": statefulset,
    "daemonsets.apps": daemonset,
    "jobs.batch": job,
    "cronjobs.batch": cronjob,
    "storageclasses.storage.k8s.io": storageclass,
    "horizontalpodautoscalers.autoscaling": hpa,
    "endpointslices.discovery.k8s.io": endpointslice,
    "customresourcedefinitions.apiextensions.k8s.io": crd.defaults,
}


def apply_defaults(key: str, obj: Obj) -> None:
    fn = DEFAULTERS.get(key)
    if fn is not None:
        fn(obj)
