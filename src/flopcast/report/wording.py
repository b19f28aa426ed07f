"""Phrases the report repeats: the names of its intervals, what they mean, what was fitted."""

from __future__ import annotations

import math

from flopcast.figures.forecast import usd_label
from flopcast.fitting import Fit
from flopcast.intervals import CI_LEVEL, level_percent

__all__ = [
    "CREDIBLE",
    "INTERVAL_MEANING",
    "PCT",
    "PREDICTIVE",
    "sentence",
    "subject",
    "threshold_label",
]

#: The level of every interval in the report, as a whole percentage.
PCT = level_percent(CI_LEVEL)
#: "90% credible interval": where the trend or a parameter lies.
CREDIBLE = f"{PCT}% credible interval"
#: "90% predictive interval": where one new run would fall.
PREDICTIVE = f"{PCT}% predictive interval"
#: What the two intervals mean, said once in the key findings.
INTERVAL_MEANING = (
    f"A {CREDIBLE} contains the quantity with {PCT}% posterior probability, given the model, "
    f"its priors and the data (the 5th to 95th percentile of the posterior draws). A "
    f"{PREDICTIVE} is where one individual new run would fall with {PCT}% probability: it adds "
    "the scatter of runs around the trend. Both are conditional on the model's structure "
    "(number of breaks, measurement-error factors); the sensitivity study and the "
    "backtest show how much that matters."
)


def sentence(text: str) -> str:
    """``text`` stripped, with a full stop unless it already ends a sentence."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def subject(fit: Fit) -> str:
    """What the fit's trend describes: the typical run, or the frontier runs it selects."""
    rule = fit.spec.frontier.rule
    if rule == "top_n":
        return f"frontier runs (top {fit.spec.frontier.n} by compute when published)"
    if rule == "residual":
        return (
            f"frontier runs (more than {fit.spec.frontier.threshold_dex:g} dex above a first "
            "fit's trend)"
        )
    return "the typical training run"


def threshold_label(quantity: str, value: float) -> str:
    """A forecast threshold as a label: ``1e27 FLOP`` or ``$1 billion``."""
    if quantity == "compute_flop":
        return f"1e{math.log10(value):.0f} FLOP" if value > 0 else "0 FLOP"
    return usd_label(value)
