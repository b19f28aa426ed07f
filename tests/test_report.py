"""The report folder: sections, figures, JSON, escaping, fit reuse and the CLI.

One small fit (200 simulated runs, 2 chains x 300 draws) and one report written from it
are shared by every test here and by ``test_report_browser.py`` (:func:`example_report`
caches them per process). The forecast uses a fixed price-performance trend, so no
price-performance model is compiled.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import (
    HOSTILE,
    HOSTILE_EXCLUDED,
    HOSTILE_ORG,
    MARKDOWN_HOSTILE,
    N_MISSING,
    ExampleReport,
    example_report,
)
from flopcast.cli import main
from flopcast.cli.report import default_out
from flopcast.fitting import load_fit
from flopcast.intervals import interval_columns
from flopcast.report import (
    REPORT_VERSION,
    SECTION_TITLES,
    SUMMARY_JSON_VERSION,
    key_findings,
    load_or_fit,
    md_escape,
    render_html,
    spec_to_toml,
    write_report,
)
from flopcast.report.sections import diagnostics_section, findings_section
from flopcast.runs import read_runs, write_runs
from flopcast.spec import ModelSpec, load_spec


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> ExampleReport:
    return example_report(tmp_path_factory.mktemp("report"))


# --------------------------------------------------------------------------------------
# Structure


def test_every_section_appears_in_order_in_html_and_markdown(report):
    html_titles = re.findall(r"<h2>(.*?)</h2>", report.html)
    md_titles = [line[3:] for line in report.markdown.splitlines() if line.startswith("## ")]
    assert html_titles == list(SECTION_TITLES)
    assert md_titles == list(SECTION_TITLES)


def test_sections_are_anchored_and_listed_in_the_contents(report):
    for title in SECTION_TITLES:
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
        assert f'<section id="{anchor}">' in report.html
        assert f'href="#{anchor}"' in report.html
        assert f"(#{anchor})" in report.markdown


def test_figures_are_embedded_in_html_and_written_beside_markdown(report):
    pngs = sorted((report.out / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    assert names == {
        "classic",
        "break_dates",
        "doubling_times",
        "frontier",
        "forecast_compute",
        "forecast_cost",
        "counts",
        "study",
    }
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report.html)
    assert len(embedded) == len(pngs)
    assert all(base64.b64decode(e)[:8] == b"\x89PNG\r\n\x1a\n" for e in embedded)
    for png in pngs:
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert f"](figures/{png.name})" in report.markdown
    assert {base64.b64decode(e) for e in embedded} == {p.read_bytes() for p in pngs}


def test_page_is_self_contained_and_prints_cleanly(report):
    page = report.html
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@media print" in page and "break-before: page" in page


def test_summary_json_has_report_version_fit_and_forecast_keys(report):
    summary = json.loads((report.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["json_version"] == SUMMARY_JSON_VERSION == 2
    assert summary["report_version"] == REPORT_VERSION
    for key in report.fit.to_json_dict():
        assert key in summary, key
    assert summary["breaks"][0]["median"] == pytest.approx(
        report.fit.to_json_dict()["breaks"][0]["median"]
    )
    assert {"horizon", "compute", "cost_usd", "thresholds"} <= set(summary["forecast"])


def test_saved_fit_and_spec_reload_unchanged(report):
    again = load_fit(report.out / "fit.nc")
    assert again.summary().equals(report.fit.summary())
    spec = load_spec(report.out / "spec.toml")
    assert spec == report.fit.spec


# --------------------------------------------------------------------------------------
# Content


def test_key_findings_give_every_estimate_with_its_interval(report):
    findings = key_findings(report.fit, report.forecast)
    summary = report.fit.summary()
    doubling = summary.loc["doubling_months_era_2"]
    low, high = (doubling[c] for c in interval_columns())
    first = findings[0]
    assert f"doubled every {doubling['median']:.1f} months" in first
    assert f"90% credible interval {low:.1f}–{high:.1f}" in first
    assert "break date; 90% credible interval" in first
    assert "90% credible interval" in findings[1] and "90% predictive interval" in findings[1]
    assert any("posterior probability" in f for f in findings)  # says what intervals mean
    section = report.html.split('<section id="key-findings">')[1].split("</section>")[0]
    for text in findings[:2]:
        assert text.replace("'", "&#39;")[:60] in section


def test_hostile_names_from_the_data_are_escaped(report):
    page, md = report.html, report.markdown
    for raw in (HOSTILE, HOSTILE_ORG, HOSTILE_EXCLUDED):
        assert raw not in page
        assert raw not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the frontier table and the study
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b&gt;bad &amp; worse&lt;/b&gt;" in page  # the exclusions list
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert md_escape(MARKDOWN_HOSTILE) in md
    assert "[link](http://example.com)" not in md


def test_exclusions_are_listed_with_reasons_and_large_groups_collapse(report):
    section = report.html.split('<section id="data-provenance">')[1].split("</section>")[0]
    assert f"All {N_MISSING} rows excluded because: compute missing" in section
    assert section.count("<details>") == 1
    details = section.split("<details>")[1].split("</details>")[0]
    assert all(f"missing-{i}" in details for i in range(N_MISSING))
    assert "compute is negative" in section  # the single negative row, in a plain table
    assert "&lt;b&gt;bad" not in details


def test_method_notes_show_priors_and_error_groups_from_the_spec(report):
    section = report.html.split('<section id="method-notes">')[1].split("</section>")[0]
    assert "Normal(0.3, 1), each era" in section
    assert "HalfNormal(2)" in section
    for group in set(report.fit.runs["error_group"]):
        assert group in section


def test_reproduction_gives_command_seed_hash_and_spec(report):
    section = report.html.split('<section id="reproduction">')[1].split("</section>")[0]
    assert "flopcast report --spec" in section
    assert report.fit.data_sha256 in section
    assert str(report.fit.seed) in section
    assert "[sampler]" in section


def test_failing_diagnostics_raise_a_loud_banner(report):
    bad = copy.copy(report.fit)
    bad.diagnostics = dataclasses.replace(
        report.fit.diagnostics, problems=["max R-hat 1.200 > 1.01"]
    )
    page = render_html([findings_section(bad, None), diagnostics_section(bad)], bad)
    assert page.count("SAMPLING PROBLEMS: do not trust these numbers") == 3  # top, 2 sections
    assert 'class="banner banner-danger"' in page
    assert "max R-hat 1.200 &gt; 1.01" in page


def test_passing_diagnostics_say_so_without_a_banner(report):
    # The example fit is small (2 x 300 draws), so whether it passes is up to the sampler:
    # the passing case is built by hand from it.
    good = copy.copy(report.fit)
    good.diagnostics = dataclasses.replace(report.fit.diagnostics, problems=[])
    page = render_html([findings_section(good, None), diagnostics_section(good)], good)
    assert "All sampler diagnostics passed" in page
    assert "SAMPLING PROBLEMS" not in page


def test_spec_round_trips_through_toml():
    spec = ModelSpec.from_dict(
        {
            "name": "round trip",
            "description": 'Quotes " and \\ and ünïcode',
            "data": {"select": [{"domains": ["Language"], "date_min": "2000-01-01"}]},
            "model": {"breaks": 2, "fixed_breaks": [2000.0, 2012.5]},
            "errors": {"modern_method_factors": {"hardware": 10.0}},
        }
    )
    assert ModelSpec.from_dict(tomllib.loads(spec_to_toml(spec))) == spec


def test_study_must_be_a_dataframe(report, tmp_path):
    from flopcast.exceptions import FlopcastError

    with pytest.raises(FlopcastError, match="study must be a pandas DataFrame"):
        write_report(report.fit, tmp_path, study=[1, 2, 3], save_fit=False)


# --------------------------------------------------------------------------------------
# Reusing a saved fit


def test_a_matching_saved_fit_is_reused(report):
    again, reused, message = load_or_fit(report.spec, report.table, report.out / "fit.nc")
    assert reused, message
    assert "reused the saved fit" in message
    assert again.summary().equals(report.fit.summary())


def test_a_different_spec_refits_and_says_why(report):
    changed = report.spec.with_overrides({"priors.slope_sd": 2.0})
    result, reused, message = load_or_fit(
        changed, report.table, report.out / "fit.nc", progress=False
    )
    assert not reused
    assert "different spec (differs in priors.slope_sd)" in message
    assert result.spec == changed


def test_other_data_or_seed_refit(report, tmp_path):
    runs = report.table.runs.copy()
    runs.loc[0, "compute_flop"] *= 2.0
    other = read_runs(write_runs(runs, tmp_path / "other.csv"))
    _, reused, message = load_or_fit(report.spec, other, report.out / "fit.nc", progress=False)
    assert not reused and "fitted to other data" in message
    _, reused, message = load_or_fit(
        report.spec, report.table, report.out / "fit.nc", seed=99, progress=False
    )
    assert not reused and "seed" in message


# --------------------------------------------------------------------------------------
# The command


def test_cli_reuses_the_saved_fit_and_writes_every_file(report, tmp_path):
    out = tmp_path / "cli"
    out.mkdir()
    (out / "fit.nc").write_bytes((report.out / "fit.nc").read_bytes())
    before = (out / "fit.nc").stat().st_mtime_ns
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--spec",
            str(report.spec_path),
            "--data",
            str(report.data_path),
            "--out",
            str(out),
            "--cost",
            "none",
            "--frontier-spec",
            "population",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "reused the saved fit" in result.output
    assert "Key findings:" in result.output and "90% credible interval" in result.output
    for name in ("index.html", "report.md", "summary.json", "fit.nc", "spec.toml"):
        assert (out / name).is_file(), name
    assert (out / "fit.nc").stat().st_mtime_ns == before  # reused, not rewritten
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "--cost none" in page  # the command line is recorded
    assert "forecast_cost" not in {p.stem for p in (out / "figures").glob("*.png")}


def test_cli_errors_exit_2_with_a_message(tmp_path):
    result = CliRunner().invoke(main, ["report", "--spec", "no_such_spec", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Error: no spec file 'no_such_spec'" in result.output


def test_default_output_folder_is_named_after_the_spec():
    assert default_out("two_eras") == Path("reports/default")
    assert default_out("frontier") == Path("reports/frontier")
