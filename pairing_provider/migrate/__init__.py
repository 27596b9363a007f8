"""Migrate from the Terraform ``illumio-core`` provider: state in, Pulumi program out.

``python -m pairing_provider.migrate --from-terraform STATE [--out DIR]`` reads
``terraform show -json`` output or a ``terraform.tfstate`` (version 4) and writes a program that
declares one ``PairingProfile`` (``adopt_existing=True``) per ``illumio-core_pairing_profile``
instance and one ``PairingKey`` per ``illumio-core_pairing_keys`` instance, so that ``pulumi up``
adopts every profile without recreating or changing it.

Modules: ``state`` (both state formats), ``names`` (resource names), ``plan`` (the mapping and
its findings), ``render`` (the generated files), ``report``, ``cli``.
"""

from pairing_provider.errors import MigrationError
from pairing_provider.migrate.cli import main
from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.plan import plan_migration
from pairing_provider.migrate.render import render_program
from pairing_provider.migrate.state import parse_state

__all__ = ["Migration", "MigrationError", "main", "parse_state", "plan_migration", "render_program"]
