"""``PAIRING_PROVIDER_LOG``: turn up the ``pairing_provider`` logger where the provider runs.

The provider runs in a process the Pulumi engine starts (``python -m pulumi.dynamic``), where
a program's own ``logging`` set-up never reaches. The engine shows each line that process
writes to stderr as a diagnostic of the run (docs/pulumi-engine.md, "Provider logs"), so
``PAIRING_PROVIDER_LOG=debug pulumi up`` shows every request line the provider sends. Records
pass the package's redaction filter first: no credential or activation code is ever shown.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from pairing_provider.errors import ConfigurationError

ENV_VAR = "PAIRING_PROVIDER_LOG"
LOGGER = "pairing_provider"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler this module adds (recognised, so applying twice adds no second)."""


def apply_log_level(environ: Mapping[str, str] | None = None) -> None:
    """Set the ``pairing_provider`` logger's level from ``PAIRING_PROVIDER_LOG`` and log to
    stderr; unset or empty leaves logging as it is. Raises ConfigurationError for any other
    value than the four levels."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not value:
        return
    level = LEVELS.get(value.lower())
    if level is None:
        shown = repr(value) if len(value) <= 20 else "the value"
        raise ConfigurationError(
            [f"environment variable {ENV_VAR}: {shown} is not one of {', '.join(LEVELS)}"]
        )
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("pairing_provider %(levelname)s: %(message)s"))
        logger.addHandler(handler)
