"""Sensitivity studies: refit a base spec under named variations and compare the answers.

A *study spec* is a TOML file in ``models/`` that names a base model spec and a list of
variations. Each variation has a short ``label``, the ``question`` it answers (as a policy
brief would put it) and dotted ``overrides`` of any model-spec field (``errors.coverage``,
``model.breaks``, ``frontier.n``, ``data.select``, ``sampler.draws``, ``forecast.horizon``,
...) or of the study-level forecast options (``options.price_performance``,
``options.utilization_mean``, ``options.regime_changes``)::

    name = "my_study"
    description = "How robust is the post-2010 doubling time?"
    base = "two_eras"                 # a shipped spec name or a path (relative to this file)

    [overrides]                       # applied to the base and to every variant
    "sampler.draws" = 1000

    [options]                         # forecast options of the base (variants may override)
    price_performance = "purchase"    # purchase | cloud | none (no cost forecast)
    utilization_mean = 0.333          # mean of the Beta utilization prior (default Beta(8, 16))
    regime_changes = "auto"           # auto | on | off (future breaks in the forecast)

    [[variants]]
    label = "errors_10x"
    question = "What if modern compute estimates are off by 10x, not 2-3x?"
    overrides = { "errors.modern_method_factors" = { counted = 10.0, hardware = 10.0 } }

Studies are validated as strictly as specs, before anything runs: unknown keys get a "did
you mean" hint, and every variant's spec is built (base + common overrides + its own) and
validated, with errors naming the variant (:func:`load_study`).

:func:`run_study` fits and forecasts the base and every variant and returns a
:class:`StudyResult`: one row per variant with break dates, doubling times per era, the
frontier's compute and training cost in mid-2030, the dates the frontier trend reaches
1e27 FLOP and $1B, diagnostics, timings and a status (``"ok"``, ``"diagnostics failed"`` or
``"error: ..."``). A variant that raises or fails its diagnostics is marked and the others
go on. Every number is a posterior median with its 90% credible interval (5th to 95th
percentile; columns ``X``, ``X_lo``, ``X_hi``).

Speed. Variants run in worker processes (one per core by default), each a single-process
``ProcessPoolExecutor`` ("lane") started with the ``forkserver`` context (``spawn`` where
that is unavailable), which imports PyMC once and forks workers from it. Compiling a model
structure costs 20-40 s while sampling a variant costs seconds, so the runner keeps an
affinity schedule: a free worker first takes a variant whose structure it has already
compiled (:data:`flopcast.fitting._COMPILED` persists in the worker), then a structure no
worker has compiled yet (largest expected work first), and only splits a structure across
workers when at least :data:`STEAL_MIN_VARIANTS` of its variants are still waiting. With
``scheduler="tcp://host:8786"`` the same schedule runs on a Dask cluster (one lane per Dask
worker; ``pip install "dask[distributed]"``; every worker needs flopcast installed).

:func:`prior_sensitivity` gives a cheaper, complementary check from a single fit: ArviZ's
power-scaling sensitivity (``az.psens``) says which headline parameters are driven by the
prior and which by the data, without refitting.

Examples
--------
>>> study = load_study("policy_sensitivity")
>>> study.variants[0].label, len(study.variants) > 20
('base', True)
>>> result = run_study(study)                                  # doctest: +SKIP
>>> result.table()[["label", "doubling_latest", "doubling_latest_lo"]]  # doctest: +SKIP
>>> write_study(result, "reports/policy_sensitivity")         # doctest: +SKIP
"""

from __future__ import annotations

import base64
import concurrent.futures as cf
import datetime as dt
import html
import io
import json
import math
import multiprocessing as mp
import os
import re
import socket
import sys
import time
import tomllib
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from flopcast.caches import CacheDict
from flopcast.exceptions import FlopcastError, SpecError
from flopcast.formatting import jsonable
from flopcast.spec import (
    ForecastSpec,
    ModelSpec,
    _fields_at,
    _hint,
    _Strict,
    load_spec,
    resolve_spec_path,
    set_dotted,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from flopcast.fitting import Fit

__all__ = [
    "CORE_COLUMNS",
    "HEADLINE_METRICS",
    "StudyOptions",
    "StudyResult",
    "StudySpec",
    "Variant",
    "load_study",
    "prior_sensitivity",
    "run_study",
    "write_study",
]

#: Credible level of every interval (5th to 95th percentile).
LEVEL: float = 0.9
_Q = ((1.0 - LEVEL) / 2.0, 0.5, (1.0 + LEVEL) / 2.0)
#: Label of the base row (reserved: no variant may use it).
BASE_LABEL = "base"
#: The date of the "2030" compute and cost columns: mid-2030 (decimal year).
HEADLINE_YEAR: float = 2030.5
#: Thresholds whose crossing dates every row reports (added to the spec's thresholds).
THRESHOLD_FLOP: float = 1e27
THRESHOLD_USD: float = 1e9
#: A free worker starts compiling a structure that another worker already has only when at
#: least this many variants of it are still waiting (a compile costs about as much as
#: sampling three variants on a 2-core machine).
STEAL_MIN_VARIANTS: int = 3
#: Power-scaling sensitivity above this value is "sensitive" (ArviZ's and priorsense's
#: recommended threshold; Kallioinen et al. 2023).
PSENS_THRESHOLD: float = 0.05

STATUS_OK = "ok"
STATUS_DIAGNOSTICS = "diagnostics failed"

#: Columns every study table has, in order (``X_lo``/``X_hi``: the 90% credible interval).
#: Per-break and per-era columns (``break_2``, ``doubling_era_3``, ...) are added when a
#: variant has them.
CORE_COLUMNS: tuple[str, ...] = (
    "label",
    "question",
    "status",
    "n_runs",
    "break_1",
    "break_1_lo",
    "break_1_hi",
    "breaks_fixed",
    "doubling_era_1",
    "doubling_era_1_lo",
    "doubling_era_1_hi",
    "doubling_era_2",
    "doubling_era_2_lo",
    "doubling_era_2_hi",
    "doubling_latest",
    "doubling_latest_lo",
    "doubling_latest_hi",
    "compute_2030",
    "compute_2030_lo",
    "compute_2030_hi",
    "cost_2030",
    "cost_2030_lo",
    "cost_2030_hi",
    "date_1e27_flop",
    "date_1e27_flop_lo",
    "date_1e27_flop_hi",
    "p_1e27_flop_by_horizon",
    "date_1b_usd",
    "date_1b_usd_lo",
    "date_1b_usd_hi",
    "p_1b_usd_by_horizon",
    "horizon",
    "regime_changes",
    "diagnostics_ok",
    "max_rhat",
    "min_ess",
    "min_ess_bulk",
    "min_ess_tail",
    "divergences",
    "diagnostic_problems",
    "psens",
    "wall_s",
    "fit_s",
    "forecast_s",
    "compile_s",
    "sample_s",
    "price_performance_s",
    "import_s",
    "compiled",
    "fit_shared_with",
    "structure",
    "worker",
    "warnings",
)

#: Metrics the tornado chart can show: column, title, unit of the shift, log scale.
HEADLINE_METRICS: dict[str, tuple[str, str, bool]] = {
    "doubling_latest": ("Doubling time, latest era (post-break)", "months", False),
    "compute_2030": ("Frontier training compute, mid-2030", "dex (1 = 10x)", True),
    "date_1e27_flop": ("Date the frontier reaches 1e27 FLOP", "years", False),
    "cost_2030": ("Frontier training cost, mid-2030", "dex (1 = 10x)", True),
    "date_1b_usd": ("Date a frontier run costs $1B", "years", False),
    "break_1": ("First break date", "years", False),
    "doubling_era_1": ("Doubling time, first era", "months", False),
}
#: What :meth:`StudyResult.tornado` shows by default (the brief's headline outputs).
DEFAULT_TORNADO: tuple[str, ...] = ("doubling_latest", "compute_2030", "date_1e27_flop")

# Okabe-Ito colours (safe for the common colour-vision deficiencies).
_UP = "#0072B2"  # blue: the variant's value is above the base
_DOWN = "#D55E00"  # vermillion: below the base
_BASE_BAND = "#BBBBBB"
_WHISKER = "#000000"

#: Third-party notices with nothing to say about a variant's results.
_NOISE = (
    "ArviZ is undergoing a major refactor",
    "PyTensor could not link to a BLAS",
    "The inplace keyword in DataFrame.sort_values",
)


# --------------------------------------------------------------------------------------
# The study spec


class StudyOptions(_Strict):
    """Forecast options of a study row (not part of the model spec).

    Attributes
    ----------
    price_performance : {"purchase", "cloud", "none"}
        Hardware price-performance trend for the cost forecast
        (:func:`flopcast.cost.fit_price_performance`): amortized chip purchase prices (the
        default, as :data:`flopcast.forecasting.DEFAULT_COST_KIND`: they match Epoch's
        recorded costs) or cloud rental prices; ``"none"`` skips cost.
    utilization_mean : float or None
        Mean of the Beta utilization prior; ``None`` keeps the default Beta(8, 16) (mean
        33%). With a mean ``m`` the prior is ``Beta(m c, (1 - m) c)`` with
        ``c = utilization_concentration``.
    utilization_concentration : float
        ``alpha + beta`` of that prior (24 as in Beta(8, 16); larger is narrower).
    regime_changes : {"auto", "on", "off"}
        Future breaks in the forecast (:func:`flopcast.forecasting.forecast`).
    """

    price_performance: Literal["purchase", "cloud", "none"] = "purchase"
    utilization_mean: float | None = Field(None, gt=0.0, lt=1.0)
    utilization_concentration: float = Field(24.0, gt=0.0, le=10_000.0)
    regime_changes: Literal["auto", "on", "off"] = "auto"

    def utilization_prior(self) -> tuple[float, float] | None:
        """``(alpha, beta)`` of the utilization prior, or None for the default.

        Examples
        --------
        >>> StudyOptions(utilization_mean=0.5).utilization_prior()
        (12.0, 12.0)
        """
        if self.utilization_mean is None:
            return None
        c = self.utilization_concentration
        return (self.utilization_mean * c, (1.0 - self.utilization_mean) * c)


class _VariantFile(_Strict):
    label: str = Field(min_length=1, max_length=80)
    question: str = Field(min_length=1, max_length=500)
    overrides: dict[str, Any] = Field(default_factory=dict)


class _StudyFile(_Strict):
    name: str = "unnamed_study"
    description: str = ""
    base: str = "two_eras"
    overrides: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    variants: list[_VariantFile] = Field(default_factory=list)


@dataclass(frozen=True)
class Variant:
    """One row of a study: a label, its question and the resolved spec and options.

    Attributes
    ----------
    label : str
    question : str
    overrides : dict
        The variant's own dotted overrides as written (``{}`` for the base).
    spec : ModelSpec
        The resolved spec (base + common overrides + the variant's).
    options : StudyOptions
        The resolved forecast options.
    """

    label: str
    question: str
    overrides: dict[str, Any]
    spec: ModelSpec
    options: StudyOptions

    @property
    def structure(self) -> tuple:
        """What decides the compiled model (mirrors :func:`flopcast.model.structure_key`,
        without importing PyMC): variants with equal structures share one compile."""
        m = self.spec.model
        return (
            self.spec.sampler.backend,
            m.breaks,
            m.jump,
            m.scatter,
            m.scatter_per_era,
            m.resolved_form,
            m.error_scale,
            m.fixed_breaks is not None,
        )

    def describe_structure(self) -> str:
        """The model structure in words, e.g. ``"1 break, marginal"``."""
        m = self.spec.model
        parts = [f"{m.breaks} break{'s' if m.breaks != 1 else ''}"]
        if m.fixed_breaks is not None:
            parts[0] += " (fixed)"
        if m.jump:
            parts.append("jumps")
        if m.scatter == "student_t":
            parts.append("Student-t")
        if m.scatter_per_era:
            parts.append("per-era scatter")
        if m.error_scale == "prior":
            parts.append("error scale inferred")
        parts.append(m.resolved_form)
        return ", ".join(parts)


@dataclass(frozen=True)
class StudySpec:
    """A validated study: the base row first, then every variant.

    Build with :func:`load_study` or :meth:`from_dict`.

    Attributes
    ----------
    name, description : str
    base : str
        The base spec as named in the study file.
    variants : tuple of Variant
        ``variants[0]`` is the base (label ``"base"``).
    common_overrides : dict
        Overrides applied to the base and every variant.
    origin : str
        Where the study came from (file path), for messages.
    """

    name: str
    description: str
    base: str
    variants: tuple[Variant, ...]
    common_overrides: dict[str, Any] = field(default_factory=dict)
    origin: str = "study"

    @classmethod
    def from_dict(
        cls,
        values: dict[str, Any],
        *,
        origin: str = "study",
        base_dir: Path | None = None,
    ) -> StudySpec:
        """Validate a study (a dict as read from TOML); raise :class:`SpecError` on problems.

        Every problem is reported at once, each naming its variant.

        Examples
        --------
        >>> s = StudySpec.from_dict({"base": "two_eras", "variants": [
        ...     {"label": "k2", "question": "Three eras?", "overrides": {"model.breaks": 2}}]})
        >>> [v.label for v in s.variants], s.variants[1].spec.model.breaks
        (['base', 'k2'], 2)
        """
        if not isinstance(values, dict):
            raise SpecError(f"{origin}: a study must be a table, got {type(values).__name__}")
        if "variants" not in values and ("model" in values or "sampler" in values):
            raise SpecError(
                f"{origin}: this is a model spec, not a study spec (a study has 'base' and "
                "[[variants]]); run it with `flopcast fit --spec ...`"
            )
        try:
            raw = _StudyFile.model_validate(values)
        except ValidationError as exc:
            raise SpecError(_format_study_error(exc, values, origin)) from None
        base_spec = _load_base(raw.base, base_dir, origin)
        problems: list[str] = []
        labels: dict[str, int] = {}
        for i, v in enumerate(raw.variants):
            if v.label == BASE_LABEL:
                problems.append(f"  - variants[{i}]: the label {BASE_LABEL!r} is reserved")
            elif v.label in labels:
                problems.append(
                    f"  - variants[{i}]: label {v.label!r} is also used by "
                    f"variants[{labels[v.label]}]; labels must be unique"
                )
            labels.setdefault(v.label, i)
        common = _flatten(raw.overrides)
        rows: list[Variant] = []
        entries = [
            (BASE_LABEL, "The base spec (every shift is measured from this row).", {}),
            *((v.label, v.question, v.overrides) for v in raw.variants),
        ]
        for label, question, own in entries:
            try:
                rows.append(
                    _build_variant(base_spec, raw.name, label, question, common, raw.options, own)
                )
            except SpecError as exc:
                text = str(exc).replace("\n", "\n    ")
                if label == BASE_LABEL:  # every variant would repeat the same problem
                    raise SpecError(
                        f"{origin}: invalid study: the base ([overrides] or [options]): {text}"
                    ) from None
                problems.append(f"  - variant {label!r}: {text}")
        if problems:
            raise SpecError(
                f"{origin}: invalid study ({len(problems)} problem(s)):\n" + "\n".join(problems)
            )
        return cls(
            name=raw.name,
            description=raw.description,
            base=raw.base,
            variants=tuple(rows),
            common_overrides=common,
            origin=origin,
        )

    @property
    def labels(self) -> list[str]:
        """Labels in order, the base first."""
        return [v.label for v in self.variants]

    def select(self, labels: Iterable[str]) -> StudySpec:
        """A study with the base and only the named variants (``--only``).

        Examples
        --------
        >>> load_study("policy_sensitivity").select(["three_eras"]).labels
        ['base', 'three_eras']
        """
        wanted = list(dict.fromkeys(labels))
        known = self.labels
        missing = [w for w in wanted if w not in known]
        if missing:
            hints = ", ".join(f"{m!r}{_hint(m, known)}" for m in missing)
            raise SpecError(f"{self.origin}: no variant labelled {hints}; labels: {known[1:]}")
        keep = tuple(v for v in self.variants if v.label == BASE_LABEL or v.label in wanted)
        return StudySpec(
            self.name, self.description, self.base, keep, self.common_overrides, self.origin
        )

    def to_dict(self) -> dict[str, Any]:
        """The study as JSON-compatible values (each variant with its resolved spec)."""
        return jsonable(
            {
                "name": self.name,
                "description": self.description,
                "base": self.base,
                "origin": self.origin,
                "common_overrides": self.common_overrides,
                "variants": [
                    {
                        "label": v.label,
                        "question": v.question,
                        "overrides": v.overrides,
                        "options": v.options.model_dump(mode="json"),
                        "structure": v.describe_structure(),
                        "spec": v.spec.to_dict(),
                    }
                    for v in self.variants
                ],
            }
        )

    def __str__(self) -> str:
        return (
            f"StudySpec {self.name!r}: base {self.base!r} and {len(self.variants) - 1} "
            f"variant(s), {len({v.structure for v in self.variants})} model structure(s)"
        )


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a TOML study spec.

    Parameters
    ----------
    path : str or Path
        A file path, or the name of a shipped study (``"policy_sensitivity"``).

    Returns
    -------
    StudySpec

    Raises
    ------
    SpecError
        Unknown keys (with a "did you mean" hint), invalid values or unknown override paths,
        each naming the variant; all problems at once.

    Examples
    --------
    >>> study = load_study("policy_sensitivity")
    >>> study.variants[1].label
    'errors_10x_modern'
    """
    file = resolve_spec_path(path)
    try:
        values = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{file}: not valid TOML: {exc}") from None
    values.setdefault("name", file.stem)
    return StudySpec.from_dict(values, origin=str(file), base_dir=file.parent)


def _load_base(base: str, base_dir: Path | None, origin: str) -> ModelSpec:
    try:
        if base_dir is not None and (base_dir / base).is_file():
            return load_spec(base_dir / base)
        return load_spec(base)
    except SpecError as exc:
        raise SpecError(f"{origin}: base = {base!r}: {exc}") from None


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"errors": {"coverage": 0.5}}`` -> ``{"errors.coverage": 0.5}`` (empty tables kept)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


_SPEC_SECTIONS = tuple(ModelSpec.model_fields)
_OPTIONS = "options"


def _build_variant(
    base: ModelSpec,
    study_name: str,
    label: str,
    question: str,
    common: dict[str, Any],
    base_options: dict[str, Any],
    own: dict[str, Any],
) -> Variant:
    """Base + common overrides + the variant's own, validated; options likewise."""
    flat_own = _flatten(own)
    spec_overrides: dict[str, Any] = {}
    option_values = dict(base_options)
    for dotted, value in {**common, **flat_own}.items():
        head, _, rest = dotted.partition(".")
        if head == _OPTIONS:
            if not rest or "." in rest:
                raise SpecError(
                    f"override {dotted!r}: use options.<name> with a name of "
                    f"{list(StudyOptions.model_fields)}"
                )
            option_values[rest] = value
        elif head not in _SPEC_SECTIONS:
            valid = [*_SPEC_SECTIONS, _OPTIONS]
            raise SpecError(
                f"override {dotted!r}: no section {head!r}{_hint(head, valid)}; sections: {valid}"
            )
        elif head in ("name",):
            raise SpecError(f"override {dotted!r}: a variant's name is its label")
        else:
            spec_overrides[dotted] = value
    spec_overrides["name"] = f"{study_name}/{label}"
    values = base.to_dict()
    for dotted, value in spec_overrides.items():
        set_dotted(values, dotted, value)
    spec = ModelSpec.from_dict(values, origin="overrides")
    try:
        options = StudyOptions.model_validate(option_values)
    except ValidationError as exc:
        raise SpecError(_format_errors(exc, StudyOptions, "options")) from None
    return Variant(label, question, flat_own, spec, options)


def _format_errors(exc: ValidationError, model: type, prefix: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in (prefix, *loc))
        if err["type"] == "extra_forbidden":
            valid = _fields_at(model, loc)
            lines.append(f"{where}: unknown key{_hint(loc[-1], valid)}; valid keys here: {valid}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{where} = {err.get('input')!r}: {msg}")
    return "\n".join(lines)


def _format_study_error(exc: ValidationError, values: dict[str, Any], origin: str) -> str:
    raw_variants = values.get("variants") if isinstance(values.get("variants"), list) else []
    lines = [f"{origin}: invalid study ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        who = ""
        if len(loc) >= 2 and loc[0] == "variants" and isinstance(loc[1], int):
            i = loc[1]
            item = raw_variants[i] if i < len(raw_variants) else {}
            label = item.get("label") if isinstance(item, dict) else None
            who = f"variant {label!r} (variants[{i}]): " if label else f"variants[{i}]: "
            rest = loc[2:]
        else:
            rest = loc
        where = ".".join(str(p) for p in rest) or "(top level)"
        if err["type"] == "extra_forbidden":
            valid = _fields_at(_StudyFile, loc)
            lines.append(
                f"  - {who}{where}: unknown key{_hint(loc[-1], valid)}; valid keys here: {valid}"
            )
        elif err["type"] == "missing":
            lines.append(f"  - {who}{where}: missing (required)")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - {who}{where} = {err.get('input')!r}: {msg}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# One variant, in a worker


#: Per-process caches of the worker: data sources and price-performance fits.
_SOURCES: dict[str, Any] = CacheDict("study.sources")
_PRICE_PERFORMANCE: dict[tuple[str, int], Any] = CacheDict("study.price_performance")
_IMPORTED: list[float] = []


def _worker_init() -> None:
    """Start-up of a worker process: silence third-party notices unrelated to results."""
    for message in _NOISE:
        warnings.filterwarnings("ignore", message=f".*{re.escape(message)}.*")


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """Median and 90% interval as ``(median, lo, hi)``."""
    values = np.asarray(values, dtype=float).ravel()
    lo, med, hi = np.quantile(values, _Q)
    return float(med), float(lo), float(hi)


def _put(row: dict[str, Any], name: str, triple: tuple[float, float, float]) -> None:
    row[name], row[f"{name}_lo"], row[f"{name}_hi"] = triple


def _fit_columns(result: Fit) -> dict[str, Any]:
    """Break dates, doubling times per era and diagnostics of one fit."""
    spec = result.spec
    post = result.posterior
    k = spec.model.breaks
    n_samples = int(post.sizes["chain"] * post.sizes["draw"])
    row: dict[str, Any] = {
        "n_runs": len(result.runs),
        "breaks_fixed": spec.model.fixed_breaks is not None,
    }
    if k:
        breaks = np.asarray(post["breaks"].values, dtype=float).reshape(n_samples, k)
        for i in range(k):
            _put(row, f"break_{i + 1}", _quantiles(breaks[:, i]))
    doubling = np.asarray(post["doubling_months"].values, dtype=float).reshape(n_samples, k + 1)
    for i in range(k + 1):
        _put(row, f"doubling_era_{i + 1}", _quantiles(doubling[:, i]))
    _put(row, "doubling_latest", _quantiles(doubling[:, -1]))
    diag = result.diagnostics
    row.update(
        {
            "diagnostics_ok": bool(diag.ok),
            "max_rhat": float(diag.max_rhat),
            "min_ess": float(min(diag.min_ess_bulk, diag.min_ess_tail)),
            "min_ess_bulk": float(diag.min_ess_bulk),
            "min_ess_tail": float(diag.min_ess_tail),
            "divergences": int(diag.divergences),
            "diagnostic_problems": "; ".join(diag.problems),
        }
    )
    timings = result.provenance.get("timings_s", {})
    row["compile_s"] = float(timings.get("compile", np.nan))
    row["sample_s"] = float(timings.get("sample", np.nan))
    row["compiled"] = not bool(timings.get("compiled_model_reused", 0.0))
    return row


def _psens_text(result: Fit) -> str:
    """One cell summarising :func:`prior_sensitivity` for a fit (cheap: no refit)."""
    if "log_likelihood" not in result.idata.groups():
        return "n/a (needs Normal scatter)"
    try:
        table = prior_sensitivity(result)
    except Exception as exc:  # a diagnostic must never fail the variant
        return f"n/a ({_error_text(exc)})"[:160]
    flagged = table[table["driven_by"] != "likelihood-driven"]
    if flagged.empty:
        return "likelihood-driven"
    return "; ".join(
        f"{kind}: {', '.join(part['parameter'])}" for kind, part in flagged.groupby("driven_by")
    )


def _forecast_columns(fc: Any) -> dict[str, Any]:
    """Mid-2030 frontier compute and cost, and the 1e27 FLOP and $1B crossing dates."""
    row: dict[str, Any] = {"horizon": float(fc.horizon), "regime_changes": fc.regime.enabled}
    table = fc.table()
    for quantity, name in (
        ("frontier_compute_flop", "compute_2030"),
        ("frontier_cost_usd", "cost_2030"),
    ):
        part = table[table["quantity"] == quantity]
        if len(part):
            r = part.iloc[0]
            row[name], row[f"{name}_lo"], row[f"{name}_hi"] = (
                float(r["median"]),
                float(r["ci90_low"]),
                float(r["ci90_high"]),
            )
    thresholds = fc.threshold_table()
    for quantity, value, name in (
        ("compute_flop", THRESHOLD_FLOP, "1e27_flop"),
        ("cost_usd", THRESHOLD_USD, "1b_usd"),
    ):
        hit = thresholds[
            (thresholds["quantity"] == quantity) & np.isclose(thresholds["value"], value)
        ]
        if len(hit):
            r = hit.iloc[0]
            row[f"date_{name}"] = float(r["median_date"])
            row[f"date_{name}_lo"] = float(r["ci90_low"])
            row[f"date_{name}_hi"] = float(r["ci90_high"])
            row[f"p_{name}_by_horizon"] = float(r["prob_by_horizon"])
    return row


def _load_source(source: str) -> Any:
    if source not in _SOURCES:
        from flopcast import runs as flopcast_io

        _SOURCES[source] = (
            flopcast_io.load_runs() if source == "bundled" else flopcast_io.read_runs(source)
        )
    return _SOURCES[source]


def _price_performance_fit(kind: str, seed: int) -> tuple[Any, float]:
    """The worker's price-performance fit of ``kind`` (fitted once per process)."""
    key = (kind, int(seed))
    if key in _PRICE_PERFORMANCE:
        return _PRICE_PERFORMANCE[key], 0.0
    from flopcast.cost import fit_price_performance

    start = time.perf_counter()
    _PRICE_PERFORMANCE[key] = fit_price_performance(kind, seed=int(seed))
    return _PRICE_PERFORMANCE[key], time.perf_counter() - start


def _imports() -> float:
    """Import the sampling stack once per process; return the seconds it took (0 after)."""
    if _IMPORTED:
        return 0.0
    start = time.perf_counter()
    import flopcast.fitting
    import flopcast.forecasting  # noqa: F401  (PyMC, nutpie: seconds)

    _IMPORTED.append(time.perf_counter() - start)
    return _IMPORTED[0]


def _forecast_row(result: Fit, entry: dict[str, Any], seed: int) -> dict[str, Any]:
    """Forecast one variant from a fit: its forecast section and study options."""
    from flopcast.cost import UtilizationPrior
    from flopcast.forecasting import forecast

    options = StudyOptions.model_validate(entry["options"])
    spec_forecast = ForecastSpec.model_validate(entry["forecast"])
    row: dict[str, Any] = {"price_performance_s": 0.0}
    start = time.perf_counter()
    cost: Any = False
    if options.price_performance != "none":
        cost, row["price_performance_s"] = _price_performance_fit(options.price_performance, seed)
    prior = options.utilization_prior()
    fc = forecast(
        result,
        until=spec_forecast.horizon,
        dates=[HEADLINE_YEAR],
        regime_changes=options.regime_changes,
        cost=cost,
        seed=seed,
        utilization=UtilizationPrior(*prior) if prior else None,
        thresholds_flop=sorted({*spec_forecast.thresholds_flop, THRESHOLD_FLOP}),
        thresholds_usd=sorted({*spec_forecast.thresholds_usd, THRESHOLD_USD}),
    )
    row.update(_forecast_columns(fc))
    row["forecast_s"] = time.perf_counter() - start - row["price_performance_s"]
    return row


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, FlopcastError):
        text = f"{type(exc).__name__}: {text}"
    return text[:500]


def _warning_text(caught: list[warnings.WarningMessage]) -> str:
    messages: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if any(n in text for n in _NOISE) or issubclass(
            w.category, DeprecationWarning | FutureWarning | PendingDeprecationWarning
        ):
            continue
        text = f"{w.category.__name__}: {text}"[:300]
        if text not in messages:
            messages.append(text)
    return " | ".join(messages)


def _run_job(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Fit one spec and forecast every variant that shares it; one row per variant.

    Never raises: a failed fit marks every row of the job, a failed forecast its own row.
    """
    rows: list[dict[str, Any]] = []
    worker = f"{socket.gethostname()}:{os.getpid()}"
    first = task["entries"][0]["label"]
    result = None
    fit_error = ""
    fit_row: dict[str, Any] = {}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit_row["import_s"] = _imports()
            from flopcast.fitting import fit

            spec = ModelSpec.from_dict(task["spec"], origin=f"variant {first!r}")
            data = task["data"] if task["data"] is not None else _load_source(spec.data.source)
            seed = spec.sampler.seed if task["seed"] is None else int(task["seed"])
            fit_start = time.perf_counter()
            result = fit(data, spec, seed=seed, progress=False)
            fit_row["fit_s"] = time.perf_counter() - fit_start
            fit_row.update(_fit_columns(result))
            fit_row["psens"] = _psens_text(result)
        except Exception as exc:  # one variant's failure must not stop the study
            fit_error = f"error: {_error_text(exc)}"
    fit_warnings = _warning_text(caught)
    fit_wall = time.perf_counter() - start
    for i, entry in enumerate(task["entries"]):
        row_start = time.perf_counter()
        row: dict[str, Any] = {
            "label": entry["label"],
            "question": entry["question"],
            "structure": task["structure"],
            "worker": worker,
            "fit_shared_with": "" if i == 0 else first,
        }
        row.update(
            fit_row
            if i == 0
            else {k: v for k, v in fit_row.items() if not k.endswith("_s") and k != "compiled"}
        )
        if i > 0:
            row["compiled"] = False
        if fit_error:
            row["status"] = fit_error
            row["warnings"] = fit_warnings
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    row.update(_forecast_row(result, entry, seed))
                    row["status"] = STATUS_OK if row["diagnostics_ok"] else STATUS_DIAGNOSTICS
                except Exception as exc:  # a failed forecast marks only its own row
                    row["status"] = f"error: {_error_text(exc)}"
            row["warnings"] = " | ".join(
                t for t in ((fit_warnings if i == 0 else ""), _warning_text(caught)) if t
            )
        row["wall_s"] = time.perf_counter() - row_start + (fit_wall if i == 0 else 0.0)
        rows.append(row)
    return rows


def _fit_key(variant: Variant) -> str:
    """Variants with equal keys have the same fit (they differ only in forecast settings)."""
    values = variant.spec.to_dict()
    for key in ("name", "description", "forecast"):
        values.pop(key, None)
    return json.dumps(values, sort_keys=True)


@dataclass
class _Job:
    """Variants that share one fit, and the task sent to a worker."""

    variants: list[Variant]
    task: dict[str, Any]

    @property
    def structure(self) -> tuple:
        return self.variants[0].structure


def _jobs(study: StudySpec, data: Any, seed: int | None) -> list[_Job]:
    groups: dict[str, list[Variant]] = {}
    for variant in study.variants:
        groups.setdefault(_fit_key(variant), []).append(variant)
    jobs = []
    for variants in groups.values():
        task = {
            "spec": variants[0].spec.to_dict(),
            "structure": variants[0].describe_structure(),
            "data": data,
            "seed": seed,
            "entries": [
                {
                    "label": v.label,
                    "question": v.question,
                    "options": v.options.model_dump(mode="json"),
                    "forecast": v.spec.forecast.model_dump(mode="json"),
                }
                for v in variants
            ],
        }
        jobs.append(_Job(variants, task))
    return jobs


# --------------------------------------------------------------------------------------
# Running: lanes (one worker each) and the affinity schedule


class _ProcessLane:
    """One worker process (a single-process pool), so a compiled model stays with it."""

    def __init__(self, context: Any, name: str) -> None:
        self.name = name
        self._context = context
        self._executor = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=1, mp_context=self._context, initializer=_worker_init
        )

    def submit(self, task: dict[str, Any]) -> cf.Future:
        return self._executor.submit(_run_job, task)

    def restart(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new()

    def close(self, *, cancel: bool = False) -> None:
        self._executor.shutdown(wait=not cancel, cancel_futures=cancel)


class _DaskLane:
    """One Dask worker; tasks are pinned to it so its compiled models are reused."""

    def __init__(self, client: Any, address: str) -> None:
        self.name = address
        self._client = client
        self._futures: set[Any] = set()

    def submit(self, task: dict[str, Any]) -> cf.Future:
        out: cf.Future = cf.Future()
        future = self._client.submit(
            _run_job,
            task,
            workers=[self.name],
            # A loose restriction: if this worker is lost, another may run the variant
            # (compiling again) instead of the task waiting forever for it.
            allow_other_workers=True,
            pure=False,
            key=f"flopcast-study-{task['entries'][0]['label']}-{uuid.uuid4().hex[:8]}",
        )
        self._futures.add(future)

        def _relay(done: Any) -> None:
            self._futures.discard(done)
            try:
                out.set_result(done.result())
            except BaseException as exc:  # relay whatever the worker raised
                out.set_exception(exc)

        future.add_done_callback(_relay)
        return out

    def restart(self) -> None:  # a lost Dask worker is the cluster's business
        pass

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for future in list(self._futures):
                future.cancel()


def _pick(pending: list[_Job], lane: int, compiled: list[set[tuple]]) -> int | None:
    """Index in ``pending`` of the job a free lane should take next, or None to wait.

    First a job whose structure this lane has compiled; then a structure no lane has
    (largest expected work first: latent-form sampling is slow); then, only when at least
    :data:`STEAL_MIN_VARIANTS` jobs of one structure wait, a second copy of that structure.
    """
    if not pending:
        return None
    mine = compiled[lane]
    for i, job in enumerate(pending):
        if job.structure in mine:
            return i
    claimed = set().union(*compiled)
    counts: dict[tuple, int] = {}
    for job in pending:
        counts[job.structure] = counts.get(job.structure, 0) + 1

    def work(structure: tuple) -> float:
        latent = structure[5] == "latent"
        return 3.0 + counts[structure] * (8.0 if latent else 1.0)

    fresh = [s for s in counts if s not in claimed]
    if fresh:
        target = max(fresh, key=work)
    else:
        target = max(counts, key=lambda s: counts[s])
        if counts[target] < STEAL_MIN_VARIANTS:
            return None
    return next(i for i, job in enumerate(pending) if job.structure == target)


class _Progress:
    """A progress bar on stderr (rich when available), or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled
        self._rich: Any = None
        self._task: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:
            self._line(f"study: 0/{total} variants")
            return
        self._rich = Progress(
            TextColumn("study"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._rich.start()
        self._task = self._rich.add_task("", total=total)

    def _line(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def running(self, labels: Sequence[str]) -> None:
        if self._rich is not None:
            self._rich.update(self._task, description="running: " + ", ".join(labels))

    def advance(self, row: dict[str, Any]) -> None:
        self.done += 1
        if not self.enabled:
            return
        status = row.get("status", "?")
        text = f"[{self.done}/{self.total}] {row['label']}: {status} ({row.get('wall_s', 0):.1f} s)"
        if self._rich is not None:
            self._rich.console.print(text, markup=False, highlight=False)
            self._rich.advance(self._task)
        else:
            self._line(text)

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


def _context() -> Any:
    """``forkserver`` (workers fork from a server that imported PyMC once), else ``spawn``."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["flopcast.fitting", "flopcast.forecasting", "flopcast.cost"])
        return ctx
    return mp.get_context("spawn")


def _default_processes() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _dask_lanes(scheduler: Any) -> tuple[list[_DaskLane], Any, bool]:
    try:
        from dask.distributed import Client
    except ImportError:
        raise FlopcastError(
            f'scheduler={scheduler!r} needs Dask: pip install "dask[distributed]"'
        ) from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="30s", set_as_default=False) if own else scheduler
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=60)
    except (OSError, TimeoutError) as exc:
        raise FlopcastError(
            f"scheduler={scheduler!r}: cannot use the Dask cluster ({exc})"
        ) from None
    workers = sorted(client.scheduler_info()["workers"])
    return [_DaskLane(client, address) for address in workers], client, own


def _failed_rows(job: _Job, status: str, wall: float) -> list[dict[str, Any]]:
    return [
        {
            "label": v.label,
            "question": v.question,
            "structure": v.describe_structure(),
            "status": status,
            "wall_s": wall,
        }
        for v in job.variants
    ]


def _execute(jobs: list[_Job], lanes: list[Any], progress: _Progress) -> dict[str, dict]:
    """Run every job on the lanes with the affinity schedule; rows by label."""
    pending = list(jobs)
    compiled: list[set[tuple]] = [set() for _ in lanes]
    running: dict[cf.Future, tuple[int, _Job, float]] = {}
    free = list(range(len(lanes)))
    rows: dict[str, dict[str, Any]] = {}

    def start(lane: int, index: int) -> None:
        job = pending.pop(index)
        compiled[lane].add(job.structure)
        running[lanes[lane].submit(job.task)] = (lane, job, time.perf_counter())
        free.remove(lane)

    while pending or running:
        # Lanes that already compiled a waiting structure choose first.
        waiting = {job.structure for job in pending}
        for lane in sorted(free, key=lambda i: not (compiled[i] & waiting)):
            index = _pick(pending, lane, compiled)
            if index is not None:
                start(lane, index)
        if pending and not running:
            start(free[0], 0)  # nothing else would free a lane: never wait forever
        progress.running([v.label for _, job, _ in running.values() for v in job.variants])
        done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
        for future in done:
            lane, job, started = running.pop(future)
            try:
                results = future.result()
            except Exception as exc:  # the worker died, or the task could not be sent
                status = f"error: worker {lanes[lane].name} failed ({_error_text(exc)})"
                results = _failed_rows(job, status, time.perf_counter() - started)
                if isinstance(exc, cf.process.BrokenProcessPool):
                    lanes[lane].restart()
                    compiled[lane] = set()
            for row in results:
                rows[row["label"]] = row
                progress.advance(row)
            free.append(lane)
    return rows


# --------------------------------------------------------------------------------------
# The entry point


def run_study(
    study: StudySpec | str | Path,
    *,
    data: Any = None,
    processes: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    seed: int | None = None,
    only: Iterable[str] | None = None,
) -> StudyResult:
    """Fit and forecast the base and every variant of a study.

    Parameters
    ----------
    study : StudySpec, str or Path
        A study, a study file, or the name of a shipped study (``"policy_sensitivity"``).
    data : RunTable or DataFrame, optional
        Runs to fit for every variant (as in :func:`flopcast.fit`); by default each
        variant's ``data.source`` (the bundled data).
    processes : int, optional
        Worker processes; default one per available core (at most one per variant).
        ``1`` runs every variant in this process, one after another (compiled models stay
        in this process's cache, as in a notebook).
    scheduler : str or dask.distributed.Client, optional
        Run the variants on a Dask cluster instead (``"tcp://host:8786"``): one lane per
        Dask worker, with the same compile-reuse schedule. ``processes`` is ignored.
    progress : bool, optional
        Progress bar and one line per finished variant on stderr; default only when stderr
        is a terminal.
    seed : int, optional
        Sampler and forecast seed of every variant; default each spec's ``sampler.seed``
        (the same for all variants unless overridden, so differences between rows are
        not sampling noise).
    only : iterable of str, optional
        Run only these variants (and the base).

    Returns
    -------
    StudyResult
        One row per variant, the base first, in the study's order. Variants that raised
        have status ``"error: ..."``; those whose diagnostics failed ``"diagnostics
        failed"``; the others ``"ok"``.

    Raises
    ------
    SpecError
        When the study is invalid (before anything runs).
    FlopcastError
        When the Dask scheduler cannot be reached.

    Examples
    --------
    >>> result = run_study("policy_sensitivity", processes=2)      # doctest: +SKIP
    >>> result.table().set_index("label").loc["three_eras", "doubling_latest"]  # doctest: +SKIP
    """
    if not isinstance(study, StudySpec):
        study = load_study(study)
    if only:
        study = study.select(only)
    if processes is not None and (not isinstance(processes, int) or processes < 1):
        raise FlopcastError(f"processes={processes!r}: give a positive number of processes")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    jobs = _jobs(study, data, seed)
    started = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    bar = _Progress(len(study.variants), show)
    client = None
    own_client = False
    lanes: list[Any] = []
    mode: str
    try:
        if scheduler is not None:
            lanes, client, own_client = _dask_lanes(scheduler)
            mode = f"dask ({len(lanes)} worker(s) at {client.scheduler.address})"
            rows = _execute(jobs, lanes, bar)
        else:
            n = min(processes or _default_processes(), len(jobs))
            if n == 1:
                mode = "in process"
                _worker_init()
                rows = {}
                # Grouped by structure (the base's first): one compile per structure.
                first_seen: dict[tuple, int] = {}
                for job in jobs:
                    first_seen.setdefault(job.structure, len(first_seen))
                for job in sorted(jobs, key=lambda j: first_seen[j.structure]):
                    bar.running([v.label for v in job.variants])
                    for row in _run_job(job.task):
                        rows[row["label"]] = row
                        bar.advance(row)
            else:
                ctx = _context()
                mode = f"{n} worker processes ({ctx.get_start_method()})"
                lanes = [_ProcessLane(ctx, f"process {i + 1}") for i in range(n)]
                rows = _execute(jobs, lanes, bar)
    except BaseException:
        for lane in lanes:
            lane.close(cancel=True)
        raise
    finally:
        bar.close()
        if client is not None and own_client:
            client.close()
    for lane in lanes:
        lane.close()
    ordered = [rows[v.label] for v in study.variants]
    return StudyResult(
        study=study,
        rows=ordered,
        wall_s=time.perf_counter() - start,
        mode=mode,
        started=started.isoformat(timespec="seconds"),
        seed=seed,
    )


# --------------------------------------------------------------------------------------
# The result


def _fmt_num(value: float, digits: int = 2) -> str:
    if value is None or not np.isfinite(value):
        return "later" if value == np.inf else "-"
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.{digits - 1}e}"


def _fmt_year(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value == np.inf:
        return "later"
    return f"{value:.1f}"


def _fmt_sci(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.1e}".replace("e+", "e")


def _fmt_usd(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)):
        if abs(value) >= size or not unit:
            x = value / size
            return f"${x:.2g}{unit}" if abs(x) < 100 else f"${x:.0f}{unit}"
    return f"${value:.2g}"


def _span(row: pd.Series, name: str, fmt: Callable[[float], str]) -> str:
    med = row.get(name)
    if med is None or (isinstance(med, float) and math.isnan(med)):
        return "-"
    return f"{fmt(med)} ({fmt(row.get(f'{name}_lo'))}-{fmt(row.get(f'{name}_hi'))})"


def _months(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


@dataclass
class StudyResult:
    """The rows of a study run, with tables, JSON, CSV and a tornado chart.

    Attributes
    ----------
    study : StudySpec
    rows : list of dict
        One per variant, the base first (see :meth:`table` for the columns).
    wall_s : float
        Wall time of the whole run (seconds).
    mode : str
        How it ran (in process, N worker processes, or a Dask cluster).
    started : str
        UTC start time (ISO 8601).
    seed : int or None
        The seed given to :func:`run_study` (None: each spec's own).
    """

    study: StudySpec
    rows: list[dict[str, Any]]
    wall_s: float
    mode: str
    started: str
    seed: int | None = None

    # -- tables -------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """One row per variant (base first), every number with its 90% interval.

        Returns
        -------
        pandas.DataFrame
            :data:`CORE_COLUMNS` plus ``break_k*``/``doubling_era_k*`` for more breaks.
            ``X`` is the posterior median, ``X_lo``/``X_hi`` the 5th/95th percentiles (a
            90% credible interval). Break dates and threshold dates are decimal years
            (``inf``: later than the forecast's search end); doubling times in months;
            ``compute_2030`` in FLOP and ``cost_2030`` in constant USD (frontier trend,
            mid-2030); ``p_*_by_horizon`` is the probability of crossing by ``horizon``.
            ``.attrs["description"]`` introduces the study (for reports).

        Examples
        --------
        >>> result.table().loc[:, ["label", "status", "doubling_latest"]]   # doctest: +SKIP
        """
        frame = pd.DataFrame(self.rows)
        extra = sorted(
            (c for c in frame.columns if c not in CORE_COLUMNS),
            key=lambda c: (not c.startswith("break_"), not c.startswith("doubling_era_"), c),
        )
        for column in CORE_COLUMNS:
            if column not in frame.columns:
                frame[column] = np.nan
        columns = list(CORE_COLUMNS)
        # Keep per-break/per-era columns beside their first ones.
        breaks = [c for c in extra if c.startswith("break_")]
        eras = [c for c in extra if c.startswith("doubling_era_")]
        others = [c for c in extra if c not in breaks and c not in eras]
        columns[columns.index("breaks_fixed") : columns.index("breaks_fixed")] = breaks
        at = columns.index("doubling_latest")
        columns[at:at] = eras
        frame = frame[columns + others]
        frame.attrs["description"] = self._description()
        frame.attrs["level"] = LEVEL
        return frame

    def _description(self) -> str:
        s = self.study
        text = (
            f"Study {s.name!r}: the base spec {s.base!r} and {len(s.variants) - 1} "
            "variation(s), each refitted and forecast. Numbers are posterior medians with "
            "90% credible intervals (5th to 95th percentile)."
        )
        return f"{s.description} {text}".strip()

    def summary_table(self) -> pd.DataFrame:
        """The table formatted for reading: one text cell per quantity, "median (lo-hi)".

        Returns
        -------
        pandas.DataFrame
            Columns ``variant``, ``question``, ``break``, ``doubling, first era (months)``,
            ``doubling, latest era (months)``, ``frontier compute mid-2030 (FLOP)``,
            ``frontier cost mid-2030``, ``1e27 FLOP reached``, ``$1B run``, ``diagnostics``,
            ``time (s)``, ``status``. Intervals are 90% credible intervals.

        Examples
        --------
        >>> print(result.summary_table().to_string(index=False))   # doctest: +SKIP
        """
        out = []
        for _, r in self.table().iterrows():
            breaks = [
                _span(r, f"break_{i}", _fmt_year)
                for i in range(1, 4)
                if f"break_{i}" in r and pd.notna(r[f"break_{i}"])
            ]
            fixed = r.get("breaks_fixed")
            if isinstance(fixed, bool | np.bool_) and fixed and breaks:
                breaks = [
                    f"{_fmt_year(r[f'break_{i}'])} (fixed)" for i in range(1, len(breaks) + 1)
                ]
            ok = r.get("diagnostics_ok")
            if isinstance(ok, bool | np.bool_):
                diag = (
                    f"{'OK' if ok else 'FAILED'}: R-hat {r['max_rhat']:.3f}, "
                    f"ESS {r['min_ess']:.0f}, {int(r['divergences'])} div."
                )
            else:
                diag = "-"
            p27 = r.get("p_1e27_flop_by_horizon")
            p1b = r.get("p_1b_usd_by_horizon")
            out.append(
                {
                    "variant": r["label"],
                    "question": r["question"],
                    "break": "; ".join(breaks) if breaks else "-",
                    "doubling, first era (months)": _span(r, "doubling_era_1", _months),
                    "doubling, latest era (months)": _span(r, "doubling_latest", _months),
                    "frontier compute mid-2030 (FLOP)": _span(r, "compute_2030", _fmt_sci),
                    "frontier cost mid-2030": _span(r, "cost_2030", _fmt_usd),
                    "1e27 FLOP reached": _span(r, "date_1e27_flop", _fmt_year)
                    + (f", P={p27:.2f}" if pd.notna(p27) else ""),
                    "$1B run": _span(r, "date_1b_usd", _fmt_year)
                    + (f", P={p1b:.2f}" if pd.notna(p1b) else ""),
                    "diagnostics": diag,
                    "time (s)": f"{r['wall_s']:.1f}" if pd.notna(r.get("wall_s")) else "-",
                    "status": r["status"],
                }
            )
        frame = pd.DataFrame(out)
        frame.attrs["description"] = self._description()
        return frame

    @property
    def failed(self) -> list[str]:
        """Labels of the variants that raised (status ``"error: ..."``)."""
        return [r["label"] for r in self.rows if str(r.get("status", "")).startswith("error")]

    @property
    def diagnostics_failed(self) -> list[str]:
        """Labels of the variants whose diagnostics failed."""
        return [r["label"] for r in self.rows if r.get("status") == STATUS_DIAGNOSTICS]

    def timing(self) -> dict[str, Any]:
        """Where the time went: wall, per-variant sums, compile counts.

        Examples
        --------
        >>> result.timing()["compiles"]     # doctest: +SKIP
        6
        """
        t = self.table()

        def total(column: str) -> float:
            return float(pd.to_numeric(t[column], errors="coerce").fillna(0.0).sum())

        return {
            "wall_s": self.wall_s,
            "mode": self.mode,
            "variants": len(t),
            "compiles": int(t["compiled"].fillna(False).astype(bool).sum()),
            "structures": len({v.structure for v in self.study.variants}),
            "workers": int(t["worker"].nunique()),
            "sum_variant_wall_s": total("wall_s"),
            "sum_compile_s": total("compile_s"),
            "sum_sample_s": total("sample_s"),
            "sum_fit_s": total("fit_s"),
            "sum_forecast_s": total("forecast_s"),
            "sum_price_performance_s": total("price_performance_s"),
            "sum_import_s": total("import_s"),
        }

    # -- output -------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The study, its rows and how it ran, as JSON-compatible values.

        Keys: ``flopcast_version``, ``study`` (:meth:`StudySpec.to_dict`), ``intervals``
        (what ``_lo``/``_hi`` mean), ``columns`` (units), ``rows`` (one dict per variant;
        non-finite numbers are null: a null ``date_*_hi`` means later than the search end),
        ``run`` (wall time, mode, start, seed, timing).

        Examples
        --------
        >>> sorted(result.to_json_dict())                         # doctest: +SKIP
        ['columns', 'flopcast_version', 'intervals', 'rows', 'run', 'study']
        """
        from flopcast._version import __version__

        table = self.table()
        rows = [
            {k: _cell_value(v) for k, v in record.items()}
            for record in table.to_dict(orient="records")
        ]
        return jsonable(
            {
                "flopcast_version": __version__,
                "study": self.study.to_dict(),
                "intervals": {
                    "X": "posterior median",
                    "X_lo, X_hi": "90% credible interval (5th and 95th percentiles)",
                },
                "columns": _COLUMN_UNITS,
                "rows": rows,
                "run": {
                    "wall_s": self.wall_s,
                    "mode": self.mode,
                    "started": self.started,
                    "seed": self.seed,
                    "timing": self.timing(),
                },
            }
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`table` as CSV (full precision); return the path.

        Examples
        --------
        >>> result.to_csv("study.csv")                    # doctest: +SKIP
        PosixPath('study.csv')
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.table().to_csv(path, index=False)
        return path

    def tornado(self, metric: str | Sequence[str] | None = None) -> Figure:
        """How each variation moves the headline outputs relative to the base.

        One panel per metric; one horizontal bar per variant: the shift of its posterior
        median from the base's median, with the variant's 90% credible interval (also
        relative to the base median) as whiskers. The grey band is the base's own 90%
        interval. Bars are blue when the variant is above the base and vermillion below
        (Okabe-Ito, colour-blind safe); hatched when the variant's diagnostics failed;
        variants that raised, or whose value is beyond the forecast's search, get no bar.
        Variants are sorted by the size of their shift on the first metric.

        Parameters
        ----------
        metric : str or list of str, optional
            Keys of :data:`HEADLINE_METRICS`; default the latest era's doubling time, the
            frontier's compute in mid-2030 and the date it reaches 1e27 FLOP.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        FlopcastError
            Unknown metric, or the base row failed (there is nothing to compare with).

        Examples
        --------
        >>> fig = result.tornado()                              # doctest: +SKIP
        >>> fig = result.tornado(metric="cost_2030")           # doctest: +SKIP
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        metrics = (
            list(DEFAULT_TORNADO)
            if metric is None
            else ([metric] if isinstance(metric, str) else list(metric))
        )
        for m in metrics:
            if m not in HEADLINE_METRICS:
                raise FlopcastError(
                    f"metric={m!r}{_hint(m, HEADLINE_METRICS)}; metrics: {list(HEADLINE_METRICS)}"
                )
        table = self.table()
        base = table.iloc[0]
        if str(base["status"]).startswith("error"):
            raise FlopcastError(f"the base row failed ({base['status']}); no tornado chart")
        variants = table.iloc[1:].reset_index(drop=True)

        def shifts(m: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
            log = HEADLINE_METRICS[m][2]

            def tr(x: Any) -> np.ndarray:
                v = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.log10(v) if log else v

            ref = float(tr([base[m]])[0])
            med = tr(variants[m]) - ref
            lo = tr(variants[f"{m}_lo"]) - ref
            hi = tr(variants[f"{m}_hi"]) - ref
            base_lo = float(tr([base[f"{m}_lo"]])[0]) - ref
            base_hi = float(tr([base[f"{m}_hi"]])[0]) - ref
            return med, lo, hi, base_lo, base_hi

        first = shifts(metrics[0])[0]
        order = np.argsort(-np.where(np.isfinite(first), np.abs(first), -1.0), kind="stable")
        n = len(variants)
        height = max(2.5, 0.34 * n + 1.6)
        fig = Figure(figsize=(4.2 * len(metrics) + 2.4, height), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        labels = []
        for i in order:
            r = variants.iloc[i]
            label = str(r["label"])
            if str(r["status"]).startswith("error"):
                label += " (error)"
            elif r["status"] == STATUS_DIAGNOSTICS:
                label += " \u2020"
            labels.append(label)
        y = np.arange(n)[::-1]
        for ax, m in zip(axes, metrics, strict=True):
            med, lo, hi, base_lo, base_hi = shifts(m)
            med, lo, hi = med[order], lo[order], hi[order]
            title, unit, _ = HEADLINE_METRICS[m]
            if np.isfinite(base_lo) and np.isfinite(base_hi):
                ax.axvspan(base_lo, base_hi, color=_BASE_BAND, alpha=0.35, lw=0)
            ax.axvline(0.0, color="#333333", lw=1.0)
            value = np.where(np.isfinite(med), med, np.nan)
            colors = [_UP if v >= 0 else _DOWN for v in np.nan_to_num(value)]
            hatches = [
                "///" if variants.iloc[i]["status"] == STATUS_DIAGNOSTICS else "" for i in order
            ]
            bars = ax.barh(y, value, height=0.62, color=colors, edgecolor="#333333", lw=0.5)
            for bar, hatch in zip(bars, hatches, strict=True):
                bar.set_hatch(hatch)
            finite = np.concatenate([v[np.isfinite(v)] for v in (med, lo, hi)] + [[0.0]])
            span = float(finite.max() - finite.min()) or 1.0
            right = float(finite.max()) + 0.08 * span
            left = float(finite.min()) - 0.08 * span
            for yi, m_, l_, h_ in zip(y, med, lo, hi, strict=True):
                if not np.isfinite(m_):
                    ax.text(0.0, yi, " n/a", va="center", fontsize=9, color="#555555")
                    continue
                l_v = l_ if np.isfinite(l_) else left
                h_v = h_ if np.isfinite(h_) else right
                ax.plot([l_v, h_v], [yi, yi], color=_WHISKER, lw=1.1)
                for end, ok in ((l_v, np.isfinite(l_)), (h_v, np.isfinite(h_))):
                    ax.plot([end], [yi], marker="|" if ok else ">", color=_WHISKER, ms=7)
            ax.set_xlim(left, right)
            ax.set_title(title, fontsize=11)
            ax.set_xlabel(f"shift from the base median, {unit}", fontsize=10)
            ax.tick_params(labelsize=10)
            ax.grid(True, axis="x", color="#d0d0d0", lw=0.6)
            ax.set_axisbelow(True)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].set_yticks(y)
        axes[0].set_yticklabels(labels, fontsize=10)
        handles = [
            Patch(facecolor=_UP, edgecolor="#333333", label="variant above base"),
            Patch(facecolor=_DOWN, edgecolor="#333333", label="variant below base"),
            Patch(facecolor=_BASE_BAND, alpha=0.35, label="base 90% credible interval"),
            Patch(
                facecolor="white",
                edgecolor="#333333",
                hatch="///",
                label="\u2020 diagnostics failed",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
        fig.suptitle(
            f"Sensitivity study {self.study.name!r}: shift of each variant from the base "
            "(bar: median; whiskers: the variant's 90% credible interval)",
            fontsize=11,
        )
        return fig

    # -- display ------------------------------------------------------------------------
    def format_table(self) -> str:
        """The summary table as text, with what the intervals mean."""
        lines = [
            f"flopcast study {self.study.name!r}: {len(self.rows)} rows (base + "
            f"{len(self.rows) - 1} variants), {self.wall_s:.1f} s wall ({self.mode})",
            "median (90% credible interval, 5th-95th percentile); dates are decimal years; "
            "P = probability by the forecast horizon",
        ]
        summary = self.summary_table().drop(columns=["question"])
        lines.append(summary.to_string(index=False))
        bad = [r for r in self.rows if r.get("status") != STATUS_OK]
        if bad:
            lines.append("not ok:")
            for r in bad:
                detail = r.get("diagnostic_problems") or ""
                lines.append(f"  {r['label']}: {r['status']}" + (f" ({detail})" if detail else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_table()

    def _repr_html_(self) -> str:
        return study_html_section(self, image_src=None)


_COLUMN_UNITS: dict[str, str] = {
    "break_k": "decimal year (posterior median; _lo/_hi: 90% credible interval)",
    "doubling_era_k, doubling_latest": "months",
    "compute_2030": "FLOP, frontier trend in mid-2030",
    "cost_2030": "constant USD (price-performance base year), frontier trend in mid-2030",
    "date_1e27_flop, date_1b_usd": "decimal year the frontier trend first reaches the "
    "threshold (null/inf: later than the search end)",
    "p_*_by_horizon": "probability of reaching the threshold by `horizon`",
    "horizon": "decimal year",
    "wall_s, fit_s, forecast_s, compile_s, sample_s, price_performance_s, import_s": "seconds",
    "compiled": "whether this variant compiled its model (False: reused)",
}


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


# --------------------------------------------------------------------------------------
# Files: CSV, JSON, chart, Markdown and HTML sections

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")


def _md(text: Any) -> str:
    """Plain text for a Markdown table cell: HTML-escaped, metacharacters escaped."""
    text = " ".join(str(text).splitlines())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _intro(result: StudyResult) -> list[str]:
    s = result.study
    return [
        s.description,
        f"Base spec {s.base!r} and {len(s.variants) - 1} variation(s) of it, each refitted "
        "(variations of forecast options only reuse the base fit) and forecast with the same "
        "seed. Every number is a posterior median with its 90% "
        "credible interval (5th to 95th percentile); dates are decimal years; P is the "
        "probability of reaching the threshold by the forecast horizon.",
        f"Run: {result.wall_s:.0f} s wall, {result.mode}. Failed variants are marked and "
        "kept; a variant whose sampler diagnostics failed (R-hat > 1.01, ESS < 400, "
        "divergences or chains disagreeing on a break) is marked \u2020 and its numbers "
        "should not be quoted.",
        _psens_summary(result),
    ]


def _psens_summary(result: StudyResult) -> str:
    flagged = [
        f"{r['label']} ({r['psens']})"
        for r in result.rows
        if isinstance(r.get("psens"), str) and r["psens"].startswith(("prior", "both"))
    ]
    what = (
        "flags prior-driven parameters in: " + "; ".join(flagged)
        if flagged
        else "finds every fitted variant's break dates, doubling times and scatter driven "
        "by the data (likelihood), not the priors"
    )
    return (
        f"Power-scaling sensitivity (arviz.psens, threshold {PSENS_THRESHOLD}; not available "
        f"for Student-t scatter) {what}."
    )


def study_markdown_section(result: StudyResult, image: str | None = "tornado.png") -> str:
    """The study as a Markdown section (escaped), the chart linked as ``image``.

    Examples
    --------
    >>> print(study_markdown_section(result)[:40])          # doctest: +SKIP
    ## Sensitivity study: policy_sensitivity
    """
    lines = [f"## Sensitivity study: {_md(result.study.name)}", ""]
    for paragraph in _intro(result):
        if paragraph:
            lines += [_md(paragraph), ""]
    if image:
        lines += [
            f"![Tornado chart: shift of each variant from the base]({image})",
            "",
            "*Bars: shift of each variant's posterior median from the base's; whiskers: the "
            "variant's 90% credible interval; grey band: the base's 90% credible interval.*",
            "",
        ]
    summary = result.summary_table()
    lines.append("| " + " | ".join(_md(c) for c in summary.columns) + " |")
    lines.append("|" + "---|" * len(summary.columns))
    for _, r in summary.iterrows():
        lines.append("| " + " | ".join(_md(v) for v in r) + " |")
    lines.append("")
    return "\n".join(lines)


def study_html_section(result: StudyResult, image_src: str | None = None) -> str:
    """The study as an HTML ``<section>`` (all text escaped).

    Parameters
    ----------
    result : StudyResult
    image_src : str, optional
        ``src`` of the tornado chart (a file name or a ``data:`` URI); no chart if None.

    Examples
    --------
    >>> study_html_section(result).startswith("<section")   # doctest: +SKIP
    True
    """
    e = html.escape
    parts = [
        '<section id="sensitivity-study">',
        f"<h2>Sensitivity study: {e(result.study.name)}</h2>",
    ]
    parts += [f"<p>{e(p)}</p>" for p in _intro(result) if p]
    if image_src:
        parts.append(
            f'<figure><img src="{e(image_src)}" alt="Tornado chart: shift of each variant '
            'from the base" style="max-width:100%"><figcaption>Bars: shift of each '
            "variant's posterior median from the base's; whiskers: the variant's 90% "
            "credible interval; grey band: the base's 90% credible interval."
            "</figcaption></figure>"
        )
    summary = result.summary_table()
    parts.append("<table><thead><tr>")
    parts += [f"<th>{e(str(c))}</th>" for c in summary.columns]
    parts.append("</tr></thead><tbody>")
    for _, r in summary.iterrows():
        bad = r["status"] != STATUS_OK
        parts.append('<tr class="not-ok">' if bad else "<tr>")
        parts += [f"<td>{e(str(v))}</td>" for v in r]
        parts.append("</tr>")
    parts.append("</tbody></table></section>")
    return "\n".join(parts)


_HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #111; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left;
          vertical-align: top; }}
th {{ background: #f2f2f2; }}
tr.not-ok td {{ background: #fff4e5; }}
@media print {{ body {{ max-width: none; }} }}
</style></head>
<body>
{section}
</body></html>
"""


def write_study(result: StudyResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``study.csv``, ``study.json``, ``tornado.png``, ``study.md`` and ``study.html``.

    ``study.html`` is self-contained (the chart embedded); ``study.md`` links
    ``tornado.png`` beside it. All text from the study and data is escaped.

    Parameters
    ----------
    result : StudyResult
    out_dir : str or Path
        Folder (created if missing).

    Returns
    -------
    dict
        File kind -> path written.

    Examples
    --------
    >>> write_study(result, "reports/policy_sensitivity")      # doctest: +SKIP
    {'csv': PosixPath('reports/policy_sensitivity/study.csv'), ...}
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": result.to_csv(out / "study.csv"),
        "json": out / "study.json",
        "markdown": out / "study.md",
        "html": out / "study.html",
    }
    paths["json"].write_text(
        json.dumps(result.to_json_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    png = None
    try:
        fig = result.tornado()
    except FlopcastError:
        fig = None  # the base failed: no chart, the table says why
    if fig is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=130, metadata={"Software": None})
        png = buffer.getvalue()
        paths["png"] = out / "tornado.png"
        paths["png"].write_bytes(png)
    paths["markdown"].write_text(
        study_markdown_section(result, "tornado.png" if png else None), encoding="utf-8"
    )
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None
    paths["html"].write_text(
        _HTML_PAGE.format(
            title=html.escape(f"flopcast sensitivity study: {result.study.name}"),
            section=study_html_section(result, src),
        ),
        encoding="utf-8",
    )
    return paths


# --------------------------------------------------------------------------------------
# Power-scaling sensitivity from one fit


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
        log_likelihood=fit.idata.log_likelihood,
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
