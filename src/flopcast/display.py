"""Rendering shared by the fitted objects: summary tables as text/HTML, JSON-ready values."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import numpy as np
import pandas as pd


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars, dates and non-finite floats made JSON-ready (NaN -> None).

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": [np.int64(2), float("nan")], "c": np.bool_(True)})
    {'a': 1.5, 'b': [2, None], 'c': True}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.integer | np.bool_):
        return obj.item()
    if isinstance(obj, np.floating | float):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, dt.date | pd.Timestamp):
        return obj.isoformat()
    return obj


def format_number(v: float) -> str:
    """Four significant figures; decimal years keep one decimal (2012.5, not 2013).

    Examples
    --------
    >>> format_number(2012.53), format_number(6.3412), format_number(3.9e29)
    ('2012.5', '6.341', '3.900e+29')
    """
    if 1000 <= abs(v) < 1e5:
        return f"{v:.1f}"
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3e}"


def summary_text(header: str, table: pd.DataFrame, diagnostics, *, name_width: int = 32) -> str:
    """A summary table (median, ci_low, ci_high, unit) as text, with the diagnostics verdict.

    ``table.attrs["level"]`` names the interval; failed diagnostics add their warning block.
    """
    pct = round(table.attrs["level"] * 100)
    lines = [header, f"median and {pct}% credible interval:"]
    for name, r in table.iterrows():
        lines.append(
            f"  {name:<{name_width}} {format_number(r['median']):>10}  "
            f"[{format_number(r['ci_low'])}, {format_number(r['ci_high'])}]  {r['unit']}"
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
