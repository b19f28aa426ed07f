"""Running a study: group variants into jobs, run them on lanes with an affinity schedule.

Variants whose specs differ only in forecast settings share one fit (a *job*). Jobs run in
worker processes (one per core by default), each a single-process ``ProcessPoolExecutor``
(a *lane*) started with the ``forkserver`` context (``spawn`` where that is unavailable),
which imports PyMC once and forks workers from it. Compiling a model structure costs 20-40 s
while sampling a variant costs seconds, so :func:`_pick` keeps an affinity schedule: a free
lane first takes a job whose structure it has already compiled, then a structure no lane
has compiled yet (largest expected work first), and only splits a structure across lanes
when at least :data:`STEAL_MIN_VARIANTS` of its jobs are still waiting. With
``scheduler="tcp://host:8786"`` the same schedule runs on a Dask cluster, one lane per Dask
worker. :func:`run_study` is the entry point.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flopcast.exceptions import FlopcastError
from flopcast.study.result import StudyResult
from flopcast.study.spec import StudySpec, Variant, load_study
from flopcast.study.worker import _error_text, _run_job, _worker_init

__all__ = ["MIN_SCALED_DRAWS", "STEAL_MIN_VARIANTS", "run_study"]

#: A free worker starts compiling a structure that another worker already has only when at
#: least this many variants of it are still waiting (a compile costs about as much as
#: sampling three variants on a 2-core machine).
STEAL_MIN_VARIANTS: int = 3


def _fit_key(variant: Variant) -> str:
    """Variants with equal keys have the same fit (they differ only in forecast settings)."""
    values = variant.spec.to_dict()
    for key in ("name", "description", "forecast", "counts", "limits"):
        values.pop(key, None)
    return json.dumps(values, sort_keys=True)


@dataclass
class _Job:
    """Variants that share one fit, and the task sent to a worker."""

    variants: list[Variant]
    task: dict[str, Any]

    @property
    def structure(self) -> tuple:
        return self.variants[0].structure


#: The fewest draws per chain :func:`_scaled_sampler` leaves (4 chains: 1200 draws, three
#: times the 400 effective draws the diagnostics ask for).
MIN_SCALED_DRAWS: int = 300


def _scaled_sampler(spec: dict[str, Any], draws_scale: float | None) -> dict[str, Any]:
    """A spec dict whose ``sampler.draws`` is scaled by ``draws_scale`` (tuning unchanged)."""
    if draws_scale is None or draws_scale == 1:
        return spec
    sampler = dict(spec.get("sampler", {}))
    draws = int(sampler.get("draws", 1000))
    sampler["draws"] = max(min(draws, MIN_SCALED_DRAWS), round(draws * draws_scale))
    return {**spec, "sampler": sampler}


def _jobs(
    study: StudySpec, data: Any, seed: int | None, draws_scale: float | None = None
) -> list[_Job]:
    groups: dict[str, list[Variant]] = {}
    for variant in study.variants:
        groups.setdefault(_fit_key(variant), []).append(variant)
    jobs = []
    for variants in groups.values():
        task = {
            "spec": _scaled_sampler(variants[0].spec.to_dict(), draws_scale),
            "structure": variants[0].describe_structure(),
            "data": data,
            "seed": seed,
            "entries": [
                {
                    "label": v.label,
                    "question": v.question,
                    "options": v.options.model_dump(mode="json"),
                    "forecast": v.spec.forecast.model_dump(mode="json"),
                    "limits": v.spec.limits.model_dump(mode="json"),
                }
                for v in variants
            ],
        }
        jobs.append(_Job(variants, task))
    return jobs


# --------------------------------------------------------------------------------------
# Running: lanes (one worker each) and the affinity schedule


class _ProcessLane:
    """One worker process (a single-process pool), so a compiled model stays with it."""

    def __init__(self, context: Any, name: str) -> None:
        self.name = name
        self._context = context
        self._executor = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=1, mp_context=self._context, initializer=_worker_init
        )

    def submit(self, task: dict[str, Any]) -> cf.Future:
        return self._executor.submit(_run_job, task)

    def restart(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new()

    def close(self, *, cancel: bool = False) -> None:
        self._executor.shutdown(wait=not cancel, cancel_futures=cancel)


class _DaskLane:
    """One Dask worker; tasks are pinned to it so its compiled models are reused."""

    def __init__(self, client: Any, address: str) -> None:
        self.name = address
        self._client = client
        self._futures: set[Any] = set()

    def submit(self, task: dict[str, Any]) -> cf.Future:
        out: cf.Future = cf.Future()
        future = self._client.submit(
            _run_job,
            task,
            workers=[self.name],
            # A loose restriction: if this worker is lost, another may run the variant
            # (compiling again) instead of the task waiting forever for it.
            allow_other_workers=True,
            pure=False,
            key=f"flopcast-study-{task['entries'][0]['label']}-{uuid.uuid4().hex[:8]}",
        )
        self._futures.add(future)

        def _relay(done: Any) -> None:
            self._futures.discard(done)
            try:
                out.set_result(done.result())
            except BaseException as exc:  # relay whatever the worker raised
                out.set_exception(exc)

        future.add_done_callback(_relay)
        return out

    def restart(self) -> None:  # a lost Dask worker is the cluster's business
        pass

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for future in list(self._futures):
                future.cancel()


def _pick(pending: list[_Job], lane: int, compiled: list[set[tuple]]) -> int | None:
    """Index in ``pending`` of the job a free lane should take next, or None to wait.

    First a job whose structure this lane has compiled; then a structure no lane has
    (largest expected work first: latent-form sampling is slow); then, only when at least
    :data:`STEAL_MIN_VARIANTS` jobs of one structure wait, a second copy of that structure.
    """
    if not pending:
        return None
    mine = compiled[lane]
    for i, job in enumerate(pending):
        if job.structure in mine:
            return i
    claimed = set().union(*compiled)
    counts: dict[tuple, int] = {}
    for job in pending:
        counts[job.structure] = counts.get(job.structure, 0) + 1

    def work(structure: tuple) -> float:
        latent = structure[5] == "latent"
        return 3.0 + counts[structure] * (8.0 if latent else 1.0)

    fresh = [s for s in counts if s not in claimed]
    if fresh:
        target = max(fresh, key=work)
    else:
        target = max(counts, key=lambda s: counts[s])
        if counts[target] < STEAL_MIN_VARIANTS:
            return None
    return next(i for i, job in enumerate(pending) if job.structure == target)


class _Progress:
    """A progress bar on stderr (rich when available), or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled
        self._rich: Any = None
        self._task: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:
            self._line(f"study: 0/{total} variants")
            return
        self._rich = Progress(
            TextColumn("study"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._rich.start()
        self._task = self._rich.add_task("", total=total)

    def _line(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def running(self, labels: Sequence[str]) -> None:
        if self._rich is not None:
            self._rich.update(self._task, description="running: " + ", ".join(labels))

    def advance(self, row: dict[str, Any]) -> None:
        self.done += 1
        if not self.enabled:
            return
        status = row.get("status", "?")
        text = f"[{self.done}/{self.total}] {row['label']}: {status} ({row.get('wall_s', 0):.1f} s)"
        if self._rich is not None:
            self._rich.console.print(text, markup=False, highlight=False)
            self._rich.advance(self._task)
        else:
            self._line(text)

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


def _context() -> Any:
    """``forkserver`` (workers fork from a server that imported PyMC once), else ``spawn``."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["flopcast.fitting.sampling", "flopcast.forecasting", "flopcast.cost"]
        )
        return ctx
    return mp.get_context("spawn")


def _default_processes() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _dask_lanes(scheduler: Any) -> tuple[list[_DaskLane], Any, bool]:
    try:
        from dask.distributed import Client
    except ImportError:
        raise FlopcastError(
            f'scheduler={scheduler!r} needs Dask: pip install "dask[distributed]"'
        ) from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="30s", set_as_default=False) if own else scheduler
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=60)
    except (OSError, TimeoutError) as exc:
        raise FlopcastError(
            f"scheduler={scheduler!r}: cannot use the Dask cluster ({exc})"
        ) from None
    workers = sorted(client.scheduler_info()["workers"])
    return [_DaskLane(client, address) for address in workers], client, own


def _failed_rows(job: _Job, status: str, wall: float) -> list[dict[str, Any]]:
    return [
        {
            "label": v.label,
            "question": v.question,
            "structure": v.describe_structure(),
            "status": status,
            "wall_s": wall,
        }
        for v in job.variants
    ]


def _execute(jobs: list[_Job], lanes: list[Any], progress: _Progress) -> dict[str, dict]:
    """Run every job on the lanes with the affinity schedule; rows by label."""
    pending = list(jobs)
    compiled: list[set[tuple]] = [set() for _ in lanes]
    running: dict[cf.Future, tuple[int, _Job, float]] = {}
    free = list(range(len(lanes)))
    rows: dict[str, dict[str, Any]] = {}

    def start(lane: int, index: int) -> None:
        job = pending.pop(index)
        compiled[lane].add(job.structure)
        running[lanes[lane].submit(job.task)] = (lane, job, time.perf_counter())
        free.remove(lane)

    while pending or running:
        # Lanes that already compiled a waiting structure choose first.
        waiting = {job.structure for job in pending}
        for lane in sorted(free, key=lambda i: not (compiled[i] & waiting)):
            index = _pick(pending, lane, compiled)
            if index is not None:
                start(lane, index)
        if pending and not running:
            start(free[0], 0)  # nothing else would free a lane: never wait forever
        progress.running([v.label for _, job, _ in running.values() for v in job.variants])
        done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
        for future in done:
            lane, job, started = running.pop(future)
            try:
                results = future.result()
            except Exception as exc:  # the worker died, or the task could not be sent
                status = f"error: worker {lanes[lane].name} failed ({_error_text(exc)})"
                results = _failed_rows(job, status, time.perf_counter() - started)
                if isinstance(exc, cf.process.BrokenProcessPool):
                    lanes[lane].restart()
                    compiled[lane] = set()
            for row in results:
                rows[row["label"]] = row
                progress.advance(row)
            free.append(lane)
    return rows


# --------------------------------------------------------------------------------------
# The entry point


def run_study(
    study: StudySpec | str | Path,
    *,
    data: Any = None,
    processes: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    seed: int | None = None,
    only: Iterable[str] | None = None,
    draws_scale: float | None = None,
) -> StudyResult:
    """Fit and forecast the base and every variant of a study.

    Parameters
    ----------
    study : StudySpec, str or Path
        A study, a study file, or the name of a shipped study (``"policy_sensitivity"``).
    data : RunTable or DataFrame, optional
        Runs to fit for every variant (as in :func:`flopcast.fit`); by default each
        variant's ``data.source`` (the bundled data).
    processes : int, optional
        Worker processes; default one per available core (at most one per variant).
        ``1`` runs every variant in this process, one after another (compiled models stay
        in this process's cache, as in a notebook).
    scheduler : str or dask.distributed.Client, optional
        Run the variants on a Dask cluster instead (``"tcp://host:8786"``): one lane per
        Dask worker, with the same compile-reuse schedule. ``processes`` is ignored.
    progress : bool, optional
        Progress bar and one line per finished variant on stderr; default only when stderr
        is a terminal.
    seed : int, optional
        Sampler and forecast seed of every variant; default each spec's ``sampler.seed``
        (the same for all variants unless overridden, so differences between rows are
        not sampling noise).
    only : iterable of str, optional
        Run only these variants (and the base).
    draws_scale : float, optional
        Multiply every variant's ``sampler.draws`` by this (tuning unchanged; at least
        :data:`MIN_SCALED_DRAWS` per chain unless the spec asks for fewer). A study
        reports medians and 90% intervals, for which a bulk and tail ESS of about 1000
        suffices: ``0.5`` halves sampling after warm-up and the forecasts' work (each
        forecast uses every posterior draw) while the rows' ``min_ess_bulk`` and
        ``min_ess_tail`` say whether that held. Default: each spec's draws (the
        results do not change).

    Returns
    -------
    StudyResult
        One row per variant, the base first, in the study's order. Variants that raised
        have status ``"error: ..."``; those whose diagnostics failed ``"diagnostics
        failed"``; the others ``"ok"``.

    Raises
    ------
    SpecError
        When the study is invalid (before anything runs).
    FlopcastError
        When the Dask scheduler cannot be reached.

    Examples
    --------
    >>> result = run_study("policy_sensitivity", processes=2)      # doctest: +SKIP
    >>> result.table().set_index("label").loc["three_eras", "doubling_latest"]  # doctest: +SKIP
    """
    if not isinstance(study, StudySpec):
        study = load_study(study)
    if only:
        study = study.select(only)
    if processes is not None and (not isinstance(processes, int) or processes < 1):
        raise FlopcastError(f"processes={processes!r}: give a positive number of processes")
    if draws_scale is not None and not 0 < draws_scale <= 10:
        raise FlopcastError(f"draws_scale={draws_scale!r}: give a factor in (0, 10]")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    jobs = _jobs(study, data, seed, draws_scale)
    started = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    bar = _Progress(len(study.variants), show)
    client = None
    own_client = False
    lanes: list[Any] = []
    mode: str
    try:
        if scheduler is not None:
            lanes, client, own_client = _dask_lanes(scheduler)
            mode = f"dask ({len(lanes)} worker(s) at {client.scheduler.address})"
            rows = _execute(jobs, lanes, bar)
        else:
            n = min(processes or _default_processes(), len(jobs))
            if n == 1:
                mode = "in process"
                _worker_init()
                rows = {}
                # Grouped by structure (the base's first): one compile per structure.
                first_seen: dict[tuple, int] = {}
                for job in jobs:
                    first_seen.setdefault(job.structure, len(first_seen))
                for job in sorted(jobs, key=lambda j: first_seen[j.structure]):
                    bar.running([v.label for v in job.variants])
                    for row in _run_job(job.task):
                        rows[row["label"]] = row
                        bar.advance(row)
            else:
                ctx = _context()
                mode = f"{n} worker processes ({ctx.get_start_method()})"
                lanes = [_ProcessLane(ctx, f"process {i + 1}") for i in range(n)]
                rows = _execute(jobs, lanes, bar)
    except BaseException:
        for lane in lanes:
            lane.close(cancel=True)
        raise
    finally:
        bar.close()
        if client is not None and own_client:
            client.close()
    for lane in lanes:
        lane.close()
    ordered = [rows[v.label] for v in study.variants]
    return StudyResult(
        study=study,
        rows=ordered,
        wall_s=time.perf_counter() - start,
        mode=mode,
        started=started.isoformat(timespec="seconds"),
        seed=seed,
    )
