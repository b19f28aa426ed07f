"""Each run's true compute given its published value, in closed form (the marginal model).

The marginal form of the model integrates every run's true value out of the likelihood;
:func:`latent_posterior` draws it back afterwards, one draw per posterior draw, so a
marginal fit reports the same per-run posterior a latent-form fit samples directly.
"""

from __future__ import annotations

import numpy as np


def latent_posterior(
    y: np.ndarray,
    mu: np.ndarray,
    scatter: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of each run's true log10 compute given its published value, in closed form.

    With ``x ~ Normal(mu, scatter)`` and ``y ~ Normal(x, sigma)``, the conditional posterior is
    ``Normal(m, s)`` with ``1/s^2 = 1/scatter^2 + 1/sigma^2`` and
    ``m = s^2 (y / sigma^2 + mu / scatter^2)``. One draw of ``x`` per posterior draw.

    Examples
    --------
    Equal trend and measurement spread: the mean is halfway between trend and observation
    and the spread is ``sqrt(1/2)``.

    >>> rng = np.random.default_rng(0)
    >>> x = latent_posterior(np.array([22.0]), np.full((20000, 1), 20.0), np.ones((1, 1)),
    ...                      np.ones((1, 1)), rng)
    >>> round(float(x.mean()), 1), round(float(x.std()), 1)
    (21.0, 0.7)
    """
    precision = 1.0 / scatter**2 + 1.0 / sigma**2
    var = 1.0 / precision
    mean = var * (y[None, :] / sigma**2 + mu / scatter**2)
    return mean + np.sqrt(var) * rng.standard_normal(mean.shape)
