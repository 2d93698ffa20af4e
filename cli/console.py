"""Rich output for the flow: one line per step, a table per transaction, live progress for jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class FlowConsole:
    """All terminal output of the flow goes through here, so tests can capture it as plain text."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self._step = 0

    def step(self, title: str) -> None:
        self._step += 1
        self.console.rule(f"[bold]{self._step}. {title}", align="left")

    def info(self, text: str) -> None:
        self.console.print(f"  {text}")

    def ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/green] {text}")

    def fail(self, text: str) -> None:
        self.console.print(f"[bold red]✗ {text}[/bold red]")

    def facts(self, rows: Mapping[str, Any], title: str | None = None) -> None:
        table = Table(show_header=False, box=None, padding=(0, 2), title=title, title_justify="left")
        table.add_column(style="dim")
        table.add_column()
        for key, value in rows.items():
            table.add_row(str(key), str(value))
        self.console.print(table)

    def table(self, columns: Iterable[str], rows: Iterable[Iterable[Any]], title: str | None = None) -> None:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(str(column))
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        self.console.print(table)

    def follow_evaluation(
        self, runner: Any, key: str, label: Callable[[str], str], poll: float = 0.2, timeout: float = 3600.0
    ) -> Any:
        """Overall progress plus one bar per submission (the job reports ``sub:<i>`` rows)."""
        columns = (
            TextColumn("  {task.description:<16}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[message]}"),
            TimeElapsedColumn(),
        )
        deadline = time.monotonic() + timeout
        with Progress(*columns, console=self.console, transient=False) as progress:
            overall = progress.add_task("all submissions", total=1.0, message="")
            rows: dict[str, int] = {}
            while True:
                view = runner.get(key)
                if view is None:
                    raise KeyError(f"No job named {key!r}.")
                progress.update(overall, completed=view.fraction, message=view.message[:50])
                for name, row in sorted(view.detail.items()):
                    if not name.startswith("sub:") or not isinstance(row, dict):
                        continue
                    if name not in rows:
                        rows[name] = progress.add_task(label(row["participant"]), total=1.0, message="")
                    text = row["state"] + (f" epoch {row['epoch']}" if row.get("epoch") else "")
                    if row.get("error"):
                        text = f"failed: {row['error']}"[:60]
                    done = 1.0 if row["state"] in ("scored", "failed") else row.get("fraction", 0.0)
                    progress.update(rows[name], completed=done, message=text)
                if not view.active:
                    return view
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the evaluation is still running after {timeout:.0f} s")
                time.sleep(poll)
