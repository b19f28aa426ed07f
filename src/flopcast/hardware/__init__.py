"""Accelerators and compute estimates: the bundled chip table and the source's two methods.

:mod:`flopcast.hardware.accelerators` looks up a chip's peak FLOP/s in the bundled table;
:mod:`flopcast.hardware.estimate` estimates a run's training compute from operations counted
or from hardware time.
"""

from __future__ import annotations

from flopcast.exceptions import AcceleratorNotFoundError, PrecisionUnavailableError
from flopcast.hardware.accelerators import (
    AUTO_PRECISION_ORDER,
    PRECISION_COLUMNS,
    PeakFlops,
    find_accelerator,
    load_accelerators,
    peak_flops,
)

__all__ = [
    "AUTO_PRECISION_ORDER",
    "PRECISION_COLUMNS",
    "AcceleratorNotFoundError",
    "PeakFlops",
    "PrecisionUnavailableError",
    "find_accelerator",
    "load_accelerators",
    "peak_flops",
]
