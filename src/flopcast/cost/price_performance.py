"""The Bayesian trend of hardware price-performance: peak FLOP per constant dollar over time.

``log10(FLOP per USD)_i ~ StudentT(nu, level + slope * (t_i - 2015), scatter)``, fitted to
the usable price quotes (:func:`flopcast.cost.quotes.price_performance_table`) with nutpie.
The model is compiled once per likelihood and cached in-process
(:func:`clear_price_performance_cache` or :func:`flopcast.clear_caches` empties the cache).
The draws are kept on disk per (data, settings, seed) (:mod:`flopcast.cost.posterior_cache`).
PyMC, nutpie and ArviZ load only to sample, for new diagnostics and for ``idata``, so a fit
read from the disk cache needs none of them (nor numba).
"""

from __future__ import annotations

import html
import time
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from flopcast.caches import CacheDict
from flopcast.cost import posterior_cache
from flopcast.cost.deflation import BASE_YEAR
from flopcast.cost.quotes import USEFUL_LIFE_YEARS, price_performance_table
from flopcast.display import summary_html, summary_text
from flopcast.exceptions import FlopcastError, PricePerformanceSamplingWarning
from flopcast.fitting.diagnostics import Diagnostics, sampler_diagnostics
from flopcast.formatting import jsonable
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns
from flopcast.units import LOG10_2

if TYPE_CHECKING:
    import arviz as az

__all__ = [
    "LIKELIHOODS",
    "PP_T_REF",
    "PricePerformanceFit",
    "PricePerformancePriors",
    "build_price_performance_model",
    "clear_price_performance_cache",
    "fit_price_performance",
]

#: Reference year of the price-performance trend: ``level`` is the trend value at 2015.0.
PP_T_REF: float = 2015.0
#: Scatter families of the trend.
LIKELIHOODS: tuple[str, ...] = ("student_t", "normal")
#: Part of the posterior cache key: bump it when a change to the model changes the draws.
MODEL_VERSION: int = 1
#: Parameters of the trend, in the order they are stored.
_PARAMETERS: tuple[str, ...] = ("level", "slope", "scatter", "nu")


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
    # sampling first: it sets PyTensor's compile folder before nutpie loads PyTensor
    from flopcast.fitting.sampling import generated_sources_outside_tmp

    # isort: split
    import nutpie

    key = ("nutpie", likelihood)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cached = key in _COMPILED
    if not cached:
        model = build_price_performance_model(t, y, priors, likelihood)
        with generated_sources_outside_tmp():
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
        ``posterior`` (``level``, ``slope``, ``scatter``, ``nu``) and ``sample_stats``
        (built on first use: it loads ArviZ).
    likelihood : str
        ``"student_t"`` or ``"normal"``.
    priors : PricePerformancePriors
    seed : int
    settings : dict
        Base year, precision, useful life, sampler settings and timings.
    diagnostics : flopcast.fitting.diagnostics.Diagnostics
        Computed when sampled, or read back from the disk cache.
    """

    #: Version of the layout of :meth:`to_dict` (2: first versioned).
    JSON_VERSION: ClassVar[int] = 2

    def __init__(
        self,
        kind: str,
        table: pd.DataFrame,
        excluded: pd.DataFrame,
        idata: az.InferenceData | dict[str, xr.Dataset],
        likelihood: str,
        priors: PricePerformancePriors,
        seed: int,
        settings: dict[str, Any],
        diagnostics: Diagnostics | None = None,
    ) -> None:
        self.kind = kind
        self.table = table
        self.excluded = excluded
        # Plain datasets until someone asks for ``idata`` (an InferenceData is a Mapping).
        self._groups: dict[str, xr.Dataset] = (
            dict(idata) if isinstance(idata, dict) else {g: idata[g] for g in idata.groups()}
        )
        self._idata: az.InferenceData | None = None if isinstance(idata, dict) else idata
        self.likelihood = likelihood
        self.priors = priors
        self.seed = seed
        self.settings = settings
        if diagnostics is not None:  # fills the cached property below
            self.__dict__["diagnostics"] = diagnostics

    @property
    def idata(self) -> az.InferenceData:
        """The draws as ArviZ ``InferenceData`` (loads ArviZ)."""
        if self._idata is None:
            import arviz as az

            self._idata = az.InferenceData(**self._groups)  # type: ignore[arg-type]
        return self._idata

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """R-hat, ESS and divergences of the draws (computed with ArviZ if not given)."""
        return _diagnostics(self.posterior, self._groups.get("sample_stats"))

    # -- draws --------------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """Posterior draws (chain, draw)."""
        return self._groups["posterior"]

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
            Index ``parameter``; columns ``median``, ``ci90_low``, ``ci90_high`` (named
            by :func:`flopcast.intervals.interval_columns`: ``ci50_low`` ... at level 0.5)
            and ``unit``; ``.attrs["level"]``.

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
        low, high = interval_columns(level)
        table = pd.DataFrame(
            [(name, *central_interval(v, level), unit) for name, v, unit in rows],
            columns=["parameter", "median", low, high, "unit"],
        ).set_index("parameter")
        table.attrs["level"] = level
        return table

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: settings, data counts, summary, diagnostics, versions.

        ``json_version`` (:attr:`JSON_VERSION`, 2) comes first;
        ``summary`` holds ``{"median": x, "ci90": [low, high], "unit": ...}`` per quantity.

        Examples
        --------
        >>> import json
        >>> json.dumps(fit_price_performance("cloud", seed=1).to_dict())  # doctest: +SKIP
        """
        from flopcast import provenance
        from flopcast._version import __version__

        summary = self.summary()
        low, high = interval_columns(summary.attrs["level"])
        quantities = {
            name: {"median": r["median"], "ci90": [r[low], r[high]], "unit": r["unit"]}
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
                "json_version": self.JSON_VERSION,
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
    cache: bool | None = None,
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
    other data or priors) only swap the ``pm.Data`` inputs. The draws are cached on disk
    per (data, settings, seed) (:mod:`flopcast.cost.posterior_cache`) for any process.

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
    cache : bool, optional
        Use the on-disk posterior cache; default: for the bundled quotes, not ``observations``.

    Returns
    -------
    PricePerformanceFit
        Warns with :class:`PricePerformanceSamplingWarning` when R-hat, ESS or divergences
        fail the checks (thresholds as in :mod:`flopcast.fitting`).

    Examples
    --------
    >>> fit = fit_price_performance("cloud", seed=1)                   # doctest: +SKIP
    >>> fit.summary().loc["doubling_years", ["median", "ci90_low", "ci90_high"]]  # doctest: +SKIP
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
    sampler = {"draws": int(draws), "tune": int(tune), "chains": int(chains)}
    shaping = dict(sampler, model=MODEL_VERSION, likelihood=likelihood, seed=int(seed))
    key: str | None = posterior_cache.posterior_key(t, y, dict(shaping, priors=priors.to_dict()))
    if not ((observations is None) if cache is None else cache):
        key = None
    start = time.perf_counter()
    stored = posterior_cache.load_posterior(key) if key is not None else None
    if stored is not None:
        groups = posterior_cache.arrays_to_groups(stored[0])
        diagnostics = Diagnostics.from_dict(stored[1]["diagnostics"])
        timings = {"compile": 0.0, "sample": 0.0, "read_cache": time.perf_counter() - start}
    else:
        raw, timings = _sample(
            t, y, priors, likelihood, seed=int(seed), progress=progress, **sampler
        )
        keep = [n for n in _PARAMETERS if n in raw.posterior]
        groups = {"posterior": raw.posterior[keep]}
        if "diverging" in raw.sample_stats:
            groups["sample_stats"] = raw.sample_stats[["diverging"]]
        diagnostics = _diagnostics(groups["posterior"], groups.get("sample_stats"))
        if key is not None:
            meta = {"diagnostics": diagnostics.to_saved_dict(), "sampled_timings_s": timings}
            posterior_cache.save_posterior(key, posterior_cache.groups_to_arrays(groups), meta)
    settings.update({**sampler, "timings_s": timings})
    result = PricePerformanceFit(
        kind_used, table, excluded, groups, likelihood, priors, int(seed), settings, diagnostics
    )
    if not result.diagnostics.ok:
        warnings.warn(
            "\n" + result.diagnostics.warning_block(), PricePerformanceSamplingWarning, stacklevel=2
        )
    return result
