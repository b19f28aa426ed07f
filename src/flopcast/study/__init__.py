"""Sensitivity studies: refit a base spec under named variations and compare the answers.

A *study spec* is a TOML file in ``models/`` that names a base model spec and a list of
variations. Each variation has a short ``label``, the ``question`` it answers (as a policy
brief would put it) and dotted ``overrides`` of any model-spec field (``errors.coverage``,
``model.breaks``, ``frontier.n``, ``data.select``, ``sampler.draws``, ``forecast.horizon``,
...) or of the study-level forecast options (``options.price_performance``,
``options.utilization_mean``, ``options.regime_changes``)::

    name = "my_study"
    description = "How robust is the post-2010 doubling time?"
    base = "two_eras"                 # a shipped spec name or a path (relative to this file)

    [overrides]                       # applied to the base and to every variant
    "sampler.draws" = 1000

    [options]                         # forecast options of the base (variants may override)
    price_performance = "purchase"    # purchase | cloud | none (no cost forecast)
    utilization_mean = 0.333          # mean of the Beta utilization prior (default Beta(8, 16))
    regime_changes = "auto"           # auto | on | off (future breaks in the forecast)

    [[variants]]
    label = "errors_10x"
    question = "What if modern compute estimates are off by 10x, not 2-3x?"
    overrides = { "errors.modern_method_factors" = { counted = 10.0, hardware = 10.0 } }

:func:`run_study` fits and forecasts the base and every variant and returns a
:class:`StudyResult`: one row per variant with break dates, doubling times per era, the
frontier's compute and training cost in mid-2030, the dates the frontier trend reaches
1e27 FLOP and $1B, diagnostics, timings and a status (``"ok"``, ``"diagnostics failed"`` or
``"error: ..."``). A variant that raises or fails its diagnostics is marked and the others
go on. Every number is a posterior median with its 90% credible interval (5th to 95th
percentile; columns ``X``, ``X_ci90_low``, ``X_ci90_high``).

Modules, in the order the work flows:

- :mod:`~flopcast.study.spec`: study specs, validated strictly (:func:`load_study`).
- :mod:`~flopcast.study.columns`: the table's columns, units and row statuses.
- :mod:`~flopcast.study.scheduler`: jobs, worker lanes (processes or Dask), the
  compile-reuse schedule, progress, :func:`run_study`.
- :mod:`~flopcast.study.worker`: one job in a worker: fit, forecast, one row per variant.
- :mod:`~flopcast.study.result`: :class:`StudyResult`, its tables, JSON and CSV.
- the tornado chart is :func:`flopcast.figures.tornado_chart` (:meth:`StudyResult.tornado`).
- :mod:`~flopcast.study.write`: :func:`write_study` and the Markdown and HTML sections.
- :func:`~flopcast.fitting.sensitivity.prior_sensitivity` (re-exported), a cheaper check from
  a single fit: ArviZ's power-scaling sensitivity says which headline parameters are
  driven by the prior and which by the data, without refitting.

Examples
--------
>>> study = load_study("policy_sensitivity")
>>> study.variants[0].label, len(study.variants) > 20
('base', True)
>>> result = run_study(study)                                  # doctest: +SKIP
>>> result.table()[["label", "doubling_latest", "doubling_latest_ci90_low"]]  # doctest: +SKIP
>>> write_study(result, "reports/policy_sensitivity")         # doctest: +SKIP
"""

from flopcast.fitting.sensitivity import PSENS_THRESHOLD, prior_sensitivity
from flopcast.study.columns import (
    COLUMN_UNITS,
    CORE_COLUMNS,
    LEVEL,
    STATUS_DIAGNOSTICS,
    STATUS_OK,
    interval_names,
)
from flopcast.study.result import JSON_VERSION, StudyResult
from flopcast.study.scheduler import STEAL_MIN_VARIANTS, run_study
from flopcast.study.scheduler import _Job as _Job  # the scheduler's tests use these two
from flopcast.study.scheduler import _pick as _pick
from flopcast.study.spec import BASE_LABEL, StudyOptions, StudySpec, Variant, load_study
from flopcast.study.worker import HEADLINE_YEAR, THRESHOLD_FLOP, THRESHOLD_USD
from flopcast.study.write import study_html_section, study_markdown_section, write_study

__all__ = [
    "BASE_LABEL",
    "COLUMN_UNITS",
    "CORE_COLUMNS",
    "HEADLINE_YEAR",
    "JSON_VERSION",
    "LEVEL",
    "PSENS_THRESHOLD",
    "STATUS_DIAGNOSTICS",
    "STATUS_OK",
    "STEAL_MIN_VARIANTS",
    "THRESHOLD_FLOP",
    "THRESHOLD_USD",
    "StudyOptions",
    "StudyResult",
    "StudySpec",
    "Variant",
    "interval_names",
    "load_study",
    "prior_sensitivity",
    "run_study",
    "study_html_section",
    "study_markdown_section",
    "write_study",
]
