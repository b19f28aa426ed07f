"""Outputs of a backtest without fitting: the skill figure, the report section, the CLI's
argument checks. The result is built from hand-made per-run scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from flopcast.backtesting import BacktestResult, pit_histogram, score_table, skill_table
from flopcast.exceptions import FlopcastError


@pytest.fixture(scope="module")
def made_up_result() -> BacktestResult:
    rng = np.random.default_rng(0)
    rows = []
    for model, shift in (("frontier", 0.0), ("ols_top10_2010", -0.3)):
        for year in range(2014, 2022):
            for k in range(12):
                lead = rng.uniform(0, 7)
                rows.append(
                    {
                        "model": model,
                        "origin": pd.Timestamp(year=year, month=7, day=1),
                        "origin_set": "test" if year >= 2018 else "development",
                        "target": "frontier",
                        "system": f"run{k}",
                        "lead": lead,
                        "lead_group": ["0-1", "1-2", "2-4", "2-4", "4+", "4+", "4+", "4+"][
                            int(lead)
                        ],
                        "log_score": -1.5 + shift + rng.normal(0, 0.2),
                        "crps": 0.6 - shift,
                        "pit": rng.uniform(),
                        **{f"in{p}": rng.uniform() < p / 100 for p in (50, 80, 90)},
                        **{f"interval_score{p}": 3.0 for p in (50, 80, 90)},
                        "width90": 3.0,
                    }
                )
    runs = pd.DataFrame(rows)
    origins = pd.DataFrame(
        {
            "origin": sorted(runs["origin"].unique()),
            "origin_set": ["development"] * 4 + ["test"] * 4,
            "n_train": 50,
            "fit_ok": True,
        }
    )
    return BacktestResult(
        spec=None,
        runs=runs,
        origins=origins,
        scores=score_table(runs),
        skill=skill_table(runs, ["frontier"], ["ols_top10_2010"]),
        pit=pit_histogram(runs),
        settings={"test_from": 2018},
        spec_name="frontier",
    )


def test_skill_table_of_made_up_scores_favours_the_better_model(made_up_result):
    row = made_up_result.skill.query("origin_set == 'test'").iloc[0]
    assert row["log_score_diff"] == pytest.approx(0.3, abs=0.05)
    assert row["ci90_low"] > 0


def test_skill_figures_draw_into_given_axes(made_up_result):
    from flopcast.figures.skill import pit_histograms, scores_by_lead, skill_chart
    from flopcast.figures.style import new_figure

    fig = new_figure(8, 3)
    ax = fig.add_subplot()
    assert scores_by_lead(made_up_result, ax=ax) is fig
    assert len(ax.get_lines()) == 2
    fig2 = new_figure(8, 3)
    axes = fig2.subplots(1, 2)
    assert pit_histograms(made_up_result, ax=axes) is fig2
    assert skill_chart(made_up_result).axes
    with pytest.raises(FlopcastError, match="no scores"):
        scores_by_lead(made_up_result, target="all")


def test_report_section_reads_a_saved_backtest_json(made_up_result, tmp_path):
    from flopcast.report.document import FigureBlock, Table
    from flopcast.report.sections.skill import resolve_backtest, skill_section

    assert resolve_backtest(None, tmp_path) is None
    assert skill_section(None) is None
    made_up_result.save_json(tmp_path / "backtest.json")
    found = resolve_backtest(None, tmp_path)
    section = skill_section(found)
    assert section.title == "Forecast skill"
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert "cover90" in tables[0].columns and "crps" in tables[0].columns
    assert any(isinstance(b, FigureBlock) for b in section.blocks)
    with pytest.raises(FlopcastError, match="BacktestResult"):
        resolve_backtest(42)


def test_cli_refuses_to_mix_cutoffs_and_origins():
    from flopcast.cli import main

    out = CliRunner().invoke(main, ["backtest", "--cutoff", "2020-01-01", "--baselines"])
    assert out.exit_code == 2
    assert "--cutoff cannot be combined" in out.output
