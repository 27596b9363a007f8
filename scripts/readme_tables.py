"""Write the README's tables of resource properties (profile, key, label) from the declarations.

Run from the repository root: ``venv/bin/python scripts/readme_tables.py``. Each table lives
between ``<!-- Name properties: generated -->`` and ``<!-- end -->``; tests/test_resources.py
fails when the README and ``pairing_provider/models/`` disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from pairing_provider.models import KEY, LABEL, PROFILE

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for declaration in (PROFILE, KEY, LABEL):
        name = declaration.token.rsplit(":", 1)[1]
        marker = f"<!-- {name} properties: generated -->\n"
        pattern = re.compile(re.escape(marker) + r".*?<!-- end -->", re.DOTALL)
        table = marker + declaration.markdown_table() + "\n<!-- end -->"
        if not pattern.search(text):
            raise SystemExit(f"README.md has no '{marker.strip()}' ... '<!-- end -->' block")
        text = pattern.sub(lambda _, table=table: table, text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
