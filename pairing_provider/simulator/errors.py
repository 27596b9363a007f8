"""The PCE's refusal shape: a status and a JSON array of ``{"token", "message"}``."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal answered with ``status`` and a JSON array of ``{"token", "message"}``."""

    def __init__(
        self,
        status: int,
        token: str,
        messages: str | list[str],
        headers: dict[str, str] | None = None,
    ) -> None:
        texts = [messages] if isinstance(messages, str) else messages
        self.status = status
        self.body: list[dict[str, str]] = [{"token": token, "message": m} for m in texts]
        self.headers = headers or {}
        super().__init__(f"{status} {token}: {texts[0]}")


def invalid(messages: str | list[str]) -> ApiError:
    """A schema refusal: 406 ``input_validation_error``."""
    return ApiError(406, "input_validation_error", messages)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def raise_invalid(errors: list[str]) -> None:
    if errors:
        raise invalid(errors)


class DataFileError(Exception):
    """The ``--data-file`` cannot be used (unreadable, not a simulator's data, in use by another
    simulator): one line naming the file and the problem. Nothing was written to it."""
