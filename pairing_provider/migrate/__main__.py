"""Entry point of ``python -m pairing_provider.migrate``."""

import sys

from pairing_provider.migrate.cli import main

sys.exit(main())
