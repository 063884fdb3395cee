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
    return p


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
    if args.command == "serve":
        try:
            import uvloop

            return uvloop.run(_serve(args, started))
        except ImportError:
            return asyncio.run(_serve(args, started))
    return 2


if __name__ == "__main__":
    sys.exit(main())
