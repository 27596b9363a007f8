"""Issue #22 item 15 (part): a failed run of the kit says what failed, once, and nothing else.

A registration that fails fails every output future of its resource and of the resources
waiting on it; asyncio logs each such future or task whose exception nobody retrieved
("Future exception was never retrieved", "Task exception was never retrieved") when it is
garbage-collected, long after the test's ``pytest.raises`` caught the one error that matters.
With SDK 3.216 (the lowest supported; ``.ci/run`` runs this file with it) every ``Output``
also makes an ``is_known`` task that ends with the error and that nobody awaits: the kit marks
a failed run's tasks retrieved (``stack._retrieve_failures``), cancels the ones still waiting,
and leaves failed bare futures unreported.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pairing_provider import PairingKey, PairingProfile, PairingProfileError
from pairing_provider.testing import PCE

README = Path(__file__).resolve().parents[1] / "README.md"


def web_and_key() -> None:
    web = PairingProfile("web", name="web-servers", enabled=True)
    key = PairingKey("web-key", pairing_profile=web)
    pulumi.export("web_href", web.href)
    pulumi.export("web_code", key.activation_code)
    pulumi.export("web_length", key.activation_code.apply(len))


def test_a_failed_up_leaves_no_never_retrieved_noise(
    pce: PCE, caplog: pytest.LogCaptureFixture
) -> None:
    pce.add_profile(name="web-servers")  # made in the console: the create is refused
    stack = pce.stack(web_and_key)

    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        with pytest.raises(PairingProfileError, match="already exists"):
            stack.up()
        # The next run drops the SDK's references to the failed one's outputs.
        pce.stack(lambda: None).preview()
        gc.collect()

    noise = [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]
    assert noise == []


def test_the_readmes_expected_failure_example_runs_as_written(pce: PCE) -> None:
    section = README.read_text(encoding="utf-8").split("\n## Testing your stack\n", 1)[1]
    source = section.split("pytest.raises`:", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(source, "README.md", "exec"), namespace)  # noqa: S102 - the README's own text

    namespace["test_a_name_taken_in_the_console_is_refused"](pce)
