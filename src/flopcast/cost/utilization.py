"""Utilization: the fraction of peak FLOP/s a training run achieves, its prior and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.intervals import CI_LEVEL, interval_quantiles

__all__ = ["UtilizationPrior", "utilization_evidence"]


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

        q_low, _, q_high = interval_quantiles(level)
        lo, hi = stats.beta(self.alpha, self.beta).ppf([q_low, q_high])
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
    """The bundled runs (validated by :func:`flopcast.runs.load_runs`)."""
    from flopcast.runs import load_runs

    return load_runs().runs


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
