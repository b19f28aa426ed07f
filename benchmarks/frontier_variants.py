"""Frontier-model variants scored on the backtest's development origins only (1 July 2012-2017).

Not a test. Reproduces the third round of frontier variants in
``docs/explanation/backtests.md``. Run from the repository root::

    python benchmarks/frontier_variants.py windows   # fit windows x scatter, ranked among all runs
    python benchmarks/frontier_variants.py regimes   # size of future regime changes of the choice

The selection rule was fixed before any score: best mean log score of later frontier runs
with future regime changes on; differences under 0.01 are ties, broken by calibration (the
summed distance of the 50/80/90% coverages from nominal). The test origins (2018-2023) are
never scored here.
"""

from __future__ import annotations

import argparse
from typing import Any

import flopcast
from flopcast.spec import ModelSpec, load_spec

DEV_ORIGINS = "2012:2017"
WINDOWS = (2004, 2005, 2006, 2007, 2008, 2009, 2010)
#: (regime_breaks_seen, regime_slope_log_sd); None is the default (the fit's own, at least ln 1.5).
REGIME_SIZES: tuple[tuple[float, float | None], ...] = (
    (3.0, None),
    (1.0, None),
    (6.0, None),
    (3.0, 0.3),
    (1.0, 0.3),
    (3.0, 0.25),
    (3.0, 0.2),
    (1.0, 0.2),
    (3.0, 0.15),
    (1.0, 0.15),
    (3.0, 0.1),
    (1.0, 0.1),
)


def score_row(spec: ModelSpec, label: str, *, baselines: bool) -> list[dict[str, Any]]:
    """Pooled development-origin scores of frontier runs for one variant."""
    result = flopcast.backtest(spec=spec, origins=DEV_ORIGINS, baselines=baselines)
    scores = result.scores
    pooled = scores[(scores["target"] == "frontier") & (scores["lead"] == "all")]
    rows = []
    for _, row in pooled.iterrows():
        distance = sum(abs(row[f"cover{p}"] - p / 100) for p in (50, 80, 90))
        rows.append(
            {
                "variant": label,
                "model": row["model"],
                "cover50": row["cover50"],
                "cover80": row["cover80"],
                "cover90": row["cover90"],
                "log_score": row["log_score"],
                "crps": row["crps"],
                "width90": row["median_width90"],
                "calibration_distance": distance,
                "fits_ok": int(result.origins["fit_ok"].sum()),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("round", choices=("windows", "regimes"))
    args = parser.parse_args()
    import pandas as pd

    rows: list[dict[str, Any]] = []
    if args.round == "windows":
        base = load_spec("models/frontier_2008.toml")
        for scatter in ("normal", "student_t"):
            for window in WINDOWS:
                spec = base.with_overrides(
                    {
                        "data.select": [{"date_min": f"{window}-01-01"}],
                        "frontier.rank_among": "all",
                        "model.scatter": scatter,
                    }
                )
                rows += score_row(spec, f"window {window}, {scatter}", baselines=True)
    else:
        base = load_spec("models/frontier_2008_all.toml")
        for seen, slope_sd in REGIME_SIZES:
            spec = base.with_overrides(
                {"forecast.regime_breaks_seen": seen, "forecast.regime_slope_log_sd": slope_sd}
            )
            label = f"breaks seen {seen:g}, slope ln-sd {slope_sd or 'fit (>= ln 1.5)'}"
            rows += score_row(spec, label, baselines=False)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
