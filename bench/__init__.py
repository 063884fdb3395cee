"""Benchmarks for minik8s: ``python -m bench.run`` runs them and rewrites docs/performance.md.

Not tests: nothing here is collected by pytest (no ``test_*.py`` names, outside
``tests/``). Layout: ``workload`` (pod bodies, latency statistics, pinning),
``server`` (the process under test: minik8s or a bare aiohttp ceiling, with a
control port), ``load`` (the load-generator process), ``procs`` (starting and
talking to both), ``startup`` / ``api`` / ``scale`` (one function per
benchmark), ``profile`` (py-spy sampling), ``report`` (markdown), ``run`` (the
command line). ``dns_bench`` and ``scheduler_bench`` are component benchmarks
that ``run`` embeds.
"""
