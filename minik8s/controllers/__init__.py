"""minik8s.controllers: one module per controller, each a level-triggered reconcile.

``DEFAULT`` is the run order of the components a cluster starts, by module
name; each module has ``setup(ctx: ControllerContext)``. Names outside this
package (``scheduler``, ``sim``) are resolved by ``minik8s.cluster``.
"""

#: started in this order; reconciles run round-robin in this order too
DEFAULT: tuple[str, ...] = (
    "namespace",
    "serviceaccount",
    "garbagecollector",
    "clusterroleaggregation",
    "crd",
    "volumes",
    "nodelifecycle",
    "scheduler",
    "kubelet",
    "replicaset",
    "replicationcontroller",
    "deployment",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "endpoints",
    "endpointslice",
    "service",
    "ingress",
    "podgc",
    "disruption",
    "metrics",
    "hpa",
    "eventttl",
)
