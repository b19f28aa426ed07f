"""The "Forecast skill" section: test-set scores of a saved backtest, against the baselines.

The report never runs the backtest itself (a dozen refits): it shows a
:class:`~flopcast.backtesting.BacktestResult` given to :func:`flopcast.report.write_report`
(``backtest=``: the result or the path of its JSON), or else the ``backtest.json`` found in
the report folder (written by ``flopcast backtest --baselines --json DIR/backtest.json``).
Without either, the section is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.report.document import Paragraph, Section, figure_block, slug, table_from_frame

__all__ = ["BACKTEST_FILE", "resolve_backtest", "skill_section"]

#: Name of a saved backtest JSON in a report folder.
BACKTEST_FILE: str = "backtest.json"


def resolve_backtest(backtest: Any, out_dir: str | Path | None = None) -> Any:
    """The backtest result to show: ``backtest`` (a result or a JSON path), or the report
    folder's ``backtest.json``, or None. A report without a backtest imports nothing of the
    backtesting package (which loads the sampler)."""
    if backtest is None:
        if out_dir is None or not (Path(out_dir) / BACKTEST_FILE).is_file():
            return None
        backtest = Path(out_dir) / BACKTEST_FILE
    from flopcast.backtesting import BacktestResult

    if isinstance(backtest, str | Path):
        return BacktestResult.load_json(backtest)
    if not isinstance(backtest, BacktestResult):
        raise FlopcastError(
            f"backtest must be a BacktestResult or the path of its JSON, got "
            f"{type(backtest).__name__}"
        )
    return backtest


def _table(result: Any, origin_set: str) -> pd.DataFrame:
    rows = result.scores.query("lead == 'all' and origin_set == @origin_set")
    table = rows[["target", "model", "n", "cover50", "cover80", "cover90", "log_score", "crps"]]
    return table.sort_values(["target", "model"], kind="stable").reset_index(drop=True)


def skill_section(backtest: Any) -> Section | None:
    """The test-set score table, the skill table and the chart; None without a backtest."""
    if backtest is None:
        return None
    from flopcast.figures.skill import skill_chart

    sec = Section(slug("Forecast skill"), "Forecast skill")
    origins = pd.to_datetime(backtest.origins["origin"])
    test_from = backtest.settings.get("test_from")
    sec.blocks.append(
        Paragraph(
            f"Backtest of spec {backtest.spec_name!r} from rolling origins (1 July "
            f"{origins.min().year}-{origins.max().year}): each fit sees only the runs "
            "published before its origin and forecasts every later run. Origins before "
            f"{test_from} are the development set, on which settings were chosen; the table "
            "shows the test origins, on which no setting was chosen (docs/explanation/"
            "backtests.md says which models have been scored on them; for the shipped "
            "frontier models, three in turn). Frontier runs (top 10 when published) "
            "are scored against the frontier forecast, all runs against the population "
            "forecast. Log score: mean log predictive density (higher is better); CRPS in "
            "dex (lower is better); coverage of the central 50/80/90% predictive intervals."
        )
    )
    sec.blocks.append(
        table_from_frame(
            _table(backtest, "test"), "Test origins, pooled over lead times (docs: backtests)."
        )
    )
    skill = backtest.skill.query("origin_set == 'test'")
    if len(skill):
        sec.blocks.append(
            table_from_frame(
                skill[
                    ["target", "model", "baseline", "n", "log_score_diff", "ci90_low", "ci90_high"]
                ].reset_index(drop=True),
                "Skill on the test origins: mean log-score difference per run, model minus "
                "baseline (positive: flopcast better), with a bootstrap 90% interval over "
                "origins.",
            )
        )
    if len(backtest.pit):
        sec.blocks.append(
            figure_block(
                "skill",
                skill_chart(backtest, target="frontier", origin_set="test"),
                "Forecast skill chart",
                "Frontier runs, test origins: mean log score by lead time for each model "
                "(left) and PIT histograms (right; flat = calibrated).",
            )
        )
    return sec
