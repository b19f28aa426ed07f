"""Reuse a saved fit when it matches the spec, data and seed asked for; else fit again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flopcast.exceptions import FitLoadError
from flopcast.fitting import Fit
from flopcast.spec import ModelSpec

if TYPE_CHECKING:
    from flopcast.runs import RunTable

__all__ = ["load_or_fit"]


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys where two nested dicts differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]


def load_or_fit(
    spec: ModelSpec,
    data: RunTable,
    path: str | Path,
    *,
    seed: int | None = None,
    refit: bool = False,
    progress: bool | None = None,
) -> tuple[Fit, bool, str]:
    """Reuse the fit saved at ``path`` when its spec, data and seed match; else fit.

    A saved fit is reused only when it is complete (every draw asked for: a partial trace
    left by an interrupted sampler is never reused), its resolved spec (JSON) equals
    ``spec``'s, its data sha256 equals ``data.sha256`` and its seed equals ``seed``
    (default: the spec's).

    Parameters
    ----------
    spec : ModelSpec
    data : RunTable
        The runs to fit (from :func:`flopcast.load_runs` or :func:`flopcast.read_runs`).
    path : str or Path
        Where a previous report saved its fit (``OUT/fit.nc``).
    seed : int, optional
    refit : bool, default False
        Fit even when the saved fit matches.
    progress : bool, optional
        Sampler progress bar (default: when stderr is a terminal).

    Returns
    -------
    fit : Fit
    reused : bool
    message : str
        Which happened and why, for the user.

    Examples
    --------
    >>> fit, reused, why = load_or_fit(spec, flopcast.load_runs(), "reports/default/fit.nc")
    ... # doctest: +SKIP
    """
    from flopcast.fitting import load_fit

    path = Path(path)
    wanted_seed = spec.sampler.seed if seed is None else int(seed)
    if refit:
        reason = "refit asked for"
    elif not path.is_file():
        reason = f"no saved fit at {path}"
    else:
        try:
            saved = load_fit(path)
        except FitLoadError as exc:
            reason = f"the saved fit could not be read ({exc})"
        else:
            diff = _differences(saved.spec.to_dict(), spec.to_dict())
            if not saved.complete:
                reason = (
                    f"the saved fit {path} is partial ({saved.draws_actual} of "
                    f"{saved.draws_requested} draws: an interrupted sampler)"
                )
            elif diff:
                shown = ", ".join(diff[:5]) + (" ..." if len(diff) > 5 else "")
                reason = f"the saved fit {path} has a different spec (differs in {shown})"
            elif saved.data_sha256 != data.sha256:
                reason = (
                    f"the saved fit {path} was fitted to other data (sha256 "
                    f"{saved.data_sha256[:12]}…, now {data.sha256[:12]}…)"
                )
            elif saved.seed != wanted_seed:
                reason = f"the saved fit {path} used seed {saved.seed}, not {wanted_seed}"
            else:
                return (
                    saved,
                    True,
                    f"reused the saved fit {path} (same resolved spec, data sha256 and seed)",
                )
    from flopcast.fitting import fit as fit_spec  # loads PyMC: only when fitting

    result = fit_spec(data, spec, seed=wanted_seed, progress=progress)
    return result, False, f"fitted spec {spec.name!r}: {reason}"
