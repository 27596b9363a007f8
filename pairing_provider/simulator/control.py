"""The test-control API under ``/_simulator/`` (README, "The PCE simulator").

Not rate limited, not logged; loopback clients only, with the simulator's own API key (basic
auth, as the API takes it), and only under a name the simulator serves on (``Host``): any local
process, or a browser page on any site, could otherwise read every activation code issued,
the request bodies, or reset the PCE. A DNS-rebinding page reaches a loopback port under its
own host name; a page's cross-site request carries no credentials. Reset, request log, faults,
settings (release shape, Location form, job progress, seeding) and the issued keys.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from . import urls
from .api import error_response, route
from .errors import ApiError
from .framing import Request, Response
from .models import PCEState

# The names every simulator answers to; the host it was started on is added (not a wildcard
# address: 0.0.0.0 is no name a client asks for).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 (names, not a bind)
_HOST_HEADER = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]]+))(?::[0-9]{1,5})?")


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def served_names(hosts: Iterable[str]) -> frozenset[str]:
    """The Host names the control API accepts: loopback names plus ``hosts`` (the ``--host``
    given, the certificate's name), lower-case, without brackets or wildcards."""
    names = {host.strip("[]").lower() for host in hosts} - set(WILDCARD_HOSTS)
    return frozenset({*LOOPBACK_NAMES, *names})


def host_name(header: str | None) -> str | None:
    """The name of a ``Host`` header (``localhost:8443`` -> ``localhost``, ``[::1]:1`` ->
    ``::1``), lower-case; None when there is none or it is malformed."""
    match = _HOST_HEADER.fullmatch(header.strip()) if header else None
    if match is None:
        return None
    return (match["ipv6"] or match["name"]).lower()


def _json_object(request: Request, token: str, what: str) -> dict[str, Any]:
    if not request.json_ok or not isinstance(request.json_body, dict):
        raise ApiError(400, token, f"The {what} must be a JSON object")
    body: dict[str, Any] = request.json_body
    return body


class ControlApi:
    """Handlers of the control routes (:data:`urls.CONTROL_ROUTES`)."""

    def __init__(self, state: PCEState, names: frozenset[str]) -> None:
        self.state = state
        self.names = names  # the Host names accepted (served_names)

    def respond(self, request: Request, client_host: str) -> Response:
        try:
            if not is_loopback(client_host):
                raise ApiError(403, "forbidden", "The control API answers loopback clients only")
            self._check_host(request.headers.get("Host"))
            self.state.authenticate(request.headers.get("Authorization"))
            return route(self, urls.CONTROL_ROUTES, request.path, request)
        except ApiError as exc:
            return error_response(exc)

    def _check_host(self, header: str | None) -> None:
        if host_name(header) not in self.names:
            raise ApiError(
                403,
                "host_not_allowed",
                "The control API answers only under the names the simulator serves on "
                f"(Host: {', '.join(sorted(self.names))}, with or without the port)",
            )

    def control_get_requests(self, request: Request) -> Response:
        return Response(200, self.state.requests())

    def control_clear_requests(self, request: Request) -> Response:
        self.state.clear_requests()
        return Response(204)

    def control_reset(self, request: Request) -> Response:
        """Optional body ``{"seed_defaults": false}``: this reset leaves an empty PCE."""
        seed = None
        if request.json_ok:
            body = _json_object(request, "invalid_reset", "reset body")
            unknown = sorted(set(body) - {"seed_defaults"})
            seed = body.get("seed_defaults")
            if unknown or not isinstance(seed, bool | None):
                raise ApiError(400, "invalid_reset", 'The reset body is {"seed_defaults": bool}')
        self.state.reset(seed)
        return Response(204)

    def control_list_faults(self, request: Request) -> Response:
        return Response(200, self.state.list_faults())

    def control_add_fault(self, request: Request) -> Response:
        body = _json_object(request, "invalid_fault", "fault")
        try:
            return Response(201, self.state.add_fault(body))
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "invalid_fault", str(exc)) from None

    def control_clear_faults(self, request: Request) -> Response:
        self.state.clear_faults()
        return Response(204)

    def control_pairing_keys(self, request: Request) -> Response:
        return Response(200, self.state.pairing_keys())

    def control_get_settings(self, request: Request) -> Response:
        return Response(200, self.state.settings.to_dict())

    def control_put_settings(self, request: Request) -> Response:
        body = _json_object(request, "invalid_settings", "settings")
        try:
            return Response(200, self.state.update_settings(body))
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "invalid_settings", str(exc)) from None
