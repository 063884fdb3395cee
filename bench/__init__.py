"""Benchmarks for minik8s: ``python -m bench.run`` runs them and rewrites docs/performance.md.

Not tests: nothing here is collected by pytest (no ``test_*.py`` names, outside
``tests/``). Layout: ``workload`` (pod bodies, latency stats), ``server`` (the
process under test: minik8s or a bare aiohttp ceiling), ``load`` (the load
generator process), ``suites`` (one function per benchmark), ``report``
(markdown), ``run`` (the command line).
"""
