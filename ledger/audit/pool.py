"""Per-employee work spread over processes, each reading the database itself: audits,
projections, and a large tick's derivations (``ledger.write``).

Employees partition cleanly: what is derived for one employee depends on that employee's
stream and the ``_ledger`` stream only. So work that looks at every employee (``verify``,
``replay``) can run on every core: worker processes each open the database file (or the
PostgreSQL URL) read-only and take small contiguous chunks of the employee list; results come
back per chunk and are put back in the order of the list, so the answer is exactly the
sequential one.

The work runs in this process instead (on the caller's own ledger) when the ledger is not a
file (an in-memory store cannot be shared), when there are fewer employees than
``parallel_from`` (starting processes costs more than it saves), or when one worker is asked
for.

Workers are started with ``spawn``, never ``fork``: the parent holds SQLite connections and
threads that a forked child must not inherit. (``forkserver`` would save each worker about a
second of imports, but its workers are not this process's children: their CPU time does not
show in this process's accounting, and the server is process-wide state.) As with any
``spawn``, a script that reaches this code must guard its top level with
``if __name__ == "__main__":``, because each worker imports the main module again.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from multiprocessing.util import Finalize
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ledger.store import shared_location

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = [
    "PARALLEL_FROM",
    "EmployeePool",
    "available_cpus",
    "database_file",
    "spawn_safe",
    "worker_count",
]

P = TypeVar("P")
R = TypeVar("R")

PARALLEL_FROM = 500
"""Employees from which the work is spread over processes by default."""
MAX_WORKERS = 8
CHUNKS_PER_WORKER = 16
"""Chunks handed to each worker (on average): small enough to balance uneven streams and to
stop soon when the caller leaves early, large enough that the overhead does not show."""


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(
    employees: int, workers: int | None = None, parallel_from: int = PARALLEL_FROM
) -> int:
    """How many processes to use for ``employees`` employees (never more than there are).

    Args:
        workers: asked for explicitly (used whatever ``parallel_from`` says).
        parallel_from: with ``workers`` unset, fewer employees than this use one process;
            from it on, every available CPU (up to 8).
    """
    if workers is None:
        parallel = employees >= parallel_from and spawn_safe()
        workers = min(available_cpus(), MAX_WORKERS) if parallel else 1
    return max(1, min(workers, employees))


def spawn_safe(main: object | None = None) -> bool:
    """Whether spawned workers may import the main module again without re-running it.

    A spawned worker imports ``__main__`` anew: a script that calls ``verify`` at its top
    level, unguarded, would run again in every worker (and fail). So by default the pool is
    used only when that is harmless: an interactive session (no main file), or a main file
    that guards itself with ``if __name__ == "__main__"`` (the ``ledger`` command, pytest,
    ``python -m``). An explicit ``workers`` count always uses the pool.
    """
    module = sys.modules.get("__main__") if main is None else main
    path = getattr(module, "__file__", None)
    if path is None:
        return True
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"""if\s+__name__\s*==\s*['"]__main__['"]""", text) is not None


def database_file(ledger: Ledger) -> str | None:
    """The SQLite file (or PostgreSQL URL) under ``ledger``, or ``None`` when it is not a
    database other processes can open (an in-memory store)."""
    return shared_location(ledger.store)


class EmployeePool(Generic[P, R]):
    """``work(ledger, employee_id, params)`` for each employee, on worker processes if useful.

    Use it as a context manager. Entering starts the workers (when the work is spread), so the
    caller can do something else meanwhile; :meth:`results` waits and returns one result per
    employee, in the order given. Leaving cancels the chunks not yet started and waits for
    the workers to finish the ones they are on.

    In a worker, ``ledger`` is the same file opened read-only (nothing adopted), with a clock
    that stands at the caller's ``ledger.now()`` when the pool started; ``work`` and
    ``params`` must be picklable (``work`` a module-level function). In this process,
    ``ledger`` is the caller's own, and the work runs when :meth:`results` is called.

    Args:
        ledger: the ledger the employees belong to.
        employees: the employees to work on.
        work: what to compute for one employee.
        params: passed to ``work`` unchanged (sent to each worker once).
        workers, parallel_from: see :func:`worker_count`.
    """

    def __init__(
        self,
        ledger: Ledger,
        employees: Sequence[str],
        work: Callable[[Ledger, str, P], R],
        params: P,
        *,
        workers: int | None = None,
        parallel_from: int = PARALLEL_FROM,
    ) -> None:
        self.ledger = ledger
        self.employees = list(employees)
        self.work = work
        self.params = params
        self.path = database_file(ledger)
        count = worker_count(len(self.employees), workers, parallel_from)
        self.workers = count if self.path is not None else 1
        self._executor: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[R]]] = []

    @property
    def parallel(self) -> bool:
        """Whether the work runs on worker processes."""
        return self.workers > 1

    def __enter__(self) -> EmployeePool[P, R]:
        if self.parallel:
            assert self.path is not None
            executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.path, self.ledger.now(), self.work, self.params),
            )
            self._executor = executor
            try:
                size = math.ceil(len(self.employees) / (self.workers * CHUNKS_PER_WORKER))
                self._futures = [
                    executor.submit(_run_chunk, self.employees[i : i + size])
                    for i in range(0, len(self.employees), size)
                ]
            except BaseException:
                self._close()
                raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def results(self) -> list[R]:
        """One result per employee, in the order of ``employees`` (waits for the workers).

        Raises:
            Whatever ``work`` raised (for the first chunk, in order, that failed).
        """
        if not self.parallel:
            return [self.work(self.ledger, e, self.params) for e in self.employees]
        if self._executor is None:
            raise RuntimeError("EmployeePool.results() outside its `with` block")
        return [result for future in self._futures for result in future.result()]

    def stream(self) -> Iterator[R]:
        """:meth:`results` one at a time, in order, as the chunks finish: the caller holds
        only what it has not consumed yet (in this process, each is computed when asked)."""
        if not self.parallel:
            for employee_id in self.employees:
                yield self.work(self.ledger, employee_id, self.params)
            return
        if self._executor is None:
            raise RuntimeError("EmployeePool.stream() outside its `with` block")
        while self._futures:  # let go of each chunk once given (a rebuild's rows add up)
            future = self._futures.pop(0)
            yield from future.result()


# -- in the worker processes ------------------------------------------------------------------

_job: tuple[Ledger, Callable[[Ledger, str, Any], Any], Any] | None = None
_WORKER_GC_THRESHOLD = 100_000


def _start_worker(
    path: str, moment: datetime, work: Callable[[Ledger, str, Any], Any], params: Any
) -> None:
    """Open the file read-only once per worker process; closed when the process exits.

    A worker does bulk work only, so the collector's first threshold is raised (as the write
    path does around bulk work, ``ledger.write._BulkWork``): every row it reads allocates a
    few objects and most live until the employee is done; the default threshold makes the
    collector scan the long-lived ones again and again. Refcounting still frees them."""
    global _job
    from ledger.app import Ledger

    gc.set_threshold(_WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
    ledger = Ledger.open(path, readonly=True, adopt_default=False, clock=lambda: moment)
    gc.freeze()  # what opening left behind is never garbage: out of every later scan
    Finalize(None, ledger.close, exitpriority=0)
    _job = (ledger, work, params)


def _run_chunk(employees: list[str]) -> list[Any]:
    assert _job is not None, "the worker was not initialised"
    ledger, work, params = _job
    return [work(ledger, e, params) for e in employees]
