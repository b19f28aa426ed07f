"""Render the document model: one self-contained HTML page (jinja2) and Markdown.

**Escaping.** Every string from the data (system names, organisations, notes, file names)
is plain text in the document model and is escaped here, never concatenated into markup.
HTML is rendered by the jinja2 template ``templates/report.html.j2`` with
``autoescape=True``: escaping is the default for every value the template prints, so a
forgotten ``html.escape`` cannot open a hole; the only unescaped values are the stylesheet
``templates/report.css`` and the base64 figure data, which flopcast itself produces.
Markdown has no such engine, so :func:`flopcast.formatting.md_escape` escapes HTML (``<``,
``>``, ``&``, since Markdown passes raw HTML through) and then the Markdown
metacharacters. The page's Content-Security-Policy is a second line of defence: even
markup that slipped through could not run a script or load anything.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from flopcast.fitting import Fit
from flopcast.formatting import md_escape
from flopcast.report.document import REPORT_VERSION, FigureBlock, Section
from flopcast.report.sections.fit import diagnostics_banner
from flopcast.report.sections.provenance import data_label
from flopcast.report.wording import PCT

if TYPE_CHECKING:
    from flopcast.runs import RunTable

__all__ = ["figure_blocks", "render_html", "render_markdown"]


def _template_text(name: str) -> str:
    """The text of ``templates/<name>``, shipped as package data."""
    templates = resources.files("flopcast.report").joinpath("templates")
    return templates.joinpath(name).read_text(encoding="utf-8")


def _heading(fit: Fit, data: RunTable | None = None) -> tuple[str, list[str], str]:
    from flopcast._version import __version__

    title = f"flopcast report: spec {fit.spec.name}"
    first = fit.runs["date"].min()
    last = fit.runs["date"].max()
    subtitle = [
        f"{len(fit.runs)} training runs, {pd.Timestamp(first).date()} to "
        f"{pd.Timestamp(last).date()}; {data_label(fit, data)} "
        f"(sha256 {fit.data_sha256[:12]}…).",
        f"Every interval is a {PCT}% interval; estimates are posterior medians.",
    ]
    footer = (
        f"Written by flopcast {__version__} (report version {REPORT_VERSION}). Data: Epoch AI, "
        "CC BY 4.0, where bundled."
    )
    return title, subtitle, footer


def render_html(sections: Sequence[Section], fit: Fit, *, data: RunTable | None = None) -> str:
    """Render sections as one self-contained HTML page (jinja2, autoescaping on).

    Parameters
    ----------
    sections : sequence of Section
        From :func:`~flopcast.report.build_sections`.
    fit : Fit
        For the page title and header.
    data : RunTable, optional
        The fit's data, to name its source in the header.

    Returns
    -------
    str

    Examples
    --------
    >>> page = render_html(build_sections(fit), fit)    # doctest: +SKIP
    >>> page.startswith("<!DOCTYPE html>")               # doctest: +SKIP
    True
    """
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_template_text("report.html.j2"))
    title, subtitle, footer = _heading(fit, data)
    top = [] if fit.diagnostics.ok else [diagnostics_banner(fit)]
    return template.render(
        title=title,
        subtitle=subtitle,
        footer=footer,
        css=Markup(_template_text("report.css")),
        sections=sections,
        top=top,
    )


def _md_block(block: Any, out: list[str]) -> None:
    if block.kind == "paragraph":
        lead = f"**{md_escape(block.lead.strip())}** " if block.lead else ""
        out += [lead + md_escape(block.text), ""]
    elif block.kind == "list":
        out += [f"- {md_escape(item)}" for item in block.items] + [""]
    elif block.kind == "table":
        if block.caption:
            out += [f"*{md_escape(block.caption)}*", ""]
        cols = [md_escape(c) or " " for c in block.columns]
        out.append("| " + " | ".join(cols) + " |")
        out.append(
            "|"
            + "|".join(" ---: " if block.align(i) == "num" else " --- " for i in range(len(cols)))
            + "|"
        )
        for row in block.rows:
            out.append("| " + " | ".join(md_escape(v) for v in row) + " |")
        out.append("")
    elif block.kind == "figure":
        out += [
            f"![{md_escape(block.alt)}](figures/{block.name}.png)",
            "",
            f"*{md_escape(block.caption)}*",
            "",
        ]
    elif block.kind == "code":
        fence = "~~~" if "```" in block.text else "```"
        out += [fence + block.language, block.text, fence, ""]
    elif block.kind == "banner":
        out.append(f"> **{md_escape(block.title)}**")
        if block.items:
            out.append(">")
            out += [f"> - {md_escape(item)}" for item in block.items]
        out.append("")
    elif block.kind == "details":
        out += [f"<details><summary>{html.escape(block.summary)}</summary>", ""]
        for inner in block.blocks:
            _md_block(inner, out)
        out += ["</details>", ""]


def render_markdown(sections: Sequence[Section], fit: Fit, *, data: RunTable | None = None) -> str:
    """Render sections as Markdown; figures are referenced as ``figures/<name>.png``.

    Parameters
    ----------
    sections : sequence of Section
    fit : Fit
    data : RunTable, optional
        The fit's data, to name its source in the header.

    Returns
    -------
    str

    Examples
    --------
    >>> text = render_markdown(build_sections(fit), fit)   # doctest: +SKIP
    >>> text.splitlines()[0]                                # doctest: +SKIP
    '# flopcast report: spec two\\\\_eras'
    """
    title, subtitle, footer = _heading(fit, data)
    out = [f"# {md_escape(title)}", ""]
    out += [md_escape(line) + "  " for line in subtitle] + [""]
    if not fit.diagnostics.ok:
        _md_block(diagnostics_banner(fit), out)
    out += ["**Contents**", ""]
    out += [f"{i}. [{md_escape(s.title)}](#{s.id})" for i, s in enumerate(sections, 1)]
    out.append("")
    for s in sections:
        out += [f"## {md_escape(s.title)}", ""]
        for block in s.blocks:
            _md_block(block, out)
    out += ["---", "", md_escape(footer), ""]
    return "\n".join(out)


def figure_blocks(blocks: Iterable[Any]) -> Iterable[FigureBlock]:
    """Every figure among ``blocks``, including those inside collapsible blocks."""
    for block in blocks:
        if block.kind == "figure":
            yield block
        elif block.kind == "details":
            yield from figure_blocks(block.blocks)
