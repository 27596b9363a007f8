"""A fleet's pairing set-up: its labels, and one labelled pairing profile and one pairing key
per environment.

The stack owns its labels (``Label`` resources): the application's ``app`` label and one ``env``
label per environment. Each environment gets a profile (its own enforcement mode and key
lifespan, labelled with those two labels) and a key whose ``cloud_init`` output is a complete
user-data document: a VM booted with it installs the VEN and pairs into that profile.

Stack config (``Pulumi.<stack>.yaml``, namespace ``pairing-provider``, the project name):

- ``rotation`` (required): any text, e.g. ``2026-11``. Changing it makes a new key for every
  environment; the preview shows each key as replaced, with ``triggers`` as the reason.
- ``rotation-<env>`` (optional, e.g. ``rotation-prod``): overrides ``rotation`` for one
  environment, to rotate a single environment's key (after a leak, say) without the others.
- ``adopt-labels`` (optional, ``true``/``false``): in an org that already has these labels and
  no other stack manages them, ``true`` makes the stack take them over instead of failing on
  the first ``up`` (``adopt_existing``).

The ``illumio:*`` keys (README "Configuration") say which PCE to talk to.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from pairing_provider import Label, PairingKey, PairingProfile

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
adopt_labels = config.get_bool("adopt-labels") or False

app_label = Label(f"app-{APP}", key="app", value=APP, adopt_existing=adopt_labels)

for env in ENVIRONMENTS:
    env_label = Label(f"env-{env.name}", key="env", value=env.name, adopt_existing=adopt_labels)
    profile = PairingProfile(
        env.name,
        name=f"{APP}-{env.name}",
        description=f"{APP} in {env.name}; managed by Pulumi, console edits get reverted",
        enabled=True,
        enforcement_mode=env.enforcement_mode,
        visibility_level="flow_summary",
        key_lifespan=env.key_lifespan,
        allowed_uses_per_key=env.allowed_uses_per_key,
        # Wired by id (the label's href): known in every preview once the label exists, so a
        # label edit previews as that one update and leaves the profile alone.
        labels=[env_label.id, app_label.id],
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
