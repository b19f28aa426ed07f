"""Benchmark: sampler backends on the default spec, compile and sampling time at equal ESS.

Not a test. Run from the repository root::

    python benchmarks/bench_backends.py                  # nutpie (numba) and PyMC (C)
    python benchmarks/bench_backends.py --backends nutpie
    python benchmarks/bench_backends.py --backends nutpie nutpie-jax   # needs jax

Each backend fits ``two_eras`` on the bundled data in a new process (the compile caches of
the user's flopcast cache folder are used as they are: run twice for warm figures) and
prints the process's wall and CPU time, the compile and sampling time, the smallest bulk
ESS of the break date and the doubling times, and sampling seconds per 1000 effective
draws (the cost at equal ESS), with the 1-minute load average; then the same process refits
with the compiled model (what studies and backtests pay). ``nutpie-jax`` compiles with
nutpie's JAX backend (``flopcast.fitting.sampling.NUTPIE_BACKEND``); it needs ``jax``
(``pip install "flopcast[jax]"``), which flopcast does not otherwise install.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import arviz as az
from flopcast.fitting import fit, sampling
from flopcast.spec import load_spec
backend, _, nutpie_backend = sys.argv[1].partition("-")
sampling.NUTPIE_BACKEND = nutpie_backend or "numba"
spec = load_spec("two_eras").with_overrides({"sampler.backend": backend})
rows = []
for seed in (None, 100):  # a first fit (compiles) and a refit with the compiled model
    start = time.perf_counter()
    result = fit(None, spec, seed=seed, progress=False)
    wall = time.perf_counter() - start
    ess = az.ess(result.posterior[["breaks", "doubling_months"]], method="bulk")
    values = [float(v) for v in ess["breaks"].values.ravel()]
    values += [float(v) for v in ess["doubling_months"].values.ravel()]
    rows.append({"fit": wall, "min_ess": min(values), **result.provenance["timings_s"],
                 "max_rhat": result.diagnostics.max_rhat})
print(json.dumps({**rows[0], "refit_sample": rows[1]["sample"], "refit_ess": rows[1]["min_ess"]}))
"""


def run(backend: str) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, backend], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(stderr.decode()[-2000:])
    row = json.loads(stdout.decode().strip().splitlines()[-1])
    row.update(
        backend=backend,
        wall=time.perf_counter() - start,
        cpu=usage.ru_utime + usage.ru_stime,
        load=(load, os.getloadavg()[0]),
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="*", default=["nutpie", "pymc"], help="also: nutpie-jax"
    )
    args = parser.parse_args()
    for backend in args.backends:
        r = run(backend)
        per_1000 = 1000.0 * r["sample"] / r["min_ess"]
        refit_per_1000 = 1000.0 * r["refit_sample"] / r["refit_ess"]
        print(
            f"{backend:<11} process wall {r['wall']:.1f} s cpu {r['cpu']:.1f} s (two fits); "
            f"first fit: compile {r['compile']:.1f} s, sampling {r['sample']:.1f} s; min bulk "
            f"ESS (break, doubling times) {r['min_ess']:.0f}; sampling s per 1000 ESS "
            f"{per_1000:.2f} (refit {refit_per_1000:.2f}); max R-hat {r['max_rhat']:.4f}; "
            f"load {r['load'][0]:.1f}->{r['load'][1]:.1f}"
        )


if __name__ == "__main__":
    main()
