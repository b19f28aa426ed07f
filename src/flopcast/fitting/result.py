"""The fitted changepoint model: :class:`Fit`, saving and loading it, and its draws.

A :class:`Fit` holds the posterior draws (an ArviZ ``InferenceData``), the runs the model
saw, the resolved spec and the provenance (data hash, seed, package versions). It
summarises itself (:meth:`Fit.summary`, :meth:`Fit.latent`, :meth:`Fit.to_json_dict`),
saves to one NetCDF file (no pickle: loading reads arrays and JSON text and executes
nothing) and reloads with :func:`load_fit`.

Loading and summarising a fit imports no PyMC, PyTensor, nutpie or numba, so it is quick.
ArviZ imports numba when it is installed, so ArviZ loads only when it is needed: for
:attr:`Fit.idata` and for :meth:`Fit.save`. The sampler diagnostics (:attr:`Fit.diagnostics`,
printed by ``repr`` and written by :meth:`Fit.to_json_dict` and the report) are computed
when the model is fitted and saved in the fit file; a file saved before they were (no
``diagnostics_json`` attribute) computes them, with ArviZ, on first use.

The draw helpers (:func:`stack_draws`, :func:`trend_draws`, :func:`scatter_draws`,
:func:`measurement_sigma_draws`) serve the forecasts and figures too.
"""

from __future__ import annotations

import html
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from flopcast._version import __version__
from flopcast.display import summary_html, summary_text
from flopcast.exceptions import FitLoadError, FlopcastError
from flopcast.fitting.fitfile import check_structure, format_version, json_attr
from flopcast.fitting.latent import latent_posterior
from flopcast.formatting import jsonable
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns
from flopcast.spec import T_REF, ModelSpec
from flopcast.trend import era_weights, piecewise_trend, scatter_time_factor

if TYPE_CHECKING:
    import arviz as az

    from flopcast.fitting.diagnostics import Diagnostics

#: Version of the saved-fit layout; bump when it changes and keep old files loadable.
FIT_FORMAT = 1
#: Version of :meth:`Fit.to_json_dict`'s layout (the summary JSON).
JSON_VERSION = 2


# --------------------------------------------------------------------------------------
# Draws


def stack_draws(ds: xr.Dataset, name: str) -> np.ndarray:
    """Draws of one variable as ``(n_samples, ...)``."""
    da = ds[name]
    return da.values.reshape(da.sizes["chain"] * da.sizes["draw"], *da.shape[2:])


def trend_draws(posterior: xr.Dataset, years: np.ndarray) -> np.ndarray:
    """Posterior draws of the trend ``mu`` (log10 FLOP) at decimal ``years``: (samples, n)."""
    t = np.asarray(years, dtype=float) - T_REF
    breaks = stack_draws(posterior, "breaks") - T_REF if "breaks" in posterior else None
    jumps = stack_draws(posterior, "jumps") if "jumps" in posterior else None
    return piecewise_trend(
        t, stack_draws(posterior, "level"), stack_draws(posterior, "slopes"), breaks, jumps
    )


def scatter_draws(posterior: xr.Dataset, years: np.ndarray) -> np.ndarray:
    """Intrinsic scatter (dex) at each year for each draw: (samples, n)."""
    scatter = stack_draws(posterior, "scatter")
    if "scatter_trend" in posterior:  # smooth in time, held at its ends outside the data
        gamma, span = (stack_draws(posterior, k) for k in ("scatter_trend", "scatter_years"))
        return scatter[:, None] * scatter_time_factor(np.asarray(years, dtype=float), gamma, span)
    if scatter.ndim == 1:
        return np.broadcast_to(scatter[:, None], (scatter.shape[0], len(years)))
    t = np.asarray(years, dtype=float) - T_REF
    weights = era_weights(t, stack_draws(posterior, "breaks") - T_REF)
    return np.exp(sum(w * np.log(scatter[:, k : k + 1]) for k, w in enumerate(weights)))


def measurement_sigma_draws(posterior: xr.Dataset, inputs_sigma, group) -> np.ndarray:
    """Per-run measurement sd for each draw (nominal times the group scale if inferred)."""
    sigma = np.asarray(inputs_sigma, dtype=float)[None, :]
    if "error_scale" in posterior:
        return sigma * stack_draws(posterior, "error_scale")[:, np.asarray(group)]
    return sigma


# --------------------------------------------------------------------------------------
# The fitted object


class Fit:
    """A fitted changepoint model: posterior draws, the runs used, spec and provenance.

    Build with :func:`flopcast.fitting.fit` or :func:`load_fit`, not directly.

    Attributes
    ----------
    spec : ModelSpec
        The resolved spec.
    runs : pandas.DataFrame
        The runs the model saw, with their error groups (``sigma_log10``), decimal ``year``
        and ``log10_compute``.
    idata : arviz.InferenceData
        ``posterior`` (parameters and derived doubling times), ``sample_stats``,
        ``observed_data`` and ``constant_data``; ``log_likelihood`` for the marginal form.
    posterior : xarray.Dataset
        The ``posterior`` group.
    provenance : dict
        Data hash, seed, package versions, timings, selection log, exclusions.
    diagnostics : Diagnostics
        Sampler checks: as given (computed at fit time, or saved in the fit file), else
        computed on first use.
    """

    def __init__(
        self,
        spec: ModelSpec,
        runs: pd.DataFrame,
        idata: az.InferenceData | dict[str, xr.Dataset],
        provenance: dict[str, Any],
        diagnostics: Diagnostics | None = None,
    ) -> None:
        self.spec = spec
        self.runs = runs
        self.provenance = provenance
        # A loaded fit keeps its groups as plain datasets until someone asks for ``idata``
        # (an InferenceData is itself a Mapping, hence the test for a dict).
        self._groups: dict[str, xr.Dataset] | None = None
        self._idata: az.InferenceData | None = None
        if isinstance(idata, dict):
            self._groups = dict(idata)
        else:
            self._idata = idata
        if diagnostics is not None:  # fills the cached property below
            self.__dict__["diagnostics"] = diagnostics

    @property
    def idata(self) -> az.InferenceData:
        """The draws as ArviZ ``InferenceData`` (built on first use for a loaded fit)."""
        if self._idata is None:
            import arviz as az

            groups = self._groups or {}
            self._idata = az.InferenceData(**groups)  # type: ignore[arg-type]  # stub: **kwargs
        return self._idata

    def _group(self, name: str) -> xr.Dataset | None:
        if self._idata is None:
            return (self._groups or {}).get(name)
        return self._idata.get(name)

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """R-hat, ESS, divergences and chain agreement on the break dates.

        Saved with the fit; computed here (loading ArviZ) only for a fit file older than
        saved diagnostics.
        """
        from flopcast.fitting.diagnostics import compute_diagnostics

        sample_stats = self._group("sample_stats")
        return compute_diagnostics(
            self.posterior, xr.Dataset() if sample_stats is None else sample_stats
        )

    # -- convenience --------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        posterior = self._group("posterior")
        if posterior is None:
            raise FitLoadError("this fit has no posterior draws")
        return posterior

    @property
    def draws_requested(self) -> int:
        """Draws the spec asked for: ``sampler.chains * sampler.draws``."""
        return int(self.spec.sampler.chains * self.spec.sampler.draws)

    @property
    def draws_actual(self) -> int:
        """Draws in the posterior (fewer than requested after an interrupted sampler)."""
        post = self.posterior
        return int(post.sizes.get("chain", 0) * post.sizes.get("draw", 0))

    @property
    def complete(self) -> bool:
        """True when the posterior holds every draw asked for (not a partial trace)."""
        return self.draws_actual >= self.draws_requested > 0

    @property
    def seed(self) -> int:
        return int(self.provenance["seed"])

    @property
    def data_sha256(self) -> str:
        return str(self.provenance["data_sha256"])

    def trend(self, years: np.ndarray) -> np.ndarray:
        """Posterior draws of the trend (log10 FLOP) at decimal ``years``: (samples, n)."""
        return trend_draws(self.posterior, np.asarray(years, dtype=float))

    # -- summaries ----------------------------------------------------------------------
    def summary(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """Posterior medians and central credible intervals of the headline quantities.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``median``, ``ci90_low``, ``ci90_high``, ``unit``
            (the bound columns are named after the level, see
            :func:`flopcast.intervals.interval_columns`: ``ci50_low``... for ``level=0.5``).
            The level is also in ``.attrs["level"]`` (0.9 by default: a 90% credible
            interval, 5th to 95th percentile of the posterior).

        Examples
        --------
        >>> fit.summary().loc["doubling_months_era_2", ["median", "ci90_low", "ci90_high"]]
        ... # doctest: +SKIP
        """
        post = self.posterior
        rows: list[tuple[str, np.ndarray, str]] = []
        k = self.spec.model.breaks
        if "breaks" in post and self.spec.model.fixed_breaks is None:
            for i in range(k):
                rows.append((f"break_{i + 1}", stack_draws(post, "breaks")[:, i], "decimal year"))
        for i in range(k + 1):
            rows.append(
                (
                    f"doubling_months_era_{i + 1}",
                    stack_draws(post, "doubling_months")[:, i],
                    "months",
                )
            )
        for i in range(k + 1):
            rows.append(
                (
                    f"growth_per_year_era_{i + 1}",
                    stack_draws(post, "growth_per_year")[:, i],
                    "x/year",
                )
            )
        for i in range(k + 1):
            rows.append(
                (f"slope_era_{i + 1}", stack_draws(post, "slopes")[:, i], "log10 FLOP/year")
            )
        rows.append(
            (
                "level_at_first_break" if k else "level_at_2010",
                stack_draws(post, "level"),
                "log10 FLOP",
            )
        )
        if "jumps" in post:
            for i in range(k):
                rows.append((f"jump_{i + 1}", stack_draws(post, "jumps")[:, i], "dex"))
        scatter = stack_draws(post, "scatter")
        if scatter.ndim == 1:
            rows.append(("scatter", scatter, "dex"))
        else:
            for i in range(k + 1):
                rows.append((f"scatter_era_{i + 1}", scatter[:, i], "dex"))
        if "nu" in post:
            rows.append(("nu", stack_draws(post, "nu"), "degrees of freedom"))
        if "error_scale" in post:
            groups = self._error_groups()
            used = sorted(set(self.runs["error_group"]), key=groups.index)
            scales = stack_draws(post, "error_scale")
            for g in used:
                rows.append((f"error_scale[{g}]", scales[:, groups.index(g)], "x nominal"))
        low, high = interval_columns(level)
        table = pd.DataFrame(
            [(name, *central_interval(v, level), unit) for name, v, unit in rows],
            columns=["parameter", "median", low, high, "unit"],
        ).set_index("parameter")
        table.attrs["level"] = level
        return table

    def latent(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """Each run's posterior true compute next to its published value.

        Returns
        -------
        pandas.DataFrame
            One row per run: ``system``, ``date``, ``compute_flop`` (published),
            ``error_group``, ``sigma_log10``, ``true_median``, ``true_ci90_low``,
            ``true_ci90_high`` (FLOP; central credible interval at ``level``, the columns
            named after it as in :meth:`summary`) and ``shrinkage_dex`` (median minus
            published, log10 units).
        """
        x = self.latent_draws()
        med, lo, hi = central_interval(x, level, axis=0)
        low, high = interval_columns(level)
        out = self.runs[["system", "date", "compute_flop", "error_group", "sigma_log10"]].copy()
        out["true_median"] = 10.0**med
        out[f"true_{low}"] = 10.0**lo
        out[f"true_{high}"] = 10.0**hi
        out["shrinkage_dex"] = med - self.runs["log10_compute"].to_numpy()
        out.attrs["level"] = level
        return out

    def latent_draws(self) -> np.ndarray:
        """Draws of every run's true log10 compute: (samples, n_runs)."""
        post = self.posterior
        if "e" in post:
            sigma = measurement_sigma_draws(post, self.runs["sigma_log10"], self._group_index())
            return self.runs["log10_compute"].to_numpy()[None, :] + sigma * stack_draws(post, "e")
        years = self.runs["year"].to_numpy()
        mu = self.trend(years)
        scatter = scatter_draws(post, years)
        sigma = measurement_sigma_draws(post, self.runs["sigma_log10"], self._group_index())
        rng = np.random.default_rng([self.seed, 1])
        return latent_posterior(self.runs["log10_compute"].to_numpy(), mu, scatter, sigma, rng)

    def _error_groups(self) -> list[str]:
        """The error groups in the order of ``error_scale``'s entries, as saved with the draws."""
        return [str(g) for g in self.posterior["error_group"].values]

    def _group_index(self) -> np.ndarray:
        """Each run's position in ``error_scale`` (zeros when the scales were not inferred)."""
        if "error_group" not in self.posterior.coords:
            return np.zeros(len(self.runs), dtype=int)
        order = {g: i for i, g in enumerate(self._error_groups())}
        return self.runs["error_group"].map(order).to_numpy()

    def pointwise_log_likelihood(self) -> np.ndarray:
        """Marginal log-likelihood of each run for each draw: (chain, draw, run).

        Only for Normal scatter, where the true value integrates out in closed form.
        """
        if self.spec.model.scatter != "normal":
            raise FlopcastError(
                "pointwise log-likelihood (for LOO) needs Normal scatter; this fit uses "
                f"{self.spec.model.scatter!r}"
            )
        years = self.runs["year"].to_numpy()
        mu = self.trend(years)
        total = np.sqrt(
            scatter_draws(self.posterior, years) ** 2
            + measurement_sigma_draws(self.posterior, self.runs["sigma_log10"], self._group_index())
            ** 2
        )
        y = self.runs["log10_compute"].to_numpy()[None, :]
        ll = -0.5 * ((y - mu) / total) ** 2 - np.log(total) - 0.5 * np.log(2 * np.pi)
        c, d = self.posterior.sizes["chain"], self.posterior.sizes["draw"]
        return ll.reshape(c, d, -1)

    def to_json_dict(self) -> dict[str, Any]:
        """The documented scripting contract (see the docs, reference/file_formats).

        Every estimate is ``{"median": x, "ci90": [low, high]}`` (a 90% credible interval);
        the top-level ``json_version`` (:data:`JSON_VERSION`) changes when the layout does.
        """
        summary = self.summary()
        low, high = interval_columns()

        def estimate(name: str) -> dict[str, Any]:
            row = summary.loc[name]
            return {"median": row["median"], "ci90": [row[low], row[high]]}

        k = self.spec.model.breaks
        breaks = []
        for i in range(k):
            if self.spec.model.fixed_breaks is not None:
                v = float(self.spec.model.fixed_breaks[i])
                breaks.append({"median": v, "ci90": [v, v], "fixed": True})
            else:
                breaks.append({**estimate(f"break_{i + 1}"), "fixed": False})
        edges = [float(self.runs["year"].min())] + [b["median"] for b in breaks]
        edges += [float(self.runs["year"].max())]
        eras = []
        for i in range(k + 1):
            eras.append(
                {
                    "start": edges[i],
                    "end": edges[i + 1],
                    "doubling_months": estimate(f"doubling_months_era_{i + 1}"),
                    "growth_per_year": estimate(f"growth_per_year_era_{i + 1}"),
                }
            )
        diag = self.diagnostics
        return jsonable(
            {
                "json_version": JSON_VERSION,
                "flopcast_version": __version__,
                "spec": self.spec.to_dict(),
                "data": {
                    "source": self.provenance.get("data_source"),
                    "n_runs": len(self.runs),
                    "n_excluded": int(self.provenance.get("n_excluded", 0)),
                    "n_not_selected": int(
                        sum(s.get("n_removed", 0) for s in self.provenance.get("selection_log", []))
                    ),
                    "sha256": self.data_sha256,
                },
                "breaks": breaks,
                "eras": eras,
                "diagnostics": {
                    "max_rhat": diag.max_rhat,
                    "min_ess_bulk": diag.min_ess_bulk,
                    "min_ess_tail": diag.min_ess_tail,
                    "divergences": diag.divergences,
                    "chains_agree": diag.chains_agree,
                    "ok": diag.ok,
                    "problems": diag.problems,
                },
                "seed": self.seed,
                "versions": self.provenance.get("versions", {}),
            }
        )

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fit to one NetCDF file (posterior, data, spec, provenance).

        Returns the path written. Reload with :func:`load_fit`.
        """
        from flopcast.atomic import atomic_path

        path = Path(path)
        idata = self.idata.copy()
        attrs = {
            "flopcast_fit_format": FIT_FORMAT,
            "spec_json": self.spec.to_json(),
            "provenance_json": json.dumps(jsonable(self.provenance), sort_keys=True),
            # A partial trace (Ctrl-C during sampling) is saved as such, never as complete.
            "draws_requested": self.draws_requested,
            "draws_actual": self.draws_actual,
            "complete": int(self.complete),
            "diagnostics_json": json.dumps(self.diagnostics.to_saved_dict()),
        }
        idata["posterior"].attrs.update(attrs)
        with atomic_path(path) as tmp:
            idata.to_netcdf(str(tmp), engine="h5netcdf")
        return path

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        header = (
            f"flopcast Fit: spec {self.spec.name!r}, {len(self.runs)} runs, "
            f"{self.diagnostics.n_draws} draws (seed {self.seed})"
        )
        return summary_text(header, self.summary(), self.diagnostics)

    def _repr_html_(self) -> str:
        title = (
            f"<b>flopcast Fit</b>: spec <code>{html.escape(self.spec.name)}</code>, "
            f"{len(self.runs)} runs"
        )
        return summary_html(title, self.summary(), self.diagnostics)


_RUN_COLUMNS_SAVED = (
    "system",
    "date",
    "compute_flop",
    "method",
    "confidence",
    "domain",
    "organization",
    "error_group",
    "error_factor",
    "sigma_log10",
    "sigma_source",
    "year",
    "log10_compute",
)


#: Run columns a saved fit must carry (the others are optional).
_RUN_COLUMNS_REQUIRED = ("system", "date", "compute_flop", "sigma_log10", "year", "log10_compute")


def _runs_to_dataset(runs: pd.DataFrame) -> xr.Dataset:
    data = {}
    for column in _RUN_COLUMNS_SAVED:
        if column not in runs.columns:
            continue
        values = runs[column]
        if column == "date":
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            values = values.fillna("").astype(str).to_numpy(dtype=object)
        else:
            values = values.to_numpy(dtype=float)
        data[column] = ("run", values)
    return xr.Dataset(data, coords={"run": np.arange(len(runs))})


def _dataset_to_runs(ds: xr.Dataset) -> pd.DataFrame:
    runs = pd.DataFrame({name: ds[name].values for name in ds.data_vars})
    runs["date"] = pd.to_datetime(runs["date"], format="%Y-%m-%d")
    for column in runs.columns:
        if runs[column].dtype == object:
            runs[column] = runs[column].astype(str)
    return runs


def load_fit(path: str | Path) -> Fit:
    """Load a fit saved with :meth:`Fit.save`.

    Reads NetCDF arrays and JSON attributes only; nothing in the file is executed. Every
    way a file can be unusable raises :class:`~flopcast.exceptions.FitLoadError` naming
    what is wrong: not a NetCDF file, not a flopcast fit, a newer or damaged format version,
    metadata that is not JSON text (a pickle or opaque blob is refused, never read), a
    missing group or variable, an empty posterior, damaged run dates, or a posterior that
    does not match the saved spec (e.g. 2 breaks in the spec, none in the draws). A partial
    trace loads, with :attr:`Fit.complete` false.

    Examples
    --------
    >>> fit = load_fit("reports/default/fit.nc")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise FitLoadError(f"{path}: no such file")
    try:
        groups = _read_groups(path)
    except Exception as exc:  # h5py/xarray raise many types for a non-NetCDF file
        raise FitLoadError(f"{path}: not a NetCDF file flopcast can read ({exc})") from None
    if "posterior" not in groups:
        raise FitLoadError(f"{path}: not a flopcast fit (no posterior group)")
    attrs = groups["posterior"].attrs
    if "flopcast_fit_format" not in attrs:
        raise FitLoadError(f"{path}: not a flopcast fit (no flopcast_fit_format attribute)")
    version = format_version(path, attrs["flopcast_fit_format"])
    if version > FIT_FORMAT:
        raise FitLoadError(
            f"{path}: fit format {version} is newer than this flopcast reads ({FIT_FORMAT}); "
            "upgrade flopcast"
        )
    spec_values = json_attr(path, attrs, "spec_json")
    provenance_info = json_attr(path, attrs, "provenance_json")
    if not isinstance(spec_values, dict) or not isinstance(provenance_info, dict):
        raise FitLoadError(f"{path}: damaged flopcast fit metadata (not JSON objects)")
    try:
        spec = ModelSpec.from_dict(spec_values, origin=f"{path} (saved spec)")
    except FlopcastError as exc:
        raise FitLoadError(f"{path}: the saved spec is not valid: {exc}") from None
    for key in ("seed", "data_sha256"):
        if key not in provenance_info:
            raise FitLoadError(f"{path}: damaged flopcast fit metadata (no {key!r})")
    runs = _load_runs(path, groups)
    check_structure(path, spec, groups["posterior"])
    return Fit(spec, runs, groups, provenance_info, _saved_diagnostics(attrs))


def _saved_diagnostics(attrs: Any) -> Diagnostics | None:
    """The diagnostics saved with a fit; None for older files (computed on first use)."""
    from flopcast.fitting.diagnostics import Diagnostics

    text = attrs.get("diagnostics_json")
    if not text:
        return None
    try:
        return Diagnostics.from_dict(json.loads(text))
    except (TypeError, ValueError):  # damaged: recompute from the draws
        return None


def _load_runs(path: Path, groups: dict[str, xr.Dataset]) -> pd.DataFrame:
    if "constant_data" not in groups:
        raise FitLoadError(f"{path}: damaged flopcast fit (no constant_data group: the runs)")
    ds = groups["constant_data"]
    missing = [c for c in _RUN_COLUMNS_REQUIRED if c not in ds.data_vars]
    if missing:
        raise FitLoadError(f"{path}: damaged flopcast fit (the runs lack {missing})")
    try:
        runs = _dataset_to_runs(ds)
    except (ValueError, TypeError) as exc:
        raise FitLoadError(f"{path}: damaged flopcast fit (run dates: {exc})") from None
    if len(runs) == 0:
        raise FitLoadError(f"{path}: damaged flopcast fit (no runs)")
    for column in ("year", "log10_compute", "sigma_log10"):
        values = pd.to_numeric(runs[column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise FitLoadError(f"{path}: damaged flopcast fit (non-finite run {column})")
    return runs


def _read_groups(path: Path) -> dict[str, xr.Dataset]:
    """Every group of a saved ``InferenceData``, read into memory as ArviZ would read it.

    Read with xarray rather than ``arviz.from_netcdf`` because importing ArviZ imports numba.
    """
    import h5netcdf

    with h5netcdf.File(str(path), mode="r") as handle:
        names = list(handle.groups)
    groups = {}
    for name in names:
        with xr.open_dataset(str(path), group=f"/{name}", engine="h5netcdf") as data:
            groups[name] = data.load()
    return groups
