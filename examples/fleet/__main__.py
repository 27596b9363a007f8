"""A fleet's pairing set-up: one labelled pairing profile and one pairing key per environment.

Each environment gets a profile (its own enforcement mode and key lifespan, labelled with its
``env`` label and the application's ``app`` label) and a key whose ``cloud_init`` output is a
complete user-data document: a VM booted with it installs the VEN and pairs into that profile.

Stack config (``Pulumi.<stack>.yaml``, namespace ``pairing-provider``, the project name):

- ``rotation`` (required): any text, e.g. ``2026-11``. Changing it makes a new key for every
  environment; the preview shows each key as replaced, with ``triggers`` as the reason.
- ``rotation-<env>`` (optional, e.g. ``rotation-prod``): overrides ``rotation`` for one
  environment, to rotate a single environment's key (after a leak, say) without the others.

The ``illumio:*`` keys (README "Configuration") say which PCE to talk to. The labels must exist
in the PCE before the profiles can refer to them: ``seed_labels.py`` beside this file creates
any that are missing (``scripts/demo`` runs it against the simulator).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from pairing_provider import PairingKey, PairingProfile

APP = "storefront"
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Environment:
    name: str
    enforcement_mode: str
    # Seconds a key stays valid after it is made. A VM pairs at first boot, so a key only has
    # to outlive the time between a `pulumi up` and the last VM launched from its user-data.
    key_lifespan: int
    allowed_uses_per_key: int | str


ENVIRONMENTS = (
    # Production pairs straight into full enforcement, so a leaked code is worth the most
    # there: keys last a day and pair a bounded number of VMs.
    Environment("prod", enforcement_mode="full", key_lifespan=DAY, allowed_uses_per_key=50),
    # Staging only observes traffic and autoscales freely: longer-lived, unlimited keys.
    Environment(
        "staging",
        enforcement_mode="visibility_only",
        key_lifespan=7 * DAY,
        allowed_uses_per_key="unlimited",
    ),
)

config = pulumi.Config()  # the project's namespace: pairing-provider:*
fleet_rotation = config.require("rotation")

for env in ENVIRONMENTS:
    profile = PairingProfile(
        env.name,
        name=f"{APP}-{env.name}",
        description=f"{APP} in {env.name}; managed by Pulumi, console edits get reverted",
        enabled=True,
        enforcement_mode=env.enforcement_mode,
        visibility_level="flow_summary",
        key_lifespan=env.key_lifespan,
        allowed_uses_per_key=env.allowed_uses_per_key,
        # Labels by key and value: the provider looks up their hrefs in the PCE, so the
        # program does not hard-code org-specific label numbers.
        labels=[{"key": "env", "value": env.name}, {"key": "app", "value": APP}],
    )
    key = PairingKey(
        f"{env.name}-key",
        # Wired to the resource: a preview of a profile edit then shows the key unchanged (an
        # href would be unknown until the update ran), and making the key costs one request.
        pairing_profile=profile,
        # The key is replaced whenever this value changes, and only then (or once it expires).
        triggers={"rotation": config.get(f"rotation-{env.name}") or fleet_rotation},
    )

    # Handing the key to VMs is one argument of the VM resource, for example with pulumi_aws:
    #
    #   aws.ec2.Instance(f"{APP}-{env.name}-1", ami=..., instance_type="t3.small",
    #                    user_data=key.cloud_init,
    #                    opts=pulumi.ResourceOptions(ignore_changes=["user_data"]))
    #
    # ignore_changes: user-data only runs at first boot, so a rotated key must not restart or
    # replace VMs that already paired; new VMs get the new key. The value stays secret in the
    # instance's state because cloud_init is a secret output.
    pulumi.export(f"{env.name}_profile_href", profile.href)
    pulumi.export(f"{env.name}_key_expires_at", key.expires_at)
    pulumi.export(f"{env.name}_activation_code", key.activation_code)  # secret
    pulumi.export(f"{env.name}_cloud_init", key.cloud_init)  # secret: a VM's user_data
