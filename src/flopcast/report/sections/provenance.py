"""Where the data and the fit came from: the data provenance and reproduction sections."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from flopcast import figures
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.report.document import (
    COLLAPSE_ROWS,
    REPORT_VERSION,
    Banner,
    Code,
    Details,
    Paragraph,
    Section,
    Table,
    slug,
)
from flopcast.report.spec_toml import spec_to_toml

if TYPE_CHECKING:
    from flopcast.runs import RunTable

__all__ = [
    "STALE_AFTER_DAYS",
    "data_age_blocks",
    "data_label",
    "is_bundled",
    "matching_data",
    "provenance_section",
    "reproduction_section",
]


def is_bundled(data: RunTable) -> bool:
    """Whether ``data`` is flopcast's bundled run table."""
    return "bundled data" in (getattr(data, "note", "") or "")


def data_label(fit: Fit, data: RunTable | None) -> str:
    """``bundled data`` or ``data from <file name>``, for the page header."""
    if data is not None:
        return "bundled data" if is_bundled(data) else f"data from {Path(data.source).name}"
    source = fit.provenance.get("data_source") or "unknown"
    return "bundled data" if source == "bundled" else f"data from {Path(str(source)).name}"


def matching_data(fit: Fit) -> RunTable | None:
    """The fit's data table, when it can be read again and its hash matches."""
    from flopcast import runs as io

    source = fit.provenance.get("data_source")
    try:
        if source == "bundled":
            table = io.load_runs(include_excluded=True)
        elif source and Path(str(source)).is_file():
            table = io.read_runs(str(source))
        else:
            return None
    except (FlopcastError, OSError):
        return None
    return table if table.sha256 == fit.data_sha256 else None


def _snapshot_metadata() -> dict[str, Any]:
    from flopcast.runs.bundled import bundled_data_path

    try:
        return json.loads(bundled_data_path("snapshot.json").read_text(encoding="utf-8"))
    except (FlopcastError, OSError, ValueError):
        return {}


#: The report warns when its data were taken more than this many days (six months) before it.
STALE_AFTER_DAYS = 183


def _data_date(fit: Fit, data: RunTable | None) -> tuple[dt.date | None, str]:
    """When the data were taken, and how that is known (download, snapshot, newest run)."""
    download = fit.provenance.get("data_download") or (getattr(data, "origin", None) or {})
    if download.get("downloaded"):
        return dt.datetime.fromisoformat(download["downloaded"]).date(), "downloaded"
    if fit.provenance.get("data_source") == "bundled":
        snapshot = _snapshot_metadata().get("snapshot_date")
        if snapshot:
            return dt.date.fromisoformat(str(snapshot)), "snapshot taken"
    runs = data.runs if data is not None else fit.runs
    if len(runs):
        return pd.Timestamp(runs["date"].max()).date(), "newest run published"
    return None, ""


def data_age_blocks(fit: Fit, data: RunTable | None, today: dt.date | None = None) -> list[Any]:
    """How old the data are on the report date, with a warning past :data:`STALE_AFTER_DAYS`.

    Examples
    --------
    >>> STALE_AFTER_DAYS
    183
    """
    today = today or dt.date.today()
    taken, how = _data_date(fit, data)
    if taken is None:
        return []
    days = (today - taken).days
    runs = data.runs if data is not None else fit.runs
    newest = f"; newest run {pd.Timestamp(runs['date'].max()):%Y-%m-%d}" if len(runs) else ""
    blocks: list[Any] = [
        Paragraph(
            f"data {how} {taken:%Y-%m-%d}, {days} days ({days / 30.44:.0f} months) before this "
            f"report ({today:%Y-%m-%d}){newest}.",
            lead="Age of the data. ",
        )
    ]
    if days > STALE_AFTER_DAYS:
        blocks.append(
            Banner(
                "note",
                f"Warning: the data are {days / 30.44:.0f} months older than this report",
                (
                    "Runs published since then are missing, so the latest part of the trend "
                    "and the frontier rest on old data.",
                    "flopcast data update downloads Epoch AI's current data; "
                    "flopcast report --data latest uses it.",
                ),
            )
        )
    return blocks


def _download_blocks(fit: Fit, data: RunTable | None) -> list[Any]:
    download = fit.provenance.get("data_download") or (getattr(data, "origin", None) or {})
    if not download:
        return []
    return [
        Paragraph(
            f"downloaded from {download.get('url', '?')} at {download.get('downloaded', '?')} "
            f"(Epoch AI dataset '{download.get('dataset', '?')}', {download.get('n_rows', '?')} "
            f"rows, sha256 {download.get('sha256', '?')}) by flopcast data update.",
            lead="Download. ",
        )
    ]


def _undisclosed_blocks(fit: Fit, data: RunTable | None) -> list[Any]:
    from flopcast.runs.summary import undisclosed_at_frontier

    censored = [
        s for s in fit.provenance.get("selection_log", []) if "censored" in str(s.get("step"))
    ]
    blocks: list[Any] = []
    undisclosed = getattr(data, "undisclosed", None)
    if (
        data is not None
        and undisclosed is not None
        and len(undisclosed)
        and undisclosed["date"].notna().any()
    ):
        frontier = undisclosed_at_frontier(data)
        names = ", ".join(frontier.runs["system"].tail(8)[::-1])
        blocks.append(
            Paragraph(
                f"{frontier.sentence()} (of {len(undisclosed)} runs listed without one)"
                + (f"; the most recent: {names}" if names else "")
                + ". Their developers did not disclose it; "
                + (
                    f"{censored[0].get('n_runs', 0)} of them enter the fit as censored "
                    "observations (compute at least a known lower bound)."
                    if censored
                    else "the fit leaves them out, so the observed frontier may lag the true "
                    "one (data.undisclosed = 'censored' uses them as lower bounds)."
                ),
                lead="Undisclosed compute. ",
            )
        )
    elif censored:
        blocks.append(
            Paragraph(
                f"{censored[0].get('n_runs', 0)} runs without a disclosed compute estimate "
                "enter the fit as censored observations.",
                lead="Undisclosed compute. ",
            )
        )
    return blocks


def provenance_section(fit: Fit, data: RunTable | None) -> Section:
    """The source and hash of the data, how the sample was formed, every excluded row."""
    from flopcast.runs import CHECK_LABELS

    sec = Section(slug("Data provenance"), "Data provenance")
    prov = fit.provenance
    source = prov.get("data_source") or "unknown"
    bundled = source == "bundled" and (data is None or is_bundled(data))
    if bundled:
        meta = _snapshot_metadata()
        sec.blocks.append(
            Paragraph(
                "Epoch AI, “Data on Notable AI Models” (file "
                f"{meta.get('source_file', '?')}), snapshot {meta.get('snapshot_date', '?')}, "
                f"licence {meta.get('licence', 'CC BY 4.0')}. Curated into flopcast's bundled "
                "run table by the command "
                f"{meta.get('build_command', 'python data/build_dataset.py')}, which documents "
                "every curation step.",
                lead="Source. ",
            )
        )
    else:
        where = data.source if data is not None else source
        sec.blocks.append(Paragraph(f"Runs file {where}.", lead="Source. "))
    sec.blocks.extend(_download_blocks(fit, data))
    sec.blocks.append(Paragraph(f"sha256 of the runs file: {fit.data_sha256}", lead="Hash. "))
    sec.blocks.extend(data_age_blocks(fit, data))
    sec.blocks.extend(_undisclosed_blocks(fit, data))

    n_excluded = int(prov.get("n_excluded", 0))
    n_input = (
        data.n_input_rows
        if data is not None
        else len(fit.runs)
        + n_excluded
        + sum(s.get("n_removed", 0) for s in prov.get("selection_log", []))
    )
    rows = [
        ("rows in the source", str(n_input)),
        ("excluded: no usable compute estimate or invalid", str(n_excluded)),
    ]
    for step in prov.get("selection_log", []):
        if step.get("step") == "input":
            rows.append(("usable runs", str(step.get("n_runs"))))
        elif "censored" in str(step.get("step")):
            rows.append(
                ("undisclosed runs entered as censored (lower bounds)", str(step["n_runs"]))
            )
        else:
            rows.append((f"left out by {step.get('step')}", str(step.get("n_removed", 0))))
    rows.append(("runs in the fit", str(len(fit.runs))))
    sec.blocks.append(
        Table(("", "rows"), tuple(rows), "How the fitted sample was formed.", (False, True))
    )

    runs = fit.runs
    boundary = fit.spec.errors.era_boundary
    early = runs["year"] < boundary
    method_rows = []
    for m in figures.METHOD_STYLES:
        sel = runs["method"] == m
        method_rows.append(
            (m, str(int((sel & early).sum())), str(int((sel & ~early).sum())), str(int(sel.sum())))
        )
    sec.blocks.append(
        Table(
            ("estimation method", f"before {boundary:g}", f"{boundary:g} and after", "runs"),
            tuple(method_rows),
            "Fitted runs by estimation method and error era.",
            (False, True, True, True),
        )
    )

    excluded = data.excluded if data is not None else None
    if excluded is None or excluded.empty:
        counts = prov.get("exclusion_counts", {})
        if counts:
            sec.blocks.append(
                Table(
                    ("reason", "rows"),
                    tuple((CHECK_LABELS.get(k, k), str(v)) for k, v in counts.items()),
                    "Excluded rows by reason. The row-by-row list needs the data file, which "
                    "was not available when this report was written.",
                    (False, True),
                )
            )
        else:
            sec.blocks.append(Paragraph("No input row was excluded."))
        return sec
    checks = excluded["check"].astype(str)
    groups = checks.value_counts(sort=True)
    summary_rows = []
    detail_blocks: list[Any] = []
    for check, count in groups.items():
        label = "; ".join(CHECK_LABELS.get(c, c) for c in str(check).split("; "))
        summary_rows.append((label, str(int(count))))
        part = excluded.loc[checks == check]
        cols = ("line in source file", "system", "column", "value", "reason")
        rows_ = tuple(
            (
                str(r.row),
                str(r.system),
                str(r.column),
                str(r.value),
                str(r.reason),
            )
            for r in part.itertuples()
        )
        table = Table(cols, rows_, "", (True, False, False, False, False))
        if count > COLLAPSE_ROWS:
            detail_blocks.append(
                Details(
                    f"All {int(count)} rows excluded because: {label} (click to expand)", (table,)
                )
            )
        else:
            detail_blocks.append(
                Table(
                    cols,
                    rows_,
                    f"Rows excluded because: {label}.",
                    (True, False, False, False, False),
                )
            )
    sec.blocks.append(
        Table(
            ("reason", "rows"),
            tuple(summary_rows),
            f"Every excluded input row ({len(excluded)}), by reason; each is listed below.",
            (False, True),
        )
    )
    sec.blocks.extend(detail_blocks)
    return sec


def reproduction_section(fit: Fit, command: str | None) -> Section:
    """The command line, seed, hash, versions and resolved spec that reproduce the report."""
    sec = Section(slug("Reproduction"), "Reproduction")
    spec_name = fit.spec.name
    cmd = command or (
        f"flopcast report --spec {spec_name} --seed {fit.seed}  "
        "# the command was not recorded; this is the equivalent"
    )
    sec.blocks.append(Paragraph("Command line that wrote this report:"))
    sec.blocks.append(Code(cmd, "bash"))
    versions = fit.provenance.get("versions", {})
    timings = fit.provenance.get("timings_s", {})
    rows = [
        ("spec", spec_name),
        ("sampler seed", str(fit.seed)),
        ("data source", str(fit.provenance.get("data_source"))),
        ("data sha256", fit.data_sha256),
        ("fit created", str(fit.provenance.get("created", "unknown"))),
        (
            "fit time",
            ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "compiled_model_reused")
            or "unknown",
        ),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("report version", str(REPORT_VERSION)),
    ]
    rows += [(f"version: {k}", str(v)) for k, v in versions.items()]
    sec.blocks.append(Table(("item", "value"), tuple(rows), "Provenance of the fit."))
    sec.blocks.append(
        Paragraph(
            "The resolved spec (every default filled in), also saved as spec.toml beside this "
            "report; flopcast report --spec spec.toml fits it again:"
        )
    )
    sec.blocks.append(Code(spec_to_toml(fit.spec), "toml"))
    sec.blocks.append(
        Paragraph(
            "Files: index.html (this page), report.md and figures/ (the same content as "
            "Markdown), summary.json (headline numbers with intervals, for scripts), fit.nc "
            "(the posterior; flopcast.load_fit reads it and executes nothing), spec.toml."
        )
    )
    return sec
