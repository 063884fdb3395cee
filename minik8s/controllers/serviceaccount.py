"""ServiceAccount and root-CA publisher: every namespace has ``default`` and ``kube-root-ca.crt``.

Like kube-controller-manager's serviceaccount-controller and
root-ca-cert-publisher: recreated if deleted, never touched otherwise.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.runtime.controller import Result
from minik8s.runtime.context import ControllerContext

Obj = dict[str, Any]
ROOT_CA = "kube-root-ca.crt"
FAKE_CA = ("-----BEGIN CERTIFICATE-----\nTUlOSUs4UyBET0VTIE5PVCBTRVJWRSBUTFMgVU5MRVNTIC0tdGxzIElTIEdJVkVO\n"
           "-----END CERTIFICATE-----\n")
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using "
               "internal endpoints such as the internal service IP or kubernetes.default.svc. "
               "No other usage is guaranteed across distributions of Kubernetes clusters.")


def setup(ctx: ControllerContext) -> None:
    mgr, informers, client = ctx.manager, ctx.informers, ctx.client
    namespaces = informers.informer("v1", "namespaces")
    accounts = informers.informer("v1", "serviceaccounts")
    configmaps = informers.informer("v1", "configmaps")

    def reconcile(ns: str) -> Result | None:
        nso = namespaces.get("", ns)
        if nso is None or nso["metadata"].get("deletionTimestamp"):
            return None
        try:
            if accounts.get(ns, "default") is None:
                client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": "default", "namespace": ns}})
            if configmaps.get(ns, ROOT_CA) is None:
                client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                    "name": ROOT_CA, "namespace": ns,
                    "annotations": {"kubernetes.io/description": DESCRIPTION}},
                    "data": {"ca.crt": FAKE_CA}})
        except (errors.AlreadyExists, errors.Forbidden, errors.NotFound):
            pass
        return None

    ctrl = mgr.add("serviceaccount-controller", reconcile)
    namespaces.add_handler(lambda et, o, old: ctrl.enqueue(o["metadata"]["name"])
                           if et != "DELETED" else None)

    def on_dependent(et: str, o: Obj, old: Obj | None) -> None:
        if et == "DELETED" and o["metadata"]["name"] in ("default", ROOT_CA):
            ctrl.enqueue(o["metadata"].get("namespace", ""))

    accounts.add_handler(on_dependent, replay=False)
    configmaps.add_handler(on_dependent, replay=False)
