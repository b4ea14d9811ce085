"""Terminal output of the CLI: messages, tables and progress bars (rich)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console as RichConsole
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table


class Console:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._rich = RichConsole(file=stream, highlight=False)

    def info(self, message: str) -> None:
        self._rich.print(message, markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self._rich.print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)

    def error(self, message: str) -> None:
        # soft_wrap: a file path or key path is never broken across lines.
        self._rich.print(f"error: {message}", style="bold red", markup=False, soft_wrap=True)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], *, out: TextIO) -> None:
        table = Table(*headers, box=None, pad_edge=False)
        for row in rows:
            table.add_row(*row)
        RichConsole(file=out, highlight=False, width=200).print(table)

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int, int], None]]:
        """A progress bar on the terminal (silent when output is not a terminal)."""
        bar = Progress(
            TextColumn(label),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=self._rich,
            transient=True,
            disable=not self._rich.is_terminal,
        )
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with bar:
            yield advance
