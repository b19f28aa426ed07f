"""Rebuild the bundled run table from the Epoch AI snapshot.

Usage (from the repository root)::

    python data/build_dataset.py [SOURCE_CSV] [--out-dir DIR]

SOURCE_CSV defaults to ``../shared/data/epoch/all_ml_systems.csv`` next to the repository.
Writes, into ``data/`` by default:

* ``runs.csv``: every system with a usable training-compute estimate, canonical columns
  (see ``README.md``), sorted by date then system;
* ``excluded.csv``: every snapshot row left out, with its line in the snapshot and the reason;
* ``snapshot.json``: provenance (source file, its sha256, snapshot date, counts).

The script is deliberately thin: it uses the same importer as the package
(:func:`flopcast.runs.read_runs`), so the bundled data and a user's re-import of the same export
agree. The future-date check uses the snapshot's own date (its latest "Last modified"), not the
wall clock, so rebuilding gives byte-identical files on any day.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "epoch" / "all_ml_systems.csv"

try:  # an installed flopcast, or a source tree on sys.path
    from flopcast import runs as fio
except ModuleNotFoundError:  # running from a checkout without installing
    sys.path.insert(0, str(REPO / "src"))
    from flopcast import runs as fio

import pandas as pd  # noqa: E402  (after the path fallback above, like flopcast)


def snapshot_date(source: Path) -> str:
    """The snapshot's date: the latest "Last modified" stamp in the export (YYYY-MM-DD)."""
    header = pd.read_csv(source, nrows=0).columns
    if "Last modified" not in header:
        raise SystemExit(
            f"{source}: no 'Last modified' column, so the snapshot date is unknown; "
            "pass --snapshot-date YYYY-MM-DD"
        )
    stamps = pd.to_datetime(
        pd.read_csv(source, usecols=["Last modified"])["Last modified"], errors="coerce"
    )
    return f"{stamps.max():%Y-%m-%d}"


def _as_dict(counts: pd.DataFrame, key: str) -> dict[str, int]:
    value = "runs" if "runs" in counts else "rows"
    return {str(k): int(v) for k, v in zip(counts[key], counts[value], strict=True)}


def build(source: Path, out_dir: Path, date: str | None = None) -> dict:
    """Import ``source`` and write runs.csv, excluded.csv and snapshot.json into ``out_dir``."""
    date = date or snapshot_date(source)
    table = fio.read_runs(source, format="epoch", today=date)
    out_dir.mkdir(parents=True, exist_ok=True)

    fio.write_runs(table.runs, out_dir / "runs.csv")
    excluded = table.excluded.assign(file=source.name)
    excluded.to_csv(out_dir / "excluded.csv", index=False, lineterminator="\n")

    summary = fio.summarize_runs(table)
    meta = {
        "source_file": source.name,
        "source_sha256": table.sha256,
        "snapshot_date": date,
        "source_rows": table.n_input_rows,
        "usable_runs": len(table.runs),
        "excluded_rows": len(table.excluded),
        "problems": len(table.problems) - len(table.warnings),
        "plausibility_warnings": len(table.warnings),
        "excluded_by_reason": _as_dict(summary["exclusions"], "reason"),
        "runs_by_method": _as_dict(summary["method"], "method"),
        "runs_by_confidence": _as_dict(summary["confidence"], "confidence"),
        "runs_by_era": _as_dict(summary["era"], "era"),
        "runs_sha256": fio.data_hash(table.runs),
        "build_command": "python data/build_dataset.py",
        "licence": "CC BY 4.0 (Epoch AI); see data/README.md",
    }
    (out_dir / "snapshot.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--snapshot-date", default=None, help="override the snapshot date")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"source file not found: {args.source}")
    meta = build(args.source, args.out_dir, args.snapshot_date)
    print(
        f"{meta['source_file']} (snapshot {meta['snapshot_date']}): {meta['source_rows']} rows, "
        f"{meta['usable_runs']} usable, {meta['excluded_rows']} excluded "
        f"{meta['excluded_by_reason']}; {meta['problems']} problems"
    )
    print(f"wrote {args.out_dir / 'runs.csv'}, excluded.csv, snapshot.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
