"""A participant's hyperparameter search on a bounty: a background job over ``ml.search``.

The search runs in a thread of the dashboard (or of the CLI); its trials run as tasks of the
executor (the local pool, or Ray when ``HYPERBOUNTY_RAY_ADDRESS`` is set). The study is a SQLite
file in this data dir (``participant/search/``), one per bounty, so a search started again after a
restart continues where it was; pages and the CLI read it back with :func:`search_view`. Only the
published train and validation files are used: the test split stays hidden until the reveal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actions.jobs import JobCancelled
from actions.tasks import fetch_task
from ml import search
from ml.executor import RayExecutor
from ml.manifest import TaskManifest
from ml.train import xla_cache_dir_for

if TYPE_CHECKING:
    import optuna

    from actions.jobs import JobRunner, JobView, Progress
    from actions.session import Backend
    from settings import Settings


def search_key(bounty_id: int, participant: str) -> str:
    return f"search:{bounty_id}:{participant}"


def study_path(settings: Settings, bounty_id: int) -> Path:
    """The bounty's study file in this data dir (one study per task manifest inside it)."""
    return settings.path("participant", "search", f"bounty-{int(bounty_id)}.sqlite3")


def study_name(manifest: TaskManifest) -> str:
    return f"task-{manifest.cid()}"


def search_job(
    progress: Progress,
    manifest_bytes: bytes,
    files: dict[str, bytes],
    path: str,
    trials: int | None,
    seconds: float | None,
    parallel: int | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Background job: run or resume the study; progress says finished trials and the best so far.

    Cancelling the job stops the search: running trials are queued again for the next start.
    """
    manifest = TaskManifest.from_bytes(manifest_bytes)

    def relay(event: search.SearchProgress) -> None:
        best = f"{event.best_value_ppm / 10_000:.2f} %" if event.best_value_ppm is not None else "none yet"
        with contextlib.suppress(JobCancelled):  # the search sees it through ``stop``, ends on its terms
            progress(
                event.finished / trials if trials else None,
                f"{event.finished} trial(s) finished, {event.running} running; best {best}",
                finished=event.finished,
                running=event.running,
                best_value_ppm=event.best_value_ppm,
                best=event.best_hyperparameters,
            )

    result = search.run_search(
        manifest,
        files,
        Path(path),
        study_name=study_name(manifest),
        trials=trials,
        seconds=seconds,
        parallel=parallel,
        progress=relay,
        stop=progress.cancelled,
        xla_cache_dir=xla_cache_dir_for(settings) if settings else None,
    )
    return {
        "finished": result.finished,
        "ran": result.ran,
        "stopped": result.stopped,
        "best_value_ppm": result.best_value_ppm,
        "best": result.best_hyperparameters,
    }


def start_search(
    backend: Backend,
    bounty_id: int,
    participant: str,
    trials: int | None = 30,
    seconds: float | None = None,
    parallel: int | None = None,
    runner: JobRunner | None = None,
) -> JobView:
    """Fetch the public task files (checked by CID), then search in the background."""
    if trials is None and seconds is None:
        raise ValueError("Give a number of trials, a time budget, or both.")
    manifest, files = fetch_task(backend, bounty_id)
    return (runner or backend.jobs).start(
        search_key(bounty_id, participant),
        f"Search on bounty {bounty_id}",
        search_job,
        manifest.to_bytes(),
        files,
        str(study_path(backend.settings, bounty_id)),
        trials,
        seconds,
        parallel=parallel,
        settings=backend.settings,
    )


def stop_search(backend: Backend, bounty_id: int, participant: str) -> None:
    """Stop the running search (it ends after cancelling its running trials)."""
    backend.jobs.cancel(search_key(bounty_id, participant))


@dataclass
class SearchView:
    """What the Search panel shows: the study (for the plotly figures), its trials, the best."""

    study: optuna.Study
    trials: list[dict[str, Any]] = field(default_factory=list)
    best_value_ppm: int | None = None
    best: dict[str, int] | None = None

    @property
    def completed(self) -> int:
        return sum(1 for row in self.trials if row["state"] == "complete")


def search_view(settings: Settings, bounty_id: int, manifest: TaskManifest) -> SearchView | None:
    """The bounty's study as stored in this data dir, or None before any search ran."""
    path = study_path(settings, bounty_id)
    if not path.is_file():
        return None
    study = search.open_study(path, study_name(manifest))
    best_ppm, best = search.best_of(study)
    return SearchView(study, search.trials_table(study), best_ppm, best)


def search_now(
    backend: Backend,
    bounty_id: int,
    trials: int | None = 30,
    seconds: float | None = None,
    parallel: int | None = None,
    ray_address: str | None = None,
    progress: Callable[[search.SearchProgress], None] | None = None,
    seed: int | None = None,
) -> search.SearchResult:
    """Run or resume the bounty's search in this thread (the CLI): on the Ray cluster at
    ``ray_address`` when given, else on the executor the settings choose."""
    manifest, files = fetch_task(backend, bounty_id)
    executor = RayExecutor(ray_address, timeout_s=backend.settings.task_timeout_s) if ray_address else None
    try:
        return search.run_search(
            manifest,
            files,
            study_path(backend.settings, bounty_id),
            study_name=study_name(manifest),
            trials=trials,
            seconds=seconds,
            parallel=parallel,
            executor=executor,
            progress=progress,
            seed=seed,
            xla_cache_dir=xla_cache_dir_for(backend.settings),
        )
    finally:
        if executor is not None:
            executor.close()
