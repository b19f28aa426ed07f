"""Sensitivity studies: strict study specs, one row per variant, failures kept, outputs.

Fits use simulated data and the small sampler of ``conftest.FAST_SAMPLER`` scaled down to
2 chains x 300 draws: the numbers are not checked for accuracy (other tests do that), only
that every variant yields its row, errors are marked and files are written. With so few
draws the ESS checks fail, so rows that fit are "diagnostics failed", which exercises that
status too.
"""

from __future__ import annotations

import copy
import json
import math
import re

import arviz as az
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from flopcast.cli import main
from flopcast.exceptions import FlopcastError, SpecError
from flopcast.fitting import Fit
from flopcast.runs import write_runs
from flopcast.simulate import Truth, simulate_runs
from flopcast.study import (
    BASE_LABEL,
    CORE_COLUMNS,
    STATUS_DIAGNOSTICS,
    STATUS_OK,
    StudyResult,
    StudySpec,
    _Job,
    _pick,
    interval_names,
    load_study,
    prior_sensitivity,
    run_study,
    study_html_section,
    study_markdown_section,
    write_study,
)

TINY_SAMPLER = {"chains": 2, "draws": 300, "tune": 300, "seed": 11}


def tiny_study(variants: list[dict], **options) -> StudySpec:
    """A study of two_eras on the tiny sampler with the given variants."""
    return StudySpec.from_dict(
        {
            "name": "tiny",
            "description": "Tiny test study",
            "base": "two_eras",
            "overrides": {"sampler": dict(TINY_SAMPLER)},
            "options": {"price_performance": "none", **options},
            "variants": variants,
        }
    )


COVERAGE = {
    "label": "coverage_50",
    "question": "50% coverage?",
    "overrides": {"errors.coverage": 0.5},
}
NO_RUNS = {
    "label": "language_only",
    "question": "Only language models?",
    "overrides": {"data.select": [{"domains": ["Language"]}]},
}
UTILIZATION = {
    "label": "utilization_20",
    "question": "20% utilization <b>?</b>",
    "overrides": {"options.utilization_mean": 0.2},
}
SINGLE_TREND = {
    "label": "no_break",
    "question": "No break at all?",
    "overrides": {"model.breaks": 0},
}


@pytest.fixture(scope="module")
def sim_runs():
    runs, _ = simulate_runs(250, Truth(), seed=5)
    return runs


@pytest.fixture(scope="module")
def in_process(sim_runs):
    """Base + 3 variants in this process, with cost (purchase prices)."""
    study = tiny_study([COVERAGE, NO_RUNS, UTILIZATION], price_performance="purchase")
    return run_study(study, data=sim_runs, processes=1, progress=False)


# --------------------------------------------------------------------------------------
# The study spec


def test_the_shipped_policy_study_is_valid_and_covers_the_brief():
    study = load_study("policy_sensitivity")
    labels = study.labels
    assert labels[0] == BASE_LABEL
    assert len(labels) == len(set(labels)) >= 24
    by_label = {v.label: v for v in study.variants}
    assert by_label["break_2012"].spec.model.fixed_breaks == [2012.0]
    assert by_label["break_2010"].spec.model.fixed_breaks == [2010.0]
    assert by_label["three_eras"].spec.model.breaks == 2
    assert by_label["student_t"].spec.model.resolved_form == "latent"
    assert by_label["frontier_top5"].spec.frontier.n == 5
    assert by_label["frontier_top20"].spec.frontier.n == 20
    assert by_label["errors_10x_modern"].spec.errors.modern_method_factors["hardware"] == 10.0
    assert by_label["coverage_50"].spec.errors.coverage == 0.5
    assert by_label["language_only"].spec.data.select[0].domains == ["Language"]
    assert by_label["utilization_50"].options.utilization_prior() == (12.0, 12.0)
    assert str(by_label["horizon_2035"].spec.forecast.horizon) == "2035-12-31"
    # Every variant differs from the base in exactly what it says.
    base = study.variants[0]
    for variant in study.variants[1:]:
        assert variant.question.endswith("?")
        assert variant.spec != base.spec or variant.options != base.options


def test_a_typo_in_a_variant_key_names_the_variant_and_suggests_the_key():
    with pytest.raises(SpecError) as info:
        StudySpec.from_dict(
            {"base": "two_eras", "variants": [{"label": "k2", "questoin": "Three eras?"}]}
        )
    message = str(info.value)
    assert "variant 'k2'" in message
    assert "did you mean 'question'?" in message
    assert "question: missing" in message


def test_an_unknown_override_path_names_the_variant_and_suggests_the_field():
    with pytest.raises(SpecError) as info:
        tiny_study(
            [
                {"label": "typo", "question": "?", "overrides": {"model.braeks": 2}},
                {"label": "section", "question": "?", "overrides": {"modle.breaks": 2}},
                {"label": "option", "question": "?", "overrides": {"options.utilisation": 0.2}},
            ]
        )
    message = str(info.value)
    assert "3 problem(s)" in message  # every problem at once
    assert "variant 'typo'" in message and "did you mean 'breaks'?" in message
    assert "variant 'section'" in message and "did you mean 'model'?" in message
    assert "variant 'option'" in message and "did you mean 'utilization_mean'?" in message


def test_an_invalid_value_names_the_variant_and_the_parameter():
    with pytest.raises(SpecError, match=r"(?s)variant 'wide'.*errors.coverage = 1.5"):
        tiny_study([{"label": "wide", "question": "?", "overrides": {"errors.coverage": 1.5}}])
    with pytest.raises(SpecError, match=r"(?s)variant 'util'.*options.utilization_mean = 2"):
        tiny_study(
            [{"label": "util", "question": "?", "overrides": {"options.utilization_mean": 2}}]
        )
    with pytest.raises(SpecError, match=r"(?s)variant 'fix'.*fixed_breaks has 2 date"):
        tiny_study(
            [{"label": "fix", "question": "?", "overrides": {"model.fixed_breaks": [2000, 2012]}}]
        )


def test_labels_are_unique_and_base_is_reserved():
    with pytest.raises(SpecError, match="labels must be unique"):
        tiny_study([COVERAGE, COVERAGE])
    with pytest.raises(SpecError, match="'base' is reserved"):
        tiny_study([{"label": "base", "question": "?"}])


def test_a_model_spec_is_not_a_study_and_says_so():
    with pytest.raises(SpecError, match="model spec, not a study spec"):
        load_study("two_eras")


def test_nested_override_tables_mean_the_same_as_dotted_keys():
    a = tiny_study([{"label": "a", "question": "?", "overrides": {"errors": {"coverage": 0.5}}}])
    b = tiny_study([COVERAGE | {"label": "a"}])
    assert a.variants[1].spec == b.variants[1].spec


def test_only_keeps_the_base_and_names_unknown_labels():
    study = load_study("policy_sensitivity")
    assert study.select(["three_eras", "student_t"]).labels == ["base", "three_eras", "student_t"]
    with pytest.raises(SpecError, match="did you mean 'three_eras'"):
        study.select(["three_era"])


def test_the_scheduler_reuses_compiled_structures_before_compiling_new_ones():
    study = tiny_study([COVERAGE, SINGLE_TREND])
    base, coverage, single = (_Job([v], {}) for v in study.variants)
    s1, s0 = base.structure, single.structure
    # A lane that has compiled s1 takes s1 work first; a fresh lane takes a new structure.
    assert _pick([single, coverage], 0, [{s1}, set()]) == 1
    assert _pick([single, coverage], 1, [{s1}, set()]) == 0
    # Two of a structure another lane holds are not worth a second compile: wait.
    assert _pick([coverage, copy.copy(coverage)], 1, [{s1}, {s0}]) is None
    assert _pick([coverage] * 3, 1, [{s1}, {s0}]) == 0


# --------------------------------------------------------------------------------------
# Running


def test_one_row_per_variant_with_the_documented_columns(in_process):
    table = in_process.table()
    assert list(table["label"]) == ["base", "coverage_50", "language_only", "utilization_20"]
    assert list(table.columns[: len(CORE_COLUMNS)]) == list(CORE_COLUMNS)
    fitted = table[table["label"] != "language_only"]
    assert set(fitted["status"]) <= {STATUS_OK, STATUS_DIAGNOSTICS}
    for name in ("break_1", "doubling_era_1", "doubling_latest", "compute_2030", "cost_2030"):
        low, high = interval_names(name)
        assert (low, high) == (f"{name}_ci90_low", f"{name}_ci90_high")
        assert (fitted[low] <= fitted[name]).all()
        assert (fitted[name] <= fitted[high]).all()
    assert not [c for c in table.columns if c.endswith(("_lo", "_hi"))]
    assert fitted["date_1e27_flop"].notna().all() and fitted["date_1b_usd"].notna().all()
    assert (fitted["status"] == STATUS_DIAGNOSTICS).eq(~fitted["diagnostics_ok"].astype(bool)).all()
    assert table.attrs["description"].startswith("Tiny test study")
    assert fitted["psens"].str.len().gt(0).all()  # power-scaling summary of every fit


def test_a_variant_that_raises_is_marked_and_the_others_finish(in_process):
    rows = in_process.table().set_index("label")
    # The simulated runs have no language runs: the selection check names the domain.
    assert rows.loc["language_only", "status"].startswith(
        "error: data.select[0].domains: no run has the domain 'language'"
    )
    assert in_process.failed == ["language_only"]
    assert rows.drop(index="language_only")["doubling_latest"].notna().all()


def test_forecast_only_variants_share_the_base_fit(in_process):
    rows = in_process.table().set_index("label")
    assert rows.loc["utilization_20", "fit_shared_with"] == "base"
    assert rows.loc["utilization_20", "doubling_latest"] == rows.loc["base", "doubling_latest"]
    # Lower utilization means more chips for the same compute: a higher cost.
    assert rows.loc["utilization_20", "cost_2030"] > rows.loc["base", "cost_2030"]


def test_two_worker_processes_compile_each_structure_once(sim_runs):
    study = tiny_study([COVERAGE, SINGLE_TREND])
    result = run_study(study, data=sim_runs, processes=2, progress=False)
    table = result.table().set_index("label")
    assert list(table.index) == ["base", "coverage_50", "no_break"]
    assert not result.failed
    assert table["worker"].nunique() == 2
    assert result.timing()["compiles"] == 2  # one per structure, none twice
    assert table.loc["coverage_50", "worker"] == table.loc["base", "worker"]
    assert math.isnan(table.loc["no_break", "break_1"])


def test_the_tornado_chart_has_one_bar_per_variant(in_process):
    fig = in_process.tornado()
    panels = [ax for ax in fig.axes if ax.containers]
    assert len(panels) == 3
    for ax in panels:
        assert len(ax.containers[0].patches) == len(in_process.rows) - 1
    assert "language_only (error)" in [t.get_text() for t in panels[0].get_yticklabels()]
    single = in_process.tornado(metric="cost_2030")
    assert len([ax for ax in single.axes if ax.containers]) == 1
    # Into the caller's axes: the chart draws there and returns that figure.
    from matplotlib.figure import Figure

    own = Figure()
    ax = own.subplots()
    assert in_process.tornado(metric="compute_2030", ax=ax) is own
    assert len(ax.containers[0].patches) == len(in_process.rows) - 1
    with pytest.raises(FlopcastError, match="one Axes per metric"):
        in_process.tornado(ax=ax)  # three default metrics, one axes
    with pytest.raises(FlopcastError, match="did you mean 'cost_2030'"):
        in_process.tornado(metric="cost2030")


def test_csv_json_chart_and_sections_are_written_and_escaped(in_process, tmp_path):
    paths = write_study(in_process, tmp_path / "out")
    assert {p.name for p in paths.values()} == {
        "study.csv",
        "study.json",
        "tornado.png",
        "study.md",
        "study.html",
    }
    csv = pd.read_csv(paths["csv"])
    assert list(csv["label"]) == list(in_process.table()["label"])
    assert "doubling_latest_ci90_low" in csv.columns and "doubling_latest_lo" not in csv.columns
    data = json.loads(paths["json"].read_text())
    assert data["json_version"] == 2
    assert [r["label"] for r in data["rows"]] == list(csv["label"])
    assert list(data["rows"][0]) == list(csv.columns)  # the same interval column names
    assert data["study"]["variants"][1]["overrides"] == {"errors.coverage": 0.5}
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    page = paths["html"].read_text()
    assert "20% utilization &lt;b&gt;?&lt;/b&gt;" in page and "<b>?</b>" not in page
    assert "data:image/png;base64," in page
    md = paths["markdown"].read_text()
    assert "&lt;b&gt;" in md and "90% credible interval" in md


def test_summary_money_and_compute_read_like_the_report(in_process):
    summary = in_process.summary_table().set_index("variant")
    cost = summary.loc["base", "frontier cost mid-2030"]
    assert re.fullmatch(r"\$\S+ \w+illion \(\$\S+ \w+illion–\$\S+ \w+illion\)", cost), cost
    compute = summary.loc["base", "frontier compute mid-2030 (FLOP)"]
    assert re.fullmatch(r"\d\.\de\d+ FLOP \(\d\.\de\d+–\d\.\de\d+ FLOP\)", compute), compute
    assert summary.loc["language_only", "doubling, latest era (months)"] == "–"


def test_hostile_text_is_escaped_in_html_and_markdown(tmp_path):
    study = tiny_study(
        [{"label": "<script>alert(1)</script>", "question": "a_b | c <i>?</i>"}],
        price_performance="none",
    )
    rows = [
        {"label": "base", "question": study.variants[0].question, "status": STATUS_OK},
        {
            "label": "<script>alert(1)</script>",
            "question": "a_b | c <i>?</i>",
            "status": "error: <img src=x onerror=alert(1)>",
            "psens": "prior-driven: <b>scatter</b>",
        },
    ]
    result = StudyResult(study, rows, wall_s=1.0, mode="test", started="2025-01-01T00:00:00")
    html = study_html_section(result, image_src='x" onerror="alert(1)')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<img src=x" not in html and "<b>" not in html
    assert "<i>" not in html and 'x" onerror' not in html
    assert '<tr class="not-ok"><td>&lt;script&gt;' in html
    md = study_markdown_section(result, image=None)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "<script" not in md
    assert "a\\_b \\| c &lt;i&gt;?&lt;/i&gt;" in md  # a cell cannot break the table
    page = write_study(result, tmp_path)["html"].read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_cli_prints_the_table_and_where_files_went(sim_runs, tmp_path):
    data = write_runs(sim_runs, tmp_path / "runs.csv")
    spec = tmp_path / "study.toml"
    spec.write_text(
        'base = "two_eras"\n'
        "[overrides]\n"
        '"sampler" = { chains = 2, draws = 300, tune = 300, seed = 11 }\n'
        '[options]\nprice_performance = "none"\n'
        "[[variants]]\n"
        'label = "coverage_50"\nquestion = "50% coverage?"\n'
        '[variants.overrides]\n"errors.coverage" = 0.5\n'
    )
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        ["study", str(spec), "--out", str(out), "--data", str(data), "--processes", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "90% credible interval" in result.output
    assert "coverage_50" in result.output
    assert f"wrote {out / 'study.csv'}" in result.output
    assert (out / "tornado.png").is_file()


def test_the_cli_reports_a_bad_study_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "two_eras"\n[[variants]]\nlabel = "x"\nquestion = "?"\noverides = {}\n')
    result = CliRunner().invoke(main, ["study", str(bad)])
    assert result.exit_code == 2
    assert "Error:" in result.output and "did you mean 'overrides'?" in result.output


# --------------------------------------------------------------------------------------
# Dask


@pytest.mark.slow
def test_variants_run_on_a_local_dask_cluster(sim_runs):
    # 40-65 s on 2 cores (two Dask workers import PyMC and compile a model each).
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask[distributed] is not installed (optional: study)"
    )
    study = tiny_study([COVERAGE, SINGLE_TREND])
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_study(study, data=sim_runs, scheduler=cluster.scheduler_address)
    table = result.table().set_index("label")
    assert result.mode.startswith("dask (2 worker(s)")
    assert not result.failed
    assert table["worker"].nunique() == 2
    assert table["doubling_latest"].notna().all()


# --------------------------------------------------------------------------------------
# Power-scaling sensitivity


def test_psens_gives_one_row_per_headline_parameter(standard_fit):
    table = prior_sensitivity(standard_fit)
    assert list(table["parameter"]) == [
        "break_1",
        "doubling_months_era_1",
        "doubling_months_era_2",
        "scatter",
    ]
    assert list(table.columns) == ["parameter", "median", "prior", "likelihood", "driven_by"]
    assert table[["prior", "likelihood"]].ge(0).all().all()
    assert set(table["driven_by"]) <= {"likelihood-driven", "prior-driven", "both", "neither"}
    # 400 simulated runs pin the slopes down: the data, not the prior, decide them.
    slopes = table.set_index("parameter").loc[["doubling_months_era_1", "doubling_months_era_2"]]
    assert (slopes["driven_by"] == "likelihood-driven").all(), slopes


def test_psens_needs_a_log_likelihood(standard_fit):
    idata = az.InferenceData(posterior=standard_fit.idata.posterior)
    idata.add_groups({"constant_data": standard_fit.idata.constant_data})
    no_ll = Fit(standard_fit.spec, standard_fit.runs, idata, standard_fit.provenance)
    with pytest.raises(FlopcastError, match="needs the fit's pointwise log-likelihood"):
        prior_sensitivity(no_ll)
    assert np.isfinite(prior_sensitivity(standard_fit)["prior"]).all()
