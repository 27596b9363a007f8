"""Run the PCE simulator as a process: ``python -m pairing_provider.simulator``.

The first stdout line is the base URL, flushed at once so a parent process can read it;
with ``--tls`` the second line is the path of the self-signed PEM certificate to trust.
Runs until SIGTERM or SIGINT, then exits 0. The API key may come from the environment
(ILLUMIO_API_KEY_USERNAME / ILLUMIO_API_KEY_SECRET) so the secret stays out of ``ps``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from importlib.metadata import version
from types import FrameType

from .errors import DataFileError
from .releases import RELEASES
from .server import Simulator
from .settings import LOCATIONS

COMMAND = "pce-simulator"


def _parser() -> argparse.ArgumentParser:
    # Its own name in --help: the console script's, or the python -m form it was run as.
    invoked = os.path.basename(sys.argv[0])
    parser = argparse.ArgumentParser(
        prog=COMMAND if invoked == COMMAND else "python -m pairing_provider.simulator",
        description="Illumio PCE REST API v2 simulator (for tests).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('pairing_provider')}"
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key-username", help="default: $ILLUMIO_API_KEY_USERNAME")
    parser.add_argument("--api-key-secret", help="default: $ILLUMIO_API_KEY_SECRET")
    parser.add_argument("--org", type=int, default=1, help="the API key's org id")
    parser.add_argument("--data-file", help="JSON file the state is loaded from and saved to")
    parser.add_argument("--rate-limit", type=int, help="requests per minute per API key")
    parser.add_argument(
        "--rate-window", type=float, default=60.0, help="rate-limit window in seconds"
    )
    parser.add_argument(
        "--async-retry-after",
        type=float,
        default=0,
        help="Retry-After of async jobs; > 0 makes the first poll 'running'",
    )
    parser.add_argument(
        "--pce-release",
        choices=RELEASES,
        default="current",
        help="shape of profile GET bodies: current, or legacy (older releases)",
    )
    parser.add_argument(
        "--async-location",
        choices=LOCATIONS,
        default="path",
        help="Location of async 202s: a path (/orgs/1/jobs/ID) or an absolute URL",
    )
    parser.add_argument(
        "--empty",
        action="store_true",
        help="start (and reset to) an empty PCE, without the default pairing profiles",
    )
    parser.add_argument("--tls", action="store_true", help="serve HTTPS, self-signed")
    parser.add_argument(
        "--client-ca",
        metavar="PEM",
        help="with --tls: ask every client for a certificate signed by this CA bundle",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    username = args.api_key_username or os.environ.get("ILLUMIO_API_KEY_USERNAME")
    secret = args.api_key_secret or os.environ.get("ILLUMIO_API_KEY_SECRET")
    if not username or not secret:
        parser.error(
            "an API key is needed: --api-key-username/--api-key-secret or "
            "ILLUMIO_API_KEY_USERNAME/ILLUMIO_API_KEY_SECRET"
        )
    if args.client_ca is not None and not args.tls:
        parser.error("--client-ca needs --tls")
    if args.rate_limit is not None and args.rate_limit < 1:
        parser.error("--rate-limit must be a positive integer")
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return _serve(args, username, secret, stopping)
    except DataFileError as exc:
        # One line, escaped: the message may quote a value from a hand-edited file.
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace, username: str, secret: str, stopping: threading.Event) -> int:
    simulator = Simulator(
        api_key_username=username,
        api_key_secret=secret,
        org_id=args.org,
        port=args.port,
        host=args.host,
        rate_limit=args.rate_limit,
        data_file=args.data_file,
        tls=args.tls,
        client_ca=args.client_ca,
        async_retry_after=args.async_retry_after,
        rate_window=args.rate_window,
        verbose=args.verbose,
        release=args.pce_release,
        location=args.async_location,
        seed_defaults=not args.empty,
    )
    with simulator:
        print(simulator.url, flush=True)
        if simulator.cert_path:
            print(simulator.cert_path, flush=True)
        # A short timeout keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.2):
            pass
    return 0


def printable(text: str) -> str:
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


if __name__ == "__main__":
    sys.exit(main())
