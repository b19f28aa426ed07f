"""The report's frontier model: which fit the report's frontier numbers come from.

On the rolling-origin backtest's development origins (1 July 2012-2017) the frontier spec
``frontier_2008_all`` (runs published since 2008 that were among the 10 largest of all runs
when published, one trend, Normal scatter, future slope changes of ln-sd 0.15) forecast
later frontier runs best of every variant tried (log score -1.790, against -1.967 for the
earlier choice ``frontier_2008_t`` and -2.76 for the default ``two_eras`` fit's population
quantile; docs: explanation/backtests). So a report of a
full-population spec takes its frontier numbers (frontier compute and cost, threshold
crossings, limits) from a fit of that frontier spec, saved beside the report as
``frontier_fit.nc`` and reused like ``fit.nc`` (:func:`flopcast.report.load_or_fit`); the
population fit still gives the eras, doubling times, the typical run and the counts.
``flopcast report --frontier-spec population`` keeps the population quantile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flopcast.exceptions import FlopcastError
from flopcast.spec import ModelSpec

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = [
    "DEFAULT_FRONTIER_SPEC",
    "FIT_FILE",
    "FRONTIER_FIT_FILE",
    "POPULATION",
    "frontier_model_note",
    "resolve_frontier_spec",
]

#: The frontier spec chosen on the backtest's development origins (the report's default).
DEFAULT_FRONTIER_SPEC = "frontier_2008_all"
#: ``--frontier-spec`` value that keeps the population fit's own frontier (a high quantile).
POPULATION = "population"
#: File names of the saved fits in a report folder.
FIT_FILE = "fit.nc"
FRONTIER_FIT_FILE = "frontier_fit.nc"
#: Where the choice of the frontier model is documented.
BACKTESTS_DOC = "docs/explanation/backtests.md"


def resolve_frontier_spec(value: str | None, spec: ModelSpec) -> ModelSpec | None:
    """The frontier spec a report of ``spec`` fits, or None (the fit's own frontier).

    Parameters
    ----------
    value : str or None
        A shipped spec name, a spec file, ``"population"`` (no frontier fit) or None:
        :data:`DEFAULT_FRONTIER_SPEC` for a full-population ``spec``, none for a spec that
        selects frontier runs itself.
    spec : ModelSpec
        The report's spec.

    Returns
    -------
    ModelSpec or None

    Raises
    ------
    FlopcastError
        Naming the value: an unknown spec, a spec without a frontier rule, or a frontier
        spec given for a report whose spec is already a frontier spec.

    Examples
    --------
    >>> from flopcast.spec import load_spec
    >>> resolve_frontier_spec(None, load_spec("two_eras")).name
    'frontier_2008_all'
    >>> resolve_frontier_spec("population", load_spec("two_eras")) is None
    True
    >>> resolve_frontier_spec(None, load_spec("frontier")) is None
    True
    """
    from flopcast.spec import load_spec

    own_frontier = spec.frontier.rule != "none"
    if value is None:
        return None if own_frontier else load_spec(DEFAULT_FRONTIER_SPEC)
    if value == POPULATION:
        if own_frontier:
            raise FlopcastError(
                f"--frontier-spec {value}: spec {spec.name!r} selects frontier runs itself "
                "and has no population quantile; leave --frontier-spec out"
            )
        return None
    if own_frontier:
        raise FlopcastError(
            f"--frontier-spec {value}: spec {spec.name!r} already selects frontier runs "
            f"(frontier.rule = {spec.frontier.rule!r}), so its own trend is the frontier; "
            "leave --frontier-spec out"
        )
    try:
        front = load_spec(value)
    except FlopcastError as exc:
        raise FlopcastError(f"--frontier-spec {value}: {exc}") from exc
    if front.frontier.rule == "none":
        raise FlopcastError(
            f"--frontier-spec {value}: spec {front.name!r} has no frontier rule (it fits every "
            f"run); give a frontier spec such as {DEFAULT_FRONTIER_SPEC!r}, or {POPULATION!r}"
        )
    return front


def frontier_model_note(fc: Forecast | None, *, skill_section: bool = False) -> str:
    """One paragraph on where the report's frontier numbers come from ("" without a
    forecast or for a frontier fit's own trend).

    Parameters
    ----------
    fc : Forecast or None
    skill_section : bool, default False
        Whether the report has a "Forecast skill" section to point to.

    Returns
    -------
    str
    """
    if fc is None:
        return ""
    front = fc.frontier
    where = f"the Forecast skill section and {BACKTESTS_DOC}" if skill_section else BACKTESTS_DOC
    if front.separate:
        chosen = (
            "the frontier model chosen on the rolling-origin backtest's development origins "
            "(1 July 2012-2017), where it forecast later frontier runs better than every "
            "other variant tried and than the population quantile"
            if front.spec_name == DEFAULT_FRONTIER_SPEC
            else f"a frontier model given for this report (the default, chosen on the "
            f"backtest's development origins, is {DEFAULT_FRONTIER_SPEC!r})"
        )
        sha = f", data sha256 {front.data_sha256[:12]}" if front.data_sha256 else ""
        return (
            f"The frontier numbers (frontier compute, its cost, threshold crossings and limits) "
            f"come from a separate fit of the frontier spec {front.spec_name!r}{sha}: "
            f"{chosen}; see {where}. The eras, doubling times, the typical run and the counts "
            f"of runs above thresholds come from the full-population fit {fc.spec_name!r}."
        )
    if front.kind == "quantile":
        return (
            f"The frontier numbers come from a high population quantile of the fit "
            f"{fc.spec_name!r} (--frontier-spec {POPULATION}), not from the frontier model "
            f"chosen on the backtest's development origins ({DEFAULT_FRONTIER_SPEC!r}), which "
            f"forecast later frontier runs better there; see {where}."
        )
    return ""
