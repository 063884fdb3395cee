"""Markdown for docs/performance.md: sections of prose, tables and target checks.

A ``Section`` is what one benchmark hands back; ``render`` puts the machine
facts, a summary of every target check, the sections and the how-to together.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
from typing import Any


def ms(seconds: float) -> str:
    v = seconds * 1000
    if v >= 100:
        return f"{v:,.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def num(v: float, unit: str = "") -> str:
    return f"{v:,.0f}{unit}"


def pct(v: float) -> str:
    return f"{v * 100:.0f}%"


def mb(b: float) -> str:
    return f"{b / 2**20:,.0f} MiB"


@dataclasses.dataclass
class Check:
    figure: str
    measured: str
    target: str
    passed: bool | None
    bare: str
    anchor: str

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("**PASS**" if self.passed else "**MISS**")


@dataclasses.dataclass
class Section:
    name: str
    title: str
    parts: list[str] = dataclasses.field(default_factory=list)
    checks: list[Check] = dataclasses.field(default_factory=list)
    raw: Any = None

    def text(self, s: str) -> None:
        self.parts.append(s)

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.parts.append(table(headers, rows))

    def check(self, figure: str, measured: str, target: str, passed: bool | None,
              bare: str = "", anchor: str = "") -> None:
        self.checks.append(Check(figure, measured, target, passed, bare, anchor))

    def markdown(self) -> str:
        out = [f"## {self.title}", ""]
        for p in self.parts:
            out += [p, ""]
        if self.checks:
            out += [checks_table(self.checks), ""]
        return "\n".join(out)


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def checks_table(checks: list[Check]) -> str:
    return table(["figure", "measured", "target", "verdict", "bare aiohttp", "anchor"],
                 [[c.figure, c.measured, c.target, c.verdict, c.bare or "—", c.anchor or "—"]
                  for c in checks])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts(loop: str) -> list[str]:
    import aiohttp
    import orjson

    try:
        import uvloop
        uv = getattr(uvloop, "__version__", "?")
    except ImportError:
        uv = "not installed"
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; memory {mem}",
        (f"- Python {platform.python_version()} ({platform.python_implementation()}), "
         f"{platform.system()} {platform.release()}"),
        (f"- aiohttp {aiohttp.__version__}, orjson {orjson.__version__}, uvloop {uv}; "
         f"server event loop: {loop}"),
        "- server process pinned to core 0, load generator to core 1 (`os.sched_setaffinity`)",
    ]


def render(sections: list[Section], *, quick: bool, loop: str, wall_s: float,
           noise: str, argv: list[str]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Performance",
        "",
        ("Written by `python -m bench.run` — do not edit by hand; rerun it. "
         f"This run: `{' '.join(['python -m bench.run', *argv])}` at {when}, "
         f"{wall_s:.0f} s{' (**quick smoke run: short windows, smaller sizes**)' if quick else ''}."),
        "",
        ("Every figure is measured over HTTP between two processes on one machine: the server "
         "under test on one core, the load generator on the other, with per-request latency. "
         "Where it makes sense the same workload is run against a *bare aiohttp* JSON handler "
         "(same aiohttp, same event loop, no Kubernetes semantics: parse, stamp, store bytes, "
         "answer with the bytes minik8s would send) — the Python ceiling — and set beside "
         "published anchors."),
        "",
        "## Machine",
        "",
        *machine_facts(loop),
        f"- other load on the machine during the measured windows: {noise}",
        "",
        "## Summary",
        "",
        checks_table([c for s in sections for c in s.checks]),
        "",
    ]
    for s in sections:
        out.append(s.markdown())
    out += [*kept_sections(), HOW_TO]
    return "\n".join(out)


#: sections other tools write into docs/performance.md (``bench/soak.py --write``): a run
#: of ``bench.run`` rewrites the file, so it carries them over as they stand
KEPT = ("## Soak",)
DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "performance.md")


def kept_sections(path: str = DOC) -> list[str]:
    """The sections of the current report that ``bench.run`` does not measure itself."""
    try:
        with open(path) as f:
            doc = f.read()
    except OSError:
        return []
    out = []
    for title in KEPT:
        start = doc.find(f"\n{title}\n")
        if start < 0:
            continue
        end = doc.find("\n## ", start + 1)
        out.append(doc[start + 1:end + 1 if end >= 0 else len(doc)].rstrip("\n") + "\n")
    return out


HOW_TO = """## How to run

```
python -m bench.run                 # everything (~10 min on a quiet machine), rewrites this file
python -m bench.run --quick         # smoke version (< 1 min): short windows, small sizes
python -m bench.run --only create --only get   # some benchmarks (names below)
python -m bench.run --profile       # also sample the server with py-spy (if installed)
python -m bench.run --json raw.json # also keep every raw figure
```

`--quick` and `--only` print their markdown instead of rewriting this file (add `--write`
to force it); a full run rewrites it. Before each benchmark the runner waits up to
`--quiet-wait` seconds (default 10) for the machine to go quiet.

```
python -m bench.dns_bench           # the component benchmarks run alone, too
python -m bench.scheduler_bench
```

Benchmarks: `coldstart`, `inproc`, `create`, `kubeclient`, `get`, `list`, `memory`, `gc`,
`watch`, and the component benchmarks `dns` (`bench/dns_bench.py`) and `scheduler`
(`bench/scheduler_bench.py`), whose own output is embedded as they print it.

Pieces: `bench/server.py` is the process under test (`--kind minik8s` builds
`Cluster(serve=True, port=0)` and freezes the GC after start as `minik8s serve` does; no
controllers unless `--controllers '*'`, so API figures are the API server's own; `--kind
bare` is the ceiling), with a private control port to preload pods in-process,
burst writes, read RSS and GC pauses, and change GC settings. `bench/load.py` is the load
process (raw aiohttp client, keep-alive, fixed concurrency; the official `kubernetes`
client from threads; raw-socket watch streams). The machine has two cores: results move
when anything else runs, which is why each table reports the server's and the client's CPU
and what everything else used. Nothing here is collected by pytest.
"""
