"""The PCE client: one connection per connection settings per process (``client_for``).

``PCEClient`` is the PCE's endpoints (:mod:`.endpoints`) over the sending layers
(:mod:`.listings`, :mod:`.session`, :mod:`.retry`, :mod:`.transport`) with the pacer, and the
two caches that wrap them: the refresh reader (``client.profiles``, told of every profile
write through ``profile_written``) and the label directory (``client.labels``, told of every
label write). Every resource handled by a provider process shares one such connection;
``reset()`` forgets its caches, ``reset_connections()`` every connection of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pairing_provider import held_profiles
from pairing_provider.attempt import parse_error_body
from pairing_provider.batch_reads import ProfileReader
from pairing_provider.config import Settings
from pairing_provider.endpoints import PROFILE_FILTERS, PCEEndpoints
from pairing_provider.labels import LabelDirectory
from pairing_provider.pacing import reset_pacers
from pairing_provider.retry import (
    Outcome,
    RetryPolicy,
    is_database_lock,
    request_was_sent,
    retry_after_seconds,
)
from pairing_provider.session import CreateAttempt, FindCreated

# Names this module held before the client was split by layer: users' scripts import them.
__all__ = [
    "PROFILE_FILTERS",
    "CreateAttempt",
    "FindCreated",
    "Outcome",
    "PCEClient",
    "RetryPolicy",
    "client_for",
    "is_database_lock",
    "parse_error_body",
    "request_was_sent",
    "reset_connections",
    "retry_after_seconds",
]


class PCEClient(PCEEndpoints):
    """The endpoints of one PCE, with this connection's refresh reader and label directory."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        """``options``: ``PCESession``'s (``sleep``, ``clock``, ``pacer``)."""
        super().__init__(settings, **options)
        self.profiles = ProfileReader(self, clock=self._clock)
        self.labels = LabelDirectory(self, clock=self._clock)
        # Set by reset_connections: a provider holding this client asks client_for again.
        self.retired = False

    def profile_written(self, href: str) -> None:
        self.profiles.wrote(href)

    def __repr__(self) -> str:
        return f"PCEClient(pce_host={self.settings.pce_host!r}, org_id={self.settings.org_id})"

    # The label directory follows this connection's label writes (a look-up by key and value
    # right after a create or a value change must not meet its older listing).

    def create_label(
        self, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        created = super().create_label(body, find_created=find_created)
        self.labels.wrote(created)
        return created

    def update_label(self, href: str, body: Mapping[str, Any]) -> dict[str, Any]:
        label = super().update_label(href, body)
        self.labels.wrote(label)
        return label

    def delete_label(self, href: str) -> None:
        try:
            super().delete_label(href)
        finally:
            self.labels.deleted(href)

    def reset(self) -> None:
        """Forget every cache of this connection (refresh snapshot, labels, collection sizes)."""
        self.profiles.reset()
        self.labels.reset()
        self.forget_collection_sizes()


_clients: dict[Settings, PCEClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: Settings) -> PCEClient:
    """The one client for these settings in this process (shared by every provider)."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = PCEClient(settings)
        return client


def reset_connections() -> None:
    """Close and forget every client and pacer (tests: a reset simulator meets no old cache)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.retired = True
        client.close()
    reset_pacers()
    held_profiles.forget_all()  # the profiles a deployment's resources hold: a new process
