"""The report: one folder with a self-contained HTML page, Markdown, JSON and the fit.

:func:`write_report` writes into ``out_dir``:

``index.html``
    Self-contained: figures embedded as base64 PNG, CSS inline, no script and no network
    (a Content-Security-Policy forbids both), prints cleanly (``@media print``, a page
    break before each section).
``report.md`` and ``figures/*.png``
    The same content as Markdown, with the figures as PNG files beside it.
``summary.json``
    ``json_version``, the fit's :meth:`~flopcast.fitting.Fit.to_json_dict`, the
    forecast's block under ``forecast`` when there is one, and ``report_version``.
``fit.nc``
    The fit (:meth:`~flopcast.fitting.Fit.save`); ``spec.toml`` the resolved spec, from
    which ``flopcast report --spec spec.toml`` refits.
``frontier_fit.nc``
    The frontier model's fit, when the report has one: the frontier numbers (frontier
    compute and cost, threshold crossings, limits) come from it (``frontier_model``).

The content is built once as a small document model (sections of paragraphs, tables,
figures, code, banners and collapsible blocks) and rendered twice, so HTML and Markdown
cannot drift apart. Sections, in order: key findings; the classic chart; break-date and
doubling-time posteriors; the frontier; forecast fan charts; threshold crossings; a
sensitivity study (when given); diagnostics; data provenance; method notes; reproduction.

Modules:

``document``
    The blocks (Paragraph, BulletList, Table, FigureBlock, Code, Banner, Details) and
    Section; the section titles and :data:`REPORT_VERSION`.
``wording``
    Phrases the report repeats (the names and meaning of its intervals).
``findings``
    :func:`key_findings`, the headline paragraphs.
``sections``
    One builder per section, grouped by subject (``fit``, ``forecast``, ``study``,
    ``provenance``, ``methods``).
``render`` and ``templates/``
    :func:`render_html` (jinja2 with autoescaping, ``report.html.j2`` and ``report.css``)
    and :func:`render_markdown`; how text is escaped is described there.
``spec_toml``
    :func:`spec_to_toml`, the resolved spec saved beside the report.
``reuse``
    :func:`load_or_fit`: reuse a saved fit when spec, data and seed match.
``frontier_model``
    Which frontier spec a report fits (default ``frontier_2008_all``, chosen on the backtest's
    development origins; :func:`resolve_frontier_spec`) and the note saying so.
``write``
    :func:`build_sections`, :func:`summary_dict` and :func:`write_report`.

Examples
--------
>>> import flopcast
>>> from flopcast.forecasting import forecast
>>> from flopcast.report import write_report
>>> fit = flopcast.fit(spec="two_eras")                          # doctest: +SKIP
>>> write_report(fit, "reports/default", forecast=forecast(fit))  # doctest: +SKIP
PosixPath('reports/default/index.html')
"""

from flopcast.formatting import md_escape
from flopcast.report.document import (
    COLLAPSE_ROWS,
    REPORT_VERSION,
    SECTION_TITLES,
    Banner,
    BulletList,
    Code,
    Details,
    FigureBlock,
    Paragraph,
    Section,
    Table,
)
from flopcast.report.findings import key_findings
from flopcast.report.frontier_model import (
    DEFAULT_FRONTIER_SPEC,
    frontier_model_note,
    resolve_frontier_spec,
)
from flopcast.report.render import render_html, render_markdown
from flopcast.report.reuse import load_or_fit
from flopcast.report.spec_toml import spec_to_toml
from flopcast.report.write import SUMMARY_JSON_VERSION, build_sections, summary_dict, write_report

__all__ = [
    "COLLAPSE_ROWS",
    "DEFAULT_FRONTIER_SPEC",
    "REPORT_VERSION",
    "SECTION_TITLES",
    "SUMMARY_JSON_VERSION",
    "Banner",
    "BulletList",
    "Code",
    "Details",
    "FigureBlock",
    "Paragraph",
    "Section",
    "Table",
    "build_sections",
    "frontier_model_note",
    "key_findings",
    "load_or_fit",
    "md_escape",
    "render_html",
    "render_markdown",
    "resolve_frontier_spec",
    "spec_to_toml",
    "summary_dict",
    "write_report",
]
