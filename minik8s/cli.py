"""``minik8s`` command line: ``serve`` (and friends as they come).

Flags are named like the real components' flags where one exists.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence

from minik8s import kubeconfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="minik8s", description="An in-memory Kubernetes control plane.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="start a cluster and serve the Kubernetes API")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=6443, help="API port (default 6443; 0 picks a free one)")
    s.add_argument("--dns-port", type=int, default=None, help="cluster DNS port (UDP and TCP)")
    s.add_argument("--kubeconfig", default=None,
                   help="write a standalone kubeconfig here (default: merge a 'minik8s' context "
                        "into $KUBECONFIG or ~/.kube/config and make it current)")
    s.add_argument("--config", default=None, help="cluster topology YAML")
    s.add_argument("--cluster-domain", default=None, help="DNS domain (default cluster.local)")
    r = sub.add_parser("route", help="which Service and endpoints an Ingress routes a URL to")
    r.add_argument("url", help="e.g. http://foo.example.com/api")
    r.add_argument("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
    r.add_argument("--ingress-class", default=None, help="only Ingresses of this class")
    return p


def _route(args: argparse.Namespace) -> int:
    """Fetch Ingresses, Services and Endpoints over the API and resolve the URL."""
    import json
    import urllib.request

    import yaml

    from minik8s.api import ingress_routes

    path = args.kubeconfig or kubeconfig.default_path()
    with open(path) as f:
        cfg = yaml.safe_load(f) or {}
    ctx_name = cfg.get("current-context")
    ctx = next((c["context"] for c in cfg.get("contexts") or [] if c.get("name") == ctx_name), {})
    server = next((c["cluster"]["server"] for c in cfg.get("clusters") or []
                   if c.get("name") == ctx.get("cluster")), None)
    if not server:
        print(f"minik8s: no cluster for context {ctx_name!r} in {path}", file=sys.stderr)
        return 1

    def get(p: str) -> dict:  # type: ignore[type-arg]
        with urllib.request.urlopen(server.rstrip("/") + p, timeout=10) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]

    ingresses = get("/apis/networking.k8s.io/v1/ingresses")["items"]
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in get("/api/v1/services")["items"]}
    endpoints = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in get("/api/v1/endpoints")["items"]}
    route = ingress_routes.resolve(
        args.url, ingresses, ingress_class=args.ingress_class,
        endpoints_of=lambda ns, svc, port: ingress_routes.endpoint_addresses(
            endpoints.get((ns, svc)), services.get((ns, svc)), port))
    if route is None:
        print(f"no Ingress routes {args.url} (ingress-nginx would answer 404)")
        return 1
    print(route.describe())
    return 0


async def _serve(args: argparse.Namespace, started: float) -> int:
    from minik8s.cluster import Cluster
    from minik8s.config import ClusterConfig

    cfg = ClusterConfig.from_yaml(args.config) if args.config else ClusterConfig()
    if args.cluster_domain:
        cfg.cluster_domain = args.cluster_domain
    path = args.kubeconfig
    cluster = Cluster(cfg, host=args.host, port=args.port, kubeconfig_path=path,
                      dns_port=args.dns_port if args.dns_port is not None else 0)
    try:
        await cluster.start()
    except OSError as e:
        print(f"minik8s: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    if path:
        target = path
    else:
        target = kubeconfig.default_path()
        kubeconfig.merge_into(target, cluster.url)
    cluster.freeze_gc()
    took = (time.perf_counter() - started) * 1000
    nodes = ", ".join(n.name for n in cfg.nodes)
    print(f"minik8s serving the Kubernetes API at {cluster.url} (ready in {took:.0f} ms)")
    print(f"  nodes: {nodes}")
    if cluster.dns_address:
        dh, dp = cluster.dns_address
        print(f"  cluster DNS ({cfg.cluster_domain}): {dh}:{dp} (UDP and TCP); "
              f"try: dig @{dh} -p {dp} kubernetes.default.svc.{cfg.cluster_domain}")
    if path:
        print(f"  kubeconfig: {target}\n  try: kubectl --kubeconfig {target} get nodes")
    else:
        print(f"  kubeconfig: context 'minik8s' merged into {target} and made current")
        print("  try: kubectl get nodes")
    print("  stop with Ctrl-C", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("minik8s: stopping", flush=True)
    await cluster.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = _parser().parse_args(argv)
    if args.command == "route":
        return _route(args)
    if args.command == "serve":
        try:
            import uvloop

            return uvloop.run(_serve(args, started))
        except ImportError:
            return asyncio.run(_serve(args, started))
    return 2


if __name__ == "__main__":
    sys.exit(main())
