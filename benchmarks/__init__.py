"""Benchmark of the pairing provider against the PCE simulator.

Run it with ``venv/bin/python -m benchmarks.run`` from the repository root (``--quick`` for a
scaled-down run, ``--smoke`` for the minute-long run the test suite does). See ``run.py``.
"""
