"""Units of compute and growth: constants and vectorised conversions (pure, no I/O).

Compute is counted in FLOP (floating-point operations, adds and multiplies counted
separately, so one multiply-accumulate is 2 FLOP) or in petaflop/s-days, the source
analysis's unit: one pfs-day is 1e15 FLOP/s sustained for a day, ``1e15 * 86400 = 8.64e19``
FLOP.

Trends are fitted on ``log10(FLOP)`` against time in years, so a slope ``b`` (log10 units per
year) means growth by ``10**b`` per year and a doubling time of ``12 * log10(2) / b`` months.

Every function accepts a Python number or a numpy array and returns the same kind: a
``float`` for scalar input, an ``ndarray`` otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

ArrayLike = float | npt.NDArray[np.floating]

#: Seconds in an hour and in a day.
SECONDS_PER_HOUR: float = 3600.0
SECONDS_PER_DAY: float = 86400.0

#: FLOP per multiply-accumulate (one add plus one multiply), the source analysis's convention.
FLOP_PER_MAC: float = 2.0

#: One petaflop/s-day in FLOP: 1e15 FLOP/s for 86 400 s.
PFS_DAY_FLOP: float = 1e15 * 86400.0

#: log10(2), the log10-scale increase of one doubling.
LOG10_2: float = math.log10(2.0)

__all__ = [
    "FLOP_PER_MAC",
    "LOG10_2",
    "PFS_DAY_FLOP",
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
    "doubling_months",
    "flop_to_pfs_days",
    "growth_per_year",
    "pfs_days_to_flop",
    "slope_from_doubling_months",
    "slope_from_growth_per_year",
]


def _out(value: np.ndarray) -> ArrayLike:
    """Return a float for 0-d results and the array otherwise."""
    return float(value) if np.ndim(value) == 0 else value


def flop_to_pfs_days(flop: ArrayLike) -> ArrayLike:
    """Convert FLOP to petaflop/s-days (divide by 8.64e19).

    Parameters
    ----------
    flop : float or ndarray
        Amount of compute in FLOP.

    Returns
    -------
    float or ndarray
        The same amount in pfs-days.

    Examples
    --------
    >>> flop_to_pfs_days(8.64e19)
    1.0
    >>> flop_to_pfs_days(np.array([8.64e19, 4.32e20])).tolist()
    [1.0, 5.0]
    """
    return _out(np.asarray(flop, dtype=float) / PFS_DAY_FLOP)


def pfs_days_to_flop(pfs_days: ArrayLike) -> ArrayLike:
    """Convert petaflop/s-days to FLOP (multiply by 8.64e19).

    Parameters
    ----------
    pfs_days : float or ndarray
        Amount of compute in pfs-days.

    Returns
    -------
    float or ndarray
        The same amount in FLOP.

    Examples
    --------
    >>> pfs_days_to_flop(1.0)
    8.64e+19
    >>> pfs_days_to_flop(np.array([0.5, 2.0])).tolist()
    [4.32e+19, 1.728e+20]
    """
    return _out(np.asarray(pfs_days, dtype=float) * PFS_DAY_FLOP)


def doubling_months(slope_log10_per_year: ArrayLike) -> ArrayLike:
    """Doubling time in months of a trend with this slope in log10 units per year.

    ``12 * log10(2) / slope``. A slope of 0 gives ``inf`` and a negative slope a negative
    value (a halving time), as numpy division does.

    Parameters
    ----------
    slope_log10_per_year : float or ndarray
        Trend slope: increase of ``log10(quantity)`` per year.

    Returns
    -------
    float or ndarray
        Months for the quantity to double.

    Examples
    --------
    >>> doubling_months(LOG10_2)        # doubling once a year
    12.0
    >>> round(doubling_months(1.0), 3)  # 10x per year
    3.612
    """
    slope = np.asarray(slope_log10_per_year, dtype=float)
    with np.errstate(divide="ignore"):
        return _out(12.0 * LOG10_2 / slope)


def slope_from_doubling_months(months: ArrayLike) -> ArrayLike:
    """Slope in log10 units per year of a trend that doubles every ``months`` months.

    The inverse of :func:`doubling_months`: ``12 * log10(2) / months``.

    Parameters
    ----------
    months : float or ndarray
        Doubling time in months.

    Returns
    -------
    float or ndarray
        Slope of ``log10(quantity)`` per year.

    Examples
    --------
    >>> slope_from_doubling_months(12.0) == LOG10_2
    True
    >>> round(slope_from_doubling_months(3.4), 4)   # the source analysis's 3.4 months
    1.0625
    """
    m = np.asarray(months, dtype=float)
    with np.errstate(divide="ignore"):
        return _out(12.0 * LOG10_2 / m)


def growth_per_year(slope_log10_per_year: ArrayLike) -> ArrayLike:
    """Growth factor per year of a trend with this slope: ``10**slope``.

    Parameters
    ----------
    slope_log10_per_year : float or ndarray
        Trend slope in log10 units per year.

    Returns
    -------
    float or ndarray
        Multiplicative growth over one year.

    Examples
    --------
    >>> growth_per_year(1.0)
    10.0
    >>> growth_per_year(np.array([0.0, 2.0])).tolist()
    [1.0, 100.0]
    """
    return _out(np.power(10.0, np.asarray(slope_log10_per_year, dtype=float)))


def slope_from_growth_per_year(factor: ArrayLike) -> ArrayLike:
    """Slope in log10 units per year of a trend growing by ``factor`` each year.

    The inverse of :func:`growth_per_year`: ``log10(factor)``.

    Parameters
    ----------
    factor : float or ndarray
        Multiplicative growth per year (> 0).

    Returns
    -------
    float or ndarray
        Slope of ``log10(quantity)`` per year.

    Examples
    --------
    >>> slope_from_growth_per_year(10.0)
    1.0
    >>> slope_from_growth_per_year(np.array([1.0, 100.0])).tolist()
    [0.0, 2.0]
    """
    return _out(np.log10(np.asarray(factor, dtype=float)))
