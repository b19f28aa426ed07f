"""Summary tables of the fitted objects as text and HTML, with the diagnostics verdict."""

from __future__ import annotations

import html

import pandas as pd

from flopcast.formatting import format_number
from flopcast.intervals import interval_columns


def summary_text(header: str, table: pd.DataFrame, diagnostics, *, name_width: int = 32) -> str:
    """A summary table (median, ci_low, ci_high, unit) as text, with the diagnostics verdict.

    ``table.attrs["level"]`` names the interval; failed diagnostics add their warning block.
    """
    pct = round(table.attrs["level"] * 100)
    lines = [header, f"median and {pct}% credible interval:"]
    low, high = interval_columns(table.attrs["level"])
    if low not in table:  # a summary not yet renamed to the ci90_low/ci90_high vocabulary
        low, high = "ci_low", "ci_high"
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
    pct = round(table.attrs["level"] * 100)
    status = "OK" if diagnostics.ok else "; ".join(diagnostics.problems)
    return (
        f"<div>{title_html}; median and {pct}% credible interval."
        f"{table.to_html(float_format=format_number)}"
        f"<p>diagnostics: {html.escape(status)}</p></div>"
    )
