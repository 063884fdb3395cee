#!/usr/bin/env python3
"""Generate ``minik8s/api/proto_table.json`` from the upstream ``generated.proto`` files.

The table is what ``minik8s.api.protobuf`` needs to turn a protobuf request body
(kubectl 1.32+, see kubectl-protocol.md §10) into the JSON-shaped dict: for every
message, by fully-qualified name, its fields by number::

    {"messages": {"k8s.io.api.core.v1.ConfigMap": {
        "1": ["metadata", "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", 0],
        "2": ["data", "map", 1, "string", "string"], ...}}}

Each field is ``[json name, kind, flags]`` and, for ``map<k,v>``, the key and value
kinds.  Flags: 1 repeated, 2 *drop-zero* (a 0/false means unset: Go's JSON would
omit it), 4 *keep-zero* (a "" is a value: Go pointer string).  A json name of ""
marks a struct embedded with ``json:",inline"``: its fields go to the parent.
A kind is a proto scalar (``string``, ``int32``, ``bytes``...), a message FQN,
``map``, or one of the *special* kinds below for the apimachinery types whose
JSON form is not their message shape (the decoder knows these):

    time       meta.v1.Time        {1 seconds, 2 nanos} -> RFC3339
    microtime  meta.v1.MicroTime   {1 seconds, 2 nanos} -> RFC3339 with microseconds
    quantity   resource.Quantity   {1 string}           -> string
    intstr     intstr.IntOrString  {1 type, 2 intVal, 3 strVal} -> int | str
    json       runtime.RawExtension, meta.v1.FieldsV1  {1 raw JSON bytes} -> value
    duration   meta.v1.Duration    {1 int64 ns} -> Go duration string
    strings    messages marked ``+protobuf.nullable=true`` that only wrap
               ``repeated string items = 1`` (ExtraValue, Verbs...) -> list

Field names in these files already are the JSON names; the few that are not
(inlined structs, ``uID``, JSONSchemaProps' ``$ref``...) are in ``JSON_NAME_OVERRIDES``.
What the proto files cannot say (which Go fields are pointers or ``omitempty``)
is in ``DROP_ZERO`` and ``KEEP_EMPTY``.
Packages missing from the input directory but sent by kubectl as protobuf are in
``SUPPLEMENT`` (copied from the upstream file named there).

Usage: ``python tools/gen_proto_table.py [PROTO_DIR] [-o OUT]``; the default
input is ``../shared/k8s-proto`` next to the repository.  Output is deterministic.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import re
import sys
from typing import Any

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PROTO_DIR = REPO.parent / "shared" / "k8s-proto"
DEFAULT_OUT = REPO / "minik8s" / "api" / "proto_table.json"

#: bits of a field's third element
REPEATED, DROP_ZERO_FLAG, KEEP_ZERO_FLAG = 1, 2, 4

SCALARS = frozenset({
    "string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "double", "float",
})

_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
SPECIAL = {
    _META + "Time": "time",
    _META + "MicroTime": "microtime",
    _META + "FieldsV1": "json",
    _META + "Duration": "duration",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "json",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intstr",
}

def _expand(short: dict[str, str]) -> dict[str, frozenset[str]]:
    """``{"core.v1.Container": "stdin tty"}`` -> ``{"k8s.io.api.core.v1.Container": {...}}``."""
    out = {}
    for name, fields in short.items():
        prefix = "k8s.io.apimachinery.pkg.apis." if name.startswith("meta.") else "k8s.io.api."
        out[prefix + name] = frozenset(fields.split())
    return out


_JSP = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
#: (message, proto field) -> JSON name where they differ; "" = embedded with
#: ``json:",inline"`` (its fields belong to the parent object)
JSON_NAME_OVERRIDES = {
    ("k8s.io.api.authentication.v1.BoundObjectReference", "uID"): "uid",
    ("k8s.io.api.networking.v1.IngressClassParametersReference", "aPIGroup"): "apiGroup",
    ("k8s.io.api.networking.v1.IngressRule", "ingressRuleValue"): "",
    ("k8s.io.api.core.v1.Volume", "volumeSource"): "",
    ("k8s.io.api.core.v1.PersistentVolumeSpec", "persistentVolumeSource"): "",
    ("k8s.io.api.core.v1.Probe", "handler"): "",
    ("k8s.io.api.core.v1.EphemeralContainer", "ephemeralContainerCommon"): "",
    **{(f"k8s.io.api.core.v1.{m}", "localObjectReference"): "" for m in (
        "ConfigMapEnvSource", "ConfigMapKeySelector", "ConfigMapProjection",
        "ConfigMapVolumeSource", "SecretEnvSource", "SecretKeySelector", "SecretProjection")},
    (_JSP, "ref"): "$ref",
    (_JSP, "schema"): "$schema",
    (_JSP, "xKubernetesPreserveUnknownFields"): "x-kubernetes-preserve-unknown-fields",
    (_JSP, "xKubernetesEmbeddedResource"): "x-kubernetes-embedded-resource",
    (_JSP, "xKubernetesIntOrString"): "x-kubernetes-int-or-string",
    (_JSP, "xKubernetesListMapKeys"): "x-kubernetes-list-map-keys",
    (_JSP, "xKubernetesListType"): "x-kubernetes-list-type",
    (_JSP, "xKubernetesMapType"): "x-kubernetes-map-type",
    (_JSP, "xKubernetesValidations"): "x-kubernetes-validations",
}

# Zero values.  Go's marshaller writes every non-pointer field, so a 0/false on the
# wire may just mean "unset"; its JSON encoder then drops it when the field is
# `omitempty`.  DROP_ZERO lists those non-pointer `omitempty` numbers/booleans, and
# KEEP_EMPTY the pointer strings (where "" is a value, e.g. storageClassName).
# Both were read off the Go structs of k8s.io/api and k8s.io/apimachinery at the
# commits of the proto files (types.go: `*T` vs `T`, `json:",omitempty"`) and are
# checked against kubectl's captured bodies by tests/unit/test_protobuf.py.
DROP_ZERO = _expand({
    "apps.v1.DaemonSetSpec": "minReadySeconds",
    "apps.v1.DaemonSetStatus": "observedGeneration updatedNumberScheduled numberAvailable "
                               "numberUnavailable",
    "apps.v1.DeploymentSpec": "minReadySeconds paused",
    "apps.v1.DeploymentStatus": "observedGeneration replicas updatedReplicas "
                                "availableReplicas unavailableReplicas readyReplicas",
    "apps.v1.ReplicaSetSpec": "minReadySeconds",
    "apps.v1.ReplicaSetStatus": "fullyLabeledReplicas observedGeneration readyReplicas "
                                "availableReplicas",
    "apps.v1.StatefulSetSpec": "minReadySeconds",
    "apps.v1.StatefulSetStatus": "observedGeneration readyReplicas currentReplicas "
                                 "updatedReplicas",
    "authentication.v1.TokenReviewStatus": "authenticated",
    "authorization.v1.SubjectAccessReviewStatus": "denied", "autoscaling.v1.ScaleSpec": "replicas",
    "autoscaling.v2.HorizontalPodAutoscalerStatus": "currentReplicas",
    "batch.v1.JobStatus": "active succeeded failed",
    "core.v1.AWSElasticBlockStoreVolumeSource": "partition readOnly",
    "core.v1.AzureFilePersistentVolumeSource": "readOnly",
    "core.v1.AzureFileVolumeSource": "readOnly", "core.v1.CSIPersistentVolumeSource": "readOnly",
    "core.v1.CephFSPersistentVolumeSource": "readOnly", "core.v1.CephFSVolumeSource": "readOnly",
    "core.v1.CinderPersistentVolumeSource": "readOnly", "core.v1.CinderVolumeSource": "readOnly",
    "core.v1.Container": "stdin stdinOnce tty", "core.v1.ContainerImage": "sizeBytes",
    "core.v1.ContainerPort": "hostPort", "core.v1.ContainerStateTerminated": "signal",
    "core.v1.EphemeralContainerCommon": "stdin stdinOnce tty", "core.v1.Event": "count",
    "core.v1.EventSeries": "count", "core.v1.FCVolumeSource": "readOnly",
    "core.v1.FlexPersistentVolumeSource": "readOnly", "core.v1.FlexVolumeSource": "readOnly",
    "core.v1.GCEPersistentDiskVolumeSource": "partition readOnly",
    "core.v1.GlusterfsPersistentVolumeSource": "readOnly",
    "core.v1.GlusterfsVolumeSource": "readOnly",
    "core.v1.ISCSIPersistentVolumeSource": "readOnly chapAuthDiscovery chapAuthSession",
    "core.v1.ISCSIVolumeSource": "readOnly chapAuthDiscovery chapAuthSession",
    "core.v1.NFSVolumeSource": "readOnly", "core.v1.NodeSpec": "unschedulable",
    "core.v1.PersistentVolumeClaimVolumeSource": "readOnly",
    "core.v1.PodAttachOptions": "stdin stdout stderr tty",
    "core.v1.PodCondition": "observedGeneration",
    "core.v1.PodExecOptions": "stdin stdout stderr tty",
    "core.v1.PodLogOptions": "follow previous timestamps insecureSkipTLSVerifyBackend",
    "core.v1.PodSpec": "hostNetwork hostPID hostIPC", "core.v1.PodStatus": "observedGeneration",
    "core.v1.PortworxVolumeSource": "readOnly",
    "core.v1.Probe": "initialDelaySeconds timeoutSeconds periodSeconds successThreshold "
                     "failureThreshold",
    "core.v1.QuobyteVolumeSource": "readOnly", "core.v1.RBDPersistentVolumeSource": "readOnly",
    "core.v1.RBDVolumeSource": "readOnly", "core.v1.ReplicationControllerSpec": "minReadySeconds",
    "core.v1.ReplicationControllerStatus": "fullyLabeledReplicas observedGeneration "
                                           "readyReplicas availableReplicas",
    "core.v1.ScaleIOPersistentVolumeSource": "sslEnabled readOnly",
    "core.v1.ScaleIOVolumeSource": "sslEnabled readOnly", "core.v1.ServicePort": "nodePort",
    "core.v1.ServiceSpec": "healthCheckNodePort publishNotReadyAddresses",
    "core.v1.StorageOSPersistentVolumeSource": "readOnly",
    "core.v1.StorageOSVolumeSource": "readOnly", "core.v1.VolumeMount": "readOnly",
    "core.v1.VolumeMountStatus": "readOnly", "events.v1.Event": "deprecatedCount",
    "meta.v1.Condition": "observedGeneration",
    "meta.v1.ListOptions": "watch limit allowWatchBookmarks", "meta.v1.ObjectMeta": "generation",
    "meta.v1.Status": "code", "meta.v1.StatusDetails": "retryAfterSeconds",
    "networking.v1.ServiceBackendPort": "number",
    "policy.v1.PodDisruptionBudgetStatus": "observedGeneration",
    "scheduling.v1.PriorityClass": "globalDefault",
})
KEEP_EMPTY = _expand({
    "autoscaling.v2.HPAScalingRules": "selectPolicy", "batch.v1.CronJobSpec": "timeZone",
    "batch.v1.JobSpec": "completionMode podReplacementPolicy managedBy",
    "batch.v1.JobStatus": "failedIndexes",
    "batch.v1.PodFailurePolicyOnExitCodesRequirement": "containerName",
    "batch.v1.SuccessPolicyRule": "succeededIndexes",
    "coordination.v1.LeaseSpec": "holderIdentity strategy preferredHolder",
    "core.v1.AppArmorProfile": "localhostProfile",
    "core.v1.AzureDiskVolumeSource": "cachingMode fsType kind",
    "core.v1.AzureFilePersistentVolumeSource": "secretNamespace",
    "core.v1.CSIVolumeSource": "fsType", "core.v1.ClusterTrustBundleProjection": "name signerName",
    "core.v1.Container": "restartPolicy", "core.v1.ContainerStatus": "stopSignal",
    "core.v1.EndpointAddress": "nodeName", "core.v1.EndpointPort": "appProtocol",
    "core.v1.EphemeralContainerCommon": "restartPolicy", "core.v1.GRPCAction": "service mode",
    "core.v1.GlusterfsPersistentVolumeSource": "endpointsNamespace",
    "core.v1.HTTPGetAction": "protocol", "core.v1.HostPathVolumeSource": "type",
    "core.v1.ISCSIPersistentVolumeSource": "initiatorName",
    "core.v1.ISCSIVolumeSource": "initiatorName", "core.v1.Lifecycle": "stopSignal",
    "core.v1.LoadBalancerIngress": "ipMode", "core.v1.LocalVolumeSource": "fsType",
    "core.v1.PersistentVolumeClaimSpec": "storageClassName volumeMode volumeAttributesClassName",
    "core.v1.PersistentVolumeClaimStatus": "currentVolumeAttributesClassName",
    "core.v1.PersistentVolumeSpec": "volumeMode volumeAttributesClassName",
    "core.v1.PodDNSConfigOption": "value", "core.v1.PodLogOptions": "stream",
    "core.v1.PodResourceClaim": "resourceClaimName resourceClaimTemplateName",
    "core.v1.PodResourceClaimStatus": "resourceClaimName",
    "core.v1.PodSchedulingGroup": "podGroupName",
    "core.v1.PodSecurityContext": "fsGroupChangePolicy supplementalGroupsPolicy "
                                  "seLinuxChangePolicy",
    "core.v1.PodSpec": "runtimeClassName preemptionPolicy hostnameOverride",
    "core.v1.PortStatus": "error", "core.v1.Preconditions": "uid",
    "core.v1.ResourceHealth": "message", "core.v1.SeccompProfile": "localhostProfile",
    "core.v1.SecurityContext": "procMount", "core.v1.ServicePort": "appProtocol",
    "core.v1.ServiceSpec": "ipFamilyPolicy loadBalancerClass internalTrafficPolicy "
                           "trafficDistribution",
    "core.v1.TopologySpreadConstraint": "nodeAffinityPolicy nodeTaintsPolicy",
    "core.v1.TypedLocalObjectReference": "apiGroup",
    "core.v1.TypedObjectReference": "apiGroup namespace",
    "core.v1.VolumeMount": "mountPropagation recursiveReadOnly",
    "core.v1.VolumeMountStatus": "recursiveReadOnly",
    "core.v1.WindowsSecurityContextOptions": "gmsaCredentialSpecName gmsaCredentialSpec "
                                             "runAsUserName",
    "discovery.v1.Endpoint": "hostname nodeName zone",
    "discovery.v1.EndpointPort": "name protocol appProtocol",
    "meta.v1.DeleteOptions": "propagationPolicy", "meta.v1.Preconditions": "uid resourceVersion",
    "networking.v1.HTTPIngressPath": "pathType",
    "networking.v1.IngressClassParametersReference": "aPIGroup scope namespace",
    "networking.v1.IngressPortStatus": "error", "networking.v1.IngressSpec": "ingressClassName",
    "networking.v1.NetworkPolicyPort": "protocol",
    "policy.v1.PodDisruptionBudgetSpec": "unhealthyPodEvictionPolicy",
    "scheduling.v1.PriorityClass": "preemptionPolicy", "storage.v1.CSIDriverSpec": "fsGroupPolicy",
    "storage.v1.StorageClass": "reclaimPolicy volumeBindingMode",
    "storage.v1.StorageHealthCondition": "accessMode volumeMode",
    "storage.v1.VolumeAttachmentSource": "persistentVolumeName",
})

# k8s.io/api scheduling/v1/generated.proto (unchanged since v1.14): kubectl 1.32+
# sends `create priorityclass` as protobuf, and the input directory lacks it.
SUPPLEMENT = """
package k8s.io.api.scheduling.v1;
message PriorityClass {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional int32 value = 2;
  optional bool globalDefault = 3;
  optional string description = 4;
  optional string preemptionPolicy = 5;
}
message PriorityClassList {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta metadata = 1;
  repeated PriorityClass items = 2;
}
"""

_FIELD = re.compile(
    r"^(?:(optional|repeated|required)\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[.*\])?;$")
_MAP = re.compile(r"^map\s*<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*(?:\[.*\])?;$")
_MESSAGE = re.compile(r"^message\s+(\w+)\s*\{$")


class ProtoError(Exception):
    pass


@dataclasses.dataclass
class ProtoField:
    label: str  # optional | repeated | required | map
    type: str  # as written (unresolved); the value type of a map
    name: str
    key: str = ""  # a map's key type


@dataclasses.dataclass
class Message:
    scope: list[str]  # the package, then enclosing messages
    notes: set[str]  # the +protobuf... markers of the comment above it
    fields: dict[int, ProtoField] = dataclasses.field(default_factory=dict)


def parse(text: str, origin: str, messages: dict[str, Message]) -> None:
    """Collect the messages of one .proto file into ``messages`` (types unresolved)."""
    # drop /* block comments */, keeping line numbers
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    package = ""
    stack: list[str] = []
    comment: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("//"):
            comment.append(line[2:].strip())
            continue
        line = re.sub(r"//.*$", "", line).strip()
        where = f"{origin}:{lineno}"
        field: ProtoField | None = None
        num = 0
        if not line:
            comment = []
            continue
        if m := re.match(r"^package\s+([\w.]+)\s*;$", line):
            package = m.group(1)
        elif re.match(r"^(syntax|import|option)\b", line):
            pass
        elif m := _MESSAGE.match(line):
            stack.append(m.group(1))
            notes = {c for c in comment if c.startswith("+protobuf")}
            messages[".".join([package, *stack])] = Message([package, *stack[:-1]], notes)
        elif line == "}":
            if not stack:
                raise ProtoError(f"{where}: unbalanced '}}'")
            stack.pop()
        elif line.startswith(("enum ", "oneof ", "extend ", "service ", "group ")):
            raise ProtoError(f"{where}: unsupported construct {line.split()[0]!r}")
        elif stack and (m := _MAP.match(line)):
            field, num = ProtoField("map", m.group(2), m.group(3), key=m.group(1)), int(m.group(4))
        elif stack and (m := _FIELD.match(line)):
            label = m.group(1) or "optional"
            field, num = ProtoField(label, m.group(2), m.group(3)), int(m.group(4))
        elif not (stack and line.startswith("reserved")):
            raise ProtoError(f"{where}: cannot parse {line!r}")
        if field is not None:
            fields = messages[".".join([package, *stack])].fields
            if num in fields:
                raise ProtoError(f"{where}: duplicate field number {num}")
            fields[num] = field
        comment = []
    if stack:
        raise ProtoError(f"{origin}: unterminated message {stack[-1]}")


def resolve(typ: str, scope: list[str], messages: dict[str, Message]) -> str:
    """Protobuf name lookup: innermost scope outwards, then absolute."""
    if typ in SCALARS:
        return typ
    if typ.startswith("."):
        candidates = [typ[1:]]
    else:
        prefixes = ".".join(scope).split(".") if scope else []
        candidates = [".".join([*prefixes[:i], typ]) for i in range(len(prefixes), -1, -1)]
    for cand in candidates:
        if cand in messages or cand in SPECIAL:
            return cand
    raise ProtoError(f"unresolved type {typ!r} in scope {'.'.join(scope)}")


def kind_of(fqn: str, messages: dict[str, Message]) -> str:
    """The table's kind for a resolved type: scalar, special, "strings" or the FQN."""
    if fqn in SCALARS:
        return fqn
    if fqn in SPECIAL:
        return SPECIAL[fqn]
    if "+protobuf.nullable=true" in messages[fqn].notes:
        fields = messages[fqn].fields
        if list(fields) == [1] and (fields[1].label, fields[1].type) == ("repeated", "string"):
            return "strings"
        raise ProtoError(f"{fqn}: nullable wrapper of an unsupported shape")
    return fqn


def build(proto_dir: pathlib.Path) -> dict[str, dict[str, dict[str, list[Any]]]]:
    messages: dict[str, Message] = {}
    files = sorted(proto_dir.rglob("generated.proto"))
    if not files:
        raise ProtoError(f"no generated.proto under {proto_dir}")
    for path in files:
        parse(path.read_text(), str(path.relative_to(proto_dir)), messages)
    if "k8s.io.api.scheduling.v1.PriorityClass" not in messages:
        parse(SUPPLEMENT, "SUPPLEMENT", messages)
    _check_overrides(messages)
    table: dict[str, dict[str, list[Any]]] = {}
    for fqn in sorted(messages):
        if fqn in SPECIAL or kind_of(fqn, messages) == "strings":
            continue  # never decoded as plain messages
        msg = messages[fqn]
        scope = [*msg.scope, fqn.rsplit(".", 1)[1]]
        out: dict[str, list[Any]] = {}
        for num, f in sorted(msg.fields.items()):
            json_name = JSON_NAME_OVERRIDES.get((fqn, f.name), f.name)
            try:
                kind = kind_of(resolve(f.type, scope, messages), messages)
            except ProtoError as e:
                # a type from a package not in the input (e.g. an alpha API): leave the
                # field out, so the decoder skips it like any unknown field
                print(f"gen_proto_table: skipping {fqn}.{f.name}: {e}", file=sys.stderr)
                continue
            if f.label == "map":
                out[str(num)] = [json_name, "map", REPEATED, resolve(f.key, scope, messages), kind]
                continue
            flags = REPEATED if f.label == "repeated" else 0
            if f.name in DROP_ZERO.get(fqn, ()):
                flags |= DROP_ZERO_FLAG
            if f.name in KEEP_EMPTY.get(fqn, ()):
                flags |= KEEP_ZERO_FLAG
            out[str(num)] = [json_name, kind, flags]
        table[fqn] = out
    return {"messages": table}


def _check_overrides(messages: dict[str, Message]) -> None:
    """A listed field missing from its (present) message means the lists went stale."""
    listed = list(JSON_NAME_OVERRIDES)
    listed += [(m, f) for table in (DROP_ZERO, KEEP_EMPTY) for m, fs in table.items() for f in fs]
    for fqn, name in listed:
        if fqn in messages and name not in {f.name for f in messages[fqn].fields.values()}:
            raise ProtoError(f"override for {fqn}.{name}: no such field")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("proto_dir", nargs="?", type=pathlib.Path, default=DEFAULT_PROTO_DIR)
    ap.add_argument("-o", "--out", type=pathlib.Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    try:
        table = build(args.proto_dir)
    except ProtoError as e:
        print(f"gen_proto_table: {e}", file=sys.stderr)
        return 1
    text = json.dumps(table, separators=(",", ":"), sort_keys=True)
    # one message per line: compact, yet diffs stay readable
    text = re.sub(r'\},"(k8s\.io\.[\w.]+)":\{', r'},\n"\1":{', text)
    args.out.write_text(text + "\n")
    print(f"wrote {args.out} ({len(table['messages'])} messages, {len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
