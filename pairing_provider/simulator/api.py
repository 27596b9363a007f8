"""The PCE REST API v2 as HTTP: a request in, a :class:`~.framing.Response` out.

Order of checks, as a PCE answers: basic auth (401), rate limit (429, counting every
authenticated request), org check (403), routing (404/405), then the model (406 and friends).
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from . import urls
from .clock import format_seconds
from .errors import ApiError, invalid
from .framing import Request, Response
from .models import PCEState


def error_response(exc: ApiError) -> Response:
    return Response(exc.status, exc.body, dict(exc.headers))


def route(target: Any, routes: tuple[urls.Route, ...], path: str, request: Request) -> Response:
    """Call the method of ``target`` the route table names for this path and method."""
    found = urls.resolve(routes, path)
    if found is None:
        raise ApiError(404, "not_found", f"No such resource: {request.path[:200]}")
    matched, params = found
    name = matched.methods.get(request.method)
    if name is None:
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path[:200]}",
            {"Allow": ", ".join(matched.methods)},
        )
    result: Response = getattr(target, name)(request, **params)
    return result


def _json(request: Request) -> Any:
    if not request.json_ok:
        raise invalid("The request body must be a JSON document")
    return request.json_body


class PceApi:
    """Handlers of the API routes (:data:`urls.API_ROUTES`), over one :class:`PCEState`."""

    def __init__(self, state: PCEState, base_url: str) -> None:
        self.state = state
        self.base_url = base_url  # scheme://host:port of this server

    def respond(self, request: Request) -> Response:
        try:
            api_key = self.state.authenticate(request.headers.get("Authorization"))
            self.state.throttle(api_key)
            self._check_org(request.path)
            return route(self, urls.API_ROUTES, request.path[len(urls.API_PREFIX) :], request)
        except ApiError as exc:
            return error_response(exc)
        except Exception:  # a simulator bug must still answer, never hang the client
            traceback.print_exc(file=sys.stderr)
            message = "The PCE simulator failed; see its stderr"
            return Response(500, [{"token": "internal_server_error", "message": message}])

    def _check_org(self, path: str) -> None:
        if path != urls.API_PREFIX and not path.startswith(urls.API_PREFIX + "/"):
            raise ApiError(404, "not_found", f"No such resource: {path[:200]}")
        org = urls.ORG_PREFIX.match(path[len(urls.API_PREFIX) :])
        if org:
            self.state.check_org(int(org["org_id"]))

    # ----------------------------------------------------------------- collections

    def _location(self, job_href: str) -> str:
        """The 202's Location: a path, or an absolute URL on this or another host."""
        settings = self.state.settings
        if settings.location == "path" and settings.location_host is None:
            return job_href
        scheme, _, own_host = self.base_url.partition("://")
        host = settings.location_host or own_host
        return f"{scheme}://{host}{urls.API_PREFIX}{job_href}"

    def _collection(self, kind: str, request: Request, org_id: int) -> Response:
        if "respond-async" in request.headers.get("Prefer", "").lower():
            job = self.state.start_job(kind, org_id, request.query)
            headers = {
                "Location": self._location(job.href),
                "Retry-After": format_seconds(self.state.settings.async_retry_after),
            }
            return Response(202, None, headers)
        items, total = self.state.list_collection(kind, org_id, request.query)
        return Response(200, items, {"X-Total-Count": str(total)})

    # ----------------------------------------------------------------- PCE-wide

    def get_health(self, request: Request) -> Response:
        host = self.base_url.partition("://")[2].rsplit(":", 1)[0]
        return Response(200, self.state.health(host))

    def get_workload_settings(self, request: Request, org_id: int) -> Response:
        return Response(200, self.state.workload_settings(org_id))

    # ----------------------------------------------------------------- profiles and keys

    def list_pairing_profiles(self, request: Request, org_id: int) -> Response:
        return self._collection("pairing_profiles", request, org_id)

    def create_pairing_profile(self, request: Request, org_id: int) -> Response:
        return Response(201, self.state.create_profile(org_id, _json(request)))

    def get_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        return Response(200, self.state.get_profile(org_id, profile_id))

    def update_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.update_profile(org_id, profile_id, _json(request))
        return Response(204)

    def delete_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.delete_profile(org_id, profile_id)
        return Response(204)

    def create_pairing_key(self, request: Request, org_id: int, profile_id: int) -> Response:
        body = request.json_body if request.json_ok else None
        return Response(201, self.state.generate_pairing_key(org_id, profile_id, body))

    def revoke_pairing_keys(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.revoke_pairing_keys(org_id, profile_id)
        return Response(204)

    # ----------------------------------------------------------------- labels

    def list_labels(self, request: Request, org_id: int) -> Response:
        return self._collection("labels", request, org_id)

    def create_label(self, request: Request, org_id: int) -> Response:
        return Response(201, self.state.create_label(org_id, _json(request)))

    def get_label(self, request: Request, org_id: int, label_id: int) -> Response:
        return Response(200, self.state.get_label(org_id, label_id))

    def update_label(self, request: Request, org_id: int, label_id: int) -> Response:
        self.state.update_label(org_id, label_id, _json(request))
        return Response(204)

    def delete_label(self, request: Request, org_id: int, label_id: int) -> Response:
        self.state.delete_label(org_id, label_id)
        return Response(204)

    # ----------------------------------------------------------------- jobs

    def get_job(self, request: Request, org_id: int, job_uuid: str) -> Response:
        return Response(200, self.state.poll_job(org_id, job_uuid))

    def delete_job(self, request: Request, org_id: int, job_uuid: str) -> Response:
        self.state.delete_job(org_id, job_uuid)
        return Response(204)

    def get_datafile(self, request: Request, org_id: int, datafile_uuid: str) -> Response:
        return Response(200, self.state.get_datafile(org_id, datafile_uuid))
