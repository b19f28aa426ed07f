"""Comparing fitted models with different numbers of breaks (PSIS-LOO and stacking weights)."""

from __future__ import annotations

from typing import Literal

import arviz as az
import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.fitting.result import Fit


def compare_fits(
    fits: dict[str, Fit],
    *,
    method: Literal["stacking", "BB-pseudo-BMA", "pseudo-BMA"] = "stacking",
) -> pd.DataFrame:
    """Rank fits of the *same runs* by expected log predictive density (PSIS-LOO).

    Parameters
    ----------
    fits
        Fits by label, e.g. ``{"K=0": f0, "K=1": f1, "K=2": f2}``. All must use the same runs
        and the marginal (Normal-scatter) likelihood.
    method
        How ArviZ weights the models: ``"stacking"`` (default), ``"BB-pseudo-BMA"`` or
        ``"pseudo-BMA"``.

    Returns
    -------
    pandas.DataFrame
        ArviZ's comparison table (``elpd_loo``, ``p_loo``, ``elpd_diff``, ``dse``, ``weight``,
        ``warning``...), best model first. ``warning`` is True when Pareto k diagnostics say
        the PSIS estimate is unreliable for some runs.

    Examples
    --------
    >>> table = compare_fits({"one break": fit1, "two breaks": fit2})  # doctest: +SKIP
    """
    if len(fits) < 2:
        raise FlopcastError(f"compare_fits needs at least two fits, got {len(fits)}")
    hashes = {label: (f.data_sha256, tuple(f.runs["system"])) for label, f in fits.items()}
    if len({h for h in hashes.values()}) > 1:
        raise FlopcastError(
            "compare_fits: the fits use different runs; LOO compares models on the same data "
            f"(labels: {list(fits)})"
        )
    missing = [label for label, f in fits.items() if "log_likelihood" not in f.idata.groups()]
    if missing:
        raise FlopcastError(
            f"compare_fits: {missing} have no pointwise log-likelihood (Student-t scatter has "
            "no closed-form marginal); compare Normal-scatter fits"
        )
    return az.compare({label: f.idata for label, f in fits.items()}, ic="loo", method=method)
