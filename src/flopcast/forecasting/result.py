"""The :class:`Forecast` result: its draws, summary tables, JSON block and printed forms."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from flopcast.dates import decimal_year_to_date, decimal_year_to_timestamp
from flopcast.forecasting.counts import CountForecast
from flopcast.forecasting.frontier import FrontierDefinition
from flopcast.forecasting.limits import LimitsInfo
from flopcast.forecasting.regimes import RegimeChanges
from flopcast.formatting import format_year, jsonable
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns

__all__ = ["Forecast"]

#: Column names of the credible (trend) and predictive (one run) interval bounds.
_CI_LOW, _CI_HIGH = interval_columns(CI_LEVEL)
_PI_LOW, _PI_HIGH = (name.replace("ci", "pi", 1) for name in interval_columns(CI_LEVEL))


@dataclass
class Forecast:
    """Forecast draws and their summaries. Build with :func:`forecast`.

    Attributes
    ----------
    draws : xarray.Dataset
        Raw draws, **log10** values, dims ``(sample, date)`` (coordinate ``year`` holds the
        decimal years): ``log10_compute_flop_trend``/``_run`` (full-population fits),
        ``log10_frontier_compute_flop_trend``/``_run``, ``log10_frontier_cost_usd_trend``/
        ``_run`` (when cost is on); ``*_trend`` give the credible intervals, ``*_run`` the
        predictive ones. ``crossing_year`` (sample, threshold) holds each sample's
        threshold-crossing date (``inf``: not reached by the search end).
    thresholds : pandas.DataFrame
        One row per threshold (see :meth:`threshold_table`).
    horizon : float
        Decimal year of the horizon.
    last_data : float
        Decimal year of the fit's last run.
    regime : RegimeChanges
    frontier : FrontierDefinition
    cost : dict or None
        Price-performance and utilization settings when cost is on.
    spec_name : str
    seed : int
    counts : CountForecast or None
        Runs above the count thresholds per year (:meth:`count_table`).
    limits : LimitsInfo or None
        Whether limits are on, the ceilings and which binds (:meth:`limits_table`);
        with limits on, ``draws`` also holds ``log10_ceiling_compute_flop`` (and
        ``log10_ceiling_cost_usd``), the lowest ceiling of each sample.
    price : FrontierCost or None
        The price-performance and utilization draws of the cost (for charts).
    frontier_regime : RegimeChanges or None
        With a separate frontier fit (``forecast(..., frontier_fit=...)``): the future
        regime changes of the frontier's trend (``regime`` is then the population's).
    frontier_fit : Fit or None
        That frontier fit, its draws paired with the fit's (for charts); ``frontier`` names
        its spec and data sha256.
    """

    draws: xr.Dataset
    thresholds: pd.DataFrame
    horizon: float
    last_data: float
    regime: RegimeChanges
    frontier: FrontierDefinition
    cost: dict[str, Any] | None
    spec_name: str
    seed: int
    search_end: float = field(default=np.inf)
    counts: CountForecast | None = None
    limits: LimitsInfo | None = None
    price: Any = field(default=None, repr=False)
    frontier_regime: RegimeChanges | None = None
    frontier_fit: Any = field(default=None, repr=False)

    _QUANTITIES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("compute_flop", "FLOP"),
        ("frontier_compute_flop", "FLOP"),
        ("frontier_cost_usd", "USD"),
    )

    @property
    def frontier_model(self) -> str:
        """Which model the frontier comes from, in a few words (spec and data sha256).

        Examples
        --------
        >>> forecast(fit, frontier_fit=front).frontier_model     # doctest: +SKIP
        "frontier model 'frontier_2008' (data sha256 3f3607f24d70)"
        """
        f = self.frontier
        sha = f" (data sha256 {f.data_sha256[:12]})" if f.data_sha256 else ""
        if f.separate:
            return f"frontier model {f.spec_name!r}{sha}"
        if f.kind == "quantile":
            return f"population quantile {f.quantile:.3f} of {f.spec_name!r}{sha}"
        return f"trend of the frontier fit {f.spec_name!r}{sha}"

    def fitted_frontier(self, fit: Any, years: np.ndarray) -> np.ndarray:
        """Draws of the frontier trend over past ``years`` (samples, n), log10 FLOP, without
        future breaks: the frontier fit's trend, or ``fit``'s trend (plus the quantile's
        scatter offset for a population quantile). For charts of the data."""
        from flopcast.fitting import scatter_draws, stack_draws
        from flopcast.forecasting.frontier import scatter_quantile

        source = self.frontier_fit if self.frontier_fit is not None else fit
        trend = source.trend(years)
        if self.frontier.kind == "quantile" and self.frontier.quantile is not None:
            post = source.posterior
            nu = stack_draws(post, "nu") if "nu" in post else None
            z = scatter_quantile(np.full(trend.shape[0], self.frontier.quantile), nu)
            trend = trend + z[:, None] * scatter_draws(post, years)
        return trend

    @property
    def quantities(self) -> list[str]:
        """The quantities present, in table order."""
        return [q for q, _ in self._QUANTITIES if f"log10_{q}_trend" in self.draws]

    def _summaries(self, quantity: str) -> pd.DataFrame:
        trend = self.draws[f"log10_{quantity}_trend"].values
        run = self.draws[f"log10_{quantity}_run"].values
        t_med, t_lo, t_hi = central_interval(trend, CI_LEVEL, axis=0)
        _, r_lo, r_hi = central_interval(run, CI_LEVEL, axis=0)
        return pd.DataFrame(
            {
                "date": pd.DatetimeIndex(self.draws["date"].values),
                "year": self.draws["year"].values,
                "quantity": quantity,
                "median": 10.0**t_med,
                _CI_LOW: 10.0**t_lo,
                _CI_HIGH: 10.0**t_hi,
                _PI_LOW: 10.0**r_lo,
                _PI_HIGH: 10.0**r_hi,
            }
        )

    def table(self) -> pd.DataFrame:
        """Medians and 90% intervals per quantity and date, in FLOP and USD.

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, ``quantity``, ``median``, ``ci90_low``, ``ci90_high``,
            ``pi90_low``, ``pi90_high``. ``median`` and ``ci90_*`` are the posterior median
            and 90% credible interval of the trend; ``pi90_*`` the 90% predictive interval
            of one run at that date. ``.attrs`` says what each is and whether future
            regime changes were on.

        Examples
        --------
        >>> fc = forecast(fit, until="2030-12-31", cost=False)    # doctest: +SKIP
        >>> fc.table().query("quantity == 'frontier_compute_flop'")  # doctest: +SKIP
        """
        parts = [self._summaries(q).drop(columns="year") for q in self.quantities]
        out = pd.concat(parts, ignore_index=True)
        out.attrs.update(self._meanings())
        return out

    def threshold_table(self) -> pd.DataFrame:
        """Threshold crossings of the frontier trend.

        Returns
        -------
        pandas.DataFrame
            One row per threshold: ``quantity`` (``compute_flop`` or ``cost_usd``),
            ``value``, ``median_date``, ``ci90_low``, ``ci90_high`` (decimal years; ``inf``
            when later than the search end), ``prob_by_horizon``, ``crossed_in_data``
            (bool, or None when unknown), ``crossed_by``, ``crossed_by_date`` and
            ``crossed_by_value`` (the first run in the data that reached it).

        Examples
        --------
        >>> forecast(fit).threshold_table()      # doctest: +SKIP
        """
        return self.thresholds.copy()

    def count_table(self) -> pd.DataFrame:
        """Runs above each count threshold per calendar year, and cumulative.

        Returns
        -------
        pandas.DataFrame
            ``threshold_flop``, ``year``, ``median``, ``ci90_low``, ``ci90_high`` (runs
            published that year above the threshold), ``cumulative_median``,
            ``cumulative_ci90_low``, ``cumulative_ci90_high`` (from the data's first year
            up to the end of that year: the runs in the data before the last run's year plus
            the forecast), ``observed`` (runs in the data that year; NaN after the data; the
            last run's year is covered only up to the last run). ``.attrs`` say what
            population the counts describe and how runs per year were modelled.

        Examples
        --------
        >>> forecast(fit).count_table().query("year == 2028")     # doctest: +SKIP
        """
        if self.counts is None:
            return pd.DataFrame()
        out = self.counts.table.copy()
        out.attrs.update(self.counts.table.attrs)
        return out

    def limits_table(self) -> pd.DataFrame:
        """The ceilings on a frontier run: their 2030 priors, growth and source, and (limits
        on) ``p_binding_last``, the probability each binds at the last date. ``.attrs``
        say whether limits are on; :attr:`limits` ``.binding`` has every date.

        Examples
        --------
        >>> forecast(fit).limits_table()[["name", "median", "p_binding_last"]]  # doctest: +SKIP
        """
        return pd.DataFrame() if self.limits is None else self.limits.table()

    def _meanings(self) -> dict[str, str]:
        return {
            "median": "posterior median of the trend",
            "ci90": "90% credible interval of the trend (5th-95th percentile)",
            "pi90": "90% predictive interval for one run at that date (trend + scatter)",
            "frontier": self.frontier.description,
            "frontier_model": self.frontier_model,
            "regime_changes": self.regime.describe(),
            "cost": self._cost_line() or "cost not computed",
            "limits": self.limits.describe() if self.limits else "limits off",
        }

    def _cost_line(self) -> str:
        if not self.cost:
            return ""
        c = self.cost
        return (
            f"cost in constant {c['base_year']} USD = compute / (peak FLOP per USD, "
            f"{c['kind']} price-performance trend, doubling every "
            f"{c['doubling_years_median']:.2f} years) / utilization "
            f"(Beta({c['utilization']['alpha']:g}, {c['utilization']['beta']:g}), "
            f"mean {c['utilization']['mean']:.0%})"
        )

    # -- JSON ------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The ``forecast`` block of the summary JSON.

        Keys: ``horizon`` and ``last_data`` (decimal years), ``intervals`` (what ``ci90``
        and ``pi90`` mean), ``frontier`` (its definition: ``kind``, ``quantile``,
        ``share``, ``description``, the model it comes from as ``spec`` and
        ``data_sha256``, ``separate_fit``, and ``regime_changes`` of a separate frontier
        fit's trend, else null), ``regime_changes`` (on/off and the model), ``compute``
        (the frontier: ``[{date, median, ci90, pi90}]``, FLOP, dates in decimal years),
        ``compute_typical`` (the typical run, same layout; null
        for a frontier fit), ``cost_usd`` (the frontier run's cost, same layout; empty when
        cost is off), ``cost`` (its settings or null), ``counts`` (runs above thresholds
        per year: ``[{threshold_flop, year, median, ci90, cumulative: {median, ci90},
        observed}]``; ``counts_population`` and ``counts_tail`` say what they count and how
        the share above a threshold was found), ``limits`` (``{enabled, ceilings: [{name,
        at_2030: {median, ci90}, source, ...}], binding: [{year, name, probability}]}``) and
        ``thresholds``
        (``[{quantity, value, median_date, ci90, prob_by_horizon, crossed_by}]``, where
        ``crossed_by`` is null or ``{system, date, date_iso, value}``; dates later than
        the search end are null).

        Examples
        --------
        >>> sorted(forecast(fit, cost=False).to_json_dict())    # doctest: +SKIP
        """

        def entries(quantity: str) -> list[dict[str, Any]]:
            if quantity not in self.quantities:
                return []
            s = self._summaries(quantity)
            return [
                {
                    "date": r["year"],
                    "median": r["median"],
                    "ci90": [r[_CI_LOW], r[_CI_HIGH]],
                    "pi90": [r[_PI_LOW], r[_PI_HIGH]],
                }
                for r in s.to_dict("records")
            ]

        # Dates later than the search end (inf) become null through jsonable.
        thresholds = []
        for r in self.thresholds.to_dict("records"):
            thresholds.append(
                {
                    "quantity": r["quantity"],
                    "value": r["value"],
                    "median_date": r["median_date"],
                    "ci90": [r[_CI_LOW], r[_CI_HIGH]],
                    "prob_by_horizon": r["prob_by_horizon"],
                    "crossed_in_data": r["crossed_in_data"],
                    "crossed_by": (
                        {
                            "system": r["crossed_by"],
                            "date": r["crossed_by_date"],
                            "date_iso": decimal_year_to_timestamp(r["crossed_by_date"])
                            .date()
                            .isoformat(),
                            "value": r["crossed_by_value"],
                        }
                        if r["crossed_in_data"]
                        else None
                    ),
                }
            )
        typical = entries("compute_flop") if "compute_flop" in self.quantities else None
        return jsonable(
            {
                "horizon": self.horizon,
                "last_data": self.last_data,
                "threshold_search_end": self.search_end,
                "intervals": {
                    "median": "posterior median of the trend",
                    "ci90": "90% credible interval of the trend",
                    "pi90": "90% predictive interval for one run (trend + scatter)",
                },
                "frontier": self._frontier_json(),
                "regime_changes": self.regime.to_dict(),
                "compute": entries("frontier_compute_flop"),
                "compute_typical": typical,
                "cost_usd": entries("frontier_cost_usd"),
                "cost": self.cost,
                "thresholds": thresholds,
                "counts": [] if self.counts is None else self.counts.to_json_rows(),
                "counts_population": None if self.counts is None else self.counts.population,
                "counts_tail": None if self.counts is None else self.counts.tail,
                "limits": None if self.limits is None else self.limits.to_json_dict(),
                "seed": self.seed,
            }
        )

    def _frontier_json(self) -> dict[str, Any]:
        out = self.frontier.to_dict()
        out["regime_changes"] = (
            None if self.frontier_regime is None else self.frontier_regime.to_dict()
        )
        return out

    # -- display ---------------------------------------------------------------------
    def format_tables(self) -> str:
        """The forecast and threshold tables as plain text, with what the intervals mean."""
        lines = [
            f"flopcast Forecast: spec {self.spec_name!r}, last run {self.last_data:.2f}, "
            f"horizon {self.horizon:.2f} ({decimal_year_to_timestamp(self.horizon).date()})",
            f"frontier: {self.frontier.description}",
            self.regime.describe(),
            self.limits.describe() if self.limits else "limits off",
        ]
        if self.frontier_regime is not None:
            lines.insert(3, f"frontier trend: {self.frontier_regime.describe()}")
        if self.cost:
            lines.append(self._cost_line())
        lines.append(
            "median = posterior median of the trend; ci90 = 90% credible interval of the "
            "trend; pi90 = 90% predictive interval for one run"
        )
        header = f"  {'date':<10} {'quantity':<22} {'median':>9}  {'ci90':<21}  {'pi90':<21}"
        lines.append(header)
        for row in self.table().to_dict("records"):
            ci = _span(row[_CI_LOW], row[_CI_HIGH])
            pi = _span(row[_PI_LOW], row[_PI_HIGH])
            lines.append(
                f"  {row['date'].date()!s:<10} {row['quantity']:<22} {_num(row['median']):>9}  "
                f"{ci:<21}  {pi}"
            )
        lines.append(
            "threshold crossings of the frontier trend (decimal years; median and 90% interval"
            f"; P = probability by the horizon {self.horizon:.2f}):"
        )
        for r in self.thresholds.to_dict("records"):
            unit = "FLOP" if r["quantity"] == "compute_flop" else "USD"
            label = f"{_num(r['value'])} {unit}"
            when = (
                f"{format_year(r['median_date'])} "
                f"[{format_year(r[_CI_LOW])}, {format_year(r[_CI_HIGH])}]"
                f"  P={r['prob_by_horizon']:.2f}"
            )
            if r["crossed_in_data"]:
                data = (
                    f"  crossed in the data by {r['crossed_by']} "
                    f"({decimal_year_to_date(r['crossed_by_date'])}, "
                    f"{_num(r['crossed_by_value'])})"
                )
            elif r["crossed_in_data"] is None:
                data = "  (no recorded costs to check the data)"
            elif r["quantity"] == "cost_usd":
                data = "  not reached by any run with a recorded cost"
            else:
                data = "  not yet reached by any run in the data"
            lines.append(f"  {label:<14} {when}{data}")
        if self.counts is not None:
            lines.append(self.counts.format())
        if self.limits is not None:
            lines.append(self.limits.format())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_tables()

    def _repr_html_(self) -> str:
        table = self.table()
        table["date"] = table["date"].dt.date
        thresholds = self.thresholds.copy()
        return (
            f"<div><b>flopcast Forecast</b>: spec <code>{html.escape(self.spec_name)}</code>, "
            f"horizon {self.horizon:.2f}.<br>Frontier: {html.escape(self.frontier.description)}"
            f"<br>{html.escape(self.regime.describe())}"
            + (f"<br>{html.escape(self._cost_line())}" if self.cost else "")
            + "<br>median and ci90: trend (posterior median, 90% credible interval); pi90: "
            "90% predictive interval for one run."
            + table.to_html(index=False, float_format=_num)
            + "<p>Threshold crossings of the frontier trend (decimal years)</p>"
            + thresholds.to_html(index=False, float_format=lambda v: f"{v:.4g}")
            + "</div>"
        )


# Not flopcast.formatting: the tables print every value as "1.23e+25" ("-" when missing), a
# fixed width that format_flop/format_usd (two digits, unit, en dash) would change.
def _num(v: float) -> str:
    return f"{v:.2e}" if np.isfinite(v) else "-"


def _span(lo: float, hi: float) -> str:
    return f"[{_num(lo)}, {_num(hi)}]"
