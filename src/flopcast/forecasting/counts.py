"""How many runs exceed each compute threshold per year: a count model times the compute model.

Two parts, combined draw by draw:

1. **Runs published per year** (:func:`fit_rate`): a negative binomial with a log-linear
   rate, fitted to the complete calendar years from ``counts.rate_since`` (2016) to the
   last complete year of the data::

       n_Y ~ NegativeBinomial(mean mu_Y, shape phi),  log mu_Y = a + b (Y - Y_ref)
       a ~ Normal(ln 100, 3)       log runs per year in the reference year Y_ref
       b ~ Normal(0, 1)            growth of the log rate per year
       1/sqrt(phi) ~ HalfNormal(1) overdispersion (0: Poisson)

   ``Y_ref`` is the last complete year. The posterior is sampled without MCMC: a Laplace
   approximation at the mode is the proposal (multivariate t, 5 degrees of freedom) of
   importance sampling, resampled to one draw per forecast sample.
2. **The size of a run published at date t**: the compute model's trend (with future
   breaks) plus the empirical residuals of recent runs (``counts.tail = "empirical"``,
   :mod:`~flopcast.forecasting.count_tail`) or the model's scatter (``"scatter"``),
   saturated under the ceilings when limits are on (:mod:`~flopcast.forecasting.limits`).

For each sample and year, ``Gamma_Y ~ Gamma(phi, mu_Y / phi)`` (the negative binomial as a
Gamma-Poisson mixture) and the runs between consecutive thresholds are Poisson with mean
``Gamma_Y`` times the probability of that band (averaged over the months of the year,
weighted by the rate), so the count above a higher threshold never exceeds the count above
a lower one. Cumulative counts add the runs in the data above the threshold before the
first forecast year.

The counts describe the runs the fit saw, as the database includes them and estimates their
compute (for a frontier fit, frontier runs only); its inclusion rules changed over time
(docs: explanation/counts_and_limits). Count draws use their own generator,
``default_rng([seed, RANDOM_STREAM, COUNTS_STREAM])`` (the tail's bootstrap: ``TAIL_STREAM``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from flopcast.exceptions import FlopcastError
from flopcast.forecasting.count_tail import ResidualTail, describe_tail, tail_for
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns
from flopcast.spec import CountsSpec

__all__ = [
    "COUNTS_STREAM",
    "MIN_RATE_YEARS",
    "PRIOR_INTERCEPT",
    "PRIOR_SLOPE_SD",
    "TAIL_STREAM",
    "CountForecast",
    "Population",
    "RatePosterior",
    "count_draws",
    "exceedance",
    "fit_rate",
    "observed_counts",
    "threshold_counts",
]

#: Third entropy word of the count draws' generator.
COUNTS_STREAM: int = 1
#: Fourth entropy word of the tail's bootstrap (its own generator, after COUNTS_STREAM).
TAIL_STREAM: int = 1
#: Prior of the log rate in the reference year: Normal(ln 100, 3).
PRIOR_INTERCEPT: tuple[float, float] = (math.log(100.0), 3.0)
#: Prior sd of the growth of the log rate per year (mean 0).
PRIOR_SLOPE_SD: float = 1.0
#: Prior scale of 1/sqrt(phi) (HalfNormal).
PRIOR_DISPERSION_SD: float = 1.0
#: Fewest complete calendar years the runs-per-year model is fitted to.
MIN_RATE_YEARS: int = 3
#: Months per year on which a run's size is averaged.
_MONTHS = (np.arange(12) + 0.5) / 12.0
_LOW, _HIGH = interval_columns(CI_LEVEL)


class Population(Protocol):
    """What the counts need of the compute model (a forecast's trend draws qualify)."""

    @property
    def nu(self) -> np.ndarray | None: ...  # Student-t degrees of freedom per sample, or None

    def population(self, years: np.ndarray) -> np.ndarray: ...  # (samples, n) log10 FLOP

    def scatter(self, years: np.ndarray) -> np.ndarray: ...  # (samples, n) dex


# --------------------------------------------------------------------------------------
# 1. Runs published per year


@dataclass(frozen=True)
class RatePosterior:
    """Posterior draws of the runs-per-year model (:func:`fit_rate`).

    Attributes
    ----------
    intercept, slope, dispersion : ndarray
        Draws of ``a``, ``b`` and ``1/sqrt(phi)``, shape (samples,).
    reference_year : int
    years, counts : ndarray
        The calendar years fitted and their counts of runs.
    ess : float
        Effective sample size of the importance weights.
    """

    intercept: np.ndarray
    slope: np.ndarray
    dispersion: np.ndarray
    reference_year: int
    years: np.ndarray
    counts: np.ndarray
    ess: float

    def expected(self, years: np.ndarray) -> np.ndarray:
        """Expected runs in each calendar year ``years`` (ints): (samples, n)."""
        x = np.asarray(years, dtype=float)[None, :] - self.reference_year
        return np.exp(self.intercept[:, None] + self.slope[:, None] * x)

    @property
    def shape(self) -> np.ndarray:
        """Negative binomial shape ``phi`` per draw (large: nearly Poisson)."""
        return 1.0 / np.maximum(self.dispersion, 1e-6) ** 2

    def describe(self) -> str:
        """One line: growth per year and overdispersion, medians with 90% intervals."""
        g, g_lo, g_hi = central_interval(np.exp(self.slope), CI_LEVEL)
        r, r_lo, r_hi = central_interval(self.dispersion, CI_LEVEL)
        return (
            f"runs per year: negative binomial with a log-linear rate fitted to "
            f"{int(self.years[0])}-{int(self.years[-1])} ({int(self.counts.sum())} runs); "
            f"growth {g:.2f}x per year (90% {g_lo:.2f}-{g_hi:.2f}), 1/sqrt(phi) {r:.2f} "
            f"({r_lo:.2f}-{r_hi:.2f})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        g, g_lo, g_hi = central_interval(np.exp(self.slope), CI_LEVEL)
        return {
            "years": [int(self.years[0]), int(self.years[-1])],
            "runs": int(self.counts.sum()),
            "growth_per_year": {"median": g, "ci90": [g_lo, g_hi]},
            "ess": self.ess,
        }


def _log_posterior(
    theta: np.ndarray, x: np.ndarray, n: np.ndarray, offset: np.ndarray
) -> np.ndarray:
    """Log posterior of ``theta = (a, b, log r)`` rows (m, 3) given counts ``n`` at ``x``,
    with a log-exposure ``offset`` per year."""
    theta = np.atleast_2d(theta)
    a, b, log_r = theta[:, :1], theta[:, 1:2], theta[:, 2:3]
    r = np.exp(log_r)
    phi = 1.0 / r**2
    log_mu = a + b * x[None, :] + offset[None, :]
    log_sum = np.logaddexp(np.log(phi), log_mu)
    ll = (
        special.gammaln(n + phi)
        - special.gammaln(phi)
        - special.gammaln(n + 1.0)
        + phi * (np.log(phi) - log_sum)
        + n * (log_mu - log_sum)
    ).sum(axis=1)
    lp = (
        stats.norm.logpdf(a[:, 0], *PRIOR_INTERCEPT)
        + stats.norm.logpdf(b[:, 0], 0.0, PRIOR_SLOPE_SD)
        + stats.halfnorm.logpdf(r[:, 0], scale=PRIOR_DISPERSION_SD)
        + log_r[:, 0]
    )
    return ll + lp


def _hessian(f, x0: np.ndarray, step: float = 1e-4) -> np.ndarray:
    k, h = len(x0), np.zeros((len(x0), len(x0)))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = h[j, i] = (
                f(x0 + e_i + e_j) - f(x0 + e_i - e_j) - f(x0 - e_i + e_j) + f(x0 - e_i - e_j)
            ) / (4 * step**2)
    return h


def fit_rate(
    years: np.ndarray,
    first_year: int,
    last_year: int,
    n_samples: int,
    rng: np.random.Generator,
    exposure: np.ndarray | None = None,
) -> RatePosterior:
    """Fit the runs-per-year model to the runs dated ``years`` (decimal).

    Parameters
    ----------
    years : ndarray
        Decimal dates of the runs.
    first_year, last_year : int
        The calendar years fitted (inclusive; give complete years).
    n_samples : int
        Posterior draws to return.
    rng : numpy.random.Generator
    exposure : ndarray, optional
        Fraction of each fitted year covered (default 1).

    Returns
    -------
    RatePosterior

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dates = np.concatenate([y + rng.uniform(size=rng.poisson(50 * 1.3 ** (y - 2020)))
    ...                         for y in range(2016, 2025)])
    >>> post = fit_rate(dates, 2016, 2024, 1000, rng)
    >>> bool(1.15 < np.median(np.exp(post.slope)) < 1.45)
    True
    """
    if last_year - first_year + 1 < MIN_RATE_YEARS:
        raise FlopcastError(
            f"counts: the runs-per-year model needs at least three complete years, got "
            f"{first_year}-{last_year}"
        )
    grid = np.arange(first_year, last_year + 1)
    counts = np.array([np.sum(np.floor(years) == y) for y in grid], dtype=float)
    x = (grid - last_year).astype(float)
    offset = np.zeros_like(x) if exposure is None else np.log(np.asarray(exposure, float))

    def logp(theta: np.ndarray) -> np.ndarray:
        return _log_posterior(theta, x, counts, offset)

    start = np.array([math.log(max(counts[-1], 1.0)), 0.2, math.log(0.3)])
    best = optimize.minimize(
        lambda t: -float(logp(t)[0]),
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000},
    )
    mode = best.x
    cov = np.linalg.inv(-_hessian(lambda t: float(logp(t)[0]), mode))
    cov = (cov + cov.T) / 2.0
    if not np.all(np.linalg.eigvalsh(cov) > 0):
        cov = np.diag(np.abs(np.diag(cov)) + 1e-4)
    df = 5.0
    m = 4 * n_samples
    chol = np.linalg.cholesky(cov * 1.2)
    z = rng.standard_normal((m, 3))
    w = rng.chisquare(df, size=m)
    proposal = mode + (z @ chol.T) / np.sqrt(w / df)[:, None]
    log_q = stats.multivariate_t.logpdf(proposal, loc=mode, shape=cov * 1.2, df=df)
    log_w = logp(proposal) - log_q
    log_w[~np.isfinite(log_w)] = -np.inf
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    ess = float(1.0 / np.sum(weights**2))
    pick = rng.choice(m, size=n_samples, replace=True, p=weights)
    draws = proposal[pick]
    return RatePosterior(
        draws[:, 0], draws[:, 1], np.exp(draws[:, 2]), last_year, grid, counts, ess
    )


# --------------------------------------------------------------------------------------
# 2. The chance that a run is above a threshold, and the counts


def exceedance(
    population: Population,
    dates: np.ndarray,
    log10_thresholds: np.ndarray,
    *,
    ceiling: np.ndarray | None = None,
    softness: float = 0.3,
    extra_sd: np.ndarray | None = None,
    tail: ResidualTail | None = None,
) -> np.ndarray:
    """Probability that a run published at each date is above each threshold.

    Parameters
    ----------
    population : Population
        Trend, scatter and (Student-t) degrees of freedom per sample.
    dates : ndarray
        Decimal years, (n,).
    log10_thresholds : ndarray
        (T,).
    ceiling : ndarray, optional
        The soft-combined ceiling of each sample at ``dates`` (samples, n), log10 FLOP:
        the run's size is then ``soft_minimum(x, ceiling)``, which exceeds a threshold ``T``
        only when ``T`` is below the ceiling and ``x`` above ``T - k log10(1 - 10^(-(c-T)/k))``.
    softness : float
        Width ``k`` of the soft minimum (dex).
    extra_sd : ndarray, optional
        Measurement error added to the scatter (dex, (n,)) for published values; not with
        a ``tail``, whose residuals are of published values already.
    tail : ResidualTail, optional
        Empirical residuals instead of the scatter: P(trend + residual > level).

    Returns
    -------
    ndarray
        (samples, n, T).
    """
    dates = np.asarray(dates, dtype=float)
    mu = population.population(dates)
    scale = population.scatter(dates)
    if extra_sd is not None and tail is None:
        scale = np.sqrt(scale**2 + np.asarray(extra_sd, float)[None, :] ** 2)
    nu = population.nu
    out = np.empty((*mu.shape, len(log10_thresholds)))
    for i, t in enumerate(np.asarray(log10_thresholds, dtype=float)):
        level = np.full(mu.shape, t)
        if ceiling is not None:
            gap = ceiling - t
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = -softness * np.log(-np.expm1(-gap * np.log(10) / softness)) / np.log(10)
            level = np.where(gap > 0, t + shift, np.inf)
        if tail is not None:
            out[..., i] = tail.sf(level - mu)
            continue
        z = (level - mu) / scale
        out[..., i] = stats.norm.sf(z) if nu is None else stats.t.sf(z, nu[:, None])
    return out


def count_draws(
    rate: RatePosterior,
    population: Population,
    years: np.ndarray,
    log10_thresholds: np.ndarray,
    rng: np.random.Generator,
    *,
    exposure: np.ndarray | None = None,
    ceiling_fn: Any = None,
    softness: float = 0.3,
    extra_sd: np.ndarray | None = None,
    totals: np.ndarray | None = None,
    tail: ResidualTail | None = None,
) -> np.ndarray:
    """Draws of the number of runs above each threshold in each calendar year.

    Parameters
    ----------
    rate : RatePosterior
        Runs per year (one draw per sample; ignored when ``totals`` is given).
    population : Population
    years : ndarray of int
        Calendar years.
    log10_thresholds : ndarray
        Ascending.
    rng : numpy.random.Generator
    exposure : ndarray, optional
        Fraction of each year counted (from its start), default 1.
    ceiling_fn : callable, optional
        ``ceiling_fn(dates) -> (samples, n)`` soft-combined ceiling (limits on).
    softness : float
    extra_sd : ndarray, optional
        Measurement error per year (dex) for published values.
    totals : ndarray, optional
        Observed runs per year: counts above thresholds are then binomial given them.
    tail : ResidualTail, optional
        The empirical upper tail (None: the model's scatter).

    Returns
    -------
    ndarray
        Integer counts, (samples, years, thresholds).
    """
    years = np.asarray(years, dtype=int)
    thresholds = np.asarray(log10_thresholds, dtype=float)
    if np.any(np.diff(thresholds) <= 0):
        raise FlopcastError("counts: thresholds must be distinct and ascending")
    cover = np.ones(len(years)) if exposure is None else np.asarray(exposure, dtype=float)
    dates = (years[:, None] + _MONTHS[None, :] * cover[:, None]).ravel()
    extra = None if extra_sd is None else np.repeat(np.asarray(extra_sd, float), len(_MONTHS))
    ceiling = None if ceiling_fn is None else ceiling_fn(dates)
    p = exceedance(
        population, dates, thresholds, ceiling=ceiling, softness=softness, extra_sd=extra, tail=tail
    )
    n_samples = p.shape[0]
    p = p.reshape(n_samples, len(years), len(_MONTHS), len(thresholds))
    slope = rate.slope if totals is None else np.zeros(n_samples)
    weights = np.exp(slope[:, None, None] * (dates.reshape(len(years), -1) - years[:, None]))
    weights /= weights.sum(axis=2, keepdims=True)
    p_year = np.einsum("sym,symt->syt", weights, p)
    band = p_year - np.concatenate([p_year[..., 1:], np.zeros_like(p_year[..., :1])], axis=-1)
    band = np.clip(band, 0.0, 1.0)
    if totals is not None:
        n = np.broadcast_to(np.asarray(totals, dtype=int)[None, :], p_year.shape[:2])
        probs = np.concatenate([band, 1.0 - band.sum(axis=-1, keepdims=True)], axis=-1)
        probs = np.clip(probs, 0.0, None)
        probs /= probs.sum(axis=-1, keepdims=True)
        per_band = rng.multinomial(n, probs)[..., :-1]
    else:
        mean = rate.expected(years) * cover[None, :]
        shape = rate.shape[:, None]
        gamma = rng.gamma(shape, mean / shape)
        per_band = rng.poisson(gamma[..., None] * band)
    return np.flip(np.cumsum(np.flip(per_band, axis=-1), axis=-1), axis=-1)


def observed_counts(
    runs: pd.DataFrame, years: np.ndarray, thresholds: np.ndarray, last_data: float
) -> np.ndarray:
    """Runs in the data above each threshold per calendar year: (years, thresholds), NaN
    for years after the data."""
    year_of = np.floor(runs["year"].to_numpy(dtype=float))
    flop = runs["compute_flop"].to_numpy(dtype=float)
    out = np.full((len(years), len(thresholds)), np.nan)
    for i, y in enumerate(years):
        if y > math.floor(last_data):
            continue
        for j, t in enumerate(thresholds):
            out[i, j] = float(np.sum((year_of == y) & (flop > t)))
    return out


# --------------------------------------------------------------------------------------
# 3. The forecast's counts


@dataclass
class CountForecast:
    """Counts of runs above thresholds per year, from :func:`threshold_counts`.

    Attributes
    ----------
    table : pandas.DataFrame
        See :meth:`flopcast.forecasting.Forecast.count_table`.
    draws : ndarray
        Count draws (samples, years, thresholds).
    years : ndarray
    thresholds : ndarray
        In FLOP.
    rate : RatePosterior
    population : str
        What the counts describe.
    tail : str
        Where the share above a threshold comes from.
    """

    table: pd.DataFrame
    draws: np.ndarray
    years: np.ndarray
    thresholds: np.ndarray
    rate: RatePosterior
    population: str
    tail: str = ""

    def to_json_rows(self) -> list[dict[str, Any]]:
        """``[{threshold_flop, year, median, ci90, cumulative: {median, ci90}, observed}]``."""
        return [
            {
                "threshold_flop": r["threshold_flop"],
                "year": int(r["year"]),
                "median": r["median"],
                "ci90": [r[_LOW], r[_HIGH]],
                "cumulative": {
                    "median": r["cumulative_median"],
                    "ci90": [r[f"cumulative_{_LOW}"], r[f"cumulative_{_HIGH}"]],
                },
                "observed": None if pd.isna(r["observed"]) else int(r["observed"]),
            }
            for r in self.table.to_dict("records")
        ]

    def format(self) -> str:
        """The count table as plain text."""
        first = int(self.table.attrs.get("cumulative_from", self.years[0]))
        lines = [
            f"runs above each threshold per calendar year (median [90% interval]); cumulative "
            f"from {first}, data included; observed = runs in the data that year",
            f"  {'threshold':<10} {'year':<5} {'in the year':<22} {'cumulative':<24} observed",
        ]
        for r in self.table.to_dict("records"):
            obs = "" if pd.isna(r["observed"]) else f"{int(r['observed'])}"
            year = f"{r['median']:.0f} [{r[_LOW]:.0f}, {r[_HIGH]:.0f}]"
            cum = (
                f"{r['cumulative_median']:.0f} [{r[f'cumulative_{_LOW}']:.0f}, "
                f"{r[f'cumulative_{_HIGH}']:.0f}]"
            )
            lines.append(
                f"  {r['threshold_flop']:<10.0e} {int(r['year']):<5} {year:<22} {cum:<24} {obs}"
            )
        lines.append(f"  population: {self.population}")
        lines.append(f"  {self.rate.describe()}")
        if self.tail:
            lines.append(f"  {self.tail}")
        return "\n".join(lines)


def threshold_counts(
    runs: pd.DataFrame,
    population: Population,
    thresholds_flop: list[float],
    last_data: float,
    horizon: float,
    rate_since: int,
    seed: int,
    *,
    stream: tuple[int, ...] = (),
    ceiling_fn: Any = None,
    softness: float = 0.3,
    description: str = "",
    settings: CountsSpec | None = None,
) -> CountForecast | None:
    """Counts above each threshold for every calendar year from the last run's to the
    horizon's, per year and cumulative.

    Parameters
    ----------
    runs : pandas.DataFrame
        The fit's runs (``year``, ``compute_flop``).
    population : Population
        The forecast's trend draws.
    thresholds_flop : list of float
    last_data, horizon : float
        Decimal years.
    rate_since : int
        First year of the runs-per-year model.
    seed : int
        With ``stream``, seeds ``default_rng([seed, *stream, COUNTS_STREAM])``.
    ceiling_fn : callable, optional
        The soft-combined ceiling (limits on).
    softness : float
    description : str
        What population the counts describe.
    settings : CountsSpec, optional
        The tail settings (default: the spec's defaults, the empirical tail).

    Returns
    -------
    CountForecast or None
        None when the data hold fewer than :data:`MIN_RATE_YEARS` complete calendar years
        from ``rate_since`` on (too few to fit the runs per year).
    """
    first = math.floor(last_data)
    if first - max(rate_since, math.floor(float(runs["year"].min()))) < MIN_RATE_YEARS:
        return None
    thresholds = np.sort(np.asarray(thresholds_flop, dtype=float))
    if len(thresholds) == 0:
        raise FlopcastError("counts: give at least one threshold")
    rng = np.random.default_rng([seed, *stream, COUNTS_STREAM])
    n_samples = population.population(np.array([last_data])).shape[0]
    rate = fit_rate(runs["year"].to_numpy(float), rate_since, first - 1, n_samples, rng)
    years = np.arange(first, math.floor(horizon - 1e-9) + 1)
    settings = CountsSpec() if settings is None else settings
    tail_rng = np.random.default_rng([seed, *stream, COUNTS_STREAM, TAIL_STREAM])
    tail = tail_for(settings, population, runs, last_data, tail_rng)
    draws = count_draws(
        rate,
        population,
        years,
        np.log10(thresholds),
        rng,
        ceiling_fn=ceiling_fn,
        softness=softness,
        tail=tail,
    )
    before = runs["year"].to_numpy(float) < first
    flop = runs["compute_flop"].to_numpy(float)
    base = np.array([np.sum(before & (flop > t)) for t in thresholds], dtype=float)
    cumulative = base[None, None, :] + np.cumsum(draws, axis=1)
    observed = observed_counts(runs, years, thresholds, last_data)
    rows = []
    for j, t in enumerate(thresholds):
        for i, y in enumerate(years):
            med, lo, hi = central_interval(draws[:, i, j], CI_LEVEL)
            c_med, c_lo, c_hi = central_interval(cumulative[:, i, j], CI_LEVEL)
            rows.append(
                {
                    "threshold_flop": float(t),
                    "year": int(y),
                    "median": med,
                    _LOW: lo,
                    _HIGH: hi,
                    "cumulative_median": c_med,
                    f"cumulative_{_LOW}": c_lo,
                    f"cumulative_{_HIGH}": c_hi,
                    "observed": observed[i, j],
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(
        {
            "cumulative_from": first,
            "population": description,
            "rate": rate.describe(),
            "tail": describe_tail(tail),
            "partial_year": f"{first}: observed covers the data up to {last_data:.2f} only",
        }
    )
    return CountForecast(table, draws, years, thresholds, rate, description, describe_tail(tail))
