"""Dates as decimal years and back: the one place flopcast converts between them.

A decimal year counts the fraction of the calendar year elapsed at midnight starting the
day: 2012-01-01 is 2012.0 and 2012-07-02 is about 2012.5 (2012 is a leap year). The
conversion is exact to the day in both directions.

Examples
--------
>>> float(decimal_year(pd.Series(pd.to_datetime(["2012-07-02"])))[0])
2012.5
>>> decimal_year_to_date(2012.5)
datetime.date(2012, 7, 2)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from flopcast.exceptions import FlopcastError

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "decimal_year",
    "decimal_year_to_date",
    "decimal_year_to_timestamp",
    "parse_date",
    "to_decimal_year",
]

#: Earliest date any date argument may take (data before 1940 are only warned about).
EARLIEST_DATE = dt.date(1900, 1, 1)
#: Latest date any date argument may take (horizons included).
LATEST_DATE = dt.date(2100, 12, 31)

_YEAR_RE = re.compile(r"[+-]?\d+")
_DECIMAL_RE = re.compile(r"[+-]?(\d+\.\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)
_ISO_RE = re.compile(
    r"(?P<y>[+-]?\d{1,6})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def decimal_year(dates: Any) -> np.ndarray:
    """Dates as decimal years (2012-07-02 -> 2012.5), exact to the day.

    Parameters
    ----------
    dates
        Anything :class:`pandas.DatetimeIndex` accepts: a Series or array of dates.

    Returns
    -------
    numpy.ndarray
        Float decimal years, one per date (NaN for missing dates).

    Examples
    --------
    >>> decimal_year(pd.to_datetime(["2012-01-01", "2013-01-01"])).tolist()
    [2012.0, 2013.0]
    """
    d = pd.DatetimeIndex(dates)
    year = d.year.to_numpy()
    start = pd.to_datetime({"year": year, "month": 1, "day": 1}).to_numpy()
    end = pd.to_datetime({"year": year + 1, "month": 1, "day": 1}).to_numpy()
    frac = (d.to_numpy() - start) / (end - start)
    return year + frac.astype(float)


def decimal_year_to_date(year: float) -> dt.date:
    """Calendar date of a decimal year, rounded to the nearest day.

    Examples
    --------
    >>> decimal_year_to_date(2030.0)
    datetime.date(2030, 1, 1)
    """
    whole = int(np.floor(year))
    start = dt.date(whole, 1, 1)
    days = (dt.date(whole + 1, 1, 1) - start).days
    return start + dt.timedelta(days=round((year - whole) * days))


def decimal_year_to_timestamp(year: float) -> pd.Timestamp:
    """:func:`decimal_year_to_date` as a :class:`pandas.Timestamp`.

    Examples
    --------
    >>> decimal_year_to_timestamp(2012.5)
    Timestamp('2012-07-02 00:00:00')
    """
    return pd.Timestamp(decimal_year_to_date(float(year)))


def _range_text(earliest: dt.date, latest: dt.date) -> str:
    return f"{earliest:%Y-%m-%d} to {latest:%Y-%m-%d}"


def _check_year(year: float, what: str, value: Any, earliest: dt.date, latest: dt.date) -> None:
    if not math.isfinite(year) or not earliest.year <= year < latest.year + 1:
        raise FlopcastError(
            f"{what}={value!r}: out of the supported range ({_range_text(earliest, latest)})"
        )


def _decimal_to_date(year: float) -> dt.date:
    """2030.5 -> 2030-07-01: the fraction counts twelfths of the year, then days of the month."""
    whole = math.floor(year)
    months = (year - whole) * 12.0
    month = min(math.floor(months + 1e-9), 11)
    start = dt.date(whole, month + 1, 1)
    end = dt.date(whole + (month == 11), (month + 1) % 12 + 1, 1)
    days = math.floor(max(months - month, 0.0) * (end - start).days + 1e-9)
    return start + dt.timedelta(days=min(days, (end - start).days - 1))


def _read(value: Any, what: str) -> tuple[str, Any]:
    """Classify ``value``: ("year", int), ("decimal", float) or ("date", date)."""
    if isinstance(value, bool) or value is None:
        raise FlopcastError(f"{what}={value!r}: give a date like '2030-12-31' or a year")
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            raise FlopcastError(f"{what}: a missing date (NaT); give e.g. '2030-12-31'")
        return "date", value.date()
    if isinstance(value, dt.date):
        return "date", value
    if isinstance(value, np.datetime64):
        return _read(pd.Timestamp(value), what)
    if isinstance(value, int | np.integer):
        return "year", int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            raise FlopcastError(f"{what}={value!r}: not a date; give e.g. '2030-12-31' or 2030.5")
        return "decimal", float(value)
    if not isinstance(value, str):
        raise FlopcastError(
            f"{what}={value!r}: not a date ({type(value).__name__}); give e.g. '2030-12-31'"
        )
    text = value.strip()
    if _YEAR_RE.fullmatch(text):
        return "year", int(text)
    if _DECIMAL_RE.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise FlopcastError(f"{what}={value!r}: not a date; give e.g. '2030-12-31'")
        return "decimal", number
    match = _ISO_RE.fullmatch(text)
    if match is None:
        raise FlopcastError(
            f"{what}={value!r}: not a date; give an ISO date like '2030-12-31', a year like "
            "2030 or a decimal year like 2030.5"
        )
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"] or 1)
    if not 1 <= month <= 12:
        raise FlopcastError(f"{what}={value!r}: not a valid date (month {month})")
    if not 1 <= year <= 9999:
        return "year_out", year
    try:
        return "date", dt.date(year, month, day)
    except ValueError as exc:
        raise FlopcastError(f"{what}={value!r}: not a valid date ({exc})") from None


def parse_date(
    value: Any,
    *,
    what: str = "date",
    year_end: bool = False,
    earliest: dt.date = EARLIEST_DATE,
    latest: dt.date = LATEST_DATE,
) -> dt.date:
    """Read a date given as ISO text, a date object, a year or a decimal year.

    Parameters
    ----------
    value
        See the module docstring for the accepted forms.
    what
        Name of the argument, for error messages.
    year_end
        Read a bare year as its last day (``2030`` -> 2030-12-31, as a horizon).
    earliest, latest
        The supported range; a date outside it is reported as out of range.

    Returns
    -------
    datetime.date

    Raises
    ------
    FlopcastError
        If the value is not a date, or lies outside ``earliest`` to ``latest``.

    Examples
    --------
    >>> parse_date("2030.5"), parse_date(2026.25), parse_date("2030", year_end=True)
    (datetime.date(2030, 7, 1), datetime.date(2026, 4, 1), datetime.date(2030, 12, 31))
    >>> parse_date("2021-05-01T10:00:00Z")
    datetime.date(2021, 5, 1)
    """
    kind, parsed = _read(value, what)
    if kind in ("year", "year_out", "decimal"):
        _check_year(float(parsed), what, value, earliest, latest)
    if kind == "year":
        date = dt.date(parsed, 12, 31) if year_end else dt.date(parsed, 1, 1)
    elif kind == "decimal":
        date = _decimal_to_date(parsed)
    else:
        date = parsed
    if not earliest <= date <= latest:
        raise FlopcastError(
            f"{what}={value!r}: {date:%Y-%m-%d} is out of the supported range "
            f"({_range_text(earliest, latest)})"
        )
    return date


def to_decimal_year(
    value: Any,
    *,
    what: str = "date",
    year_end: bool = False,
    earliest: dt.date = EARLIEST_DATE,
    latest: dt.date = LATEST_DATE,
) -> float:
    """Read a date given as text, a date object or a decimal year, as a decimal year.

    Parameters
    ----------
    value
        ``"2030-12-31"``, a :class:`datetime.date` or :class:`pandas.Timestamp`, a decimal
        year (``2026.5``), or a bare year (``2030`` or ``"2030"``).
    what
        Name of the argument, for error messages.
    year_end
        Read a bare year as its last day (``2030`` -> 2030-12-31, as a horizon) instead of
        as the decimal year ``2030.0`` (its first instant).
    earliest, latest
        The supported range (see :func:`parse_date`).

    Returns
    -------
    float
        Decimal year.

    Raises
    ------
    FlopcastError
        If the value is not a readable date or is out of range. A decimal year (number or
        text such as ``"2030.5"``) is returned as given.

    Examples
    --------
    >>> to_decimal_year("2021-01-01")
    2021.0
    >>> round(to_decimal_year(2030, year_end=True), 4)
    2030.9973
    >>> to_decimal_year(2026.5)
    2026.5
    """
    kind, parsed = _read(value, what)
    if kind == "decimal":
        _check_year(parsed, what, value, earliest, latest)
        return float(parsed)
    date = parse_date(value, what=what, year_end=year_end, earliest=earliest, latest=latest)
    if kind == "year" and not year_end:
        return float(parsed)
    return float(decimal_year(pd.DatetimeIndex([pd.Timestamp(date)]))[0])
