"""The native provider's process: a gRPC server on 127.0.0.1, its port on stdout's first line.

Started by the Python language host as ``python provider/ <engine address>`` (the plugin
directory's ``__main__.py`` calls :func:`main`), or as ``python -m pairing_provider.native``.

Its pool is sized for the engine's parallelism, not Python's defaults: each call runs on one
worker thread, the PCE client's blocking HTTP included, so as many calls are under way as the
engine sends (up to ``WORKERS``); the request budget (``maxRequestsPerMinute``), shared by all
of them, still rules. No event loop is built per call.
"""

from __future__ import annotations

import argparse
import sys
from concurrent import futures

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc

from pairing_provider.native.servicer import Servicer

WORKERS = 64  # above any --parallel an engine is likely to use; calls past it wait their turn
MAX_MESSAGE_BYTES = 400 * 1024 * 1024  # what the engine allows itself (a schema, a big state)


def serve(workers: int = WORKERS) -> tuple[grpc.Server, int]:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="illumio"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Pulumi resource provider plugin for illumio")
    parser.add_argument("engine", nargs="?", help="the engine's address (not needed)")
    parser.add_argument("--logtostderr", action="store_true", help="ignored")
    parser.add_argument("-v", dest="verbosity", type=int, default=0, help="ignored")
    parser.parse_known_args(argv)
    server, port = serve()
    sys.stdout.write(f"{port}\n")  # the engine reads the port from the first line
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(grace=None)
