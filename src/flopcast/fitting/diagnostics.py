"""Sampler health checks shared by every fitted model (compute trend, price-performance).

Thresholds follow Vehtari et al. (2021): rank-normalised split R-hat at most 1.01 and bulk
and tail ESS of at least 400 (100 per chain for four chains); any post-warm-up divergence
is a problem. A single chain is a problem too, because R-hat cannot be computed from it.

:func:`sampler_diagnostics` checks any posterior (the price-performance fit uses it too);
:func:`compute_diagnostics` adds the changepoint model's check that chains agree on each
break date. Both load ArviZ (which imports numba); :class:`Diagnostics` itself does not, so
diagnostics saved with a fit are read back (:meth:`Diagnostics.from_dict`) without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import xarray as xr

#: Largest acceptable R-hat.
RHAT_MAX = 1.01
#: Smallest acceptable bulk and tail effective sample size.
ESS_MIN = 400
#: The changepoint model's sampled parameters (not derived quantities) that R-hat and ESS
#: are computed on; ``e`` is the latent form's standardised true values.
MODEL_PARAMETERS: tuple[str, ...] = (
    "breaks",
    "level",
    "slopes",
    "jumps",
    "scatter",
    "scatter_trend",
    "nu",
    "error_scale",
    "e",
)


@dataclass(frozen=True)
class Diagnostics:
    """Sampler health. ``ok`` is False when any check fails; ``problems`` says which.

    ``chains_agree`` and ``chain_break_medians`` hold one entry per break date (empty for
    models without breaks); ``subject`` and ``advice`` word the warning block.
    """

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    n_draws: int
    chains_agree: list[bool] = field(default_factory=list)
    chain_break_medians: list[list[float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    subject: str = ""
    advice: str = "Try more tuning steps and draws."

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The diagnostics as plain values."""
        return {
            "max_rhat": self.max_rhat,
            "min_ess_bulk": self.min_ess_bulk,
            "min_ess_tail": self.min_ess_tail,
            "divergences": self.divergences,
            "n_draws": self.n_draws,
            "chains_agree": list(self.chains_agree),
            "chain_break_medians": list(self.chain_break_medians),
            "ok": self.ok,
            "problems": list(self.problems),
        }

    def to_saved_dict(self) -> dict[str, Any]:
        """Every field, for saving with a fit (read back by :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Diagnostics:
        """Diagnostics from :meth:`to_saved_dict` (or :meth:`to_dict`) output.

        Keys that are not fields (``ok``) are ignored.

        Examples
        --------
        >>> d = Diagnostics(1.0, 900.0, 800.0, 0, 4000, problems=[])
        >>> Diagnostics.from_dict(d.to_saved_dict()) == d
        True
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def warning_block(self) -> str:
        """A loud, multi-line warning when any check failed; empty when all passed."""
        if self.ok:
            return ""
        bar = "!" * 78
        heading = f"{self.subject} SAMPLING PROBLEMS" if self.subject else "SAMPLING PROBLEMS"
        lines = [bar, f"{heading}: do not trust these numbers until they are fixed", bar]
        lines += [f"  - {p}" for p in self.problems]
        lines += [f"  {self.advice}", bar]
        return "\n".join(lines)


def sampler_diagnostics(
    posterior: xr.Dataset,
    sample_stats: xr.Dataset | None,
    names: Sequence[str],
    *,
    subject: str = "",
    advice: str = "Try more tuning steps and draws.",
) -> Diagnostics:
    """R-hat, bulk/tail ESS over the named variables (constant ones skipped), divergences.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> post = xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(4, 1000)))})
    >>> sampler_diagnostics(post, None, ["a"]).ok
    True
    """
    import arviz as az

    used = [n for n in names if n in posterior and float(posterior[n].std()) > 0]
    subset = posterior[used]
    n_chains = posterior.sizes["chain"]
    max_rhat = float(az.rhat(subset).to_array().max()) if n_chains > 1 else float("nan")
    min_bulk = float(az.ess(subset, method="bulk").to_array().min())
    min_tail = float(az.ess(subset, method="tail").to_array().min())
    divergences = (
        int(np.asarray(sample_stats["diverging"]).sum())
        if sample_stats is not None and "diverging" in sample_stats
        else 0
    )
    problems = []
    if n_chains < 2:
        problems.append("one chain only: R-hat cannot be computed")
    elif max_rhat > RHAT_MAX:
        problems.append(f"max R-hat {max_rhat:.3f} > {RHAT_MAX}")
    if min_bulk < ESS_MIN:
        problems.append(f"min bulk ESS {min_bulk:.0f} < {ESS_MIN}")
    if min_tail < ESS_MIN:
        problems.append(f"min tail ESS {min_tail:.0f} < {ESS_MIN}")
    if divergences:
        problems.append(f"{divergences} divergent transition(s) after warm-up")
    n_draws = int(posterior.sizes["chain"] * posterior.sizes["draw"])
    return Diagnostics(
        max_rhat,
        min_bulk,
        min_tail,
        divergences,
        n_draws,
        problems=problems,
        subject=subject,
        advice=advice,
    )


#: Largest acceptable spread of chain medians of a break date (max minus min), in units of
#: the median within-chain standard deviation (robust: interquartile range / 1.349). With
#: four chains of 1000 draws simulated as AR(1) series, the 99.9th percentile of this ratio
#: is 0.29 at a bulk ESS of 400 per chain, 0.55 at 100 per chain (the least that passes
#: :data:`ESS_MIN` with four chains) and 0.75 at 50 per chain; when one to three of the four
#: chains sit in a second mode one within-chain sd away it exceeds 0.75 in 99.8% of
#: simulations, and in all of them at 1.5 sd. See ``docs/explanation/sampling.md``.
CHAIN_SPREAD_MAX = 0.75


@dataclass(frozen=True)
class ChainAgreement:
    """Whether the chains agree on one scalar quantity (a break date).

    ``medians`` are the chain medians; ``spread`` is their range divided by the median
    within-chain (robust) standard deviation; ``agree`` is ``spread <= threshold``.
    """

    medians: list[float]
    spread: float
    threshold: float

    @property
    def agree(self) -> bool:
        """True when the chain medians are close relative to the posterior's width."""
        return bool(self.spread <= self.threshold)


def chain_agreement(draws: Any, threshold: float = CHAIN_SPREAD_MAX) -> ChainAgreement:
    """Compare the spread of chain medians with the posterior's within-chain spread.

    Parameters
    ----------
    draws
        Draws of one scalar, shape ``(chain, draw)``.
    threshold
        Largest acceptable ``(max - min of chain medians) / within-chain sd``, where the
        within-chain sd is the median over chains of ``IQR / 1.349``.

    Returns
    -------
    ChainAgreement

    Notes
    -----
    A fixed tolerance in years fires on tiny differences when the posterior is wide and
    misses real disagreement when it is narrow; this ratio is scale-free. Its threshold
    :data:`CHAIN_SPREAD_MAX` is set by simulation so that it rarely fires on well-mixed
    chains with the effective sample size that passes :data:`ESS_MIN`, and reliably fires
    when chains are stuck in modes one within-chain sd apart. A constant quantity agrees.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> chain_agreement(rng.normal(size=(4, 1000))).agree
    True
    >>> chain_agreement(rng.normal(size=(4, 1000)) + np.array([[0], [0], [0], [3]])).agree
    False
    """
    x = np.asarray(draws, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"draws must have shape (chain, draw), got {x.shape}")
    medians = np.median(x, axis=1)
    q_lo, q_hi = np.quantile(x, [0.25, 0.75], axis=1)
    within = float(np.median((q_hi - q_lo) / 1.349))
    span = float(medians.max() - medians.min())
    if span == 0.0:
        spread = 0.0
    elif within > 0.0:
        spread = span / within
    else:
        spread = float("inf")
    return ChainAgreement([float(m) for m in medians], spread, float(threshold))


def compute_diagnostics(posterior: xr.Dataset, sample_stats: xr.Dataset | None) -> Diagnostics:
    """Sampler checks over every sampled parameter, plus agreement of chains on each break.

    A break's chains agree when the spread of their medians is small next to the
    posterior's width (:func:`chain_agreement`); R-hat is checked above.
    """
    base = sampler_diagnostics(
        posterior,
        sample_stats,
        MODEL_PARAMETERS,
        advice="Try more tuning/draws (sampler.tune, sampler.draws), fewer breaks, "
        "or fixed breaks.",
    )
    if "breaks" not in posterior or float(posterior["breaks"].std()) == 0:
        return base
    breaks = posterior["breaks"].transpose("chain", "draw", "break").values
    agree: list[bool] = []
    medians: list[list[float]] = []
    problems = list(base.problems)
    for k in range(breaks.shape[-1]):
        check = chain_agreement(breaks[..., k])
        agree.append(check.agree)
        medians.append([round(v, 3) for v in check.medians])
        if not check.agree:
            problems.append(
                f"chains disagree on break {k + 1} (chain medians {medians[k]}, "
                f"{check.spread:.2f} within-chain sd apart): the break-date posterior "
                "may be multimodal"
            )
    return replace(base, chains_agree=agree, chain_break_medians=medians, problems=problems)
