"""Everything several test modules share, in one place: sampler settings, simulated truths,
hand-built fits, the example report, and session-scoped fits on simulated data.

Fits are expensive (a numba compile per model structure), so every fit that several tests
read is made once per session here, with a fixed seed. Test modules import helpers from here
(``from conftest import ...``), never from each other.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure

from flopcast.fitting import Fit, _runs_to_dataset, fit, prepare_runs
from flopcast.forecasting import Forecast, forecast
from flopcast.report import write_report
from flopcast.runs import RunTable, read_runs, write_runs
from flopcast.simulate import Truth, simulate_runs
from flopcast.spec import T_REF, ModelSpec, load_spec

REPO = Path(__file__).resolve().parents[1]
SHARED_EPOCH = REPO.parent / "shared" / "data" / "epoch"

#: Small but converging sampler settings for tests. 1000 tuning steps: with 500, the anchored
#: two-era model left the first slope at R-hat 1.014 (2 chains x 500 draws, seed 7).
FAST_SAMPLER = {"chains": 2, "draws": 500, "tune": 1000, "seed": 7}

#: Truth of the standard simulated data set.
STANDARD_TRUTH = Truth(breaks=(2010.0,), slopes=(0.15, 0.6), level=20.0, scatter=0.5)


def fast_spec(**sections) -> ModelSpec:
    """A spec with the fast sampler and the given section overrides (nested dicts)."""
    # Limits off: tests of exact forecast numbers predate them; tests/test_limits.py turns
    # them on.
    values = {"name": "test", "sampler": dict(FAST_SAMPLER), "limits": {"mode": "off"}}
    for key, value in sections.items():
        values[key] = value
    return ModelSpec.from_dict(values)


@pytest.fixture(autouse=True)
def _quiet_known_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ArviZ is undergoing a major refactor.*")
        yield


@pytest.fixture(scope="session")
def standard_runs():
    """400 simulated runs with one break in 2010 (0.15 then 0.6 dex/year)."""
    return simulate_runs(400, STANDARD_TRUTH, seed=3)


@pytest.fixture(scope="session")
def standard_fit(standard_runs):
    from flopcast.fitting import fit

    runs, _ = standard_runs
    return fit(runs, fast_spec(), progress=False)


# ---------------------------------------------------------------------------------------
# Hand-built fits: one era, every draw on the same line, so forecasts are exact by hand

LEVEL, SLOPE = 20.0, 0.5  # log10 FLOP at T_REF = 2010, dex per year


def line_runs(years, offsets=None) -> pd.DataFrame:
    """Canonical runs on the line LEVEL + SLOPE (year - 2010), plus optional offsets."""
    years = np.asarray(years, dtype=float)
    offsets = np.zeros_like(years) if offsets is None else np.asarray(offsets, dtype=float)
    dates = [pd.Timestamp(int(y), 1, 1) + pd.Timedelta(days=round((y % 1) * 365)) for y in years]
    return pd.DataFrame(
        {
            "system": [f"run-{i}" for i in range(len(years))],
            "date": pd.DatetimeIndex(dates),
            "compute_flop": 10.0 ** (LEVEL + SLOPE * (years - T_REF) + offsets),
            "method": "counted",
            "confidence": "confident",
            "domain": "Language",
            "organization": "test",
        }
    )


def hand_fit(
    runs: pd.DataFrame,
    *,
    frontier_rule: str = "top_n",
    scatter=None,
    chains: int = 2,
    draws: int = 500,
    seed: int = 11,
) -> Fit:
    """A one-era Fit whose every draw has level LEVEL at T_REF and slope SLOPE."""
    spec = fast_spec(model={"breaks": 0}, frontier={"rule": frontier_rule, "n": 10})
    prepared = prepare_runs(runs, spec)
    shape = (chains, draws)
    if scatter is None:
        scatter = 0.3 + 0.01 * np.random.default_rng(seed).standard_normal(shape)
    slopes = np.full((*shape, 1), SLOPE)
    posterior = xr.Dataset(
        {
            "level": (("chain", "draw"), np.full(shape, LEVEL)),
            "slopes": (("chain", "draw", "era"), slopes),
            "scatter": (("chain", "draw"), np.asarray(scatter, dtype=float)),
            "doubling_months": (("chain", "draw", "era"), 12 * math.log10(2) / slopes),
            "growth_per_year": (("chain", "draw", "era"), 10.0**slopes),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws), "era": [0]},
    )
    idata = az.InferenceData(
        posterior=posterior, observed_data=xr.Dataset({"y": ("run", prepared.inputs.y)})
    )
    idata.add_groups({"constant_data": _runs_to_dataset(prepared.runs)})
    provenance = {"seed": seed, "data_sha256": "hand-made", "data_source": "test"}
    return Fit(spec, prepared.runs, idata, provenance)


class FixedPricePerformance:
    """Price-performance of exactly 10**(17 + 0.1 (year - 2015)) FLOP per dollar."""

    kind = "fixed"
    base_year = 2023

    def draws_at(self, years):
        years = np.atleast_1d(np.asarray(years, dtype=float))
        return (17.0 + 0.1 * (years - 2015.0))[None, :]

    def slope_draws(self):
        return np.array([0.1])


# ---------------------------------------------------------------------------------------
# The example report (fitted and written once per process)

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ORG = "<img src=x onerror=alert(2)>"
HOSTILE_EXCLUDED = "<b>bad & worse</b>"
MARKDOWN_HOSTILE = "Evil | *bold* _x_ [link](http://example.com)"
N_MISSING = 12  # rows without compute: more than COLLAPSE_ROWS, so a collapsible list

SPEC_TOML = """\
description = "Report test: one break, small sampler"

[model]
breaks = 1

[sampler]
chains = 2
draws = 300
tune = 300
seed = 5
"""


@dataclass(frozen=True)
class ExampleReport:
    """Everything the report tests read."""

    root: Path
    spec_path: Path
    data_path: Path
    spec: ModelSpec
    table: RunTable
    fit: Fit
    forecast: Forecast
    out: Path
    html: str
    markdown: str


_CACHE: dict[str, ExampleReport] = {}


def _write_data(root: Path) -> Path:
    runs, _ = simulate_runs(200, seed=11)
    runs = runs.copy()
    largest = int(runs["compute_flop"].idxmax())
    runs.loc[largest, "system"] = HOSTILE
    runs.loc[largest, "organization"] = HOSTILE_ORG
    second = int(runs["compute_flop"].nlargest(2).index[-1])
    runs.loc[second, "system"] = MARKDOWN_HOSTILE
    path = write_runs(runs, root / "runs.csv")
    extra = [f"{HOSTILE_EXCLUDED},2020-01-01,-5"]
    extra += [f"missing-{i},2021-01-01," for i in range(N_MISSING)]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(extra) + "\n")
    return path


def example_report(root: Path) -> ExampleReport:
    """Fit, forecast and write the example report once per process (under ``root``)."""
    if "report" in _CACHE:
        return _CACHE["report"]
    root.mkdir(parents=True, exist_ok=True)
    spec_path = root / "report_test.toml"
    spec_path.write_text(SPEC_TOML, encoding="utf-8")
    data_path = _write_data(root)
    spec = load_spec(spec_path)
    table = read_runs(data_path, today="2026-01-01")
    result = fit(table, spec, progress=False)
    fc = forecast(result, until="2030-12-31", cost=FixedPricePerformance())
    study = pd.DataFrame(
        {
            "variant": ["base", "errors x10", HOSTILE],
            "doubling_months": [6.3, 7.1, np.nan],
            "diagnostics_ok": [True, False, True],
        }
    )
    study.attrs["description"] = "Each row refits the base spec with one change."
    fig = Figure(figsize=(4, 2))
    fig.add_subplot().barh([0, 1], [1.0, -0.5])
    out = root / "report"
    write_report(
        result,
        out,
        forecast=fc,
        study=study,
        study_figure=fig,
        command=f"flopcast report --spec {spec_path} --data {data_path}",
        data=table,
    )
    _CACHE["report"] = ExampleReport(
        root=root,
        spec_path=spec_path,
        data_path=data_path,
        spec=spec,
        table=table,
        fit=result,
        forecast=fc,
        out=out,
        html=(out / "index.html").read_text(encoding="utf-8"),
        markdown=(out / "report.md").read_text(encoding="utf-8"),
    )
    return _CACHE["report"]
