"""The request budget's window outlives the provider process (pairing_provider/budget_file.py).

A new process (each ``pulumi`` command is one) starts from the answers its predecessors got
within the window, read from a file per PCE and API key; the file holds no secret, and a
missing, stale, corrupt or concurrently written one is tolerated.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from conftest import API_SECRET, API_USER, stack_config
from pairing_provider import budget_file as budget_file_module
from pairing_provider.budget_file import BUDGET_DIR_ENV, COMPACT_AT_BYTES, BudgetFile
from pairing_provider.client import PCEClient
from pairing_provider.config import Settings
from pairing_provider.pacing import NoRoomBeforeDeadline, RequestPacer, pacer_for, reset_pacers
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import Engine, EngineError

PROFILE = PairingProfileProvider()
LIMIT, WINDOW = 4, 30.0  # two profile creates (a POST and a PUT each) spend it


def sent(simulator: Simulator) -> int:
    return len(simulator.requests())


def create_profiles(
    simulator: Simulator, directory: Path, names: list[str], *, killed: bool = False, **config: str
) -> None:
    """Check + Create of each profile in a provider process of its own, as `pulumi up` runs;
    ``killed``: the process then dies by SIGKILL (no exit handler runs)."""
    budget = {"maxRequestsPerMinute": str(LIMIT), "rateWindow": f"{WINDOW:g}"}
    with Engine(env={BUDGET_DIR_ENV: str(directory)}) as engine:
        engine.configure(stack_config(simulator, **budget, **config))
        for name in names:
            inputs = engine.check(PROFILE, {}, {"name": name, "enabled": True}).inputs
            engine.create(PROFILE, inputs)
        if killed:
            assert engine.pid is not None
            os.kill(engine.pid, signal.SIGKILL)


def test_the_next_process_starts_with_the_window_the_last_one_spent(
    simulator: Simulator, tmp_path: Path
) -> None:
    # The whole budget of the window, by a process killed at the end (as by Ctrl-C twice).
    create_profiles(simulator, tmp_path, ["a", "b"], killed=True)
    assert sent(simulator) == LIMIT

    # A new process: the budget is still spent, so it waits for room, here past its deadline.
    began = time.monotonic()
    with pytest.raises(EngineError, match="no room in the request budget"):
        create_profiles(simulator, tmp_path, ["d"], operationTimeout="1")
    assert sent(simulator) == LIMIT  # nothing was sent
    assert time.monotonic() - began < WINDOW / 2


def has_room(pacer: RequestPacer) -> bool:
    """Whether a request could leave now (the slot taken to find out is not given back)."""
    try:
        pacer.acquire(deadline=time.monotonic())
    except NoRoomBeforeDeadline:
        return False
    return True


def spend_and_restart(host: str) -> RequestPacer:
    """A process that spends the whole budget, then a new process's pacer for the same key."""
    first = pacer_for(host, API_USER, LIMIT, WINDOW)
    for _ in range(LIMIT):
        with first.slot():
            pass
    reset_pacers()  # what a new process starts with
    return pacer_for(host, API_USER, LIMIT, WINDOW)


def test_the_environment_variable_moves_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUDGET_DIR_ENV, str(tmp_path / "moved"))
    reset_pacers()

    assert not has_room(spend_and_restart("https://pce.example.com:8443"))
    assert len(list((tmp_path / "moved").iterdir())) == 1


def test_off_switches_the_hand_over_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUDGET_DIR_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # where it would go otherwise
    reset_pacers()

    assert has_room(spend_and_restart("https://pce.example.com:8443"))
    assert list(tmp_path.iterdir()) == []


def test_without_the_variable_the_files_go_to_the_users_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BUDGET_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reset_pacers()

    assert not has_room(spend_and_restart("https://pce.example.com:8443"))
    assert len(list((tmp_path / "pairing_provider" / "budget").iterdir())) == 1


def test_the_file_holds_times_and_nothing_of_the_key_or_the_pce(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUDGET_DIR_ENV, str(tmp_path))
    reset_pacers()
    settings = Settings(
        pce_host=simulator.url, api_key_username=API_USER, api_key_secret=API_SECRET
    )
    client = PCEClient(settings)
    with client.operation():
        client.list_labels()
        client.list_labels()
    client.close()

    (budget_file,) = tmp_path.iterdir()
    text = budget_file.read_text(encoding="ascii")
    assert len(text.splitlines()) == 2
    assert all(abs(float(line) - time.time()) < 60 for line in text.splitlines())
    port = simulator.url.rsplit(":", 1)[1]
    for revealing in (API_SECRET, API_USER, "127.0.0.1", port):
        assert revealing not in budget_file.name and revealing not in text
    assert budget_file.stat().st_mode & 0o077 == 0  # the user's alone


def test_stale_corrupt_and_future_lines_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"
    now = time.time()
    times = [f"{now - 100:.3f}", f"{now - 2:.3f}", f"{now - 1:.3f}", f"{now + 1000:.3f}"]
    torn = f"{now:.0f}"[:-3]  # a last line cut short: read as a time long past
    # Garbage, a stale time, two recent ones, one ahead of our clock (counts as now), torn.
    garbage = b"\xff\xfe garbage\nnan\ninf\n-inf\n\n12abc\n"
    path.write_bytes(garbage + "\n".join([*times, torn]).encode())

    assert not has_room(RequestPacer(3, WINDOW, budget_file=BudgetFile(path, WINDOW)))
    assert has_room(RequestPacer(4, WINDOW, budget_file=BudgetFile(path, WINDOW)))


def test_a_missing_or_unusable_file_is_an_empty_window(tmp_path: Path) -> None:
    missing = BudgetFile(tmp_path / "none" / "budget.window", WINDOW)
    assert has_room(RequestPacer(1, WINDOW, budget_file=missing))

    a_directory = BudgetFile(tmp_path, WINDOW)  # unreadable and unwritable as a file
    pacer = RequestPacer(1, WINDOW, budget_file=a_directory)
    with pacer.slot():  # recording fails quietly: the request itself is not affected
        pass
    assert tmp_path.is_dir()


def test_two_writers_at_once_leave_every_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"

    def write(count: int) -> None:
        budget_file = BudgetFile(path, WINDOW)  # as another process would hold it
        for _ in range(count):
            budget_file.record()

    writers = [threading.Thread(target=write, args=(500,)) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    lines = path.read_text(encoding="ascii").splitlines()
    assert len(lines) == 2000 and all(float(line) > 0 for line in lines)


def test_the_file_keeps_the_last_window_and_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"
    now = [1_000_000.0]
    budget_file = BudgetFile(path, 10.0, clock=lambda: now[0])
    for _ in range(20_000):  # 200 s of answers, 100 a second
        budget_file.record()
        now[0] += 0.01

    assert path.stat().st_size <= 2 * COMPACT_AT_BYTES
    ages = BudgetFile(path, 10.0, clock=lambda: now[0]).recent_ages()
    assert 999 <= len(ages) <= 1000 and max(ages) < 10.0  # the last 10 s, every one of them


def test_the_threads_of_a_process_share_one_open_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An answer costs an append and an fstat, not an open, a seek and a close as well: each
    # system call lets another gRPC worker take the GIL.
    path = tmp_path / "budget.window"
    budget_file = BudgetFile(path, WINDOW)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *args: opened.append(args[0]) or real_open(*args))

    writers = [
        threading.Thread(target=lambda: [budget_file.record() for _ in range(500)])
        for _ in range(4)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert opened == [path]
    lines = path.read_text(encoding="ascii").splitlines()
    assert len(lines) == 2000 and all(float(line) > 0 for line in lines)


def test_a_file_another_process_replaced_gets_the_next_answers(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"
    mine = BudgetFile(path, WINDOW)
    mine.record()  # the file is open from here on
    # Another process rewrites the file (its compaction: a new file put in place).
    replacement = tmp_path / "replacement"
    replacement.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(replacement, path)

    mine.record()
    mine.record()

    assert len(path.read_text(encoding="ascii").splitlines()) == 3  # theirs, then both of mine
    assert len(BudgetFile(path, WINDOW).recent_ages()) == 3


def test_a_removed_file_is_made_again_by_the_next_answer(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"
    mine = BudgetFile(path, WINDOW)
    mine.record()
    path.unlink()  # the user cleared the cache, or a test its simulator's window

    mine.record()

    assert len(path.read_text(encoding="ascii").splitlines()) == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_budget_file_dropped_closes_its_file(tmp_path: Path) -> None:
    path = tmp_path / "budget.window"

    def open_on_it() -> int:
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass  # closed meanwhile (another thread's)
        return links.count(str(path))

    budget_file = BudgetFile(path, WINDOW)
    budget_file.record()
    assert open_on_it() == 1
    del budget_file
    gc.collect()

    assert open_on_it() == 0


def test_a_replaced_file_that_keeps_a_link_is_left_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On NFS a replaced file still open is renamed (.nfs...), not unlinked: only the path tells.
    monkeypatch.setattr(budget_file_module, "PATH_CHECK_SECONDS", 0.0)
    path = tmp_path / "budget.window"
    mine = BudgetFile(path, WINDOW)
    mine.record()
    os.link(path, tmp_path / ".nfs0001")  # the old file keeps a link, as NFS keeps it
    replacement = tmp_path / "replacement"
    replacement.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(replacement, path)

    mine.record()

    assert len(path.read_text(encoding="ascii").splitlines()) == 2  # theirs, then mine
