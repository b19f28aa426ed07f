"""Study specs: a base model spec, common overrides and named variations, validated strictly.

A study file names a base spec and a list of variations, each with a ``label``, the
``question`` it answers and dotted ``overrides`` of any model-spec field or study option
(see :mod:`flopcast.study`). :func:`load_study` validates it as strictly as a model spec:
unknown keys get a "did you mean" hint, and every variant's spec is built (base + common
overrides + its own) and validated, with errors naming the variant, all at once.

Examples
--------
>>> study = load_study("policy_sensitivity")
>>> study.variants[0].label, len(study.variants) > 20
('base', True)
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from flopcast.exceptions import SpecError
from flopcast.formatting import jsonable
from flopcast.spec import (
    ModelSpec,
    _Strict,
    load_spec,
    resolve_spec_path,
    set_dotted,
)
from flopcast.validation_messages import did_you_mean, fields_at

__all__ = ["BASE_LABEL", "StudyOptions", "StudySpec", "Variant", "load_study"]

#: Label of the base row (reserved: no variant may use it).
BASE_LABEL = "base"


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
            hints = ", ".join(f"{m!r}{did_you_mean(m, known)}" for m in missing)
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
                f"override {dotted!r}: no section {head!r}{did_you_mean(head, valid)}; "
                f"sections: {valid}"
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
            valid = fields_at(model, loc)
            lines.append(
                f"{where}: unknown key{did_you_mean(str(loc[-1]), valid)}; valid keys here: {valid}"
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{where} = {err.get('input')!r}: {msg}")
    return "\n".join(lines)


def _format_study_error(exc: ValidationError, values: dict[str, Any], origin: str) -> str:
    variants_value = values.get("variants")
    raw_variants: list[Any] = variants_value if isinstance(variants_value, list) else []
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
            valid = fields_at(_StudyFile, loc)
            hint = did_you_mean(str(loc[-1]), valid)
            lines.append(f"  - {who}{where}: unknown key{hint}; valid keys here: {valid}")
        elif err["type"] == "missing":
            lines.append(f"  - {who}{where}: missing (required)")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - {who}{where} = {err.get('input')!r}: {msg}")
    return "\n".join(lines)
