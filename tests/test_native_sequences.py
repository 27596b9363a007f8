"""The engine's sequences (preview, up, replace, refresh, import, destroy) of real programs
against the native plugin over gRPC, on the test kit's one engine imitation (issue #21 item 3).

Offline there is no generated SDK, so each program registers
``pulumi.CustomResource("illumio:index:PairingProfile", ...)`` directly; the kit reaches the
plugin through ``with_native_plugin`` (``pairing_provider/testing/native.py``). What is
observed: the requests that reached the simulator, the steps, the state, the errors raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from conftest import kit_stack
from pairing_provider.simulator import Simulator
from pairing_provider.testing import Secret, Stack, StackError
from pairing_provider.testing.native import plugin_command, with_native_plugin
from pairing_provider.testing.process import DynamicProviderProcess
from tests.credentials import API_SECRET
from tests.native_driver import KEY, LABEL, PLUGIN_DIR, PROFILE

WEB = {"name": "web", "enabled": True, "description": "web servers", "keyLifespan": 3600}
PROFILE_OUTPUTS = dict.fromkeys(["href", "keyLifespan", "venType", "logTraffic"])
KEY_OUTPUTS = dict.fromkeys(["activationCode", "activationCodes", "cloudInit", "expiresAt"])


@pytest.fixture(scope="module")
def native_plugin() -> Iterator[DynamicProviderProcess]:
    """The plugin directory started once for this module, as the language host starts it;
    every run configures it again (a fresh one per run costs seconds on a loaded machine)."""
    command = plugin_command(PLUGIN_DIR)
    with DynamicProviderProcess(command=command, record_requests=True) as running:
        yield running
    assert API_SECRET not in running.stderr_text()


def native_stack(
    simulator: Simulator, plugin: DynamicProviderProcess, program: Any, **config: str
) -> Stack:
    simulator.clear_requests()
    return kit_stack(
        simulator,
        program,
        config={f"illumio:{key}": value for key, value in config.items()},
        channels=with_native_plugin(process=plugin),
    )


def profile(
    resource: str = "web", opts: pulumi.ResourceOptions | None = None, **fields: Any
) -> Any:
    return pulumi.CustomResource(PROFILE, resource, {**PROFILE_OUTPUTS, **WEB, **fields}, opts=opts)


def key(profile_: Any, **fields: Any) -> Any:
    inputs = {"pairingProfileHref": profile_.id, "profileKeyLifespan": profile_.keyLifespan}
    return pulumi.CustomResource(KEY, f"{profile_._name}-key", {**KEY_OUTPUTS, **inputs, **fields})


def calls(requests: list[dict[str, Any]]) -> list[str]:
    return [f"{r['method']} {r['path'].removeprefix('/api/v2')}" for r in requests]


def test_a_preview_asks_the_plugin_and_no_pce_then_up_creates(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    """The plugin announces ``supportsPreview``: the preview's Create carries preview=true and
    reaches no PCE; the up's profile create is the core's POST and PUT."""
    stack = native_stack(simulator, native_plugin, lambda: key(profile()))
    native_plugin.requests.clear()

    preview = stack.preview()
    assert preview.changes == {"web": "create", "web-key": "create"}
    assert preview.requests == []
    creates = [request for method, request in native_plugin.requests if method == "Create"]
    assert [(request.type, request.preview) for request in creates] == [
        (PROFILE, True),
        (KEY, True),
    ]

    up = stack.up()
    href = up.resource("web").id
    assert calls(up.requests) == [
        "POST /orgs/1/pairing_profiles",
        f"PUT {href}",  # the create's second request (creation.py)
        f"POST {href}/pairing_key",
    ]
    assert up.resource("web").outputs["keyLifespan"] == 3600
    assert stack.up().changes == {}


def test_a_key_s_codes_are_secret_and_a_triggers_change_replaces_it(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    rotation = {"value": 1}
    stack = native_stack(
        simulator, native_plugin, lambda: key(profile(), triggers={"rotation": rotation["value"]})
    )
    first = stack.up().resource("web-key")
    code = first.outputs["activationCode"]
    assert isinstance(code, Secret) and isinstance(first.outputs["cloudInit"], Secret)
    assert code.value in first.outputs["cloudInit"].value

    rotation["value"] = 2
    assert stack.preview().changes == {"web-key": "replace"}
    up = stack.up()

    assert up.changes == {"web-key": "replace"}
    assert up.resource("web-key").outputs["activationCode"].value != code.value


def test_a_description_edit_is_an_update_of_a_put_and_a_get(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    description = {"value": "web servers"}
    stack = native_stack(
        simulator, native_plugin, lambda: profile(description=description["value"])
    )
    href = stack.up().resource("web").id
    description["value"] = "new"

    native_plugin.requests.clear()
    preview = stack.preview()  # the plugin's own preview Update: no request
    assert (preview.changes, preview.requests) == ({"web": "update"}, [])
    updates = [request.preview for method, request in native_plugin.requests if method == "Update"]
    assert updates == [True]
    up = stack.up()

    assert calls(up.requests) == [f"PUT {href}", f"GET {href}"]
    assert simulator.state.get_profile(1, int(href.rsplit("/", 1)[1]))["description"] == "new"


def test_a_ven_type_edit_replaces_deleting_first(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    """The detailed diff names venType UPDATE_REPLACE and the diff asks delete-before-replace
    (the name stays): DELETE, then the create's POST and PUT."""
    ven_type = {"value": "server"}
    stack = native_stack(simulator, native_plugin, lambda: profile(venType=ven_type["value"]))
    old = stack.up().resource("web").id
    ven_type["value"] = "endpoint"

    up = stack.up()

    assert up.changes == {"web": "replace"} and up.steps[0].replaces == ["venType"]
    assert [call.split(" ")[0] for call in calls(up.requests)] == ["DELETE", "POST", "PUT"]
    assert calls(up.requests)[0] == f"DELETE {old}"


def test_refresh_reads_back_and_a_console_edit_shows_in_the_next_preview(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    stack = native_stack(simulator, native_plugin, profile)
    href = stack.up().resource("web").id
    simulator.state.update_profile(1, int(href.rsplit("/", 1)[1]), {"description": "x"})
    simulator.clear_requests()

    refresh = stack.refresh()

    assert calls(refresh.requests) == [f"GET {href}"]
    assert stack.resource("web").outputs["description"] == "x"
    assert stack.preview().changes == {"web": "update"}


def test_destroy_is_one_delete_and_empties_the_stack(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    stack = native_stack(simulator, native_plugin, profile)
    href = stack.up().resource("web").id

    destroy = stack.destroy()

    assert calls(destroy.requests) == [f"DELETE {href}"]
    assert stack.state == {} and simulator.state.profiles == {}


CONSOLE = {
    "name": "console-made",
    "enabled": False,
    "description": "",
    "keyLifespan": 600,
    "enforcementMode": "full",
    "venType": "specified_during_activation",
}


def console_profile(simulator: Simulator) -> tuple[str, str]:
    label = simulator.state.create_label(1, {"key": "env", "value": "prod"})["href"]
    made = simulator.state.create_profile(
        1,
        {
            "name": "console-made",
            "enabled": False,
            "ven_type": "specified_during_activation",
            "key_lifespan": 600,
            "labels": [{"href": label}],
            "enforcement_mode": "full",
        },
    )
    return made["href"], label


def importing(href: str, **inputs: Any) -> Callable[[], None]:
    """A program declaring the console's profile with ``import_=href``."""
    options = pulumi.ResourceOptions(import_=href)
    return lambda: profile("console", options, **{**CONSOLE, **inputs})


def test_import_reads_the_id_alone_in_at_most_4_gets_then_previews_no_change(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    """``ImportStep.Apply``: Read(id) with no properties (the GET, then the venType listings),
    Check of the program's inputs against the read ones, a Diff with no change."""
    href, label = console_profile(simulator)
    stack = native_stack(simulator, native_plugin, importing(href, labels=[{"href": label}]))
    up = stack.up()

    assert up.changes == {"console": "import"}
    assert len(up.requests) <= 4 and {r["method"] for r in up.requests} == {"GET"}
    assert up.resource("console").id == href
    assert up.resource("console").outputs["venType"] == "specified_during_activation"
    assert stack.preview().changes == {}


def test_import_with_inputs_the_profile_does_not_have_fails_and_names_them(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    href, label = console_profile(simulator)
    program = importing(href, labels=[{"href": label}], keyLifespan=60)
    stack = native_stack(simulator, native_plugin, program)
    with pytest.raises(StackError, match=r"inputs to import do not match .*\(keyLifespan\)"):
        stack.up()
    assert stack.state == {}
    assert {r["method"] for r in simulator.requests()} == {"GET"}


LABEL_OUTPUTS = dict.fromkeys(["href", "externalDataSet", "createdAt"])


def labelled(label: dict[str, str]) -> Callable[[], None]:
    """A native Label and a profile whose ``labels`` name its id (the label's href)."""

    def program() -> None:
        env = pulumi.CustomResource(LABEL, "env", {**LABEL_OUTPUTS, **label})
        profile(labels=[{"href": env.id}])  # the schema's items are objects

    return program


def test_a_label_and_the_profile_using_it_value_edit_in_place_key_edit_replaces(
    simulator: Simulator, native_plugin: DynamicProviderProcess
) -> None:
    """A value edit is the label's update alone (its id stays known: the profile does not
    change); a key edit makes the new label, moves the profile to it, then deletes the old."""
    label = {"key": "env", "value": "prod"}
    stack = native_stack(simulator, native_plugin, labelled(label))
    first = stack.up()
    old = first.resource("env").id
    web = first.resource("web").id
    assert calls(first.requests)[:1] == ["POST /orgs/1/labels"]
    assert simulator.state.get_profile(1, int(web.rsplit("/", 1)[1]))["labels"] == [{"href": old}]

    label["value"] = "production"
    assert stack.preview().changes == {"env": "update"}
    assert calls(stack.up().requests) == [f"PUT {old}", f"GET {old}"]

    label["key"] = "loc"
    assert stack.preview().changes == {"env": "replace", "web": "update"}
    up = stack.up()
    new = up.resource("env").id

    assert up.changes == {"env": "replace", "web": "update"} and new != old
    assert calls(up.requests)[0] == "POST /orgs/1/labels"
    assert calls(up.requests)[-1] == f"DELETE {old}"
    assert simulator.state.get_profile(1, int(web.rsplit("/", 1)[1]))["labels"] == [{"href": new}]
