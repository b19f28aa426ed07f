"""The PyMC changepoint model of true log10 training compute.

One builder serves every spec: the model's *structure* (number of breaks, jumps, scatter
family, per-era scatter, error-scale mode, marginal or latent form) decides which PyMC
graph is built, while the data (times, published values, error scales) and every prior
hyperparameter enter as ``pm.Data`` inputs. A compiled model can therefore be reused for
another data set or another prior setting without compiling again, which is what makes
sensitivity studies and backtests with dozens of variants affordable.

The model (decimal years ``t`` relative to :data:`flopcast.spec.T_REF`, log10 FLOP)::

    breaks      uniform over ordered dates in [break_lo, break_hi], eras >= min_era long
    level       ~ Normal(level_mu, level_sd)               trend value at the first break
    slopes[k]   ~ Normal(slope_mu, slope_sd)               log10 FLOP per year, era k
    jumps[k]    ~ Normal(0, jump_sd)                       (optional) level jump at break k
    scatter[k]  ~ HalfNormal(scatter_sd)                   intrinsic spread (one or per era)
    gamma       ~ Normal(0, scatter_trend_sd)              (scatter_trend only) the scatter at
                  t is scatter * exp(gamma * (t - t_last)), scatter its value at the last run
    nu          ~ Gamma(2, nu_rate)                        (Student-t scatter only)
    scale[g]    ~ LogNormal(0, error_scale_sd)             (error_scale="prior" only)
    x_i         ~ Normal(mu(t_i), scatter) or StudentT(nu, mu(t_i), scatter)   true value
    y_i         ~ Normal(x_i, sigma_i * scale[g_i])        published value

With breaks, the level is not sampled directly: the sampler moves the trend's value at the
runs' mean time (``level_anchor``, flat) and the level is derived from it, with the level's
Normal prior added as a potential. That shift has Jacobian 1, so the posterior is the same,
but its geometry is not: sampled directly, the level follows the break date along a bent
ridge, where NUTS diverged (see ``docs/explanation/sampling.md``).

*Marginal form* (Normal scatter): ``x`` is integrated out exactly,
``y_i ~ Normal(mu(t_i), sqrt(scatter^2 + sigma_i^2))``; each run's ``x_i`` is recovered after
sampling in closed form (:func:`flopcast.fitting.latent_posterior`).

*Latent form*: ``x_i`` is sampled, anchored on its observation (``x = y + sigma * e`` with
``e ~ Normal(0, 1)`` and the trend as a potential on ``x``). The Jacobian of that map cancels
the measurement density's normaliser, so the target is exactly the joint posterior; anchored
this way the sampler converges where centred and trend-centred forms do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from flopcast.runs.error_groups import ErrorModel
from flopcast.spec import ModelStructure
from flopcast.trend import era_weights, piecewise_trend, scatter_time_factor

if TYPE_CHECKING:
    import pymc as pm

# PyMC and PyTensor load inside the functions that build a model: the inputs, the error
# groups and the hyperparameters here are also what the quick paths (report, forecast,
# the command line's checks) need, and those must not pay for importing PyMC.

#: Every error group in a fixed order, so ``scale[g]`` has the same meaning in every fit.
ERROR_GROUPS: tuple[str, ...] = tuple(ErrorModel().groups()["group"])

#: Names of the ``pm.Data`` hyperparameter inputs, in a fixed order.
HYPERPARAMETERS: tuple[str, ...] = (
    "level_mu",
    "level_sd",
    "slope_mu",
    "slope_sd",
    "scatter_sd",
    "jump_sd",
    "break_lo",
    "break_hi",
    "min_era",
    "nu_rate",
    "error_scale_sd",
    "scatter_trend_sd",
)


@dataclass(frozen=True)
class ModelInputs:
    """Everything that enters the compiled model as data.

    ``t`` are years relative to ``T_REF``; ``y`` published log10 compute; ``sigma`` the
    nominal measurement sd (log10) of each run; ``group`` each run's index in
    :data:`ERROR_GROUPS`; ``hyper`` the prior hyperparameters named in
    :data:`HYPERPARAMETERS`; ``fixed_breaks`` (relative years) when the breaks are fixed.
    ``t_censored``, ``lower_censored``, ``sigma_censored``: runs whose compute is known only to
    be at least ``10**lower_censored`` (undisclosed runs above a dataset's floor); each adds
    its log survival probability to the likelihood (Normal scatter).
    """

    t: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    group: np.ndarray
    hyper: dict[str, float]
    fixed_breaks: np.ndarray | None = None
    t_censored: np.ndarray | None = None
    lower_censored: np.ndarray | None = None
    sigma_censored: np.ndarray | None = None

    def as_data(self) -> dict[str, Any]:
        """The values of every ``pm.Data`` input, by name."""
        values: dict[str, Any] = {
            "t": self.t.astype(float),
            "y": self.y.astype(float),
            "sigma": self.sigma.astype(float),
            "group": self.group.astype(np.int64),
        }
        values.update({k: np.asarray(float(self.hyper[k])) for k in HYPERPARAMETERS})
        if self.fixed_breaks is not None:
            values["fixed_breaks"] = np.asarray(self.fixed_breaks, dtype=float)
        if self.t_censored is not None:
            values["t_censored"] = np.asarray(self.t_censored, dtype=float)
            values["lower_censored"] = np.asarray(self.lower_censored, dtype=float)
            values["sigma_censored"] = np.asarray(self.sigma_censored, dtype=float)
        return values


def structure_key(structure: ModelStructure, inputs: ModelInputs | None = None) -> tuple:
    """What identifies a compiled graph: fields that change the graph, not its inputs
    (and whether ``inputs`` has censored runs, which add a term)."""
    censored = ("censored",) if inputs is not None and inputs.t_censored is not None else ()
    return (
        structure.breaks,
        structure.jump,
        structure.scatter,
        structure.scatter_per_era,
        structure.resolved_form,
        structure.error_scale,
        structure.fixed_breaks is not None,
        structure.scatter_trend,
        *censored,
    )


def build_model(structure: ModelStructure, inputs: ModelInputs) -> pm.Model:
    """Build the PyMC model for a structure, with ``inputs`` as its (replaceable) data.

    Parameters
    ----------
    structure
        The model structure from a spec.
    inputs
        Data and hyperparameters; replace them later with ``pm.set_data`` or nutpie's
        ``with_data`` without rebuilding.

    Returns
    -------
    pymc.Model

    Examples
    --------
    >>> import numpy as np
    >>> from flopcast.spec import ModelStructure, PriorSpec
    >>> inputs = ModelInputs(t=np.array([-5.0, 0.0, 5.0]), y=np.array([18.0, 20.0, 23.0]),
    ...                      sigma=np.full(3, 0.2), group=np.zeros(3, int),
    ...                      hyper=default_hyper(PriorSpec(), -10.0, 10.0))
    >>> sorted(v.name for v in build_model(ModelStructure(), inputs).free_RVs)
    ['break_gaps', 'level_anchor', 'scatter', 'slopes']
    """
    import pymc as pm
    import pytensor.tensor as pt

    n_breaks = structure.breaks
    coords: dict[str, Any] = {
        "break": np.arange(n_breaks),
        "era": np.arange(n_breaks + 1),
        "error_group": list(ERROR_GROUPS),
    }
    data = inputs.as_data()
    with pm.Model(coords=coords) as model:
        t = pm.Data("t", data["t"])
        y = pm.Data("y", data["y"])
        sigma_nominal = pm.Data("sigma", data["sigma"])
        h = {k: pm.Data(k, data[k]) for k in HYPERPARAMETERS}

        breaks = None
        if n_breaks > 0:
            if structure.fixed_breaks is not None:
                breaks = pm.Data("fixed_breaks", data["fixed_breaks"], dims="break")
                breaks = pt.specify_shape(breaks, (n_breaks,))
            else:
                # Ordered breaks with a minimum gap: Dirichlet-distributed slack between them.
                free = h["break_hi"] - h["break_lo"] - (n_breaks - 1) * h["min_era"]
                gaps = pm.Dirichlet("break_gaps", a=np.ones(n_breaks + 1))
                offsets = np.arange(n_breaks) * 1.0
                breaks = pm.Deterministic(
                    "breaks",
                    h["break_lo"] + offsets * h["min_era"] + pt.cumsum(gaps)[:n_breaks] * free,
                    dims="break",
                )
        slopes = pm.Normal(
            "slopes", h["slope_mu"], h["slope_sd"], dims="era", shape=(n_breaks + 1,)
        )
        jumps = (
            pm.Normal("jumps", 0.0, h["jump_sd"], dims="break", shape=(n_breaks,))
            if structure.jump
            else None
        )
        if breaks is None:
            level = pm.Normal("level", h["level_mu"], h["level_sd"])
        else:
            level = _level_from_anchor(t, slopes, breaks, jumps, h)
        mu = piecewise_trend(t, level, slopes, breaks, jumps, xp=pt)

        if structure.scatter_per_era:
            scatter = pm.HalfNormal("scatter", h["scatter_sd"], dims="era", shape=(n_breaks + 1,))
            weights = era_weights(t, breaks, xp=pt)
            scatter_i = pt.exp(sum(w * pt.log(scatter[k]) for k, w in enumerate(weights)))
        else:
            scatter = pm.HalfNormal("scatter", h["scatter_sd"])
            scatter_i = scatter
        time_trend = None
        if structure.scatter_trend:
            # Log-linear in time; ``scatter`` is its value at the last run (t_last).
            gamma = pm.Normal("scatter_trend", 0.0, h["scatter_trend_sd"])
            span = (pt.min(t), pt.max(t))
            scatter_i = scatter * scatter_time_factor(t, gamma, span, xp=pt)
            time_trend = (gamma, span)

        if structure.error_scale == "prior":
            group = pm.Data("group", data["group"])
            scale = pm.LogNormal(
                "error_scale",
                0.0,
                h["error_scale_sd"],
                dims="error_group",
                shape=(len(ERROR_GROUPS),),
            )
            sigma_i = sigma_nominal * scale[group]
        else:
            sigma_i = sigma_nominal

        if structure.resolved_form == "marginal":
            pm.Normal("y_obs", mu, pt.sqrt(scatter_i**2 + sigma_i**2), observed=y, shape=y.shape)
        else:
            e = pm.Normal("e", 0.0, 1.0, shape=y.shape)
            x = y + sigma_i * e
            if structure.scatter == "student_t":
                nu = pm.Gamma("nu", 2.0, h["nu_rate"])
                trend_dist = pm.StudentT.dist(nu=nu, mu=mu, sigma=scatter_i)
            else:
                trend_dist = pm.Normal.dist(mu=mu, sigma=scatter_i)
            pm.Potential("x_given_trend", pm.logp(trend_dist, x).sum())
        if inputs.t_censored is not None:
            _censored_term(data, structure, level, slopes, breaks, jumps, scatter, time_trend)
    return model


def _level_from_anchor(t, slopes, breaks, jumps, h) -> Any:
    """The level (trend just before the first break), sampled through the trend's value at
    the runs' mean time, with the level's own Normal prior kept exactly.

    Sampling the level directly puts a curved ridge in the posterior: the data fix the
    trend where runs are dense, so the level at the break moves with the break date at the
    slope of whichever era the break sits in, and NUTS diverged in the ridge's bend (break
    dates after 2015 on the bundled data). The trend's value at the runs' mean time
    (``level_anchor``) is pinned by the data whatever the break date. The map from
    ``(level_anchor, slopes, breaks, jumps)`` to ``(level, ...)`` is a shift of one
    coordinate, so its Jacobian is 1: a flat density on the anchor plus the level's Normal
    prior as a potential is the same posterior as before.
    """
    import pymc as pm
    import pytensor.tensor as pt

    anchor_time = pt.mean(t)[None]
    anchor = pm.Flat("level_anchor")
    rise = piecewise_trend(anchor_time, pt.zeros(()), slopes, breaks, jumps, xp=pt)[0]
    level = pm.Deterministic("level", anchor - rise)
    pm.Potential("level_prior", pm.logp(pm.Normal.dist(h["level_mu"], h["level_sd"]), level))
    return level


def _censored_term(data, structure, level, slopes, breaks, jumps, scatter, time_trend) -> None:
    """Runs known to be above a bound: right-censored in log compute, so each adds
    ``log P(y > bound) = log Phi((mu - bound) / sd)`` with ``sd = sqrt(scatter^2 + sigma^2)``
    (the marginal Normal form; the true value of a censored run is integrated out)."""
    import pymc as pm
    import pytensor.tensor as pt

    t_c = pm.Data("t_censored", data["t_censored"])
    lower = pm.Data("lower_censored", data["lower_censored"])
    sigma_c = pm.Data("sigma_censored", data["sigma_censored"])
    mu_c = piecewise_trend(t_c, level, slopes, breaks, jumps, xp=pt)
    if structure.scatter_per_era:
        weights = era_weights(t_c, breaks, xp=pt)
        scatter_c = pt.exp(sum(w * pt.log(scatter[k]) for k, w in enumerate(weights)))
    elif structure.scatter_trend:
        gamma, span = time_trend
        scatter_c = scatter * scatter_time_factor(t_c, gamma, span, xp=pt)
    else:
        scatter_c = scatter
    sd = pt.sqrt(scatter_c**2 + sigma_c**2)
    pm.Potential("censored_runs", pm.logccdf(pm.Normal.dist(mu_c, sd), lower).sum())


def default_hyper(priors, break_lo: float, break_hi: float) -> dict[str, float]:
    """Hyperparameter inputs from a :class:`~flopcast.spec.PriorSpec` and a break range."""
    return {
        "level_mu": priors.level_mu,
        "level_sd": priors.level_sd,
        "slope_mu": priors.slope_mu,
        "slope_sd": priors.slope_sd,
        "scatter_sd": priors.scatter_sd,
        "jump_sd": priors.jump_sd,
        "break_lo": break_lo,
        "break_hi": break_hi,
        "min_era": priors.min_era_years,
        "nu_rate": priors.nu_rate,
        "error_scale_sd": priors.error_scale_sd,
        "scatter_trend_sd": priors.scatter_trend_sd,
    }
