"""The resource classes a program uses agree with the one declaration of each resource.

``PairingProfile.__init__``, ``PairingKey.__init__`` and ``Label.__init__`` keep explicit,
typed keyword arguments (IDE completion), and their ``pulumi.Output`` attributes name every
output: these tests hold them to ``models.PROFILE`` / ``models.KEY`` / ``models.LABEL``, and the
README's tables to the same.
"""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pairing_provider import Label, PairingKey, PairingProfile
from pairing_provider.declaration import Declaration, literal_values
from pairing_provider.models import KEY, LABEL, PROFILE
from pairing_provider.testing import PCE

README = Path(__file__).resolve().parents[1] / "README.md"
# The key takes its profile as pairing_profile= (which sets pairing_profile_href and
# profile_key_lifespan) or as pairing_profile_href=.
KEY_WIRING = {"pairing_profile"}
KEY_SET_BY_WIRING = {"profile_key_lifespan"}
KEY_WIRED = {"pairing_profile_href"}
NAMES = {"PairingProfile": PairingProfile}  # imported only for type checkers in key.py


def keyword_arguments(cls: type) -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    return {
        name: parameter
        for name, parameter in parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "opts"
    }


def inner(hint: Any) -> Any:
    """``T`` of ``pulumi.Input[T] | None`` / ``pulumi.Output[T]``."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) is pulumi.Output:
        return args[0]
    for arg in args:  # Input[T] is a union of T, Awaitable[T] and Output[T]
        if typing.get_origin(arg) is pulumi.Output:
            return typing.get_args(arg)[0]
    return hint


@pytest.mark.parametrize(
    ("cls", "declaration", "extra", "absent"),
    [
        (PairingProfile, PROFILE, set(), set()),
        (PairingKey, KEY, KEY_WIRING, KEY_SET_BY_WIRING),
        (Label, LABEL, set(), set()),
    ],
)
def test_init_takes_exactly_the_declared_inputs_with_their_allowed_values(
    cls: type, declaration: Declaration[Any, Any], extra: set[str], absent: set[str]
) -> None:
    arguments = keyword_arguments(cls)
    assert set(arguments) == (set(declaration.inputs) - absent) | extra
    hints = inspect.get_annotations(cls.__init__, eval_str=True, locals=NAMES)
    for name in set(arguments) - extra:
        field = declaration.args.model_fields[name]
        required = arguments[name].default is inspect.Parameter.empty
        # pairing_profile_href is required unless pairing_profile= gives it
        assert required == (field.is_required() and name not in KEY_WIRED), name
        if typing.get_origin(field.annotation) is typing.Literal:  # an enum: the same values
            assert literal_values(inner(hints[name])) == literal_values(field.annotation), name


@pytest.mark.parametrize(
    ("cls", "declaration"), [(PairingProfile, PROFILE), (PairingKey, KEY), (Label, LABEL)]
)
def test_every_output_is_an_output_attribute(cls: type, declaration: Declaration[Any, Any]) -> None:
    hints = inspect.get_annotations(cls, eval_str=True, locals=NAMES)
    outputs = {name for name, hint in hints.items() if typing.get_origin(hint) is pulumi.Output}
    assert outputs == set(declaration.outputs)


@pytest.mark.parametrize("declaration", [PROFILE, KEY, LABEL])
def test_readme_tables_are_the_declarations(declaration: Declaration[Any, Any]) -> None:
    """Regenerate with: venv/bin/python scripts/readme_tables.py"""
    name = declaration.token.rsplit(":", 1)[1]
    text = README.read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- {name} properties: generated -->\n(.*?)\n<!-- end -->", text, re.DOTALL
    )
    assert match is not None, f"README has no generated table for {name}"
    assert match.group(1) == declaration.markdown_table()


def test_numeric_outputs_are_ints_at_run_time(pce: PCE) -> None:
    """gRPC sends every number as a double; the declared ``int | str`` must hold at run time,
    in the program, where a user's code reads it."""
    seen: dict[str, Any] = {}

    def program() -> None:
        profile = PairingProfile(
            "web", name="web", enabled=True, key_lifespan=3600, allowed_uses_per_key=5
        )
        key = PairingKey("key", pairing_profile=profile)
        for name in ("key_lifespan", "allowed_uses_per_key", "total_use_count"):
            getattr(profile, name).apply(lambda value, name=name: seen.update({name: value}))
        key.profile_key_lifespan.apply(lambda value: seen.update(profile_key_lifespan=value))

    pce.stack(program).up()
    assert seen == {
        "key_lifespan": 3600,
        "allowed_uses_per_key": 5,
        "total_use_count": 0,
        "profile_key_lifespan": 3600,
    }
    assert {name: type(value) for name, value in seen.items()} == dict.fromkeys(seen, int)
