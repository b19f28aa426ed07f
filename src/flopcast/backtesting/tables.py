"""From per-run scores to the tables: scores by lead time, skill with a bootstrap, PIT counts.

Every table is split by ``origin_set``: origins before the test year are the *development*
set (settings chosen by looking at scores are chosen there), the rest the *test* set.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from flopcast.backtesting.scoring import LEVELS

__all__ = [
    "BOOTSTRAP_DRAWS",
    "LEAD_GROUPS",
    "PIT_BINS",
    "SKILL_LEVEL",
    "lead_group",
    "pit_histogram",
    "score_table",
    "skill_table",
]

#: Lead-time groups (years after the origin): label, lower bound, upper bound.
LEAD_GROUPS: tuple[tuple[str, float, float], ...] = (
    ("0-1", 0.0, 1.0),
    ("1-2", 1.0, 2.0),
    ("2-4", 2.0, 4.0),
    ("4+", 4.0, math.inf),
)
#: Bootstrap resamples of origins for the skill interval.
BOOTSTRAP_DRAWS: int = 2000
#: Level of the skill interval.
SKILL_LEVEL: float = 0.9
#: Bins of the PIT histograms (equal width on [0, 1]).
PIT_BINS: int = 10

_KEYS = ["model", "origin_set", "target"]


def lead_group(leads: np.ndarray) -> np.ndarray:
    """The lead-time group label of each lead (years).

    Examples
    --------
    >>> lead_group(np.array([0.2, 1.0, 3.9, 12.0])).tolist()
    ['0-1', '1-2', '2-4', '4+']
    """
    leads = np.asarray(leads, dtype=float)
    out = np.full(len(leads), "4+", dtype=object)
    for label, low, high in LEAD_GROUPS:
        out[(leads >= low) & (leads < high)] = label
    return out


def _summarise(group: pd.DataFrame) -> dict[str, float]:
    row: dict[str, float] = {"n": len(group)}
    for level in LEVELS:
        row[f"cover{round(100 * level)}"] = float(group[f"in{round(100 * level)}"].mean())
    row["log_score"] = float(group["log_score"].mean())
    row["crps"] = float(group["crps"].mean())
    for level in LEVELS:
        pct = round(100 * level)
        row[f"interval_score{pct}"] = float(group[f"interval_score{pct}"].mean())
    row["median_width90"] = float(group["width90"].median())
    row["median_pit"] = float(group["pit"].median())
    return row


def score_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Scores by model, origin set, target and lead group (and ``lead = "all"``).

    Parameters
    ----------
    runs : pandas.DataFrame
        Per-run scores (:attr:`BacktestResult.runs`).

    Returns
    -------
    pandas.DataFrame
        ``model``, ``origin_set``, ``target``, ``lead``, ``n``, ``cover50``, ``cover80``,
        ``cover90``, ``log_score`` (mean, nats per dex, higher is better), ``crps`` (mean,
        dex, lower is better), ``interval_score50/80/90`` (mean, dex, lower is better),
        ``median_width90`` (dex) and ``median_pit``.
    """
    rows = []
    order = [g[0] for g in LEAD_GROUPS] + ["all"]
    for keys, group in runs.groupby(_KEYS, sort=False):
        for lead in order:
            part = group if lead == "all" else group.loc[group["lead_group"] == lead]
            if len(part):
                rows.append(
                    {**dict(zip(_KEYS, keys, strict=True)), "lead": lead, **_summarise(part)}
                )
    return pd.DataFrame(rows)


def skill_table(
    runs: pd.DataFrame,
    models: list[str],
    baselines: list[str],
    *,
    seed: int = 0,
    draws: int = BOOTSTRAP_DRAWS,
) -> pd.DataFrame:
    """Mean log-score difference per scored run of each model against each baseline.

    Runs are paired (same origin, run and target); the interval resamples origins with
    replacement within the origin set (``draws`` times, seeded), so runs scored from the same
    origin, which share that origin's trend error, move together.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``baseline``, ``origin_set``, ``target``, ``n`` (paired runs),
        ``n_origins``, ``log_score_diff`` (mean; positive: the model is better) and
        ``ci90_low``/``ci90_high`` (bootstrap interval).

    Examples
    --------
    >>> runs = pd.DataFrame({"model": ["m", "b", "m", "b"], "origin": [1, 1, 2, 2],
    ...     "origin_set": "test", "target": "frontier", "system": "x",
    ...     "log_score": [-1.0, -2.0, -1.0, -1.5]})
    >>> skill_table(runs, ["m"], ["b"])["log_score_diff"].tolist()
    [0.75]
    """
    rng = np.random.default_rng([seed, 10])
    lo_q, hi_q = (1 - SKILL_LEVEL) / 2, (1 + SKILL_LEVEL) / 2
    pair_keys = ["origin", "system", "target", "origin_set"]
    rows = []
    for model in models:
        mine = runs.loc[runs["model"] == model, [*pair_keys, "log_score"]]
        for baseline in baselines:
            theirs = runs.loc[runs["model"] == baseline, [*pair_keys, "log_score"]]
            paired = mine.merge(theirs, on=pair_keys, suffixes=("", "_base"))
            if paired.empty:
                continue
            paired["diff"] = paired["log_score"] - paired["log_score_base"]
            for (origin_set, target), part in paired.groupby(["origin_set", "target"]):
                per_origin = part.groupby("origin")["diff"].agg(["sum", "count"])
                sums, counts = per_origin["sum"].to_numpy(), per_origin["count"].to_numpy()
                pick = rng.integers(0, len(sums), size=(draws, len(sums)))
                boot = sums[pick].sum(axis=1) / counts[pick].sum(axis=1)
                rows.append(
                    {
                        "model": model,
                        "baseline": baseline,
                        "origin_set": origin_set,
                        "target": target,
                        "n": int(counts.sum()),
                        "n_origins": len(sums),
                        "log_score_diff": float(sums.sum() / counts.sum()),
                        "ci90_low": float(np.quantile(boot, lo_q)),
                        "ci90_high": float(np.quantile(boot, hi_q)),
                    }
                )
    return pd.DataFrame(rows)


def pit_histogram(runs: pd.DataFrame, bins: int = PIT_BINS) -> pd.DataFrame:
    """Counts of PIT values in ``bins`` equal bins, by model, origin set and target.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``origin_set``, ``target`` and ``counts`` (a list of ``bins`` integers;
        flat when the forecasts are calibrated).
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for keys, group in runs.groupby(_KEYS, sort=False):
        counts, _ = np.histogram(group["pit"].to_numpy(dtype=float), bins=edges)
        rows.append({**dict(zip(_KEYS, keys, strict=True)), "counts": counts.tolist()})
    return pd.DataFrame(rows)
