"""Benchmark: the shipped policy sensitivity study, end to end on the bundled data.

Not a test. Run from the repository root::

    python benchmarks/bench_study.py                 # default: one worker per core
    python benchmarks/bench_study.py --processes 1   # everything in this process
    python benchmarks/bench_study.py --out reports/policy_sensitivity   # also write files

Prints the wall time of the whole study (from process start, so it includes imports,
worker start-up, every compile, sampling and forecasting), then per variant: wall time, how
it was split (compile, sampling, forecast, price-performance fit, worker import), whether it
compiled its model or reused one, which worker ran it, its status; then the totals: model
compiles versus distinct model structures, and summed seconds per phase.

``--draws-scale 0.5`` halves every variant's draws after warm-up (``run_study``'s
``draws_scale``) and prints the smallest bulk and tail ESS of any variant, to check that the
medians and 90% intervals a study reports still rest on about 1000 effective draws.

Target (issue 5, item 3): <= 60 s for about 24 variants on a 2-core machine, compiling each
model structure once. Each fit samples 4 chains x 1000 draws as the shipped specs say (the
three-era variant 4 x 2000 after 2000 tuning steps), so the figure is for results a brief
can quote, not a shortened run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

START = time.perf_counter()
LOAD_START = os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="policy_sensitivity")
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", default=None, help="Also write the study files here.")
    parser.add_argument("--json", default=None, help="Write the timing summary here.")
    parser.add_argument(
        "--draws-scale",
        type=float,
        default=None,
        help="Scale every variant's draws (run_study's draws_scale; default: the specs').",
    )
    args = parser.parse_args()

    import warnings

    warnings.filterwarnings("ignore")
    from flopcast.study import load_study, run_study, write_study

    study = load_study(args.study)
    result = run_study(
        study,
        processes=args.processes,
        scheduler=args.scheduler,
        only=args.only,
        progress=sys.stderr.isatty(),
        draws_scale=args.draws_scale,
    )
    wall = time.perf_counter() - START
    table = result.table()
    columns = [
        "label",
        "wall_s",
        "fit_s",
        "compile_s",
        "sample_s",
        "forecast_s",
        "price_performance_s",
        "import_s",
        "compiled",
        "min_ess_bulk",
        "min_ess_tail",
        "fit_shared_with",
        "worker",
        "status",
    ]
    with_timing = table[columns].copy()
    with_timing["status"] = with_timing["status"].str.slice(0, 60)
    print(with_timing.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    timing = result.timing()
    timing["process_wall_s"] = wall
    print()
    print(
        f"study {study.name!r}: {timing['variants']} rows ({timing['variants'] - 1} variants "
        f"+ base) in {wall:.1f} s wall from process start ({result.wall_s:.1f} s in "
        f"run_study; {result.mode})"
    )
    print(
        f"model compiles: {timing['compiles']} for {timing['structures']} structure(s); "
        f"summed over variants: compile {timing['sum_compile_s']:.0f} s, sampling "
        f"{timing['sum_sample_s']:.0f} s, forecasts {timing['sum_forecast_s']:.0f} s, "
        f"price-performance fits {timing['sum_price_performance_s']:.0f} s, worker imports "
        f"{timing['sum_import_s']:.0f} s"
    )
    busy = table.groupby("worker")["wall_s"].sum()
    print(
        "variant seconds per worker (both busy to the end means the study is CPU-bound): "
        + ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in busy.items())
    )
    fitted = table[table["fit_shared_with"].fillna("") == ""]
    print(
        f"draws scale {args.draws_scale or 1}: smallest bulk / tail ESS over the fitted "
        f"parameters of any variant {fitted['min_ess_bulk'].min():.0f} / "
        f"{fitted['min_ess_tail'].min():.0f}; variants below 1000: "
        + (
            ", ".join(
                fitted.loc[fitted[["min_ess_bulk", "min_ess_tail"]].min(axis=1) < 1000, "label"]
            )
            or "none"
        )
    )
    verdict = "meets" if wall <= 60 else f"misses by {wall - 60:.0f} s"
    print(
        f"target <= 60 s: {verdict} (1-minute load average {LOAD_START:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cpu(s))"
    )
    timing["load_average_start_end"] = [LOAD_START, os.getloadavg()[0]]
    if result.diagnostics_failed:
        print(f"diagnostics failed: {', '.join(result.diagnostics_failed)}")
    if result.failed:
        print(f"errors: {', '.join(result.failed)}")
    if args.out:
        for path in write_study(result, args.out).values():
            print(f"wrote {path}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {"timing": timing, "rows": table[columns].to_dict(orient="records")},
                handle,
                indent=2,
                default=str,
            )


if __name__ == "__main__":
    main()
