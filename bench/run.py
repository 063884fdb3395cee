"""``python -m bench.run [--quick] [--only NAME]... [--profile] [--write | --no-write]``

Runs the benchmarks in a fixed order and rewrites ``docs/performance.md`` (a
full run does by default; ``--quick`` and ``--only`` print the markdown
instead unless ``--write`` is given, so a partial run never replaces the
full report).
Before each benchmark it waits (a little) for the machine to be quiet, since
two cores shared with anything else make every figure move; what else ran
is reported either way. Raw results go to ``--json PATH`` if asked.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

from bench import api, controllers_bench, procs, report, scale, startup

#: the in-process component benchmarks (scheduler, controllers) run before the 50k/100k-pod
#: ones: for about a minute after those free several GB, a fresh process allocating its first
#: GB runs slower (1,000 Deployments x 10: 10.4 s right after `memory`, 9.0 s 45 s later,
#: 8.4-8.6 s on a machine at rest)
ORDER = ["coldstart", "inproc", "scheduler", "controllers", "create", "kubeclient", "get", "watch",
         "dns", "list", "memory", "gc"]


def _busy_cores(seconds: float = 0.5) -> float:
    from bench.load import machine_busy_s

    a = machine_busy_s()
    time.sleep(seconds)
    return (machine_busy_s() - a) / seconds


def wait_quiet(limit_s: float, threshold: float = 0.3) -> float:
    """Wait up to ``limit_s`` for the machine to use less than ``threshold`` cores."""
    deadline = time.monotonic() + limit_s
    busy = _busy_cores(0.2 if limit_s < 1 else 0.5)
    while busy > threshold and time.monotonic() < deadline:
        busy = _busy_cores(1.0)
    return busy


def external(name: str, module: str, quick: bool, title: str, note: str) -> report.Section:
    """A component benchmark run as its own command; its output embedded as printed."""
    sec = report.Section(name, title)
    cmd = [sys.executable, "-m", module] + (["--quick"] if quick else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=procs.ROOT,
                           env=procs._env(), timeout=600, check=False)
        text = p.stdout.strip() or p.stderr.strip()[-3000:]
        status = "" if p.returncode == 0 else f" (exit {p.returncode})"
    except subprocess.TimeoutExpired:
        text, status = "timed out after 600 s", " (timeout)"
    sec.text(f"{note} `{' '.join(['python -m', module] + cmd[3:])}`{status}:")
    sec.text("```\n" + text + "\n```")
    return sec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (< 1 min)")
    ap.add_argument("--only", action="append", choices=ORDER + ["profile"], metavar="NAME",
                    help=f"run only these: {', '.join(ORDER)}, profile")
    ap.add_argument("--profile", action="store_true", help="also sample the server with py-spy")
    ap.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                    help="rewrite docs/performance.md (default: only for a full run)")
    ap.add_argument("--json", default=None, help="also dump raw results here")
    ap.add_argument("--quiet-wait", type=float, default=None,
                    help="seconds to wait for a quiet machine before each benchmark "
                         "(default 10, 0 with --quick)")
    args = ap.parse_args(argv)
    argv_used = list(argv if argv is not None else sys.argv[1:])
    # the component benchmarks have their own --quick; a smoke run of ours leaves them out
    names = args.only or [n for n in ORDER if not (args.quick and n in ("dns", "scheduler"))]
    if args.profile and "profile" not in names:
        names.append("profile")
    quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 10.0)
    big = scale.Big(args.quick)
    suites: dict[str, Callable[[], report.Section]] = {
        "coldstart": lambda: startup.coldstart(args.quick),
        "inproc": lambda: startup.inproc(args.quick),
        "create": lambda: api.create(args.quick),
        "kubeclient": lambda: api.kubeclient(args.quick),
        "get": lambda: api.get(args.quick),
        "watch": lambda: api.watch(args.quick),
        "list": lambda: scale.list_(args.quick, big),
        "memory": lambda: scale.memory(args.quick, big),
        "gc": lambda: scale.gc_(args.quick, big),
        "dns": lambda: external("dns", "bench.dns_bench", args.quick,
                                "Cluster DNS (component benchmark)",
                                "A-record queries per second, minik8s DNS vs a bare dnslib "
                                "server; anchor: CoreDNS publishes ~17k queries/s per core."),
        # its full run takes minutes on its own: ours embeds the short one
        "scheduler": lambda: external("scheduler", "bench.scheduler_bench", True,
                                      "Scheduler (component benchmark)",
                                      "In-process scheduling throughput against kube-scheduler's "
                                      "scheduler_perf floors (the short run; the full one is "
                                      "`python -m bench.scheduler_bench`)."),
        "controllers": lambda: controllers_bench.section(args.quick),
        "profile": lambda: _profile(args.quick),
    }
    t0 = time.perf_counter()
    sections: list[report.Section] = []
    noise: list[float] = []
    loop = "?"
    try:
        for name in [n for n in ORDER + ["profile"] if n in names]:
            busy = wait_quiet(quiet_wait)
            noise.append(busy)
            print(f"[bench] {name} (machine busy {busy:.2f} cores before) ...", file=sys.stderr,
                  flush=True)
            ts = time.perf_counter()
            try:
                sec = suites[name]()
            except Exception as e:  # noqa: BLE001 - one broken benchmark must not hide the rest
                sec = report.Section(name, f"{name}: failed")
                sec.text(f"```\n{type(e).__name__}: {e}\n```")
            sections.append(sec)
            for c in sec.checks:
                print(f"  {c.verdict.strip('*') or '    '} {c.figure}: {c.measured} "
                      f"(target {c.target}; bare {c.bare or '—'})", file=sys.stderr, flush=True)
            print(f"  ({time.perf_counter() - ts:.0f} s)", file=sys.stderr, flush=True)
    finally:
        big.close()
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    others = (f"{min(noise):.2f}–{max(noise):.2f} cores busy just before each benchmark; "
              "each table's *others' CPU* column is what the rest of the machine used "
              "during that window" if noise else "n/a")
    md = report.render(sections, quick=args.quick, loop=loop, wall_s=time.perf_counter() - t0,
                       noise=others, argv=argv_used)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({s.name: s.raw for s in sections}, f, indent=1, default=str)
    write = args.write if args.write is not None else not (args.quick or args.only)
    if not write:
        print(md)
    else:
        path = os.path.join(procs.ROOT, "docs", "performance.md")
        with open(path, "w") as f:
            f.write(md)
        print(f"[bench] wrote {path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


def _profile(quick: bool) -> report.Section:
    from bench import profile

    return profile.profile(quick)


if __name__ == "__main__":
    sys.exit(main())
