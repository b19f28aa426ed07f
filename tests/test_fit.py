"""Fitting: parameter recovery, the two model forms, diagnostics, persistence.

Failure messages print the numbers, so a failing recovery says by how much it missed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flopcast
from conftest import STANDARD_TRUTH, fast_spec, hand_fit, line_runs
from flopcast.exceptions import FitLoadError, FlopcastError, SpecError
from flopcast.fitting import compare_fits, fit, load_fit
from flopcast.simulate import Truth, simulate_runs
from flopcast.units import doubling_months


def _inside(summary: pd.DataFrame, name: str, truth: float) -> None:
    row = summary.loc[name]
    assert row["ci90_low"] <= truth <= row["ci90_high"], (
        f"{name}: truth {truth:.4g} outside 90% interval "
        f"[{row['ci90_low']:.4g}, {row['ci90_high']:.4g}] (median {row['median']:.4g})"
    )


def test_recovers_break_slopes_and_scatter_of_simulated_runs(standard_fit):
    s = standard_fit.summary()
    _inside(s, "break_1", STANDARD_TRUTH.breaks[0])
    _inside(s, "slope_era_1", STANDARD_TRUTH.slopes[0])
    _inside(s, "slope_era_2", STANDARD_TRUTH.slopes[1])
    _inside(s, "scatter", STANDARD_TRUTH.scatter)
    _inside(s, "doubling_months_era_2", doubling_months(STANDARD_TRUTH.slopes[1]))
    assert standard_fit.diagnostics.ok, standard_fit.diagnostics.problems


def test_summary_reports_medians_with_90_percent_intervals(standard_fit):
    s = standard_fit.summary()
    assert s.attrs["level"] == 0.9
    assert list(s.columns) == ["median", "ci90_low", "ci90_high", "unit"]
    assert (s["ci90_low"] <= s["median"]).all() and (s["median"] <= s["ci90_high"]).all()
    draws = standard_fit.posterior["breaks"].values.ravel()
    assert s.loc["break_1", "ci90_high"] == pytest.approx(np.quantile(draws, 0.95))


def test_summary_and_latent_name_their_interval_columns_after_the_level(standard_fit):
    s = standard_fit.summary(level=0.5)
    assert s.attrs["level"] == 0.5
    assert list(s.columns) == ["median", "ci50_low", "ci50_high", "unit"]
    draws = standard_fit.posterior["breaks"].values.ravel()
    assert s.loc["break_1", "ci50_low"] == pytest.approx(np.quantile(draws, 0.25))
    latent = standard_fit.latent(level=0.5)
    assert {"true_median", "true_ci50_low", "true_ci50_high"} <= set(latent.columns)
    assert (latent["true_ci50_low"] <= latent["true_median"]).all()


def test_latent_true_compute_intervals_cover_the_simulated_truth(standard_fit, standard_runs):
    _, truth = standard_runs
    latent = standard_fit.latent()
    low, high = np.log10(latent["true_ci90_low"]), np.log10(latent["true_ci90_high"])
    inside = (low <= truth) & (truth <= high)
    # 400 runs, nominal 90%: a binomial 99.9% band is about 0.86-0.94.
    assert 0.85 <= inside.mean() <= 0.95, f"latent 90% interval coverage {inside.mean():.3f}"
    # Early runs (factor-10 errors) are pulled toward the trend more than modern ones.
    early = standard_fit.runs["year"] < 2012
    assert (
        latent.loc[early, "shrinkage_dex"].abs().mean()
        > latent.loc[~early, "shrinkage_dex"].abs().mean()
    )


def test_same_seed_gives_identical_draws_and_another_seed_does_not(standard_runs, standard_fit):
    runs, _ = standard_runs
    again = fit(runs, fast_spec(), progress=False)
    np.testing.assert_array_equal(again.posterior["slopes"], standard_fit.posterior["slopes"])
    other = fit(runs, fast_spec(), seed=99, progress=False)
    assert not np.array_equal(other.posterior["slopes"], standard_fit.posterior["slopes"])
    assert again.provenance["timings_s"]["compiled_model_reused"] == 1.0


def test_save_and_load_round_trip_gives_identical_summaries(standard_fit, tmp_path):
    path = standard_fit.save(tmp_path / "fit.nc")
    loaded = load_fit(path)
    pd.testing.assert_frame_equal(loaded.summary(), standard_fit.summary())
    pd.testing.assert_frame_equal(loaded.latent(), standard_fit.latent(), check_dtype=False)
    assert loaded.spec == standard_fit.spec
    assert loaded.data_sha256 == standard_fit.data_sha256
    assert loaded.provenance["versions"]["pymc"] == standard_fit.provenance["versions"]["pymc"]
    # in the same order, so reports from a new and a saved fit list them alike
    assert list(loaded.provenance["versions"]) == list(standard_fit.provenance["versions"])
    assert loaded.to_json_dict() == standard_fit.to_json_dict()
    assert loaded.idata.groups() == standard_fit.idata.groups()


#: Modules that reading a saved fit must not load (PyMC and its compilers take seconds).
SAMPLING_STACK = ("pymc", "pytensor", "nutpie", "numba")


def test_loading_and_summarising_a_fit_does_not_import_the_sampling_stack(standard_fit, tmp_path):
    path = standard_fit.save(tmp_path / "fit.nc")
    script = (
        "import sys\n"
        "from flopcast.fitting import load_fit\n"
        f"fit = load_fit({str(path)!r})\n"
        "fit.summary()\n"
        "fit.latent()\n"
        f"print(sorted(m for m in {SAMPLING_STACK!r} if m in sys.modules))\n"
    )
    src = str(Path(flopcast.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_loading_something_that_is_not_a_fit_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.nc"
    text.write_text("hello")
    with pytest.raises(FitLoadError, match="not a NetCDF file"):
        load_fit(text)
    import xarray as xr

    other = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(other, engine="h5netcdf")
    with pytest.raises(FitLoadError, match="not a flopcast fit"):
        load_fit(other)
    with pytest.raises(FitLoadError, match="no such file"):
        load_fit(tmp_path / "missing.nc")


def test_summary_json_has_the_documented_keys(standard_fit):
    doc = json.loads(json.dumps(standard_fit.to_json_dict()))
    assert doc["json_version"] == 2
    assert {"flopcast_version", "spec", "data", "breaks", "eras", "diagnostics"} <= set(doc)
    assert {"n_runs", "n_excluded", "sha256"} <= set(doc["data"])
    assert doc["data"]["n_runs"] == 400
    (brk,) = doc["breaks"]
    assert brk["ci90"][0] <= brk["median"] <= brk["ci90"][1]
    assert [set(e) for e in doc["eras"]] == [
        {"start", "end", "doubling_months", "growth_per_year"}
    ] * 2
    assert {"max_rhat", "min_ess_bulk", "divergences", "chains_agree"} <= set(doc["diagnostics"])


def test_printed_fit_says_which_interval_it_shows(standard_fit):
    text = repr(standard_fit)
    assert "90% credible interval" in text
    assert "break_1" in text and "doubling_months_era_2" in text
    assert "<table" in standard_fit._repr_html_()


def test_failed_diagnostics_produce_a_loud_warning(standard_runs):
    runs, _ = standard_runs
    # Far too few draws for 4 chains to agree: the warning block must say so.
    spec = fast_spec().with_overrides({"sampler.draws": 50, "sampler.tune": 50})
    bad = fit(runs, spec, progress=False)
    assert not bad.diagnostics.ok
    block = bad.diagnostics.warning_block()
    assert "SAMPLING PROBLEMS" in block
    assert any("ESS" in p for p in bad.diagnostics.problems), bad.diagnostics.problems


@pytest.fixture(scope="module")
def small_runs():
    truth = Truth(breaks=(2008.0,), slopes=(0.2, 0.55), level=19.0, scatter=0.4)
    return simulate_runs(60, truth, seed=11)


def test_marginal_and_latent_forms_agree_within_monte_carlo_error(small_runs):
    import arviz as az

    runs, _ = small_runs
    sampler = {"chains": 2, "draws": 1000, "tune": 1000, "seed": 5}
    marginal = fit(runs, fast_spec(sampler=sampler, model={"form": "marginal"}), progress=False)
    latent = fit(runs, fast_spec(sampler=sampler, model={"form": "latent"}), progress=False)
    assert latent.diagnostics.divergences == 0, latent.diagnostics.problems
    for name in ("breaks", "slopes", "scatter", "level"):
        a, b = marginal.posterior[name], latent.posterior[name]
        mcse = np.hypot(az.mcse(a.to_dataset(name="v"))["v"], az.mcse(b.to_dataset(name="v"))["v"])
        diff = np.abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw")))
        # Means agree to within 4 Monte Carlo standard errors (plus 2% of a posterior sd).
        bound = 4 * mcse + 0.02 * a.std(("chain", "draw"))
        assert bool((diff <= bound).all()), f"{name}: |diff| {diff.values} > {bound.values}"
    # The per-run true values agree too (closed form vs sampled).
    x_m = np.median(marginal.latent_draws(), axis=0)
    x_l = np.median(latent.latent_draws(), axis=0)
    assert np.max(np.abs(x_m - x_l)) < 0.1, np.max(np.abs(x_m - x_l))


@pytest.mark.parametrize(
    ("form", "setting", "expected"),
    [("marginal", None, True), ("latent", None, False), ("latent", True, True)],
)
def test_the_sampler_gets_the_mass_matrix_the_spec_resolves_to(
    monkeypatch, form, setting, expected
):
    import nutpie

    from flopcast.fitting import sampling
    from flopcast.model import ModelInputs, default_hyper

    class Compiled:  # stands in for a compiled model: no numba compile in this test
        def __init__(self):
            self.shared_data: dict = {}

        def with_data(self, **_):
            return self

    seen: dict = {}

    def sample(compiled, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop before sampling")

    monkeypatch.setattr(sampling, "_COMPILED", {})
    monkeypatch.setattr(sampling, "_compile_nutpie", lambda model, backend: Compiled())
    monkeypatch.setattr(nutpie, "sample", sample)
    spec = fast_spec(model={"form": form}, sampler={"low_rank_mass_matrix": setting})
    inputs = ModelInputs(
        t=np.array([-5.0, 0.0, 5.0]),
        y=np.array([18.0, 20.0, 23.0]),
        sigma=np.full(3, 0.2),
        group=np.zeros(3, int),
        hyper=default_hyper(spec.priors, -10.0, 10.0),
    )
    with pytest.raises(RuntimeError, match="stop before sampling"):
        sampling._sample(spec, inputs, seed=1, progress=False)
    assert seen["low_rank_modified_mass_matrix"] is expected


def test_student_t_scatter_recovers_slopes_despite_outliers(small_runs):
    runs, _ = small_runs
    runs = runs.copy()
    runs.loc[[5, 30, 50], "compute_flop"] *= 1e5  # three wild outliers
    result = fit(runs, fast_spec(model={"scatter": "student_t"}), progress=False)
    s = result.summary()
    _inside(s, "slope_era_2", 0.55)
    assert s.loc["nu", "median"] < 10, s.loc["nu"]


def test_error_scale_prior_adds_one_scale_per_used_group(small_runs):
    runs, _ = small_runs
    result = fit(runs, fast_spec(model={"error_scale": "prior"}), progress=False)
    rows = [r for r in result.summary().index if r.startswith("error_scale[")]
    assert len(rows) == result.runs["error_group"].nunique()


def test_fixed_breaks_are_reported_as_fixed(small_runs):
    runs, _ = small_runs
    result = fit(runs, fast_spec(model={"fixed_breaks": [2012.0]}), progress=False)
    assert "break_1" not in result.summary().index
    assert result.to_json_dict()["breaks"] == [
        {"median": 2012.0, "ci90": [2012.0, 2012.0], "fixed": True}
    ]


def test_loo_prefers_the_break_model_on_data_with_a_break(standard_runs, standard_fit):
    runs, _ = standard_runs
    single = fit(runs, fast_spec(model={"breaks": 0}), progress=False)
    table = compare_fits({"K=1": standard_fit, "K=0": single})
    assert table.index[0] == "K=1", table
    assert table.loc["K=0", "elpd_diff"] > 4 * table.loc["K=0", "dse"], table


def test_compare_fits_refuses_fits_of_different_runs(standard_fit):
    other = hand_fit(line_runs([2000.0, 2005.0, 2010.0, 2015.0, 2020.0]))
    with pytest.raises(FlopcastError, match="different runs"):
        compare_fits({"a": standard_fit, "b": other})


def test_a_spec_that_selects_too_few_runs_is_refused(small_runs):
    runs, _ = small_runs
    spec = fast_spec(data={"select": [{"date_min": "2024-06-01"}]})
    with pytest.raises(SpecError, match=r"selects \d+ run\(s\)"):
        fit(runs, spec, progress=False)


def test_unknown_system_names_in_a_spec_get_close_matches(small_runs):
    runs, _ = small_runs
    spec = fast_spec(data={"select": [{"systems": ["sim-0001"]}]})
    with pytest.raises(SpecError, match=r"no run named 'sim-0001' \(closest: \["):
        fit(runs, spec, progress=False)


def test_pymc_backend_gives_the_same_answer_as_nutpie(small_runs):
    runs, _ = small_runs
    sampler = {"chains": 2, "draws": 500, "tune": 500, "seed": 5}
    a = fit(runs, fast_spec(sampler=sampler), progress=False).summary()
    b = fit(runs, fast_spec(sampler={**sampler, "backend": "pymc"}), progress=False).summary()
    for name in ("slope_era_1", "slope_era_2", "break_1"):
        width = a.loc[name, "ci90_high"] - a.loc[name, "ci90_low"]
        gap = abs(a.loc[name, "median"] - b.loc[name, "median"])
        medians = (a.loc[name, "median"], b.loc[name, "median"])
        assert gap < 0.25 * width, f"{name}: medians nutpie/pymc {medians}, 90% width {width}"


def test_the_summary_names_the_file_the_runs_came_from(small_runs, tmp_path):
    from flopcast.runs import read_runs

    runs, _ = small_runs
    path = tmp_path / "my_runs.csv"
    runs.assign(date=runs["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    table = read_runs(path)
    data = fit(table, fast_spec(), progress=False).to_json_dict()["data"]
    assert data["source"] == str(path)
    assert data["sha256"] == table.sha256
    assert data["n_runs"] == len(runs)
