"""The pytest plugin (entry point ``pytest11``): the ``pce`` fixture.

``pce`` is a PCE simulator started for one test, empty but for what the test seeds, with
``ILLUMIO_*`` pointing at it for the test's duration (look-ups and scripts that read the
environment find it too). ``@pytest.mark.pce(rate_limit=..., ...)`` passes options to the
simulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pairing_provider.budget_file import separate_budget_dir
from pairing_provider.testing.pce import PCE


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pce(**options): options for the pce fixture's PCE simulator"
    )


@pytest.fixture
def pce(request: pytest.FixtureRequest) -> Iterator[PCE]:
    marker = request.node.get_closest_marker("pce")
    options = dict(marker.kwargs) if marker is not None else {}
    with PCE(**options) as running, running.environ(), separate_budget_dir():
        yield running
