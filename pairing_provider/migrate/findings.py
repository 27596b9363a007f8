"""What a migration reports about the state: findings (not carried over) and problems (errors).

Pulumi-free, as the whole migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pairing_provider.declaration import Declaration, Failure, type_text
from pairing_provider.migrate.state import StateInstance


@dataclass(frozen=True)
class Finding:
    """Something in the state that the program does not carry over, and why."""

    address: str
    subject: str
    reason: str


def problems(
    instance: StateInstance, declaration: Declaration[Any, Any], failures: list[Failure]
) -> list[str]:
    """One line per failure. A failure of an attribute Terraform marked sensitive says which
    attribute and what it must be, never the value (a check reason may quote it, or guess
    from it): the error is printed to a terminal and kept in CI logs."""
    problems = []
    for failure in failures:
        if failure.field in instance.sensitive:
            annotation = declaration.args.model_fields[failure.field].annotation
            reason = (
                f"{failure.field}: not a valid value (expected {type_text(annotation)}); "
                "sensitive in Terraform, so not shown"
            )
        else:
            reason = failure.reason
        problems.append(f"{instance.address}: {reason}")
    return sorted(set(problems), key=problems.index)  # a list field may fail once per item
