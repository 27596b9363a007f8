"""Look up existing profiles and labels from a Pulumi program: Terraform's data sources.

Dynamic providers cannot serve invokes, so these are plain functions that run in the program
(previews included) with the providers' connection settings: stack config ``illumio:*``
through ``pulumi.Config("illumio")``, then the environment. Each has an ``*_output`` twin that
takes ``pulumi.Input`` arguments and returns a ``pulumi.Output``, as generated SDKs do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi

from pairing_provider.client import PCEClient, client_for
from pairing_provider.config import CONFIG_NAMESPACE, Settings
from pairing_provider.errors import LookupFailedError, NotFoundError
from pairing_provider.hrefs import PROFILE_HREF
from pairing_provider.labels import describe_pair, exact_labels, is_label_pair
from pairing_provider.models import PairingProfileData, VenType

LabelRef = str | Mapping[str, str]


class Label(TypedDict):
    href: str
    key: str
    value: str


def connection() -> PCEClient:
    """The client for the program's PCE: stack config first, then the environment."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    settings = Settings.load(lambda key: config.get(key.split(":", 1)[1]))
    return client_for(settings)


def get_pairing_profile(href: str, *, client: PCEClient | None = None) -> PairingProfileData:
    """The profile at ``href`` (``/orgs/N/pairing_profiles/N``), every field.

    ``client``: the native provider's connection; a program's call uses its stack config.
    """
    if not isinstance(href, str) or not PROFILE_HREF.fullmatch(href):
        raise LookupFailedError(
            f'href: must be a profile href like "/orgs/1/pairing_profiles/7", not {href!r}'
        )
    try:
        return PairingProfileData.from_api((client or connection()).get_pairing_profile(href))
    except NotFoundError as exc:
        raise LookupFailedError(f"no pairing profile at {href} ({exc})") from None


def find_pairing_profiles(
    *,
    name: str | None = None,
    exact_name: bool = False,
    description: str | None = None,
    agent_software_release: str | None = None,
    external_data_set: str | None = None,
    external_data_reference: str | None = None,
    ven_type: VenType | None = None,
    labels: Sequence[LabelRef] | Sequence[Sequence[LabelRef]] | None = None,
    max_results: int | None = None,
    client: PCEClient | None = None,
) -> list[PairingProfileData]:
    """Profiles matching every filter given; all of them (never cut at 500).

    ``name`` is the PCE's substring match unless ``exact_name=True``. ``labels`` is the PCE's
    list of lists (a profile matches when it has every label of at least one inner list); a
    flat list is one such list. Labels are hrefs or ``{"key": ..., "value": ...}`` pairs.
    """
    client = client or connection()
    label_groups = None if labels is None else _label_groups(client, labels)
    profiles = client.list_pairing_profiles(
        name=name,
        description=description,
        agent_software_release=agent_software_release,
        external_data_set=external_data_set,
        external_data_reference=external_data_reference,
        ven_type=ven_type,
        labels=label_groups,
        max_results=max_results,
    )
    if exact_name:
        profiles = [profile for profile in profiles if profile.get("name") == name]
    found = [PairingProfileData.from_api(profile) for profile in profiles]
    if ven_type is None:
        return found
    # GET bodies carry no ven_type, but the PCE's filter just proved it for every match.
    return [profile.model_copy(update={"ven_type": ven_type}) for profile in found]


def find_labels(
    key: str | None = None, value: str | None = None, *, client: PCEClient | None = None
) -> list[Label]:
    """Labels filtered by the PCE: ``key`` exactly, ``value`` as a substring."""
    return [_label(item) for item in (client or connection()).list_labels(key=key, value=value)]


def find_label(key: str, value: str) -> Label:
    """The one label with exactly this key and value."""
    return _exact_label(connection(), key, value)


def _exact_label(client: PCEClient, key: str, value: str) -> Label:
    matches = [_label(item) for item in exact_labels(client, key, value)]
    if not matches:
        raise LookupFailedError(f"no label {describe_pair({'key': key, 'value': value})}")
    if len(matches) > 1:
        candidates = ", ".join(label["href"] for label in matches)
        raise LookupFailedError(f"more than one label {key}={value}: {candidates}")
    return matches[0]


def _label(item: Mapping[str, Any]) -> Label:
    return Label(href=item["href"], key=item["key"], value=item["value"])


def _label_groups(
    client: PCEClient, labels: Sequence[LabelRef] | Sequence[Sequence[LabelRef]]
) -> list[list[str]]:
    """The PCE's list of lists of hrefs; a flat list is one AND group."""
    is_flat = all(isinstance(item, str) or isinstance(item, Mapping) for item in labels)
    groups = [labels] if is_flat else labels
    return [[_label_href(client, item) for item in group] for group in groups]


def _label_href(client: PCEClient, item: Any) -> str:
    if is_label_pair(item):
        return _exact_label(client, item["key"], item["value"])["href"]
    href = item.get("href") if isinstance(item, Mapping) else item
    if not isinstance(href, str):
        raise LookupFailedError(
            f'labels: each label must be an href or {{"key", "value"}}, not {item!r}'
        )
    return href


# -- Output twins: arguments may be pulumi.Input, results are pulumi.Output -------------------


def get_pairing_profile_output(href: pulumi.Input[str]) -> pulumi.Output[PairingProfileData]:
    return pulumi.Output.from_input(href).apply(get_pairing_profile)


def find_pairing_profiles_output(
    *,
    name: pulumi.Input[str] | None = None,
    exact_name: pulumi.Input[bool] = False,
    description: pulumi.Input[str] | None = None,
    agent_software_release: pulumi.Input[str] | None = None,
    external_data_set: pulumi.Input[str] | None = None,
    external_data_reference: pulumi.Input[str] | None = None,
    ven_type: pulumi.Input[VenType] | None = None,
    labels: pulumi.Input[Sequence[Any]] | None = None,
    max_results: pulumi.Input[int] | None = None,
) -> pulumi.Output[list[PairingProfileData]]:
    """``find_pairing_profiles`` with any argument a ``pulumi.Input``."""
    filters: dict[str, Any] = {
        "name": name,
        "exact_name": exact_name,
        "description": description,
        "agent_software_release": agent_software_release,
        "external_data_set": external_data_set,
        "external_data_reference": external_data_reference,
        "ven_type": ven_type,
        "labels": labels,
        "max_results": max_results,
    }
    resolved: pulumi.Output[dict[str, Any]] = pulumi.Output.from_input(filters)
    return resolved.apply(lambda known: find_pairing_profiles(**known))


def find_labels_output(
    key: pulumi.Input[str] | None = None, value: pulumi.Input[str] | None = None
) -> pulumi.Output[list[Label]]:
    return pulumi.Output.all(key, value).apply(lambda args: find_labels(*args))


def find_label_output(key: pulumi.Input[str], value: pulumi.Input[str]) -> pulumi.Output[Label]:
    return pulumi.Output.all(key, value).apply(lambda args: find_label(*args))
