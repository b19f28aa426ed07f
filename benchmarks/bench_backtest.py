"""Benchmark: the rolling-origin backtest with every baseline, on the bundled data.

Not a test. Run from the repository root::

    python benchmarks/bench_backtest.py                      # the default spec (two_eras)
    python benchmarks/bench_backtest.py --spec frontier
    python benchmarks/bench_backtest.py --json reports/backtest.json   # also save the result

Prints the wall time from process start (imports, the numba compile of the spec's model
structure, twelve fits, scoring of every model), then per origin: fit seconds, total
seconds and whether the sampler diagnostics passed; then the score and skill tables.

Target (issue 10, item 6): the whole harness with baselines on the default spec in at most
10 minutes on 2 cores. The fits use the spec's own sampler settings (4 chains x 1000
draws), so the scores are the ones the docs quote.
"""

from __future__ import annotations

import argparse
import time

START = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="two_eras")
    parser.add_argument("--origins", default="2012:2023")
    parser.add_argument("--json", default=None, help="Also save the backtest JSON here.")
    args = parser.parse_args()

    import flopcast

    result = flopcast.backtest(spec=args.spec, origins=args.origins, baselines=True)
    wall = time.perf_counter() - START
    print(f"backtest of {args.spec!r} with baselines, origins {args.origins}: {wall:.0f} s wall")
    print(result.origins[["origin", "n_train", "fit_seconds", "seconds", "fit_ok"]].to_string())
    print(result.format_tables())
    if args.json:
        result.save_json(args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
