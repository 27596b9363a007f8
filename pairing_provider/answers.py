"""Answers that must have a shape: a JSON object, or a listing of objects with hrefs.

A wrong shape is an ``UnexpectedResponseError`` that never quotes the body: it may hold an
activation code."""

from __future__ import annotations

import json
from typing import Any

import requests

from pairing_provider.errors import UnexpectedResponseError


def unexpected(
    response: requests.Response, method: str, path: str, what: str
) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        status=response.status_code,
        method=method,
        path=path,
        request_id=response.headers.get("Request-ID"),
        detail=f"unexpected answer: {what}",
    )


def json_body(response: requests.Response, method: str, path: str) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        what = f"a body of {len(response.content)} bytes that is not JSON"
        raise unexpected(response, method, path, what) from None


def json_object(response: requests.Response, method: str, path: str) -> dict[str, Any]:
    body = json_body(response, method, path)
    if not isinstance(body, dict):
        raise unexpected(response, method, path, f"{_kind(body)} where an object is due")
    return body


def json_objects(response: requests.Response, method: str, path: str) -> list[dict[str, Any]]:
    """A listing: a JSON array of objects, each with a text ``href``."""
    body = json_body(response, method, path)
    if not isinstance(body, list):
        raise unexpected(response, method, path, f"{_kind(body)} where a list is due")
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("href"), str):
            raise unexpected(response, method, path, f"item {index} is not an object with an href")
    return body


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else "a scalar"
