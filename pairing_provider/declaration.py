"""How a resource is declared: one args model, one state model, and facts per field.

As ``pulumi-command``'s ``infer`` resources do (one args struct, one state struct, field
tags), each resource of this package is written down once, in ``models/``, as two pydantic
models whose fields carry a :class:`Facts` tag. Everything else is derived from them by
:class:`Declaration`: check (validation with the allowed values), diff (which changed
inputs replace the resource), the secret-output list, the outputs dict the provider returns
and the README's table of inputs and outputs.

Pulumi-free on purpose: the migration tool, the look-ups and the test kit import it without
paying for the Pulumi SDK. A preview value that is not known yet is recognised without
importing Pulumi (see :func:`is_unknown`).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from pairing_provider.errors import InvalidHrefError, InvalidInputError
from pairing_provider.field_types import holds_int_and_literal
from pairing_provider.field_types import literal_values as literal_values  # still importable here
from pairing_provider.field_types import type_text as type_text  # still importable here

PROVIDER_KEY = "__provider"  # the pickled provider the dynamic server adds to every bag
# The profile and label input the PCE never sees: a read keeps it from the state.
ADOPT_EXISTING = "adopt_existing"
MAX_ECHO_CHARS = 80  # longer values are not repeated in an error message
# Plain values: immutable (a default of one is shared), and never an unknown nor holding one.
PLAIN_VALUES = (str, bool, int, float, type(None))

Args = TypeVar("Args", bound=BaseModel)
State = TypeVar("State", bound=BaseModel)


@dataclass(frozen=True)
class Facts:
    """What the provider needs to know of one field, beside its type and default.

    - ``secret``: an output marked secret in state (``additional_secret_outputs``).
    - ``replace_on_change``: changing this input replaces the resource.
    - ``create_only``: the PCE takes it only when the object is created (never in a PUT);
      a change replaces the resource.
    - ``sent``: sent to the PCE (False for the provider's own inputs such as
      ``adopt_existing``).
    - ``compared``: a change of it counts as a change in a diff.
    - ``echo``: a bad value may be repeated in an error message (never for secrets).
    - ``only_when_set``: managed only when the program sets it: left unset (None) it is not
      sent and not compared, and its output is what the PCE reports.
    """

    description: str
    secret: bool = False
    replace_on_change: bool = False
    create_only: bool = False
    sent: bool = True
    compared: bool = True
    echo: bool = True
    only_when_set: bool = False


@dataclass(frozen=True)
class Failure:
    """One check problem: the input it is about and a sentence that starts with its path."""

    field: str
    reason: str


def is_unknown(value: Any) -> bool:
    """True for a preview value that is not known yet (``pulumi.output.Unknown``).

    Without Pulumi loaded no such value can exist, so this costs no SDK import.
    """
    output = sys.modules.get("pulumi.output")
    return output is not None and isinstance(value, output.Unknown)


def contains_unknown(value: Any) -> bool:
    """True when a value is, or holds, a not-yet-known value. Iterative: a hostile, deeply
    nested input cannot exhaust the recursion limit."""
    if type(value) in PLAIN_VALUES:  # most inputs: answered without a walk
        return False
    pending = [value]
    while pending:
        item = pending.pop()
        if is_unknown(item):
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def without_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def _annotated(info: FieldInfo) -> Any:
    """The field's type with its validators and constraints, as one annotation."""
    return Annotated.__class_getitem__((info.annotation, *info.metadata))  # type: ignore[attr-defined]


def facts_of(info: FieldInfo) -> Facts:
    found = [item for item in info.metadata if isinstance(item, Facts)]
    if len(found) != 1:
        raise TypeError("every declared field carries exactly one Facts tag")
    return found[0]


class Declaration(Generic[Args, State]):
    """A resource's inputs (``args``) and outputs (``state``, a superset of the inputs)."""

    def __init__(self, token: str, args: type[Args], state: type[State]) -> None:
        if not set(args.model_fields) <= set(state.model_fields):
            raise TypeError(f"{state.__name__} must hold every field of {args.__name__}")
        self.token = token
        self.args = args
        self.state = state
        # One validator per field, so each field is checked on its own (see ``check``).
        self._adapters: dict[str, TypeAdapter[Any]] = {
            name: TypeAdapter(_annotated(info)) for name, info in args.model_fields.items()
        }
        self._facts = {name: facts_of(info) for name, info in state.model_fields.items()}
        # What check needs of each input, looked up once (it runs for every resource).
        self._checked_fields = tuple(
            _CheckedField(name, info.is_required(), *_default(info), self._adapters[name].validator)
            for name, info in args.model_fields.items()
        )

    # -- the field lists, derived once ----------------------------------------------------------

    def facts(self, name: str) -> Facts:
        return self._facts[name]

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.args.model_fields)

    @cached_property
    def outputs(self) -> tuple[str, ...]:
        """Every property the resource has: inputs first, then the read-only ones."""
        return tuple(self.state.model_fields)

    def registered(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """What a resource registers: every output a property (None here, filled by the
        provider, so the program's ``Output`` attributes exist), then the inputs given."""
        return {**dict.fromkeys(self.outputs), **inputs}

    @cached_property
    def read_only(self) -> tuple[str, ...]:
        return tuple(name for name in self.outputs if name not in self.args.model_fields)

    @cached_property
    def secret_outputs(self) -> list[str]:
        return [name for name in self.outputs if self.facts(name).secret]

    @cached_property
    def sent(self) -> tuple[str, ...]:
        """Inputs the PCE receives."""
        return tuple(name for name in self.inputs if self.facts(name).sent)

    @cached_property
    def compared(self) -> tuple[str, ...]:
        return tuple(name for name in self.inputs if self.facts(name).compared)

    @cached_property
    def only_when_set(self) -> tuple[str, ...]:
        """Inputs left alone while the program does not set them (see ``Facts``)."""
        return tuple(name for name in self.inputs if self.facts(name).only_when_set)

    @cached_property
    def replacing(self) -> frozenset[str]:
        """Inputs whose change replaces the resource."""
        return frozenset(
            name
            for name in self.inputs
            if self.facts(name).replace_on_change or self.facts(name).create_only
        )

    @cached_property
    def int_or_text(self) -> tuple[str, ...]:
        """Outputs typed ``int | "text"`` (a key limit): numbers cross gRPC as doubles, and the
        SDK turns them back into ints only for a plain ``int`` type."""
        return tuple(
            name
            for name, info in self.state.model_fields.items()
            if holds_int_and_literal(info.annotation)
        )

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, info in self.args.model_fields.items() if info.is_required())

    # -- check ----------------------------------------------------------------------------------

    def validated(
        self,
        props: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
        href_inputs: frozenset[str] = frozenset(),
    ) -> Args:
        """The inputs of a create or update request (no unknowns there: the engine resolved
        them), validated again. Invalid ones raise with every ``field: reason``: an
        :class:`InvalidHrefError` when only ``href_inputs`` failed, else an
        :class:`InvalidInputError` (a check normally stops them first)."""
        values = {key: props[key] for key in self.inputs if props.get(key) is not None}
        try:
            return self.args.model_validate(values, context=context)
        except ValidationError:
            _, failures = self.check(values, context=context)
            reasons = "; ".join(failure.reason for failure in failures)
            if href_inputs and all(failure.field in href_inputs for failure in failures):
                raise InvalidHrefError(reasons) from None
            raise InvalidInputError(reasons) from None

    def check(
        self,
        news: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], list[Failure]]:
        """Validated inputs with defaults filled, and every problem at once.

        Unknown (preview) values pass through untouched; the known ones are still validated,
        each on its own, so one bad field never hides another.
        """
        given = without_provider(news)
        failures = [self._unknown_property(name) for name in sorted(set(given) - set(self.inputs))]
        checked: dict[str, Any] = {}
        for name, required, default, make_default, validator in self._checked_fields:
            value = given.get(name)
            if value is None:
                if required:
                    failures.append(Failure(name, f"{name}: is required"))
                else:
                    checked[name] = default if make_default is None else make_default()
                continue
            if contains_unknown(value):
                checked[name] = value
                continue
            try:
                checked[name] = validator.validate_python(value, context=context)
            except ValidationError as exc:
                failures += self._describe(name, exc)
        return checked, failures

    def _unknown_property(self, name: str) -> Failure:
        guess = nearest(name, self.inputs)
        hint = f'did you mean "{guess}"?' if guess else f"known: {', '.join(self.inputs)}"
        return Failure(name, f"{name}: is not a known property ({hint})")

    def _describe(self, name: str, exc: ValidationError) -> list[Failure]:
        allowed = literal_values(self.args.model_fields[name].annotation)
        echo = self.facts(name).echo
        problems = []
        for error in exc.errors(include_url=False):
            path = name + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
            )
            value = error.get("input")
            if allowed and error["type"] == "literal_error":
                reason = f"{shown(value, echo)}is not one of {', '.join(allowed)}"
                guess = nearest(value, allowed)
                reason += f' (did you mean "{guess}"?)' if guess else ""
            else:
                message = error["msg"]
                reason = f"{shown(value, echo)}{message[0].lower()}{message[1:]}"
            problems.append(Failure(name, f"{path}: {reason}"))
        return problems

    # -- diff -----------------------------------------------------------------------------------

    def changed(
        self, olds: Mapping[str, Any], news: Mapping[str, Any], *, normalise: Any = None
    ) -> list[str]:
        """Compared inputs whose new value differs from the old one (unknown = changed).

        ``normalise(bag)`` brings both sides to one form first (gRPC turns 5 into 5.0). An
        ``only_when_set`` input the program leaves unset is no change, whatever the old value.
        """
        before = normalise(olds) if normalise else dict(olds)
        after = normalise(news) if normalise else dict(news)
        unset = {name for name in self.only_when_set if news.get(name) is None}
        return [
            name
            for name in self.compared
            if name not in unset
            and (contains_unknown(news.get(name)) or before.get(name) != after.get(name))
        ]

    # -- documentation --------------------------------------------------------------------------

    def markdown_table(self) -> str:
        """The README's table of this resource's properties, derived from the declaration."""
        rows = ["| property | kind | type | default | description |", "|---|---|---|---|---|"]
        for name, info in self.state.model_fields.items():
            facts = self.facts(name)
            typ = type_text(info.annotation).replace("|", "\\|")
            rows.append(
                f"| `{name}` | {self._kind(name, facts)} | "
                f"{typ} | "
                f"{self._default_text(name, info)} | {facts.description} |"
            )
        return "\n".join(rows)

    def _kind(self, name: str, facts: Facts) -> str:
        if name in self.read_only:
            kind = "output"
        else:
            kind = "required input" if self.args.model_fields[name].is_required() else "input"
        tags = [
            "sent only when set" if facts.only_when_set else "",
            "create-only (a change replaces)" if facts.create_only else "",
            "a change replaces" if facts.replace_on_change else "",
            "secret" if facts.secret else "",
        ]
        return ", ".join([kind, *filter(None, tags)])

    def _default_text(self, name: str, info: FieldInfo) -> str:
        if name in self.read_only or self.args.model_fields[name].is_required():
            return ""
        default = self.args.model_fields[name].get_default(call_default_factory=True)
        return "none" if default is None else f"`{default!r}`".replace("'", '"')


class _CheckedField(NamedTuple):
    """What check needs of one input: its default is ``default`` when ``make_default`` is
    None (an immutable value, shared), else what ``make_default()`` gives (a fresh one)."""

    name: str
    required: bool
    default: Any
    make_default: Callable[[], Any] | None
    validator: Any  # the field's pydantic-core validator (its TypeAdapter's, without the wrapper)


def _default(info: FieldInfo) -> tuple[Any, Callable[[], Any] | None]:
    """A field's default, or what gives a fresh one. A factory is called directly: pydantic's
    ``get_default`` first asks ``inspect.signature`` whether it takes the validated data, which
    for a builtin such as ``list`` parses its text signature on every call (most of a check's
    time). Any other mutable default is copied, as pydantic copies it."""
    if info.default_factory is not None:
        return None, info.default_factory  # type: ignore[return-value]
    if type(info.default) in PLAIN_VALUES:
        return info.default, None
    return None, partial(info.get_default, call_default_factory=False)


def shown(value: Any, echo: bool) -> str:
    """``"value" `` for an error message, or nothing for a secret or a long/composite value."""
    if not echo or not isinstance(value, str | int | float | bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # gRPC sends every number as a double: show what the program said
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return f"{text} " if len(text) <= MAX_ECHO_CHARS else ""


def nearest(value: Any, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    matches = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
    return matches[0] if matches else None
