"""A PairingKey's codes and scripts: token_count codes (Terraform's 1 to 5), Windows user data,
the scripts' api/vNN segment, and the PCE's hard limit of outstanding keys, through the engine
sequences against the simulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import issued_codes
from pairing_provider.client import PCEClient
from pairing_provider.key import PairingKey, PairingKeyProvider
from pairing_provider.profile import PairingProfile, PairingProfileProvider
from pairing_provider.simulator import Simulator
from pairing_provider.testing import PCE, Secret
from tests.engine import Engine, EngineError
from tests.engine_stack import CheckFailedError, Run, Stack

README = Path(__file__).resolve().parents[1] / "README.md"
KEYS = PairingKeyProvider()
PROFILES = PairingProfileProvider()
# Only the text of the PCE's refusal is public (the Terraform provider matches "hard limit
# reached" in it); its status and token are not, so the test picks a 406 of the usual shape.
HARD_LIMIT = {
    "status": 406,
    "body": [{"token": "limit", "message": "Pairing key hard limit reached for this profile"}],
}


def fleet(*, lifespan: int = 3600, **key: Any) -> Any:
    """A profile with this key_lifespan and a key wired to it with these inputs."""

    def declare(run: Run) -> None:
        profile = run.resource(
            PairingProfile,
            "web",
            PROFILES,
            {"name": "web", "enabled": True, "key_lifespan": lifespan},
        )
        wiring = {"pairing_profile_href": profile.ref("id"), "profile_key_lifespan": lifespan}
        run.resource(PairingKey, "web-key", KEYS, {**wiring, **key})

    return declare


def key_posts(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests() if r["path"].endswith("/pairing_key")]


def test_token_count_codes_are_made_grown_and_shrunk_in_place(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(fleet(token_count=3))
    outs = stack.state("web-key").outputs
    codes = outs["activation_codes"]
    assert codes == issued_codes(simulator) and len(set(codes)) == 3
    assert outs["activation_code"] == codes[0]
    assert codes[0] in outs["cloud_init"] and codes[1] not in outs["cloud_init"]
    simulator.clear_requests()

    grown = stack.up(fleet(token_count=5))
    assert grown.op("web-key") == "update"  # the VMs' codes stay: no replacement
    assert len(key_posts(simulator)) == 2
    assert stack.state("web-key").outputs["activation_codes"][:3] == codes
    simulator.clear_requests()

    shrunk = stack.up(fleet(token_count=2))
    assert shrunk.op("web-key") == "update"
    assert simulator.requests() == []
    assert stack.state("web-key").outputs["activation_codes"] == codes[:2]
    assert stack.preview(fleet(token_count=2)).op("web-key") == "same"


def test_token_count_outside_1_to_5_fails_check(engine: Engine, simulator: Simulator) -> None:
    with pytest.raises(CheckFailedError) as caught:
        Stack(engine).up(fleet(token_count=6))
    assert ("token_count", "token_count: 6 must be a whole number from 1 to 5") in (
        caught.value.failures
    )
    assert key_posts(simulator) == []


def test_a_key_of_0_2_reads_and_diffs_without_replacement(
    engine: Engine, simulator: Simulator
) -> None:
    """0.2.0 kept one code, no token_count, no activation_codes, api/v25 scripts."""
    stack = Stack(engine)
    stack.up(fleet())
    old = stack.state("web-key")
    new_names = ("token_count", "script_api_version", "renew_before")
    outputs = {k: v for k, v in old.outputs.items() if k not in new_names}
    outputs = {
        k: v for k, v in outputs.items() if k not in ("activation_codes", "windows_user_data")
    }
    v25 = {
        name: outputs[name].replace("/api/v18/", "/api/v25/")
        for name in ("linux_pairing_script", "windows_pairing_script", "cloud_init")
    }
    inputs = {k: v for k, v in old.inputs.items() if k not in new_names}
    stack.resources[old.urn] = replace(old, inputs=inputs, outputs={**outputs, **v25})
    simulator.clear_requests()

    assert stack.preview(fleet()).op("web-key") == "same"
    [refreshed] = [step for step in stack.refresh() if step.before.name == "web-key"]
    assert refreshed.after is not None and refreshed.after.id == old.id
    assert stack.up(fleet(regenerate_when_expired=False)).op("web-key") == "update"
    # An unrelated update leaves the scripts (and a VM using them) as they were.
    after = stack.state("web-key").outputs
    assert {name: after[name] for name in v25} == v25
    assert "/api/v25/" in after["windows_user_data"]
    assert stack.preview(fleet(regenerate_when_expired=False)).op("web-key") == "same"
    assert stack.up(fleet(token_count=2)).op("web-key") == "update"
    codes = stack.state("web-key").outputs["activation_codes"]
    assert codes[0] == old.outputs["activation_code"] and len(codes) == 2
    assert stack.up(fleet(script_api_version="v27")).op("web-key") == "update"
    assert "/api/v27/" in stack.state("web-key").outputs["cloud_init"]


def test_windows_user_data_and_the_script_api_segment(engine: Engine, simulator: Simulator) -> None:
    stack = Stack(engine)
    stack.up(fleet())
    outs = stack.state("web-key").outputs
    code, server = outs["activation_code"], outs["pce_host"]
    user_data = outs["windows_user_data"]
    assert user_data.startswith("<powershell>\n") and user_data.endswith("\n</powershell>\n")
    assert f"https://{server}/api/v18/software/ven/image?pair_script=pair.ps1" in user_data
    assert f"-management-server {server} -activation-code {code};" in user_data
    assert "SecurityProtocolType], 3072)" in user_data  # TLS 1.2 first, as the PCE's one-liner
    assert "/api/v18/" in outs["linux_pairing_script"]
    simulator.clear_requests()

    moved = stack.up(fleet(script_api_version="v25"))

    assert moved.op("web-key") == "update"
    assert simulator.requests() == []  # the same code, scripts rewritten
    after = stack.state("web-key").outputs
    assert after["activation_code"] == code
    for name in ("linux_pairing_script", "windows_pairing_script", "cloud_init"):
        assert "/api/v25/" in after[name] and "/api/v18/" not in after[name], name
    assert "/api/v25/" in after["windows_user_data"]


def test_a_bad_script_api_version_fails_check(engine: Engine, simulator: Simulator) -> None:
    with pytest.raises(CheckFailedError) as caught:
        Stack(engine).up(fleet(script_api_version="api/v25"))
    [(_, reason)] = [f for f in caught.value.failures if f[0] == "script_api_version"]
    assert reason == (
        'script_api_version: "api/v25" must be "v" and a release number, such as "v18"'
    )


def test_the_hard_limit_part_way_fails_the_create_saying_what_was_issued(
    engine: Engine, simulator: Simulator
) -> None:
    """Two codes issued, the third refused: no key in the state (not a half-made one), and an
    error that names the limit, the profile, and the codes that were issued and not kept."""
    stack = Stack(engine)
    stack.up(fleet())
    simulator.add_fault(method="POST", path="/pairing_key$", when="after", merge_body={}, count=2)
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    simulator.clear_requests()

    with pytest.raises(EngineError) as caught:
        stack.up(fleet(token_count=3, triggers="rotate"))

    message = caught.value.last_line
    href = stack.state("web").id
    assert f"pairing_profile_href {href}: the PCE's hard limit of outstanding pairing keys" in (
        message
    )
    assert "token_count asks for 3" in message
    assert "2 code(s) issued before it are not kept" in message
    assert len(key_posts(simulator)) == 3  # no fourth try past the limit
    assert len(issued_codes(simulator)) == 1 + 2
    for code in issued_codes(simulator):
        assert code not in str(caught.value)


def test_the_hard_limit_on_the_first_code_and_on_growing(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    with pytest.raises(EngineError) as caught:
        stack.up(fleet())
    assert "none issued. Lower token_count" in caught.value.last_line
    assert "web-key" not in stack.names()

    stack.up(fleet())
    before = stack.state("web-key")
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    with pytest.raises(EngineError) as grown:
        stack.up(fleet(token_count=2))
    assert "token_count asks for 2" in grown.value.last_line
    assert stack.state("web-key") == before  # the failed update changed nothing


def test_another_failure_part_way_says_what_was_issued(
    engine: Engine, simulator: Simulator
) -> None:
    simulator.add_fault(method="POST", path="/pairing_key$", when="after", merge_body={}, count=1)
    refusal = [{"token": "input_validation_error", "message": "refused"}]
    simulator.add_fault(method="POST", path="/pairing_key$", status=406, body=refusal)
    stack = Stack(engine)

    with pytest.raises(EngineError) as caught:
        stack.up(fleet(token_count=2))

    message = caught.value.last_line
    assert "input_validation_error: refused" in message
    assert "making code 2 of 2: 1 code(s) issued before it are not kept" in message
    assert "web-key" not in stack.names()


def test_a_missing_profile_is_named_by_pairing_profile_href(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href = "/orgs/1/pairing_profiles/404"

    def bare(run: Run) -> None:
        run.resource(PairingKey, "web-key", KEYS, {"pairing_profile_href": href})

    with pytest.raises(EngineError) as caught:
        Stack(engine).up(bare)
    assert f"pairing_profile_href: no pairing profile at {href}" in caught.value.last_line


def test_the_readme_example_gives_each_vm_its_own_code(pce: PCE, tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8").split("**Several codes**", 1)[1]
    source = text.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "__main__.py").write_text(source, encoding="utf-8")
    (tmp_path / "Pulumi.yaml").write_text("name: readme-codes\nruntime: python\n")

    outputs = pce.stack(tmp_path).up().outputs

    user_data = [outputs[f"vm{vm}_user_data"] for vm in range(3)]
    assert all(isinstance(item, Secret) for item in user_data)
    codes = [key["activation_code"] for key in pce.pairing_keys]
    assert len(codes) == 3
    for code, item in zip(codes, user_data, strict=True):
        assert item.value.startswith("#cloud-config\n") and code in item.value
