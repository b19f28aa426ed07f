"""Numbers, money, dates and text as flopcast shows them: one formatter for every output.

The report, the study tables, the CLI and the summaries all format through these functions,
so a value reads the same wherever it appears ("3.9e29 FLOP", "$1.3 billion", "Jul 2030").
A missing or non-finite value is shown as an en dash.

Examples
--------
>>> format_flop(3.94e29), format_usd(1.34e9), format_percent(0.123)
('3.9e29 FLOP', '$1.3 billion', '12%')
>>> format_interval(2.0e29, 1.0e27, 6.2e31, format_flop)
'2.0e29 FLOP (90% interval 1.0e27 FLOP–6.2e31 FLOP)'
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flopcast.dates import decimal_year_to_date
from flopcast.intervals import CI_LEVEL, level_percent

#: What a missing or non-finite value prints as.
MISSING = "–"


def _finite(value: Any) -> bool:
    try:
        return value is not None and bool(np.isfinite(value))
    except TypeError:
        return False


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


def format_number(value: float) -> str:
    """Four significant figures; decimal years keep one decimal (2012.5, not 2013).

    Examples
    --------
    >>> format_number(2012.53), format_number(6.3412), format_number(3.9e29)
    ('2012.5', '6.341', '3.900e+29')
    """
    if not _finite(value):
        return MISSING
    if 1000 <= abs(value) < 1e5:
        return f"{value:.1f}"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def format_significant(value: float, digits: int = 3) -> str:
    """``digits`` significant figures in ``%g`` style.

    Examples
    --------
    >>> format_significant(6.3412), format_significant(float("nan"))
    ('6.34', '–')
    """
    if not _finite(value):
        return MISSING
    return f"{value:.{digits}g}"


def sig2(value: float) -> str:
    """Two significant digits without an exponent, with thousands separators.

    Examples
    --------
    >>> sig2(213.4), sig2(7.84), sig2(15123.0)
    ('210', '7.8', '15,000')
    """
    if value == 0 or not _finite(value):
        return f"{value:g}"
    digits = 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return f"{rounded:,.{max(digits, 0)}f}"


def format_flop(value: float) -> str:
    """Compute with two significant digits and no plus sign in the exponent.

    Examples
    --------
    >>> format_flop(3.94e29), format_flop(9.96e25)
    ('3.9e29 FLOP', '1.0e26 FLOP')
    """
    if not _finite(value) or value <= 0:
        return MISSING
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    if round(mantissa, 1) >= 10.0:
        mantissa, exponent = mantissa / 10.0, exponent + 1
    return f"{mantissa:.1f}e{exponent} FLOP"


def format_flop_range(low: float, high: float) -> str:
    """A compute range with the unit once: ``1.0e27–6.2e31 FLOP``.

    Examples
    --------
    >>> format_flop_range(1e27, 6.2e31)
    '1.0e27–6.2e31 FLOP'
    """
    low_text = format_flop(low)
    low_text = low_text[:-5] if low_text.endswith(" FLOP") else low_text
    return f"{low_text}–{format_flop(high)}"


def format_usd(value: float) -> str:
    """Money with two significant digits and the size in words.

    Examples
    --------
    >>> format_usd(1.34e9), format_usd(2.5e5), format_usd(4.5e13)
    ('$1.3 billion', '$250,000', '$45 trillion')
    """
    if not _finite(value):
        return MISSING
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"${sig2(value / size)} {word}"
    return f"${sig2(value)}"


def format_usd_range(low: float, high: float) -> str:
    """A money range: ``$250 million–$45 trillion``.

    Examples
    --------
    >>> format_usd_range(2.5e8, 4.5e13)
    '$250 million–$45 trillion'
    """
    return f"{format_usd(low)}–{format_usd(high)}"


def format_month(year: float, missing: str = "later than the search end") -> str:
    """A decimal year as month and year: 2030.5 -> ``Jul 2030``.

    Examples
    --------
    >>> format_month(2030.5), format_month(float("inf"))
    ('Jul 2030', 'later than the search end')
    """
    if not _finite(year):
        return missing
    return decimal_year_to_date(float(year)).strftime("%b %Y")


def format_year(year: float, missing: str = "later") -> str:
    """A decimal year with one decimal: 2026.43 -> ``2026.4``; infinity -> ``later``.

    Examples
    --------
    >>> format_year(2026.43), format_year(float("inf")), format_year(float("nan"))
    ('2026.4', 'later', '–')
    """
    if year is None or (isinstance(year, float) and math.isnan(year)):
        return MISSING
    if not _finite(year):
        return missing
    return f"{year:.1f}"


def format_percent(p: float) -> str:
    """A probability as a whole percentage, with ``>99%`` and ``<1%`` at the ends.

    Examples
    --------
    >>> format_percent(0.5), format_percent(0.999), format_percent(0.001)
    ('50%', '>99%', '<1%')
    """
    if not _finite(p):
        return MISSING
    if p > 0.99:
        return ">99%"
    if p < 0.01:
        return "<1%"
    return f"{p:.0%}"


def format_interval(
    median: float,
    low: float,
    high: float,
    fmt: Callable[[float], str] = format_number,
    level: float = CI_LEVEL,
    kind: str = "interval",
) -> str:
    """A median with its interval, saying which interval it is.

    Examples
    --------
    >>> format_interval(6.3, 5.9, 6.8, kind="credible interval")
    '6.3 (90% credible interval 5.9–6.8)'
    """
    return f"{fmt(median)} ({level_percent(level)}% {kind} {fmt(low)}–{fmt(high)})"


def format_cell(value: Any) -> str:
    """A table cell as text: booleans as yes/no, floats to four significant figures.

    Examples
    --------
    >>> format_cell(True), format_cell(2.0 / 3.0), format_cell(None), format_cell([1, 2])
    ('yes', '0.6667', '–', '1, 2')
    """
    if value is None:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return format_significant(float(value), 4)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(format_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_cell(v)}" for k, v in value.items())
    try:
        if pd.isna(value):
            return MISSING
    except (TypeError, ValueError):
        pass
    return str(value)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(text: Any) -> str:
    """Plain text made safe for Markdown, in a paragraph or a table cell.

    HTML is escaped first (raw HTML passes through Markdown), then Markdown's inline
    metacharacters (with ``[`` and ``]`` escaped no link or image can form, so parentheses
    stay as they are) and ``$`` (GitHub reads it as maths); a leading ``#`` is escaped so
    the text cannot become a heading; newlines become spaces.

    Examples
    --------
    >>> md_escape("<script>alert(1)</script> a_b|c")
    '&lt;script&gt;alert(1)&lt;/script&gt; a\\\\_b\\\\|c'
    >>> md_escape("# [link](http://example.com)")
    '\\\\# \\\\[link\\\\](http://example.com)'
    """
    text = " ".join(str(text).splitlines())
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    if text.startswith("#"):
        text = "\\" + text
    return text
