"""Throwaway dynamic providers used only by ``tests/test_engine_harness.py``.

They live in an importable package (not in a test module's ``__main__``) so that dill pickles
them *by reference*, exactly like the real ``pairing_provider`` classes: the
``python -m pulumi.dynamic`` child process re-imports them from the repository root.
"""
