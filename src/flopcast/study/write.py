"""A study's files: CSV, JSON, the tornado chart, and its Markdown and HTML sections.

Every text that comes from the study or the data (names, questions, statuses, warnings) is
escaped: Markdown through :func:`flopcast.formatting.md_escape`, HTML by jinja2 templates
with autoescaping on (no markup is built from strings). The report embeds the same sections
(:func:`study_markdown_section`, :func:`study_html_section`).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from flopcast.exceptions import FlopcastError
from flopcast.fitting.sensitivity import PSENS_THRESHOLD
from flopcast.formatting import md_escape
from flopcast.study.columns import STATUS_OK

if TYPE_CHECKING:
    from flopcast.study.result import StudyResult

__all__ = ["study_html_section", "study_markdown_section", "write_study"]

_CHART_ALT = "Tornado chart: shift of each variant from the base"
_CHART_CAPTION = (
    "Bars: shift of each variant's posterior median from the base's; whiskers: the "
    "variant's 90% credible interval; grey band: the base's 90% credible interval."
)


def _intro(result: StudyResult) -> list[str]:
    s = result.study
    return [
        s.description,
        f"Base spec {s.base!r} and {len(s.variants) - 1} variation(s) of it, each refitted "
        "(variations of forecast options only reuse the base fit) and forecast with the same "
        "seed. Every number is a posterior median with its 90% "
        "credible interval (5th to 95th percentile); dates are decimal years; P is the "
        "probability of reaching the threshold by the forecast horizon.",
        f"Run: {result.wall_s:.0f} s wall, {result.mode}. Failed variants are marked and "
        "kept; a variant whose sampler diagnostics failed (R-hat > 1.01, ESS < 400, "
        "divergences or chains disagreeing on a break) is marked \u2020 and its numbers "
        "should not be quoted.",
        _psens_summary(result),
    ]


def _psens_summary(result: StudyResult) -> str:
    """One sentence on the variants whose ``psens`` cell flags prior-driven parameters."""
    flagged = [
        f"{r['label']} ({r['psens']})"
        for r in result.rows
        if isinstance(r.get("psens"), str) and r["psens"].startswith(("prior", "both"))
    ]
    what = (
        "flags prior-driven parameters in: " + "; ".join(flagged)
        if flagged
        else "finds every fitted variant's break dates, doubling times and scatter driven "
        "by the data (likelihood), not the priors"
    )
    return (
        f"Power-scaling sensitivity (arviz.psens, threshold {PSENS_THRESHOLD}; not available "
        f"for Student-t scatter) {what}."
    )


def study_markdown_section(result: StudyResult, image: str | None = "tornado.png") -> str:
    """The study as a Markdown section (escaped), the chart linked as ``image``.

    Examples
    --------
    >>> print(study_markdown_section(result)[:40])          # doctest: +SKIP
    ## Sensitivity study: policy\\_sensitivity
    """
    lines = [f"## Sensitivity study: {md_escape(result.study.name)}", ""]
    for paragraph in _intro(result):
        if paragraph:
            lines += [md_escape(paragraph), ""]
    if image:
        lines += [f"![{_CHART_ALT}]({image})", "", f"*{md_escape(_CHART_CAPTION)}*", ""]
    summary = result.summary_table()
    lines.append("| " + " | ".join(md_escape(c) for c in summary.columns) + " |")
    lines.append("|" + "---|" * len(summary.columns))
    for _, r in summary.iterrows():
        lines.append("| " + " | ".join(md_escape(v) for v in r) + " |")
    lines.append("")
    return "\n".join(lines)


_SECTION_TEMPLATE = """\
<section id="sensitivity-study">
<h2>Sensitivity study: {{ name }}</h2>
{% for paragraph in paragraphs -%}
<p>{{ paragraph }}</p>
{% endfor -%}
{% if image_src -%}
<figure><img src="{{ image_src }}" alt="{{ alt }}" style="max-width:100%">\
<figcaption>{{ caption }}</figcaption></figure>
{% endif -%}
<table><thead><tr>
{%- for column in columns %}<th>{{ column }}</th>{% endfor -%}
</tr></thead><tbody>
{% for row in rows -%}
<tr{% if row.not_ok %} class="not-ok"{% endif %}>
{%- for cell in row.cells %}<td>{{ cell }}</td>{% endfor -%}
</tr>
{% endfor -%}
</tbody></table></section>"""

_PAGE_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #111; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
tr.not-ok td { background: #fff4e5; }
@media print { body { max-width: none; } }
</style></head>
<body>
{{ section }}
</body></html>
"""


def _render(template: str, **values: object) -> str:
    """Render a jinja2 template with autoescaping on (every value is escaped unless Markup)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(template).render(**values)


def study_html_section(result: StudyResult, image_src: str | None = None) -> str:
    """The study as an HTML ``<section>`` (every text escaped by jinja2's autoescaping).

    Parameters
    ----------
    result : StudyResult
    image_src : str, optional
        ``src`` of the tornado chart (a file name or a ``data:`` URI); no chart if None.

    Examples
    --------
    >>> study_html_section(result).startswith("<section")   # doctest: +SKIP
    True
    """
    summary = result.summary_table()
    rows = [
        {"not_ok": r["status"] != STATUS_OK, "cells": [str(v) for v in r]}
        for _, r in summary.iterrows()
    ]
    return _render(
        _SECTION_TEMPLATE,
        name=result.study.name,
        paragraphs=[p for p in _intro(result) if p],
        image_src=image_src,
        alt=_CHART_ALT,
        caption=_CHART_CAPTION,
        columns=[str(c) for c in summary.columns],
        rows=rows,
    )


def write_study(result: StudyResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``study.csv``, ``study.json``, ``tornado.png``, ``study.md`` and ``study.html``.

    ``study.html`` is self-contained (the chart embedded); ``study.md`` links
    ``tornado.png`` beside it. All text from the study and data is escaped.

    Parameters
    ----------
    result : StudyResult
    out_dir : str or Path
        Folder (created if missing).

    Returns
    -------
    dict
        File kind -> path written.

    Examples
    --------
    >>> write_study(result, "reports/policy_sensitivity")      # doctest: +SKIP
    {'csv': PosixPath('reports/policy_sensitivity/study.csv'), ...}
    """
    from markupsafe import Markup

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": result.to_csv(out / "study.csv"),
        "json": out / "study.json",
        "markdown": out / "study.md",
        "html": out / "study.html",
    }
    paths["json"].write_text(
        json.dumps(result.to_json_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    png = None
    try:
        fig = result.tornado()
    except FlopcastError:
        fig = None  # the base failed: no chart, the table says why
    if fig is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=130, metadata={"Software": None})
        png = buffer.getvalue()
        paths["png"] = out / "tornado.png"
        paths["png"].write_bytes(png)
    paths["markdown"].write_text(
        study_markdown_section(result, "tornado.png" if png else None), encoding="utf-8"
    )
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None
    paths["html"].write_text(
        _render(
            _PAGE_TEMPLATE,
            title=f"flopcast sensitivity study: {result.study.name}",
            # Already escaped by its own template.
            section=Markup(study_html_section(result, src)),
        ),
        encoding="utf-8",
    )
    return paths
