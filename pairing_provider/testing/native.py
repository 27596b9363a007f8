"""The native plugin (package ``illumio``) as a provider channel of the kit's engine.

The plugin is started as the Python language host starts a plugin directory: ``python
provider/ <engine address>`` (the repository's plugin directory), or by default ``python -m
pairing_provider.native <engine address>``, the same server (``pulumi-resource-illumio`` is
its installed entry point). It prints its port and serves the ResourceProvider protocol, like
the dynamic server, so the kit's :class:`~pairing_provider.testing.channels.GrpcChannel`
drives it; only Configure differs: the engine sends a native provider its own config keys,
``args`` without the namespace (``pceHost``, secrets marked) and ``variables`` as
``illumio:config:pceHost`` (``provider_plugin.go``, ``Configure``). The plugin answers
``supportsPreview``, so the kit's preview calls its Create and Update with ``preview=True``,
and its detailed diff decides a replacement as the engine's ``DiffResult.Replace`` does.

A test registers ``pulumi.CustomResource("illumio:index:PairingProfile", ...)`` directly (no
generated SDK offline) and opens its stack with ``channels=with_native_plugin()``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pulumi.runtime.proto import provider_pb2

from pairing_provider.native import PACKAGE
from pairing_provider.testing.channels import ChannelFactory, Channels, GrpcChannel, in_process
from pairing_provider.testing.process import DynamicProviderProcess
from pairing_provider.testing.wire import mark_secrets, to_grpc

ENGINE_ADDRESS = "127.0.0.1:1"  # the plugin takes it and never calls it (no engine logging)


class NativePluginChannel(GrpcChannel):
    """The native plugin over gRPC, configured as the engine configures a native provider."""

    def configure_request(self, config: dict[str, str], secrets: set[str]) -> Any:
        prefix = f"{PACKAGE}:"
        own = {key.removeprefix(prefix): v for key, v in config.items() if key.startswith(prefix)}
        args = mark_secrets(own, frozenset(k.removeprefix(prefix) for k in secrets))
        return provider_pb2.ConfigureRequest(
            variables={f"{PACKAGE}:config:{key}": value for key, value in own.items()},
            args=to_grpc(args),
            acceptSecrets=True,
            acceptResources=True,
        )


def plugin_command(plugin_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """``python <plugin dir> <engine>`` as ``RunPlugin`` runs a directory, else the module."""
    target = [str(plugin_dir)] if plugin_dir is not None else ["-m", "pairing_provider.native"]
    return [sys.executable, "-u", *target, ENGINE_ADDRESS]


def with_native_plugin(
    base: ChannelFactory = in_process,
    *,
    plugin_dir: str | os.PathLike[str] | None = None,
    process: DynamicProviderProcess | None = None,
    **process_options: Any,
) -> ChannelFactory:
    """``base``'s channels (dynamic resources) plus the native plugin for the ``illumio``
    package: a fresh one per run, as the engine starts one plugin per deployment
    (``process_options`` as :class:`DynamicProviderProcess` takes them), or the running
    ``process`` given (started with :func:`plugin_command`), configured again by every run."""

    def channels(config: dict[str, str], secret_keys: frozenset[str], project: str) -> Channels:
        opened = base(config, secret_keys, project)
        child = process or DynamicProviderProcess(
            command=plugin_command(plugin_dir), **process_options
        )
        try:
            channel = NativePluginChannel(child, config, secret_keys, owned=process is None)
        except BaseException:
            opened.close()  # the channel closed the plugin it started
            raise
        opened.add(PACKAGE, channel)
        return opened

    return channels
