"""The accelerator price quotes: which are usable, and peak FLOP per constant dollar each.

Which price quotes are used (:func:`price_performance_table`), in this order of checks; a
quote failing one is reported in the exclusions table with the first reason (and any other
reasons that also apply), never dropped silently:

1. the kind asked for: ``"cloud"`` uses on-demand chip-hour prices (``cloud_on_demand``;
   1- and 3-year committed prices are excluded), ``"purchase"`` uses purchase prices;
2. the chip is in ``accelerators.csv``;
3. the quote has a date, and the price index covers its month;
4. the price is a positive number;
5. the chip is an ML accelerator: its ``type`` is ``GPU`` or ``TPU``, or Epoch flags it as
   ML hardware (``ml_hardware``; e.g. Intel Habana Gaudi2, whose type is blank) and it is
   not a CPU. CPUs, Cerebras systems ("Other", not flagged) and untyped, unflagged chips are
   excluded;
6. the chip has a peak rate at the precision asked for (``"auto"``: tensor-core fp16/bf16 if
   the table has it, else fp32, as :func:`flopcast.hardware.peak_flops` does);
7. the price is observed, not estimated (``is_estimate``; all TPU purchase prices and the
   generic "NVIDIA A100" purchase prices are Epoch's estimates), unless
   ``include_estimates=True``;
8. the quote is not dated more than a year (365 days) before the chip's release: pre-orders
   and announced list prices come months early (the H200 and A100 80GB purchase quotes of
   2024-03 and 2020-07 are kept), but a K40s price dated 2012-07, 17 months before the K40
   existed, is misdated.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from flopcast.caches import cached
from flopcast.cost.deflation import BASE_YEAR, _base_level, _price_index
from flopcast.dates import decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.hardware import AUTO_PRECISION_ORDER, PRECISION_COLUMNS, load_accelerators
from flopcast.hardware.accelerators import _normalize_precision
from flopcast.runs.bundled import bundled_data_path
from flopcast.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "MAX_DAYS_BEFORE_RELEASE",
    "ML_TYPES",
    "SECONDS_PER_YEAR",
    "USEFUL_LIFE_YEARS",
    "PricePerformanceTable",
    "price_performance_table",
]

#: Useful life over which a purchased chip's price is amortized, in years.
USEFUL_LIFE_YEARS: float = 3.0
#: Chip types kept as ML accelerators (besides chips Epoch flags as ML hardware, not CPUs).
ML_TYPES: tuple[str, ...] = ("GPU", "TPU")
#: A quote dated more than this many days before the chip's release is treated as misdated.
MAX_DAYS_BEFORE_RELEASE: int = 365
#: Seconds in a year of 365.25 days.
SECONDS_PER_YEAR: float = 365.25 * SECONDS_PER_DAY

#: Source ``kind`` of the price quotes each table kind uses.
_SOURCE_KIND: dict[str, str] = {"cloud": "cloud_on_demand", "purchase": "purchase"}
_PRICE_UNIT: dict[str, str] = {"cloud": "USD per chip-hour", "purchase": "USD per chip"}


class PricePerformanceTable(NamedTuple):
    """The price quotes used for a price-performance trend and those left out.

    Unpacks as ``used, excluded = price_performance_table(...)``.

    Attributes
    ----------
    used : pandas.DataFrame
        One row per usable quote: ``price_row`` (0-based data row of
        ``hardware_prices.csv``), ``hardware``, ``type``, ``date``, ``year`` (decimal),
        ``source_kind``, ``usd_nominal``, ``price_unit``, ``price_index`` (index at the
        quote's month), ``usd_constant`` (dollars of ``base_year``), ``peak_flops``
        (FLOP/s per chip), ``precision`` (which peak rate), ``flop_per_usd`` (peak FLOP per
        constant dollar), ``log10_flop_per_usd``, ``vendor``, ``n_listings``,
        ``is_estimate``, ``source``. ``.attrs`` holds the settings.
    excluded : pandas.DataFrame
        One row per quote not used: ``price_row``, ``hardware``, ``date``, ``source_kind``,
        ``usd_nominal``, ``reason`` (the first failed check, a fixed text), ``detail``
        (specific to the quote, e.g. the chip's type) and ``other_reasons`` (the other
        checks it fails, ``;``-joined).
    """

    used: pd.DataFrame
    excluded: pd.DataFrame


@cached("cost.prices")
def _prices() -> pd.DataFrame:
    frame = pd.read_csv(
        bundled_data_path("hardware_prices.csv"),
        dtype={"hardware": "string", "kind": "string", "vendor": "string", "source": "string"},
        encoding="utf-8",
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    frame["usd"] = pd.to_numeric(frame["usd"], errors="coerce")
    frame["is_estimate"] = frame["is_estimate"].astype(str).str.casefold().eq("true")
    return frame


def _peak_columns(chips: pd.DataFrame, precision: str) -> tuple[pd.Series, pd.Series]:
    """Peak FLOP/s per row and the precision it is for (NaN/'' where the table has none)."""
    key = _normalize_precision(precision)
    if key != "auto":
        peak = chips[PRECISION_COLUMNS[key]].astype(float)
        return peak, pd.Series(np.where(peak.notna(), key, ""), index=chips.index)
    peak = pd.Series(np.nan, index=chips.index)
    used = pd.Series("", index=chips.index)
    for candidate in AUTO_PRECISION_ORDER:
        value = chips[PRECISION_COLUMNS[candidate]].astype(float)
        take = peak.isna() & value.notna()
        peak[take] = value[take]
        used[take] = candidate
    return peak, used


def price_performance_table(
    kind: str = "cloud",
    precision: str = "auto",
    *,
    base_year: int = BASE_YEAR,
    useful_life_years: float = USEFUL_LIFE_YEARS,
    include_estimates: bool = False,
    max_days_before_release: int = MAX_DAYS_BEFORE_RELEASE,
) -> PricePerformanceTable:
    """Peak FLOP per constant dollar for every usable accelerator price quote.

    For ``kind="cloud"``: ``peak FLOP/s * 3600 / (USD per chip-hour on demand)``, the peak
    FLOP one dollar of rented chip time buys. For ``kind="purchase"``: ``peak FLOP/s *
    useful_life_years * 365.25 * 86400 / purchase price``, the peak FLOP a chip delivers over
    its useful life per dollar of its price. Power, cooling, hosting, networking, the rest of
    the server and staff are **not** included. Prices are converted to constant dollars of
    ``base_year`` with :func:`~flopcast.cost.deflation.constant_dollars` before dividing.

    The quotes checked and the order of the checks are in the module docstring. Every quote
    of ``hardware_prices.csv`` ends up in exactly one of the two returned tables.

    Parameters
    ----------
    kind : {"cloud", "purchase"}, default "cloud"
        On-demand cloud prices or amortized purchase prices.
    precision : str, default "auto"
        Peak rate to use: ``"auto"`` (tensor-core fp16/bf16 where the table has it, else
        fp32; the ``precision`` column says which) or a key of
        :data:`flopcast.hardware.PRECISION_COLUMNS` (e.g. ``"fp32"``).
    base_year : int, default 2023
        Year of the constant dollars.
    useful_life_years : float, default 3.0
        Amortization period for purchase prices (ignored for cloud prices).
    include_estimates : bool, default False
        Keep prices that Epoch marks as estimated (``is_estimate``).
    max_days_before_release : int, default 365
        Quotes dated more than this many days before the chip's release are excluded.

    Returns
    -------
    PricePerformanceTable
        ``(used, excluded)``; see :class:`PricePerformanceTable` for the columns.

    Raises
    ------
    FlopcastError
        If ``kind`` or ``useful_life_years`` is invalid or the base year has no index.

    Examples
    --------
    >>> used, excluded = price_performance_table("cloud")
    >>> bool((used["source_kind"] == "cloud_on_demand").all())
    True
    >>> bool(excluded["reason"].str.len().gt(0).all())
    True
    """
    if kind not in _SOURCE_KIND:
        raise FlopcastError(f"kind={kind!r}: use 'cloud' or 'purchase'")
    if not (useful_life_years > 0 and math.isfinite(useful_life_years)):
        raise FlopcastError(f"useful_life_years={useful_life_years!r} must be positive")
    index = _price_index()
    base = _base_level(index, base_year)

    prices = _prices().copy()
    prices.insert(0, "price_row", np.arange(len(prices)))
    # hardware_prices.csv names its chips exactly as accelerators.csv does (unique names).
    chips = load_accelerators().rename(columns={"name": "hardware"})
    merged = prices.merge(chips, on="hardware", how="left", indicator=True, validate="m:1")
    merged = merged.rename(columns={"kind": "source_kind", "usd": "usd_nominal"})
    peak, peak_precision = _peak_columns(merged, precision)
    merged["peak_flops"] = peak.to_numpy()
    merged["precision"] = peak_precision.to_numpy()
    months = merged["date"].dt.to_period("M").dt.to_timestamp()
    merged["price_index"] = index.reindex(pd.DatetimeIndex(months)).to_numpy(dtype=float)

    wanted = _SOURCE_KIND[kind]
    in_table = merged["_merge"] == "both"
    chip_type = merged["type"].astype("string")
    is_ml = chip_type.isin(ML_TYPES).fillna(False) | (
        merged["ml_hardware"].fillna(False).astype(bool) & chip_type.ne("CPU").fillna(True)
    )
    release = merged["release_date"]
    too_early = (release - merged["date"]).dt.days > max_days_before_release
    kind_text = {
        "cloud_on_demand": "on-demand cloud price",
        "cloud_1yr": "1-year committed cloud price",
        "cloud_3yr": "3-year committed cloud price",
        "purchase": "purchase price",
    }
    key = _normalize_precision(precision)
    peak_text = "tensor fp16/bf16 or fp32" if key == "auto" else key
    blank = pd.Series("", index=merged.index)
    # (failed, reason, detail): the reason is a fixed text (for counting), the detail is
    # specific to the quote.
    checks: list[tuple[pd.Series, str, pd.Series]] = [
        (
            merged["source_kind"] != wanted,
            f"not a {wanted} price",
            merged["source_kind"].map(lambda k: f"{kind_text.get(k, k)}"),
        ),
        (~in_table, "hardware not in accelerators.csv", blank),
        (merged["date"].isna(), "no date", blank),
        (
            merged["date"].notna() & merged["price_index"].isna(),
            "no price index for the quote's month",
            months.map(lambda m: f"{m:%Y-%m}" if pd.notna(m) else ""),
        ),
        (~(merged["usd_nominal"] > 0), "no positive price", blank),
        (
            in_table & ~is_ml,
            "not an ML accelerator",
            chip_type.fillna("unknown").map(
                lambda t: (
                    "type unknown and not flagged as ML hardware" if t == "unknown" else f"type {t}"
                )
            ),
        ),
        (
            in_table & merged["peak_flops"].isna(),
            f"no peak FLOP/s ({peak_text}) in accelerators.csv",
            blank,
        ),
        (
            merged["is_estimate"] & (not include_estimates),
            "estimated price (is_estimate)",
            blank,
        ),
        (
            too_early.fillna(False),
            f"dated more than {max_days_before_release} days before the chip's release",
            release.map(lambda r: f"released {r:%Y-%m-%d}" if pd.notna(r) else ""),
        ),
    ]
    reasons: list[list[str]] = [[] for _ in range(len(merged))]
    details: list[list[str]] = [[] for _ in range(len(merged))]
    for failed, reason, detail in checks:
        detail_arr = detail.to_numpy()
        for i in np.flatnonzero(failed.fillna(False).to_numpy(dtype=bool)):
            reasons[i].append(reason)
            details[i].append(str(detail_arr[i]))
    has_reason = np.array([bool(r) for r in reasons])
    rows = np.flatnonzero(has_reason)

    excluded = merged.loc[
        has_reason, ["price_row", "hardware", "date", "source_kind", "usd_nominal"]
    ].copy()
    excluded["reason"] = [reasons[i][0] for i in rows]
    excluded["detail"] = [details[i][0] for i in rows]
    excluded["other_reasons"] = ["; ".join(reasons[i][1:]) for i in rows]
    excluded = excluded.reset_index(drop=True)

    used = merged.loc[~has_reason].copy()
    used["year"] = decimal_year(used["date"])
    used["usd_constant"] = used["usd_nominal"] * base / used["price_index"]
    if kind == "cloud":
        flop_per_unit = used["peak_flops"] * SECONDS_PER_HOUR
    else:
        flop_per_unit = used["peak_flops"] * useful_life_years * SECONDS_PER_YEAR
    used["flop_per_usd"] = flop_per_unit / used["usd_constant"]
    used["log10_flop_per_usd"] = np.log10(used["flop_per_usd"].to_numpy(dtype=float))
    used["price_unit"] = _PRICE_UNIT[kind]
    columns = [
        "price_row",
        "hardware",
        "type",
        "date",
        "year",
        "source_kind",
        "usd_nominal",
        "price_unit",
        "price_index",
        "usd_constant",
        "peak_flops",
        "precision",
        "flop_per_usd",
        "log10_flop_per_usd",
        "vendor",
        "n_listings",
        "is_estimate",
        "source",
    ]
    used = used[columns].sort_values(["date", "hardware"], kind="stable").reset_index(drop=True)
    settings = {
        "kind": kind,
        "precision": precision,
        "base_year": int(base_year),
        "base_year_index": base,
        "base_year_months": int((index.index.year == int(base_year)).sum()),
        "useful_life_years": float(useful_life_years) if kind == "purchase" else None,
        "include_estimates": bool(include_estimates),
        "max_days_before_release": int(max_days_before_release),
        "n_quotes": len(prices),
    }
    used.attrs.update(settings)
    excluded.attrs.update(settings)
    return PricePerformanceTable(used, excluded)
