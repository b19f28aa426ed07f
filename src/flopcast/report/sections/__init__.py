"""The report's section builders: each takes the fit (and what else it shows) and returns a
:class:`~flopcast.report.document.Section`.

Modules: ``fit`` (key findings, the classic chart, break-date and doubling-time posteriors,
the frontier, diagnostics), ``forecast`` (fan charts and the forecast table, threshold
crossings), ``study`` (a sensitivity study given to the report), ``skill`` (forecast skill
from a saved backtest), ``provenance`` (data provenance and reproduction), ``methods``
(the model, priors and error groups).
"""

from flopcast.report.sections.fit import (
    classic_section,
    diagnostics_banner,
    diagnostics_section,
    findings_section,
    frontier_section,
    posteriors_section,
)
from flopcast.report.sections.forecast import forecast_section, thresholds_section
from flopcast.report.sections.methods import methods_section
from flopcast.report.sections.provenance import provenance_section, reproduction_section
from flopcast.report.sections.skill import resolve_backtest, skill_section
from flopcast.report.sections.study import study_parts, study_section

__all__ = [
    "classic_section",
    "diagnostics_banner",
    "diagnostics_section",
    "findings_section",
    "forecast_section",
    "frontier_section",
    "methods_section",
    "posteriors_section",
    "provenance_section",
    "reproduction_section",
    "resolve_backtest",
    "skill_section",
    "study_parts",
    "study_section",
    "thresholds_section",
]
