"""Live console of a run: one line per stage with a spinner or progress bar, live figures during load."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

STATUS_STYLE = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow", "ERROR": "red", "NOT_RUN": "dim"}


class Ui:
    """Thin wrapper over a Rich Progress so stages do not depend on Rich directly."""

    def __init__(self, console: Console | None = None, enabled: bool = True) -> None:
        self.console = console or Console(stderr=False)
        self.enabled = enabled
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(bar_width=28),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[figures]}"),
            console=self.console,
            transient=False,
            refresh_per_second=4,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Ui:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def log(self, message: str) -> None:
        """A line above the live area (or plain output when live display is off)."""
        self.console.print(message, highlight=False)

    def stage_started(self, name: str, total: float | None = None) -> None:
        self._tasks[name] = self.progress.add_task(name, total=total, figures="")

    def stage_progress(self, name: str, completed: float | None = None, figures: str | None = None) -> None:
        task = self._tasks.get(name)
        if task is None:
            return
        updates: dict[str, object] = {}
        if completed is not None:
            updates["completed"] = completed
        if figures is not None:
            updates["figures"] = figures
        self.progress.update(task, **updates)  # type: ignore[arg-type]

    def stage_finished(self, name: str, status: str, detail: str = "") -> None:
        task = self._tasks.get(name)
        style = STATUS_STYLE.get(status, "")
        text = f"[{style}]{status}[/] {detail}"[:160]
        if task is not None:
            total = self.progress.tasks[self._tasks[name]].total
            self.progress.update(task, total=total or 1, completed=total or 1, figures=text)
            self.progress.stop_task(task)
        if not self.enabled:
            self.console.print(f"{name}: {text}", highlight=False)
