"""Physical and economic ceilings on a frontier run, and forecasts that saturate under them.

Each ceiling (the spec's ``[limits]`` block, :class:`flopcast.spec.LimitsSpec`) is a
lognormal prior on its value in 2030 (:data:`CEILING_YEAR`) whose 90% interval is the
published range, growing by a stated factor per year before and after 2030:

* on compute (FLOP): power, chip production, data, latency, bandwidth (Sevilla et al. 2024,
  "Can AI scaling continue through 2030?");
* on cost (constant US dollars): a share of gross world product and of the largest
  developer's capital spending. A cost ceiling becomes a compute ceiling for each sample
  through that sample's price-performance and utilization draws (the ones the forecast's
  cost uses), so the cost of a limited run never exceeds it either.

A forecast trajectory ``y`` (log10 FLOP) saturates under the ceilings ``c_i`` of its sample
by a soft minimum in log space with width ``k`` (``limits.softness_dex``)::

    y' = -k log10(10^(-y/k) + sum_i 10^(-c_i/k))

which is below ``y`` and below every ``c_i`` (never exceeding a ceiling) and equals ``y``
when ``y`` lies far below all of them. Ceilings apply only after the last run (the data
say what happened before). A ceiling *binds* in a sample and year when it is the lowest
ceiling and lies below the unlimited frontier trend; :meth:`LimitDraws.binding` gives the
probability of each ceiling (and of ``"none"``) per year.

Ceiling draws come from their own generator, ``default_rng([seed, RANDOM_STREAM,
LIMITS_STREAM])``, so switching limits off leaves every other draw of a forecast as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.intervals import CI_LEVEL, interval_columns
from flopcast.spec import Ceiling, LimitsSpec

__all__ = [
    "CEILING_YEAR",
    "LIMITS_STREAM",
    "LimitDraws",
    "LimitsInfo",
    "limits_enabled",
    "soft_minimum",
]

#: The year the ceilings' priors describe (mid-2030, decimal year).
CEILING_YEAR: float = 2030.5
#: Third entropy word of the ceilings' generator.
LIMITS_STREAM: int = 2
#: z of the 95th percentile: a 90% interval is median +- 1.645 sd.
_Z90 = 1.6448536269514722
_LOW, _HIGH = interval_columns(CI_LEVEL)


def soft_minimum(
    log10_values: np.ndarray, log10_ceiling: np.ndarray, softness: float
) -> np.ndarray:
    """``-k log10(10^(-y/k) + 10^(-c/k))``: below both ``y`` and ``c``, ``y`` far below ``c``.

    The result is clipped to ``min(y, c)``, which it never exceeds mathematically, so that
    rounding cannot put it a last digit above the ceiling; more than 20 widths apart it is
    ``min(y, c)`` exactly (closer than the last digit of a float64 anyway).

    Examples
    --------
    >>> soft_minimum(np.array([20.0, 30.0]), np.array([25.0, 25.0]), 0.3).round(3).tolist()
    [20.0, 25.0]
    """
    scale = np.log(10.0) / float(softness)
    soft = -np.logaddexp(-log10_values * scale, -log10_ceiling * scale) / scale
    low = np.minimum(log10_values, log10_ceiling)
    # More than 20 widths apart the correction is below 1e-20 dex: return the lower exactly.
    with np.errstate(invalid="ignore"):  # inf - inf: two absent ceilings
        far = np.abs(log10_ceiling - log10_values) > 20.0 * float(softness)
    return np.where(far, low, np.minimum(soft, low))


def limits_enabled(
    setting: Any, spec: LimitsSpec, horizon: float, last_data: float
) -> tuple[bool, str]:
    """Whether limits are on, and why.

    ``setting`` is ``"auto"``, ``"on"``, ``"off"``, a bool or None (None: the spec's
    ``limits.mode``); ``"auto"`` is on for horizons more than ``limits.auto_years`` (3)
    years past the last run.

    Examples
    --------
    >>> limits_enabled("auto", LimitsSpec(), 2030.99, 2025.4)
    (True, 'on (auto: the horizon is 5.6 years past the last run, more than 3)')
    """
    mode = spec.mode if setting is None else setting
    if isinstance(mode, bool):
        mode = "on" if mode else "off"
    if mode not in ("auto", "on", "off"):
        raise FlopcastError(f"limits={setting!r}: use 'auto', 'on' or 'off'")
    if mode != "auto":
        return mode == "on", f"{mode} (asked)"
    gap = horizon - last_data
    on = gap > spec.auto_years
    word = "more than" if on else "at most"
    return on, (
        f"{'on' if on else 'off'} (auto: the horizon is {gap:.1f} years past the last run, "
        f"{word} {spec.auto_years:g})"
    )


@dataclass(frozen=True)
class LimitDraws:
    """One draw of every ceiling per forecast sample. Build with :meth:`draw`.

    Attributes
    ----------
    ceilings : tuple of Ceiling
        The ceilings in use (cost ceilings only when the forecast has cost).
    log10_at_year : ndarray
        log10 of each ceiling in :data:`CEILING_YEAR` (its own unit), (samples, ceilings).
    softness : float
        Width of the soft minimum (dex).
    start : float
        Ceilings apply from this decimal year on (the last run).
    price : FrontierCost or None
        The forecast's price-performance and utilization draws, for the cost ceilings.
    skipped : tuple of str
        Ceilings left out (cost ceilings of a forecast without cost).
    """

    ceilings: tuple[Ceiling, ...]
    log10_at_year: np.ndarray
    softness: float
    start: float
    price: Any = None
    skipped: tuple[str, ...] = ()

    @classmethod
    def draw(
        cls,
        spec: LimitsSpec,
        n_samples: int,
        start: float,
        price: Any,
        seed: int,
        stream: tuple[int, ...] = (),
    ) -> LimitDraws:
        """Draw each ceiling's 2030 value from its lognormal prior (times ``spec.looser``)."""
        rng = np.random.default_rng([seed, *stream, LIMITS_STREAM])
        used, skipped, columns = [], [], []
        for c in spec.ceilings:
            if c.applies_to == "cost_usd" and price is None:
                skipped.append(c.name)
                continue
            mu, sd = _lognormal(c, spec.looser)
            used.append(c)
            columns.append(mu + sd * rng.standard_normal(n_samples))
        if not used:
            raise FlopcastError("limits: no ceiling to apply (every ceiling is on cost)")
        return cls(
            tuple(used), np.stack(columns, axis=1), spec.softness_dex, start, price, tuple(skipped)
        )

    @property
    def names(self) -> list[str]:
        """The ceilings' names, in order."""
        return [c.name for c in self.ceilings]

    def ceiling_flop(self, index: int, years: np.ndarray) -> np.ndarray:
        """Ceiling ``index`` in log10 FLOP at ``years``: (samples, n); +inf before the start."""
        years = np.asarray(years, dtype=float)
        c = self.ceilings[index]
        out = self.log10_at_year[:, index : index + 1] + np.log10(c.growth_per_year) * (
            years[None, :] - CEILING_YEAR
        )
        if c.applies_to == "cost_usd":
            pp = np.asarray(self.price.price_performance.draws_at(years), dtype=float)
            out = out + pp[self.price.draw_index] + np.log10(self.price.utilization)[:, None]
        return np.where(years[None, :] >= self.start, out, np.inf)

    def hard_ceiling(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lowest ceiling in log10 FLOP and its index: two (samples, n) arrays."""
        low = self.ceiling_flop(0, years)
        index = np.zeros(low.shape, dtype=int)
        for i in range(1, len(self.ceilings)):
            c = self.ceiling_flop(i, years)
            lower = c < low
            low = np.where(lower, c, low)
            index = np.where(lower, i, index)
        return low, index

    def soft_ceiling(self, years: np.ndarray) -> np.ndarray:
        """All ceilings combined by the soft minimum, log10 FLOP: (samples, n); never above
        the lowest of them (the soft minimum is associative, so it is taken one at a time)."""
        combined = self.ceiling_flop(0, years)
        for i in range(1, len(self.ceilings)):
            combined = soft_minimum(combined, self.ceiling_flop(i, years), self.softness)
        return combined

    def apply(self, log10_flop: np.ndarray, years: np.ndarray) -> np.ndarray:
        """``log10_flop`` (samples, n) saturated under the ceilings of each sample."""
        years = np.asarray(years, dtype=float)
        after = years >= self.start
        out = np.array(log10_flop, dtype=float, copy=True)
        if after.any():
            ceiling = self.soft_ceiling(years[after])
            out[:, after] = soft_minimum(out[:, after], ceiling, self.softness)
        return out

    def binding(self, log10_trend: np.ndarray, years: np.ndarray) -> pd.DataFrame:
        """Probability that each ceiling binds at each date (``"none"``: no ceiling does).

        A ceiling binds in a sample when it is that sample's lowest ceiling and lies below
        the unlimited frontier trend ``log10_trend`` (samples, n).
        """
        low, index = self.hard_ceiling(years)
        binds = low < log10_trend
        rows = []
        for j, year in enumerate(np.asarray(years, dtype=float)):
            for i, name in enumerate(self.names):
                rows.append(
                    {
                        "year": year,
                        "name": name,
                        "probability": float(np.mean(binds[:, j] & (index[:, j] == i))),
                    }
                )
            rows.append({"year": year, "name": "none", "probability": float(np.mean(~binds[:, j]))})
        return pd.DataFrame(rows)


def _lognormal(c: Ceiling, looser: float = 1.0) -> tuple[float, float]:
    """Median and sd of log10 of a ceiling in 2030 (its 90% interval is low to high)."""
    lo, hi = np.log10(c.low_2030), np.log10(c.high_2030)
    return (lo + hi) / 2.0 + np.log10(looser), (hi - lo) / (2.0 * _Z90)


@dataclass
class LimitsInfo:
    """What a forecast says about limits: on or off, the ceilings and which one binds.

    Attributes
    ----------
    enabled : bool
    reason : str
        Why they are on or off.
    ceilings : pandas.DataFrame
        One row per ceiling of the spec: ``name``, ``applies_to``, ``unit``, ``median``,
        ``ci90_low``, ``ci90_high`` (its prior in 2030, times ``looser``),
        ``growth_per_year``, ``used`` and ``source``.
    binding : pandas.DataFrame
        ``year`` (decimal), ``name``, ``probability`` (empty when limits are off).
    softness : float
    looser : float
    """

    enabled: bool
    reason: str
    ceilings: pd.DataFrame
    binding: pd.DataFrame = field(default_factory=pd.DataFrame)
    softness: float = 0.3
    looser: float = 1.0

    @classmethod
    def build(
        cls,
        spec: LimitsSpec,
        enabled: bool,
        reason: str,
        draws: LimitDraws | None = None,
        log10_trend: np.ndarray | None = None,
        years: np.ndarray | None = None,
    ) -> LimitsInfo:
        """The ceilings' priors, and (limits on) the binding probabilities at ``years``."""
        used = set(draws.names) if draws is not None else set()
        rows = []
        for c in spec.ceilings:
            mu, sd = _lognormal(c, spec.looser)
            rows.append(
                {
                    "name": c.name,
                    "applies_to": c.applies_to,
                    "unit": "FLOP" if c.applies_to == "compute_flop" else "USD",
                    "median": 10.0**mu,
                    _LOW: 10.0 ** (mu - _Z90 * sd),
                    _HIGH: 10.0 ** (mu + _Z90 * sd),
                    "growth_per_year": c.growth_per_year,
                    "used": c.name in used,
                    "source": c.source,
                }
            )
        binding = (
            draws.binding(log10_trend, years)
            if enabled and draws is not None and log10_trend is not None and years is not None
            else pd.DataFrame(columns=["year", "name", "probability"])
        )
        return cls(enabled, reason, pd.DataFrame(rows), binding, spec.softness_dex, spec.looser)

    def table(self) -> pd.DataFrame:
        """The ceilings, with the probability that each binds at the last date as
        ``p_binding_last`` (when limits are on)."""
        out = self.ceilings.copy()
        if self.enabled and len(self.binding):
            last = self.binding[self.binding["year"] == self.binding["year"].max()]
            probs = dict(zip(last["name"], last["probability"], strict=True))
            out["p_binding_last"] = [probs.get(n, 0.0) for n in out["name"]]
        out.attrs["limits"] = self.describe()
        return out

    def describe(self) -> str:
        """One line: on or off, and why."""
        looser = f", every ceiling x{self.looser:g}" if self.looser != 1.0 else ""
        return f"limits {self.reason}{looser}"

    def to_json_dict(self) -> dict[str, Any]:
        """``{enabled, reason, ceilings: [{name, applies_to, unit, at_2030: {median, ci90},
        growth_per_year, used, source}], binding: [{year, name, probability}]}``."""
        return {
            "enabled": self.enabled,
            "reason": self.reason,
            "looser": self.looser,
            "softness_dex": self.softness,
            "ceilings": [
                {
                    "name": r["name"],
                    "applies_to": r["applies_to"],
                    "unit": r["unit"],
                    "at_2030": {"median": r["median"], "ci90": [r[_LOW], r[_HIGH]]},
                    "growth_per_year": r["growth_per_year"],
                    "used": bool(r["used"]),
                    "source": r["source"],
                }
                for r in self.ceilings.to_dict("records")
            ],
            "binding": self.binding.to_dict("records"),
        }

    def format(self) -> str:
        """The ceilings and the binding probabilities as plain text."""
        lines = [self.describe(), "ceilings in 2030 (median and 90% prior interval):"]
        for r in self.ceilings.to_dict("records"):
            mark = "" if r["used"] or not self.enabled else "  (not used: no cost)"
            lines.append(
                f"  {r['name']:<16} {r['median']:.2e} [{r[_LOW]:.2e}, {r[_HIGH]:.2e}] "
                f"{r['unit']:<4} x{r['growth_per_year']:g}/yr{mark}"
            )
        if self.enabled and len(self.binding):
            lines.append("probability that each ceiling binds (lowest and below the trend):")
            for year, part in self.binding.groupby("year"):
                shown = part[part["probability"] >= 0.005].sort_values(
                    "probability", ascending=False
                )
                text = ", ".join(
                    f"{n} {p:.0%}" for n, p in zip(shown["name"], shown["probability"], strict=True)
                )
                lines.append(f"  {year:.2f}: {text}")
        return "\n".join(lines)
