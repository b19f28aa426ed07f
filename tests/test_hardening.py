"""Every bad input of issue 14 gives one clear error before any work, nothing half-written.

One table row per case of the issue (numbered as there): the CLI through click's
``CliRunner`` (a one-line ``Error:``, no traceback, exit 2 for bad input and 3 for the file
system) and the API (the one documented exception). Property-based tests feed random bytes,
rows and spec values to the readers and accept only the documented exceptions.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST_SAMPLER
from flopcast.cli import main
from flopcast.dates import parse_date, to_decimal_year
from flopcast.exceptions import DataValidationError, FitLoadError, FlopcastError, SpecError
from flopcast.runs import load_runs, read_runs, write_runs
from flopcast.runs.selection import select_runs
from flopcast.runs.table import escape_formulas
from flopcast.spec import DataSpec, ModelSpec, Selection, load_spec

REPO = Path(__file__).resolve().parents[1]
FAST_TOML = "[sampler]\n" + "".join(f"{k} = {v}\n" for k, v in FAST_SAMPLER.items())


def run_cli(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def assert_clear_error(result, code: int, *words: str) -> None:
    """Exit ``code``, one ``Error:`` message naming ``words``, no traceback."""
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        result.exception,
        result.output,
    )
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    message = result.output[result.output.index("Error:") :]  # a spec error lists problems
    for word in words:
        assert word in message, message


@pytest.fixture(scope="module")
def saved_fit(standard_fit, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "fit.nc"
    standard_fit.save(path)
    return path


@pytest.fixture
def runs_csv(tmp_path) -> Path:
    path = tmp_path / "runs.csv"
    path.write_text("system,date,compute_flop\nA,2020-01-01,1e21\nB,2021-01-01,1e22\n")
    return path


# --------------------------------------------------------------------------------------
# 1. One date parser; 8 and 13: range and ISO forms

DATES = [
    ("2030.5", dt.date(2030, 7, 1)),
    (2030.5, dt.date(2030, 7, 1)),
    ("2026.25", dt.date(2026, 4, 1)),
    ("2026.75", dt.date(2026, 10, 1)),
    ("2030.12", dt.date(2030, 2, 13)),
    ("2030", dt.date(2030, 1, 1)),
    (2030, dt.date(2030, 1, 1)),
    ("2030-12", dt.date(2030, 12, 1)),
    ("2021-05-01T10:00:00Z", dt.date(2021, 5, 1)),
    ("2021-05-01 10:00", dt.date(2021, 5, 1)),
    ("2021-05-01T23:30:00+02:00", dt.date(2021, 5, 1)),
    (dt.date(2021, 5, 1), dt.date(2021, 5, 1)),
]


@pytest.mark.parametrize(("value", "expected"), DATES)
def test_the_date_parser_reads_iso_years_and_decimal_years(value, expected):
    assert parse_date(value) == expected


def test_decimal_years_are_used_as_given_for_horizons():
    assert to_decimal_year("2030.5", year_end=True) == 2030.5
    assert to_decimal_year("2026.25") == 2026.25
    assert round(to_decimal_year("2030", year_end=True), 4) == 2030.9973


BAD_DATES = [
    ("1600-01-01", "out of the supported range"),
    ("9999-12-31", "out of the supported range"),
    ("3000", "out of the supported range"),
    ("2262-01-01", "out of the supported range"),
    ("2021-02-30", "not a valid date"),
    ("2030/12/31", "not a date"),
    ("soon", "not a date"),
    (float("nan"), "not a date"),
    (None, "give a date"),
]


@pytest.mark.parametrize(("value", "words"), BAD_DATES)
def test_bad_dates_are_one_clear_error(value, words):
    with pytest.raises(FlopcastError, match=words):
        parse_date(value, what="until")


def test_backtest_cutoffs_and_today_use_the_same_parser():
    from flopcast.backtesting.cutoffs import _cutoffs

    assert [c.date() for c in _cutoffs("2020.5")] == [dt.date(2020, 7, 1)]
    result = run_cli(["backtest", "--cutoff", "1600-01-01"])
    assert_clear_error(result, 2, "--cutoff", "out of the supported range")


def test_forecast_reads_until_as_a_decimal_year(saved_fit):
    from flopcast.fitting import load_fit
    from flopcast.forecasting.pipeline import resolve_horizon

    assert resolve_horizon(load_fit(saved_fit), "2030.5")[0] == 2030.5


# --------------------------------------------------------------------------------------
# The CLI table: (case, arguments (with placeholders), exit code, words in the error)


def _cli_cases(tmp: Path, fit_path: Path, runs: Path) -> list[tuple[str, list, int, tuple]]:
    (tmp / "afile").write_text("not a folder")
    latin = tmp / "latin1.toml"
    latin.write_bytes(('name = "caf\xe9"\n' + FAST_TOML).encode("latin-1"))
    missing_source = tmp / "missing_source.toml"
    missing_source.write_text('[data]\nsource = "/nonexistent/runs.csv"\n' + FAST_TOML)
    folder_source = tmp / "folder_source.toml"
    folder_source.write_text(f'[data]\nsource = "{tmp}"\n' + FAST_TOML)
    nan_spec = tmp / "nan.toml"
    nan_spec.write_text("[priors]\nslope_mu = nan\n" + FAST_TOML)
    neg_threshold = tmp / "neg.toml"
    neg_threshold.write_text("[forecast]\nthresholds_flop = [-1e25]\n" + FAST_TOML)
    big_seed = tmp / "seed.toml"
    big_seed.write_text(FAST_TOML.replace("seed = 7", f"seed = {2**64}"))
    early_horizon = tmp / "early.toml"
    early_horizon.write_text(f'[data]\nsource = "{runs}"\n[forecast]\nhorizon = 2000\n' + FAST_TOML)
    typo = tmp / "typo.toml"
    typo.write_text(
        '[[data.select]]\ndomains = ["Langauge"]\n[[data.select]]\ndomains = ["Vision"]\n'
    )
    fit_copy = tmp / "copy.nc"
    if fit_path.is_file():
        shutil.copy(fit_path, fit_copy)
    f = str(fit_path)
    return [
        ("4 NaN prior mean", ["fit", "--spec", nan_spec], 2, ("slope_mu", "finite")),
        ("4 negative threshold", ["fit", "--spec", neg_threshold], 2, ("thresholds_flop",)),
        ("4 seed too large (spec)", ["fit", "--spec", big_seed], 2, ("sampler.seed",)),
        ("4 horizon before the data", ["report", "--spec", early_horizon, "--out", tmp / "r"],
         2, ("horizon", "after the last run")),
        ("5 misspelt domain", ["fit", "--spec", typo], 2, ("Langauge".lower(), "language")),
        ("6 import to /proc", ["data", "import", runs, "-o", "/proc/flopcast-x.csv"], 3,
         ("/proc",)),
        ("6 import under a file", ["data", "import", runs, "-o", tmp / "afile" / "x.csv"], 3,
         ("afile",)),
        ("6 import onto its input", ["data", "import", runs, "-o", runs], 2, ("must differ",)),
        ("6 forecast --out is --fit", ["forecast", "--fit", fit_copy, "--out", fit_copy], 2,
         ("--out", "same file")),
        ("6 forecast --json under a file",
         ["forecast", "--fit", f, "--json", tmp / "afile" / "s.json"], 3, ("--json", "afile")),
        ("6 fit --out under a file", ["fit", "--out", tmp / "afile" / "f.nc"], 3, ("--out",)),
        ("6 fit --out and --json the same",
         ["fit", "--out", tmp / "x.json", "--json", tmp / "x.json"], 2, ("same file",)),
        ("7 report --out a file", ["report", "--out", tmp / "afile"], 2, ("--out",)),
        ("7 report --out unwritable", ["report", "--out", "/proc/flopcast-report"], 3,
         ("/proc",)),
        ("8 until 3000", ["forecast", "--fit", f, "--until", "3000"], 2,
         ("until", "out of the supported range")),
        ("8 until 9999-12-31", ["forecast", "--fit", f, "--until", "9999-12-31"], 2,
         ("out of the supported range",)),
        ("8 until before the data", ["forecast", "--fit", f, "--until", "1990"], 2,
         ("after the last run",)),
        ("9 seed -1", ["forecast", "--fit", f, "--seed", "-1"], 2, ("--seed",)),
        ("9 seed 2**32", ["fit", "--seed", str(2**32)], 2, ("--seed",)),
        ("9 Latin-1 spec", ["fit", "--spec", latin], 2, ("latin1.toml", "UTF-8")),
        ("9 data.source missing", ["fit", "--spec", missing_source], 2,
         ("data.source", "no such file")),
        ("9 data.source a folder", ["fit", "--spec", folder_source], 2,
         ("data.source", "folder")),
        ("9 --data a folder", ["report", "--data", tmp, "--out", tmp / "r2"], 2, ("--data",)),
        ("13 --today out of range", ["data", "validate", runs, "--today", "1600-01-01"], 2,
         ("--today", "out of the supported range")),
    ]  # fmt: skip


def _case_names() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        return [c[0] for c in _cli_cases(Path(folder), Path("fit.nc"), Path("r.csv"))]


CASE_NAMES = _case_names()


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_bad_cli_input_is_one_clear_error_before_any_work(
    name, tmp_path, saved_fit, runs_csv, monkeypatch
):
    # A fit would be work done before the error: make any fit fail the test loudly.
    import flopcast.fitting

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before reporting the bad input")

    monkeypatch.setattr(flopcast.fitting, "fit", no_fit)
    monkeypatch.setattr("flopcast.report.reuse.load_or_fit", no_fit, raising=False)
    monkeypatch.setattr("flopcast.report.load_or_fit", no_fit)
    before = {p for p in tmp_path.rglob("*")}
    case = {c[0]: c for c in _cli_cases(tmp_path, saved_fit, runs_csv)}[name]
    before = {p for p in tmp_path.rglob("*")}
    _, args, code, words = case
    result = run_cli(args)
    assert_clear_error(result, code, *words)
    assert {p for p in tmp_path.rglob("*")} == before, "a file was written"


def test_data_import_writes_nothing_when_its_second_output_cannot_be_written(tmp_path, runs_csv):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "out.csv"
    result = run_cli(
        ["data", "import", runs_csv, "-o", out, "--excluded", tmp_path / "afile" / "x.csv"]
    )
    assert_clear_error(result, 3, "--excluded")
    assert not out.exists()


# --------------------------------------------------------------------------------------
# 2. Atomic report folders; partial fits


def test_a_failed_report_write_leaves_the_earlier_report_untouched(
    standard_fit, tmp_path, monkeypatch
):
    from flopcast.report import write as report_write

    out = tmp_path / "report"
    out.mkdir()
    for name, text in (("index.html", "old html"), ("report.md", "old md"), ("notes.txt", "mine")):
        (out / name).write_text(text)
    monkeypatch.setattr(report_write, "figure_blocks", lambda blocks: [])

    def broken(*args, **kwargs):
        raise OSError(27, "File too large", str(tmp_path / "x" / "report.md"))

    monkeypatch.setattr(report_write, "render_markdown", broken)
    with pytest.raises(OSError):
        report_write.write_report(standard_fit, out, save_fit=False)
    assert (out / "index.html").read_text() == "old html"
    assert (out / "report.md").read_text() == "old md"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"], "temporary folder left"

    monkeypatch.setattr(report_write, "render_markdown", lambda *a, **k: "new md")
    report_write.write_report(standard_fit, out, save_fit=False)
    assert (out / "report.md").read_text() == "new md"
    assert (out / "notes.txt").read_text() == "mine", "files of the user are carried over"
    assert (out / "index.html").read_text() != "old html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_an_atomic_folder_error_names_the_file_in_the_target(tmp_path):
    from flopcast.atomic import atomic_folder

    with pytest.raises(OSError) as info, atomic_folder(tmp_path / "out") as building:
        raise FileNotFoundError(2, "No such file", str(building / "index.html"))
    assert info.value.filename == str(tmp_path / "out" / "index.html")


def test_a_partial_trace_is_saved_as_partial_and_never_reused(
    standard_fit, standard_runs, tmp_path, monkeypatch
):
    from flopcast.fitting import Fit, load_fit
    from flopcast.report import reuse

    assert standard_fit.complete
    half = {g: standard_fit.idata[g] for g in standard_fit.idata.groups()}
    half["posterior"] = standard_fit.posterior.isel(draw=slice(0, 100))
    partial = Fit(standard_fit.spec, standard_fit.runs, half, dict(standard_fit.provenance))
    assert not partial.complete and partial.draws_actual == 200
    path = partial.save(tmp_path / "fit.nc")
    with h5py.File(path, "r") as handle:
        attrs = handle["posterior"].attrs
        saved = {k: np.asarray(attrs[k]).ravel()[0] for k in ("complete", "draws_requested")}
        saved["draws_actual"] = np.asarray(attrs["draws_actual"]).ravel()[0]
    assert saved == {"complete": 0, "draws_requested": 1000, "draws_actual": 200}
    loaded = load_fit(path)
    assert not loaded.complete

    class Data:
        sha256 = standard_fit.data_sha256

    calls = []
    monkeypatch.setattr(
        "flopcast.fitting.fit", lambda *a, **k: calls.append(1) or standard_fit, raising=True
    )
    _, reused, message = reuse.load_or_fit(standard_fit.spec, Data(), path)
    assert not reused and calls and "partial" in message


# --------------------------------------------------------------------------------------
# 3, 6, 13. CSV safety

CSV_CASES = [
    ("bare CR in a cell", b"system,date,compute_flop\nA,2020-01-01,1e21\nB\r,2021-01-01,1e22\n",
     "DataValidationError", ("row 3", "system", "carriage return")),
    ("old Mac line endings", b"system,date,compute_flop\rA,2020-01-01,1e21\rB,2021-01-01,1e22\r",
     2, ()),
    ("quoted CR is kept",
     b'system,date,compute_flop\r\nA,2020-01-01,1e21\r\n"B\rx",2021-01-01,1e22\r\n', 2, ()),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "outcome", "words"), CSV_CASES)
def test_carriage_returns(name, data, outcome, words, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_bytes(data)
    if outcome == "DataValidationError":
        with pytest.raises(DataValidationError) as info:
            read_runs(path)
        for word in words:
            assert word in str(info.value)
        assert str(path) in str(info.value)
        assert_clear_error(run_cli(["data", "validate", path]), 2, "carriage return")
    else:
        assert len(read_runs(path).runs) == outcome


ROW_CASES = [
    ("1800-01-01", "1e21", "date_early", "row kept (check the value)"),
    ("2020-01-01", "1e-300", "compute_tiny", "row kept (check the value)"),
    ("1600-01-01", "1e21", "date_range", "row excluded"),
    ("2021-05-01T10:00:00Z", "1e21", None, None),
]


@pytest.mark.parametrize(("date", "compute", "check", "action"), ROW_CASES)
def test_plausibility_warnings_and_out_of_range_dates(date, compute, check, action, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(f"system,date,compute_flop\nA,{date},{compute}\nB,2021-01-01,1e22\n")
    table = read_runs(path)
    if check is None:
        assert table.problems.empty and len(table.runs) == 2
        return
    assert table.problems["check"].tolist() == [check]
    assert table.problems["action"].tolist() == [action]
    if action.startswith("row kept"):
        assert len(table.runs) == 2 and table.ok and len(table.warnings) == 1
        table.check()  # warnings are not errors
    else:
        assert "out of range" in table.problems["reason"].iloc[0]


def test_names_differing_only_by_case_are_duplicates(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("system,date,compute_flop\nalpha,2020-01-01,1e21\nAlpha,2021-01-01,1e22\n")
    table = read_runs(path)
    assert table.runs["system"].tolist() == ["alpha"]
    assert table.problems["check"].tolist() == ["duplicate"]


def test_output_csv_cells_that_spreadsheets_would_run_are_escaped(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        'system,date,compute_flop,domain\n"=HYPERLINK(""http://x"")",2020-01-01,1e21,@SUM\n'
        "-B,2021-01-01,1e22,-1.5\n+C,2022-01-01,1e23,ok\n"
    )
    out = tmp_path / "out.csv"
    result = run_cli(["data", "import", source, "-o", out])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["system"] for r in rows] == ['\'=HYPERLINK("http://x")', "'-B", "'+C"]
    assert [r["domain"] for r in rows] == ["'@SUM", "-1.5", "ok"]
    assert [r["compute_flop"] for r in rows] == ["1e+21", "1e+22", "1e+23"]
    frame = escape_formulas(read_runs(source).runs)
    assert frame["compute_flop"].tolist() == [1e21, 1e22, 1e23]


def test_write_runs_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "runs.csv"
    out.write_text("old")
    monkeypatch.setattr("flopcast.runs.table.runs_to_csv", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_runs(load_runs().runs, out)
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


# --------------------------------------------------------------------------------------
# 4, 5, 9, 13. Specs and selections (API)

SPEC_CASES = [
    ({"model": {"breaks": 1, "fixed_breaks": [float("nan")]}}, "fixed_breaks"),
    ({"model": {"breaks": 1, "fixed_breaks": [1800.0]}}, "out of the supported range"),
    ({"priors": {"level_mu": float("inf")}}, "finite"),
    ({"priors": {"slope_mu": float("nan")}}, "finite"),
    ({"forecast": {"thresholds_flop": [0.0]}}, "positive"),
    ({"forecast": {"thresholds_usd": [float("nan")]}}, "thresholds_usd"),
    ({"forecast": {"horizon": "9999-12-31"}}, "out of the supported range"),
    ({"sampler": {"seed": 2**32}}, "sampler.seed"),
    ({"sampler": {"seed": -1}}, "sampler.seed"),
    ({"data": {"select": [{"date_min": "2020-02-30"}]}}, "not a valid date"),
]


@pytest.mark.parametrize(("values", "words"), SPEC_CASES)
def test_specs_reject_values_that_would_fail_later(values, words):
    with pytest.raises(SpecError, match=words):
        ModelSpec.from_dict(values)


def test_spec_dates_and_breaks_use_the_date_parser():
    spec = ModelSpec.from_dict(
        {"model": {"breaks": 1, "fixed_breaks": ["2015-07"]}, "forecast": {"horizon": "2030.5"}}
    )
    assert spec.forecast.horizon == dt.date(2030, 7, 1)
    assert 2015.49 < spec.model.fixed_breaks[0] < 2015.5


def test_fixed_breaks_outside_the_data_are_refused_before_sampling(standard_runs):
    from flopcast.fitting.inputs import prepare_runs

    runs, _ = standard_runs
    spec = ModelSpec.from_dict({"model": {"breaks": 1, "fixed_breaks": [2090.0]}})
    with pytest.raises(SpecError, match="outside the fitted runs"):
        prepare_runs(runs, spec)


def test_a_toml_spec_with_a_bom_loads_and_latin1_names_the_file(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + b'description = "x"\n')
    assert load_spec(bom).description == "x"
    latin = tmp_path / "latin.toml"
    latin.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(SpecError, match=r"latin\.toml.*UTF-8"):
        load_spec(latin)


SELECTION_CASES = [
    ([Selection(domains=["Langauge"]), Selection(domains=["Vision"])], "'language'"),
    ([Selection(exclude_domains=["Gamez"])], "'games'"),
    ([Selection(where={"organization": ["Gogle"]})], "'Google'"),
    ([Selection(systems=["GPT-4"]), Selection(exclude_systems=["GPT-44"])], "'GPT-4'"),
]


@pytest.mark.parametrize(("blocks", "hint"), SELECTION_CASES)
def test_every_name_in_every_selection_block_must_exist(blocks, hint):
    with pytest.raises(SpecError, match="closest") as info:
        select_runs(load_runs().runs, DataSpec(select=blocks))
    assert hint in str(info.value)


# --------------------------------------------------------------------------------------
# 10. Damaged fit files


def _drop_breaks_and_say_two(handle):
    values = json.loads(handle["posterior"].attrs["spec_json"])
    values["model"]["breaks"] = 2
    handle["posterior"].attrs["spec_json"] = json.dumps(values)
    del handle["posterior"]["breaks"]


DAMAGE = [
    ("pickle", lambda h: h["posterior"].attrs.__setitem__("spec_json", np.void(pickle.dumps(1))),
     "not JSON text"),
    ("format version", lambda h: h["posterior"].attrs.__setitem__("flopcast_fit_format", "x"),
     "format version"),
    ("newer format", lambda h: h["posterior"].attrs.__setitem__("flopcast_fit_format", 99),
     "newer"),
    ("non-string spec", lambda h: h["posterior"].attrs.__setitem__("spec_json", 5),
     "not JSON text"),
    ("spec not JSON", lambda h: h["posterior"].attrs.__setitem__("spec_json", "{"), "spec_json"),
    ("spec a list", lambda h: h["posterior"].attrs.__setitem__("spec_json", "[]"),
     "not JSON objects"),
    ("invalid spec", lambda h: h["posterior"].attrs.__setitem__("spec_json", '{"x": 1}'),
     "saved spec"),
    ("no runs group", lambda h: h.__delitem__("constant_data"), "constant_data"),
    ("no variable", lambda h: h["posterior"].__delitem__("slopes"), "slopes"),
    ("dates", lambda h: h["constant_data"]["date"].__setitem__(0, b"garbage"), "dates"),
    ("spec 2 breaks, none drawn", _drop_breaks_and_say_two, "breaks"),
    ("not NetCDF", None, "not a NetCDF file"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "damage", "words"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_every_damaged_fit_file_is_one_fit_load_error(name, damage, words, saved_fit, tmp_path):
    from flopcast.fitting import load_fit

    path = tmp_path / "fit.nc"
    if damage is None:
        path.write_bytes(b"\x89HDF not really")
    else:
        shutil.copy(saved_fit, path)
        with h5py.File(path, "r+") as handle:
            damage(handle)
    with pytest.raises(FitLoadError, match=words) as info:
        load_fit(path)
    assert str(path) in str(info.value)
    assert_clear_error(run_cli(["forecast", "--fit", path]), 2, str(path))


def test_an_empty_posterior_is_a_fit_load_error(standard_fit, tmp_path):
    from flopcast.fitting import Fit, load_fit

    groups = {g: standard_fit.idata[g] for g in standard_fit.idata.groups()}
    groups["posterior"] = standard_fit.posterior.isel(draw=slice(0, 0))
    groups.pop("sample_stats", None)
    groups.pop("log_likelihood", None)
    damaged = Fit(
        standard_fit.spec, standard_fit.runs, groups, dict(standard_fit.provenance),
        diagnostics=standard_fit.diagnostics,  # as saved before the draws were lost
    )  # fmt: skip
    damaged.save(tmp_path / "empty.nc")
    with pytest.raises(FitLoadError, match="no draws"):
        load_fit(tmp_path / "empty.nc")


# --------------------------------------------------------------------------------------
# 11. An unusable HOME


@pytest.mark.parametrize("home", ["/nonexistent", "a regular file"])
def test_commands_work_with_an_unusable_home(home, tmp_path, saved_fit):
    if home == "a regular file":
        home = tmp_path / "home"
        home.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "MPLCONFIGDIR")}
    env.update(HOME=str(home), PYTHONPATH=str(REPO / "src"))
    code = (
        "import sys; from flopcast.cli import main; "
        "sys.argv = ['flopcast', 'forecast', '--fit', sys.argv[1], '--cost', 'none']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(saved_fit)], env=env, capture_output=True, text=True,
        cwd=tmp_path, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_scripts_work_with_an_unusable_home(tmp_path, saved_fit):
    """The fallback runs on ``import flopcast``, so scripts get it too, not only the CLI."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "MPLCONFIGDIR")}
    env.update(HOME="/nonexistent", PYTHONPATH=str(REPO / "src"))
    code = "import sys, flopcast, arviz; print(flopcast.load_fit(sys.argv[1]).summary().shape)"
    done = subprocess.run(
        [sys.executable, "-c", code, str(saved_fit)], env=env, capture_output=True, text=True,
        cwd=tmp_path, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


# --------------------------------------------------------------------------------------
# Property-based: only documented exceptions come out

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FAST
@given(data=st.binary(max_size=400))
def test_random_bytes_give_a_run_table_or_a_data_validation_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.csv"
        path.write_bytes(b"system,date,compute_flop\n" + data if data[:1] != b"!" else data)
        try:
            table = read_runs(path)
        except DataValidationError:
            return
        assert len(table.runs) + len(table.excluded) == table.n_input_rows


_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "nan", "inf", "-1", "0", "1e-300", "1e400", "2020-01-01", "1600-01-01",
                     "2021-05-01T10:00:00Z", "=1+1", '"', "\r", "\n", ",", "\x00"]),
    st.floats(allow_nan=True).map(repr),
)  # fmt: skip


@FAST
@given(rows=st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=8))
def test_random_rows_give_a_run_table_or_a_data_validation_error(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["system", "date", "compute_flop"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
        try:
            table = read_runs(path)
        except DataValidationError:
            return
        assert len(table.runs) + len(table.excluded) == table.n_input_rows


_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
    st.lists(st.floats(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip
_FIELDS = [
    ("model", "breaks"), ("model", "fixed_breaks"), ("model", "scatter"), ("priors", "level_mu"),
    ("priors", "slope_sd"), ("priors", "break_min"), ("sampler", "seed"), ("sampler", "draws"),
    ("forecast", "horizon"), ("forecast", "thresholds_flop"), ("errors", "coverage"),
    ("frontier", "n"), ("data", "select"), ("data", "source"), ("name", None),
]  # fmt: skip


@FAST
@given(edits=st.lists(st.tuples(st.sampled_from(_FIELDS), _VALUE), min_size=1, max_size=4))
def test_random_spec_values_give_a_spec_or_a_spec_error(edits):
    values: dict = {}
    for (section, key), value in edits:
        if key is None:
            values[section] = value
        else:
            values.setdefault(section, {})[key] = value
    with contextlib.suppress(SpecError):
        ModelSpec.from_dict(values)


@FAST
@given(text=st.text(max_size=200))
def test_random_spec_files_give_a_spec_or_a_spec_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.toml"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        with contextlib.suppress(SpecError):
            load_spec(path)


def test_study_checks_its_output_folder_and_seed_before_any_work(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli(["study", "policy_sensitivity", "--out", str(blocker)])
    assert_clear_error(result, 2, "--out", "is a file")
    result = run_cli(["study", "policy_sensitivity", "--seed", "-1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
