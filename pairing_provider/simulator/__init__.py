"""A faithful Illumio PCE REST API v2 simulator (pairing profiles, keys, labels, jobs).

It stands in for a real PCE in tests, so it deliberately imports nothing from the rest of
``pairing_provider``: shared code would let a bug on both sides cancel out. What it
reproduces, with the public source of each behaviour, is in ``docs/pce-api.md``.

Modules: :mod:`.models` (the PCE, one lock over the stores :mod:`.profiles`, :mod:`.labels`,
:mod:`.jobs`), :mod:`.validation` (request schemas), :mod:`.releases` (GET shapes),
:mod:`.api` (the REST API as HTTP), :mod:`.control` (the ``/_simulator`` test API, and
:mod:`.control_client` to call it),
:mod:`.framing` (reading requests within limits), :mod:`.responses` (one connection, faults),
:mod:`.server` (the server and the :class:`Simulator` context manager).
"""

from .control_client import ControlClient, ControlError
from .errors import ApiError, DataFileError
from .faults import Fault
from .models import PCEState
from .server import Simulator, SimulatorHTTPServer

__all__ = [
    "ApiError",
    "ControlClient",
    "ControlError",
    "DataFileError",
    "Fault",
    "PCEState",
    "Simulator",
    "SimulatorHTTPServer",
]
