"""The result of a study run: its rows as a table, a readable summary, JSON and CSV.

:class:`StudyResult` holds one row per variant (the base first) as :func:`run_study
<flopcast.study.run_study>` collected them; :meth:`StudyResult.table` puts them in the
documented columns (:data:`~flopcast.study.columns.CORE_COLUMNS`), and the other methods
format, serialise or chart that table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flopcast.formatting import (
    MISSING,
    format_flop,
    format_flop_range,
    format_usd,
    format_usd_range,
    format_year,
    jsonable,
)
from flopcast.runs.table import write_csv
from flopcast.study.columns import (
    COLUMN_UNITS,
    CORE_COLUMNS,
    INTERVAL_MEANING,
    LEVEL,
    STATUS_DIAGNOSTICS,
    STATUS_ERROR_PREFIX,
    STATUS_OK,
    interval_names,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from flopcast.study.spec import StudySpec

__all__ = ["JSON_VERSION", "StudyResult"]

#: Version of :meth:`StudyResult.to_json_dict`'s layout (2: interval keys ``X_ci90_low`` /
#: ``X_ci90_high`` instead of ``X_lo`` / ``X_hi``, and this key itself).
JSON_VERSION: int = 2


def _span(
    row: pd.Series,
    name: str,
    fmt: Callable[[float], str],
    range_fmt: Callable[[float, float], str] | None = None,
) -> str:
    """``"median (low–high)"`` of quantity ``name`` in a table row."""
    med = row.get(name)
    if med is None or (isinstance(med, float) and math.isnan(med)):
        return MISSING
    low, high = (row.get(column) for column in interval_names(name))
    bounds = range_fmt(low, high) if range_fmt is not None else f"{fmt(low)}–{fmt(high)}"
    return f"{fmt(med)} ({bounds})"


def _months(value: float) -> str:
    if value is None or not np.isfinite(value):
        return MISSING
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


@dataclass
class StudyResult:
    """The rows of a study run, with tables, JSON, CSV and a tornado chart.

    Attributes
    ----------
    study : StudySpec
    rows : list of dict
        One per variant, the base first (see :meth:`table` for the columns).
    wall_s : float
        Wall time of the whole run (seconds).
    mode : str
        How it ran (in process, N worker processes, or a Dask cluster).
    started : str
        UTC start time (ISO 8601).
    seed : int or None
        The seed given to :func:`run_study` (None: each spec's own).
    """

    study: StudySpec
    rows: list[dict[str, Any]]
    wall_s: float
    mode: str
    started: str
    seed: int | None = None

    # -- tables -------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """One row per variant (base first), every number with its 90% interval.

        Returns
        -------
        pandas.DataFrame
            :data:`CORE_COLUMNS` plus ``break_k*``/``doubling_era_k*`` for more breaks.
            ``X`` is the posterior median, ``X_ci90_low``/``X_ci90_high`` the 5th/95th
            percentiles (a 90% credible interval). Break dates and threshold dates are decimal years
            (``inf``: later than the forecast's search end); doubling times in months;
            ``compute_2030`` in FLOP and ``cost_2030`` in constant USD (frontier trend,
            mid-2030); ``p_*_by_horizon`` is the probability of crossing by ``horizon``.
            ``.attrs["description"]`` introduces the study (for reports).

        Examples
        --------
        >>> result.table().loc[:, ["label", "status", "doubling_latest"]]   # doctest: +SKIP
        """
        frame = pd.DataFrame(self.rows)
        extra = sorted(
            (c for c in frame.columns if c not in CORE_COLUMNS),
            key=lambda c: (not c.startswith("break_"), not c.startswith("doubling_era_"), c),
        )
        for column in CORE_COLUMNS:
            if column not in frame.columns:
                frame[column] = np.nan
        columns = list(CORE_COLUMNS)
        # Keep per-break/per-era columns beside their first ones.
        breaks = [c for c in extra if c.startswith("break_")]
        eras = [c for c in extra if c.startswith("doubling_era_")]
        others = [c for c in extra if c not in breaks and c not in eras]
        columns[columns.index("breaks_fixed") : columns.index("breaks_fixed")] = breaks
        at = columns.index("doubling_latest")
        columns[at:at] = eras
        frame = frame[columns + others]
        frame.attrs["description"] = self._description()
        frame.attrs["level"] = LEVEL
        return frame

    def _description(self) -> str:
        s = self.study
        text = (
            f"Study {s.name!r}: the base spec {s.base!r} and {len(s.variants) - 1} "
            "variation(s), each refitted and forecast. Numbers are posterior medians with "
            "90% credible intervals (5th to 95th percentile)."
        )
        return f"{s.description} {text}".strip()

    def summary_table(self) -> pd.DataFrame:
        """The table formatted for reading: one text cell per quantity, "median (low–high)".

        Returns
        -------
        pandas.DataFrame
            Columns ``variant``, ``question``, ``break``, ``doubling, first era (months)``,
            ``doubling, latest era (months)``, ``frontier compute mid-2030 (FLOP)``,
            ``frontier cost mid-2030``, ``1e27 FLOP reached``, ``$1B run``, ``diagnostics``,
            ``time (s)``, ``status``. Intervals are 90% credible intervals. Values are
            formatted with :mod:`flopcast.formatting` (``"$1.3 billion"``, ``"3.9e29 FLOP"``;
            a missing value is an en dash).

        Examples
        --------
        >>> print(result.summary_table().to_string(index=False))   # doctest: +SKIP
        """
        out = []
        for _, r in self.table().iterrows():
            breaks = [
                _span(r, f"break_{i}", format_year)
                for i in range(1, 4)
                if f"break_{i}" in r and pd.notna(r[f"break_{i}"])
            ]
            fixed = r.get("breaks_fixed")
            if isinstance(fixed, bool | np.bool_) and fixed and breaks:
                breaks = [
                    f"{format_year(r[f'break_{i}'])} (fixed)" for i in range(1, len(breaks) + 1)
                ]
            ok = r.get("diagnostics_ok")
            if isinstance(ok, bool | np.bool_):
                diag = (
                    f"{'OK' if ok else 'FAILED'}: R-hat {r['max_rhat']:.3f}, "
                    f"ESS {r['min_ess']:.0f}, {int(r['divergences'])} div."
                )
            else:
                diag = MISSING
            p27 = r.get("p_1e27_flop_by_horizon")
            p1b = r.get("p_1b_usd_by_horizon")
            out.append(
                {
                    "variant": r["label"],
                    "question": r["question"],
                    "break": "; ".join(breaks) if breaks else MISSING,
                    "doubling, first era (months)": _span(r, "doubling_era_1", _months),
                    "doubling, latest era (months)": _span(r, "doubling_latest", _months),
                    "frontier compute mid-2030 (FLOP)": _span(
                        r, "compute_2030", format_flop, format_flop_range
                    ),
                    "frontier cost mid-2030": _span(r, "cost_2030", format_usd, format_usd_range),
                    "1e27 FLOP reached": _span(r, "date_1e27_flop", format_year)
                    + (f", P={p27:.2f}" if pd.notna(p27) else ""),
                    "$1B run": _span(r, "date_1b_usd", format_year)
                    + (f", P={p1b:.2f}" if pd.notna(p1b) else ""),
                    "diagnostics": diag,
                    "time (s)": f"{r['wall_s']:.1f}" if pd.notna(r.get("wall_s")) else MISSING,
                    "status": r["status"],
                }
            )
        frame = pd.DataFrame(out)
        frame.attrs["description"] = self._description()
        return frame

    @property
    def failed(self) -> list[str]:
        """Labels of the variants that raised (status ``"error: ..."``)."""
        return [
            r["label"]
            for r in self.rows
            if str(r.get("status", "")).startswith(STATUS_ERROR_PREFIX)
        ]

    @property
    def diagnostics_failed(self) -> list[str]:
        """Labels of the variants whose diagnostics failed."""
        return [r["label"] for r in self.rows if r.get("status") == STATUS_DIAGNOSTICS]

    def timing(self) -> dict[str, Any]:
        """Where the time went: wall, per-variant sums, compile counts.

        Examples
        --------
        >>> result.timing()["compiles"]     # doctest: +SKIP
        6
        """
        t = self.table()

        def total(column: str) -> float:
            return float(pd.to_numeric(t[column], errors="coerce").fillna(0.0).sum())

        return {
            "wall_s": self.wall_s,
            "mode": self.mode,
            "variants": len(t),
            "compiles": int(t["compiled"].eq(True).sum()),  # NaN: the variant never fitted
            "structures": len({v.structure for v in self.study.variants}),
            "workers": int(t["worker"].nunique()),
            "sum_variant_wall_s": total("wall_s"),
            "sum_compile_s": total("compile_s"),
            "sum_sample_s": total("sample_s"),
            "sum_fit_s": total("fit_s"),
            "sum_forecast_s": total("forecast_s"),
            "sum_price_performance_s": total("price_performance_s"),
            "sum_import_s": total("import_s"),
        }

    # -- output -------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The study, its rows and how it ran, as JSON-compatible values.

        Keys: ``json_version`` (:data:`JSON_VERSION`), ``flopcast_version``, ``study``
        (:meth:`StudySpec.to_dict`), ``intervals`` (what ``X_ci90_low``/``X_ci90_high``
        mean), ``columns`` (units), ``rows`` (one dict per variant, keyed by the columns of
        :meth:`table`; non-finite numbers are null: a null ``date_*_ci90_high`` means later
        than the search end), ``run`` (wall time, mode, start, seed, timing).

        Examples
        --------
        >>> sorted(result.to_json_dict())                         # doctest: +SKIP
        ['columns', 'flopcast_version', 'intervals', 'json_version', 'rows', 'run', 'study']
        """
        from flopcast._version import __version__

        table = self.table()
        rows = [
            {k: _cell_value(v) for k, v in record.items()}
            for record in table.to_dict(orient="records")
        ]
        return jsonable(
            {
                "json_version": JSON_VERSION,
                "flopcast_version": __version__,
                "study": self.study.to_dict(),
                "intervals": INTERVAL_MEANING,
                "columns": COLUMN_UNITS,
                "rows": rows,
                "run": {
                    "wall_s": self.wall_s,
                    "mode": self.mode,
                    "started": self.started,
                    "seed": self.seed,
                    "timing": self.timing(),
                },
            }
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`table` as CSV (full precision); return the path.

        Examples
        --------
        >>> result.to_csv("study.csv")                    # doctest: +SKIP
        PosixPath('study.csv')
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.table(), path)  # atomic, formula-like cells escaped
        return path

    def tornado(
        self,
        metric: str | Sequence[str] | None = None,
        *,
        ax: Axes | Sequence[Axes] | None = None,
    ) -> Figure:
        """How each variation moves the headline outputs relative to the base.

        See :func:`flopcast.figures.study.tornado_chart` (this calls it).

        Examples
        --------
        >>> fig = result.tornado()                              # doctest: +SKIP
        >>> fig = result.tornado(metric="cost_2030")           # doctest: +SKIP
        """
        from flopcast.figures.study import tornado_chart

        return tornado_chart(self, metric, ax=ax)

    # -- display ------------------------------------------------------------------------
    def format_table(self) -> str:
        """The summary table as text, with what the intervals mean."""
        lines = [
            f"flopcast study {self.study.name!r}: {len(self.rows)} rows (base + "
            f"{len(self.rows) - 1} variants), {self.wall_s:.1f} s wall ({self.mode})",
            "median (90% credible interval, 5th-95th percentile); dates are decimal years; "
            "P = probability by the forecast horizon",
        ]
        summary = self.summary_table().drop(columns=["question"])
        lines.append(summary.to_string(index=False))
        bad = [r for r in self.rows if r.get("status") != STATUS_OK]
        if bad:
            lines.append("not ok:")
            for r in bad:
                detail = r.get("diagnostic_problems") or ""
                lines.append(f"  {r['label']}: {r['status']}" + (f" ({detail})" if detail else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_table()

    def _repr_html_(self) -> str:
        from flopcast.study.write import study_html_section

        return study_html_section(self, image_src=None)


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value
