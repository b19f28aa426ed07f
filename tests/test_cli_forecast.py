"""``flopcast forecast`` and ``flopcast backtest``: tables, JSON, and exit code 2 with a
one-line ``Error:`` (never a traceback) on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FAST_SAMPLER, STANDARD_TRUTH, hand_fit, line_runs
from flopcast.cli import main
from flopcast.runs import write_runs
from flopcast.simulate import simulate_runs


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory) -> Path:
    fit = hand_fit(line_runs(np.linspace(2000.0, 2021.0, 30)))
    return fit.save(tmp_path_factory.mktemp("fit") / "fit.nc")


@pytest.fixture(scope="module")
def sim_files(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sim")
    runs, _ = simulate_runs(300, STANDARD_TRUTH, seed=5)
    data = write_runs(runs, root / "runs.csv")
    sampler = "\n".join(f"{k} = {v}" for k, v in FAST_SAMPLER.items())
    spec = root / "fast.toml"
    spec.write_text(f'name = "fast"\n[sampler]\n{sampler}\n', encoding="utf-8")
    return spec, data


def test_forecast_from_a_saved_fit_prints_tables_and_writes_json(saved_fit, tmp_path):
    out = tmp_path / "summary.json"
    result = invoke(
        "forecast",
        "--fit",
        str(saved_fit),
        "--until",
        "2030",
        "--cost",
        "none",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "90% credible interval of the trend" in result.output
    assert "90% predictive interval for one run" in result.output
    assert "future regime changes ON" in result.output
    assert "frontier_compute_flop" in result.output
    assert "threshold crossings" in result.output
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert {"spec", "data", "diagnostics", "forecast"} <= set(summary)
    forecast = summary["forecast"]
    assert {"horizon", "compute", "cost_usd", "thresholds", "regime_changes"} <= set(forecast)
    assert forecast["horizon"] == pytest.approx(2030.997, abs=1e-3)
    assert forecast["cost_usd"] == []


def test_regime_changes_can_be_turned_off_and_it_is_stated(saved_fit):
    result = invoke(
        "forecast", "--fit", str(saved_fit), "--cost", "none", "--regime-changes", "off"
    )
    assert result.exit_code == 0, result.output
    assert "future regime changes OFF" in result.output


def test_forecast_fits_a_spec_first_when_no_fit_is_given(sim_files):
    spec, data = sim_files
    result = invoke(
        "forecast",
        "--spec",
        str(spec),
        "--data",
        str(data),
        "--until",
        "2028-06-30",
        "--cost",
        "none",
        "--json",
        "-",
    )
    assert result.exit_code == 0, result.output
    assert "compute_flop" in result.output and "population quantile" in result.output
    payload = result.output[result.output.index("{") :]
    assert json.loads(payload)["forecast"]["compute_typical"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--fit", "no/such/fit.nc"], "no such file"),
        (["--until", "someday"], "until"),
        (["--until", "1999"], "after the last run"),
        (["--spec", "two_eras"], "not both"),
        (["--frontier-quantile", "0.95"], "already selects frontier runs"),
    ],
)
def test_forecast_errors_exit_2_with_a_one_line_message(saved_fit, args, message):
    fit_args = [] if args[0] == "--fit" else ["--fit", str(saved_fit)]
    result = invoke("forecast", *fit_args, *args, "--cost", "none")
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and message in result.output


def test_backtest_prints_coverage_per_cutoff_and_writes_json(sim_files, tmp_path):
    spec, data = sim_files
    out = tmp_path / "backtest.json"
    result = invoke(
        "backtest",
        "--spec",
        str(spec),
        "--data",
        str(data),
        "--cutoff",
        "2019-01-01",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output and "2019-01-01" in result.output
    assert "measurement-error model ON" in result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["cutoffs"][0]["cutoff"] == "2019-01-01"
    assert 0.0 <= payload["cutoffs"][0]["cover90"] <= 1.0


def test_backtest_without_measurement_error_says_so(sim_files):
    spec, data = sim_files
    result = invoke(
        "backtest",
        "--spec",
        str(spec),
        "--data",
        str(data),
        "--cutoff",
        "2019-01-01",
        "--no-measurement-error",
    )
    assert result.exit_code == 0, result.output
    assert "OFF (errors of zero width)" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cutoff", "soon"], "not a date"),
        (["--spec", "no_such_spec"], "no spec file"),
        (["--data", "no/such/runs.csv"], "no such file"),
        (["--cutoff", "2100-01-01"], "no selected run"),
    ],
)
def test_backtest_errors_exit_2_with_a_one_line_message(sim_files, args, message):
    spec, data = sim_files
    base = {"--spec": str(spec), "--data": str(data)}
    for key in args[::2]:
        base.pop(key, None)
    flat = [v for kv in base.items() for v in kv]
    result = invoke("backtest", *flat, *args)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and message in result.output
