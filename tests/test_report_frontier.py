"""The report's frontier model: saved as frontier_fit.nc, reused, named in the text and JSON.

Uses the example report's fit (:func:`conftest.example_report`, shared with test_report.py)
and a hand-built frontier fit of the same data (no sampler runs for it).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from click.testing import CliRunner

from conftest import FAST_SAMPLER, ExampleReport, example_report, hand_fit
from flopcast.cli import main
from flopcast.fitting import Fit, load_fit
from flopcast.forecasting import forecast
from flopcast.report import (
    SUMMARY_JSON_VERSION,
    key_findings,
    load_or_fit,
    resolve_frontier_spec,
    spec_to_toml,
    write_report,
)
from flopcast.report.document import Banner
from flopcast.report.sections import diagnostics_section, findings_section
from flopcast.spec import ModelSpec, load_spec


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> ExampleReport:
    return example_report(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def frontier(report) -> Fit:
    """A frontier fit of the report's data as a sampler would save it (spec, data, seed)."""
    base = hand_fit(report.table.runs, seed=FAST_SAMPLER["seed"])
    spec = ModelSpec.from_dict({**base.spec.to_dict(), "name": "frontier_small"})
    provenance = {**base.provenance, "data_sha256": report.table.sha256}
    return Fit(spec, base.runs, base.idata, provenance)


@pytest.fixture(scope="module")
def written(report, frontier, tmp_path_factory):
    """The report written with the frontier model, as ``flopcast report`` writes it."""
    out = tmp_path_factory.mktemp("frontier_report") / "report"
    fc = forecast(report.fit, until="2030-12-31", cost=False, frontier_fit=frontier)
    write_report(report.fit, out, forecast=fc, data=report.table, frontier_fit=frontier)
    return out, fc


def test_the_report_saves_the_frontier_fit_and_says_where_its_frontier_comes_from(written):
    out, fc = written
    saved = load_fit(out / "frontier_fit.nc")
    assert saved.spec.name == "frontier_small" and (out / "fit.nc").is_file()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["json_version"] == SUMMARY_JSON_VERSION == 2
    block = summary["forecast"]["frontier"]
    assert block["spec"] == "frontier_small" and block["separate_fit"] is True
    assert block["data_sha256"] == fc.frontier.data_sha256
    assert summary["frontier_fit"]["spec"]["name"] == "frontier_small"
    markdown = (out / "report.md").read_text(encoding="utf-8")
    note = "come from a separate fit of the frontier spec 'frontier\\_small'"
    findings = markdown.split("## Key findings", 1)[1].split("\n## ", 1)[0]
    methods = markdown.split("## Method notes", 1)[1].split("\n## ", 1)[0]
    assert note in findings and "**The frontier model.**" in methods
    default = "default, chosen on the backtest's development origins, is 'frontier\\_2008\\_all'"
    assert default in methods
    assert "docs/explanation/backtests.md" in findings


def test_the_default_frontier_model_is_named_as_chosen_on_development_origins(report, frontier):
    renamed = ModelSpec.from_dict({**frontier.spec.to_dict(), "name": "frontier_2008_all"})
    front = Fit(renamed, frontier.runs, frontier.idata, frontier.provenance)
    fc = forecast(report.fit, until="2030-12-31", cost=False, frontier_fit=front)
    text = " ".join(key_findings(report.fit, fc, skill_section=True))
    assert "chosen on the rolling-origin backtest's development origins" in text
    assert "see the Forecast skill section" in text
    alone = forecast(report.fit, until="2030-12-31", cost=False)
    text = " ".join(key_findings(report.fit, alone))
    assert "population quantile" in text and "--frontier-spec population" in text


def test_a_second_report_reuses_both_saved_fits(written, frontier, tmp_path, monkeypatch):
    out = tmp_path / "again"
    shutil.copytree(written[0], out)
    spec_path = tmp_path / "frontier_small.toml"
    spec_path.write_text(spec_to_toml(frontier.spec), encoding="utf-8")
    report = example_report(tmp_path)  # the cached example: its spec and data files
    before = {name: (out / name).stat().st_mtime_ns for name in ("fit.nc", "frontier_fit.nc")}

    def no_fit(*args, **kwargs):
        raise AssertionError("refitted although both saved fits match")

    monkeypatch.setattr("flopcast.fitting.fit", no_fit)
    args = ["report", "--spec", str(report.spec_path), "--data", str(report.data_path)]
    args += ["--frontier-spec", str(spec_path), "--out", str(out), "--cost", "none"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.count("reused the saved fit") == 2
    assert "frontier from the frontier model 'frontier_small'" in result.output
    assert "kept" in result.output and str(out / "frontier_fit.nc") in result.output
    after = {name: (out / name).stat().st_mtime_ns for name in before}
    assert after == before
    assert "--frontier-spec" in (out / "index.html").read_text(encoding="utf-8")
    again, reused, _ = load_or_fit(frontier.spec, report.table, out / "frontier_fit.nc")
    assert reused and again.spec == frontier.spec


@pytest.mark.parametrize(
    ("spec", "value", "words"),
    [
        ("two_eras", "no_such_spec", ("--frontier-spec no_such_spec", "no spec file")),
        ("two_eras", "three_eras", ("--frontier-spec three_eras", "has no frontier rule")),
        ("frontier", "frontier_2008", ("--frontier-spec frontier_2008", "already selects")),
        ("frontier", "population", ("--frontier-spec population", "no population quantile")),
    ],
)
def test_a_bad_frontier_spec_is_one_clear_error_before_any_fit(
    spec, value, words, tmp_path, monkeypatch
):
    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before reporting the bad input")

    monkeypatch.setattr("flopcast.fitting.fit", no_fit)
    args = ["report", "--spec", spec, "--frontier-spec", value, "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not (tmp_path / "r").exists()


def test_the_default_frontier_model_follows_the_report_spec():
    assert resolve_frontier_spec(None, load_spec("two_eras")).name == "frontier_2008_all"
    assert resolve_frontier_spec(None, load_spec("three_eras")).name == "frontier_2008_all"
    assert resolve_frontier_spec("population", load_spec("two_eras")) is None
    assert resolve_frontier_spec(None, load_spec("frontier")) is None
    assert resolve_frontier_spec("frontier", load_spec("two_eras")).name == "frontier"


def _with_problems(fit: Fit, problems: list[str]) -> Fit:
    """A copy of ``fit`` whose saved diagnostics list ``problems`` (none: it passed)."""
    copy = Fit(fit.spec, fit.runs, fit.idata, fit.provenance)
    copy.__dict__["diagnostics"] = replace(fit.diagnostics, problems=problems)
    return copy


def test_sampling_problems_of_the_frontier_fit_are_reported_loudly(report, frontier):
    population = _with_problems(report.fit, [])
    damaged = _with_problems(frontier, ["3 divergent transitions"])
    healthy = _with_problems(frontier, [])
    fc = forecast(population, until="2030-12-31", cost=False, frontier_fit=damaged)

    def banners(section) -> list[Banner]:
        return [b for b in section.blocks if isinstance(b, Banner)]

    (banner,) = banners(findings_section(population, fc, frontier_fit=damaged))
    assert banner.title == (
        "SAMPLING PROBLEMS of the frontier model 'frontier_small': do not trust the frontier "
        "numbers until they are fixed"
    )
    assert "3 divergent transitions" in banner.items
    titles = [b.title for b in banners(diagnostics_section(population, damaged))]
    assert titles == ["All sampler diagnostics passed.", banner.title]
    # A healthy frontier fit adds no banner to the findings, a green one to the diagnostics.
    assert not banners(findings_section(population, fc, frontier_fit=healthy))
    titles = [b.title for b in banners(diagnostics_section(population, healthy))]
    assert titles[1] == "All sampler diagnostics of the frontier model 'frontier_small' passed."
