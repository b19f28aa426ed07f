"""The result of a rolling-origin backtest: its tables, their text form and the JSON.

The JSON (``flopcast backtest --json``, :meth:`BacktestResult.to_json_dict`) is stable and
documented in the docs' file-format reference. Version 2 (the first of this harness; the
older cutoff backtest JSON had no version):

* ``scores``: rows with ``model``, ``origin_set`` (``"development"`` or ``"test"``),
  ``target`` (``"frontier"`` or ``"all"``), ``lead`` (``"0-1"``, ``"1-2"``, ``"2-4"``,
  ``"4+"``, ``"all"``), ``n``, ``cover50``, ``cover80``, ``cover90``, ``log_score``,
  ``crps``, and also ``interval_score50/80/90``, ``median_width90`` and ``median_pit``;
* ``skill``: rows with ``model``, ``baseline``, ``origin_set``, ``target``, ``n``,
  ``n_origins`` and ``log_score_diff`` (``{"mean": x, "ci90": [lo, hi]}``);
* ``pit_histogram``: rows with ``model``, ``origin_set``, ``target``, ``counts`` (10 bins);
* ``origins``: one row per origin (``origin``, ``origin_set``, ``n_train``, ``fit_ok``, ...);
* ``spec``, ``settings`` and ``log_score``/``crps`` notes.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flopcast.atomic import write_text_atomic
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.formatting import jsonable
from flopcast.spec import ModelSpec

__all__ = ["BACKTEST_JSON_VERSION", "LOG_SCORE_NOTE", "BacktestResult"]

#: Version of the backtest JSON.
BACKTEST_JSON_VERSION: int = 2
#: How the scores are computed, for every output.
LOG_SCORE_NOTE: str = (
    "log score: log predictive density of the published log10 compute (nats per dex; higher "
    "is better), analytic (flopcast: a mixture over posterior draws of closed-form densities; "
    "baselines: Student-t); CRPS (dex, lower is better), coverage, interval scores and PIT "
    "from predictive draws"
)


@dataclass
class BacktestResult:
    """Scores of a rolling-origin backtest. Build with :func:`flopcast.backtest`.

    Attributes
    ----------
    spec : ModelSpec or None
        The spec backtested (None when read back from JSON: see ``spec_name``).
    runs : pandas.DataFrame
        One row per (model, origin, target, scored run): ``lead`` (years), ``lead_group``,
        ``log10_compute`` and the scores of
        :func:`~flopcast.backtesting.scoring.score_predictive` (empty when read from JSON).
    origins : pandas.DataFrame
        One row per origin: ``origin``, ``origin_set``, ``n_train``, ``fit_ok``, timings.
    scores : pandas.DataFrame
        :func:`~flopcast.backtesting.tables.score_table`.
    skill : pandas.DataFrame
        :func:`~flopcast.backtesting.tables.skill_table`.
    pit : pandas.DataFrame
        :func:`~flopcast.backtesting.tables.pit_histogram`.
    settings : dict
    fits : dict
        The fit at each origin (ISO date -> Fit) when ``keep_fits=True``.
    """

    spec: ModelSpec | None
    runs: pd.DataFrame
    origins: pd.DataFrame
    scores: pd.DataFrame
    skill: pd.DataFrame
    pit: pd.DataFrame
    settings: dict[str, Any]
    fits: dict[str, Fit] = field(default_factory=dict)
    spec_name: str = ""

    def __post_init__(self) -> None:
        if self.spec is not None and not self.spec_name:
            self.spec_name = self.spec.name

    # -- JSON -----------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON form (module docstring).

        Examples
        --------
        >>> flopcast.backtest(spec="frontier").to_json_dict()["json_version"]  # doctest: +SKIP
        2
        """
        skill = [
            {
                "model": r.model,
                "baseline": r.baseline,
                "origin_set": r.origin_set,
                "target": r.target,
                "n": r.n,
                "n_origins": r.n_origins,
                "log_score_diff": {"mean": r.log_score_diff, "ci90": [r.ci90_low, r.ci90_high]},
            }
            for r in self.skill.itertuples()
        ]
        origins = self.origins.copy()
        origins["origin"] = pd.to_datetime(origins["origin"]).dt.strftime("%Y-%m-%d")
        return jsonable(
            {
                "json_version": BACKTEST_JSON_VERSION,
                "spec": self.spec_name,
                "settings": self.settings,
                "notes": LOG_SCORE_NOTE,
                "origins": origins.to_dict(orient="records"),
                "scores": self.scores.to_dict(orient="records"),
                "skill": skill,
                "pit_histogram": self.pit.to_dict(orient="records"),
            }
        )

    @classmethod
    def from_json_dict(cls, values: dict[str, Any]) -> BacktestResult:
        """Read back the tables of :meth:`to_json_dict` (without per-run scores or fits)."""
        version = values.get("json_version")
        if version != BACKTEST_JSON_VERSION:
            raise FlopcastError(
                f"backtest JSON version {version!r}: this flopcast reads version "
                f"{BACKTEST_JSON_VERSION}; run `flopcast backtest --json FILE` again"
            )
        skill = pd.DataFrame(
            [
                {
                    **{k: v for k, v in row.items() if k != "log_score_diff"},
                    "log_score_diff": row["log_score_diff"]["mean"],
                    "ci90_low": row["log_score_diff"]["ci90"][0],
                    "ci90_high": row["log_score_diff"]["ci90"][1],
                }
                for row in values["skill"]
            ]
        )
        origins = pd.DataFrame(values["origins"])
        if len(origins):
            origins["origin"] = pd.to_datetime(origins["origin"])
        return cls(
            spec=None,
            runs=pd.DataFrame(),
            origins=origins,
            scores=pd.DataFrame(values["scores"]),
            skill=skill,
            pit=pd.DataFrame(values["pit_histogram"]),
            settings=dict(values.get("settings", {})),
            spec_name=str(values.get("spec", "")),
        )

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_json_dict` to ``path`` (atomically)."""
        path = Path(path)
        write_text_atomic(path, json.dumps(self.to_json_dict(), indent=1) + "\n")
        return path

    @classmethod
    def load_json(cls, path: str | Path) -> BacktestResult:
        """Read a file written by :meth:`save_json` or ``flopcast backtest --json``."""
        return cls.from_json_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # -- text -----------------------------------------------------------------------------
    def score_summary(self, lead: str = "all") -> pd.DataFrame:
        """The score rows of one lead group (default pooled), sorted for reading."""
        table = self.scores.loc[self.scores["lead"] == lead]
        return table.sort_values(["target", "origin_set", "model"], kind="stable")

    def format_tables(self) -> str:
        """The pooled score table and the skill table as text."""
        lines = [
            f"flopcast backtest: spec {self.spec_name!r}, origins "
            + ", ".join(str(d.year) for d in pd.to_datetime(self.origins["origin"]))
            + f" (test set from {self.settings.get('test_from')})",
            LOG_SCORE_NOTE,
            "",
            "Scores pooled over lead times (nominal coverage 0.50 / 0.80 / 0.90):",
            f"  {'target':<8} {'set':<11} {'model':<20} {'n':>5} {'cov50':>6} {'cov80':>6} "
            f"{'cov90':>6} {'logS':>7} {'CRPS':>6} {'IS90':>6} {'w90':>5}",
        ]
        for r in self.score_summary().itertuples():
            lines.append(
                f"  {r.target:<8} {r.origin_set:<11} {r.model:<20} {r.n:>5} {r.cover50:>6.3f} "
                f"{r.cover80:>6.3f} {r.cover90:>6.3f} {r.log_score:>7.3f} {r.crps:>6.3f} "
                f"{r.interval_score90:>6.2f} {r.median_width90:>5.2f}"
            )
        if len(self.skill):
            lines += [
                "",
                "Skill: mean log-score difference per run, model minus baseline (positive: "
                "model better), bootstrap 90% interval over origins:",
                f"  {'target':<8} {'set':<11} {'model':<12} {'baseline':<20} {'n':>5} "
                f"{'diff':>7}  ci90",
            ]
            table = self.skill.sort_values(["target", "origin_set"], kind="stable")
            for r in table.itertuples():
                lines.append(
                    f"  {r.target:<8} {r.origin_set:<11} {r.model:<12} {r.baseline:<20} "
                    f"{r.n:>5} {r.log_score_diff:>7.3f}  [{r.ci90_low:.3f}, {r.ci90_high:.3f}]"
                )
        if "fit_ok" in self.origins and not self.origins["fit_ok"].all():
            bad = self.origins.loc[~self.origins["fit_ok"].astype(bool), "origin"]
            lines.append(
                "WARNING: sampler diagnostics failed at origin(s) "
                + ", ".join(str(pd.Timestamp(d).date()) for d in bad)
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_tables()

    def _repr_html_(self) -> str:
        return (
            f"<div><b>flopcast backtest</b>: spec <code>{html.escape(self.spec_name)}</code>. "
            + html.escape(LOG_SCORE_NOTE)
            + self.score_summary().to_html(index=False, float_format=lambda v: f"{v:.3f}")
            + self.skill.to_html(index=False, float_format=lambda v: f"{v:.3f}")
            + "</div>"
        )
