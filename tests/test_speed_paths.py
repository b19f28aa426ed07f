"""The quick paths of issue 12: the price-performance posterior cache, a report path free of
PyMC/PyTensor/numba/nutpie/ArviZ, diagnostics saved with a fit, and no compile leftovers in
the system temp folder. Speed itself is measured by benchmarks/bench_paths.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from flopcast.caches import clear_caches
from flopcast.cost import fit_price_performance, posterior_cache
from flopcast.exceptions import CacheWarning, PricePerformanceSamplingWarning

HEAVY = ("pymc", "pytensor", "numba", "nutpie", "arviz")
SMALL = {"draws": 200, "tune": 200, "chains": 2}
SRC = str(Path(__file__).resolve().parents[1] / "src")
BACKTEST_JSON = Path(__file__).resolve().parents[1] / "reports" / "default" / "backtest.json"


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """An empty flopcast cache folder for this test, and no in-process caches."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("FLOPCAST_CACHE_DIR", str(folder))
    clear_caches()
    yield folder
    clear_caches()


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def _run_child(script: str, *args: str, **env: str) -> dict:
    """Run ``script`` (given HEAVY for its ``%r``) in a fresh Python; return the JSON it
    prints last."""
    out = subprocess.run(
        [sys.executable, "-c", script % (HEAVY,), *args],
        env=_child_env(**env),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fit_small(**kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a short run may fail the ESS check: fine here
        result = fit_price_performance("purchase", seed=5, **SMALL, **kwargs)
    return result, [w.category for w in caught]


def _assert_same_draws(a, b) -> None:
    assert list(a.posterior.data_vars) == list(b.posterior.data_vars)
    for name in a.posterior.data_vars:
        np.testing.assert_array_equal(a.posterior[name].values, b.posterior[name].values)
    np.testing.assert_array_equal(
        a._groups["sample_stats"]["diverging"].values, b._groups["sample_stats"]["diverging"].values
    )
    assert a.diagnostics == b.diagnostics
    assert a.summary().equals(b.summary())


# --------------------------------------------------------------------------------------
# The price-performance posterior cache


def test_key_changes_with_data_and_settings():
    t, y = np.arange(4.0), np.array([16.0, 16.2, 16.5, 16.9])
    base = posterior_cache.posterior_key(t, y, {"seed": 1, "draws": 100})
    assert base == posterior_cache.posterior_key(t.copy(), y.copy(), {"draws": 100, "seed": 1})
    assert base != posterior_cache.posterior_key(t, y, {"seed": 2, "draws": 100})
    assert base != posterior_cache.posterior_key(t, y + 1e-9, {"seed": 1, "draws": 100})


@pytest.mark.filterwarnings("ignore::flopcast.exceptions.PricePerformanceSamplingWarning")
def test_cached_posterior_gives_identical_draws(cache_folder):
    sampled, _ = _fit_small()
    assert "read_cache" not in sampled.settings["timings_s"]
    files = list((cache_folder / "price_performance").glob("*.npz"))
    assert len(files) == 1
    clear_caches()  # forget the compiled model too: the disk must be enough
    cached, _ = _fit_small()
    assert "read_cache" in cached.settings["timings_s"]
    assert cached.settings["timings_s"]["sample"] == 0.0
    _assert_same_draws(sampled, cached)
    assert cached.to_dict()["summary"] == sampled.to_dict()["summary"]
    # other settings or seed: not the cached draws
    other = fit_price_performance("purchase", seed=6, **SMALL)
    assert not np.array_equal(other.slope_draws(), sampled.slope_draws())
    assert len(list((cache_folder / "price_performance").glob("*.npz"))) == 2


@pytest.mark.filterwarnings("ignore::flopcast.exceptions.PricePerformanceSamplingWarning")
def test_damaged_cache_file_is_ignored_with_a_warning(cache_folder):
    sampled, _ = _fit_small()
    (path,) = (cache_folder / "price_performance").glob("*.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip bits inside the draws
    path.write_bytes(bytes(data))
    again, categories = _fit_small()
    assert CacheWarning in categories
    assert "read_cache" not in again.settings["timings_s"]  # sampled again
    _assert_same_draws(sampled, again)
    # the file was replaced by a good one
    third, categories = _fit_small()
    assert CacheWarning not in categories
    assert "read_cache" in third.settings["timings_s"]
    # a file written under another key is ignored
    posterior_cache.posterior_path("0" * 64).write_bytes(path.read_bytes())
    with pytest.warns(CacheWarning, match="other data or settings"):
        assert posterior_cache.load_posterior("0" * 64) is None
    # draws that do not match the sha256 saved with them are ignored
    key = path.stem
    arrays, _ = posterior_cache.load_posterior(key)
    arrays["slope"] = arrays["slope"] + 1e-12
    with np.load(path) as stored:
        meta_json = stored["meta_json"]
    with open(path, "wb") as handle:
        np.savez(handle, meta_json=meta_json, **arrays)
    with pytest.warns(CacheWarning, match="sha256"):
        assert posterior_cache.load_posterior(key) is None


def test_custom_observations_are_not_cached_by_default(cache_folder):
    rng = np.random.default_rng(0)
    years = np.linspace(2010, 2024, 30)
    obs = {"year": years, "log10_flop_per_usd": 17 + 0.15 * (years - 2015) + rng.normal(0, 0.2, 30)}
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PricePerformanceSamplingWarning)
        fit_price_performance(observations=pd.DataFrame(obs), seed=1, **SMALL)
    assert not list(cache_folder.glob("price_performance/*.npz"))


# --------------------------------------------------------------------------------------
# Saved diagnostics, and the report path without PyMC, PyTensor, numba, nutpie or ArviZ


def test_fit_file_carries_its_diagnostics(standard_fit, tmp_path):
    import h5netcdf

    from flopcast.fitting import load_fit

    path = standard_fit.save(tmp_path / "fit.nc")
    loaded = load_fit(path)
    assert "diagnostics" in loaded.__dict__  # read from the file, not computed
    assert loaded.diagnostics == standard_fit.diagnostics
    assert loaded.to_json_dict()["diagnostics"] == standard_fit.to_json_dict()["diagnostics"]
    # a file saved before diagnostics were saved computes them on first use
    with h5netcdf.File(str(path), "a") as handle:
        del handle["posterior"].attrs["diagnostics_json"]
    old = load_fit(path)
    assert "diagnostics" not in old.__dict__
    assert old.diagnostics == standard_fit.diagnostics


CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
from flopcast.fitting import load_fit
from flopcast.forecasting import forecast
from flopcast.report import write_report
fit = load_fit(sys.argv[1])
fc = forecast(fit, until=2030)
write_report(fit, sys.argv[2], forecast=fc, save_fit=False)
repr(fit), fit.to_json_dict(), fc.to_json_dict()
print(json.dumps({"heavy": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
"""


def test_report_from_saved_fit_imports_no_sampling_stack(standard_fit, tmp_path, monkeypatch):
    from flopcast.forecasting.frontier_cost import DEFAULT_COST_KIND

    cache = tmp_path / "cache"
    monkeypatch.setenv("FLOPCAST_CACHE_DIR", str(cache))
    # warm the disk cache with the posterior the forecast asks for (kind, fit's seed)
    fit_price_performance(DEFAULT_COST_KIND, seed=standard_fit.seed)
    path = standard_fit.save(tmp_path / "fit.nc")
    result = _run_child(CHILD, str(path), str(tmp_path / "report"), FLOPCAST_CACHE_DIR=str(cache))
    assert result["heavy"] == [], result["heavy"]
    assert (tmp_path / "report" / "index.html").is_file()
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["diagnostics"]["max_rhat"] == pytest.approx(standard_fit.diagnostics.max_rhat)


REUSE_CHILD = """
import json, sys, types, warnings
warnings.simplefilter("ignore")
from flopcast.fitting import load_fit
from flopcast.report import load_or_fit
saved = load_fit(sys.argv[1])
data = types.SimpleNamespace(sha256=saved.data_sha256)  # all the reuse check reads of it
fit, reused, message = load_or_fit(saved.spec, data, sys.argv[1])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in %r)
print(json.dumps({"reused": reused, "message": message, "heavy": heavy}))
"""


def test_reusing_a_saved_fit_as_the_report_command_does_imports_no_sampling_stack(
    standard_fit, tmp_path
):
    path = standard_fit.save(tmp_path / "fit.nc")
    result = _run_child(REUSE_CHILD, str(path), FLOPCAST_CACHE_DIR=str(tmp_path / "cache"))
    assert result["reused"], result["message"]
    assert result["heavy"] == [], result["heavy"]


CHECKS_CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
import flopcast
import flopcast.backtesting, flopcast.cli, flopcast.cli.report, flopcast.model, flopcast.report
from flopcast.cli.checks import check_selection_in
from flopcast.report.sections.skill import resolve_backtest, skill_section
from flopcast.spec import load_spec
check_selection_in(load_spec("two_eras"), flopcast.load_runs())
section = skill_section(resolve_backtest(sys.argv[1]))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in %r)
print(json.dumps({"skill": section is not None, "heavy": heavy}))
"""


def test_the_report_commands_checks_and_skill_section_import_no_sampling_stack(tmp_path):
    # Both loaded PyMC before: the selection check through flopcast.model's top-level
    # import, the skill section through flopcast.backtesting importing fit.
    result = _run_child(
        CHECKS_CHILD,
        str(BACKTEST_JSON),
        FLOPCAST_CACHE_DIR=str(tmp_path / "cache"),
        MPLBACKEND="Agg",
    )
    assert result["skill"]
    assert result["heavy"] == [], result["heavy"]


# --------------------------------------------------------------------------------------
# Compile leftovers stay out of the system temp folder


def test_fit_leaves_no_files_in_system_temp(standard_runs, tmp_path, monkeypatch):
    from flopcast.fitting import clear_model_cache, fit
    from flopcast.spec import ModelSpec

    runs, _ = standard_runs
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    clear_model_cache()  # compile again, as a new process would
    spec = ModelSpec.from_dict(
        {"name": "t", "sampler": {"chains": 2, "draws": 100, "tune": 100, "seed": 1}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 100 draws may fail the ESS check
        result = fit(runs, spec, progress=False)
    assert result.provenance["timings_s"]["compiled_model_reused"] == 0.0
    assert tempfile.gettempdir() == str(system_tmp)
    assert sorted(p.name for p in system_tmp.iterdir()) == []


EXIT_CHILD = """
import sys, tempfile
from flopcast.fitting.sampling import generated_sources_outside_tmp
with generated_sources_outside_tmp() as folder:
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(b"def f(): pass")
print(folder)
"""


def test_generated_sources_are_removed_when_the_process_exits(tmp_path):
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", EXIT_CHILD],
        env=_child_env(FLOPCAST_CACHE_DIR=str(tmp_path / "cache"), TMPDIR=str(system_tmp)),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    folder = Path(out.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "cache" / "pytensor" / "generated"
    assert not folder.exists()
    assert list(system_tmp.iterdir()) == []
