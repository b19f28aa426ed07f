"""Constant dollars: the bundled price index and the conversion of nominal prices.

Prices are expressed in constant dollars of a base year (:data:`BASE_YEAR`, 2023 by default,
the year of Epoch's recorded costs), deflated with the bundled monthly price index (FRED
PCU518210518210, data processing and hosting services).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flopcast.caches import cached
from flopcast.exceptions import FlopcastError
from flopcast.runs.bundled import bundled_data_path

__all__ = ["BASE_YEAR", "constant_dollars", "load_price_index"]

#: Year whose average price level the constant dollars are expressed in (Epoch's cost column
#: is in 2023 USD too).
BASE_YEAR: int = 2023


@cached("cost.price_index")
def _price_index() -> pd.Series:
    frame = pd.read_csv(bundled_data_path("price_index.csv"), encoding="utf-8")
    months = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return pd.Series(frame["index"].astype(float).to_numpy(), index=pd.DatetimeIndex(months))


def load_price_index() -> pd.Series:
    """The bundled monthly price index (``data/price_index.csv``), by month.

    FRED series PCU518210518210: producer price index for data processing, hosting and
    related services (December 2000 = 100). It tracks the price of cloud compute services,
    not of chips; it is the deflator the cost model uses for constant dollars.

    Returns
    -------
    pandas.Series
        Index values, indexed by the first day of each month.

    Examples
    --------
    >>> index = load_price_index()
    >>> float(index.loc["2000-12-01"])
    100.0
    """
    return _price_index().copy()


def _base_level(index: pd.Series, base_year: int) -> float:
    in_year = index[index.index.year == int(base_year)]
    if in_year.empty:
        first, last = index.index.min(), index.index.max()
        raise FlopcastError(
            f"base_year={base_year}: the price index has no month in that year (it covers "
            f"{first:%Y-%m} to {last:%Y-%m}); choose a base year in that range"
        )
    return float(in_year.mean())


def constant_dollars(
    usd: float | np.ndarray | pd.Series,
    dates: Any,
    base_year: int = BASE_YEAR,
) -> np.ndarray:
    """Convert nominal US dollars at given dates to constant dollars of ``base_year``.

    ``usd * I(base_year) / I(month of date)``, where ``I(month)`` is the bundled price index
    (:func:`load_price_index`) for the observation's calendar month and ``I(base_year)`` the
    average of the base year's monthly values.

    Parameters
    ----------
    usd : float, ndarray or Series
        Nominal prices.
    dates : date-like or sequence of date-likes
        Date of each price (anything :func:`pandas.to_datetime` reads).
    base_year : int, default 2023
        Year whose average price level the result is in.

    Returns
    -------
    ndarray
        Constant-dollar prices; NaN where the date is missing or the index lacks its month.

    Raises
    ------
    FlopcastError
        If the index has no month in ``base_year``.

    Examples
    --------
    A price of 100 USD in December 2000 (index 100) in dollars of 2000 (only December):

    >>> constant_dollars(100.0, "2000-12-15", base_year=2000).tolist()
    [100.0]
    """
    index = _price_index()
    base = _base_level(index, base_year)
    months = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates))).to_period("M").to_timestamp()
    at_month = index.reindex(months).to_numpy(dtype=float)
    prices = np.broadcast_to(np.asarray(usd, dtype=float), at_month.shape)
    return prices * base / at_month
