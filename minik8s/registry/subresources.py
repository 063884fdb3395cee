"""Subresources and answered-not-stored resources.

``scale`` (autoscaling/v1 Scale over a workload's replicas), ``pods/binding``,
``pods/eviction``, ``serviceaccounts/token``, the review resources (answered
and forgotten, as the real server does) and server-side apply's entry point.
Everything ends in ``Registry`` writes, so the one write path holds.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import orjson

from minik8s.api import errors, selectors
from minik8s.api.resources import Resource
from minik8s.api import objects

if TYPE_CHECKING:
    from minik8s.registry.registry import Context, Registry, WriteOptions

Obj = dict[str, Any]

ADMIN_USER = {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}


class Subresources:
    def __init__(self, reg: "Registry") -> None:
        self.reg = reg

    # -------------------------------------------------------------- reviews
    def virtual_create(self, res: Resource, ns: str, obj: Obj, opts: "WriteOptions") -> Obj:
        out = objects.deep_copy(obj)
        out.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        kind = res.kind
        if self.reg.reviews is not None and kind != "Binding":  # auth on: real answers
            out["status"] = self.reg.reviews(res, ns, out, opts.user)
            return out
        if kind in ("SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview"):
            out["status"] = {"allowed": True, "reason": ""}
            out["status"].pop("reason")
        elif kind == "SelfSubjectRulesReview":
            out["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                                  {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                                   "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        elif kind == "SelfSubjectReview":
            out["status"] = {"userInfo": dict(ADMIN_USER)}
        elif kind == "TokenReview":
            out["status"] = {"authenticated": True, "user": dict(ADMIN_USER), "audiences": []}
        elif kind == "Binding":
            return self.bind(ns, (obj.get("metadata") or {}).get("name", ""), obj, opts)
        else:
            raise errors.MethodNotAllowed()
        return out

    # -------------------------------------------------------------- scale
    def _crd_scale_paths(self, res: Resource) -> tuple[str, str, str]:
        v = (res.crd_versions or {}).get(res.storage_version)
        sc = (v.scale if v is not None else None) or {}
        return (sc.get("specReplicasPath", ".spec.replicas"),
                sc.get("statusReplicasPath", ".status.replicas"),
                sc.get("labelSelectorPath", ""))

    def scale_of(self, res: Resource, obj: Obj) -> Obj:
        md = obj["metadata"]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        sel = spec.get("selector")
        if res.crd:
            sp, stp, lp = self._crd_scale_paths(res)
            scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
                     "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                     "creationTimestamp") if k in md},
                     "spec": {"replicas": _get_path(obj, sp) or 0},
                     "status": {"replicas": _get_path(obj, stp) or 0}}
            if lp and _get_path(obj, lp):
                scale["status"]["selector"] = _get_path(obj, lp)
            return scale
        if res.key == "replicationcontrollers":
            sel_str = ",".join(f"{k}={v}" for k, v in sorted((sel or {}).items()))
        elif isinstance(sel, dict):
            try:
                sel_str = str(selectors.label_selector_from_dict(sel))
            except ValueError:
                sel_str = ""
        else:
            sel_str = ""
        scale: Obj = {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                            "creationTimestamp") if k in md},
            "spec": {"replicas": spec.get("replicas", 0)},
            "status": {"replicas": status.get("replicas", 0)},
        }
        if sel_str:
            scale["status"]["selector"] = sel_str
        return scale

    def get_scale(self, res: Resource, ns: str, name: str) -> Obj:
        return self.scale_of(res, self.reg.get(res, ns, name))

    def update_scale(self, res: Resource, ns: str, name: str, scale: Any,
                     opts: "WriteOptions") -> Obj:
        from minik8s.registry.registry import WriteOptions

        if not isinstance(scale, dict):
            raise errors.BadRequest("the body of the request was not a JSON object")
        old = self.reg.get(res, ns, name)
        rv = (scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise errors.Conflict.modified(res.group, res.plural, name)
        replicas = (scale.get("spec") or {}).get("replicas")
        if replicas is None:
            replicas = 0
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            raise errors.BadRequest("Scale.spec.replicas must be an integer")
        if replicas < 0:
            raise errors.Invalid("Scale", "autoscaling", name, [errors.FieldError(
                "invalid", "spec.replicas", replicas, "must be greater than or equal to 0")])
        new = objects.deep_copy(old)
        if res.crd:
            _set_path(new, self._crd_scale_paths(res)[0], replicas)
        else:
            new.setdefault("spec", {})["replicas"] = replicas
        new["metadata"].pop("resourceVersion", None)
        # the writer owns spec.replicas "with subresource scale" (its own managedFields entry)
        out = self.reg._update_from(res, new, old, WriteOptions(
            dry_run=opts.dry_run, field_manager=opts.field_manager, user_agent=opts.user_agent,
            version=opts.version), "scale")
        return self.scale_of(res, out)

    def patch_scale(self, res: Resource, ns: str, name: str, patch_type: str, patch: Any,
                    opts: "WriteOptions") -> Obj:
        from minik8s.registry import patch as patches

        current = self.get_scale(res, ns, name)
        if patch_type == "application/merge-patch+json":
            new = patches.apply_merge_patch(current, patch)
        elif patch_type == "application/json-patch+json":
            if not isinstance(patch, list):
                raise errors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            new = patches.apply_json_patch(current, patch)
        elif patch_type == "application/strategic-merge-patch+json":
            new = patches.apply_strategic_merge_patch(current, patch, None)
        elif patch_type == "application/apply-patch+yaml":
            new = patches.apply_merge_patch(current, patch)
        else:
            raise patches.unsupported_patch_type(patch_type, patches.BUILTIN_PATCH_TYPES)
        if isinstance(new, dict) and (new.get("metadata") or {}).get("resourceVersion") == \
                current["metadata"].get("resourceVersion"):
            new["metadata"].pop("resourceVersion", None)
        return self.update_scale(res, ns, name, new, opts)

    # -------------------------------------------------------------- pods/binding
    def bind(self, ns: str, name: str, binding: Any, opts: "WriteOptions") -> Obj:
        from minik8s.registry.registry import WriteOptions

        res = self.reg.table.by_key("pods")
        assert res is not None
        if not isinstance(binding, dict):
            raise errors.BadRequest("the body of the request was not a JSON object")
        bname = (binding.get("metadata") or {}).get("name") or name
        if name and bname != name:
            raise errors.BadRequest(
                f"the name of the object ({bname}) does not match the name on the URL ({name})")
        target = binding.get("target") or {}
        node = target.get("name")
        if not node:
            raise errors.Invalid("Binding", "", bname, [errors.FieldError(
                "required", "target.name")])
        old = self.reg.get(res, ns, bname)
        if old["metadata"].get("deletionTimestamp"):
            raise errors.Conflict.for_resource("", "pods", bname, "pod is being deleted")
        cur = (old.get("spec") or {}).get("nodeName")
        if cur:
            raise errors.Conflict.for_resource(
                "", "pods", bname, f'pod {bname} is already assigned to node "{cur}"')
        # copies along the changed paths only: the rest is shared with the stored pod
        new = dict(old)
        new["spec"] = {**old["spec"], "nodeName": node}
        new["metadata"] = md = dict(old["metadata"])
        ann = (binding.get("metadata") or {}).get("annotations")
        if ann:
            md["annotations"] = {**(md.get("annotations") or {}), **ann}
        new["status"] = status = dict(old.get("status") or {})
        conds = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
        conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": self.reg._now()})
        status["conditions"] = conds
        new["metadata"].pop("resourceVersion", None)
        if not opts.dry_run:
            self.reg._commit(res, new, old)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}

    # -------------------------------------------------------------- pods/eviction
    def evict(self, ns: str, name: str, eviction: Any, opts: "WriteOptions") -> Obj:
        res = self.reg.table.by_key("pods")
        assert res is not None
        if not isinstance(eviction, dict):
            raise errors.BadRequest("the body of the request was not a JSON object")
        pod = self.reg.get(res, ns, name)
        phase = (pod.get("status") or {}).get("phase")
        if phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
            self._check_disruption_budgets(pod)
        delete_opts = eviction.get("deleteOptions") or {}
        dry = opts.dry_run or "All" in (delete_opts.get("dryRun") or ())
        self.reg.delete(res, ns, name, delete_opts, dry_run=dry)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}

    def _check_disruption_budgets(self, pod: Obj) -> None:
        ns = pod["metadata"].get("namespace", "")
        labels = pod["metadata"].get("labels") or {}
        pdbs = self.reg.store.resource("poddisruptionbudgets.policy").by_namespace.get(ns, {})
        for pdb in list(pdbs.values()):
            sel = (pdb.get("spec") or {}).get("selector")
            if sel is None:
                continue
            try:
                if not selectors.label_selector_from_dict(sel).matches(labels):
                    continue
            except ValueError:
                continue
            allowed = (pdb.get("status") or {}).get("disruptionsAllowed", 0)
            if allowed > 0:
                # take the disruption in the same step, so two quick evictions can't both pass
                self._take_disruption(pdb, pod)
                continue
            if allowed <= 0:
                raise errors.TooManyRequests(
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    details={"causes": [{"reason": "DisruptionBudget", "message":
                             f"The disruption budget {pdb['metadata']['name']} needs "
                             f"{(pdb.get('status') or {}).get('desiredHealthy', 0)} healthy pods "
                             f"and has {(pdb.get('status') or {}).get('currentHealthy', 0)} "
                             "currently"}]})

    def _take_disruption(self, pdb: Obj, pod: Obj) -> None:
        from minik8s.registry.registry import WriteOptions

        res = self.reg.table.by_key("poddisruptionbudgets.policy")
        if res is None:
            return
        new = objects.deep_copy(pdb)
        st = new.setdefault("status", {})
        st["disruptionsAllowed"] = max(int(st.get("disruptionsAllowed", 0)) - 1, 0)
        st.setdefault("disruptedPods", {})[pod["metadata"]["name"]] = self.reg.clock.rfc3339()
        self.reg._update_from(res, new, pdb, WriteOptions(field_manager="eviction"), "status")

    # -------------------------------------------------------------- serviceaccounts/token
    def token(self, ns: str, name: str, req: Any) -> Obj:
        res = self.reg.table.by_key("serviceaccounts")
        assert res is not None
        sa = self.reg.get(res, ns, name)
        spec = (req or {}).get("spec") or {} if isinstance(req, dict) else {}
        exp = int(spec.get("expirationSeconds") or 3600)
        now = self.reg.clock.now()
        claims = {"aud": spec.get("audiences") or ["https://kubernetes.default.svc.cluster.local"],
                  "exp": int(now + exp), "iat": int(now), "iss": "https://kubernetes.default.svc.cluster.local",
                  "sub": f"system:serviceaccount:{ns}:{name}",
                  "kubernetes.io": {"namespace": ns, "serviceaccount": {
                      "name": name, "uid": sa["metadata"]["uid"]}}}

        def b64(d: Obj) -> str:
            return base64.urlsafe_b64encode(orjson.dumps(d)).decode().rstrip("=")

        if self.reg.token_signer is not None:  # auth on: a token the server verifies
            token = self.reg.token_signer(claims)
        else:
            token = f"{b64({'alg': 'none', 'kid': 'minik8s'})}.{b64(claims)}.minik8s"
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": None},
                "spec": {"audiences": claims["aud"], "expirationSeconds": exp,
                         "boundObjectRef": spec.get("boundObjectRef")},
                "status": {"token": token,
                           "expirationTimestamp": self.reg.clock.rfc3339(now + exp)}}

    # -------------------------------------------------------------- server-side apply
    def apply(self, res: Resource, ns: str, name: str, patch: Any, old: Obj | None,
              opts: "WriteOptions", ctx: "Context | None", subresource: str | None) -> Obj:
        from minik8s.registry import apply as ssa

        return ssa.server_side_apply(self.reg, res, ns, name, patch, old, opts, ctx, subresource)


def _get_path(obj: Any, path: str) -> Any:
    cur = obj
    for part in [p for p in path.split(".") if p]:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _set_path(obj: Obj, path: str, value: Any) -> None:
    parts = [p for p in path.split(".") if p]
    cur = obj
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value
