"""The native provider's section of RESULTS.md: written by ``benchmarks.native --write``,
kept by ``benchmarks.run`` when it rewrites the file."""

from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- native: written by `venv/bin/python -m benchmarks.native --write` -->"
END = "<!-- end native -->"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def with_native_block(results: str, block: str) -> str:
    """RESULTS.md with the native section replaced (or added at the end). ``benchmarks.run``
    rewrites the file and keeps this section through the same function."""
    if BEGIN in results and END in results:
        head, rest = results.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return results.rstrip("\n") + "\n\n" + block + "\n"


def native_block(results: str) -> str:
    """The native section of a RESULTS.md text, or "" when it has none."""
    if BEGIN not in results or END not in results:
        return ""
    return BEGIN + results.split(BEGIN, 1)[1].split(END, 1)[0] + END
