"""Property bags on the wire (pairing_provider/native/wire.py): what the engine's encoding says
each value is, built here with protobuf's own ``Struct.update``, independently of the codec."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown

from pairing_provider.native import wire


def engine_struct(bag: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(bag)
    return message


def secret(value: Any) -> dict[str, Any]:
    wrapped = {wire.SIG_KEY: wire.SECRET_SIG}
    return wrapped if value is None else {**wrapped, "value": value}


def test_every_kind_of_value_decodes_and_secrets_are_named() -> None:
    bag, secrets = wire.decode(
        engine_struct(
            {
                "text": "web",
                "flag": False,
                "whole": 3600.0,
                "fraction": 0.5,
                "none": None,
                "empty_list": [],
                "empty_object": {},
                "unknown": wire.UNKNOWN,
                "nested": {"labels": [{"href": "/orgs/1/labels/1"}, wire.UNKNOWN, 2.0]},
                "api_key": secret("s3cret"),
                "deep": {"codes": ["plain", secret("code")]},
                "valueless": secret(None),
            }
        )
    )

    unknown, nested_unknown = bag.pop("unknown"), bag["nested"]["labels"].pop(1)
    assert isinstance(unknown, Unknown) and isinstance(nested_unknown, Unknown)
    assert bag == {
        "text": "web",
        "flag": False,
        "whole": 3600,
        "fraction": 0.5,
        "none": None,
        "empty_list": [],
        "empty_object": {},
        "nested": {"labels": [{"href": "/orgs/1/labels/1"}, 2]},
        "api_key": "s3cret",
        "deep": {"codes": ["plain", "code"]},
        "valueless": None,
    }
    assert type(bag["whole"]) is int
    assert secrets == {"api_key", "deep", "valueless"}


def test_a_decoded_bag_encodes_back_to_what_the_engine_sent() -> None:
    sent = {
        "name": "web",
        "enabled": True,
        "keyLifespan": 3600.0,
        "labels": [{"href": "/orgs/1/labels/1"}],
        "activationCode": secret("code"),
        "description": wire.UNKNOWN,
    }
    bag, secrets = wire.decode(engine_struct(sent))

    assert wire.encode(bag, secrets) == engine_struct(sent)
