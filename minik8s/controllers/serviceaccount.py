"""ServiceAccount and root-CA publisher: every namespace has ``default`` and ``kube-root-ca.crt``.

Like kube-controller-manager's serviceaccount-controller and
root-ca-cert-publisher: recreated if deleted, never touched otherwise.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.client.client import Client
from minik8s.runtime.dispatch import Controller

Obj = dict[str, Any]
ROOT_CA = "kube-root-ca.crt"
FAKE_CA = ("-----BEGIN CERTIFICATE-----\nTUlOSUs4UyBET0VTIE5PVCBTRVJWRSBUTFMgVU5MRVNTIC0tdGxzIElTIEdJVkVO\n"
           "-----END CERTIFICATE-----\n")


def controller(client: Client) -> Controller:
    reg = client.reg

    def mapper(res: Resource, etype: str, obj: Obj, old: Obj | None) -> list[str]:
        md = obj.get("metadata") or {}
        if res.key == "namespaces":
            return [md["name"]] if etype != "DELETED" else []
        if etype == "DELETED" and md.get("name") in ("default", ROOT_CA):
            return [md.get("namespace", "")]
        return []

    def reconcile(ns: str) -> None:
        nso = reg.store.get("namespaces", "", ns)
        if nso is None or nso["metadata"].get("deletionTimestamp"):
            return
        try:
            if reg.store.get("serviceaccounts", ns, "default") is None:
                client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": "default", "namespace": ns}})
            if reg.store.get("configmaps", ns, ROOT_CA) is None:
                client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                    "name": ROOT_CA, "namespace": ns, "annotations": {
                        "kubernetes.io/description": "Contains a CA bundle that can be used to "
                        "verify the kube-apiserver when using internal endpoints such as the "
                        "internal service IP or kubernetes.default.svc. No other usage is guaranteed "
                        "across distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": FAKE_CA}})
        except (errors.AlreadyExists, errors.Forbidden, errors.NotFound):
            pass

    return Controller("serviceaccount", ["namespaces", "serviceaccounts", "configmaps"], mapper, reconcile)
