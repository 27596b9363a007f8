"""The resources, each declared once: its inputs, its outputs, and the facts of each field.

``PairingProfileArgs`` is what a program manages: every writable field, with the names and
defaults of the Terraform ``illumio-core_pairing_profile`` resource. ``PairingProfileState``
adds what the PCE reports. ``PairingKeyArgs`` / ``PairingKeyState`` do the same for a key, and
``LabelArgs`` / ``LabelState`` for a label (``illumio-core_label``).
Check, diff, the secret-output list, the outputs and the README tables all derive from these
(see ``declaration.py``); adding a field means adding it here, and nowhere else in the
provider.

``normalise_live`` turns a PCE GET body into the inputs' shape, so that comparing the two is
exact: no phantom changes from the PCE's quirks (``"5"`` for 5, ``"Default (21.5.20-8451)"``
for the default release, null for ""), and a field the PCE did not report is not a change
(see docs/pce-api.md: no real PCE response carries ``ven_type``).

Pulumi-free: the migration tool and the look-ups import this without the Pulumi SDK.
"""

from pairing_provider.models.fields import (
    DEFAULT_SCRIPT_API,
    EnforcementMode,
    VenType,
    VisibilityLevel,
    canonical_json,
)
from pairing_provider.models.key import (
    KEY,
)
from pairing_provider.models.label import (
    LABEL,
    LabelArgs,
    label_read_only,
    normalise_label,
)
from pairing_provider.models.profile import (
    PROFILE,
    PairingProfileArgs,
    PairingProfileData,
    changed_fields,
    normalise_live,
    read_only_values,
)

__all__ = [
    "DEFAULT_SCRIPT_API",
    "KEY",
    "LABEL",
    "PROFILE",
    "EnforcementMode",
    "LabelArgs",
    "PairingProfileArgs",
    "PairingProfileData",
    "VenType",
    "VisibilityLevel",
    "canonical_json",
    "changed_fields",
    "label_read_only",
    "normalise_label",
    "normalise_live",
    "read_only_values",
]
