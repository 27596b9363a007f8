"""The event loop of one kit run, as the language host makes one for a program.

A new loop per run, the caller's loop back after it; the tasks a failed run leaves behind are
marked retrieved or cancelled, so asyncio logs nothing about them (the SDK makes tasks nobody
awaits, which end with a failed resource's error: docs/pulumi-engine.md, "Tasks left by a failed
resource").
"""

from __future__ import annotations

import asyncio
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
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
