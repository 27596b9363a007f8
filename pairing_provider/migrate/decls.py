"""What a migration declares: the program's resources (a label, a profile, a key, each with
its Terraform address and the variable the program names it by), the secret inputs read from
stack config, and the whole :class:`Migration` the renderers write out.

Plain data: ``plan.py`` and ``labels.py`` build these, ``render.py``, ``report.py`` and the
others read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pairing_provider.migrate.findings import Finding
from pairing_provider.migrate.state import TerraformState


@dataclass(frozen=True)
class LabelDecl:
    address: str
    resource_name: str
    href: str | None
    args: dict[str, Any]  # key and value always, the external data fields when set

    @property
    def variable(self) -> str:
        return f"{self.resource_name}_label"


@dataclass(frozen=True)
class SecretInput:
    """An input Terraform marked sensitive: read from stack config, not written in the code."""

    config_key: str
    getter: str
    address: str
    attribute: str

    @property
    def value_hint(self) -> str:
        """How to write the value on `pulumi config set`'s command line."""
        return " (as JSON)" if self.getter == "require_secret_object" else ""


@dataclass(frozen=True)
class ProfileDecl:
    address: str
    resource_name: str
    href: str | None
    args: dict[str, Any]  # keyword -> value, only those that differ from the defaults
    secrets: dict[str, SecretInput] = field(default_factory=dict)

    @property
    def variable(self) -> str:
        return f"{self.resource_name}_profile"


@dataclass(frozen=True)
class KeyDecl:
    address: str
    resource_name: str
    profile_href: str
    profile: ProfileDecl | None  # the declaration whose href it refers to, when in this state
    token_count: int = 1  # Terraform's token_count: codes the key holds

    @property
    def variable(self) -> str:
        return f"{self.resource_name}_key"


@dataclass
class Migration:
    state: TerraformState
    profiles: list[ProfileDecl]
    keys: list[KeyDecl]
    findings: list[Finding]
    notes: list[str]
    labels: list[LabelDecl] = field(default_factory=list)

    @property
    def secrets(self) -> list[SecretInput]:
        return [secret for profile in self.profiles for secret in profile.secrets.values()]

    @property
    def addresses(self) -> list[str]:
        """Every address Terraform should forget (`terraform state rm`): the ones the program
        takes over, which Terraform must not destroy either."""
        labels, profiles = [d.address for d in self.labels], [d.address for d in self.profiles]
        return labels + profiles + [decl.address for decl in self.keys]
