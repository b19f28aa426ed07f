"""Which runs a windowed top-N frontier spec fits: ranked among the window or all runs."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import fast_spec
from flopcast.fitting import prepare_runs


@pytest.fixture()
def runs() -> pd.DataFrame:
    # 2000-2003: four large runs (1e20..1e23). 2004-2012: nine runs, the first four small
    # (1e18 falling to 1e15: below every earlier run), then five records (1e24..1e28).
    compute = [1e20, 1e21, 1e22, 1e23, 1e18, 1e17, 1e16, 1e15, 1e24, 1e25, 1e26, 1e27, 1e28]
    years = list(range(2000, 2013))
    return pd.DataFrame(
        {
            "system": [f"run-{y}" for y in years],
            "date": pd.to_datetime([f"{y}-06-01" for y in years]),
            "compute_flop": compute,
            "method": "counted",
            "confidence": "confident",
            "domain": "Language",
            "organization": "test",
        }
    )


def _spec(rank_among: str):
    return fast_spec(
        model={"breaks": 0},
        data={"select": [{"date_min": "2004-01-01"}]},
        frontier={"rule": "top_n", "n": 3, "rank_among": rank_among},
    )


def test_ranked_within_the_window_the_first_runs_are_always_frontier(runs):
    kept = prepare_runs(runs, _spec("selected")).runs
    # Among the window's runs alone, 2004-2006 are the three largest so far.
    expected = (2004, 2005, 2006, 2008, 2009, 2010, 2011, 2012)
    assert kept["system"].tolist() == [f"run-{y}" for y in expected]


def test_ranked_among_all_runs_small_runs_at_the_window_start_are_not_frontier(runs):
    prepared = prepare_runs(runs, _spec("all"))
    # Against 2000-2003 (1e20..1e23) the small runs rank 5th or lower; the records stay.
    assert prepared.runs["system"].tolist() == [f"run-{y}" for y in (2008, 2009, 2010, 2011, 2012)]
    steps = [s["step"] for s in prepared.selection_log]
    assert steps[1] == "frontier: top 3 by compute when published, among all runs"
    # Ranked first, over all thirteen runs: only the four small ones leave; the window then
    # removes 2000-2003.
    assert [s["n_removed"] for s in prepared.selection_log[1:3]] == [4, 4]
