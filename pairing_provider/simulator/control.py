"""The test-control API under ``/_simulator/`` (README, "The PCE simulator").

No auth, no rate limit, no request log; loopback clients only. Reset, request log, faults,
settings (release shape, Location form, job progress, seeding) and the issued keys.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from . import urls
from .api import error_response, route
from .errors import ApiError
from .framing import Request, Response
from .models import PCEState


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _json_object(request: Request, token: str, what: str) -> dict[str, Any]:
    if not request.json_ok or not isinstance(request.json_body, dict):
        raise ApiError(400, token, f"The {what} must be a JSON object")
    body: dict[str, Any] = request.json_body
    return body


class ControlApi:
    """Handlers of the control routes (:data:`urls.CONTROL_ROUTES`)."""

    def __init__(self, state: PCEState) -> None:
        self.state = state

    def respond(self, request: Request, client_host: str) -> Response:
        try:
            if not is_loopback(client_host):
                raise ApiError(403, "forbidden", "The control API answers loopback clients only")
            return route(self, urls.CONTROL_ROUTES, request.path, request)
        except ApiError as exc:
            return error_response(exc)

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
