"""Model specs: the declarative description of one fit, read from ``models/*.toml``.

A spec says which runs to use (data filters, frontier rule), the shape of the model (number
of breaks, level jumps, scatter family), its priors, the measurement-error factors, the
sampler settings and the forecast horizon. Specs are validated strictly on load with pydantic
(a well-kept library that gives typed, range-checked fields and precise error locations):
unknown keys are rejected with a "did you mean ...?" hint and every value is range-checked
with the parameter named. The *resolved* spec (all defaults filled in) is what travels with
every fit (:meth:`ModelSpec.to_dict`).

Examples
--------
>>> spec = ModelSpec.from_dict({"name": "demo", "model": {"breaks": 2}})
>>> spec.model.breaks, spec.sampler.backend
(2, 'nutpie')
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from flopcast.dates import parse_date, to_decimal_year
from flopcast.exceptions import FlopcastError, SpecError
from flopcast.runs.error_groups import ErrorModel
from flopcast.runs.schema import CANONICAL_COLUMNS, CONFIDENCES, METHODS
from flopcast.validation_messages import did_you_mean, format_validation_error

#: Reference year that the model's time axis is centred on (t = year - T_REF).
T_REF = 2010.0


#: Largest sampler seed: numpy's legacy seed range, which both samplers (nutpie, PyMC) accept.
MAX_SEED = 2**32 - 1


class _Strict(BaseModel):
    # allow_inf_nan=False: every float field (and list/dict of floats) must be finite.
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


def _date_field(value: Any, info: ValidationInfo) -> Any:
    """Read a spec date with the one date parser (ISO date, year or decimal year)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return parse_date(value, what=str(info.field_name), year_end=info.field_name == "horizon")
    except FlopcastError as exc:
        raise ValueError(str(exc)) from None


def _decimal_year_field(value: Any, info: ValidationInfo) -> Any:
    """Read a break date (decimal year, year or ISO date) as a decimal year."""
    if value is None:
        return value
    items = value if isinstance(value, list) else [value]
    try:
        years = [to_decimal_year(v, what=str(info.field_name)) for v in items]
    except FlopcastError as exc:
        raise ValueError(str(exc)) from None
    return years if isinstance(value, list) else years[0]


def _positive_thresholds(value: list[float], info: ValidationInfo) -> list[float]:
    bad = [v for v in value if not v > 0]
    if bad:
        raise ValueError(f"thresholds must be positive numbers, got {bad}")
    return value


class Selection(_Strict):
    """One block of data filters; a run is selected when it passes every filter given.

    Lists are "any of"; an empty list means "no filter". ``systems`` matches names
    case-insensitively and every name must exist in the data.
    """

    date_min: dt.date | None = None
    date_max: dt.date | None = None
    domains: list[str] = Field(default_factory=list)
    exclude_domains: list[str] = Field(default_factory=list)
    confidences: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)
    systems: list[str] = Field(default_factory=list)
    exclude_systems: list[str] = Field(default_factory=list)
    #: Generic equality filters on any canonical column: ``{column = [values]}``.
    where: dict[str, list[str | float | int]] = Field(default_factory=dict)

    _dates = field_validator("date_min", "date_max", mode="before")(_date_field)

    @field_validator("confidences")
    @classmethod
    def _known_confidences(cls, value: list[str]) -> list[str]:
        return [_check_label(v, CONFIDENCES, "confidences") for v in value]

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, value: list[str]) -> list[str]:
        return [_check_label(v, METHODS, "methods") for v in value]

    @field_validator("where")
    @classmethod
    def _known_columns(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for column in value:
            if column not in CANONICAL_COLUMNS:
                raise ValueError(
                    f"unknown data column {column!r}{did_you_mean(column, CANONICAL_COLUMNS)}; "
                    f"columns are {list(CANONICAL_COLUMNS)}"
                )
        return value

    @model_validator(mode="after")
    def _dates_ordered(self) -> Selection:
        if self.date_min and self.date_max and self.date_min > self.date_max:
            raise ValueError(f"date_min {self.date_min} is after date_max {self.date_max}")
        return self


class DataSpec(_Strict):
    """Which runs a fit uses.

    ``source`` is ``"bundled"`` or a path to a runs file (Epoch export or canonical CSV).
    ``select`` is a list of selection blocks whose matches are united (a run is used when any
    block selects it); with no block, every usable run is used.
    """

    source: str = "bundled"
    select: list[Selection] = Field(default_factory=list)
    #: Runs listed without a compute estimate: left out (``"ignore"``), or entered as
    #: censored observations (compute at least a lower bound: the run's lower-bound column,
    #: else ``undisclosed_floor_flop``, else the floor of a downloaded dataset such as Epoch's
    #: large-scale list, 1e23 FLOP); ``source = "latest"`` reads ``flopcast data update``'s copy.
    undisclosed: Literal["ignore", "censored"] = "ignore"
    undisclosed_floor_flop: float | None = Field(None, gt=0)


FrontierRule = Literal["none", "top_n", "residual"]


class FrontierSpec(_Strict):
    """Restrict the fit to frontier runs.

    ``top_n``: runs that were among the ``n`` largest by compute when published.
    ``residual``: runs more than ``threshold_dex`` (log10 units) above the median trend of a
    first fit to all selected runs.

    ``rank_among`` (``top_n`` only) says which runs a run is ranked against: ``"selected"``
    ranks among the runs the ``[[data.select]]`` blocks keep, so the first ``n`` runs of a
    date window are always on the frontier; ``"all"`` ranks among every usable run of the
    data (the backtest's definition of a frontier run) and then applies the selection.
    """

    rule: FrontierRule = "none"
    n: int = Field(10, ge=1, le=1000)
    threshold_dex: float = Field(1.0, ge=0.0, le=5.0)
    rank_among: Literal["selected", "all"] = "selected"


class ModelStructure(_Strict):
    """The shape of the trend model (what needs a new compiled model when it changes)."""

    breaks: int = Field(1, ge=0, le=3)
    jump: bool = False
    scatter: Literal["normal", "student_t"] = "normal"
    scatter_per_era: bool = False
    #: Scatter that varies smoothly in time: ``scatter * exp(scatter_trend * (t - t_last))``,
    #: ``scatter`` its value at the last run; held at its end values outside the data's years.
    scatter_trend: bool = False
    form: Literal["auto", "marginal", "latent"] = "auto"
    error_scale: Literal["known", "prior"] = "known"
    #: Break dates fixed instead of inferred (decimal years, one per break).
    fixed_breaks: list[float] | None = None

    _fixed_dates = field_validator("fixed_breaks", mode="before")(_decimal_year_field)

    @model_validator(mode="after")
    def _consistent(self) -> ModelStructure:
        if self.form == "marginal" and self.scatter == "student_t":
            raise ValueError(
                "form='marginal' needs scatter='normal': Student-t scatter has no closed-form "
                "marginal; use form='latent' or 'auto'"
            )
        if self.fixed_breaks is not None:
            if len(self.fixed_breaks) != self.breaks:
                raise ValueError(
                    f"fixed_breaks has {len(self.fixed_breaks)} date(s) but breaks = "
                    f"{self.breaks}; give one date per break"
                )
            if sorted(self.fixed_breaks) != list(self.fixed_breaks):
                raise ValueError(
                    f"fixed_breaks must be in increasing order, got {self.fixed_breaks}"
                )
        if self.breaks == 0 and (self.jump or self.scatter_per_era):
            raise ValueError("jump and scatter_per_era need at least one break (breaks >= 1)")
        if self.scatter_trend and self.scatter_per_era:
            raise ValueError("scatter_trend and scatter_per_era are alternatives; choose one")
        return self

    @property
    def resolved_form(self) -> Literal["marginal", "latent"]:
        """``latent`` for Student-t scatter, else ``marginal`` unless asked otherwise."""
        if self.form != "auto":
            return self.form
        return "latent" if self.scatter == "student_t" else "marginal"


class PriorSpec(_Strict):
    """Prior hyperparameters (log10 FLOP and decimal years throughout)."""

    #: Level of the trend at the first break (or at T_REF with no break): Normal(mu, sd).
    level_mu: float = 20.0
    level_sd: float = Field(5.0, gt=0)
    #: Slope of every era in log10 FLOP per year: Normal(mu, sd).
    slope_mu: float = 0.3
    slope_sd: float = Field(1.0, gt=0)
    #: Intrinsic scatter of true compute around the trend (dex): HalfNormal(sd).
    scatter_sd: float = Field(2.0, gt=0)
    #: Level jump at each break (dex): Normal(0, sd).
    jump_sd: float = Field(1.0, gt=0)
    #: Break dates are uniform over [break_min, break_max] (default: the data range), ordered,
    #: with every era at least ``min_era_years`` long.
    break_min: float | None = None
    break_max: float | None = None
    min_era_years: float = Field(5.0, ge=0.0, le=50.0)
    #: Student-t degrees of freedom: Gamma(2, rate).
    nu_rate: float = Field(0.1, gt=0)
    #: Spread (log-scale sd) of the prior on each error group's scale when error_scale="prior".
    error_scale_sd: float = Field(0.3, gt=0, le=3)
    #: Trend of the scatter (scatter_trend = true): change of ln(scatter) per year, Normal(0, sd).
    scatter_trend_sd: float = Field(0.05, gt=0, le=1)

    _break_dates = field_validator("break_min", "break_max", mode="before")(_decimal_year_field)

    @model_validator(mode="after")
    def _range(self) -> PriorSpec:
        if (
            self.break_min is not None
            and self.break_max is not None
            and self.break_min >= self.break_max
        ):
            raise ValueError(
                f"break_min {self.break_min} must be before break_max {self.break_max}"
            )
        return self


class ErrorSpec(_Strict):
    """Measurement-error factors; see :mod:`flopcast.runs.error_groups` for their meaning."""

    coverage: float = Field(0.9, gt=0, lt=1)
    era_boundary: float = Field(2012.0, ge=1940, le=2100)
    use_explicit_bounds: bool = True
    modern_method_factors: dict[str, float] = Field(default_factory=dict)
    early_method_factors: dict[str, float] = Field(default_factory=dict)
    confidence_factors: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid_error_model(self) -> ErrorSpec:
        try:
            self.error_model()
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return self

    def error_model(self) -> ErrorModel:
        """The :class:`~flopcast.runs.error_groups.ErrorModel` with these overrides."""
        return ErrorModel.from_dict(self.model_dump())


class SamplerSpec(_Strict):
    """MCMC settings. ``backend``: nutpie (default, compiled with numba) or PyMC's NUTS."""

    backend: Literal["nutpie", "pymc"] = "nutpie"
    chains: int = Field(4, ge=1, le=16)
    draws: int = Field(1000, ge=50, le=100_000)
    tune: int = Field(1000, ge=50, le=100_000)
    seed: int = Field(20_240_611, ge=0, le=MAX_SEED)
    #: 0.95 rather than 0.9: at 0.9 the bundled data gave one or two divergences per fit
    #: when a chain visited break dates near 2014.
    target_accept: float = Field(0.95, gt=0.5, lt=1.0)
    #: nutpie's low-rank modified mass matrix. Unset (the default): on for the marginal
    #: form, off for the latent form, whose one parameter per run made each leapfrog step
    #: about four times dearer with it (twice the refit time of the Student-t study variant
    #: at its seed-robust draws; see ``docs/explanation/sampling.md``).
    low_rank_mass_matrix: bool | None = None

    def resolved_low_rank(self, form: Literal["marginal", "latent"]) -> bool:
        """Whether nutpie adapts a low-rank mass matrix for a model of this ``form``."""
        if self.low_rank_mass_matrix is not None:
            return self.low_rank_mass_matrix
        return form == "marginal"


class ForecastSpec(_Strict):
    """Forecast horizon and thresholds (used by the forecast and report commands)."""

    horizon: dt.date = dt.date(2030, 12, 31)
    thresholds_flop: list[float] = Field(default_factory=lambda: [1e25, 1e26, 1e27, 1e28, 1e29])
    thresholds_usd: list[float] = Field(default_factory=lambda: [1e8, 1e9, 1e10, 1e11])
    #: Future regime changes (:class:`flopcast.forecasting.RegimeChanges`): new breaks arrive
    #: at a rate per year distributed ``Gamma(0.5 + regime_breaks_seen, regime_years_seen)``,
    #: the Jeffreys posterior after ``regime_breaks_seen`` breaks in ``regime_years_seen``
    #: years. Default: 3 breaks (near 1995, 2010 and 2018) in the 35 data-rich years
    #: 1990-2025, a mean of 0.1 per year (90%: 0.031-0.20).
    regime_breaks_seen: float = Field(3.0, ge=0.0, le=100.0)
    regime_years_seen: float = Field(35.0, gt=0.0, le=500.0)
    #: Standard deviation of ``ln(new slope / old slope)`` at a future break; unset: the
    #: root-mean-square of the fit's own log slope ratios (at least ln 1.5).
    regime_slope_log_sd: float | None = Field(None, ge=0.0, le=5.0)
    #: A future break never raises the slope above this (log10 FLOP per year). Default 1.06:
    #: a doubling every 3.4 months, the fastest era on record (Amodei & Hernandez 2018).
    regime_max_slope: float = Field(1.06, gt=0.0, le=10.0)

    _horizon = field_validator("horizon", mode="before")(_date_field)
    _thresholds = field_validator("thresholds_flop", "thresholds_usd")(_positive_thresholds)


class CountsSpec(_Strict):
    """Counts of runs above compute thresholds per year (:mod:`flopcast.forecasting.counts`).

    ``thresholds_flop``: the thresholds counted. ``rate_since``: the first calendar year of
    the model of runs published per year (a negative binomial with a log-linear rate, fitted
    to the complete calendar years from this one to the last complete year of the data).
    """

    thresholds_flop: list[float] = Field(default_factory=lambda: [1e24, 1e25, 1e26, 1e27])
    rate_since: int = Field(2016, ge=1950, le=2100)
    #: The share above a threshold: ``"empirical"`` residuals of the runs of the last
    #: ``tail_years`` complete years around the trend, the top ``tail_share`` of them an
    #: exponential tail (:mod:`flopcast.forecasting.count_tail`), or the model's ``"scatter"``.
    tail: Literal["empirical", "scatter"] = "empirical"
    tail_years: int = Field(3, ge=1, le=50)
    tail_share: float = Field(0.1, ge=0.0, le=0.5)


class Ceiling(_Strict):
    """One ceiling on a frontier run: a lognormal prior on its value in 2030.

    ``low_2030``/``high_2030`` are the 5th and 95th percentiles in 2030 (FLOP for
    ``applies_to = "compute_flop"``, constant US dollars of the cost's base year for
    ``"cost_usd"``); the ceiling grows by ``growth_per_year`` (a factor) per year before and
    after 2030. ``source`` says where the numbers come from.
    """

    name: str = Field(min_length=1, max_length=60)
    applies_to: Literal["compute_flop", "cost_usd"] = "compute_flop"
    low_2030: float = Field(gt=0)
    high_2030: float = Field(gt=0)
    growth_per_year: float = Field(gt=0.1, le=100.0)
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Ceiling:
        if self.low_2030 >= self.high_2030:
            raise ValueError(f"low_2030 {self.low_2030} must be below high_2030 {self.high_2030}")
        return self


_SEVILLA = "Sevilla et al. 2024, Can AI scaling continue through 2030? (Epoch AI)"
#: The default ceilings (docs: explanation/counts_and_limits). Compute: the 2030 ranges of
#: Sevilla et al. 2024 as 90% intervals; cost: a share of gross world product and of the
#: largest developer's capital spending, in 2023 US dollars. Growth factors are stated
#: assumptions, given with their reasoning in the docs.
DEFAULT_CEILINGS: tuple[dict[str, Any], ...] = (
    {"name": "power", "low_2030": 2e28, "high_2030": 2e30, "growth_per_year": 1.55,
     "source": f"{_SEVILLA}: power over many sites (2-45 GW); growth 1.2x/yr power x 1.3x/yr "
     "FLOP per watt (stated)"},
    {"name": "chip production", "low_2030": 1e29, "high_2030": 5e30, "growth_per_year": 1.7,
     "source": f"{_SEVILLA}: chip production; growth 1.3x/yr output x 1.3x/yr FLOP/s per "
     "chip (stated)"},
    {"name": "data", "low_2030": 6e28, "high_2030": 2e32, "growth_per_year": 1.15,
     "source": f"{_SEVILLA}: data scarcity; growth 1.07x/yr text stock, squared (stated)"},
    {"name": "latency", "low_2030": 3e30, "high_2030": 1e32, "growth_per_year": 1.2,
     "source": f"{_SEVILLA}: the latency wall; growth 1.2x/yr (stated)"},
    {"name": "bandwidth", "low_2030": 3e29, "high_2030": 2e31, "growth_per_year": 1.3,
     "source": f"{_SEVILLA}: inter-site bandwidth; growth 1.3x/yr (stated)"},
    {"name": "world output", "applies_to": "cost_usd", "low_2030": 1.3e11,
     "high_2030": 1.3e12, "growth_per_year": 1.03,
     "source": "0.1-1% of gross world product (IMF WEO: $105 trillion in 2023, 3%/yr real "
     "growth to $129 trillion in 2030); growth 1.03x/yr"},
    {"name": "developer capex", "applies_to": "cost_usd", "low_2030": 2e10,
     "high_2030": 2e11, "growth_per_year": 1.15,
     "source": "10-40% of the largest developer's annual capital spending ($200-450 billion "
     "in 2030 from about $80 billion in 2024, company reports), amortized; growth 1.15x/yr"},
)  # fmt: skip


def _default_ceilings() -> list[Ceiling]:
    return [Ceiling(**values) for values in DEFAULT_CEILINGS]


class LimitsSpec(_Strict):
    """Physical and economic ceilings on a frontier run (:mod:`flopcast.forecasting.limits`).

    ``mode``: ``"auto"`` (on for horizons more than ``auto_years`` past the last run),
    ``"on"`` or ``"off"``. ``softness_dex``: width of the soft minimum in log10 units.
    ``looser``: a factor multiplying every ceiling (10: ten times looser).
    """

    mode: Literal["auto", "on", "off"] = "auto"
    auto_years: float = Field(3.0, ge=0.0, le=100.0)
    softness_dex: float = Field(0.3, gt=0.0, le=3.0)
    looser: float = Field(1.0, gt=0.0, le=1e12)
    ceilings: list[Ceiling] = Field(default_factory=_default_ceilings, min_length=1)


class ModelSpec(_Strict):
    """A complete, validated model spec. Build with :func:`load_spec` or :meth:`from_dict`."""

    name: str = "unnamed"
    description: str = ""
    data: DataSpec = Field(default_factory=DataSpec)
    frontier: FrontierSpec = Field(default_factory=FrontierSpec)
    model: ModelStructure = Field(default_factory=ModelStructure)
    priors: PriorSpec = Field(default_factory=PriorSpec)
    errors: ErrorSpec = Field(default_factory=ErrorSpec)
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    forecast: ForecastSpec = Field(default_factory=ForecastSpec)
    counts: CountsSpec = Field(default_factory=CountsSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, origin: str = "spec") -> ModelSpec:
        """Validate a nested dict (as read from TOML); raise :class:`SpecError` on problems."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SpecError(format_validation_error(exc, cls, origin)) from None

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec, every default filled in, as JSON-compatible values."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def with_overrides(self, overrides: dict[str, Any]) -> ModelSpec:
        """A copy with dotted-key overrides, e.g. ``{"model.breaks": 2}``, validated again.

        Examples
        --------
        >>> ModelSpec().with_overrides({"model.breaks": 2}).model.breaks
        2
        """
        values = self.to_dict()
        for dotted, value in overrides.items():
            set_dotted(values, dotted, value)
        return ModelSpec.from_dict(values, origin=f"overrides {sorted(overrides)}")

    def __str__(self) -> str:
        m = self.model
        return (
            f"ModelSpec {self.name!r}: {m.breaks} break(s), jump={m.jump}, scatter={m.scatter}, "
            f"form={m.resolved_form}, errors={m.error_scale}, frontier={self.frontier.rule}"
        )


def set_dotted(values: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``values["a"]["b"] = value`` for ``dotted == "a.b"``, naming bad paths."""
    keys = dotted.split(".")
    node = values
    for depth, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(keys[:depth]) or "the spec"
            options = list(node) if isinstance(node, dict) else []
            raise SpecError(
                f"override {dotted!r}: {where} has no section {key!r}{did_you_mean(key, options)}"
            )
        node = node[key]
    if not isinstance(node, dict):
        raise SpecError(f"override {dotted!r}: {'.'.join(keys[:-1])} is not a section")
    node[keys[-1]] = value


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a TOML model spec.

    ``path`` may be a file path or the name of a shipped spec (``"two_eras"``).

    Examples
    --------
    >>> load_spec("two_eras").model.breaks
    1
    """
    file = resolve_spec_path(path)
    values = _read_toml(file)
    if "variants" in values or "base" in values:
        raise SpecError(
            f"{file}: this is a study spec (it has 'base'/'variants'); run it with "
            f"`flopcast study {file}` or flopcast.study.run_study"
        )
    values.setdefault("name", file.stem)
    return ModelSpec.from_dict(values, origin=str(file))


def _read_toml(file: Path) -> dict[str, Any]:
    """A TOML file's values; a byte-order mark is allowed, other failures name the file."""
    if file.is_dir():
        raise SpecError(f"{file}: is a folder, not a spec file")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SpecError(
            f"{file}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "re-save the spec as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{file}: not valid TOML: {exc}") from None


def shipped_specs() -> list[str]:
    """Names of the model specs shipped with the package (``models/*.toml``, not studies)."""
    root = resources.files("flopcast._models")
    return sorted(
        p.name[:-5]
        for p in root.iterdir()
        if p.name.endswith(".toml") and not _is_study(p.read_text(encoding="utf-8"))
    )


def _is_study(text: str) -> bool:
    values = tomllib.loads(text)
    return "variants" in values or "base" in values


def resolve_spec_path(path: str | Path) -> Path:
    """A spec file path, or a shipped spec found by name; a clear error otherwise."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    name = candidate.name.removesuffix(".toml")
    shipped = resources.files("flopcast._models") / f"{name}.toml"
    by_name = str(path) in (name, f"{name}.toml") or str(path).startswith("models/")
    if by_name and shipped.is_file():
        return Path(str(shipped))
    names = shipped_specs()
    raise SpecError(
        f"no spec file {str(path)!r}{did_you_mean(name, names)}; shipped specs: {names}"
    )


def _check_label(value: str, allowed: tuple[str, ...], field: str) -> str:
    label = value.strip().lower()
    if label not in allowed:
        raise ValueError(
            f"unknown {field} label {value!r}{did_you_mean(label, allowed)}; "
            f"allowed: {list(allowed)}"
        )
    return label
