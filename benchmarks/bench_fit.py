"""Benchmark: time to fit the default spec on the bundled data, cold and warm.

Not a test. Run from the repository root::

    python benchmarks/bench_fit.py            # cold (fresh process, empty caches) + warm
    python benchmarks/bench_fit.py --repeat 3
    python benchmarks/bench_fit.py --skip-cold --skip-latent --draws 500   # fewer draws
    python benchmarks/bench_fit.py --steps     # where the latent form's extra time goes

*Cold* runs a new Python process with fresh, empty PyTensor and numba cache directories, so
it pays for imports, graph building and the numba compile. *Warm* refits in one process
with the compiled model reused (new data through nutpie's ``with_data``), which is what
sensitivity studies and backtests do. For each fit it prints compile and sampling time,
bulk ESS and ESS per second of sampling for the break date and both doubling times,
max R-hat and post-warm-up divergences; then the same for the explicit latent form.
``--steps`` splits each form's sampling time into gradient evaluations (leapfrog steps per
draw, in warm-up and after it) times the cost of one evaluation, which is what the latent
form's ratio to the marginal one is made of.

Targets (2-core machine, see issue 3): cold <= 8 s wall, warm <= 1.5 s, bulk ESS >= 1000
for the break date and both doubling times, R-hat <= 1.01, no divergences, latent form
within 5x of the marginal one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import flopcast
from flopcast.fitting import fit
from flopcast.spec import load_spec
t_import = time.perf_counter() - t0
spec = load_spec(sys.argv[1])
runs = flopcast.load_runs()
t1 = time.perf_counter()
result = fit(runs, spec, progress=False)
t_fit = time.perf_counter() - t1
print(json.dumps({"import": t_import, "fit": t_fit, "wall": time.perf_counter() - t0,
                  **result.provenance["timings_s"]}))
"""


def _ess_report(result) -> dict:
    import arviz as az

    post = result.posterior
    ess = az.ess(post[["breaks", "doubling_months"]], method="bulk")
    tail = az.ess(post[["breaks", "doubling_months"]], method="tail")
    sample_s = result.provenance["timings_s"]["sample"]
    out = {"break_date": float(ess["breaks"].values[0])}
    for k in range(post.sizes["era"]):
        out[f"doubling_era_{k + 1}"] = float(ess["doubling_months"].values[k])
    return {
        "ess_bulk": out,
        "ess_per_s": {k: v / sample_s for k, v in out.items()},
        "min_ess_tail": float(min(tail["breaks"].min(), tail["doubling_months"].min())),
        "max_rhat": result.diagnostics.max_rhat,
        "divergences": result.diagnostics.divergences,
    }


def cold(spec: str) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ)
        env["PYTENSOR_FLAGS"] = f"compiledir={cache}/pytensor"
        env["NUMBA_CACHE_DIR"] = f"{cache}/numba"
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, spec], env=env, capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall"] = wall
    return result


def _spec(spec_name: str, draws: int | None):
    from flopcast.spec import load_spec

    spec = load_spec(spec_name)
    return spec if draws is None else spec.with_overrides({"sampler.draws": draws})


def warm(spec_name: str, repeat: int, draws: int | None = None) -> list[dict]:
    import warnings

    warnings.filterwarnings("ignore")
    import flopcast
    from flopcast.fitting import fit

    runs = flopcast.load_runs()
    spec = _spec(spec_name, draws)
    fit(runs, spec, progress=False)  # compile once
    rows = []
    for i in range(repeat):
        start = time.perf_counter()
        result = fit(runs, spec, seed=100 + i, progress=False)
        wall = time.perf_counter() - start
        rows.append({"wall": wall, **result.provenance["timings_s"], **_ess_report(result)})
    return rows


def latent(spec_name: str, repeat: int, draws: int | None = None) -> list[dict]:
    spec = _spec(spec_name, draws).with_overrides({"model.form": "latent"})
    import flopcast
    from flopcast.fitting import fit

    runs = flopcast.load_runs()
    start = time.perf_counter()
    fit(runs, spec, progress=False)
    first = time.perf_counter() - start
    rows = []
    for i in range(repeat):
        start = time.perf_counter()
        result = fit(runs, spec, seed=100 + i, progress=False)
        rows.append(
            {
                "wall": time.perf_counter() - start,
                "first_fit_wall": first,
                **result.provenance["timings_s"],
                **_ess_report(result),
            }
        )
    return rows


def _capture_nutpie() -> list:
    """Make ``nutpie.sample`` keep its warm-up statistics and remember each raw result."""
    import nutpie

    captured: list = []
    original = nutpie.sample

    def sample(*args, **kwargs):
        kwargs["save_warmup"] = True  # warm-up draws go to their own group; results unchanged
        raw = original(*args, **kwargs)
        captured.append((args[0].n_dim, raw))
        return raw

    nutpie.sample = sample
    return captured


def steps(spec_name: str, repeat: int) -> list[dict]:
    """Gradient evaluations and seconds per evaluation, marginal and latent form."""
    import flopcast
    from flopcast.fitting import fit

    captured = _capture_nutpie()
    runs = flopcast.load_runs()
    rows = []
    for form in ("marginal", "latent"):
        spec = _spec(spec_name, None).with_overrides({"model.form": form})
        fit(runs, spec, progress=False)  # compile once
        for i in range(repeat):
            result = fit(runs, spec, seed=100 + i, progress=False)
            n_dim, raw = captured[-1]
            warm_steps = raw.warmup_sample_stats["n_steps"].values
            draw_steps = raw.sample_stats["n_steps"].values
            evals = float(warm_steps.sum() + draw_steps.sum())
            sample_s = result.provenance["timings_s"]["sample"]
            lanes = min(spec.sampler.chains, 2)
            ess = _ess_report(result)["ess_bulk"]
            rows.append(
                {
                    "form": form,
                    "n_dim": n_dim,
                    "lanes": lanes,
                    "sample": sample_s,
                    "steps_per_draw_warmup": float(warm_steps.mean()),
                    "steps_per_draw": float(draw_steps.mean()),
                    "step_size": float(raw.sample_stats["step_size"].values.mean()),
                    "evals": evals,
                    "us_per_eval": 1e6 * sample_s * lanes / evals,
                    "min_ess_bulk": min(ess.values()),
                }
            )
    return rows


def _print_steps(rows: list[dict]) -> None:
    by_form: dict[str, list[dict]] = {}
    for row in rows:
        by_form.setdefault(row["form"], []).append(row)
        print(
            f"steps {row['form']:8s}: sample {row['sample']:.2f} s = "
            f"{row['evals']:.0f} gradient evaluations (leapfrog steps per draw: warm-up "
            f"{row['steps_per_draw_warmup']:.1f}, sampling {row['steps_per_draw']:.1f}; "
            f"step size {row['step_size']:.3f}) x {row['us_per_eval']:.1f} us each on "
            f"{row['lanes']} lanes; {row['n_dim']} parameters; min bulk ESS "
            f"{row['min_ess_bulk']:.0f}"
        )
    if {"marginal", "latent"} <= by_form.keys():
        keys = ("sample", "evals", "us_per_eval")
        med = {
            f: {k: float(np.median([r[k] for r in v])) for k in keys} for f, v in by_form.items()
        }
        print(
            "latent / marginal (medians): sampling "
            f"{med['latent']['sample'] / med['marginal']['sample']:.1f}x = gradient evaluations "
            f"{med['latent']['evals'] / med['marginal']['evals']:.1f}x * cost per evaluation "
            f"{med['latent']['us_per_eval'] / med['marginal']['us_per_eval']:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="two_eras")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-latent", action="store_true")
    parser.add_argument("--draws", type=int, default=None, help="Warm fits' draws per chain.")
    parser.add_argument(
        "--steps", action="store_true", help="Only the gradient-evaluation breakdown."
    )
    args = parser.parse_args()
    print(f"1-minute load average at the start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cpu)")
    if args.steps:
        _print_steps(steps(args.spec, args.repeat))
        print(f"1-minute load average at the end: {os.getloadavg()[0]:.2f}")
        return
    if not args.skip_cold:
        c = cold(args.spec)
        print(
            f"cold  (new process, empty caches): wall {c['process_wall']:.1f} s = import "
            f"{c['import']:.1f} + compile {c['compile']:.1f} + sample {c['sample']:.2f} + other"
        )
    for row in warm(args.spec, args.repeat, args.draws):
        print(
            f"warm  marginal: wall {row['wall']:.2f} s (sample {row['sample']:.2f} s); "
            f"bulk ESS {json.dumps({k: round(v) for k, v in row['ess_bulk'].items()})}; "
            f"min tail ESS {row['min_ess_tail']:.0f}; "
            f"ESS/s {json.dumps({k: round(v) for k, v in row['ess_per_s'].items()})}; "
            f"max R-hat {row['max_rhat']:.4f}; divergences {row['divergences']}"
        )
    for row in [] if args.skip_latent else latent(args.spec, args.repeat, args.draws):
        print(
            f"warm  latent:   wall {row['wall']:.2f} s (sample {row['sample']:.2f} s; first "
            f"fit incl. compile {row['first_fit_wall']:.1f} s); bulk ESS "
            f"{json.dumps({k: round(v) for k, v in row['ess_bulk'].items()})}; "
            f"max R-hat {row['max_rhat']:.4f}; divergences {row['divergences']}"
        )
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.2f}")
    if args.draws is not None:
        print(f"(warm fits at {args.draws} draws per chain, the spec's tuning)")


if __name__ == "__main__":
    main()
