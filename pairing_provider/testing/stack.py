"""The user-facing stack: one program's state between runs, and ``up``, ``preview``,
``refresh`` and ``destroy`` as the CLI runs them, in-process.

The program runs under ``pulumi.runtime.set_mocks`` (the SDK's own unit-test hook) through
``pulumi.runtime.run_in_stack``, the entry point the Python language host uses, with
:class:`~pairing_provider.testing.monitor.DeploymentMonitor` playing the engine. The stack keeps
its state between runs, as a real one does, so a second ``up`` of the same program is a
no-change run and a changed program shows exactly its changes. What each run gives back is a
:class:`~pairing_provider.testing.run_result.RunResult` (still importable from here).
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
from pulumi.runtime.settings import SETTINGS, set_root_resource

from pairing_provider.testing.channels import ChannelFactory, Channels, in_process
from pairing_provider.testing.engine import Deployment
from pairing_provider.testing.event_loop import event_loop
from pairing_provider.testing.monitor import DeploymentMonitor
from pairing_provider.testing.project import (
    Program as Program,
)
from pairing_provider.testing.project import (
    project_files,
    project_name,
    refreshes_always,
)
from pairing_provider.testing.records import PendingOperation
from pairing_provider.testing.refresh import refresh
from pairing_provider.testing.run_result import (
    RunResult as RunResult,
)
from pairing_provider.testing.run_result import (
    find_resource as find_resource,
)
from pairing_provider.testing.run_result import shown_outputs
from pairing_provider.testing.run_state import RunState
from pairing_provider.testing.values import ResourceState


class Stack:
    """One stack of one program. ``up()``, ``preview()``, ``refresh()`` and ``destroy()``
    return a :class:`RunResult`."""

    def __init__(
        self,
        program: Program,
        *,
        config: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        project: str | None = None,
        stack: str = "test",
        request_log: Callable[[], list[dict[str, Any]]] | None = None,
        channels: ChannelFactory | None = None,
    ) -> None:
        self.program = program
        self.directory, project_file = project_files(program)
        self.project = project or project_name(self.directory, project_file)
        # Pulumi.yaml's ``options: refresh: always``: a refresh before every up, preview and
        # destroy, as the CLI's getRefreshOption makes of it.
        self.refresh_always = refreshes_always(project_file)
        self.name = stack
        self.config = {
            _qualified(key, self.project): value for key, value in (config or {}).items()
        }
        self.secrets = frozenset(_qualified(key, self.project) for key in secrets)
        self.state: dict[str, ResourceState] = {}
        # Pending operations of interrupted runs, kept in every later state (snapshot.go).
        self.pending_operations: tuple[PendingOperation, ...] = ()
        self._request_log = request_log or list
        # How providers are reached: in-process (the default), or over gRPC.
        self._channels = channels or in_process
        self._saved_config = dict(self.config)  # what the state holds: set by each up
        self._outputs: dict[str, Any] = {}

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        """As ``pulumi config set [--secret] KEY VALUE``: the next run sees it."""
        qualified = _qualified(key, self.project)
        self.config[qualified] = value
        if secret:
            self.secrets = self.secrets | {qualified}

    def up(
        self, *, interrupt_after_create: str | None = None, refresh: bool | None = None
    ) -> RunResult:
        """``pulumi up``. ``interrupt_after_create="web"`` plays a run killed once the provider
        created ``web`` and before the engine saved it: :class:`StackInterrupted` is raised and
        the state keeps a pending create (``pending_operations``). ``refresh`` is the CLI's
        ``--refresh`` (``None``: the project's ``options: refresh``)."""
        return self._run(False, interrupt_after_create, self._refreshing(refresh))

    def preview(self, *, refresh: bool | None = None) -> RunResult:
        """``pulumi preview``; ``refresh`` as for :meth:`up`. A refresh before a preview reads
        every resource back, and the preview diffs against what it read; nothing is saved."""
        return self._run(True, refresh=self._refreshing(refresh))

    def refresh(self, *, clear_pending_creates: bool = False) -> RunResult:
        """``pulumi refresh``: the state read back from the PCE (drift, deletions).

        Pending creates stay unless ``clear_pending_creates=True`` (``pulumi refresh
        --clear-pending-creates``); ``--import-pending-creates`` is not modelled."""
        result = self._without_program(refresh)
        if clear_pending_creates:
            self.pending_operations = tuple(
                op for op in self.pending_operations if op.type != "creating"
            )
        return result

    def destroy(self, *, refresh: bool | None = None) -> RunResult:
        """``pulumi destroy``: every resource the stack created deleted, newest first
        (``refresh`` as for :meth:`up`: a resource gone from the PCE first leaves the state)."""
        logged = len(self._request_log())  # the refresh's reads are this run's requests too
        if self._refreshing(refresh):
            self.state = self._refreshed_state()
        return self._without_program(Deployment.finish, logged)

    def resource(self, name: str, type_: str | None = None) -> ResourceState:
        """The state of the resource named ``name`` (and of type ``type_``, if given)."""
        return find_resource(list(self.state.values()), name, type_)

    def _refreshing(self, refresh: bool | None) -> bool:
        """An explicit ``--refresh`` (true or false) wins over the project option."""
        return self.refresh_always if refresh is None else refresh

    def _refreshed_state(self) -> dict[str, ResourceState]:
        """The state as a refresh reads it back (``deploymentExecutor.refresh``: a Read of every
        resource of the old state, with the providers the state configured)."""
        with self._provider_channels(self._saved_config) as channels:
            run = RunState(self.state, channels, preview=False)
            refresh(run)
        return run.state

    def _run(
        self, preview: bool, interrupt_after_create: str | None = None, refresh: bool = False
    ) -> RunResult:
        # The engine warns of pending operations only when it does not refresh first
        # (deploymentExecutor.Execute), and never in a preview.
        quiet = preview or refresh
        warnings = [] if quiet else pending_operations_warning(self.pending_operations)
        logged = len(self._request_log())
        # An up saves what its refresh read, a preview saves nothing.
        prior = self._refreshed_state() if refresh and self.state else self.state
        completed = False
        with self._provider_channels(self.config) as channels:
            deployment = Deployment(
                prior, channels, preview, self.pending_operations, interrupt_after_create
            )
            try:
                with event_loop() as loop, self._inside_project():
                    _install_mocks(deployment, self, preview)
                    loop.run_until_complete(pulumi.runtime.run_in_stack(self._main))
                    deployment.finish()
                    completed = True
            finally:
                pulumi.runtime.set_all_config({}, [])
                if not preview:
                    self.state = deployment.final_state(completed)
                    self.pending_operations = tuple(deployment.pending)
        outputs = shown_outputs(deployment.stack_outputs)
        if not preview:
            self._saved_config, self._outputs = dict(self.config), outputs
        return RunResult(
            outputs=outputs,
            steps=list(deployment.steps),
            resources=list(self.state.values()),
            requests=self._request_log()[logged:],
            warnings=warnings,
            registrations=list(deployment.registrations),
        )

    def _without_program(
        self, action: Callable[[Deployment], None], logged: int | None = None
    ) -> RunResult:
        """Refresh and destroy run without the program, with the config the last ``up`` saved
        in the state (as the engine configures providers for them)."""
        logged = len(self._request_log()) if logged is None else logged
        completed = False
        with self._provider_channels(self._saved_config) as channels:
            deployment = Deployment(self.state, channels, preview=False)
            try:
                action(deployment)
                completed = True
            finally:
                self.state = deployment.final_state(completed)
        if not self.state:
            self._outputs = {}
        return RunResult(
            outputs=dict(self._outputs),
            steps=list(deployment.steps),
            resources=list(self.state.values()),
            requests=self._request_log()[logged:],
        )

    def _main(self) -> Any:
        if callable(self.program):
            return self.program()
        assert self.directory is not None
        runpy.run_path(str(self.directory / "__main__.py"), run_name="__main__")
        return None

    @contextmanager
    def _provider_channels(self, config: dict[str, str]) -> Iterator[Channels]:
        """The engine starts a new provider process for every run: the in-process provider
        forgets the process-wide caches (label listing, refresh snapshot) of earlier runs."""
        from pairing_provider.client import reset_connections

        reset_connections()
        channels = self._channels(config, self.secrets, self.project)
        try:
            yield channels
        finally:
            channels.close()

    @contextmanager
    def _inside_project(self) -> Iterator[None]:
        """As the language host runs a project: from its directory, importable from there."""
        if self.directory is None:
            yield
            return
        cwd, path = os.getcwd(), list(sys.path)
        os.chdir(self.directory)
        sys.path.insert(0, str(self.directory))
        try:
            yield
        finally:
            os.chdir(cwd)
            sys.path[:] = path


def pending_operations_warning(pending: tuple[PendingOperation, ...]) -> list[str]:
    """What ``printPendingOperationsWarning`` (deployment_executor.go) prints at the start of an
    up (not a preview) whose state holds pending operations."""
    if not pending:
        return []
    listed = "".join(f"  * {op.urn}, interrupted while {op.type}\n" for op in pending)
    return [
        f"Attempting to deploy or update resources with {len(pending)} pending operations "
        f"from previous deployment.\n{listed}These resources are in an unknown state because "
        "the Pulumi CLI was interrupted while waiting for changes to these resources to "
        "complete. [...] Note that `pulumi refresh` will need to be run interactively to "
        "clear pending CREATE operations."
    ]


def _install_mocks(deployment: Deployment, stack: Stack, preview: bool) -> None:
    monitor = DeploymentMonitor(deployment)
    # A root resource already set keeps set_mocks from registering a stack of its own:
    # run_in_stack registers the one stack of this run, and its outputs.
    set_root_resource(monitor)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(
        monitor.mocks, project=stack.project, stack=stack.name, preview=preview, monitor=monitor
    )
    set_root_resource(None)  # type: ignore[arg-type]
    # What the SDK's own pulumi.runtime.test does: no RPC or output of an earlier (failed) run
    # may be awaited, or re-raise its error, in this one.
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config(stack.config, list(stack.secrets))


def _qualified(key: str, project: str) -> str:
    """``rotation`` is the project's key (``project:rotation``), as ``pulumi config set``."""
    return key if ":" in key else f"{project}:{key}"
