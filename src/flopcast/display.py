"""Summary tables of the fitted objects as text and HTML, with the diagnostics verdict."""

from __future__ import annotations

import html

import pandas as pd

from flopcast.formatting import format_number
from flopcast.intervals import interval_columns, level_percent


def summary_text(header: str, table: pd.DataFrame, diagnostics, *, name_width: int = 32) -> str:
    """A summary table as text, with the diagnostics verdict.

    ``table`` has the columns ``median``, ``ci90_low``, ``ci90_high`` (named after the level
    in ``table.attrs["level"]``, see :func:`flopcast.intervals.interval_columns`) and
    ``unit``; failed diagnostics add their warning block.
    """
    level = table.attrs["level"]
    low, high = interval_columns(level)
    lines = [header, f"median and {level_percent(level)}% credible interval:"]
    for name, r in table.iterrows():
        lines.append(
            f"  {name:<{name_width}} {format_number(r['median']):>10}  "
            f"[{format_number(r[low])}, {format_number(r[high])}]  {r['unit']}"
        )
    lines.append("diagnostics: " + ("OK" if diagnostics.ok else "PROBLEMS"))
    if not diagnostics.ok:
        lines.append(diagnostics.warning_block())
    return "\n".join(lines)


def summary_html(title_html: str, table: pd.DataFrame, diagnostics) -> str:
    """The same as :func:`summary_text` for notebooks; ``title_html`` must be escaped already."""
    pct = level_percent(table.attrs["level"])
    status = "OK" if diagnostics.ok else "; ".join(diagnostics.problems)
    return (
        f"<div>{title_html}; median and {pct}% credible interval."
        f"{table.to_html(float_format=format_number)}"
        f"<p>diagnostics: {html.escape(status)}</p></div>"
    )
