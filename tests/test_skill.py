"""The rolling-origin harness: baselines against hand computation, no look-ahead, the tables.

Hand computations are exact (closed forms); draw-based scores have the stated Monte Carlo
tolerance. The harness tests use the standard simulated runs and the fast test sampler.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import fast_spec
from flopcast.backtesting import (
    BacktestResult,
    Predictive,
    backtest,
    interval_score,
    lead_group,
    ols_line,
    origin_dates,
    rw_drift,
    score_predictive,
    skill_table,
)
from flopcast.exceptions import FlopcastError

# --------------------------------------------------------------------------------------
# Baselines by hand


def test_least_squares_baseline_reproduces_a_hand_computed_prediction():
    # t = 0..3, y = 0, 1, 1, 3: mean t 1.5, mean y 1.25, Sxx 5, Sxy 4.5, slope 0.9;
    # residuals 0.1, 0.2, -0.7, 0.4: RSS 0.7, s^2 = 0.7 / 2 = 0.35.
    line = ols_line(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0, 3.0]))
    predictive = line.predictive(np.array([5.0]))
    # At t0 = 5: centre 1.25 + 0.9 * 3.5 = 4.4; scale^2 = 0.35 (1 + 1/4 + 3.5^2 / 5) = 1.295.
    assert predictive.mu[0, 0] == pytest.approx(4.4)
    assert predictive.scatter[0, 0] == pytest.approx(math.sqrt(1.295))
    assert predictive.nu.tolist() == [2.0]
    score = score_predictive(np.array([6.0]), predictive, rng=0)
    expected = stats.t.logpdf(6.0, 2, loc=4.4, scale=math.sqrt(1.295))
    assert score["log_score"].iloc[0] == pytest.approx(expected, abs=1e-9)
    # PIT from 4000 draws: within 0.025 (3 Monte Carlo sd).
    pit = stats.t.cdf(6.0, 2, loc=4.4, scale=math.sqrt(1.295))
    assert score["pit"].iloc[0] == pytest.approx(pit, abs=0.025)
    assert ols_line(np.array([1.0, 2.0]), np.array([1.0, 2.0])) is None


def test_random_walk_baseline_reproduces_a_hand_computed_prediction():
    dates = pd.to_datetime(["2009-01-01", "2010-09-01", "2011-09-01", "2012-09-01"])
    runs = pd.DataFrame(
        {"date": dates, "log10_compute": [20.0, 21.0, 23.0, 22.0], "frontier": True}
    )
    walk = rw_drift(runs, pd.Timestamp("2013-07-01"), start_year=2010)
    # Running frontier on 1 July 2010-2013: 20, 21, 23, 23; steps 1, 2, 0: drift 1, sd 1.
    assert (walk.last, walk.drift, walk.step_sd, walk.steps) == (23.0, 1.0, 1.0, 3)
    # Offsets of the 2010-2012 runs from the running frontier when published: 1, 2, -1.
    assert walk.offset_mean == pytest.approx(2 / 3)
    assert walk.offset_sd == pytest.approx(math.sqrt(42 / 18))
    predictive = walk.predictive(np.array([2.0]))
    # Two years ahead: 23 + 2 + 2/3; variance 1 (2 + 4/3) + 42/18; Student-t with 2 df.
    assert predictive.mu[0, 0] == pytest.approx(23 + 2 + 2 / 3)
    assert predictive.scatter[0, 0] ** 2 == pytest.approx(2 + 4 / 3 + 42 / 18)
    assert predictive.nu.tolist() == [2.0]
    assert rw_drift(runs, pd.Timestamp("2011-07-01"), start_year=2010) is None


# --------------------------------------------------------------------------------------
# Scores and tables


def test_scores_of_a_normal_predictive_match_closed_forms():
    predictive = Predictive.student_t(np.zeros(3), np.ones(3), df=1e9)
    y = np.array([0.0, 1.0, -2.0])
    s = score_predictive(y, predictive, rng=1, n_draws=40000)
    assert s["log_score"].to_numpy() == pytest.approx(stats.norm.logpdf(y), abs=1e-6)
    # CRPS of N(0, 1) at y: y (2 Phi(y) - 1) + 2 phi(y) - 1/sqrt(pi); 40,000 draws: 0.01.
    crps = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / math.sqrt(math.pi)
    assert s["crps"].to_numpy() == pytest.approx(crps, abs=0.01)
    assert s["in50"].tolist() == [True, False, False]
    assert s["in90"].tolist() == [True, True, False]
    assert s["width90"].to_numpy() == pytest.approx(2 * 1.645, abs=0.05)


def test_interval_score_and_lead_groups():
    low, high = np.array([-1.0]), np.array([1.0])
    assert interval_score(np.array([0.0]), low, high, 0.5).tolist() == [2.0]
    assert interval_score(np.array([2.0]), low, high, 0.5).tolist() == [6.0]
    groups = lead_group(np.array([0.0, 0.99, 1.0, 2.5, 4.0, 9.0]))
    assert groups.tolist() == ["0-1", "0-1", "1-2", "2-4", "4+", "4+"]


def test_skill_interval_resamples_origins():
    runs = pd.DataFrame(
        {
            "model": ["m"] * 3 + ["b"] * 3,
            "origin": [1, 2, 2] * 2,
            "origin_set": "test",
            "target": "frontier",
            "system": ["x", "x", "y"] * 2,
            "log_score": [-1.0, -1.0, -1.0, -2.0, -1.0, -1.0],
        }
    )
    row = skill_table(runs, ["m"], ["b"], seed=0).iloc[0]
    # Differences 1 (origin 1), 0 and 0 (origin 2): mean 1/3 per run; resampled origins give
    # 1 (both origin 1), 1/3 or 0 (both origin 2).
    assert row["log_score_diff"] == pytest.approx(1 / 3)
    assert (row["ci90_low"], row["ci90_high"]) == (0.0, 1.0)
    assert (row["n"], row["n_origins"]) == (3, 2)


def test_origins_are_the_first_of_july_and_bad_ones_are_clear_errors():
    assert origin_dates(None)[0] == pd.Timestamp("2012-07-01")
    assert len(origin_dates(None)) == 12
    assert origin_dates([2015, "2016-03-01"]) == [
        pd.Timestamp("2015-07-01"),
        pd.Timestamp("2016-03-01"),
    ]
    with pytest.raises(FlopcastError, match="not a year"):
        origin_dates(["soon"])
    with pytest.raises(FlopcastError, match="give years"):
        origin_dates("a:b")


# --------------------------------------------------------------------------------------
# The harness on simulated data


@pytest.fixture(scope="module")
def harness(standard_runs):
    runs, _ = standard_runs
    return backtest(runs, fast_spec(), origins="2016:2019", baselines=True, keep_fits=True)


def test_no_fit_sees_a_run_published_after_its_origin(harness, standard_runs):
    for label, fitted in harness.fits.items():
        assert (fitted.runs["date"] < pd.Timestamp(label)).all()
        assert len(fitted.runs) == harness.origins.set_index("origin").loc[label, "n_train"]
    scored = harness.runs
    assert (scored["date"] >= scored["origin"]).all()
    assert (scored["lead"] >= 0).all()
    # Changing every run published after the origin leaves the origin's fit unchanged.
    runs, _ = standard_runs
    origin = pd.Timestamp("2016-07-01")
    changed = runs.copy()
    later = pd.to_datetime(changed["date"]) >= origin
    changed.loc[later, "compute_flop"] *= 1000.0
    again = backtest(changed, fast_spec(), origins=[2016], keep_fits=True)
    before = harness.fits["2016-07-01"].posterior["slopes"].to_numpy()
    assert np.array_equal(again.fits["2016-07-01"].posterior["slopes"].to_numpy(), before)


def test_an_origin_scores_the_same_whichever_origins_run_with_it(harness, standard_runs):
    # The scoring draws are seeded by the origin's date, not by its place in the list.
    runs, _ = standard_runs
    alone = backtest(runs, fast_spec(), origins=[2018], baselines=True)
    origin = pd.Timestamp("2018-07-01")
    together = harness.runs.loc[pd.to_datetime(harness.runs["origin"]) == origin]
    columns = ["model", "target", "log10_compute", "log_score", "crps", "pit"]
    pd.testing.assert_frame_equal(
        alone.runs[columns].reset_index(drop=True), together[columns].reset_index(drop=True)
    )


def test_compiled_model_is_reused_across_origins(harness):
    assert harness.fits["2019-07-01"].provenance["timings_s"]["compiled_model_reused"] == 1.0


def test_harness_tables_cover_every_model_target_lead_and_origin_set(harness):
    scores = harness.scores
    assert set(scores["model"]) == {
        "test",
        "flopcast_no_regime",
        "ols_top10_2010",
        "ols_top10_2018",
        "rw_drift_frontier",
    }
    assert set(scores["origin_set"]) == {"development", "test"}
    assert set(scores["target"]) == {"frontier", "all"}
    assert {"0-1", "1-2", "2-4", "4+", "all"} <= set(scores["lead"])
    # The 2018 line needs three top-10 runs since 2018: none before the 2018 origin.
    dev_2018 = scores.query("model == 'ols_top10_2018' and origin_set == 'development'")
    assert dev_2018.empty
    # The random walk forecasts the frontier only.
    assert set(scores.query("model == 'rw_drift_frontier'")["target"]) == {"frontier"}
    pooled = scores.query("lead == 'all'")
    for column in ("cover50", "cover80", "cover90"):
        assert pooled[column].between(0, 1).all()
    assert (pooled["cover50"] <= pooled["cover80"]).all()
    assert (pooled["cover80"] <= pooled["cover90"]).all()
    skill = harness.skill
    assert set(skill["model"]) == {"test"}
    assert (skill["ci90_low"] <= skill["log_score_diff"]).all()
    assert (skill["log_score_diff"] <= skill["ci90_high"]).all()
    text = harness.format_tables()
    assert "Skill" in text and "rw_drift_frontier" in text


def test_harness_on_the_model_that_made_the_data_is_calibrated(harness):
    # The simulated world has no break after 2010, so the no-regime forecast is the true
    # model: its 90% intervals cover about 90% of all later runs (about 400 runs over
    # four origins sharing trend errors: tolerance 0.80-0.98).
    row = harness.scores.query(
        "model == 'flopcast_no_regime' and target == 'all' and lead == 'all'"
    )
    covered = (row["cover90"] * row["n"]).sum() / row["n"].sum()
    assert 0.80 <= covered <= 0.98


def test_backtest_json_has_the_documented_rows_and_reads_back(harness, tmp_path):
    out = json.loads(json.dumps(harness.to_json_dict()))
    assert out["json_version"] == 2
    row = out["scores"][0]
    for key in ("model", "origin_set", "target", "lead", "n", "cover50", "cover80"):
        assert key in row
    assert {"cover90", "log_score", "crps"} <= set(row)
    skill = out["skill"][0]
    assert {"model", "baseline", "origin_set", "target"} <= set(skill)
    assert set(skill["log_score_diff"]) == {"mean", "ci90"}
    path = harness.save_json(tmp_path / "bt.json")
    back = BacktestResult.load_json(path)
    pd.testing.assert_frame_equal(
        back.scores.reset_index(drop=True),
        harness.scores.reset_index(drop=True),
        check_dtype=False,
    )
    assert back.skill["log_score_diff"].tolist() == pytest.approx(
        harness.skill["log_score_diff"].tolist()
    )
    with pytest.raises(FlopcastError, match="version"):
        BacktestResult.from_json_dict({"json_version": 1})
