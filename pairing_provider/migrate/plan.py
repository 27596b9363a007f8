"""From Terraform resources to Pulumi declarations, with a record of what could not be mapped.

Labels (``illumio-core_label``) are planned first (``labels.py``), so profiles can be wired to
them. Each ``illumio-core_pairing_profile`` goes through ``PROFILE.check``, the check the provider
itself runs, so the program gets exactly the values the provider will send and compare, and a
value the PCE would refuse is reported now, with its address, instead of at ``pulumi up``.
Only Pulumi-free modules are imported: the migration never loads the Pulumi SDK.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pairing_provider.errors import MigrationError
from pairing_provider.migrate.decls import KeyDecl, Migration, ProfileDecl, SecretInput
from pairing_provider.migrate.findings import Finding
from pairing_provider.migrate.findings import problems as problems_of
from pairing_provider.migrate.labels import (
    LABEL_TYPE,
    LABELS_DATA_TYPE,
    pairs_read,
    plan_labels,
    wire_labels,
)
from pairing_provider.migrate.names import unique_names
from pairing_provider.migrate.state import StateInstance, TerraformState
from pairing_provider.migrate.text import comment_text
from pairing_provider.models import KEY, PROFILE, PairingProfileArgs

PROFILE_TYPE = "illumio-core_pairing_profile"
KEYS_TYPE = "illumio-core_pairing_keys"
PROVIDER_PREFIX = "illumio-core_"
MIGRATED_TYPES = (LABEL_TYPE, PROFILE_TYPE, KEYS_TYPE)
DATA_SOURCE_HINTS = {
    LABEL_TYPE: "use find_label(key, value) in the program",
    LABELS_DATA_TYPE: "use find_labels(key, value) in the program",
}
REQUIRED = ("name", "enabled")
# Written even at their defaults: how long and how often a key works are what a reviewer of a
# pairing profile looks for first, and Terraform's "unlimited" should stay visible as such.
ALWAYS_WRITTEN = (*REQUIRED, "allowed_uses_per_key", "key_lifespan")
DEFAULTS: dict[str, Any] = {
    name: info.get_default(call_default_factory=True)
    for name, info in PairingProfileArgs.model_fields.items()
    if name not in REQUIRED
}
# Terraform always sent these at its defaults; the provider sends them only when set, so a
# value at Terraform's default is left unset (and the PCE keeps what it has).
DEFAULTS.update(log_traffic=False, log_traffic_lock=True)
# Computed by the PCE (or by Terraform: `id`); never inputs.
PROFILE_READ_ONLY = frozenset({"id", *PROFILE.read_only})
SPEC_FIELDS = PROFILE.sent  # what Terraform manages too (adopt_existing is ours alone)
DEPRECATED = {
    "mode": "deprecated by the PCE in favour of enforcement_mode",
    "mode_lock": "deprecated by the PCE in favour of enforcement_mode_lock",
}
KEYS_ATTRIBUTES = frozenset({"id", "pairing_profile_href", "token_count", "activation_tokens"})
# Config getters by the type of the (normalised) value they stand for.
SECRET_GETTERS = {
    bool: "require_secret_bool",
    int: "require_secret_int",
    str: "require_secret",
    list: "require_secret_object",
}


def plan_migration(state: TerraformState) -> Migration:
    """Map every label, pairing profile and key; raise ``MigrationError`` listing every
    problem."""
    labels_in = _managed(state, LABEL_TYPE)
    profiles_in = _managed(state, PROFILE_TYPE)
    keys_in = _managed(state, KEYS_TYPE)
    if not profiles_in and not keys_in and not labels_in:
        raise MigrationError(
            f"no {LABEL_TYPE}, {PROFILE_TYPE} or {KEYS_TYPE} resources in this state: nothing "
            "to migrate"
        )
    findings = _skipped(state)
    errors = _repeated_addresses([*labels_in, *profiles_in, *keys_in])
    labels = plan_labels(labels_in, findings, errors)
    profiles = _plan_profiles(profiles_in, findings, errors)
    wire_labels(profiles, labels, pairs_read(state), findings)
    keys = _plan_keys(keys_in, profiles, findings, errors)
    if errors:
        # One line per problem whatever an address holds: a line break in it is escaped too.
        listing = "\n  ".join(comment_text(error) for error in errors)
        raise MigrationError(f"cannot migrate; nothing was written:\n  {listing}")
    return Migration(state, profiles, keys, findings, [], labels)


def _plan_profiles(
    instances: list[StateInstance], findings: list[Finding], errors: list[str]
) -> list[ProfileDecl]:
    names = unique_names(instances)
    profiles = []
    for instance in instances:
        decl, problems = _profile(instance, names[instance.address], findings)
        profiles.append(decl)
        errors += problems
    errors += _duplicate_names(instances)
    return profiles


def _plan_keys(
    instances: list[StateInstance],
    profiles: list[ProfileDecl],
    findings: list[Finding],
    errors: list[str],
) -> list[KeyDecl]:
    names = unique_names(instances)
    by_href = {decl.href: decl for decl in profiles if decl.href}
    keys = []
    for instance in instances:
        decl, problems = _key(instance, names[instance.address], by_href, findings)
        keys.append(decl)
        errors += problems
    return keys


def _managed(state: TerraformState, type_: str) -> list[StateInstance]:
    return [
        instance
        for instance in state.instances
        if instance.type == type_ and instance.mode == "managed" and not instance.deposed
    ]


def _repeated_addresses(instances: list[StateInstance]) -> list[str]:
    """A state holds one current object per address; two would become two resources adopting
    one profile."""
    counts = Counter(instance.address for instance in instances)
    return [f"{address}: appears {n} times in the state" for address, n in counts.items() if n > 1]


def _skipped(state: TerraformState) -> list[Finding]:
    """Illumio objects in the state that are out of this migration's reach."""
    findings = []
    for instance in state.instances:
        if not instance.type.startswith(PROVIDER_PREFIX):
            continue
        if instance.mode == "data":
            hint = DATA_SOURCE_HINTS.get(instance.type, "use PairingProfile.get if needed")
            reason = f"a data source reads, it manages nothing; {hint}"
        elif instance.deposed:
            reason = "a deposed object Terraform was about to destroy; not migrated"
        elif instance.type not in MIGRATED_TYPES:
            reason = (
                "only labels, pairing profiles and pairing keys are migrated; keep it in Terraform"
            )
        else:
            continue
        findings.append(Finding(instance.address, "", reason))
    return findings


# --- pairing profiles -------------------------------------------------------------------------


def _profile(
    instance: StateInstance, resource_name: str, findings: list[Finding]
) -> tuple[ProfileDecl, list[str]]:
    values = instance.values
    candidate = {name: values[name] for name in SPEC_FIELDS if values.get(name) is not None}
    inputs, failures = PROFILE.check(candidate)
    problems = problems_of(instance, PROFILE, failures)
    args = {} if problems else _explicit_args(inputs)
    findings += _unmapped_attributes(instance)
    if instance.tainted:
        findings.append(
            Finding(
                instance.address,
                "",
                "tainted in Terraform (an apply failed part-way): it is adopted as it is; "
                "check it in the PCE console",
            )
        )
    secrets = {
        name: _secret_input(instance, resource_name, name, value)
        for name, value in args.items()
        if name in instance.sensitive
    }
    href = values.get("href") or values.get("id")
    decl = ProfileDecl(
        instance.address, resource_name, href if isinstance(href, str) else None, args, secrets
    )
    return decl, problems


def _explicit_args(inputs: dict[str, Any]) -> dict[str, Any]:
    """The ``ALWAYS_WRITTEN`` inputs and every other one that differs from its default, as
    program values: labels as plain href strings, the shortest form the provider accepts."""
    args = {}
    for name in SPEC_FIELDS:
        value = inputs[name]
        # None is "not set" (a field Terraform did not record, e.g. log_traffic): left out.
        if name in ALWAYS_WRITTEN or (value is not None and value != DEFAULTS[name]):
            args[name] = [label["href"] for label in value] if name == "labels" else value
    return args


def _unmapped_attributes(instance: StateInstance) -> list[Finding]:
    findings = []
    for name, value in instance.values.items():
        if name in SPEC_FIELDS or name in PROFILE_READ_ONLY or value in (None, "", [], {}):
            continue
        reason = DEPRECATED.get(name, "not an input of PairingProfile; left out")
        findings.append(Finding(instance.address, name, reason))
    return findings


def _secret_input(
    instance: StateInstance, resource_name: str, attribute: str, value: Any
) -> SecretInput:
    return SecretInput(
        config_key=f"{resource_name}_{attribute}",
        getter=SECRET_GETTERS[type(value)],
        address=instance.address,
        attribute=attribute,
    )


def _duplicate_names(instances: list[StateInstance]) -> list[str]:
    """Two resources with one name would both adopt the same profile."""
    by_name: dict[Any, list[StateInstance]] = defaultdict(list)
    for instance in instances:
        if isinstance(instance.values.get("name"), str):
            by_name[instance.values["name"]].append(instance)
    problems = []
    for name, same in by_name.items():
        if len(same) > 1:
            shown = "(sensitive, not shown)" if any("name" in i.sensitive for i in same) else name
            addresses = ", ".join(i.address for i in same)
            problems.append(
                f"{addresses}: share the name {shown!r}; a PCE org holds one profile per name, "
                "so they cannot all be adopted (states of different orgs: migrate each apart)"
            )
    return problems


# --- pairing keys -----------------------------------------------------------------------------


def _key(
    instance: StateInstance,
    resource_name: str,
    by_href: dict[str, ProfileDecl],
    findings: list[Finding],
) -> tuple[KeyDecl, list[str]]:
    """The key's declaration, disabled profile or not: a PCE issues keys for disabled profiles
    too (the Terraform provider's own acceptance test makes keys from one)."""
    values = instance.values
    href = values.get("pairing_profile_href")
    # Terraform's token_count (1 to 5) is kept: the key makes as many codes.
    checked, failures = KEY.check(
        {"pairing_profile_href": href, "token_count": values.get("token_count")}
    )
    problems = problems_of(instance, KEY, failures)
    profile = by_href.get(href) if isinstance(href, str) else None
    findings += _key_findings(instance, profile)
    decl = KeyDecl(
        instance.address,
        resource_name,
        href if isinstance(href, str) else "",
        profile,
        checked.get("token_count", 1),
    )
    return decl, problems


def _key_findings(instance: StateInstance, profile: ProfileDecl | None) -> list[Finding]:
    values, address = instance.values, instance.address
    tokens = values.get("activation_tokens") or []
    findings = [
        Finding(
            address,
            "activation_tokens",
            f"{len(tokens)} activation code(s) not carried over: the PCE cannot read a code "
            "back, so the program makes a fresh one. The old codes stay valid until the "
            "profile's key_lifespan or allowed_uses_per_key runs out.",
        )
    ]
    if profile is None:
        findings.append(
            Finding(
                address,
                "pairing_profile_href",
                "its profile is not in this state: the program uses the literal href",
            )
        )
    findings += [
        Finding(address, name, "not an input of PairingKey; left out")
        for name, value in values.items()
        if name not in KEYS_ATTRIBUTES and value not in (None, "", [], {})
    ]
    return findings
