"""A stack that runs a Pulumi program as ``pulumi up`` / ``pulumi preview`` would, in-process.

The program runs under ``pulumi.runtime.set_mocks`` (the SDK's own unit-test hook) through
``pulumi.runtime.run_in_stack``, the entry point the Python language host uses, with
:class:`~pairing_provider.testing.engine.DeploymentMonitor` playing the engine. The stack keeps
its state between runs, as a real one does, so a second ``up`` of the same program is a
no-change run and a changed program shows exactly its changes.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.output import Unknown as SdkUnknown
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, set_root_resource

from pairing_provider.testing.channels import ChannelFactory, Channels, in_process
from pairing_provider.testing.engine import Deployment
from pairing_provider.testing.monitor import DeploymentMonitor
from pairing_provider.testing.project import (
    Program as Program,
)
from pairing_provider.testing.project import (
    project_files,
    project_name,
    refreshes_always,
)
from pairing_provider.testing.records import PendingOperation, Step
from pairing_provider.testing.values import UNKNOWN, ResourceState, Secret
from pairing_provider.testing.wire import from_grpc

NO_CHANGE = ("same", "read")


@dataclass(frozen=True)
class RunResult:
    """What one ``up`` or ``preview`` did."""

    outputs: dict[str, Any]  # stack outputs: secrets as Secret, unknowns (preview) as UNKNOWN
    steps: list[Step]
    resources: list[ResourceState]  # the stack's state after the run
    requests: list[dict[str, Any]]  # the PCE requests made during the run
    warnings: list[str] = field(default_factory=list)  # what the engine would warn about
    # What the program asked of the engine: the SDK's RegisterResourceRequest of each custom
    # resource (inputs in ``object``, ``additionalSecretOutputs``, the options), in order.
    registrations: list[Any] = field(default_factory=list, repr=False)

    def resource(self, name: str, type_: str | None = None) -> ResourceState:
        """The resource named ``name`` (of type ``type_``, e.g. ``"PairingKey"``, when two
        resources of different types share the name)."""
        return find_resource(self.resources, name, type_)

    def registration(self, name: str, type_: str | None = None) -> Any:
        """The registration request of the resource named ``name`` (of type ``type_``)."""
        found = [
            request
            for request in self.registrations
            if request.name == name and (type_ is None or request.type.endswith(type_))
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations of {name!r} in this run")
        return found[0]

    @property
    def changes(self) -> dict[str, str]:
        """Resource name -> ``create``/``update``/``replace``/``delete``: ``{}`` is no change.

        A name that resources of two types share is given as ``"name (Type)"`` for each.
        """
        shared = {
            step.name
            for step in self.steps
            if sum(other.name == step.name for other in self.steps) > 1
        }
        return {
            f"{step.name} ({step.type.rsplit(':', 1)[-1]})" if step.name in shared else step.name: (
                step.op
            )
            for step in self.steps
            if step.op not in NO_CHANGE
        }


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
        channels: ChannelFactory = in_process,
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
        self._channels = channels  # how providers are reached: in-process, or over gRPC
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
        result = self._without_program(Deployment.refresh)
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
            deployment = Deployment(self.state, channels, preview=False)
            deployment.refresh()
        return deployment.state

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
                with _event_loop() as loop, self._inside_project():
                    _install_mocks(deployment, self, preview)
                    loop.run_until_complete(pulumi.runtime.run_in_stack(self._main))
                    deployment.finish()
                    completed = True
            finally:
                pulumi.runtime.set_all_config({}, [])
                if not preview:
                    self.state = deployment.final_state(completed)
                    self.pending_operations = tuple(deployment.pending)
        outputs = _stack_outputs(deployment)
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


def find_resource(
    resources: list[ResourceState], name: str, type_: str | None = None
) -> ResourceState:
    """``type_`` is a whole type token or its last part (``PairingKey``)."""
    matches = [
        state
        for state in resources
        if state.name == name
        and (type_ is None or state.type == type_ or state.type.endswith(f":{type_}"))
    ]
    if len(matches) != 1:
        shown = f"{name!r}" + (f" of type {type_}" if type_ else "")
        raise KeyError(f"{len(matches)} resources named {shown} in the state")
    return matches[0]


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


@contextmanager
def _event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop for the run, as the language host makes one; the caller's loop after."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        previous = asyncio.get_event_loop_policy().get_event_loop()
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_failed_outputs_are_reported)
    tasks = _tracked_tasks(loop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    except BaseException:
        _retrieve_failures(tasks)
        raise
    finally:
        _cancel_leftovers(loop)
        # Registrations run on the loop's executor threads. After a failure the engine still
        # waits for the steps under way and saves each that completes (stepExecutor): so does
        # the run, before its state is taken (as asyncio.run shuts the executor down).
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(previous)


def _tracked_tasks(loop: asyncio.AbstractEventLoop) -> weakref.WeakSet[asyncio.Task[Any]]:
    """Every task the run creates. The SDK makes some that nobody awaits once a resource has
    failed (SDK 3.216's ``Output.is_known``, made for every output): they end with that
    resource's error, which asyncio would log as "Task exception was never retrieved"."""
    tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def track(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **options)
        tasks.add(task)
        return task

    loop.set_task_factory(track)
    return tasks


def _retrieve_failures(tasks: weakref.WeakSet[asyncio.Task[Any]]) -> None:
    """The run failed and raised its error: the tasks that ended with it (or with a copy)
    have been reported, so their exceptions are marked retrieved."""
    for task in list(tasks):
        if task.done() and not task.cancelled():
            task.exception()


def _failed_outputs_are_reported(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed registration fails every output future of its resource; the run raised that
    error already, so asyncio's "never retrieved" log of each copy, at garbage collection,
    would only be noise."""
    if context.get("message") != "Future exception was never retrieved":
        loop.default_exception_handler(context)


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """After a failed run, outputs still wait on the failed resource: cancel them while the
    loop can still run them to their end (as ``asyncio.run`` does), not at garbage collection."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _stack_outputs(deployment: Deployment) -> dict[str, Any]:
    if deployment.stack_outputs is None:
        return {}
    return {name: _shown(value) for name, value in from_grpc(deployment.stack_outputs).items()}


def _shown(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return Secret(_shown(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, SdkUnknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _qualified(key: str, project: str) -> str:
    """``rotation`` is the project's key (``project:rotation``), as ``pulumi config set``."""
    return key if ":" in key else f"{project}:{key}"
