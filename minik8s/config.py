"""Cluster settings: grouped dataclasses, every field with a default and a reason.

``ClusterConfig.from_yaml`` reads the ``--config`` topology file::

    nodes:
      - name: minik8s-control-plane
        role: control-plane
      - name: minik8s-worker
        labels: {disktype: ssd}
        capacity: {cpu: "8", memory: 16Gi, pods: "110"}
      - name: minik8s-worker2
        taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
    # or just: workers: 5
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

DEFAULT_CAPACITY = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi",
                    "hugepages-1Gi": "0", "hugepages-2Mi": "0"}


@dataclasses.dataclass
class NodeConfig:
    name: str
    #: "control-plane" gets the control-plane label and NoSchedule taint, as kind does
    role: str = "worker"
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    taints: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    capacity: dict[str, str] = dataclasses.field(default_factory=dict)
    #: topology.kubernetes.io/zone; empty: the cluster's zone
    zone: str = ""
    ready: bool = True


@dataclasses.dataclass
class AuthConfig:
    """Authentication, authorization and TLS, named like kube-apiserver's flags.

    All off by default: an admin-only local cluster with no credentials. Auth is on
    when any of ``token_auth_file``, ``anonymous_auth=False`` or a mode other than
    ``AlwaysAllow`` is set; then the server speaks HTTPS (unless ``tls=False``) and the
    kubeconfig it writes holds an admin token (group ``system:masters``) and the CA.
    See docs/security.md.
    """

    #: --token-auth-file: CSV lines ``token,user,uid,"group1,group2"``; None: no static tokens
    token_auth_file: str | None = None
    #: --anonymous-auth: requests without credentials are ``system:anonymous`` (True) or get
    #: 401 Unauthorized (False); only matters when auth is on
    anonymous_auth: bool = True
    #: --authorization-mode: comma-separated AlwaysAllow, AlwaysDeny, RBAC (tried in order)
    authorization_mode: str = "AlwaysAllow"
    #: --tls: serve HTTPS with a CA and serving certificate generated at start; None: exactly
    #: when auth is on (kubectl sends bearer tokens only over https)
    tls: bool | None = None

    @property
    def modes(self) -> list[str]:
        return [m.strip() for m in self.authorization_mode.split(",") if m.strip()]

    @property
    def enabled(self) -> bool:
        """Whether requests are authenticated and authorized at all."""
        return self.token_auth_file is not None or not self.anonymous_auth or \
            self.modes != ["AlwaysAllow"]

    @property
    def rbac(self) -> bool:
        return "RBAC" in self.modes

    @property
    def serve_tls(self) -> bool:
        return self.enabled if self.tls is None else self.tls


@dataclasses.dataclass
class DurabilityConfig:
    """Durable state (``minik8s serve --data-dir``). Off by default: all in memory.

    See docs/reliability.md and ``minik8s.persist``.
    """

    #: a directory for the SQLite database; every acknowledged write is in it, and the
    #: cluster starts from it (same uids and resourceVersions). None: in memory only
    data_dir: str | None = None
    #: "full": a write is on disk before it is acknowledged (survives power loss);
    #: "normal": it survives the process being killed, not a power cut (faster)
    sync: str = "full"
    #: writes kept for watch resume across a restart; older resourceVersions get 410
    event_history: int = 10_000


@dataclasses.dataclass
class ClusterConfig:
    nodes: list[NodeConfig] = dataclasses.field(default_factory=lambda: default_nodes())
    #: Service ClusterIP range (kube-apiserver --service-cluster-ip-range)
    service_cidr: str = "10.96.0.0/12"
    #: NodePort range (kube-apiserver --service-node-port-range)
    node_port_range: tuple[int, int] = (30000, 32767)
    #: pod CIDR; node N gets <prefix>.N.0/24
    pod_cidr: str = "10.244.0.0/16"
    cluster_domain: str = "cluster.local"
    #: TTL of cluster DNS answers (CoreDNS's kubernetes plugin defaults to 5 s)
    dns_ttl: int = 5
    #: seed for names, uids and IPs: same seed, same cluster
    seed: int | None = None
    #: watch events kept per resource for resume (older resourceVersions get 410)
    watch_history: int = 10_000
    #: events a slow watcher may have queued before it is closed with 410
    watch_queue: int = 10_000
    #: seconds an Event lives after its last write (kube-apiserver --event-ttl, 1h; a Go
    #: duration such as "10m" in a --config file): without it the Events of pod churn pile
    #: up for as long as the cluster runs; 0 keeps them
    event_ttl: float = 3600.0
    region: str = "minik8s"
    zone: str = "minik8s-a"
    #: controllers to run, like kube-controller-manager --controllers: "*" = the defaults,
    #: "-name" disables one, "name" enables one that is off by default
    controllers: list[str] = dataclasses.field(default_factory=lambda: ["*"])
    #: per-component settings, each parsed by its component (scheduler, kubelet, hpa, ...)
    components: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: authentication, authorization and TLS (off by default)
    auth: AuthConfig = dataclasses.field(default_factory=AuthConfig)
    #: durable state in a data directory (off by default)
    durability: DurabilityConfig = dataclasses.field(default_factory=DurabilityConfig)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "ClusterConfig":
        d = dict(d or {})
        cfg = cls()
        if "workers" in d and "nodes" not in d:
            n = int(d.pop("workers"))
            cfg.nodes = [NodeConfig("minik8s-control-plane", role="control-plane")] + [
                NodeConfig(worker_name(i)) for i in range(n)]
        if "nodes" in d:
            nodes = d.pop("nodes") or []
            cfg.nodes = [NodeConfig(**n) if isinstance(n, dict) else NodeConfig(str(n)) for n in nodes]
        for k, v in d.items():
            if not hasattr(cfg, k):
                raise ValueError(f"unknown cluster config key: {k}")
            if k == "node_port_range":
                v = tuple(v)
            if k == "auth" and isinstance(v, dict):
                v = AuthConfig(**v)
            if k == "durability" and isinstance(v, dict):
                v = DurabilityConfig(**v)
            setattr(cfg, k, v)
        return cfg

    @classmethod
    def from_yaml(cls, path: str) -> "ClusterConfig":
        with open(path) as f:
            return cls.from_dict(yaml.safe_load(f))


def worker_name(i: int) -> str:
    return "minik8s-worker" if i == 0 else f"minik8s-worker{i + 1}"


def default_nodes() -> list[NodeConfig]:
    return [NodeConfig("minik8s-control-plane", role="control-plane"),
            NodeConfig(worker_name(0)), NodeConfig(worker_name(1))]
