"""Measurement-error groups: how far a published compute figure may be from the truth.

A published estimate ``y = log10(compute)`` is modelled as ``Normal(x, sigma)`` around the
true value ``x``. Errors are stated the way the source analysis states them, as a factor
``F``: the true value lies in ``[estimate / F, estimate * F]`` with probability ``coverage``
(90% by default). For a Normal error in log10 units that gives::

    sigma = log10(F) / z,   z = Phi^-1((1 + coverage) / 2)   (z = 1.645 for 90%)

The factor of a run combines two independent sources in quadrature on the log scale:

* the *method* factor, which depends on the era: after the era boundary (default 2012-01-01)
  counted operations are good to about a factor 2 and hardware-time estimates (which assume
  a utilization) to about 3, as the source analysis says; before it every method is good to
  about an order of magnitude (factor 10);
* the *confidence* factor from Epoch's label: ``confident`` adds nothing, ``likely`` a factor
  2, ``speculative`` a factor 5, ``unknown`` a factor 10.

So ``log10 F = sqrt(log10(F_method)^2 + log10(F_confidence)^2)``. A run with explicit bounds
(``compute_lower``/``compute_upper``, read as the same central interval) uses them instead.

Every number here is a default of :class:`ErrorModel`; sensitivity studies change them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from flopcast.dates import decimal_year
from flopcast.exceptions import SpecError
from flopcast.runs.schema import CONFIDENCES, METHODS

DEFAULT_MODERN_METHOD_FACTORS: dict[str, float] = {
    "counted": 2.0,
    "hardware": 3.0,
    "reported": 2.0,
    "other": 3.0,
}
DEFAULT_EARLY_METHOD_FACTORS: dict[str, float] = {m: 10.0 for m in METHODS}
DEFAULT_CONFIDENCE_FACTORS: dict[str, float] = {
    "confident": 1.0,
    "likely": 2.0,
    "speculative": 5.0,
    "unknown": 10.0,
}


def z_for_coverage(coverage: float) -> float:
    """Half-width, in standard deviations, of a central Normal interval with this coverage.

    Examples
    --------
    >>> round(z_for_coverage(0.9), 3)
    1.645
    """
    if not 0.0 < coverage < 1.0:
        raise SpecError(f"coverage must be strictly between 0 and 1, got {coverage!r}")
    return float(norm.ppf(0.5 + coverage / 2.0))


def factor_to_sigma(factor: float | np.ndarray, coverage: float = 0.9) -> float | np.ndarray:
    """Convert an error factor F (true value within [y/F, y*F]) to a log10 standard deviation.

    Examples
    --------
    >>> round(factor_to_sigma(10.0), 4)   # an order of magnitude, read as a 90% interval
    0.608
    """
    f = np.asarray(factor, dtype=float)
    if np.any(f < 1.0):
        raise SpecError(f"an error factor must be >= 1, got {factor!r}")
    out = np.log10(f) / z_for_coverage(coverage)
    return float(out) if np.ndim(out) == 0 else out


def sigma_to_factor(sigma: float | np.ndarray, coverage: float = 0.9) -> float | np.ndarray:
    """Inverse of :func:`factor_to_sigma`.

    Examples
    --------
    >>> round(sigma_to_factor(factor_to_sigma(3.0)), 6)
    3.0
    """
    out = 10.0 ** (np.asarray(sigma, dtype=float) * z_for_coverage(coverage))
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class ErrorModel:
    """The configurable mapping from (method, confidence, era) to an error factor.

    Parameters
    ----------
    modern_method_factors, early_method_factors
        Factor F by estimation method after / before ``era_boundary``.
    confidence_factors
        Extra factor by confidence label, combined in quadrature with the method factor.
    coverage
        Probability that the true value lies within the factor (default 0.9).
    era_boundary
        Decimal year separating early and modern estimates (default 2012.0).
    use_explicit_bounds
        Use a run's ``compute_lower``/``compute_upper`` instead of its group when present.

    Examples
    --------
    >>> model = ErrorModel.from_dict({"confidence_factors": {"likely": 3.0}})
    >>> round(model.group_factor("counted", "confident", early=False), 2)
    2.0
    >>> len(model.groups())
    32
    """

    modern_method_factors: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MODERN_METHOD_FACTORS)
    )
    early_method_factors: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_EARLY_METHOD_FACTORS)
    )
    confidence_factors: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_CONFIDENCE_FACTORS)
    )
    coverage: float = 0.9
    era_boundary: float = 2012.0
    use_explicit_bounds: bool = True

    def __post_init__(self) -> None:
        for name, table, keys in (
            ("modern_method_factors", self.modern_method_factors, METHODS),
            ("early_method_factors", self.early_method_factors, METHODS),
            ("confidence_factors", self.confidence_factors, CONFIDENCES),
        ):
            unknown = sorted(set(table) - set(keys))
            if unknown:
                raise SpecError(
                    f"error model: {name} has unknown label(s) {unknown}; "
                    f"valid labels are {list(keys)}"
                )
            missing = sorted(set(keys) - set(table))
            if missing:
                raise SpecError(
                    f"error model: {name} lacks a factor for {missing}; give all of {list(keys)}"
                )
            for key, value in table.items():
                if not (isinstance(value, int | float) and math.isfinite(value) and value >= 1):
                    raise SpecError(
                        f"error model: {name}[{key!r}] must be a number >= 1, got {value!r}"
                    )
        z_for_coverage(self.coverage)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> ErrorModel:
        """Defaults overridden by ``values``; nested factor tables are merged key by key."""
        values = dict(values or {})
        base = cls()
        kwargs: dict[str, Any] = {}
        for key in ("modern_method_factors", "early_method_factors", "confidence_factors"):
            kwargs[key] = {**getattr(base, key), **values.pop(key, {})}
        kwargs.update(values)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as plain values (the inverse of :meth:`from_dict`)."""
        return asdict(self)

    def group_factor(self, method: str, confidence: str, early: bool) -> float:
        """The error factor F of one group."""
        method_f = (self.early_method_factors if early else self.modern_method_factors)[method]
        conf_f = self.confidence_factors[confidence]
        return float(10.0 ** math.hypot(math.log10(method_f), math.log10(conf_f)))

    def groups(self) -> pd.DataFrame:
        """Every group with its factor and sigma (log10 units), one row per group."""
        rows = []
        for early in (True, False):
            for method in METHODS:
                for confidence in CONFIDENCES:
                    f = self.group_factor(method, confidence, early)
                    rows.append(
                        {
                            "group": group_name(method, confidence, early),
                            "era": "early" if early else "modern",
                            "method": method,
                            "confidence": confidence,
                            "factor": f,
                            "sigma_log10": factor_to_sigma(f, self.coverage),
                        }
                    )
        return pd.DataFrame(rows)


def group_name(method: str, confidence: str, early: bool) -> str:
    """Stable identifier of an error group, e.g. ``"modern/counted/confident"``."""
    return f"{'early' if early else 'modern'}/{method}/{confidence}"


def assign_error_groups(runs: pd.DataFrame, model: ErrorModel | None = None) -> pd.DataFrame:
    """Give every run its error group, factor and sigma (log10 units).

    Parameters
    ----------
    runs
        A canonical run table (see :mod:`flopcast.runs.schema`).
    model
        The error model; defaults to :class:`ErrorModel()`.

    Returns
    -------
    pandas.DataFrame
        Columns ``error_group``, ``error_factor``, ``sigma_log10`` and ``sigma_source``
        (``"group"`` or ``"explicit bounds"``), indexed like ``runs``.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"date": pd.to_datetime(["2005-01-01", "2020-01-01"]),
    ...                      "method": ["counted", "counted"],
    ...                      "confidence": ["confident", "confident"]})
    >>> assign_error_groups(runs)["error_factor"].round(2).tolist()
    [10.0, 2.0]
    """
    model = model or ErrorModel()
    early = decimal_year(runs["date"]) < model.era_boundary
    factors = np.array(
        [
            model.group_factor(m, c, bool(e))
            for m, c, e in zip(runs["method"], runs["confidence"], early, strict=True)
        ],
        dtype=float,
    )
    names = [
        group_name(m, c, bool(e))
        for m, c, e in zip(runs["method"], runs["confidence"], early, strict=True)
    ]
    source = np.full(len(runs), "group", dtype=object)
    if model.use_explicit_bounds and {"compute_lower", "compute_upper"} <= set(runs.columns):
        lo = pd.to_numeric(runs["compute_lower"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(runs["compute_upper"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi > lo)
        # Bounds read as a central interval with the model's coverage: F = sqrt(hi / lo).
        factors = np.where(ok, np.sqrt(np.where(ok, hi / np.where(ok, lo, 1.0), 1.0)), factors)
        source = np.where(ok, "explicit bounds", source)
    return pd.DataFrame(
        {
            "error_group": names,
            "error_factor": factors,
            "sigma_log10": factor_to_sigma(factors, model.coverage),
            "sigma_source": source,
        },
        index=runs.index,
    )
