"""A PairingKey's codes and scripts: token_count codes (Terraform's 1 to 5), Windows user data,
the scripts' api/vNN segment, and the PCE's hard limit of outstanding keys, through the test
kit's engine against the simulator (over gRPC where the test is about the error the engine
prints)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest

from conftest import issued_codes, names, run, step
from pairing_provider import PairingKey, PairingProfile
from pairing_provider.simulator import Simulator
from pairing_provider.testing import PCE, CheckFailedError, Secret, Stack, StackError

README = Path(__file__).resolve().parents[1] / "README.md"
# Only the text of the PCE's refusal is public (the Terraform provider matches "hard limit
# reached" in it); its status and token are not, so the test picks a 406 of the usual shape.
HARD_LIMIT = {
    "status": 406,
    "body": [{"token": "limit", "message": "Pairing key hard limit reached for this profile"}],
}


def fleet(*, lifespan: int = 3600, **key: Any) -> Any:
    """A program: a profile with this key_lifespan and a key wired to it with these inputs."""

    def program() -> None:
        profile = PairingProfile("web", name="web", enabled=True, key_lifespan=lifespan)
        PairingKey("web-key", pairing_profile=profile, **key)

    return program


def plain_outputs(stack: Stack, name: str) -> dict[str, Any]:
    """The outputs of ``name`` in the stack's state, secrets in plain text."""
    return stack.resource(name).raw_outputs


def key_posts(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests() if r["path"].endswith("/pairing_key")]


def last_line(error: StackError) -> str:
    """The last line of the provider's traceback: what the engine prints of its error."""
    return str(error).split(" failed: ", 1)[1]


def printed(error: StackError) -> str:
    """The whole traceback the provider process sent the engine."""
    cause = error.__cause__
    assert isinstance(cause, grpc.Call)
    return str(cause.details())


def test_token_count_codes_are_made_grown_and_shrunk_in_place(
    kit: Stack, simulator: Simulator
) -> None:
    run(kit, fleet(token_count=3))
    outs = plain_outputs(kit, "web-key")
    codes = outs["activation_codes"]
    assert codes == issued_codes(simulator) and len(set(codes)) == 3
    assert outs["activation_code"] == codes[0]
    assert codes[0] in outs["cloud_init"] and codes[1] not in outs["cloud_init"]
    simulator.clear_requests()

    grown = run(kit, fleet(token_count=5))
    assert grown.changes == {"web-key": "update"}  # the VMs' codes stay: no replacement
    assert len(key_posts(simulator)) == 2
    assert plain_outputs(kit, "web-key")["activation_codes"][:3] == codes
    simulator.clear_requests()

    shrunk = run(kit, fleet(token_count=2))
    assert shrunk.changes == {"web-key": "update"}
    assert simulator.requests() == []
    assert plain_outputs(kit, "web-key")["activation_codes"] == codes[:2]
    assert run(kit, fleet(token_count=2), preview=True).changes == {}


def test_token_count_outside_1_to_5_fails_check(kit: Stack, simulator: Simulator) -> None:
    with pytest.raises(CheckFailedError) as caught:
        run(kit, fleet(token_count=6))
    assert ("token_count", "token_count: 6 must be a whole number from 1 to 5") in (
        caught.value.failures
    )
    assert key_posts(simulator) == []


def test_a_key_of_0_2_reads_and_diffs_without_replacement(kit: Stack, simulator: Simulator) -> None:
    """0.2.0 kept one code, no token_count, no activation_codes, api/v25 scripts."""
    run(kit, fleet())
    old = kit.resource("web-key")
    new_names = ("token_count", "script_api_version", "renew_before")
    dropped = (*new_names, "activation_codes", "windows_user_data")
    kept = {k: v for k, v in old.raw_outputs.items() if k not in dropped}
    v25 = {
        name: kept[name].replace("/api/v18/", "/api/v25/")
        for name in ("linux_pairing_script", "windows_pairing_script", "cloud_init")
    }
    inputs = {k: v for k, v in old.raw_inputs.items() if k not in new_names}
    kit.state[old.urn] = replace(old, raw_inputs=inputs, raw_outputs={**kept, **v25})
    simulator.clear_requests()

    assert run(kit, fleet(), preview=True).changes == {}
    refreshed = kit.refresh()
    assert step(refreshed, "web-key").op != "delete"
    assert kit.resource("web-key").id == old.id
    assert run(kit, fleet(regenerate_when_expired=False)).changes == {"web-key": "update"}
    # An unrelated update leaves the scripts (and a VM using them) as they were.
    after = plain_outputs(kit, "web-key")
    assert {name: after[name] for name in v25} == v25
    assert "/api/v25/" in after["windows_user_data"]
    assert run(kit, fleet(regenerate_when_expired=False), preview=True).changes == {}
    assert run(kit, fleet(token_count=2)).changes == {"web-key": "update"}
    codes = plain_outputs(kit, "web-key")["activation_codes"]
    assert codes[0] == old.raw_outputs["activation_code"] and len(codes) == 2
    assert run(kit, fleet(script_api_version="v27")).changes == {"web-key": "update"}
    assert "/api/v27/" in plain_outputs(kit, "web-key")["cloud_init"]


def test_windows_user_data_and_the_script_api_segment(kit: Stack, simulator: Simulator) -> None:
    run(kit, fleet())
    outs = plain_outputs(kit, "web-key")
    code, server = outs["activation_code"], outs["pce_host"]
    user_data = outs["windows_user_data"]
    assert user_data.startswith("<powershell>\n") and user_data.endswith("\n</powershell>\n")
    assert f"https://{server}/api/v18/software/ven/image?pair_script=pair.ps1" in user_data
    assert f"-management-server {server} -activation-code {code};" in user_data
    assert "SecurityProtocolType], 3072)" in user_data  # TLS 1.2 first, as the PCE's one-liner
    assert "/api/v18/" in outs["linux_pairing_script"]
    simulator.clear_requests()

    moved = run(kit, fleet(script_api_version="v25"))

    assert moved.changes == {"web-key": "update"}
    assert simulator.requests() == []  # the same code, scripts rewritten
    after = plain_outputs(kit, "web-key")
    assert after["activation_code"] == code
    for name in ("linux_pairing_script", "windows_pairing_script", "cloud_init"):
        assert "/api/v25/" in after[name] and "/api/v18/" not in after[name], name
    assert "/api/v25/" in after["windows_user_data"]


def test_a_bad_script_api_version_fails_check(kit: Stack) -> None:
    with pytest.raises(CheckFailedError) as caught:
        run(kit, fleet(script_api_version="api/v25"))
    [(_, reason)] = [f for f in caught.value.failures if f[0] == "script_api_version"]
    assert reason == (
        'script_api_version: "api/v25" must be "v" and a release number, such as "v18"'
    )


def test_the_hard_limit_part_way_fails_the_create_saying_what_was_issued(
    grpc_kit: Stack, simulator: Simulator
) -> None:
    """Two codes issued, the third refused: no key in the state (not a half-made one), and an
    error that names the limit, the profile, and the codes that were issued and not kept."""
    run(grpc_kit, fleet())
    simulator.add_fault(method="POST", path="/pairing_key$", when="after", merge_body={}, count=2)
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    simulator.clear_requests()

    with pytest.raises(StackError) as caught:
        run(grpc_kit, fleet(token_count=3, triggers="rotate"))

    message = last_line(caught.value)
    href = grpc_kit.resource("web").id
    assert f"pairing_profile_href {href}: the PCE's hard limit of outstanding pairing keys" in (
        message
    )
    assert "token_count asks for 3" in message
    assert "2 code(s) issued before it are not kept" in message
    assert len(key_posts(simulator)) == 3  # no fourth try past the limit
    assert len(issued_codes(simulator)) == 1 + 2
    for code in issued_codes(simulator):
        assert code not in printed(caught.value)


def test_the_hard_limit_on_the_first_code_and_on_growing(
    grpc_kit: Stack, simulator: Simulator
) -> None:
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    with pytest.raises(StackError) as caught:
        run(grpc_kit, fleet())
    assert "none issued. Lower token_count" in last_line(caught.value)
    assert "web-key" not in names(grpc_kit)

    run(grpc_kit, fleet())
    before = grpc_kit.resource("web-key")
    simulator.add_fault(method="POST", path="/pairing_key$", **HARD_LIMIT)
    with pytest.raises(StackError) as grown:
        run(grpc_kit, fleet(token_count=2))
    assert "token_count asks for 2" in last_line(grown.value)
    assert grpc_kit.resource("web-key") == before  # the failed update changed nothing


def test_another_failure_part_way_says_what_was_issued(
    grpc_kit: Stack, simulator: Simulator
) -> None:
    simulator.add_fault(method="POST", path="/pairing_key$", when="after", merge_body={}, count=1)
    refusal = [{"token": "input_validation_error", "message": "refused"}]
    simulator.add_fault(method="POST", path="/pairing_key$", status=406, body=refusal)

    with pytest.raises(StackError) as caught:
        run(grpc_kit, fleet(token_count=2))

    message = last_line(caught.value)
    assert "input_validation_error: refused" in message
    assert "making code 2 of 2: 1 code(s) issued before it are not kept" in message
    assert "web-key" not in names(grpc_kit)


def test_a_missing_profile_is_named_by_pairing_profile_href(grpc_kit: Stack) -> None:
    href = "/orgs/1/pairing_profiles/404"

    with pytest.raises(StackError) as caught:
        run(grpc_kit, lambda: PairingKey("web-key", pairing_profile_href=href))
    assert f"pairing_profile_href: no pairing profile at {href}" in last_line(caught.value)


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
