"""Connection settings for the PCE: one validated model, built from stack config and environment.

Stack config (``illumio:*``, handed to the dynamic provider's ``configure``) wins over the
environment, so a stack can pin its PCE while CI supplies credentials through variables.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from pairing_provider.errors import ConfigurationError

DEFAULT_PCE_PORT = 8443


@dataclass(frozen=True)
class SettingSource:
    """Where one setting can come from: its stack config key and its environment variable,
    and what it means (the native provider's schema shows it)."""

    field: str
    config_key: str
    env_var: str
    description: str


SOURCES: tuple[SettingSource, ...] = (
    SettingSource(
        "pce_host", "pceHost", "ILLUMIO_PCE_HOST", "PCE URL, e.g. https://pce.example.com:8443"
    ),
    SettingSource(
        "api_key_username", "apiKeyUsername", "ILLUMIO_API_KEY_USERNAME", "API key id (api_...)"
    ),
    SettingSource("api_key_secret", "apiKeySecret", "ILLUMIO_API_KEY_SECRET", "API key secret"),
    SettingSource("org_id", "orgId", "ILLUMIO_PCE_ORG_ID", "org number"),
    SettingSource(
        "ca_file", "caFile", "ILLUMIO_CA_FILE", "PEM bundle to trust for the PCE's certificate"
    ),
    SettingSource(
        "insecure", "insecure", "ILLUMIO_ALLOW_INSECURE_TLS", "true skips TLS verification"
    ),
    SettingSource(
        "allow_insecure_http",
        "allowInsecureHttp",
        "ILLUMIO_ALLOW_INSECURE_HTTP",
        "true allows an http:// pceHost that is not this machine (the key travels in clear)",
    ),
    SettingSource(
        "https_proxy",
        "httpsProxy",
        "ILLUMIO_HTTPS_PROXY",
        "proxy URL (http://[user:password@]host:port) to reach an https:// pceHost through, "
        "by CONNECT; set it as a secret when it holds a password",
    ),
    SettingSource(
        "client_cert",
        "clientCert",
        "ILLUMIO_CLIENT_CERT",
        "PEM file of the TLS client certificate for a PCE that asks for one (the key too, "
        "unless clientKey is set)",
    ),
    SettingSource(
        "client_key", "clientKey", "ILLUMIO_CLIENT_KEY", "PEM file of clientCert's private key"
    ),
    SettingSource(
        "request_timeout",
        "requestTimeout",
        "ILLUMIO_REQUEST_TIMEOUT",
        "seconds one HTTP request may take, connecting and reading the whole answer included",
    ),
    SettingSource(
        "max_retries", "maxRetries", "ILLUMIO_MAX_RETRIES", "retries of a retryable failure"
    ),
    SettingSource(
        "operation_timeout",
        "operationTimeout",
        "ILLUMIO_OPERATION_TIMEOUT",
        "deadline in seconds of one operation: all its requests, retries and jobs",
    ),
    SettingSource(
        "max_requests_per_minute",
        "maxRequestsPerMinute",
        "ILLUMIO_MAX_REQUESTS_PER_MINUTE",
        "requests per minute at most, all resources together (the PCE allows 500 per key)",
    ),
    SettingSource(
        "rate_window",
        "rateWindow",
        "ILLUMIO_RATE_WINDOW",
        "seconds maxRequestsPerMinute counts over",
    ),
)
CONFIG_NAMESPACE = "illumio"
BOOLEAN_FIELDS = frozenset({"insecure", "allow_insecure_http"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: traffic that never leaves this machine."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalise_pce_host(value: str) -> str:
    """``pce.example.com`` -> ``https://pce.example.com:8443``; keeps an explicit scheme/port.

    Problems are named without echoing the value: a misplaced secret must not reach a log.
    """
    text = value.strip().rstrip("/")
    if not text:
        raise ValueError("must not be empty")
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"https://{text}")
    if "@" in parts.netloc:
        raise ValueError(
            "must not carry credentials (user:secret@host): set apiKeyUsername and "
            "apiKeySecret instead (the value is not shown)"
        )
    if parts.scheme not in ("https", "http"):
        raise ValueError("scheme must be https or http")
    if not parts.hostname:
        raise ValueError("has no host name")
    if parts.path.rstrip("/") not in ("", "/api/v2") or parts.query or parts.fragment:
        raise ValueError("must be a host (and port), not a path")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if port is None and not has_scheme:
        port = DEFAULT_PCE_PORT  # a bare host is an on-prem PCE on its default port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


class Settings(BaseModel):
    """Validated connection settings. ``repr`` and ``str`` never show the secret."""

    # hide_input_in_errors: a ValidationError raised by Settings(...) must not show a secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    pce_host: str
    api_key_username: str = Field(min_length=1)
    api_key_secret: SecretStr
    org_id: int = Field(default=1, ge=1)
    ca_file: str | None = None
    insecure: bool = False
    allow_insecure_http: bool = False
    # repr=False: a proxy URL may carry a password (redacted from messages by the client).
    https_proxy: str | None = Field(default=None, repr=False)
    client_cert: str | None = None
    client_key: str | None = None
    request_timeout: float = Field(default=30.0, gt=0, le=3600)
    max_retries: int = Field(default=5, ge=0, le=100)
    operation_timeout: float = Field(default=300.0, gt=0, le=86400)
    # The PCE allows 500 requests per minute per API key. Pacing counts each request from the
    # moment its answer arrives, so 500 would be safe too; 450 leaves room for other users
    # of the same key (a CI job, a script) running meanwhile.
    max_requests_per_minute: int = Field(default=450, ge=1, le=1_000_000)
    # Seconds the limit above counts over: 60 for a PCE (only a simulator started with
    # --rate-window has another).
    rate_window: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("pce_host")
    @classmethod
    def _host(cls, value: str) -> str:
        return normalise_pce_host(value)

    @field_validator("api_key_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not _is_latin1(value) or ":" in value:
            raise ValueError(
                "must be Latin-1 text without ':' (HTTP basic auth sends it so); the value is "
                "not shown"
            )
        return value

    @field_validator("api_key_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        if not _is_latin1(value.get_secret_value()):
            raise ValueError(
                "must be Latin-1 text (HTTP basic auth sends it so; a PCE key secret is hex): "
                "check for a pasted character that is not part of it"
            )
        return value

    @field_validator("https_proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else check_proxy_url(value.strip())

    @field_validator("ca_file", "client_cert", "client_key")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None and not os.path.isfile(value):
            # The path is not shown: a secret pasted into the wrong setting must not leak.
            raise ValueError("no such file (the path given is not shown)")
        return value

    @model_validator(mode="after")
    def _plain_http(self) -> Settings:
        if self.uses_tls or self.is_loopback or self.allow_insecure_http:
            return self
        raise ValueError(
            "pceHost: http:// would send the API key in clear to a host that is not this "
            "machine; use https://, or opt in with stack config "
            f"'{CONFIG_NAMESPACE}:allowInsecureHttp' or environment variable "
            "ILLUMIO_ALLOW_INSECURE_HTTP set to true"
        )

    @model_validator(mode="after")
    def _tls_only_settings(self) -> Settings:
        if self.client_key is not None and self.client_cert is None:
            raise ValueError(f"clientKey is set without clientCert: set {where('client_cert')} too")
        given = [field for field in ("https_proxy", "client_cert") if getattr(self, field)]
        if given and not self.uses_tls:
            raise ValueError(
                f"{' and '.join(where(field) for field in given)}: used with an https:// "
                "pceHost only (over plain http no proxy and no client certificate is used)"
            )
        if self.client_cert is not None:
            check_client_certificate(self.client_cert, self.client_key)
        return self

    @property
    def client_certificate(self) -> str | tuple[str, str] | None:
        """The ``cert`` argument for requests: one PEM file, or (certificate, key)."""
        if self.client_cert is None:
            return None
        return self.client_cert if self.client_key is None else (self.client_cert, self.client_key)

    @property
    def uses_tls(self) -> bool:
        return self.pce_host.startswith("https://")

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.pce_host).hostname or "")

    @property
    def api_url(self) -> str:
        """Base URL every href is relative to."""
        return f"{self.pce_host}/api/v2"

    @property
    def org_href(self) -> str:
        return f"/orgs/{self.org_id}"

    @property
    def verify(self) -> bool | str:
        """The ``verify`` argument for requests: a CA bundle, the system store, or off."""
        if self.insecure:
            return False
        return self.ca_file or True

    @classmethod
    def load(
        cls,
        stack_config: Callable[[str], Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Build settings; ``stack_config(key)`` takes a full key such as ``illumio:pceHost``.

        Raises one ConfigurationError listing every missing or malformed setting.
        """
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        for source in SOURCES:
            value = (
                stack_config(f"{CONFIG_NAMESPACE}:{source.config_key}") if stack_config else None
            )
            if value is None or value == "":
                value = env.get(source.env_var) or None
            if value is not None:
                raw[source.field] = _parse_bool(value) if source.field in BOOLEAN_FIELDS else value
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigurationError(_describe_problems(exc)) from None


def check_proxy_url(value: str) -> str:
    """An http(s) proxy URL with a host and port and no path; problems are named without the
    value, which may hold a password."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            "scheme must be http or https, e.g. http://proxy.example.com:3128 (the value is "
            "not shown)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port (the value is not shown)") from None
    if not parts.hostname or port is None:
        raise ValueError("must name a host and a port (the value is not shown)")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError("must be a host and port, not a path (the value is not shown)")
    return value


def check_client_certificate(cert: str, key: str | None) -> None:
    """Load the client certificate and key once, so a wrong file is a configuration error
    before any request (``ssl``'s reason names the problem, never the file's content)."""
    try:
        ssl.create_default_context().load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
        raise ValueError(
            f"{where('client_cert')} and {where('client_key')}: the certificate and its "
            f"private key do not load ({reason}); both must be PEM, the key unencrypted"
        ) from None


def where(field: str) -> str:
    """Both places a setting can be given, as messages name them."""
    source = next(source for source in SOURCES if source.field == field)
    return f"'{CONFIG_NAMESPACE}:{source.config_key}' ({source.env_var})"


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _parse_bool(value: Any) -> Any:
    """Stack config and env vars carry booleans as text; anything unclear is left to pydantic."""
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    return value


def _describe_problems(exc: ValidationError) -> list[str]:
    """One line per problem, naming the setting and both places it can be set. No input echoed:
    a misplaced secret must not end up in an error message."""
    by_field = {source.field: source for source in SOURCES}
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        source = by_field.get(field)
        reason = "required" if error["type"] == "missing" else error["msg"]
        reason = reason.removeprefix("Value error, ")
        if source is None:
            problems.append(f"{field}: {reason}" if field else reason)
            continue
        problems.append(
            f"{source.config_key}: {reason} (set stack config "
            f"'{CONFIG_NAMESPACE}:{source.config_key}' or environment variable {source.env_var})"
        )
    return problems
