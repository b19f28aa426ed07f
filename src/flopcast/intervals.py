"""The interval level every summary uses, the names of its columns, and quantile helpers.

Every interval flopcast prints or writes is a central interval: a 90% interval runs from the
5th to the 95th percentile of the draws. Credible intervals describe a parameter or a trend;
predictive intervals add the scatter of individual runs. Tables name the bounds
``ci90_low`` / ``ci90_high`` (``ci50_low`` ... at other levels) everywhere: fit summaries,
forecast tables, study tables and JSON outputs.

Examples
--------
>>> interval_columns()
('ci90_low', 'ci90_high')
>>> interval_columns(0.5)
('ci50_low', 'ci50_high')
>>> central_interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.5)
(3.0, 2.0, 4.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Level of every interval in summaries, reports and JSON outputs.
CI_LEVEL: float = 0.9


def level_percent(level: float = CI_LEVEL) -> int:
    """The level as a whole percentage (0.9 -> 90).

    Examples
    --------
    >>> level_percent(0.9), level_percent(0.5)
    (90, 50)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be between 0 and 1, got {level!r}")
    return round(level * 100)


def interval_columns(level: float = CI_LEVEL) -> tuple[str, str]:
    """Names of the lower and upper bound columns of a ``level`` interval."""
    pct = level_percent(level)
    return f"ci{pct}_low", f"ci{pct}_high"


def interval_quantiles(level: float = CI_LEVEL) -> tuple[float, float, float]:
    """The lower, middle and upper quantiles of a central ``level`` interval.

    Examples
    --------
    >>> tuple(round(q, 3) for q in interval_quantiles(0.9))
    (0.05, 0.5, 0.95)
    """
    level_percent(level)
    return (1.0 - level) / 2.0, 0.5, (1.0 + level) / 2.0


def central_interval(values: Any, level: float = CI_LEVEL, axis: int | None = None) -> tuple:
    """Median and central ``level`` interval of ``values``: ``(median, low, high)``.

    With ``axis=None`` the values are flattened and plain floats come back; with an axis the
    three items are arrays reduced over that axis. NaN draws are not ignored: they make the
    result NaN, so a bad draw cannot hide.
    """
    q = interval_quantiles(level)
    lo, med, hi = np.quantile(np.asarray(values, dtype=float), q, axis=axis)
    if axis is None:
        return float(med), float(lo), float(hi)
    return med, lo, hi
