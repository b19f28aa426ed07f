"""Benchmark: do the shipped specs pass their sampler diagnostics at every seed?

Not a test (the slow test ``tests/test_seed_robustness.py`` asserts the targets). Run from
the repository root::

    python benchmarks/bench_seeds.py                      # every shipped spec, 20 seeds
    python benchmarks/bench_seeds.py --seeds 5 two_eras   # some specs, fewer seeds
    python benchmarks/bench_seeds.py --json out.json      # also save per-seed rows
    python benchmarks/bench_seeds.py three_eras --set sampler.draws=1000   # try a setting
    python benchmarks/bench_seeds.py --study models/policy_sensitivity.toml   # every variant
    python benchmarks/bench_seeds.py --study models/policy_sensitivity.toml --only coverage_50 \
        --variant-defaults                # a variant without its own sampler.* overrides

Each spec is fitted to the bundled data at seeds ``1..N`` in one process, so the compiled
model is reused and the time per refit is the warm time that studies and backtests pay.
For each spec it prints how many seeds had any diagnostic problem, the total number of
post-warm-up divergences, the smallest tail ESS and largest R-hat over all seeds, and the
median wall and CPU time per refit (the first fit, which compiles, is excluded from the
medians; CPU time, summed over the sampler's threads, depends less on what else runs).

With ``--study`` the rows are the fits of a study spec instead: variants that differ only in
forecast settings share one fit (as ``flopcast study`` runs them), so each row is one fit
and names the variants that share it. ``--only`` keeps some variants; ``--variant-defaults``
drops each variant's own ``sampler.*`` overrides (to test whether it passes without them).

Spec names are read from this checkout's ``models/`` directory, not the installed package's.

Targets (issue 15): two_eras, frontier, seed_2018 and single_trend pass on all 20 seeds,
three_eras and each policy-study variant on at least 19, and no spec slower per refit than
before (two_eras about 3 s, three_eras about 39 s on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

#: This checkout's specs (``load_spec("two_eras")`` would read the installed package's).
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"

#: Every spec shipped in models/ that fits one model (not the policy study).
SHIPPED_SPECS: tuple[str, ...] = (
    "two_eras",
    "three_eras",
    "frontier",
    "seed_2018",
    "single_trend",
)


def load_named_spec(name: str):
    """A spec by name from this checkout's models/ (or a path)."""
    from flopcast.spec import load_spec

    local = MODELS_DIR / f"{name}.toml"
    return load_spec(local if local.is_file() else name)


def study_fits(path: str, only: list[str], variant_defaults: bool) -> list[tuple[str, object]]:
    """(row label, spec) for each distinct fit of a study, as ``flopcast study`` groups them."""
    from flopcast.spec import ModelSpec
    from flopcast.study.scheduler import _fit_key
    from flopcast.study.spec import BASE_LABEL, load_study

    study = load_study(path)
    if only:
        study = study.select(only)
    groups: dict[str, list] = {}
    for variant in study.variants:
        if only and variant.label == BASE_LABEL and BASE_LABEL not in only:
            continue
        spec = variant.spec
        if variant_defaults and any(k.startswith("sampler.") for k in variant.overrides):
            values = spec.to_dict()
            values["sampler"] = study.variants[0].spec.sampler.model_dump(mode="json")
            spec = ModelSpec.from_dict(values, origin=f"{variant.label} (defaults)")
        groups.setdefault(_fit_key(variant), []).append((variant.label, spec))
    fits = []
    for members in groups.values():
        label, spec = members[0]
        if len(members) > 1:
            label += f" (+{len(members) - 1} sharing the fit)"
        fits.append((label, spec))
    return fits


def sampler_text(spec) -> str:
    """The sampler settings that decide its cost, e.g. ``tune 1000, draws 1000, 0.95``."""
    s = spec.sampler
    return f"tune {s.tune}, draws {s.draws}, target {s.target_accept}"


def fit_seeds(
    spec_name: str, seeds: list[int], overrides: dict | None = None, spec=None
) -> list[dict]:
    """Fit one spec at each seed (bundled data); one row of diagnostics per seed."""
    import flopcast
    from flopcast.fitting import fit

    if spec is None:
        spec = load_named_spec(spec_name)
    if overrides:
        spec = spec.with_overrides(overrides)
    print(f"{spec_name}: {sampler_text(spec)}", flush=True)
    runs = flopcast.load_runs()
    rows = []
    for seed in seeds:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = fit(runs, spec, seed=seed, progress=False)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        diag = result.diagnostics
        rows.append(
            {
                "spec": spec_name,
                "sampler": sampler_text(spec),
                "seed": seed,
                "ok": diag.ok,
                "divergences": diag.divergences,
                "min_ess_bulk": diag.min_ess_bulk,
                "min_ess_tail": diag.min_ess_tail,
                "max_rhat": diag.max_rhat,
                "chain_break_medians": diag.chain_break_medians,
                "problems": list(diag.problems),
                "wall_s": wall,
                "cpu_s": cpu,
                "sample_s": result.provenance["timings_s"]["sample"],
            }
        )
        status = "ok" if diag.ok else "; ".join(diag.problems)
        line = f"  {spec_name} seed {seed:>3}: {wall:6.1f} s ({cpu:5.1f} s CPU)  {status}"
        print(line, flush=True)
    return rows


def summarize(rows: list[dict]) -> dict:
    """One table row from the per-seed rows of one spec."""
    warm_rows = rows[1:] if len(rows) > 1 else rows
    return {
        "spec": rows[0]["spec"],
        "sampler": rows[0]["sampler"],
        "problems": sum(not r["ok"] for r in rows),
        "n": len(rows),
        "divergences": sum(r["divergences"] for r in rows),
        "min_ess_tail": min(r["min_ess_tail"] for r in rows),
        "min_ess_bulk": min(r["min_ess_bulk"] for r in rows),
        "max_rhat": max(r["max_rhat"] for r in rows),
        "refit_s": statistics.median(r["wall_s"] for r in warm_rows),
        "refit_cpu_s": statistics.median(r["cpu_s"] for r in warm_rows),
    }


def format_table(summaries: list[dict]) -> str:
    """The summaries as a Markdown table."""
    lines = [
        "| spec | seeds with problems | divergences | min bulk ESS | min tail ESS "
        "| max R-hat | s per refit | CPU s per refit | sampler |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        lines.append(
            f"| {s['spec']} | {s['problems']} / {s['n']} | {s['divergences']} "
            f"| {s['min_ess_bulk']:.0f} | {s['min_ess_tail']:.0f} | {s['max_rhat']:.3f} "
            f"| {s['refit_s']:.1f} | {s['refit_cpu_s']:.1f} | {s['sampler']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("specs", nargs="*", default=list(SHIPPED_SPECS))
    parser.add_argument("--seeds", type=int, default=20, help="fit seeds 1..N (default 20)")
    parser.add_argument("--json", type=Path, help="write every per-seed row here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a spec setting in every spec, e.g. sampler.tune=2000 (repeatable)",
    )
    parser.add_argument("--study", help="measure every fit of this study spec instead")
    parser.add_argument(
        "--only", action="append", default=[], metavar="LABEL", help="study variants to fit"
    )
    parser.add_argument(
        "--variant-defaults",
        action="store_true",
        help="drop each study variant's own sampler.* overrides",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    seeds = list(range(1, args.seeds + 1))
    overrides = {key: json.loads(value) for key, value in (a.split("=", 1) for a in args.set)}
    if args.study:
        jobs = study_fits(args.study, args.only, args.variant_defaults)
    else:
        jobs = [(name, None) for name in args.specs]
    all_rows: list[dict] = []
    summaries = []
    for name, spec in jobs:
        rows = fit_seeds(name, seeds, overrides, spec)
        all_rows += rows
        summaries.append(summarize(rows))
        if args.json:  # partial results survive an interrupted run
            args.json.write_text(json.dumps(all_rows, indent=1))
        print(format_table(summaries[-1:]).splitlines()[-1], flush=True)
    print()
    print(format_table(summaries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
