"""Training cost: compute divided by hardware price-performance and utilization.

The cost of a training run is modelled as (DESIGN.md section 6)::

    cost [USD of base_year] = compute [FLOP] / (FLOP_per_USD(t) * utilization)

* ``FLOP_per_USD(t)`` is the *peak* FLOP a dollar buys at date ``t``, from a Bayesian
  log-linear trend fitted to accelerator price quotes (:func:`fit_price_performance`)::

      log10(FLOP per USD)_i ~ StudentT(nu, level + slope * (t_i - 2015), scatter)

  One quote gives one point: for cloud prices ``peak FLOP/s * 3600 / (USD per chip-hour,
  on demand)``; for purchase prices the peak FLOP a chip delivers over a useful life
  (3 years by default) per dollar of its price, ``peak FLOP/s * life [s] / USD``. Purchase
  prices cover the chip only: power, cooling, hosting, networking, staff and the rest of the
  server are **not** included, so purchase-based costs are lower bounds on ownership cost.
  Prices are in constant dollars of ``base_year`` (2023 by default), deflated with the
  bundled price index (FRED PCU518210518210, data processing and hosting services).
* ``utilization`` is the fraction of peak FLOP/s a training run achieves (model FLOP
  utilization), with the prior :class:`UtilizationPrior` (Beta(8, 16): mean 33%, the source
  analysis's GPU value; 90% interval 19%-50%, the spread of the runs above 1e24 FLOP that
  report it).

:func:`cost_draws` combines posterior draws of compute with draws of the price-performance
trend and of utilization, so both uncertainties reach the cost interval;
:func:`cross_check_costs` compares the model's cost with the cost Epoch AI records for the
runs that have one.

The modules, one job each:

* :mod:`~flopcast.cost.deflation`: the price index and constant dollars
  (:func:`load_price_index`, :func:`constant_dollars`);
* :mod:`~flopcast.cost.quotes`: the price quotes, which are usable and why the others are
  not (:func:`price_performance_table`);
* :mod:`~flopcast.cost.price_performance`: the Bayesian trend, its compiled-model cache and
  sampler (:func:`fit_price_performance`, :class:`PricePerformanceFit`);
* :mod:`~flopcast.cost.posterior_cache`: its draws kept on disk between processes;
* :mod:`~flopcast.cost.utilization`: the utilization prior and the runs' recorded values
  (:class:`UtilizationPrior`, :func:`utilization_evidence`);
* :mod:`~flopcast.cost.draws`: cost draws from compute, price-performance and utilization
  draws (:func:`cost_draws`);
* :mod:`~flopcast.cost.crosscheck`: the model against Epoch's recorded costs
  (:func:`cross_check_costs`).
"""

from __future__ import annotations

from flopcast.cost.crosscheck import CostCrossCheck, cross_check_costs
from flopcast.cost.deflation import BASE_YEAR, constant_dollars, load_price_index
from flopcast.cost.draws import cost_draws
from flopcast.cost.price_performance import (
    LIKELIHOODS,
    PP_T_REF,
    PricePerformanceFit,
    PricePerformancePriors,
    build_price_performance_model,
    clear_price_performance_cache,
    fit_price_performance,
)
from flopcast.cost.quotes import (
    MAX_DAYS_BEFORE_RELEASE,
    ML_TYPES,
    SECONDS_PER_YEAR,
    USEFUL_LIFE_YEARS,
    PricePerformanceTable,
    price_performance_table,
)
from flopcast.cost.utilization import UtilizationPrior, utilization_evidence
from flopcast.exceptions import PricePerformanceSamplingWarning

__all__ = [
    "BASE_YEAR",
    "LIKELIHOODS",
    "MAX_DAYS_BEFORE_RELEASE",
    "ML_TYPES",
    "PP_T_REF",
    "SECONDS_PER_YEAR",
    "USEFUL_LIFE_YEARS",
    "CostCrossCheck",
    "PricePerformanceFit",
    "PricePerformancePriors",
    "PricePerformanceSamplingWarning",
    "PricePerformanceTable",
    "UtilizationPrior",
    "build_price_performance_model",
    "clear_price_performance_cache",
    "constant_dollars",
    "cost_draws",
    "cross_check_costs",
    "fit_price_performance",
    "load_price_index",
    "price_performance_table",
    "utilization_evidence",
]
