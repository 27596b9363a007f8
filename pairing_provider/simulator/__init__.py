"""A faithful Illumio PCE REST API v2 simulator (pairing profiles, keys, labels, jobs).

It stands in for a real PCE in tests, so it deliberately imports nothing from the rest of
``pairing_provider``: shared code would let a bug on both sides cancel out. See
:mod:`pairing_provider.simulator.models` for the PCE quirks it reproduces.
"""

from .models import ApiError, Fault, PCEState
from .server import Simulator, SimulatorHTTPServer

__all__ = ["ApiError", "Fault", "PCEState", "Simulator", "SimulatorHTTPServer"]
