"""Benchmarks: `python -m bench [NAME ...]` from the repository root.

Each `bench/<name>.py` exposes `main()`, which measures, prints medians and
a ratio against a baseline measured in the same run.  Targets live here,
never in timed tests; results are recorded in docs/performance.md.
"""
