"""Migration from Terraform state: parsing both formats, the mapping, the generated program, the
report, bad input, and the proof that matters: the program adopts every profile of a PCE holding
them (the simulator) without a single write to any profile.
"""

from __future__ import annotations

import ast
import copy
import json
import keyword
import py_compile
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import stack_config
from pairing_provider.client import PCEClient
from pairing_provider.migrate import MigrationError, main, parse_state, plan_migration
from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.labels import LabelRef
from pairing_provider.migrate.names import unique_names
from pairing_provider.migrate.origin import requirement_from
from pairing_provider.migrate.plan import KEYS_TYPE, PROFILE_TYPE
from pairing_provider.migrate.render import (
    LINE_LENGTH,
    PULUMI_REQUIREMENT,
    display_width,
    python_string,
    render_program,
)
from pairing_provider.migrate.state import StateInstance, instance_address
from pairing_provider.simulator import Simulator
from pairing_provider.testing import RunResult, Secret, Stack

FIXTURES = Path(__file__).parent / "fixtures_terraform"
FORMATS = ["show.json", "terraform.tfstate"]
REPO = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SECRET_DESCRIPTION = "rotate quarterly; ticket SEC-1432"  # sensitive in the fixtures
SECRET_KEY = "edge_site_1_description"
PROFILE_ADDRESSES = [
    "illumio-core_pairing_profile.web",
    "module.edge.illumio-core_pairing_profile.site[0]",
    "module.edge.illumio-core_pairing_profile.site[1]",
    'module.edge.module.dc["eu-1"].illumio-core_pairing_profile.dc["app-x"]',
    'module.edge.module.dc["eu-1"].illumio-core_pairing_profile.dc["app_x"]',
    'module.edge.module.dc["eu-1"].illumio-core_pairing_profile.dc["db"]',
]
# The last one's profile is disabled: a PCE issues keys for disabled profiles too.
KEY_ADDRESSES = [
    "illumio-core_pairing_keys.legacy",
    "illumio-core_pairing_keys.web",
    "module.edge.illumio-core_pairing_keys.site[0]",
]
# What the PCE holds: the fixtures' profiles as API bodies, in href order (1..7).
PCE_PROFILES: list[dict[str, Any]] = [
    {
        "name": "web-servers",
        "enabled": True,
        "description": 'Web tier: "front" servers \\ «prod» ✓',
        "enforcement_mode": "selective",
        "visibility_level": "flow_full_detail",
        "env_label_lock": False,
        "allowed_uses_per_key": 5,
        "key_lifespan": 86400,
        "labels": [{"href": "/orgs/1/labels/1"}, {"href": "/orgs/1/labels/2"}],
    },
    {
        "name": "edge-0",
        "enabled": False,
        "external_data_set": "cmdb",
        "external_data_reference": "edge-0",
    },
    {"name": "edge-1", "enabled": True, "log_traffic": True, "description": SECRET_DESCRIPTION},
    {"name": "eu-1 app-x", "enabled": True, "visibility_level": "flow_off"},
    {"name": "eu-1 app_x", "enabled": True, "key_lifespan": 3600},
    {"name": "eu-1 db", "enabled": True, "agent_software_release": "21.5.20-8451"},
    {"name": "legacy-pool", "enabled": True},  # only referenced by illumio-core_pairing_keys.legacy
]


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def migrate(document: dict[str, Any]) -> Migration:
    return plan_migration(parse_state(json.dumps(document)))


def show_profile(document: dict[str, Any], address: str) -> dict[str, Any]:
    """The values of one resource in a `terraform show -json` document, to edit in a test."""
    modules = [document["values"]["root_module"]]
    while modules:
        module = modules.pop()
        for resource in module.get("resources", []):
            if resource["address"] == address:
                return resource
        modules += module.get("child_modules", [])
    raise KeyError(address)


def by_address(migration: Migration) -> dict[str, Any]:
    return {decl.address: decl for decl in (*migration.profiles, *migration.keys)}


# --- reading both formats -----------------------------------------------------------------------


def test_both_formats_yield_the_same_program() -> None:
    show, tfstate = (migrate(fixture(name)) for name in FORMATS)
    # Identical but for the first header paragraph, which names the format.
    first, second = (render_program(m, "tf").split("\n#\n", 1) for m in (show, tfstate))
    assert first[1] == second[1]
    assert [p.address for p in show.profiles] == PROFILE_ADDRESSES
    assert [k.address for k in show.keys] == KEY_ADDRESSES
    assert [label.address for label in show.labels] == ["illumio-core_label.env"]
    assert show.addresses == ["illumio-core_label.env", *PROFILE_ADDRESSES, *KEY_ADDRESSES]


@pytest.mark.parametrize("name", FORMATS)
def test_instances_keep_module_count_and_for_each_keys(name: str) -> None:
    instances = {i.address: i for i in parse_state((FIXTURES / name).read_bytes()).instances}
    dc = instances['module.edge.module.dc["eu-1"].illumio-core_pairing_profile.dc["db"]']
    assert (dc.module, dc.name, dc.index) == ('module.edge.module.dc["eu-1"]', "dc", "db")
    site = instances["module.edge.illumio-core_pairing_profile.site[1]"]
    assert (site.index, site.sensitive) == (1, frozenset({"description"}))
    assert instances["data.illumio-core_pairing_profile.lookup"].mode == "data"
    assert "null_resource.marker" in instances


# --- the mapping ----------------------------------------------------------------------------------


def test_attribute_mapping_follows_terraform_semantics() -> None:
    migration = migrate(fixture("show.json"))
    decls = by_address(migration)
    [env] = migration.labels
    assert (env.address, env.href) == ("illumio-core_label.env", "/orgs/1/labels/1")
    assert env.args == {"key": "env", "value": "prod"}  # Terraform's "" external data: unset
    web = decls["illumio-core_pairing_profile.web"]
    assert web.href == "/orgs/1/pairing_profiles/1"
    assert web.args == {
        "name": "web-servers",
        "enabled": True,
        "description": 'Web tier: "front" servers \\ «prod» ✓',
        "enforcement_mode": "selective",
        "visibility_level": "flow_full_detail",
        "allowed_uses_per_key": 5,  # Terraform's string "5"
        "key_lifespan": 86400,
        # its set of {href}, sorted: the migrated Label resource, then an href the state says
        # nothing more of
        "labels": [LabelRef("/orgs/1/labels/1", env), LabelRef("/orgs/1/labels/2")],
        "env_label_lock": False,
    }
    # "Default ()" and empty strings mean "not set"; other defaults (locks...) are left out, but
    # the key limits are always written, "unlimited" as the string.
    site0 = decls["module.edge.illumio-core_pairing_profile.site[0]"]
    assert site0.args == {
        "name": "edge-0",
        "enabled": False,
        "allowed_uses_per_key": "unlimited",
        "key_lifespan": "unlimited",
        "external_data_set": "cmdb",
        "external_data_reference": "edge-0",
    }
    db = decls['module.edge.module.dc["eu-1"].illumio-core_pairing_profile.dc["db"]']
    assert db.args["agent_software_release"] == "21.5.20-8451"
    for decl in (web, site0, db):
        assert not {"href", "id", "created_at", "caps", "status"} & set(decl.args)


def test_unlimited_is_kept_and_numeric_strings_become_integers() -> None:
    document = fixture("show.json")
    values = show_profile(document, "illumio-core_pairing_profile.web")["values"]
    values.update(allowed_uses_per_key="unlimited", key_lifespan="2147483647")
    web = by_address(migrate(document))["illumio-core_pairing_profile.web"]
    assert web.args["allowed_uses_per_key"] == "unlimited"
    assert web.args["key_lifespan"] == 2147483647
    program = render_program(migrate(document), "tf")
    assert 'allowed_uses_per_key="unlimited",\n    key_lifespan=2147483647,' in program


def test_keys_point_at_their_profile_or_keep_a_literal_href() -> None:
    migration = migrate(fixture("terraform.tfstate"))
    program = render_program(migration, "tf")
    assert "pairing_profile=web_profile," in program
    assert "pairing_profile=edge_site_0_profile," in program  # disabled: a key all the same
    assert 'pairing_profile_href="/orgs/1/pairing_profiles/7",' in program
    assert "activation codes cannot be carried over" in program
    for token in ("activation_token", "8f1c2a0e0d9b7c6a5f4e3d2c1b0a9f8e"):
        assert token not in program


def test_sensitive_values_come_from_secret_config_not_the_code() -> None:
    for name in FORMATS:
        migration = migrate(fixture(name))
        program = render_program(migration, "tf")
        assert SECRET_DESCRIPTION not in program
        assert f'description=config.require_secret("{SECRET_KEY}"),' in program
        assert [s.config_key for s in migration.secrets] == [SECRET_KEY]


def test_a_sensitive_list_and_a_tainted_instance() -> None:
    document = fixture("terraform.tfstate")
    web = next(r for r in document["resources"] if r["name"] == "web" and r["type"] == PROFILE_TYPE)
    web["instances"][0]["status"] = "tainted"
    web["instances"][0]["sensitive_attributes"] = [
        [
            {"type": "get_attr", "value": "labels"},
            {"type": "index", "value": {"value": 0, "type": "number"}},
        ]
    ]
    migration = migrate(document)
    program = render_program(migration, "tf")
    assert 'labels=config.require_secret_object("web_labels"),' in program
    assert "/orgs/1/labels/2" not in program  # only the profile's (sensitive) list holds it
    assert "web_labels VALUE, where VALUE is the labels (as JSON) of" in program
    [tainted] = [f for f in migration.findings if "tainted" in f.reason]
    assert tainted.address == "illumio-core_pairing_profile.web"


def test_report_lists_what_was_not_carried_over(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from-terraform", str(FIXTURES / "show.json")]) == 0
    out, report = capsys.readouterr()
    assert out.startswith("# Illumio pairing profiles and keys migrated from Terraform")
    for expected in (
        "data.illumio-core_pairing_profile.lookup: a data source",
        "illumio-core_pairing_profile.web: labels: /orgs/1/labels/2 is neither",
        "illumio-core_pairing_keys.web: activation_tokens: 2 activation code(s) not carried over",
        "illumio-core_pairing_keys.legacy: pairing_profile_href: its profile is not in this state",
        f"pulumi config set --secret {SECRET_KEY}",
        "terraform state rm \\",
        "'module.edge.illumio-core_pairing_profile.site[0]' \\",
        "'module.edge.illumio-core_pairing_keys.site[0]'\n",
    ):
        assert expected in report
    assert "null_resource" not in report
    assert SECRET_DESCRIPTION not in report + out
    assert "8f1c2a" not in report


# --- names ----------------------------------------------------------------------------------------


def instance(module: str, name: str, index: int | str | None) -> StateInstance:
    address = instance_address(module, "managed", PROFILE_TYPE, name, index)
    return StateInstance(address, module, "managed", PROFILE_TYPE, name, index, {}, frozenset())


NAME_CASES = [
    instance("", "web", None),
    instance("", "web", "日本"),  # no ASCII left: clashes with plain `web`
    instance("", "web", "a-b"),
    instance("", "web", "a_b"),  # sanitises to the same name as "a-b"
    instance("", "web", "A B"),
    instance("", "_private", 0),
    instance("", "x", "class"),
    instance('module.eu["1"].module.dc', "db", 10),
    instance("module.eu_1_dc", "db", 10),  # same words, another address
    instance("", "long" * 30, "k"),
    instance("", "long" * 30, "l"),  # clash after truncation
]


def test_names_are_valid_unique_and_stable() -> None:
    names = unique_names(NAME_CASES)
    assert len(set(names.values())) == len(NAME_CASES)
    for name in names.values():
        for variable in (f"{name}_profile", f"{name}_key"):
            assert variable.isidentifier() and not keyword.iskeyword(variable)
        assert len(name) <= 64
    assert unique_names(reversed(NAME_CASES)) == names  # no dependence on order
    assert names['illumio-core_pairing_profile.x["class"]'] == "x_class"
    assert names["illumio-core_pairing_profile._private[0]"] == "private_0"
    clashing = [names[i.address] for i in NAME_CASES[2:4]]
    assert all(name.startswith("web_a_b_") for name in clashing)
    # A name that clashes with nothing is not touched by another's clash.
    assert unique_names(NAME_CASES[4:5]) == {NAME_CASES[4].address: "web_a_b"}


# --- the generated code ---------------------------------------------------------------------------


def write_program(tmp_path: Path, migration: Migration) -> Path:
    path = tmp_path / "__main__.py"
    path.write_text(render_program(migration, "tf.json"), encoding="utf-8")
    return path


def ruff_format_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


TRICKY_STRINGS = [
    "it's",
    'say "hi"',
    """both ' and "" quotes""",
    "back\\slash \\n not a newline",
    "tab\there, newline\nhere, bell\x07, escape\x1b",
    "zero\u200bwidth, line\u2028separator",
    "unicode «ünïcødé» ✓ 日本語 e\u0301",
    "x" * 255,
    ("word " * 51)[:255],
    "日本語" * 40,
    '"' * 60 + "'" * 60,
]


def test_generated_code_is_formatted_compiles_and_round_trips(tmp_path: Path) -> None:
    document = fixture("show.json")
    template = show_profile(document, "illumio-core_pairing_profile.web")
    resources = document["values"]["root_module"]["resources"]
    for number, text in enumerate(TRICKY_STRINGS):
        resource = copy.deepcopy(template)
        index = number if number % 2 else f"it's «{number}»\n"  # for_each keys need quoting
        resource.update(name="tricky", index=index)
        resource["address"] = instance_address("", "managed", PROFILE_TYPE, "tricky", index)
        href = f"/orgs/1/pairing_profiles/{100 + number}"
        resource["values"].update(href=href, id=href)
        resource["values"].update(name=f"tricky {number}", description=text[:255])
        resource["values"].update(external_data_reference=text[:255])
        resources.append(resource)
    migration = migrate(document)
    path = write_program(tmp_path, migration)

    checked = ruff_format_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    py_compile.compile(str(path), doraise=True)
    source = path.read_text(encoding="utf-8")
    assert max(display_width(line) for line in source.splitlines()) <= LINE_LENGTH
    described = [
        ast.literal_eval(kw.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "external_data_reference" and "tricky" in ast.unparse(node.args[0])
    ]
    assert described == [text[:255] for text in TRICKY_STRINGS]
    # The header's `terraform state rm` is one shell command naming every address exactly.
    header = source.split("\n\n", 1)[0].splitlines()
    start = header.index("#      terraform state rm \\")
    command = " ".join(line.removeprefix("#").rstrip("\\") for line in header[start:])
    assert shlex.split(command) == ["terraform", "state", "rm", *migration.addresses]


def test_nothing_from_the_state_can_break_out_of_a_comment(tmp_path: Path) -> None:
    document = fixture("show.json")
    document["format_version"] = "1.0\nimport os; os.abort()"
    document["terraform_version"] = "1.9\rraise SystemExit"
    show_profile(document, "illumio-core_pairing_profile.web")["values"]["href"] = "/x\nboom()"
    source = render_program(migrate(document), "tf\n.json")
    code = ast.unparse(ast.parse(source))  # the code alone, comments gone
    for injected in ("import os", "abort", "SystemExit", "boom"):
        assert injected not in code


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_string_becomes_an_equal_python_literal(text: str) -> None:
    assert ast.literal_eval(python_string(text)) == text


# --- zero-change adoption -----------------------------------------------------------------------


def seed_pce(client: PCEClient, **overrides: dict[str, Any]) -> None:
    """The PCE as Terraform left it: the labels, then the profiles at the fixtures' hrefs
    (``overrides["4"]`` adds fields to the POST of profile 4, e.g. a ven_type)."""
    for key, value in [("env", "prod"), ("app", "web")]:
        client.request("POST", "/orgs/1/labels", json_body={"key": key, "value": value})
    for number, body in enumerate(PCE_PROFILES, start=1):
        body = {**body, **overrides.get(str(number), {})}
        assert client.create_pairing_profile(body)["href"] == f"/orgs/1/pairing_profiles/{number}"


def run_program(path: Path, simulator: Simulator, config: dict[str, str]) -> RunResult:
    """Run the generated program as `pulumi up` would, with the real providers behind it."""
    stack = Stack(
        path,
        config={**stack_config(simulator), **config},
        secrets=tuple(config),
        project="proj",
        request_log=simulator.requests,
    )
    return stack.up()


def api_calls(simulator: Simulator) -> list[tuple[str, str, int]]:
    """(method, path relative to /api/v2, status) of every API request since the last clear."""
    return [
        (r["method"], r["path"].split("?")[0].removeprefix("/api/v2"), r["status"])
        for r in simulator.requests()
    ]


def is_profile_write(method: str, path: str, status: int) -> bool:
    """What changes a profile: a successful create, any update, any delete. (Adoption POSTs,
    gets 406 name_must_be_unique and takes the existing profile; a new key is no profile write.)"""
    creates = method == "POST" and status < 300 and not path.endswith("/pairing_key")
    return creates or method in ("PUT", "DELETE")


@pytest.mark.parametrize("name", FORMATS)
def test_program_adopts_every_profile_without_a_write(
    name: str, tmp_path: Path, simulator: Simulator, client: PCEClient
) -> None:
    seed_pce(client)
    migration = migrate(fixture(name))
    path = write_program(tmp_path, migration)
    simulator.clear_requests()

    up = run_program(path, simulator, {f"proj:{SECRET_KEY}": SECRET_DESCRIPTION})

    calls = api_calls(simulator)
    assert [call for call in calls if is_profile_write(*call)] == []
    refused = [c for c in calls if c[0] == "POST" and c[1] == "/orgs/1/pairing_profiles"]
    assert [status for _, _, status in refused] == [406] * len(migration.profiles)
    for profile in migration.profiles:
        assert up.resource(profile.resource_name, "PairingProfile").id == profile.href
        assert up.outputs[f"{profile.variable}_href"] == profile.href
    new_keys = sorted(path for method, path, _ in calls if path.endswith("/pairing_key"))
    # Terraform's token_count is kept: two codes from profile 1.
    assert new_keys == [f"/orgs/1/pairing_profiles/{n}/pairing_key" for n in (1, 1, 2, 7)]
    issued = [key["activation_code"] for key in simulator.pairing_keys()]
    for key in migration.keys:
        key_id = up.resource(key.resource_name, "PairingKey").id
        assert key_id.startswith(f"{key.profile_href}/pairing_keys/")
        code, cloud_init = (
            up.outputs[f"{key.variable}_{o}"] for o in ("activation_code", "cloud_init")
        )
        assert isinstance(code, Secret) and isinstance(cloud_init, Secret)
        assert code.value in issued and code.value in cloud_init.value
    for body in PCE_PROFILES:
        [live] = client.list_pairing_profiles(name=body["name"])
        assert live["updated_at"] == live["created_at"], body["name"]


def test_a_ven_type_terraform_does_not_track_is_left_as_the_pce_has_it(
    tmp_path: Path, simulator: Simulator, client: PCEClient
) -> None:
    """The PCE takes ven_type only at creation and Terraform never tracked it: the program
    leaves it unset, so a profile whose ven_type is "endpoint" is adopted as it is."""
    seed_pce(client, **{"4": {"ven_type": "endpoint"}})
    path = write_program(tmp_path, migrate(fixture("show.json")))
    simulator.clear_requests()

    run_program(path, simulator, {f"proj:{SECRET_KEY}": SECRET_DESCRIPTION})

    assert [call for call in api_calls(simulator) if call[0] in ("PUT", "DELETE")] == []
    assert not any("ven_type" in str(r["body"]) for r in simulator.requests())


# --- bad input ------------------------------------------------------------------------------------


def tfstate_with(**changes: Any) -> dict[str, Any]:
    document = fixture("terraform.tfstate")
    document.update(changes)
    return document


def invalid_values() -> dict[str, Any]:
    document = fixture("show.json")
    show_profile(document, "illumio-core_pairing_profile.web")["values"].update(
        key_lifespan="0", labels=[{"href": "label-1"}]
    )
    show_profile(document, "module.edge.illumio-core_pairing_profile.site[1]")["values"].update(
        enforcement_mode="enforced"
    )
    return document


def duplicate_names() -> dict[str, Any]:
    document = fixture("show.json")
    show_profile(document, "module.edge.illumio-core_pairing_profile.site[1]")["values"].update(
        name="edge-0"
    )
    return document


def bad_key_href() -> dict[str, Any]:
    document = fixture("terraform.tfstate")
    keys = next(r for r in document["resources"] if r["type"] == KEYS_TYPE)
    keys["instances"][0]["attributes"]["pairing_profile_href"] = "pairing-profile-7"
    return document


def odd_sensitive_paths() -> dict[str, Any]:
    document = fixture("terraform.tfstate")
    web = next(r for r in document["resources"] if r["name"] == "web" and r["type"] == PROFILE_TYPE)
    web["instances"][0]["sensitive_attributes"] = ["description"]
    return document


def repeated_address() -> dict[str, Any]:
    document = fixture("terraform.tfstate")
    web = next(r for r in document["resources"] if r["name"] == "web" and r["type"] == PROFILE_TYPE)
    document["resources"].append(copy.deepcopy(web))
    return document


BAD_INPUTS: dict[str, tuple[str | dict[str, Any] | list[Any], list[str]]] = {
    "not JSON": ("resource {", ["not JSON (line 1, column 1"]),
    "not an object": ([1, 2], ["not a Terraform state"]),
    "neither format": ({"serial": 3}, ["neither `format_version`", "nor `version`"]),
    "unknown show format": (
        {"format_version": "2.0", "values": {}},
        ["unsupported `terraform show -json` format_version '2.0'"],
    ),
    "unknown tfstate version": (
        tfstate_with(version=3),
        ["unsupported terraform.tfstate version 3"],
    ),
    "a plan": ({"format_version": "1.2", "planned_values": {}}, ["a plan's JSON"]),
    "no Illumio resources": (
        tfstate_with(
            resources=[
                r for r in fixture("terraform.tfstate")["resources"] if r["type"] == "null_resource"
            ]
        ),
        [
            "no illumio-core_label, illumio-core_pairing_profile or illumio-core_pairing_keys "
            "resources"
        ],
    ),
    "empty state": ({"format_version": "1.0"}, ["nothing to migrate"]),
    "malformed": (tfstate_with(resources={"web": {}}), ["resources must be a JSON array"]),
    "values the PCE refuses": (
        invalid_values(),
        [
            "illumio-core_pairing_profile.web: key_lifespan: "
            '"0" must be "unlimited" or a whole number',
            'illumio-core_pairing_profile.web: labels[0]: {"href": "label-1"} must be an href',
            "module.edge.illumio-core_pairing_profile.site[1]: enforcement_mode: "
            '"enforced" is not one of',
        ],
    ),
    "duplicate names": (
        duplicate_names(),
        [
            "module.edge.illumio-core_pairing_profile.site[0], "
            "module.edge.illumio-core_pairing_profile.site[1]: share the name 'edge-0'"
        ],
    ),
    "bad key href": (
        bad_key_href(),
        [
            "illumio-core_pairing_keys.legacy: pairing_profile_href: "
            '"pairing-profile-7" must be an href like "/orgs/1/pairing_profiles/7"'
        ],
    ),
    "repeated address": (
        repeated_address(),
        ["illumio-core_pairing_profile.web: appears 2 times in the state"],
    ),
    "unrecognised sensitive paths": (
        odd_sensitive_paths(),
        ["illumio-core_pairing_profile.web: unrecognised sensitive_attributes"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_clear_error_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, messages = BAD_INPUTS[case]
    state = tmp_path / "state.json"
    state.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    out = tmp_path / "program"

    assert main(["--from-terraform", str(state), "--out", str(out)]) == 1

    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert stderr.startswith("error: ")
    for message in messages:
        assert message in stderr
    assert not out.exists()


def test_sensitive_names_are_not_shown_in_errors() -> None:
    document = duplicate_names()
    show_profile(document, "module.edge.illumio-core_pairing_profile.site[1]")["sensitive_values"][
        "name"
    ] = True
    with pytest.raises(MigrationError) as error:
        migrate(document)
    assert "(sensitive, not shown)" in str(error.value)
    assert "edge-0" not in str(error.value)


def test_unreadable_file_and_existing_program_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--from-terraform", str(tmp_path / "missing.json")]) == 1
    assert "error: cannot read" in capsys.readouterr().err
    out = tmp_path / "existing"
    out.mkdir()
    (out / "__main__.py").write_text("# mine\n")
    assert main(["--from-terraform", str(FIXTURES / "show.json"), "--out", str(out)]) == 1
    assert "exists: not overwriting it" in capsys.readouterr().err
    assert (out / "__main__.py").read_text() == "# mine\n"
    assert sorted(p.name for p in out.iterdir()) == ["__main__.py"]


def test_an_existing_directory_gets_only_the_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: mine\n")
    assert main(["--from-terraform", str(FIXTURES / "show.json"), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.yaml", "__main__.py"]
    assert (tmp_path / "Pulumi.yaml").read_text() == "name: mine\n"
    assert f"Written (1):\n  {tmp_path / '__main__.py'}" in capsys.readouterr().err


# --- the command line -----------------------------------------------------------------------------


class CliRun(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes


MIGRATE = [sys.executable, "-m", "pairing_provider.migrate"]
# Imports the package, runs a whole migration in-process, then lists the Pulumi modules loaded.
NO_PULUMI = (
    "import sys\n"
    "from pairing_provider.migrate import main\n"
    "code = main(sys.argv[1:])\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'))\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, CliRun]]:
    """Command lines run as subprocesses, all at once, so the suite stays fast."""
    base = tmp_path_factory.mktemp("cli")
    (base / "tf.json").write_text('{"format_version": "9.0"}')
    tfstate = str(FIXTURES / "terraform.tfstate")
    runs: dict[str, tuple[list[str], bytes | None]] = {
        "out": (
            [*MIGRATE, "--from-terraform", tfstate, "--out", str(base / "pairing-stack")],
            None,
        ),
        "stdin": ([*MIGRATE, "--from-terraform", "-"], (FIXTURES / "show.json").read_bytes()),
        "error": (
            [*MIGRATE, "--from-terraform", str(base / "tf.json"), "--out", str(base / "out")],
            None,
        ),
        "no_pulumi": (
            [
                sys.executable,
                "-c",
                NO_PULUMI,
                "--from-terraform",
                tfstate,
                "--out",
                str(base / "np"),
            ],
            None,
        ),
    }
    started = {
        name: subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
        )
        for name, (command, _) in runs.items()
    }
    results = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(runs[name][1], timeout=60)
        results[name] = CliRun(process.returncode, stdout, stderr)
    return base, results


def test_cli_writes_a_project_into_a_new_directory(cli: tuple[Path, dict[str, CliRun]]) -> None:
    base, runs = cli
    done, out = runs["out"], base / "pairing-stack"
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert sorted(p.name for p in out.iterdir()) == [
        "Pulumi.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    assert 'name: "pairing-stack"' in (out / "Pulumi.yaml").read_text()
    assert "runtime:\n  name: python" in (out / "Pulumi.yaml").read_text()
    requirements = (out / "requirements.txt").read_text()
    assert "pulumi>=3.216,<4" in requirements
    # This venv installs the package from its checkout (editable): nothing another machine can
    # install, so the file says so instead of naming a local path.
    assert "\n# pairing_provider is not listed: this migration tool cannot name a source" in (
        requirements
    )
    assert "file:" not in requirements and "--requirement SPEC" in requirements
    report = done.stderr.decode()
    assert "Not carried over (6):" in report and str(out / "__main__.py") in report
    assert "requirements.txt: pairing_provider is not listed" in report
    program = (out / "__main__.py").read_text(encoding="utf-8")
    assert program == render_program(migrate(fixture("terraform.tfstate")), "terraform.tfstate")


def test_cli_prints_the_program_and_reads_stdin(cli: tuple[Path, dict[str, CliRun]]) -> None:
    done = cli[1]["stdin"]
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == render_program(migrate(fixture("show.json")), "stdin")
    assert b"Migrated from stdin (terraform show -json, format 1.0" in done.stderr


def test_cli_error_exit_code_and_message(cli: tuple[Path, dict[str, CliRun]]) -> None:
    base, runs = cli
    done = runs["error"]
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.startswith(b"error: unsupported `terraform show -json` format_version")
    assert not (base / "out").exists()


def test_migration_never_loads_the_pulumi_sdk(cli: tuple[Path, dict[str, CliRun]]) -> None:
    base, runs = cli
    done = runs["no_pulumi"]
    assert done.returncode == 0, done.stderr.decode()
    assert (base / "np" / "__main__.py").is_file()  # the whole migration ran
    assert done.stdout == b"[]\n"


def test_requirement_names_where_this_tool_was_installed_from() -> None:
    """PEP 610 ``direct_url.json`` (docs/packaging.md): a VCS commit, a remote archive, no
    record (an index), or a local path, which no other machine can install."""
    vcs = {
        "url": "https://github.com/acme/pp.git",
        "vcs_info": {"vcs": "git", "commit_id": "4f2a9c1", "requested_revision": "v0.2.0"},
    }
    assert requirement_from("0.2.0", vcs).line == (
        "pairing_provider @ git+https://github.com/acme/pp.git@4f2a9c1"
    )
    wheel = {"url": "https://files.example.com/pp-0.2.0-py3-none-any.whl", "archive_info": {}}
    assert requirement_from("0.2.0", wheel).line == f"pairing_provider @ {wheel['url']}"
    assert requirement_from("0.2.0", None).line == "pairing_provider==0.2.0"
    for local in (
        {"url": "file:///home/me/pp", "dir_info": {"editable": True}},
        {"url": "file:///tmp/pp-0.2.0-py3-none-any.whl", "archive_info": {}},
    ):
        found = requirement_from("0.2.0", local)
        assert found.line is None and "--requirement SPEC" in found.note
    assert PULUMI_REQUIREMENT in PYPROJECT["project"]["dependencies"]


def test_requirement_option_overrides_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = "pairing_provider @ git+https://git.example.com/team/pairing_provider@v9.9.9"
    state = str(FIXTURES / "show.json")
    out = tmp_path / "stack"
    assert main(["--from-terraform", state, "--out", str(out), "--requirement", spec]) == 0
    assert (out / "requirements.txt").read_text().endswith(f"\n{spec}\n")
    with pytest.raises(SystemExit):
        main(["--from-terraform", state, "--out", str(tmp_path / "x"), "--requirement", "a\nb"])
    assert "--requirement: must be one non-empty line" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_program_exports_hrefs_codes_and_cloud_init() -> None:
    program = render_program(migrate(fixture("show.json")), "tf")
    assert 'pulumi.export("web_profile_href", web_profile.href)' in program
    assert 'pulumi.export("web_key_activation_code", web_key.activation_code)' in program
    assert 'pulumi.export("web_key_cloud_init", web_key.cloud_init)' in program
    assert 'pulumi.export("env_label_href", env_label.href)' in program
    exports = 1 + len(PROFILE_ADDRESSES) + 2 * len(KEY_ADDRESSES)  # the one label, then the rest
    assert program.count("pulumi.export(") == exports
