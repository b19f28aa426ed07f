"""Training cost: compute divided by hardware price-performance and utilization.

The cost of a training run is modelled as (DESIGN.md section 6)::

    cost [USD of base_year] = compute [FLOP] / (FLOP_per_USD(t) * utilization)

* ``FLOP_per_USD(t)`` is the *peak* FLOP a dollar buys at date ``t``, from a Bayesian
  log-linear trend fitted to accelerator price quotes (:func:`fit_price_performance`)::

      log10(FLOP per USD)_i ~ StudentT(nu, level + slope * (t_i - 2015), scatter)

  One quote gives one point: for cloud prices ``peak FLOP/s * 3600 / (USD per chip-hour,
  on demand)``; for purchase prices the peak FLOP a chip delivers over a useful life
  (3 years by default) per dollar of its price, ``peak FLOP/s * life [s] / USD``. Purchase
  prices cover the chip only: power, cooling, hosting, networking, staff and the rest of the
  server are **not** included, so purchase-based costs are lower bounds on ownership cost.
  Prices are in constant dollars of ``base_year`` (2023 by default), deflated with the
  bundled price index (FRED PCU518210518210, data processing and hosting services).
* ``utilization`` is the fraction of peak FLOP/s a training run achieves (model FLOP
  utilization), with the prior :class:`UtilizationPrior` (Beta(8, 16): mean 33%, the source
  analysis's GPU value; 90% interval 19%-50%, the spread of the runs above 1e24 FLOP that
  report it).

:func:`cost_draws` combines posterior draws of compute with draws of the price-performance
trend and of utilization, so both uncertainties reach the cost interval;
:func:`cross_check_costs` compares the model's cost with the cost Epoch AI records for the
runs that have one.

Which price quotes are used (:func:`price_performance_table`), in this order of checks; a
quote failing one is reported in the exclusions table with the first reason (and any other
reasons that also apply), never dropped silently:

1. the kind asked for: ``"cloud"`` uses on-demand chip-hour prices (``cloud_on_demand``;
   1- and 3-year committed prices are excluded), ``"purchase"`` uses purchase prices;
2. the chip is in ``accelerators.csv``;
3. the quote has a date, and the price index covers its month;
4. the price is a positive number;
5. the chip is an ML accelerator: its ``type`` is ``GPU`` or ``TPU``, or Epoch flags it as
   ML hardware (``ml_hardware``; e.g. Intel Habana Gaudi2, whose type is blank) and it is
   not a CPU. CPUs, Cerebras systems ("Other", not flagged) and untyped, unflagged chips are
   excluded;
6. the chip has a peak rate at the precision asked for (``"auto"``: tensor-core fp16/bf16 if
   the table has it, else fp32, as :func:`flopcast.hardware.peak_flops` does);
7. the price is observed, not estimated (``is_estimate``; all TPU purchase prices and the
   generic "NVIDIA A100" purchase prices are Epoch's estimates), unless
   ``include_estimates=True``;
8. the quote is not dated more than a year (365 days) before the chip's release: pre-orders
   and announced list prices come months early (the H200 and A100 80GB purchase quotes of
   2024-03 and 2020-07 are kept), but a K40s price dated 2012-07, 17 months before the K40
   existed, is misdated.
"""

from __future__ import annotations

import html
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from flopcast.caches import CacheDict, cached
from flopcast.dates import decimal_year
from flopcast.diagnostics import Diagnostics, sampler_diagnostics
from flopcast.display import summary_html, summary_text
from flopcast.exceptions import FlopcastError, PricePerformanceSamplingWarning
from flopcast.formatting import jsonable
from flopcast.hardware import AUTO_PRECISION_ORDER, PRECISION_COLUMNS, load_accelerators
from flopcast.hardware.accelerators import _normalize_precision
from flopcast.intervals import CI_LEVEL
from flopcast.runs.bundled import bundled_data_path
from flopcast.units import LOG10_2, SECONDS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "BASE_YEAR",
    "ML_TYPES",
    "PP_T_REF",
    "USEFUL_LIFE_YEARS",
    "CostCrossCheck",
    "PricePerformanceFit",
    "PricePerformancePriors",
    "PricePerformanceSamplingWarning",
    "PricePerformanceTable",
    "UtilizationPrior",
    "clear_price_performance_cache",
    "constant_dollars",
    "cost_draws",
    "cross_check_costs",
    "fit_price_performance",
    "load_price_index",
    "price_performance_table",
    "utilization_evidence",
]

#: Year whose average price level the constant dollars are expressed in (Epoch's cost column
#: is in 2023 USD too).
BASE_YEAR: int = 2023
#: Useful life over which a purchased chip's price is amortized, in years.
USEFUL_LIFE_YEARS: float = 3.0
#: Reference year of the price-performance trend: ``level`` is the trend value at 2015.0.
PP_T_REF: float = 2015.0
#: Chip types kept as ML accelerators (besides chips Epoch flags as ML hardware, not CPUs).
ML_TYPES: tuple[str, ...] = ("GPU", "TPU")
#: A quote dated more than this many days before the chip's release is treated as misdated.
MAX_DAYS_BEFORE_RELEASE: int = 365
#: Seconds in a year of 365.25 days.
SECONDS_PER_YEAR: float = 365.25 * SECONDS_PER_DAY

#: Source ``kind`` of the price quotes each table kind uses.
_SOURCE_KIND: dict[str, str] = {"cloud": "cloud_on_demand", "purchase": "purchase"}
_PRICE_UNIT: dict[str, str] = {"cloud": "USD per chip-hour", "purchase": "USD per chip"}
LIKELIHOODS: tuple[str, ...] = ("student_t", "normal")


# --------------------------------------------------------------------------------------
# Price index and constant dollars


@cached("cost.price_index")
def _price_index() -> pd.Series:
    frame = pd.read_csv(bundled_data_path("price_index.csv"), encoding="utf-8")
    months = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return pd.Series(frame["index"].astype(float).to_numpy(), index=pd.DatetimeIndex(months))


def load_price_index() -> pd.Series:
    """The bundled monthly price index (``data/price_index.csv``), by month.

    FRED series PCU518210518210: producer price index for data processing, hosting and
    related services (December 2000 = 100). It tracks the price of cloud compute services,
    not of chips; it is the deflator the cost model uses for constant dollars.

    Returns
    -------
    pandas.Series
        Index values, indexed by the first day of each month.

    Examples
    --------
    >>> index = load_price_index()
    >>> float(index.loc["2000-12-01"])
    100.0
    """
    return _price_index().copy()


def _base_level(index: pd.Series, base_year: int) -> float:
    in_year = index[index.index.year == int(base_year)]
    if in_year.empty:
        first, last = index.index.min(), index.index.max()
        raise FlopcastError(
            f"base_year={base_year}: the price index has no month in that year (it covers "
            f"{first:%Y-%m} to {last:%Y-%m}); choose a base year in that range"
        )
    return float(in_year.mean())


def constant_dollars(
    usd: float | np.ndarray | pd.Series,
    dates: Any,
    base_year: int = BASE_YEAR,
) -> np.ndarray:
    """Convert nominal US dollars at given dates to constant dollars of ``base_year``.

    ``usd * I(base_year) / I(month of date)``, where ``I(month)`` is the bundled price index
    (:func:`load_price_index`) for the observation's calendar month and ``I(base_year)`` the
    average of the base year's monthly values.

    Parameters
    ----------
    usd : float, ndarray or Series
        Nominal prices.
    dates : date-like or sequence of date-likes
        Date of each price (anything :func:`pandas.to_datetime` reads).
    base_year : int, default 2023
        Year whose average price level the result is in.

    Returns
    -------
    ndarray
        Constant-dollar prices; NaN where the date is missing or the index lacks its month.

    Raises
    ------
    FlopcastError
        If the index has no month in ``base_year``.

    Examples
    --------
    A price of 100 USD in December 2000 (index 100) in dollars of 2000 (only December):

    >>> constant_dollars(100.0, "2000-12-15", base_year=2000).tolist()
    [100.0]
    """
    index = _price_index()
    base = _base_level(index, base_year)
    months = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates))).to_period("M").to_timestamp()
    at_month = index.reindex(months).to_numpy(dtype=float)
    prices = np.broadcast_to(np.asarray(usd, dtype=float), at_month.shape)
    return prices * base / at_month


# --------------------------------------------------------------------------------------
# The price-performance table


class PricePerformanceTable(NamedTuple):
    """The price quotes used for a price-performance trend and those left out.

    Unpacks as ``used, excluded = price_performance_table(...)``.

    Attributes
    ----------
    used : pandas.DataFrame
        One row per usable quote: ``price_row`` (0-based data row of
        ``hardware_prices.csv``), ``hardware``, ``type``, ``date``, ``year`` (decimal),
        ``source_kind``, ``usd_nominal``, ``price_unit``, ``price_index`` (index at the
        quote's month), ``usd_constant`` (dollars of ``base_year``), ``peak_flops``
        (FLOP/s per chip), ``precision`` (which peak rate), ``flop_per_usd`` (peak FLOP per
        constant dollar), ``log10_flop_per_usd``, ``vendor``, ``n_listings``,
        ``is_estimate``, ``source``. ``.attrs`` holds the settings.
    excluded : pandas.DataFrame
        One row per quote not used: ``price_row``, ``hardware``, ``date``, ``source_kind``,
        ``usd_nominal``, ``reason`` (the first failed check, a fixed text), ``detail``
        (specific to the quote, e.g. the chip's type) and ``other_reasons`` (the other
        checks it fails, ``;``-joined).
    """

    used: pd.DataFrame
    excluded: pd.DataFrame


@cached("cost.prices")
def _prices() -> pd.DataFrame:
    frame = pd.read_csv(
        bundled_data_path("hardware_prices.csv"),
        dtype={"hardware": "string", "kind": "string", "vendor": "string", "source": "string"},
        encoding="utf-8",
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    frame["usd"] = pd.to_numeric(frame["usd"], errors="coerce")
    frame["is_estimate"] = frame["is_estimate"].astype(str).str.casefold().eq("true")
    return frame


def _peak_columns(chips: pd.DataFrame, precision: str) -> tuple[pd.Series, pd.Series]:
    """Peak FLOP/s per row and the precision it is for (NaN/'' where the table has none)."""
    key = _normalize_precision(precision)
    if key != "auto":
        peak = chips[PRECISION_COLUMNS[key]].astype(float)
        return peak, pd.Series(np.where(peak.notna(), key, ""), index=chips.index)
    peak = pd.Series(np.nan, index=chips.index)
    used = pd.Series("", index=chips.index)
    for candidate in AUTO_PRECISION_ORDER:
        value = chips[PRECISION_COLUMNS[candidate]].astype(float)
        take = peak.isna() & value.notna()
        peak[take] = value[take]
        used[take] = candidate
    return peak, used


def price_performance_table(
    kind: str = "cloud",
    precision: str = "auto",
    *,
    base_year: int = BASE_YEAR,
    useful_life_years: float = USEFUL_LIFE_YEARS,
    include_estimates: bool = False,
    max_days_before_release: int = MAX_DAYS_BEFORE_RELEASE,
) -> PricePerformanceTable:
    """Peak FLOP per constant dollar for every usable accelerator price quote.

    For ``kind="cloud"``: ``peak FLOP/s * 3600 / (USD per chip-hour on demand)``, the peak
    FLOP one dollar of rented chip time buys. For ``kind="purchase"``: ``peak FLOP/s *
    useful_life_years * 365.25 * 86400 / purchase price``, the peak FLOP a chip delivers over
    its useful life per dollar of its price. Power, cooling, hosting, networking, the rest of
    the server and staff are **not** included. Prices are converted to constant dollars of
    ``base_year`` with :func:`constant_dollars` before dividing.

    The quotes checked and the order of the checks are in the module docstring. Every quote
    of ``hardware_prices.csv`` ends up in exactly one of the two returned tables.

    Parameters
    ----------
    kind : {"cloud", "purchase"}, default "cloud"
        On-demand cloud prices or amortized purchase prices.
    precision : str, default "auto"
        Peak rate to use: ``"auto"`` (tensor-core fp16/bf16 where the table has it, else
        fp32; the ``precision`` column says which) or a key of
        :data:`flopcast.hardware.PRECISION_COLUMNS` (e.g. ``"fp32"``).
    base_year : int, default 2023
        Year of the constant dollars.
    useful_life_years : float, default 3.0
        Amortization period for purchase prices (ignored for cloud prices).
    include_estimates : bool, default False
        Keep prices that Epoch marks as estimated (``is_estimate``).
    max_days_before_release : int, default 365
        Quotes dated more than this many days before the chip's release are excluded.

    Returns
    -------
    PricePerformanceTable
        ``(used, excluded)``; see :class:`PricePerformanceTable` for the columns.

    Raises
    ------
    FlopcastError
        If ``kind`` or ``useful_life_years`` is invalid or the base year has no index.

    Examples
    --------
    >>> used, excluded = price_performance_table("cloud")
    >>> bool((used["source_kind"] == "cloud_on_demand").all())
    True
    >>> bool(excluded["reason"].str.len().gt(0).all())
    True
    """
    if kind not in _SOURCE_KIND:
        raise FlopcastError(f"kind={kind!r}: use 'cloud' or 'purchase'")
    if not (useful_life_years > 0 and math.isfinite(useful_life_years)):
        raise FlopcastError(f"useful_life_years={useful_life_years!r} must be positive")
    index = _price_index()
    base = _base_level(index, base_year)

    prices = _prices().copy()
    prices.insert(0, "price_row", np.arange(len(prices)))
    # hardware_prices.csv names its chips exactly as accelerators.csv does (unique names).
    chips = load_accelerators().rename(columns={"name": "hardware"})
    merged = prices.merge(chips, on="hardware", how="left", indicator=True, validate="m:1")
    merged = merged.rename(columns={"kind": "source_kind", "usd": "usd_nominal"})
    peak, peak_precision = _peak_columns(merged, precision)
    merged["peak_flops"] = peak.to_numpy()
    merged["precision"] = peak_precision.to_numpy()
    months = merged["date"].dt.to_period("M").dt.to_timestamp()
    merged["price_index"] = index.reindex(pd.DatetimeIndex(months)).to_numpy(dtype=float)

    wanted = _SOURCE_KIND[kind]
    in_table = merged["_merge"] == "both"
    chip_type = merged["type"].astype("string")
    is_ml = chip_type.isin(ML_TYPES).fillna(False) | (
        merged["ml_hardware"].fillna(False).astype(bool) & chip_type.ne("CPU").fillna(True)
    )
    release = merged["release_date"]
    too_early = (release - merged["date"]).dt.days > max_days_before_release
    kind_text = {
        "cloud_on_demand": "on-demand cloud price",
        "cloud_1yr": "1-year committed cloud price",
        "cloud_3yr": "3-year committed cloud price",
        "purchase": "purchase price",
    }
    key = _normalize_precision(precision)
    peak_text = "tensor fp16/bf16 or fp32" if key == "auto" else key
    blank = pd.Series("", index=merged.index)
    # (failed, reason, detail): the reason is a fixed text (for counting), the detail is
    # specific to the quote.
    checks: list[tuple[pd.Series, str, pd.Series]] = [
        (
            merged["source_kind"] != wanted,
            f"not a {wanted} price",
            merged["source_kind"].map(lambda k: f"{kind_text.get(k, k)}"),
        ),
        (~in_table, "hardware not in accelerators.csv", blank),
        (merged["date"].isna(), "no date", blank),
        (
            merged["date"].notna() & merged["price_index"].isna(),
            "no price index for the quote's month",
            months.map(lambda m: f"{m:%Y-%m}" if pd.notna(m) else ""),
        ),
        (~(merged["usd_nominal"] > 0), "no positive price", blank),
        (
            in_table & ~is_ml,
            "not an ML accelerator",
            chip_type.fillna("unknown").map(
                lambda t: (
                    "type unknown and not flagged as ML hardware" if t == "unknown" else f"type {t}"
                )
            ),
        ),
        (
            in_table & merged["peak_flops"].isna(),
            f"no peak FLOP/s ({peak_text}) in accelerators.csv",
            blank,
        ),
        (
            merged["is_estimate"] & (not include_estimates),
            "estimated price (is_estimate)",
            blank,
        ),
        (
            too_early.fillna(False),
            f"dated more than {max_days_before_release} days before the chip's release",
            release.map(lambda r: f"released {r:%Y-%m-%d}" if pd.notna(r) else ""),
        ),
    ]
    reasons: list[list[str]] = [[] for _ in range(len(merged))]
    details: list[list[str]] = [[] for _ in range(len(merged))]
    for failed, reason, detail in checks:
        detail_arr = detail.to_numpy()
        for i in np.flatnonzero(failed.fillna(False).to_numpy(dtype=bool)):
            reasons[i].append(reason)
            details[i].append(str(detail_arr[i]))
    has_reason = np.array([bool(r) for r in reasons])
    rows = np.flatnonzero(has_reason)

    excluded = merged.loc[
        has_reason, ["price_row", "hardware", "date", "source_kind", "usd_nominal"]
    ].copy()
    excluded["reason"] = [reasons[i][0] for i in rows]
    excluded["detail"] = [details[i][0] for i in rows]
    excluded["other_reasons"] = ["; ".join(reasons[i][1:]) for i in rows]
    excluded = excluded.reset_index(drop=True)

    used = merged.loc[~has_reason].copy()
    used["year"] = decimal_year(used["date"])
    used["usd_constant"] = used["usd_nominal"] * base / used["price_index"]
    if kind == "cloud":
        flop_per_unit = used["peak_flops"] * SECONDS_PER_HOUR
    else:
        flop_per_unit = used["peak_flops"] * useful_life_years * SECONDS_PER_YEAR
    used["flop_per_usd"] = flop_per_unit / used["usd_constant"]
    used["log10_flop_per_usd"] = np.log10(used["flop_per_usd"].to_numpy(dtype=float))
    used["price_unit"] = _PRICE_UNIT[kind]
    columns = [
        "price_row",
        "hardware",
        "type",
        "date",
        "year",
        "source_kind",
        "usd_nominal",
        "price_unit",
        "price_index",
        "usd_constant",
        "peak_flops",
        "precision",
        "flop_per_usd",
        "log10_flop_per_usd",
        "vendor",
        "n_listings",
        "is_estimate",
        "source",
    ]
    used = used[columns].sort_values(["date", "hardware"], kind="stable").reset_index(drop=True)
    settings = {
        "kind": kind,
        "precision": precision,
        "base_year": int(base_year),
        "base_year_index": base,
        "base_year_months": int((index.index.year == int(base_year)).sum()),
        "useful_life_years": float(useful_life_years) if kind == "purchase" else None,
        "include_estimates": bool(include_estimates),
        "max_days_before_release": int(max_days_before_release),
        "n_quotes": len(prices),
    }
    used.attrs.update(settings)
    excluded.attrs.update(settings)
    return PricePerformanceTable(used, excluded)


# --------------------------------------------------------------------------------------
# The Bayesian trend


@dataclass(frozen=True)
class PricePerformancePriors:
    """Weakly informative priors of the price-performance trend (log10 FLOP per USD).

    ``level ~ Normal(level_mu, level_sd)`` is the trend at 2015.0: 17 +- 3 dex spans
    everything from 1e11 to 1e23 FLOP per dollar at 2 sd (the data sit near 1e16-1e18).
    ``slope ~ Normal(slope_mu, slope_sd)`` in dex per year, centred on no change so the
    prior does not presume growth; sd 0.5 allows anything up to a tenfold gain (or loss) per
    year at 2 sd, far beyond any hardware trend. ``scatter ~ HalfNormal(scatter_sd)``
    (dex). ``nu ~ Gamma(2, nu_rate)``: degrees of freedom of the Student-t scatter (Juarez
    and Steel 2010; mean 20 with rate 0.1), which lets the data choose between heavy tails
    and a nearly Normal spread.
    """

    level_mu: float = 17.0
    level_sd: float = 3.0
    slope_mu: float = 0.0
    slope_sd: float = 0.5
    scatter_sd: float = 1.0
    nu_rate: float = 0.1

    def as_data(self) -> dict[str, np.ndarray]:
        """The hyperparameters as ``pm.Data`` values, by name."""
        return {k: np.asarray(float(v)) for k, v in self.__dict__.items()}

    def to_dict(self) -> dict[str, float]:
        """The hyperparameters as plain floats."""
        return {k: float(v) for k, v in self.__dict__.items()}


def build_price_performance_model(
    t: np.ndarray,
    y: np.ndarray,
    priors: PricePerformancePriors | None = None,
    likelihood: str = "student_t",
) -> Any:
    """Build the PyMC model of the price-performance trend, its data as ``pm.Data``.

    ``y_i ~ StudentT(nu, level + slope * t_i, scatter)`` (or Normal), with ``t`` in years
    relative to :data:`PP_T_REF` and ``y`` in log10 FLOP per constant dollar; priors as in
    :class:`PricePerformancePriors`. The data (``t``, ``y``) and every hyperparameter are
    ``pm.Data`` inputs, so one compiled model serves any data set and prior setting.

    Parameters
    ----------
    t, y : ndarray
        Years since 2015 and log10 FLOP per dollar, one entry per quote.
    priors : PricePerformancePriors, optional
        Hyperparameters; the defaults if omitted.
    likelihood : {"student_t", "normal"}
        Scatter family.

    Returns
    -------
    pymc.Model

    Examples
    --------
    >>> model = build_price_performance_model(np.array([0.0, 5.0]), np.array([16.5, 17.2]))
    >>> sorted(v.name for v in model.free_RVs)
    ['level', 'nu', 'scatter', 'slope']
    """
    import pymc as pm

    if likelihood not in LIKELIHOODS:
        raise FlopcastError(f"likelihood={likelihood!r}: use one of {', '.join(LIKELIHOODS)}")
    hyper = (priors or PricePerformancePriors()).as_data()
    with pm.Model() as model:
        t_data = pm.Data("t", np.asarray(t, dtype=float))
        y_data = pm.Data("y", np.asarray(y, dtype=float))
        h = {k: pm.Data(k, v) for k, v in hyper.items()}
        level = pm.Normal("level", h["level_mu"], h["level_sd"])
        slope = pm.Normal("slope", h["slope_mu"], h["slope_sd"])
        scatter = pm.HalfNormal("scatter", h["scatter_sd"])
        mu = level + slope * t_data
        if likelihood == "student_t":
            nu = pm.Gamma("nu", 2.0, h["nu_rate"])
            pm.StudentT("y_obs", nu=nu, mu=mu, sigma=scatter, observed=y_data, shape=y_data.shape)
        else:
            pm.Normal("y_obs", mu, scatter, observed=y_data, shape=y_data.shape)
    return model


_COMPILED: dict[tuple, Any] = CacheDict("cost.compiled_models")


def clear_price_performance_cache() -> None:
    """Forget compiled price-performance models (the next fit compiles again)."""
    _COMPILED.clear()


def _sample(
    t: np.ndarray,
    y: np.ndarray,
    priors: PricePerformancePriors,
    likelihood: str,
    *,
    seed: int,
    draws: int,
    tune: int,
    chains: int,
    progress: bool,
) -> tuple[Any, dict[str, float]]:
    import nutpie

    key = ("nutpie", likelihood)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cached = key in _COMPILED
    if not cached:
        model = build_price_performance_model(t, y, priors, likelihood)
        _COMPILED[key] = (nutpie.compile_pymc_model(model), model)
    compiled, _ = _COMPILED[key]
    data = {"t": np.asarray(t, dtype=float), "y": np.asarray(y, dtype=float), **priors.as_data()}
    names = set(compiled.shared_data)
    compiled = compiled.with_data(**{k: v for k, v in data.items() if k in names})
    timings["compile"] = time.perf_counter() - start
    timings["compiled_model_reused"] = float(cached)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, 2),
            seed=seed,
            save_warmup=False,
            progress_bar=progress,
        )
    timings["sample"] = time.perf_counter() - start
    return raw, timings


def _diagnostics(posterior: xr.Dataset, sample_stats: xr.Dataset | None) -> Diagnostics:
    return sampler_diagnostics(
        posterior,
        sample_stats,
        ("level", "slope", "scatter", "nu"),
        subject="PRICE-PERFORMANCE",
        advice="Try more draws and tuning (draws=, tune=) or more chains.",
    )


def _interval(values: np.ndarray, level: float = CI_LEVEL) -> tuple[float, float, float]:
    lo, med, hi = np.quantile(values, [(1 - level) / 2, 0.5, (1 + level) / 2])
    return float(med), float(lo), float(hi)


class PricePerformanceFit:
    """A fitted price-performance trend: posterior draws, the quotes used and diagnostics.

    Build with :func:`fit_price_performance`, not directly.

    Attributes
    ----------
    kind : str
        ``"cloud"``, ``"purchase"`` or ``"custom"`` (observations given directly).
    table : pandas.DataFrame
        The quotes fitted (at least ``year`` and ``log10_flop_per_usd``).
    excluded : pandas.DataFrame
        The quotes left out, with reasons (empty for custom observations).
    idata : arviz.InferenceData
        ``posterior`` (``level``, ``slope``, ``scatter``, ``nu``) and ``sample_stats``.
    likelihood : str
        ``"student_t"`` or ``"normal"``.
    priors : PricePerformancePriors
    seed : int
    settings : dict
        Base year, precision, useful life, sampler settings and timings.
    diagnostics : flopcast.diagnostics.Diagnostics
    """

    def __init__(
        self,
        kind: str,
        table: pd.DataFrame,
        excluded: pd.DataFrame,
        idata: az.InferenceData,
        likelihood: str,
        priors: PricePerformancePriors,
        seed: int,
        settings: dict[str, Any],
    ) -> None:
        self.kind = kind
        self.table = table
        self.excluded = excluded
        self.idata = idata
        self.likelihood = likelihood
        self.priors = priors
        self.seed = seed
        self.settings = settings
        self.diagnostics = _diagnostics(idata.posterior, idata.get("sample_stats"))

    # -- draws --------------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """Posterior draws (chain, draw)."""
        return self.idata.posterior

    @property
    def base_year(self) -> int | None:
        """Year of the constant dollars (None for custom observations)."""
        return self.settings.get("base_year")

    def stack_draws(self, name: str) -> np.ndarray:
        return np.asarray(self.posterior[name].values, dtype=float).reshape(-1)

    @property
    def n_draws(self) -> int:
        """Number of posterior draws (chains x draws)."""
        return int(self.posterior.sizes["chain"] * self.posterior.sizes["draw"])

    def slope_draws(self) -> np.ndarray:
        """Draws of the slope, log10 FLOP per dollar per year: (samples,)."""
        return self.stack_draws("slope")

    def doubling_years_draws(self) -> np.ndarray:
        """Draws of the doubling time of FLOP per dollar, in years: (samples,)."""
        with np.errstate(divide="ignore"):
            return LOG10_2 / self.slope_draws()

    def draws_at(
        self,
        years: np.ndarray | float,
        *,
        predictive: bool = False,
        rng: np.random.Generator | int | None = None,
    ) -> np.ndarray:
        """Draws of the trend of log10 peak FLOP per constant dollar at decimal ``years``.

        Parameters
        ----------
        years : float or ndarray
            Decimal years, shape ``(n,)``.
        predictive : bool, default False
            Add the fitted scatter (Student-t or Normal) to each draw: the spread of single
            price quotes around the trend rather than the trend itself.
        rng : Generator or int, optional
            Randomness for ``predictive=True``.

        Returns
        -------
        ndarray
            Shape ``(samples, n)``.

        Examples
        --------
        >>> fit = fit_price_performance("cloud", seed=1)         # doctest: +SKIP
        >>> fit.draws_at(np.array([2020.0, 2025.0])).shape       # doctest: +SKIP
        (4000, 2)
        """
        t = np.atleast_1d(np.asarray(years, dtype=float)) - PP_T_REF
        mu = self.stack_draws("level")[:, None] + self.stack_draws("slope")[:, None] * t[None, :]
        if not predictive:
            return mu
        gen = np.random.default_rng(rng)
        scatter = self.stack_draws("scatter")[:, None]
        if "nu" in self.posterior:
            noise = gen.standard_t(self.stack_draws("nu")[:, None], size=mu.shape)
        else:
            noise = gen.standard_normal(mu.shape)
        return mu + scatter * noise

    # -- summaries ----------------------------------------------------------------------
    def summary(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """Posterior medians and central credible intervals of the headline quantities.

        Rows: ``doubling_years``, ``doubling_months``, ``growth_per_year`` (x/year),
        ``slope`` (dex/year), ``level_2023`` (log10 FLOP per dollar on the trend at 2023.0),
        ``flop_per_usd_2023``, ``scatter`` (dex) and ``nu`` (Student-t only).

        Parameters
        ----------
        level : float, default 0.9
            Credible level of the intervals (5th to 95th percentile by default).

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``median``, ``ci_low``, ``ci_high``, ``unit``;
            ``.attrs["level"]``.

        Examples
        --------
        >>> fit = fit_price_performance("cloud", seed=1)        # doctest: +SKIP
        >>> fit.summary().loc["doubling_years", "median"]       # doctest: +SKIP
        """
        slope = self.slope_draws()
        level_2023 = self.stack_draws("level") + slope * (2023.0 - PP_T_REF)
        with np.errstate(divide="ignore"):
            doubling = LOG10_2 / slope
        rows: list[tuple[str, np.ndarray, str]] = [
            ("doubling_years", doubling, "years"),
            ("doubling_months", 12.0 * doubling, "months"),
            ("growth_per_year", 10.0**slope, "x/year"),
            ("slope", slope, "log10 FLOP/USD per year"),
            ("level_2023", level_2023, "log10 FLOP/USD"),
            ("flop_per_usd_2023", 10.0**level_2023, "FLOP/USD"),
            ("scatter", self.stack_draws("scatter"), "dex"),
        ]
        if "nu" in self.posterior:
            rows.append(("nu", self.stack_draws("nu"), "degrees of freedom"))
        table = pd.DataFrame(
            [(name, *_interval(v, level), unit) for name, v, unit in rows],
            columns=["parameter", "median", "ci_low", "ci_high", "unit"],
        ).set_index("parameter")
        table.attrs["level"] = level
        return table

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: settings, data counts, summary, diagnostics, versions.

        Examples
        --------
        >>> import json
        >>> json.dumps(fit_price_performance("cloud", seed=1).to_dict())  # doctest: +SKIP
        """
        from flopcast import provenance
        from flopcast._version import __version__

        summary = self.summary()
        quantities = {
            name: {"median": r["median"], "ci90": [r["ci_low"], r["ci_high"]], "unit": r["unit"]}
            for name, r in summary.iterrows()
        }
        reasons = (
            self.excluded["reason"].value_counts().to_dict()
            if len(self.excluded) and "reason" in self.excluded
            else {}
        )
        first = float(self.table["year"].min()) if len(self.table) else None
        last = float(self.table["year"].max()) if len(self.table) else None
        return jsonable(
            {
                "flopcast_version": __version__,
                "model": {
                    "formula": "log10(FLOP per USD) ~ "
                    + ("StudentT(nu, " if self.likelihood == "student_t" else "Normal(")
                    + "level + slope * (year - 2015), scatter)",
                    "likelihood": self.likelihood,
                    "priors": self.priors.to_dict(),
                },
                "kind": self.kind,
                "settings": {k: v for k, v in self.settings.items() if k != "timings_s"},
                "data": {
                    "n_used": len(self.table),
                    "n_excluded": len(self.excluded),
                    "exclusion_reasons": reasons,
                    "first_year": first,
                    "last_year": last,
                },
                "summary": quantities,
                "diagnostics": self.diagnostics.to_dict(),
                "seed": self.seed,
                "versions": provenance.versions(),
            }
        )

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        header = (
            f"flopcast PricePerformanceFit: {self.kind}, {len(self.table)} quotes "
            f"({len(self.excluded)} excluded), {self.likelihood} scatter, "
            f"{self.diagnostics.n_draws} draws (seed {self.seed})"
        )
        return summary_text(header, self.summary(), self.diagnostics, name_width=20)

    def _repr_html_(self) -> str:
        title = (
            f"<b>flopcast PricePerformanceFit</b>: {html.escape(self.kind)}, "
            f"{len(self.table)} quotes"
        )
        return summary_html(title, self.summary(), self.diagnostics)


def fit_price_performance(
    kind: str = "cloud",
    *,
    precision: str = "auto",
    base_year: int = BASE_YEAR,
    useful_life_years: float = USEFUL_LIFE_YEARS,
    include_estimates: bool = False,
    likelihood: str = "student_t",
    priors: PricePerformancePriors | None = None,
    observations: pd.DataFrame | None = None,
    seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    progress: bool = False,
) -> PricePerformanceFit:
    """Fit the Bayesian log-linear trend of peak FLOP per constant dollar over time.

    ``log10(FLOP per USD)_i ~ StudentT(nu, level + slope * (year_i - 2015), scatter)`` with
    the weakly informative priors of :class:`PricePerformancePriors`, sampled with nutpie.
    The scatter is Student-t by default because price lists have outliers: generic chip
    names, per-instance prices divided inconsistently, consumer cards whose tensor-core rate
    is missing from the table (so ``"auto"`` falls back to fp32 for them), and vendor
    margins that differ by several times; a Normal would let a handful of such quotes pull
    the slope, while the Student-t learns how heavy the tails are (``nu``) and reduces to a
    Normal when they are not. Each distinct quote is one observation; quotes of one chip are
    correlated, so the intervals are if anything too narrow.

    The compiled model is cached in-process per likelihood: later fits (another kind,
    other data or priors) only swap the ``pm.Data`` inputs.

    Parameters
    ----------
    kind : {"cloud", "purchase"}, default "cloud"
        Which prices (see :func:`price_performance_table`).
    precision, base_year, useful_life_years, include_estimates
        Passed to :func:`price_performance_table`.
    likelihood : {"student_t", "normal"}, default "student_t"
        Scatter family.
    priors : PricePerformancePriors, optional
        Hyperparameters; the defaults if omitted.
    observations : pandas.DataFrame, optional
        Fit these instead of the bundled quotes: columns ``year`` (decimal) and
        ``log10_flop_per_usd`` (e.g. simulated data). ``kind`` is then ``"custom"``.
    seed : int, default 0
        Sampler seed: the same seed, data and settings give the same draws.
    draws, tune, chains : int
        Sampler settings (per chain); at most two chains run in parallel.
    progress : bool, default False
        Show nutpie's progress bar.

    Returns
    -------
    PricePerformanceFit
        Warns with :class:`PricePerformanceSamplingWarning` when R-hat, ESS or divergences
        fail the checks (thresholds as in :mod:`flopcast.fitting`).

    Examples
    --------
    >>> fit = fit_price_performance("cloud", seed=1)                   # doctest: +SKIP
    >>> fit.summary().loc["doubling_years", ["median", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    priors = priors or PricePerformancePriors()
    if likelihood not in LIKELIHOODS:
        raise FlopcastError(f"likelihood={likelihood!r}: use one of {', '.join(LIKELIHOODS)}")
    if min(draws, tune, chains) < 1:
        raise FlopcastError("draws, tune and chains must be positive")
    settings: dict[str, Any]
    if observations is not None:
        missing = {"year", "log10_flop_per_usd"} - set(observations.columns)
        if missing:
            raise FlopcastError(f"observations lack column(s) {sorted(missing)}")
        table = observations.reset_index(drop=True)
        excluded = pd.DataFrame(columns=["price_row", "reason"])
        kind_used = "custom"
        settings = {"base_year": None}
    else:
        table, excluded = price_performance_table(
            kind,
            precision,
            base_year=base_year,
            useful_life_years=useful_life_years,
            include_estimates=include_estimates,
        )
        kind_used = kind
        settings = {
            "base_year": int(base_year),
            "precision": precision,
            "useful_life_years": float(useful_life_years) if kind == "purchase" else None,
            "include_estimates": bool(include_estimates),
        }
    y = table["log10_flop_per_usd"].to_numpy(dtype=float)
    t = table["year"].to_numpy(dtype=float) - PP_T_REF
    if len(y) < 3 or not (np.all(np.isfinite(y)) and np.all(np.isfinite(t))):
        raise FlopcastError(
            f"price-performance fit needs at least 3 finite observations, got {len(y)}"
        )
    raw, timings = _sample(
        t,
        y,
        priors,
        likelihood,
        seed=int(seed),
        draws=int(draws),
        tune=int(tune),
        chains=int(chains),
        progress=progress,
    )
    keep = [n for n in ("level", "slope", "scatter", "nu") if n in raw.posterior]
    posterior = raw.posterior[keep]
    groups: dict[str, xr.Dataset] = {"posterior": posterior}
    if "diverging" in raw.sample_stats:
        groups["sample_stats"] = raw.sample_stats[["diverging"]]
    idata = az.InferenceData(**groups)
    settings.update(
        {"draws": int(draws), "tune": int(tune), "chains": int(chains), "timings_s": timings}
    )
    result = PricePerformanceFit(
        kind_used, table, excluded, idata, likelihood, priors, int(seed), settings
    )
    if not result.diagnostics.ok:
        warnings.warn(
            "\n" + result.diagnostics.warning_block(), PricePerformanceSamplingWarning, stacklevel=2
        )
    return result


# --------------------------------------------------------------------------------------
# Utilization


@dataclass(frozen=True)
class UtilizationPrior:
    """Prior on the fraction of peak FLOP/s a training run achieves: ``Beta(alpha, beta)``.

    The default ``Beta(8, 16)`` has mean exactly 1/3, the 33% the source analysis assumes for
    GPUs; median 32.9% and 90% interval 18.6%-49.6%. The spread comes from the data: the 58
    runs of the bundled dataset that report a model FLOP utilization have median 37.5% and
    5th-95th percentiles 19.6%-57.7% (sd 0.12); the 14 of them with at least 1e24 FLOP, the
    frontier runs a cost forecast is about, have median 33% and 5th-95th percentiles
    19.3%-49.4% (13 of the 14 fall inside the prior's 90% interval). The smaller runs above
    50% (Baichuan, TinyLlama, GPT-J, LaMDA) are what pull the full sample's median up.
    :func:`utilization_evidence` recomputes these numbers.

    Attributes
    ----------
    alpha, beta : float
        Beta shape parameters (both > 0).

    Examples
    --------
    >>> prior = UtilizationPrior()
    >>> round(prior.mean, 4), round(prior.median, 3)
    (0.3333, 0.329)
    >>> [round(v, 3) for v in prior.interval(0.9)]
    [0.186, 0.496]
    """

    alpha: float = 8.0
    beta: float = 16.0

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0):
            raise FlopcastError(
                f"UtilizationPrior needs alpha > 0 and beta > 0, got {self.alpha}, {self.beta}"
            )

    @property
    def mean(self) -> float:
        """Prior mean, ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def median(self) -> float:
        """Prior median."""
        from scipy import stats

        return float(stats.beta(self.alpha, self.beta).median())

    def interval(self, level: float = CI_LEVEL) -> tuple[float, float]:
        """Central prior interval at ``level`` (0.9: 5th and 95th percentiles)."""
        from scipy import stats

        lo, hi = stats.beta(self.alpha, self.beta).ppf([(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)

    def draws(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """``n`` draws of utilization, each in (0, 1).

        Examples
        --------
        >>> UtilizationPrior().draws(3, np.random.default_rng(0)).shape
        (3,)
        """
        return np.random.default_rng(rng).beta(self.alpha, self.beta, size=int(n))

    def to_dict(self) -> dict[str, Any]:
        """Parameters and derived quantities as plain values."""
        lo, hi = self.interval()
        return {
            "distribution": "Beta",
            "alpha": self.alpha,
            "beta": self.beta,
            "mean": self.mean,
            "median": self.median,
            "ci90": [lo, hi],
        }


def _load_cost_runs() -> pd.DataFrame:
    """The bundled runs (flopcast.runs.load_runs if available, else data/runs.csv)."""
    try:
        from flopcast.runs import load_runs
    except ImportError:
        load_runs = None
    if load_runs is not None:
        return load_runs().runs
    frame = pd.read_csv(bundled_data_path("runs.csv"), encoding="utf-8")
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    return frame


def _runs_frame(runs: Any) -> pd.DataFrame:
    if runs is None:
        return _load_cost_runs()
    if hasattr(runs, "runs") and isinstance(runs.runs, pd.DataFrame):
        return runs.runs
    if isinstance(runs, pd.DataFrame):
        return runs
    raise FlopcastError(
        f"runs must be a RunTable, a pandas DataFrame or None, got {type(runs).__name__}"
    )


def utilization_evidence(
    runs: Any = None, prior: UtilizationPrior | None = None, min_compute_flop: float = 1e24
) -> pd.DataFrame:
    """Recorded utilization of the runs, summarised, next to the prior.

    Parameters
    ----------
    runs : RunTable or DataFrame, optional
        Runs with ``utilization`` and ``compute_flop``; the bundled runs if omitted.
    prior : UtilizationPrior, optional
        The prior to compare with (the default if omitted).
    min_compute_flop : float, default 1e24
        Threshold of the "frontier" subset.

    Returns
    -------
    pandas.DataFrame
        Rows ``all runs``, ``runs >= <threshold> FLOP`` and ``prior``; columns ``n``,
        ``median``, ``q05``, ``q25``, ``q75``, ``q95``, ``sd`` and ``share_in_prior_ci90``
        (share of the runs inside the prior's 90% interval).

    Examples
    --------
    >>> table = utilization_evidence()
    >>> int(table.loc["all runs", "n"]) > 50
    True
    """
    prior = prior or UtilizationPrior()
    frame = _runs_frame(runs)
    if "utilization" not in frame:
        raise FlopcastError("the runs have no 'utilization' column")
    lo, hi = prior.interval(0.9)
    rows = {}
    values = pd.to_numeric(frame["utilization"], errors="coerce")
    compute = pd.to_numeric(frame.get("compute_flop"), errors="coerce")
    subsets = {
        "all runs": values.dropna(),
        f"runs >= {min_compute_flop:.0e} FLOP": values[compute >= min_compute_flop].dropna(),
    }
    for name, v in subsets.items():
        q = v.quantile([0.05, 0.25, 0.5, 0.75, 0.95]) if len(v) else pd.Series(np.nan, [0] * 5)
        rows[name] = {
            "n": len(v),
            "median": q.iloc[2],
            "q05": q.iloc[0],
            "q25": q.iloc[1],
            "q75": q.iloc[3],
            "q95": q.iloc[4],
            "sd": v.std() if len(v) > 1 else np.nan,
            "share_in_prior_ci90": ((v >= lo) & (v <= hi)).mean() if len(v) else np.nan,
        }
    from scipy import stats

    dist = stats.beta(prior.alpha, prior.beta)
    p = dist.ppf([0.05, 0.25, 0.5, 0.75, 0.95])
    rows["prior"] = {
        "n": np.nan,
        "median": p[2],
        "q05": p[0],
        "q25": p[1],
        "q75": p[3],
        "q95": p[4],
        "sd": float(dist.std()),
        "share_in_prior_ci90": 0.9,
    }
    return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------------------
# Cost


class _HasDrawsAt(Protocol):
    def draws_at(self, years: np.ndarray) -> np.ndarray: ...


def _pp_draws(pp_fit: Any, years: np.ndarray) -> np.ndarray:
    """log10 FLOP per dollar draws, (P, n), from a fit or from given values."""
    if hasattr(pp_fit, "draws_at"):
        values = np.asarray(pp_fit.draws_at(years), dtype=float)
    else:
        values = np.asarray(pp_fit, dtype=float)
    if values.ndim == 0:
        values = np.full((1, len(years)), float(values))
    elif values.ndim == 1:
        values = values[:, None]  # draws, the same at every year
    if values.shape[1] not in (1, len(years)):
        raise FlopcastError(
            f"price-performance draws have {values.shape[1]} columns for {len(years)} years"
        )
    return np.broadcast_to(values, (values.shape[0], len(years)))


def cost_draws(
    log10_compute_draws: np.ndarray | float,
    years: np.ndarray | float,
    pp_fit: PricePerformanceFit | _HasDrawsAt | np.ndarray | float,
    utilization: UtilizationPrior | np.ndarray | float | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Draws of training cost in constant US dollars.

    ``cost = 10**(log10_compute - log10_flop_per_usd(year)) / utilization``, with
    ``log10_flop_per_usd`` the price-performance *trend* (peak FLOP per constant dollar of
    the fit's base year) and ``utilization`` the fraction of peak achieved. In linear terms:
    ``cost [USD] = compute [FLOP] / (FLOP per USD at full peak * utilization)``.

    Draws are paired by index: sample ``s`` of the result combines compute draw ``s``,
    price-performance draw ``s`` and utilization draw ``s``. The number of samples is that of
    the compute draws, or that of the price-performance draws when compute is a point value
    (one row). Price-performance draws whose count differs are resampled with replacement
    with ``rng``; utilization draws come from the prior (one per sample, shared by every
    column, as utilization is a property of how runs are done rather than of one date), or
    are resampled the same way if given as an array.

    Parameters
    ----------
    log10_compute_draws : float or ndarray
        log10 FLOP, shape ``(samples, n)``, or ``(n,)`` / scalar for point values.
    years : float or ndarray
        Decimal year of each column, shape ``(n,)``.
    pp_fit : PricePerformanceFit, object with ``draws_at``, ndarray or float
        The price-performance trend; or log10 FLOP per dollar directly (a scalar, draws
        ``(P,)`` or ``(P, n)``), e.g. a point mass for a hand-worked example.
    utilization : UtilizationPrior, ndarray or float, optional
        Prior (default :class:`UtilizationPrior`), draws, or a fixed value in (0, 1].
    rng : Generator or int, optional
        Randomness for resampling and utilization draws.

    Returns
    -------
    ndarray
        Cost in constant USD, shape ``(samples, n)``.

    Examples
    --------
    1e24 FLOP at 1e17 FLOP per dollar and 40% utilization costs 2.5e7 USD:

    >>> cost_draws(24.0, 2023.0, pp_fit=17.0, utilization=0.4).tolist()
    [[25000000.0]]
    """
    gen = np.random.default_rng(rng)
    years_arr = np.atleast_1d(np.asarray(years, dtype=float))
    n = len(years_arr)
    compute = np.asarray(log10_compute_draws, dtype=float)
    if compute.ndim == 0:
        compute = np.full((1, n), float(compute))
    elif compute.ndim == 1:
        if len(compute) != n:
            raise FlopcastError(
                f"log10_compute_draws has {len(compute)} values for {n} years; give a "
                "(samples, n) array of draws or one value per year"
            )
        compute = compute[None, :]
    if compute.shape[1] != n:
        raise FlopcastError(f"log10_compute_draws has {compute.shape[1]} columns for {n} years")

    pp = _pp_draws(pp_fit, years_arr)
    n_out = compute.shape[0] if compute.shape[0] > 1 else pp.shape[0]
    if pp.shape[0] != n_out:
        pp = pp[gen.integers(0, pp.shape[0], size=n_out)] if pp.shape[0] > 1 else pp
    if compute.shape[0] != n_out:
        compute = np.broadcast_to(compute, (n_out, n))

    if utilization is None:
        utilization = UtilizationPrior()
    if isinstance(utilization, UtilizationPrior):
        u = utilization.draws(n_out, gen)[:, None]
    else:
        u = np.asarray(utilization, dtype=float)
        if u.ndim == 0:
            u = u.reshape(1, 1)
        elif u.ndim == 1:
            if len(u) != n_out and len(u) > 1:
                u = u[gen.integers(0, len(u), size=n_out)]
            u = u[:, None]
    if np.any(~(u > 0)) or np.any(u > 1):
        raise FlopcastError("utilization must lie in (0, 1]")
    cost = 10.0 ** (compute - pp) / u
    return np.broadcast_to(cost, (n_out, n)).copy()


@dataclass(frozen=True)
class CostCrossCheck:
    """Model cost against recorded cost, per run and overall.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run with a recorded cost: ``system``, ``date``, ``year``,
        ``compute_flop``, ``cost_usd`` (recorded), ``model_cost_median``,
        ``model_cost_ci_low``, ``model_cost_ci_high``, ``ratio_median``, ``ratio_ci_low``,
        ``ratio_ci_high`` (model / recorded), ``log10_ratio_median`` and
        ``recorded_in_ci`` (the recorded cost lies in the model's interval).
    summary : dict
        ``n_runs``, ``median_ratio``, ``log10_ratio_median``, ``log10_ratio_sd``,
        ``log10_ratio_q05``/``q95`` (over runs, of each run's median log10 ratio),
        ``share_recorded_in_ci``, ``n_skipped`` (recorded cost but no usable compute or
        date), ``n_below_min_compute`` and the settings.
    """

    runs: pd.DataFrame
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The summary, JSON-ready."""
        return jsonable(dict(self.summary))


def cross_check_costs(
    runs: Any = None,
    pp_fit: PricePerformanceFit | _HasDrawsAt | np.ndarray | float | None = None,
    *,
    utilization: UtilizationPrior | np.ndarray | float | None = None,
    rng: np.random.Generator | int | None = 0,
    level: float = CI_LEVEL,
    n_draws: int = 2000,
    predictive: bool = False,
    min_compute_flop: float | None = None,
) -> CostCrossCheck:
    """Compare the model's cost with the recorded ``cost_usd`` of each run that has one.

    For each run with a recorded cost (Epoch AI's "Training compute cost (2023 USD)"), its
    published compute and date give model cost draws (:func:`cost_draws`, compute as a point
    value), and ``ratio = model cost / recorded cost``. Epoch's recorded cost uses the run's
    actual hardware, hours and prices; the ratio therefore measures how far a run's
    (price-performance x utilization) sits from the trend x prior.

    Parameters
    ----------
    runs : RunTable or DataFrame, optional
        Runs with ``system``, ``date``, ``compute_flop`` and ``cost_usd``; the bundled runs
        (``flopcast.runs.load_runs``, or ``data/runs.csv``) if omitted.
    pp_fit : PricePerformanceFit or log10 FLOP per dollar
        The price-performance trend (required). Its base year should be 2023 to match the
        recorded costs; another base year gives a warning.
    utilization : UtilizationPrior, ndarray or float, optional
        As in :func:`cost_draws` (default prior).
    rng : Generator or int, default 0
        Randomness for the draws.
    level : float, default 0.9
        Credible level of the per-run intervals.
    n_draws : int, default 2000
        Samples per run when the price-performance input is a point value.
    predictive : bool, default False
        Use the price-performance *predictive* draws (trend plus the scatter of single
        quotes, :meth:`PricePerformanceFit.draws_at`) instead of the trend: a run's hardware
        deal is one quote, so this is the fairer interval for a single run (needs a fit).
    min_compute_flop : float, optional
        Only runs with at least this much compute (e.g. 1e24 for frontier runs).

    Returns
    -------
    CostCrossCheck

    Examples
    --------
    >>> check = cross_check_costs(pp_fit=17.5, utilization=0.33)
    >>> check.summary["n_runs"] > 100
    True
    """
    if pp_fit is None:
        raise FlopcastError("cross_check_costs needs pp_fit (see fit_price_performance)")
    base = getattr(pp_fit, "base_year", BASE_YEAR)
    if base is not None and base != BASE_YEAR:
        warnings.warn(
            f"the price-performance fit is in {base} dollars but recorded costs are in "
            f"{BASE_YEAR} dollars; ratios include the price change between them",
            UserWarning,
            stacklevel=2,
        )
    gen = np.random.default_rng(rng)
    frame = _runs_frame(runs)
    missing = {"system", "date", "compute_flop", "cost_usd"} - set(frame.columns)
    if missing:
        raise FlopcastError(f"the runs lack column(s) {sorted(missing)}")
    cost = pd.to_numeric(frame["cost_usd"], errors="coerce")
    compute = pd.to_numeric(frame["compute_flop"], errors="coerce")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    has_cost = cost > 0
    usable = has_cost & (compute > 0) & dates.notna()
    n_below = 0
    if min_compute_flop is not None:
        n_below = int((usable & ~(compute >= min_compute_flop)).sum())
        usable &= compute >= min_compute_flop
    selected = frame.loc[usable, ["system"]].copy()
    selected["date"] = dates[usable]
    selected["year"] = decimal_year(selected["date"]) if len(selected) else []
    selected["compute_flop"] = compute[usable]
    selected["cost_usd"] = cost[usable]
    selected = selected.reset_index(drop=True)

    years = selected["year"].to_numpy(dtype=float)
    log10_c = np.log10(selected["compute_flop"].to_numpy(dtype=float))
    if predictive:
        if not isinstance(pp_fit, PricePerformanceFit):
            raise FlopcastError("predictive=True needs a PricePerformanceFit as pp_fit")
        pp = pp_fit.draws_at(years, predictive=True, rng=gen)
    else:
        pp = _pp_draws(pp_fit, years) if len(years) else np.zeros((1, 0))
    if pp.shape[0] == 1:
        pp = np.broadcast_to(pp, (n_draws, len(years)))
    draws = cost_draws(log10_c, years, pp, utilization, gen) if len(years) else np.zeros((1, 0))
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    q = np.quantile(draws, [lo_q, 0.5, hi_q], axis=0) if len(years) else np.zeros((3, 0))
    recorded = selected["cost_usd"].to_numpy(dtype=float)
    selected["model_cost_median"] = q[1]
    selected["model_cost_ci_low"] = q[0]
    selected["model_cost_ci_high"] = q[2]
    selected["ratio_median"] = q[1] / recorded
    selected["ratio_ci_low"] = q[0] / recorded
    selected["ratio_ci_high"] = q[2] / recorded
    selected["log10_ratio_median"] = np.log10(selected["ratio_median"].to_numpy(dtype=float))
    selected["recorded_in_ci"] = (recorded >= q[0]) & (recorded <= q[2])
    lr = selected["log10_ratio_median"].to_numpy(dtype=float)
    summary: dict[str, Any] = {
        "n_runs": len(selected),
        "n_skipped": int((has_cost & ~usable).sum()) - n_below,
        "n_below_min_compute": n_below,
        "min_compute_flop": min_compute_flop,
        "predictive": bool(predictive),
        "kind": getattr(pp_fit, "kind", "given"),
        "base_year": base,
        "level": level,
        "median_ratio": float(10 ** np.median(lr)) if len(lr) else float("nan"),
        "log10_ratio_median": float(np.median(lr)) if len(lr) else float("nan"),
        "log10_ratio_sd": float(np.std(lr, ddof=1)) if len(lr) > 1 else float("nan"),
        "log10_ratio_q05": float(np.quantile(lr, 0.05)) if len(lr) else float("nan"),
        "log10_ratio_q95": float(np.quantile(lr, 0.95)) if len(lr) else float("nan"),
        "share_recorded_in_ci": float(selected["recorded_in_ci"].mean())
        if len(lr)
        else float("nan"),
    }
    return CostCrossCheck(selected, summary)
