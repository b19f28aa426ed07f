"""Power-scaling prior sensitivity of one fit: which parameters the prior drives (no refit).

ArviZ's power-scaling sensitivity (``az.psens``, Kallioinen et al. 2023) raises the prior,
or the likelihood, to a power near 1, reweights the posterior by Pareto-smoothed importance
sampling and measures how much each parameter's distribution moves. It needs only a
:class:`~flopcast.fitting.Fit` (with Normal scatter, for the pointwise log-likelihood): a
cheap complement to refitting under other priors in a study.

Examples
--------
>>> _diagnose(0.01, 0.2, PSENS_THRESHOLD)
'likelihood-driven'
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flopcast.exceptions import FlopcastError

if TYPE_CHECKING:
    from flopcast.fitting import Fit

__all__ = ["PSENS_THRESHOLD", "prior_sensitivity"]

#: Power-scaling sensitivity above this value is "sensitive" (ArviZ's and priorsense's
#: recommended threshold; Kallioinen et al. 2023).
PSENS_THRESHOLD: float = 0.05


def _log_prior(fit: Fit) -> Any:
    """Log prior density of each sampled parameter at every draw, per prior term.

    Break dates have a uniform (ordered, minimum-gap) prior: constant, so it is left out
    (power-scaling a constant changes nothing).
    """
    import xarray as xr
    from scipy import stats

    post = fit.posterior
    p = fit.spec.priors
    dims = ("chain", "draw")

    def total(values: Any) -> xr.DataArray:
        da = xr.DataArray(values) if not isinstance(values, xr.DataArray) else values
        extra = [d for d in da.dims if d not in dims]
        return da.sum(extra) if extra else da

    out: dict[str, xr.DataArray] = {}
    out["level"] = total(xr.apply_ufunc(stats.norm(p.level_mu, p.level_sd).logpdf, post["level"]))
    out["slopes"] = total(xr.apply_ufunc(stats.norm(p.slope_mu, p.slope_sd).logpdf, post["slopes"]))
    out["scatter"] = total(
        xr.apply_ufunc(stats.halfnorm(scale=p.scatter_sd).logpdf, post["scatter"])
    )
    if "jumps" in post:
        out["jumps"] = total(xr.apply_ufunc(stats.norm(0.0, p.jump_sd).logpdf, post["jumps"]))
    if "nu" in post:
        out["nu"] = total(
            xr.apply_ufunc(stats.gamma(2.0, scale=1.0 / p.nu_rate).logpdf, post["nu"])
        )
    if "error_scale" in post:
        out["error_scale"] = total(
            xr.apply_ufunc(stats.lognorm(s=p.error_scale_sd).logpdf, post["error_scale"])
        )
    return xr.Dataset(out)


def prior_sensitivity(
    fit: Fit, *, threshold: float = PSENS_THRESHOLD, delta: float = 0.01
) -> pd.DataFrame:
    """Which headline parameters are driven by the prior, the data, or both (no refit).

    Power-scaling sensitivity (Kallioinen et al. 2023, ``arviz.psens``): the prior, or the
    likelihood, is raised to a power near 1 (``1 +/- delta``), the posterior reweighted by
    Pareto-smoothed importance sampling, and the change of each parameter's distribution
    measured (cumulative Jensen-Shannon distance per unit of log power).

    Parameters
    ----------
    fit : Fit
        A fit with Normal scatter (it needs the pointwise ``log_likelihood`` group, which
        only the closed-form marginal likelihood provides).
    threshold : float, default 0.05
        Sensitivity at or above which a component counts as influential (ArviZ's and
        priorsense's recommendation).
    delta : float, default 0.01
        Power-scaling step.

    Returns
    -------
    pandas.DataFrame
        One row per headline parameter (``break_k``, ``doubling_months_era_k``,
        ``scatter`` or ``scatter_era_k``, and ``jump_k`` when the model has jumps): its
        posterior ``median``, ``prior`` and ``likelihood`` sensitivity and ``driven_by``:
        ``"likelihood-driven"`` (likelihood >= threshold, prior < threshold: the healthy
        case), ``"prior-driven"`` (prior >= threshold, likelihood < threshold: the data say
        little), ``"both"`` (both >= threshold: a possible prior-data conflict) or
        ``"neither"``.

    Raises
    ------
    FlopcastError
        For fits without a log-likelihood group (Student-t scatter).

    Notes
    -----
    Limits. (1) The log prior is recomputed from the resolved spec for the level, slopes,
    scatter, jumps, ``nu`` and error scales; break dates have a uniform prior over an
    ordered range, whose power-scaling is a no-op, so a break date can only show prior
    sensitivity through its correlation with other parameters. Whether the break date
    depends on the *range* of that prior (``priors.break_min/break_max``,
    ``min_era_years``) is a question for a study variant, not for power-scaling. (2) Fixed
    break dates are not parameters and get no row. (3) The check is local (powers near 1)
    and relies on importance sampling: it flags sensitivity, it does not size the effect of
    a very different prior. (4) Structural choices (number of breaks, scatter family, error
    factors, data filters) are not priors in this sense; :func:`run_study` varies those.

    Examples
    --------
    >>> import flopcast
    >>> table = prior_sensitivity(flopcast.fit(spec="two_eras"))     # doctest: +SKIP
    >>> table[["parameter", "prior", "likelihood", "driven_by"]]     # doctest: +SKIP
    """
    import arviz as az

    from flopcast.fitting import Fit

    if not isinstance(fit, Fit):
        raise FlopcastError(f"prior_sensitivity needs a Fit, got {type(fit).__name__}")
    if "log_likelihood" not in fit.idata.groups():
        raise FlopcastError(
            "prior_sensitivity needs the fit's pointwise log-likelihood, which only fits with "
            f"Normal scatter have (this fit: scatter={fit.spec.model.scatter!r})"
        )
    post = fit.posterior
    names = [n for n in ("breaks", "doubling_months", "scatter", "jumps") if n in post]
    if fit.spec.model.fixed_breaks is not None and "breaks" in names:
        names.remove("breaks")
    data = az.InferenceData(
        posterior=post[names],
        log_likelihood=fit.idata["log_likelihood"],
        log_prior=_log_prior(fit),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PSIS k-hat notices: reported in the column below
        prior = az.psens(data, component="prior", var_names=names, delta=delta)
        likelihood = az.psens(data, component="likelihood", var_names=names, delta=delta)
    labels = {
        "breaks": "break_{}",
        "doubling_months": "doubling_months_era_{}",
        "scatter": "scatter_era_{}",
        "jumps": "jump_{}",
    }
    rows = []
    for name in names:
        p_vals = np.atleast_1d(np.asarray(prior[name].values, dtype=float))
        l_vals = np.atleast_1d(np.asarray(likelihood[name].values, dtype=float))
        draws = np.asarray(post[name].values, dtype=float)
        draws = draws.reshape(draws.shape[0] * draws.shape[1], -1)
        for i, (ps, ls) in enumerate(zip(p_vals, l_vals, strict=True)):
            label = (
                "scatter" if name == "scatter" and len(p_vals) == 1 else labels[name].format(i + 1)
            )
            rows.append(
                {
                    "parameter": label,
                    "median": float(np.median(draws[:, i])),
                    "prior": float(ps),
                    "likelihood": float(ls),
                    "driven_by": _diagnose(ps, ls, threshold),
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(
        {
            "threshold": threshold,
            "delta": delta,
            "method": "power-scaling sensitivity (arviz.psens, cumulative Jensen-Shannon "
            "distance); the uniform break-date prior is constant and left out",
        }
    )
    return table


def _diagnose(prior: float, likelihood: float, threshold: float) -> str:
    """Label of a parameter from its prior and likelihood sensitivity.

    Examples
    --------
    >>> _diagnose(0.01, 0.2, 0.05), _diagnose(0.2, 0.01, 0.05), _diagnose(0.1, 0.1, 0.05)
    ('likelihood-driven', 'prior-driven', 'both')
    """
    p, lik = prior >= threshold, likelihood >= threshold
    if p and lik:
        return "both"
    if p:
        return "prior-driven"
    if lik:
        return "likelihood-driven"
    return "neither"


def _psens_text(fit: Fit) -> str:
    """One table cell summarising :func:`prior_sensitivity` for a fit (cheap: no refit).

    ``"likelihood-driven"`` when every headline parameter is, else the flagged parameters
    by kind (``"prior-driven: break_1; both: scatter"``); ``"n/a (...)"`` for fits without
    a pointwise log-likelihood. Raises what :func:`prior_sensitivity` raises otherwise.
    """
    if "log_likelihood" not in fit.idata.groups():
        return "n/a (needs Normal scatter)"
    table = prior_sensitivity(fit)
    flagged = table[table["driven_by"] != "likelihood-driven"]
    if flagged.empty:
        return "likelihood-driven"
    return "; ".join(
        f"{kind}: {', '.join(part['parameter'])}" for kind, part in flagged.groupby("driven_by")
    )
