"""Progress on standard error, on a terminal only.

Long commands (import, tick, verify, rebuild, replay, report, export, copy) show what they
are doing while they work: with a known total, a bar with the count, the rate and the time
left; without one, a spinner with the count so far (if any) and the time spent. Nothing is
written when standard error is not a terminal (a pipe, a file, a test's captured output),
and the line is cleared when the work ends, so standard output stays exactly the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["Step", "progress", "rate_of", "staged"]


class Step(Protocol):
    """What the work calls as it goes: how much is done, and the total once known."""

    def __call__(self, done: int, total: int | None = None) -> None: ...

    def describe(self, what: str) -> None:
        """Say what is being done now (a new phase)."""


def rate_of(task: Task) -> str:
    """``1,234/s`` (or ``…`` before there is a speed to show)."""
    speed = task.finished_speed or task.speed
    return "…" if not speed else f"{speed:,.0f}/s"


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(rate_of(task), style="progress.data.speed")


class _Count(ProgressColumn):
    """``1,234``, or ``1,234/2,000`` once the total is known (nothing before the first)."""

    def render(self, task: Task) -> Text:
        if task.total is not None:
            return Text(f"{task.completed:,.0f}/{task.total:,.0f}", style="progress.download")
        return Text(f"{task.completed:,.0f}" if task.completed else "", style="progress.download")


def _columns(counted: bool, total: bool) -> list[ProgressColumn]:
    if total:
        return [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _Rate(),
            TimeRemainingColumn(),
        ]
    columns: list[ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
    if counted:
        columns += [_Count(), _Rate()]
    return [*columns, TimeElapsedColumn()]


@contextmanager
def progress(
    console: Console, what: str, *, total: int | None = None, counted: bool = False
) -> Iterator[Step]:
    """Show ``what`` in progress on ``console`` (standard error) while the block runs.

    ``total`` gives a bar with count, rate and time left; ``counted`` a running count and
    rate without a total. The block receives a :class:`Step` to report what is done.
    """
    shown = console.is_terminal and not console.is_dumb_terminal
    columns = _columns(counted or total is not None, total is not None)
    with Progress(*columns, console=console, transient=True, disable=not shown) as bar:
        yield _Step(bar, bar.add_task(what, total=total))


class _Step:
    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar, self.task = bar, task

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.bar.update(self.task, completed=done, total=total)
        else:
            self.bar.update(self.task, completed=done)

    def describe(self, what: str) -> None:
        self.bar.reset(self.task, description=what)


def staged(step: Step, what: str) -> Callable[[str, int, int | None], None]:
    """A library stage callback (``ledger.write.Stages``) shown on ``step``: each new stage
    is described as ``what: stage`` with its count starting again, e.g. ``ticking:
    reconciling employees 120/2,000``."""
    current: list[str] = []

    def report(stage: str, done: int, total: int | None) -> None:
        if current != [stage]:
            current[:] = [stage]
            step.describe(f"{what}: {stage}")
        step(done, total)

    return report
