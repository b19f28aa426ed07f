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
    "decimal_year",
    "decimal_year_to_date",
    "decimal_year_to_timestamp",
    "to_decimal_year",
]


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


def to_decimal_year(value: Any, *, what: str = "date", year_end: bool = False) -> float:
    """Read a date given as text, a date object or a decimal year.

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

    Returns
    -------
    float
        Decimal year.

    Raises
    ------
    FlopcastError
        If the value is not a readable date.

    Examples
    --------
    >>> to_decimal_year("2021-01-01")
    2021.0
    >>> round(to_decimal_year(2030, year_end=True), 4)
    2030.9973
    >>> to_decimal_year(2026.5)
    2026.5
    """
    if isinstance(value, bool) or value is None:
        raise FlopcastError(f"{what}={value!r}: give a date like '2030-12-31' or a year")
    if isinstance(value, int | np.integer) or (
        isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value)
    ):
        year = int(value)
        if year_end:
            return float(decimal_year(pd.DatetimeIndex([pd.Timestamp(year, 12, 31)]))[0])
        return float(year)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or not 1000 < value < 3000:
            raise FlopcastError(f"{what}={value!r}: not a plausible decimal year")
        return float(value)
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT or pd.isna(stamp):
        raise FlopcastError(
            f"{what}={value!r}: not a date; give e.g. '2030-12-31', 2030 or 2026.5"
        ) from None
    return float(decimal_year(pd.DatetimeIndex([stamp.tz_localize(None).normalize()]))[0])
