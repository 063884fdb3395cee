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
from typing import Any

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
    s.add_argument("--token-auth-file", default=None, metavar="FILE",
                   help="static bearer tokens, CSV lines token,user,uid,\"group1,group2\" "
                        "(turns authentication on)")
    s.add_argument("--anonymous-auth", type=_flag_bool, default=None, metavar="true|false",
                   help="with auth on, requests without a token are system:anonymous "
                        "(default true); false answers them 401 (and turns auth on)")
    s.add_argument("--authorization-mode", default=None, metavar="MODES",
                   help="comma-separated AlwaysAllow (default), AlwaysDeny, RBAC")
    s.add_argument("--tls", nargs="?", const=True, default=None, type=_flag_bool,
                   metavar="true|false",
                   help="serve HTTPS with a CA and serving certificate generated at start "
                        "(default: on exactly when auth is on; kubectl sends tokens only "
                        "over https)")
    s.add_argument("--data-dir", default=None, metavar="DIR",
                   help="persist every acknowledged write in DIR (SQLite) and start from the "
                        "state there (default: in memory only)")
    s.add_argument("--data-sync", choices=("full", "normal"), default=None,
                   help="full (default): each write is on disk before it is acknowledged; "
                        "normal: it survives a crash of minik8s, not of the machine")
    s.add_argument("--event-ttl", type=_duration, default=None, metavar="DURATION",
                   help="how long an Event lives after its last write, a Go duration "
                        "(default 1h, as kube-apiserver; 0 keeps Events)")
    snap = sub.add_parser("snapshot", help="export or import a data directory's state as YAML")
    ssub = snap.add_subparsers(dest="action", required=True)
    for action, text in (("save", "write the state of --data-dir to FILE"),
                         ("restore", "fill an empty --data-dir from FILE; then serve it with "
                                     "minik8s serve --data-dir DIR")):
        a = ssub.add_parser(action, help=text)
        a.add_argument("file", metavar="FILE")
        a.add_argument("--data-dir", required=True, metavar="DIR")
    r = sub.add_parser("route", help="which Service and endpoints an Ingress routes a URL to")
    r.add_argument("url", help="e.g. http://foo.example.com/api")
    r.add_argument("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
    r.add_argument("--ingress-class", default=None, help="only Ingresses of this class")
    return p


def _flag_bool(v: str) -> bool:
    """Go-style boolean flag values (``--anonymous-auth=false``)."""
    low = v.lower()
    if low in ("true", "t", "1"):
        return True
    if low in ("false", "f", "0"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {v!r}")


def _duration(v: str) -> float:
    """A Go duration flag value (``1h``, ``90s``, ``5m``) in seconds."""
    from minik8s.api.cron import go_duration

    try:
        return go_duration(v)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


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
    ctx: dict[str, Any] = next((c["context"] for c in cfg.get("contexts") or []
                                if c.get("name") == ctx_name), {})
    cluster: dict[str, Any] = next((c["cluster"] for c in cfg.get("clusters") or []
                                    if c.get("name") == ctx.get("cluster")), {})
    server = cluster.get("server")
    if not server:
        print(f"minik8s: no cluster for context {ctx_name!r} in {path}", file=sys.stderr)
        return 1
    user: dict[str, Any] = next((u.get("user") or {} for u in cfg.get("users") or []
                                 if u.get("name") == ctx.get("user")), {})
    headers = {"Authorization": f"Bearer {user['token']}"} if user.get("token") else {}
    tls = None
    if cluster.get("certificate-authority-data"):
        import base64
        import ssl

        tls = ssl.create_default_context(cadata=base64.b64decode(
            cluster["certificate-authority-data"]).decode())

    def get(p: str) -> dict:  # type: ignore[type-arg]
        req = urllib.request.Request(server.rstrip("/") + p, headers=headers)
        with urllib.request.urlopen(req, timeout=10, context=tls) as resp:
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
    if args.token_auth_file:
        cfg.auth.token_auth_file = args.token_auth_file
    if args.anonymous_auth is not None:
        cfg.auth.anonymous_auth = args.anonymous_auth
    if args.authorization_mode:
        cfg.auth.authorization_mode = args.authorization_mode
    if args.tls is not None:
        cfg.auth.tls = args.tls
    if args.data_dir:
        cfg.durability.data_dir = args.data_dir
    if args.data_sync:
        cfg.durability.sync = args.data_sync
    if args.event_ttl is not None:
        cfg.event_ttl = args.event_ttl
    path = args.kubeconfig
    try:
        cluster = Cluster(cfg, host=args.host, port=args.port, kubeconfig_path=path,
                          dns_port=args.dns_port if args.dns_port is not None else 0)
    except (OSError, ValueError) as e:  # the token file, an authorization mode
        print(f"minik8s: {e}", file=sys.stderr)
        return 1
    try:
        await cluster.start()
    except OSError as e:
        print(f"minik8s: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    except RuntimeError as e:  # TLS without the cryptography package
        print(f"minik8s: {e}", file=sys.stderr)
        return 1
    if path:
        target = path
    else:
        target = kubeconfig.default_path()
        kubeconfig.merge_into(target, cluster.url, token=cluster.admin_token,
                              ca_pem=cluster.ca_pem)
    cluster.tune_gc_for_serving()
    took = (time.perf_counter() - started) * 1000
    nodes = ", ".join(n.name for n in cfg.nodes)
    print(f"minik8s serving the Kubernetes API at {cluster.url} (ready in {took:.0f} ms)")
    print(f"  nodes: {nodes}")
    if cluster.database is not None:
        print(f"  data: {cluster.database.path} (sync {cfg.durability.sync}; "
              f"revision {cluster.store.revision})")
    if cfg.auth.enabled:
        anon = "system:anonymous" if cfg.auth.anonymous_auth else "401 Unauthorized"
        print(f"  auth: authorization {cfg.auth.authorization_mode}; requests without a token: "
              f"{anon}; the kubeconfig holds a cluster-admin token (group system:masters)")
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


def _snapshot(args: argparse.Namespace) -> int:
    """``snapshot save FILE --data-dir DIR`` / ``snapshot restore FILE --data-dir DIR``.

    Both work on the data directory, not on a running server: ``save`` reads a
    consistent view (also while a server writes to it); ``restore`` only fills a
    directory that holds no state yet, which ``minik8s serve --data-dir`` then serves.
    """
    from minik8s import snapshot
    from minik8s.persist import Database

    db = Database(args.data_dir)
    try:
        if args.action == "save":
            snap = db.load()
            if snap is None:
                print(f"minik8s: {args.data_dir} holds no cluster state", file=sys.stderr)
                return 1
            snap.history = None
            snapshot.save(snap, args.file)
            print(f"saved {snap.size} objects at revision {snap.revision} to {args.file}")
            return 0
        try:
            snap = snapshot.load(args.file)
            db.import_snapshot(snap)
        except (OSError, ValueError) as e:
            print(f"minik8s: {e}", file=sys.stderr)
            return 1
        print(f"restored {snap.size} objects at revision {snap.revision} into {args.data_dir}")
        print(f"  serve it with: minik8s serve --data-dir {args.data_dir}")
        return 0
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = _parser().parse_args(argv)
    if args.command == "route":
        return _route(args)
    if args.command == "snapshot":
        return _snapshot(args)
    if args.command == "serve":
        try:
            import uvloop

            return uvloop.run(_serve(args, started))
        except ImportError:
            return asyncio.run(_serve(args, started))
    return 2


if __name__ == "__main__":
    sys.exit(main())
