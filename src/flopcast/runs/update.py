"""Downloading Epoch AI's current data: ``flopcast data update`` and ``--data latest``.

Epoch AI publishes its database of AI models as CSV files, updated daily (CC BY 4.0), under
``https://epoch.ai/data/`` (:data:`DATASETS`). :func:`update_data` downloads one of them
with `pooch <https://www.fatiando.org/pooch/>`_ (retries, a partial download never reaches
the target name, and an optional pinned SHA-256 is checked), validates it with the same
importer as any runs file (:func:`flopcast.runs.read_runs`), checks its row count against the
previous copy, and only then stores it in the user cache (``cache_dir("epoch")``:
``<dataset>.csv`` beside ``<dataset>.json``, its download record with URL, time and hash).
Both are written atomically, so a failed, partial or invalid download leaves the previous
copy as it was; the error says why in one line.

:func:`load_latest` (``flopcast.load_runs("latest")``, ``--data latest``) reads the copy back
and checks it against its record. :func:`diff_tables` compares two run tables: new runs,
changed estimates (with the factor), removed runs and new runs without an estimate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flopcast.atomic import write_bytes_atomic, write_text_atomic
from flopcast.exceptions import DataUpdateError, DataValidationError
from flopcast.userdirs import cache_dir, cache_root

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "Dataset",
    "RunDiff",
    "UpdateResult",
    "diff_tables",
    "download_record",
    "latest_path",
    "load_latest",
    "update_data",
]

#: Version of the download record (``<dataset>.json``).
RECORD_VERSION = 1
#: A new copy with fewer than this fraction of the previous copy's rows is refused.
MIN_ROW_FRACTION = 0.5
#: Fewest usable runs a downloaded export must have.
MIN_RUNS = 1
#: Seconds without an answer before a download is abandoned.
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Dataset:
    """One of Epoch AI's public datasets: its download URL and its compute floor, if any."""

    name: str
    url: str
    description: str
    floor_flop: float | None = None


_BASE = "https://epoch.ai/data/"

#: Epoch AI's public datasets (documentation: https://epoch.ai/data/ai-models-documentation).
DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("all", _BASE + "all_ai_models.csv", "every model in Epoch's database"),
        Dataset("notable", _BASE + "notable_ai_models.csv", "notable models"),
        Dataset(
            "large-scale",
            _BASE + "large_scale_ai_models.csv",
            "models trained with more than 1e23 FLOP",
            floor_flop=1e23,
        ),
        Dataset(
            "frontier",
            _BASE + "frontier_ai_models.csv",
            "models in the top 10 by training compute when released",
        ),
    )
}

#: The dataset ``flopcast data update`` downloads by default (the bundled snapshot's source).
DEFAULT_DATASET = "all"


@dataclass(frozen=True)
class RunDiff:
    """What changed between two run tables (matched by system name, case-insensitively).

    ``new``: runs with an estimate not listed before (system, date, organization,
    compute_flop). ``changed``: runs whose estimate changed (system, old_flop, new_flop,
    factor = new/old). ``removed``: runs listed before and not now. ``new_undisclosed``:
    runs listed for the first time, without an estimate (system, date, organization).
    """

    baseline: str
    new: pd.DataFrame
    changed: pd.DataFrame
    removed: pd.DataFrame
    new_undisclosed: pd.DataFrame
    #: Why a part was not compared (e.g. removed runs against a wider baseline).
    note: str = ""

    def format(self, max_rows: int = 15) -> str:
        """The diff as plain text, at most ``max_rows`` names per part."""
        lines = [f"Changes since {self.baseline}:"]
        parts = (
            ("new runs", self.new, _describe_new),
            ("estimate changed", self.changed, _describe_changed),
            ("removed", None if self.note else self.removed, lambda r: str(r.system)),
            ("new runs without a compute estimate", self.new_undisclosed, _describe_new),
        )
        for title, frame, describe in parts:
            if frame is None:
                lines.append(f"  {title}: {self.note}")
                continue
            lines.append(f"  {title}: {len(frame)}")
            for row in frame.head(max_rows).itertuples():
                lines.append(f"    {describe(row)}")
            if len(frame) > max_rows:
                lines.append(f"    ... and {len(frame) - max_rows} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class UpdateResult:
    """A completed update: where the copy is, its download record, and the diff."""

    path: Path
    record: dict[str, Any]
    diff: RunDiff

    def summary(self) -> str:
        """Two lines: what was stored, from where, with which hash."""
        r = self.record
        return (
            f"Updated Epoch AI dataset {r['dataset']!r} from {r['url']}\n"
            f"  {r['n_rows']} rows: {r['n_runs']} usable runs, {r['n_undisclosed']} without a "
            f"compute estimate, {r['n_excluded'] - r['n_undisclosed']} excluded for problems; "
            f"newest {r['last_date']}; sha256 {r['sha256'][:12]}; stored in {self.path}"
        )


def _epoch_dir(create: bool = True) -> Path:
    return cache_dir("epoch") if create else cache_root() / "epoch"


def _paths(dataset: str) -> tuple[Path, Path]:
    folder = _epoch_dir()
    return folder / f"{dataset}.csv", folder / f"{dataset}.json"


def _dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise DataUpdateError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)} (or pass --url)"
        )
    return DATASETS[name]


def _download(url: str, timeout: float, known_hash: str | None) -> bytes:
    """The body at ``url`` (pooch: retried, written whole or not at all, hash checked)."""
    import pooch

    folder = Path(tempfile.mkdtemp(prefix="flopcast-download-"))
    try:
        downloader = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
        hash_arg = f"sha256:{known_hash}" if known_hash else None
        logger = pooch.get_logger()
        level = logger.level
        logger.setLevel("WARNING")  # pooch announces every download at INFO level
        try:
            path = pooch.retrieve(
                url, known_hash=hash_arg, fname="download.csv", path=folder, downloader=downloader
            )
        except ValueError as exc:  # pooch's hash mismatch
            raise DataUpdateError(f"download from {url} failed its hash check: {exc}") from None
        except Exception as exc:  # requests' errors, with their messages
            raise DataUpdateError(f"download from {url} failed: {_one_line(exc)}") from None
        finally:
            logger.setLevel(level)
        return Path(path).read_bytes()
    finally:
        for item in folder.iterdir():
            item.unlink(missing_ok=True)
        folder.rmdir()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if "timed out" in text.lower() or "timeout" in name.lower():
        return f"no answer within the time limit ({name})"
    return f"{name}: {text[:300]}"


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


def _read_record(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def download_record(path: str | Path, sha256: str) -> dict[str, Any]:
    """The download record of ``path`` when it is a copy in flopcast's cache, else ``{}``.

    Only a record whose hash matches the file's (``sha256``) is returned.
    """
    path = Path(path)
    if path.suffix != ".csv" or path.parent.resolve() != _epoch_dir(create=False).resolve():
        return {}
    record = _read_record(path.with_suffix(".json"))
    return record if record.get("sha256") == sha256 else {}


def _previous(dataset: str):
    """The previous copy of ``dataset`` (a RunTable) or None when there is none or it is bad."""
    from flopcast.runs.table import read_runs

    csv_path, _ = _paths(dataset)
    if not csv_path.is_file():
        return None
    try:
        return read_runs(csv_path)
    except (DataValidationError, OSError):
        return None


def update_data(
    dataset: str = DEFAULT_DATASET,
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    sha256: str | None = None,
    force: bool = False,
    today: dt.date | str | None = None,
) -> UpdateResult:
    """Download, validate and store Epoch AI's current export of ``dataset``.

    Parameters
    ----------
    dataset
        A name in :data:`DATASETS`; names the cached copy (``<dataset>.csv``).
    url
        Download from here instead of the dataset's default URL (a mirror, a local server).
    timeout
        Seconds to wait for the server.
    sha256
        Expected SHA-256 of the file (pooch refuses any other content).
    force
        Store the copy even when it has fewer than half the rows of the previous one.
    today
        Dates after this day count as future-date problems (default: today).

    Returns
    -------
    UpdateResult

    Raises
    ------
    DataUpdateError
        When the download fails, is not a valid export, or has too few rows. The previous
        copy is then left untouched.
    """
    from flopcast.runs.table import _read_bytes, load_runs

    spec = _dataset(dataset)
    source_url = url or spec.url
    data = _download(source_url, timeout, sha256)
    if not data.strip():
        raise DataUpdateError(f"download from {source_url} is empty; previous copy kept")
    if _looks_like_html(data):
        raise DataUpdateError(
            f"download from {source_url} is an HTML page, not a CSV export (an error or login "
            "page?); previous copy kept"
        )
    try:
        table = _read_bytes(data, source_url, format="epoch", today=today)
    except DataValidationError as exc:
        first = str(exc).splitlines()[0]
        raise DataUpdateError(f"not a valid Epoch export: {first}; previous copy kept") from None
    if len(table.runs) < MIN_RUNS:
        raise DataUpdateError(
            f"download from {source_url} has no usable run ({table.n_input_rows} rows); "
            "previous copy kept"
        )
    previous = _previous(dataset)
    if (
        previous is not None
        and not force
        and table.n_input_rows < MIN_ROW_FRACTION * previous.n_input_rows
    ):
        raise DataUpdateError(
            f"download from {source_url} has {table.n_input_rows} rows, fewer than half of the "
            f"previous copy's {previous.n_input_rows} (truncated?); previous copy kept "
            "(--force stores it anyway)"
        )
    if previous is not None:
        baseline, label = previous, f"the previous update ({previous.origin.get('downloaded')})"
    else:
        baseline = load_runs()
        label = "the bundled snapshot" + (f" ({_snapshot_date()})" if _snapshot_date() else "")
    last = table.runs["date"].max()
    record = {
        "json_version": RECORD_VERSION,
        "dataset": dataset,
        "url": source_url,
        "downloaded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "n_rows": table.n_input_rows,
        "n_runs": len(table.runs),
        "n_excluded": len(table.excluded),
        "n_undisclosed": len(table.undisclosed),
        "n_problems": len(table.problems),
        "last_date": f"{last:%Y-%m-%d}",
        "floor_flop": spec.floor_flop if url is None or spec.floor_flop else None,
        "missing_columns": _missing_optional(data),
        "ignored_columns": list(table.ignored_columns),
    }
    csv_path, record_path = _paths(dataset)
    write_bytes_atomic(csv_path, data)
    write_text_atomic(record_path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    write_text_atomic(
        _epoch_dir() / "latest.json",
        json.dumps({"json_version": RECORD_VERSION, "dataset": dataset}, indent=2) + "\n",
    )
    wider = previous is None and dataset != "all"  # the bundled snapshot holds every model
    diff = diff_tables(baseline, table, label, compare_removed=not wider)
    return UpdateResult(csv_path, record, diff)


def _missing_optional(data: bytes) -> list[str]:
    """Epoch's optional columns that the export lacks (it still loads without them)."""
    import csv
    import io

    from flopcast.runs.decode import normalize_header
    from flopcast.runs.epoch import EPOCH_COLUMN_ALIASES
    from flopcast.runs.schema import REQUIRED_COLUMNS

    first = data.decode("utf-8-sig", errors="replace").splitlines()[:1] or [""]
    headers = {normalize_header(h) for h in next(csv.reader(io.StringIO(first[0])), [])}
    return [
        aliases[0]
        for col, aliases in EPOCH_COLUMN_ALIASES.items()
        if col not in REQUIRED_COLUMNS and not headers & {normalize_header(a) for a in aliases}
    ]


def _snapshot_date() -> str:
    from flopcast.runs.table import _bundled_metadata

    return str(_bundled_metadata().get("snapshot_date", ""))


def latest_path(dataset: str | None = None) -> Path:
    """Path of the downloaded copy of ``dataset`` (default: the one updated last).

    Raises
    ------
    DataUpdateError
        When nothing was downloaded yet.
    """
    folder = _epoch_dir(create=False)
    if dataset is None:
        dataset = _read_record(folder / "latest.json").get("dataset")
        if not dataset:
            raise DataUpdateError(
                f"no downloaded data in {folder}: run `flopcast data update` first "
                "(or use the bundled data)"
            )
    _dataset(dataset)
    csv_path = folder / f"{dataset}.csv"
    if not csv_path.is_file():
        raise DataUpdateError(
            f"no downloaded copy of {dataset!r} in {folder}: run "
            f"`flopcast data update --dataset {dataset}` first"
        )
    return csv_path


def load_latest(dataset: str | None = None):
    """The downloaded copy of ``dataset`` (default: the one updated last), as a RunTable.

    Its ``origin`` holds the download record (URL, time, hash) and its ``note`` says where it
    came from.

    Raises
    ------
    DataUpdateError
        When nothing was downloaded yet, or the copy does not match its record.
    """
    from flopcast.runs.table import read_runs

    csv_path = latest_path(dataset)
    record_path = csv_path.with_suffix(".json")
    table = read_runs(csv_path)
    if not table.origin:
        raise DataUpdateError(
            f"{csv_path} does not match its download record {record_path.name}; run "
            "`flopcast data update` again"
        )
    return replace(table, format="epoch")


def diff_tables(
    old, new, baseline: str = "the previous table", *, compare_removed: bool = True
) -> RunDiff:
    """Compare two run tables: new runs, changed estimates, removed runs, new undisclosed.

    With ``compare_removed=False`` (a baseline that holds more kinds of runs than ``new``,
    such as the bundled all-models snapshot against the large-scale list) no run counts as
    removed.

    Examples
    --------
    >>> from flopcast.runs import load_runs
    >>> diff = diff_tables(load_runs(), load_runs())
    >>> len(diff.new), len(diff.changed), len(diff.removed)
    (0, 0, 0)
    """

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out["key"] = out["system"].astype("str").str.strip().str.casefold()
        if "organization" not in out:
            out["organization"] = ""
        return out.drop_duplicates("key").set_index("key")

    old_runs, new_runs = keyed(old.runs), keyed(new.runs)
    old_und, new_und = keyed(old.undisclosed), keyed(new.undisclosed)
    old_all = old_runs.index.union(old_und.index)
    new_all = new_runs.index.union(new_und.index)

    cols = ["system", "date", "organization"]
    added = new_runs.loc[~new_runs.index.isin(old_all), [*cols, "compute_flop"]]
    both = new_runs.index.intersection(old_runs.index)
    old_c = old_runs.loc[both, "compute_flop"].astype(float)
    new_c = new_runs.loc[both, "compute_flop"].astype(float)
    factor = new_c / old_c
    moved = ~np.isclose(factor.to_numpy(), 1.0, rtol=1e-6)
    changed = pd.DataFrame(
        {
            "system": new_runs.loc[both, "system"],
            "old_flop": old_c,
            "new_flop": new_c,
            "factor": factor,
        }
    ).loc[moved]
    changed = changed.iloc[np.argsort(-np.abs(np.log(changed["factor"].to_numpy())))]
    removed_keys = old_all.difference(new_all)
    removed_names = pd.concat([old_runs["system"], old_und["system"]])
    removed_names = removed_names[~removed_names.index.duplicated()]
    removed = pd.DataFrame({"system": removed_names.loc[removed_keys].to_numpy()})
    note = ""
    if not compare_removed:
        removed, note = removed.iloc[:0], "not compared (the baseline holds other kinds of runs)"
    undisclosed = new_und.loc[~new_und.index.isin(old_all), cols]
    return RunDiff(
        baseline,
        added.sort_values(["date", "system"]).reset_index(drop=True),
        changed.reset_index(drop=True),
        removed.sort_values("system").reset_index(drop=True),
        undisclosed.sort_values(["date", "system"]).reset_index(drop=True),
        note,
    )


def _describe_new(row: Any) -> str:
    date = f"{row.date:%Y-%m-%d}" if pd.notna(row.date) else "no date"
    org = f", {row.organization}" if getattr(row, "organization", "") else ""
    flop = getattr(row, "compute_flop", None)
    compute = f": {flop:.3g} FLOP" if flop is not None and pd.notna(flop) else ""
    return f"{row.system} ({date}{org}){compute}"


def _describe_changed(row: Any) -> str:
    return f"{row.system}: {row.old_flop:.3g} -> {row.new_flop:.3g} FLOP (x{row.factor:.3g})"
