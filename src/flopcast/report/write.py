"""Build the sections and write the report folder: HTML, Markdown, figures, JSON, spec, fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flopcast.atomic import atomic_folder
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.report.document import REPORT_VERSION, Section
from flopcast.report.frontier_model import FIT_FILE, FRONTIER_FIT_FILE
from flopcast.report.render import figure_blocks, render_html, render_markdown
from flopcast.report.sections import (
    classic_section,
    diagnostics_section,
    findings_section,
    forecast_section,
    frontier_section,
    methods_section,
    posteriors_section,
    provenance_section,
    reproduction_section,
    resolve_backtest,
    skill_section,
    study_parts,
    study_section,
    thresholds_section,
)
from flopcast.report.sections.policy import policy_section
from flopcast.report.sections.provenance import matching_data
from flopcast.report.spec_toml import spec_to_toml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from flopcast.forecasting import Forecast
    from flopcast.runs import RunTable

__all__ = ["SUMMARY_JSON_VERSION", "build_sections", "summary_dict", "write_report"]

#: Version of ``summary.json`` as a whole (its top-level ``json_version``). 2: the first
#: version that carries it; the keys are those of version 1 (``report_version`` is kept).
#: Keys are only added without a new version (docs: reference/file_formats): since 2,
#: ``frontier_fit`` (the frontier model's fit, when the report has one) and, under
#: ``forecast.frontier``, ``spec``, ``data_sha256``, ``separate_fit`` and ``regime_changes``.
SUMMARY_JSON_VERSION = 2


def build_sections(
    fit: Fit,
    *,
    forecast: Forecast | None = None,
    study: Any = None,
    study_figure: Figure | None = None,
    command: str | None = None,
    data: RunTable | None = None,
    frontier_fit: Fit | None = None,
    frontier_n: int = 10,
    backtest: Any = None,
) -> list[Section]:
    """The report's sections as a document model (what :func:`write_report` renders).

    Parameters
    ----------
    fit, forecast, study, study_figure, command, data, frontier_fit
        As in :func:`write_report`.
    backtest : BacktestResult, optional
        Adds the "Forecast skill" section.
    frontier_n : int, default 10
        Frontier rule of the frontier chart (top N when published).

    Returns
    -------
    list of Section

    Examples
    --------
    >>> [s.title for s in build_sections(fit)][:2]     # doctest: +SKIP
    ['Key findings', 'Training compute of all runs']
    """
    if study is not None:
        study_parts(study, study_figure)  # fail before the slow figures
    if data is None:
        data = matching_data(fit)
    cost_runs = data.runs if data is not None else None
    skill = skill_section(backtest)
    # The fit the frontier numbers come from: its diagnostics are reported beside the fit's.
    forecast_frontier = frontier_fit
    if forecast is not None and forecast.frontier_fit is not None:
        forecast_frontier = forecast.frontier_fit
    sections = [
        findings_section(
            fit, forecast, skill_section=skill is not None, frontier_fit=forecast_frontier
        ),
        classic_section(fit),
        posteriors_section(fit),
        frontier_section(fit, frontier_fit, frontier_n),
        forecast_section(fit, forecast, cost_runs),
        thresholds_section(forecast),
        policy_section(fit, forecast),
    ]
    if study is not None:
        sections.append(study_section(study, study_figure))
    sections += [s for s in [skill] if s is not None]
    sections += [
        diagnostics_section(fit, forecast_frontier),
        provenance_section(fit, data),
        methods_section(fit, forecast, skill_section=skill is not None),
        reproduction_section(fit, command),
    ]
    return sections


def summary_dict(
    fit: Fit, forecast: Forecast | None = None, frontier_fit: Fit | None = None
) -> dict[str, Any]:
    """The content of ``summary.json``: ``json_version``, the fit's JSON, the forecast's
    under ``forecast``, the frontier model's fit under ``frontier_fit`` (when given), and
    ``report_version``.

    Parameters
    ----------
    fit : Fit
    forecast : Forecast, optional
    frontier_fit : Fit, optional
        The frontier model's fit (:meth:`~flopcast.fitting.Fit.to_json_dict`).

    Returns
    -------
    dict
        JSON-ready; intervals are ``{"median": x, "ci90": [low, high]}`` (and ``"pi90"``
        for predictive intervals).

    Examples
    --------
    >>> summary = summary_dict(fit)                     # doctest: +SKIP
    >>> summary["json_version"], summary["report_version"]   # doctest: +SKIP
    (2, 1)
    """
    out: dict[str, Any] = {"json_version": SUMMARY_JSON_VERSION}
    out.update(fit.to_json_dict())
    if forecast is not None:
        out["forecast"] = forecast.to_json_dict()
    if frontier_fit is not None:
        frontier = frontier_fit.to_json_dict()
        frontier.pop("json_version", None)
        out["frontier_fit"] = frontier
    out["json_version"] = SUMMARY_JSON_VERSION
    out["report_version"] = REPORT_VERSION
    return out


def write_report(
    fit: Fit,
    out_dir: str | Path,
    *,
    forecast: Forecast | None = None,
    study: Any = None,
    command: str | None = None,
    study_figure: Figure | None = None,
    data: RunTable | None = None,
    frontier_fit: Fit | None = None,
    save_fit: bool = True,
    backtest: Any = None,
    save_frontier_fit: bool = True,
) -> Path:
    """Write the report folder: index.html, report.md, figures/, summary.json, fit.nc (and
    frontier_fit.nc).

    Parameters
    ----------
    fit : Fit
        The fit to report.
    out_dir : str or Path
        Folder to write into. The report is built in a temporary sibling folder and
        swapped in whole (:func:`flopcast.atomic.atomic_folder`): an interrupted or failed
        write leaves an earlier report untouched, never a mix of old and new files.
        Files of an earlier report folder that the new one does not write (a kept
        ``fit.nc``, files of your own) are carried over.
    forecast : Forecast, optional
        Adds the forecast fan charts, the forecast table and the threshold crossings.
    study : pandas.DataFrame or (DataFrame, Figure), optional
        A sensitivity study (one row per variant), rendered as a table and the optional
        figure; ``DataFrame.attrs["description"]`` becomes its introduction.
    command : str, optional
        The command line that produced the report, for the reproduction section.
    study_figure : matplotlib.figure.Figure, optional
        The study's chart (e.g. a tornado chart), when ``study`` is a bare DataFrame.
    data : RunTable, optional
        The data the fit was made from, for the row-by-row list of exclusions and the
        recorded costs. By default the fit's data source is read again when its sha256
        matches the fit's; otherwise exclusions are given as counts only.
    frontier_fit : Fit, optional
        A fit of frontier runs (the frontier model), drawn on the frontier chart, saved as
        ``frontier_fit.nc`` and summarised in ``summary.json``. Pass the same fit to
        :func:`~flopcast.forecasting.forecast` (``frontier_fit=``) for the forecast's
        frontier to come from it.
    backtest : BacktestResult or path, optional
        A backtest (or its JSON) for the "Forecast skill" section; by default the report
        folder's ``backtest.json`` when present (the report never runs the backtest).
    save_fit : bool, default True
        Save the fit as ``fit.nc``; otherwise an earlier ``fit.nc`` is kept.
    save_frontier_fit : bool, default True
        Save ``frontier_fit`` as ``frontier_fit.nc``; otherwise an earlier one is kept.

    Returns
    -------
    Path
        The path of ``index.html``.

    Raises
    ------
    FlopcastError
        When ``fit`` is not a Fit or ``study`` is not a DataFrame.

    Examples
    --------
    >>> import flopcast
    >>> from flopcast.forecasting import forecast
    >>> fit = flopcast.fit(spec="two_eras")                       # doctest: +SKIP
    >>> write_report(fit, "reports/demo", forecast=forecast(fit))  # doctest: +SKIP
    PosixPath('reports/demo/index.html')
    """
    if not isinstance(fit, Fit):
        raise FlopcastError(f"write_report needs a Fit, got {type(fit).__name__}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FlopcastError(f"{out}: exists and is not a folder")
    if data is None:
        data = matching_data(fit)
    sections = build_sections(
        fit,
        forecast=forecast,
        study=study,
        study_figure=study_figure,
        command=command,
        data=data,
        frontier_fit=frontier_fit,
        backtest=resolve_backtest(backtest, out),
    )
    # Built in a temporary sibling folder and swapped in whole: an interrupted or failed
    # write leaves the earlier report as it was (a kept fit.nc is carried over).
    with atomic_folder(out) as building:
        fig_dir = building / "figures"
        fig_dir.mkdir()
        for block in (b for s in sections for b in figure_blocks(s.blocks)):
            (fig_dir / f"{block.name}.png").write_bytes(block.png)
        html = render_html(sections, fit, data=data)
        (building / "index.html").write_text(html, encoding="utf-8")
        markdown = render_markdown(sections, fit, data=data)
        (building / "report.md").write_text(markdown, encoding="utf-8")
        summary = summary_dict(fit, forecast, frontier_fit)
        text = json.dumps(summary, indent=2) + "\n"
        (building / "summary.json").write_text(text, encoding="utf-8")
        (building / "spec.toml").write_text(spec_to_toml(fit.spec), encoding="utf-8")
        if save_fit:
            fit.save(building / FIT_FILE)
        if frontier_fit is not None and save_frontier_fit:
            frontier_fit.save(building / FRONTIER_FIT_FILE)
    index = out / "index.html"
    return index
