"""A pairing profile and a key whose cloud-init a VM can boot with.

Run from the repository root (Pulumi.yaml points here) with the illumio:* config set, or
against the simulator: see README "The PCE simulator".
"""

import pulumi

from pairing_provider import PairingKey, PairingProfile

config = pulumi.Config()

web = PairingProfile(
    "web",
    name="web-servers",
    enabled=True,
    description="Web tier, managed by Pulumi",
    enforcement_mode="visibility_only",
    key_lifespan=86400,
    allowed_uses_per_key=10,
)
key = PairingKey(
    "web-key",
    pairing_profile_href=web.href,
    triggers={"rotation": config.get("rotation") or "1"},
)

pulumi.export("web_profile_href", web.href)
pulumi.export("web_activation_code", key.activation_code)  # secret
pulumi.export("web_cloud_init", key.cloud_init)  # secret: hand it to a VM's user_data
