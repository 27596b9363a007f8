"""Pulumi resource names from Terraform addresses: stable, valid, unique.

``module.edge["eu-1"].illumio-core_pairing_profile.web[0]`` becomes ``edge_eu_1_web_0``: the
module path, the resource name and the instance keys, without the resource type (the Pulumi
type token carries it). The same name is a valid Python identifier once the generated program
adds its ``_profile``/``_key`` suffix, and a valid Pulumi resource name and config key as it is.
Names depend only on the addresses, so running the migration twice gives the same program.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from pairing_provider.migrate.state import StateInstance

MODULE_STEP = re.compile(r'module\.([^.\[]+)(?:\[(\d+|"(?:[^"\\]|\\.)*")\])?')
MAX_LENGTH = 48  # keeps `pairing_profile_href=<name>_profile.href,` lines short
DIGEST_WIDTHS = (6, 16, 64)


def address_words(instance: StateInstance) -> list[str]:
    """The parts of an address that tell its instances apart: module names and keys, the
    resource name, the instance key."""
    words: list[str] = []
    for step in MODULE_STEP.finditer(instance.module):
        words.append(step.group(1))
        if step.group(2) is not None:
            words.append(str(json.loads(step.group(2))))
    words.append(instance.name)
    if instance.index is not None:
        words.append(str(instance.index))
    return words


def base_name(words: Iterable[str]) -> str:
    """Lower-case ASCII letters, digits and single underscores, starting with a letter."""
    text = unicodedata.normalize("NFKD", "_".join(words)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    if not text or not text[0].isalpha():
        text = f"tf_{text}".rstrip("_")
    return text[:MAX_LENGTH].rstrip("_")


def unique_names(instances: Iterable[StateInstance]) -> dict[str, str]:
    """Address -> name. Addresses whose base names clash all get a digest of their own full
    address appended, so no name depends on the order the state lists them in."""
    bases = {instance.address: base_name(address_words(instance)) for instance in instances}
    clashes = Counter(bases.values())
    for width in DIGEST_WIDTHS:
        names = {
            address: f"{base}_{_digest(address, width)}" if clashes[base] > 1 else base
            for address, base in bases.items()
        }
        if len(set(names.values())) == len(names):
            return names
    raise AssertionError("SHA-256 digests of distinct addresses collided")  # pragma: no cover


def _digest(address: str, width: int) -> str:
    return hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()[:width]
