"""The benchmark suite of ordinance: the engine against the hand-written limit and its peers.

Run ``python -m benchmarks.run`` (``make bench``); ``--quick`` for a small run, ``--out PATH``
for where the Markdown report goes (default ``benchmarks/results.md``).  What each workload
measures, and how, is in ``docs/performance.md``.

Modules:

- :mod:`benchmarks.applicants`: the generated applicants of workload A and the batch (fixed
  seed, every tier boundary), as records and as case dicts;
- :mod:`benchmarks.reference`: the hand-written compute voucher (Decimal and integer cents),
  against which every engine is checked to the cent;
- :mod:`benchmarks.harness`: engines, the cross-check, timing (median of runs after a
  warm-up), Markdown tables;
- :mod:`benchmarks.engines`: one module per engine (ordinance and each peer from PyPI);
- :mod:`benchmarks.workload_a`, :mod:`benchmarks.workload_b`, :mod:`benchmarks.startup`,
  :mod:`benchmarks.batch`: the workloads;
- :mod:`benchmarks.machine`: what the report says about the machine and the packages;
- :mod:`benchmarks.run`: the entry point.
"""
