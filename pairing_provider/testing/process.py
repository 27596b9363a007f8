"""A ``python -u -m pulumi.dynamic`` child, as the engine starts it for dynamic providers.

The ``pulumi-resource-pulumi-python`` plugin runs exactly this command in the project directory;
it prints its port on stdout's first line and serves the ResourceProvider gRPC protocol. The
kit's gRPC provider channel (:mod:`pairing_provider.testing.channels`) and the repository's
protocol tests drive one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc


class DynamicProviderProcess:
    """The child process and a gRPC stub connected to it.

    Use as a context manager, or call :meth:`start` / :meth:`close`. The child's stderr goes to
    a temporary file (:meth:`stderr_text`); its stdout after the port line is drained by a
    thread (:meth:`stdout_text`) so a chatty provider can never block on a full pipe.
    """

    def __init__(
        self,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        start_timeout: float = 30.0,
        pythonpath: Iterable[str | os.PathLike[str]] = (),
        record_requests: bool = False,
        command: Sequence[str] | None = None,
    ) -> None:
        """Configure, but do not start, the child: in ``cwd`` (default: this directory), with
        ``env`` over ``os.environ`` and ``pythonpath`` in front of ``PYTHONPATH`` (where
        provider classes pickled by reference must import from). ``record_requests`` keeps
        every request :meth:`call` sends in :attr:`requests`. ``command`` starts another
        plugin speaking the same protocol (default: ``python -u -m pulumi.dynamic``)."""
        self.command = list(command or [sys.executable, "-u", "-m", "pulumi.dynamic"])
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.start_timeout = start_timeout
        self.port: int | None = None
        child_env = dict(os.environ)
        child_env.update(env or {})
        paths = [str(p) for p in pythonpath]
        if child_env.get("PYTHONPATH"):
            paths.append(child_env["PYTHONPATH"])
        if paths:
            child_env["PYTHONPATH"] = os.pathsep.join(paths)
        self._env = child_env
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._stderr_path: Path | None = None
        self._stderr_final: str | None = None
        self._stdout_lines: list[str] = []
        self._stdout_thread: threading.Thread | None = None
        self._port_ready = threading.Event()
        self.record_requests = record_requests
        self.requests: list[tuple[str, Any]] = []
        """With ``record_requests``, every request sent as ``(method, protobuf message)``: what
        went on the wire, including fields the Python dynamic server never hands the provider
        (``old_inputs``)."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the child, wait for the port it prints, and connect."""
        if self._proc is not None:
            raise RuntimeError("the provider process is already started")
        fd, name = tempfile.mkstemp(prefix="pulumi-dynamic-", suffix=".stderr")
        self._stderr_path = Path(name)
        try:
            # ``-u`` as in the real plugin shim: the server writes the port without flushing.
            self._proc = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=fd,
            )
        finally:
            os.close(fd)
        self._stdout_thread = threading.Thread(
            target=self._drain_stdout, name="pulumi-dynamic-stdout", daemon=True
        )
        self._stdout_thread.start()
        try:
            if not self._port_ready.wait(self.start_timeout) or self.port is None:
                raise RuntimeError(
                    f"{' '.join(self.command)} did not print a port "
                    f"(exit code {self._proc.poll()}); stderr:\n{self.stderr_text()}"
                )
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
            grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
            self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        except BaseException:
            self.close()
            raise
        return self

    def _drain_stdout(self) -> None:
        """Read the port line, then keep reading so the child never blocks on stdout."""
        assert self._proc is not None and self._proc.stdout is not None
        first = True
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace")
            if first:
                first = False
                try:
                    self.port = int(line.strip())
                except ValueError:
                    self._stdout_lines.append(line)
                self._port_ready.set()
                continue
            self._stdout_lines.append(line)
        self._port_ready.set()  # EOF before a port: let start() fail fast

    def close(self) -> None:
        """Close the channel, terminate the child (kill after 5 s), keep its stderr text."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=5)
            if self._stdout_thread is not None:
                self._stdout_thread.join(timeout=5)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._stderr_path is not None:
            self._stderr_final = self._read_stderr()
            self._stderr_path.unlink(missing_ok=True)
            self._stderr_path = None

    def __enter__(self) -> Self:
        """Start the child; see :meth:`start`."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the child; see :meth:`close`."""
        self.close()

    # -- captured output ---------------------------------------------------------------------

    def _read_stderr(self) -> str:
        if self._stderr_path is None:
            return ""
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_text(self) -> str:
        """Everything the child wrote to stderr so far (also after :meth:`close`)."""
        if self._stderr_final is not None and self._stderr_path is None:
            return self._stderr_final
        return self._read_stderr()

    def stdout_text(self) -> str:
        """What the child wrote to stdout after the port line (e.g. a provider's ``print``)."""
        return "".join(self._stdout_lines)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def stub(self) -> provider_pb2_grpc.ResourceProviderStub:
        """The raw gRPC stub, for calls this helper does not wrap."""
        if self._stub is None:
            raise RuntimeError("the provider process is not started")
        return self._stub

    def call(self, method: str, request: Any, timeout: float) -> Any:
        """One gRPC call (``method`` of the ResourceProvider service), recorded if asked."""
        if self.record_requests:
            self.requests.append((method, request))
        return getattr(self.stub, method)(request, timeout=timeout)
