"""Benchmark: every row of the speed table (issue 12), each in a fresh process, with a breakdown.

Not a test. Run from the repository root::

    python benchmarks/bench_paths.py                   # every row except the study
    python benchmarks/bench_paths.py --repeat 3        # medians of 3 runs of the quick rows
    python benchmarks/bench_paths.py --study           # also the shipped policy study
    python benchmarks/bench_paths.py --only forecast report --json bench.json

Each row runs the real command (``flopcast.cli.main``) in a new Python process whose library
functions are wrapped with timers, so the output splits the wall time into: import, data
load, price-performance fit, compile, sampling, forecast, report rendering, saving. Next to
each figure: the child's CPU time (user + system, all threads), its peak memory (``maxrss``
from ``os.wait4``), the 1-minute load average before and after, and which of PyMC,
PyTensor, numba, nutpie and ArviZ the process imported. On a shared machine wall times
swell with the load; the CPU times and the import lists are the steadier figures.

Caches: every row uses folders of this benchmark (``FLOPCAST_CACHE_DIR``, PyTensor's
``base_compiledir``, ``NUMBA_CACHE_DIR``), never the user's: "empty" rows start from new
folders, the others from folders the earlier rows filled.

Rows and targets (2 cores):

- ``fit_empty`` / ``fit_warm``: ``flopcast fit --spec two_eras --out fit.nc`` in a new
  process with empty / warm compile caches: <= 20 s / <= 10 s.
- ``forecast_pp_empty``: ``flopcast forecast --fit fit.nc --until 2030`` with no cached
  price-performance posterior (informational); ``forecast``: the same with it cached: <= 5 s.
- ``report_first``: ``flopcast report`` into a new folder (fits; informational);
  ``report_reuse``: again, reusing its ``fit.nc``: <= 10 s.
- ``refit``: refit in one process with the compiled model reused, bulk ESS >= 1000 for the
  break date and both doubling times: <= 1.5 s; ``latent``: the latent form's refit time
  over the marginal one's: <= 5x (both from ``bench_fit.py``'s functions).
- ``study``: ``bench_study.py`` (the shipped policy study): <= 60 s.
- every row: peak memory <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEAVY = ("pymc", "pytensor", "numba", "nutpie", "arviz")

#: The child: wraps the library functions the CLI calls with timers, then runs the CLI.
CHILD = r"""
import contextlib, io, json, sys, time, warnings
HEAVY_NAMES = ("pymc", "pytensor", "numba", "nutpie", "arviz")
warnings.filterwarnings("ignore")
PHASES = {}

def add(phase, wall, cpu):
    w, c = PHASES.get(phase, (0.0, 0.0))
    PHASES[phase] = (w + wall, c + cpu)

def timed(phase, func):
    def wrapper(*args, **kwargs):
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            add(phase, time.perf_counter() - w0, time.process_time() - c0)
    return wrapper

w0, c0 = time.perf_counter(), time.process_time()
ARGV = json.loads(sys.argv[1])
# import what the command imports (the CLI imports these inside the command), to wrap them
import flopcast.cli, flopcast.fitting, flopcast.runs
from flopcast.fitting import result as fit_result
if ARGV[0] in ("forecast", "report"):
    import flopcast.forecasting
    from flopcast.forecasting import frontier_cost
if ARGV[0] == "report":
    import flopcast.report
add("import", time.perf_counter() - w0, time.process_time() - c0)

flopcast.runs.load_runs = timed("data load", flopcast.runs.load_runs)
flopcast.runs.read_runs = timed("data load", flopcast.runs.read_runs)
flopcast.fitting.load_fit = timed("load fit", flopcast.fitting.load_fit)
fit_result.Fit.save = timed("save fit", fit_result.Fit.save)
PP = []
if ARGV[0] in ("forecast", "report"):
    flopcast.forecasting.forecast = timed("forecast", flopcast.forecasting.forecast)
    _pp = frontier_cost.price_performance_for
    def pp_for(cost, seed):
        w0, c0 = time.perf_counter(), time.process_time()
        out = _pp(cost, seed)
        add("price-performance", time.perf_counter() - w0, time.process_time() - c0)
        PP.append(dict(getattr(out, "settings", {}).get("timings_s", {})))
        return out
    frontier_cost.price_performance_for = pp_for
if ARGV[0] == "report":
    flopcast.report.write_report = timed("report rendering", flopcast.report.write_report)
FITS = []
def fit(*args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    from flopcast.fitting import sampling
    add("import sampling", time.perf_counter() - w0, time.process_time() - c0)
    sampling.resolve_runs = timed("data load", sampling.resolve_runs)
    w0, c0 = time.perf_counter(), time.process_time()
    out = sampling.fit(*args, **kwargs)
    add("fit", time.perf_counter() - w0, time.process_time() - c0)
    FITS.append(dict(out.provenance.get("timings_s", {})))
    return out
flopcast.fitting.fit = fit

status = 0
with contextlib.redirect_stdout(io.StringIO()):
    try:
        flopcast.cli.main(ARGV, standalone_mode=False)
    except SystemExit as exc:
        status = exc.code or 0
heavy = [m for m in HEAVY_NAMES if m in sys.modules]
print(json.dumps({"phases": PHASES, "fits": FITS, "price_performance": PP,
                  "heavy_imports": heavy, "status": status}))
"""

#: The in-process refit and the latent form, through bench_fit.py's functions.
REFIT_CHILD = r"""
import json, sys, statistics
sys.path.insert(0, sys.argv[1])
import bench_fit
warm = bench_fit.warm("two_eras", int(sys.argv[2]))
latent = bench_fit.latent("two_eras", int(sys.argv[2]))
print(json.dumps({"warm": warm, "latent": latent}))
"""


def _load() -> float:
    return os.getloadavg()[0]


def _run_child(code: str, args: list[str], env: dict[str, str], workdir: Path) -> dict:
    """Run ``python -c code args`` and return its JSON line, wall, CPU and peak memory."""
    out_path = workdir / "child.out"
    err_path = workdir / "child.err"
    load_before = _load()
    start = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], env=env, stdout=out, stderr=err, cwd=workdir
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{err_path.read_text()[-3000:]}")
    lines = [ln for ln in out_path.read_text().splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1])
    result.update(
        {
            "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss_mb": usage.ru_maxrss / 1024.0,
            "load_before": load_before,
            "load_after": _load(),
        }
    )
    return result


def _env(cache: Path, compile_cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FLOPCAST_CACHE_DIR"] = str(cache)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={compile_cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(compile_cache / "numba")
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def _cli_row(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> dict:
    row = _run_child(CHILD, [json.dumps(argv)], env, workdir)
    row["name"] = name
    row["command"] = "flopcast " + " ".join(argv)
    for timings in row["fits"]:
        for key in ("compile", "sample"):
            w, c = row["phases"].get(key, (0.0, 0.0))
            row["phases"][key] = (w + float(timings.get(key, 0.0)), c)
    for timings in row["price_performance"]:
        for key in ("compile", "sample"):
            w, c = row["phases"].get(f"pp {key}", (0.0, 0.0))
            row["phases"][f"pp {key}"] = (w + float(timings.get(key, 0.0)), c)
    return row


def _print_row(row: dict, target: str = "") -> None:
    order = (
        "import",
        "import sampling",
        "data load",
        "load fit",
        "price-performance",
        "pp compile",
        "pp sample",
        "fit",
        "compile",
        "sample",
        "forecast",
        "report rendering",
        "save fit",
    )
    parts = []
    for phase in order:
        if phase in row["phases"]:
            wall, cpu = row["phases"][phase]
            cpu_text = (
                f"/{cpu:.1f} cpu"
                if phase not in ("compile", "sample", "pp compile", "pp sample")
                else ""
            )
            parts.append(f"{phase} {wall:.1f}{cpu_text}")
    print(
        f"{row['name']:<18} wall {row['wall']:6.1f} s  cpu {row['cpu']:6.1f} s  "
        f"peak {row['maxrss_mb']:5.0f} MB  load {row['load_before']:.1f}->{row['load_after']:.1f}"
        f"  {target}"
    )
    print(f"{'':<18} {row['command']}")
    print(f"{'':<18} breakdown (s, wall/cpu): {'; '.join(parts)}")
    print(f"{'':<18} imported: {', '.join(row['heavy_imports']) or 'none of ' + '/'.join(HEAVY)}")
    sys.stdout.flush()


def _median_rows(rows: list[dict]) -> dict:
    if len(rows) == 1:
        return rows[0]
    out = dict(rows[-1])
    for key in ("wall", "cpu", "maxrss_mb"):
        out[key] = statistics.median(r[key] for r in rows)
    out["name"] = f"{rows[0]['name']} (median of {len(rows)})"
    out["all_walls"] = [round(r["wall"], 1) for r in rows]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="Runs of the quick rows.")
    parser.add_argument("--refit-repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="Rows to run: fit forecast report refit (and study with --study).",
    )
    parser.add_argument("--study", action="store_true", help="Also run bench_study.py.")
    parser.add_argument("--keep", default=None, help="Keep the caches and outputs in this folder.")
    parser.add_argument("--json", default=None, help="Write every row here.")
    args = parser.parse_args()
    only = set(args.only or ["fit", "forecast", "report", "refit"])
    if args.study:
        only.add("study")
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="flopcast-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    compile_cache = root / "compile"
    cache = root / "cache"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s); load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; folder {root}"
    )
    rows: list[dict] = []
    fit_nc = root / "fit.nc"
    try:
        if "fit" in only or not fit_nc.exists():
            empty = root / "compile-empty"
            shutil.rmtree(empty, ignore_errors=True)
            argv = ["fit", "--spec", "two_eras", "--out", str(fit_nc)]
            row = _cli_row("fit_empty", argv, _env(root / "cache-empty", empty), root)
            _print_row(row, "target <= 20 s")
            rows.append(row)
            shutil.rmtree(empty, ignore_errors=True)
            # warm the benchmark's compile cache, then time a warm fit
            _cli_row("fit_warmup", argv, _env(cache, compile_cache), root)
            row = _median_rows(
                [
                    _cli_row("fit_warm", argv, _env(cache, compile_cache), root)
                    for _ in range(args.repeat)
                ]
            )
            _print_row(row, "target <= 10 s")
            rows.append(row)
        if "forecast" in only:
            argv = ["forecast", "--fit", str(fit_nc), "--until", "2030"]
            empty_cache = root / "cache-pp-empty"
            shutil.rmtree(empty_cache, ignore_errors=True)
            row = _cli_row("forecast_pp_empty", argv, _env(empty_cache, compile_cache), root)
            _print_row(row, "(no cached price-performance posterior)")
            rows.append(row)
            _cli_row("forecast_warmup", argv, _env(cache, compile_cache), root)
            row = _median_rows(
                [
                    _cli_row("forecast", argv, _env(cache, compile_cache), root)
                    for _ in range(args.repeat)
                ]
            )
            _print_row(row, "target <= 5 s")
            rows.append(row)
        if "report" in only:
            out = root / "report"
            shutil.rmtree(out, ignore_errors=True)
            argv = ["report", "--spec", "two_eras", "--out", str(out)]
            row = _cli_row("report_first", argv, _env(cache, compile_cache), root)
            _print_row(row, "(fits; informational)")
            rows.append(row)
            row = _median_rows(
                [
                    _cli_row("report_reuse", argv, _env(cache, compile_cache), root)
                    for _ in range(args.repeat)
                ]
            )
            _print_row(row, "target <= 10 s")
            rows.append(row)
        if "refit" in only:
            row = _run_child(
                REFIT_CHILD,
                [str(HERE), str(args.refit_repeat)],
                _env(cache, compile_cache),
                root,
            )
            warm_wall = statistics.median(r["wall"] for r in row["warm"])
            latent_wall = statistics.median(r["wall"] for r in row["latent"])
            ess = {
                k: min(r["ess_bulk"][k] for r in row["warm"]) for k in row["warm"][0]["ess_bulk"]
            }
            print(
                f"{'refit':<18} wall {warm_wall:6.2f} s (median of {len(row['warm'])}; sample "
                f"{statistics.median(r['sample'] for r in row['warm']):.2f} s)  min bulk ESS "
                f"{json.dumps({k: round(v) for k, v in ess.items()})}  target <= 1.5 s, "
                "ESS >= 1000"
            )
            print(
                f"{'latent':<18} wall {latent_wall:6.2f} s (median; first fit incl. compile "
                f"{row['latent'][0]['first_fit_wall']:.1f} s)  ratio to marginal "
                f"{latent_wall / warm_wall:.1f}x  target <= 5x"
            )
            print(
                f"{'':<18} process: wall {row['wall']:.1f} s cpu {row['cpu']:.1f} s peak "
                f"{row['maxrss_mb']:.0f} MB load {row['load_before']:.1f}->{row['load_after']:.1f}"
            )
            row.update(name="refit+latent", warm_median=warm_wall, latent_median=latent_wall)
            rows.append(row)
        if "study" in only:
            study_json = root / "study.json"
            load_before = _load()
            start = time.perf_counter()
            with open(root / "study.out", "w") as handle:
                proc = subprocess.Popen(
                    [sys.executable, str(HERE / "bench_study.py"), "--json", str(study_json)],
                    env=_env(cache, compile_cache),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
                _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            # the study's workers are grandchildren: their memory is not in this maxrss
            timing = json.loads(study_json.read_text())["timing"] if study_json.exists() else {}
            print(
                f"{'study':<18} wall {wall:6.1f} s  cpu {usage.ru_utime + usage.ru_stime:6.1f}"
                f" s (parent only)  load {load_before:.1f}->{_load():.1f}  target <= 60 s"
            )
            code = os.waitstatus_to_exitcode(status)
            print(f"{'':<18} python benchmarks/bench_study.py; exit {code}")
            if timing:
                print(
                    f"{'':<18} compiles {timing.get('compiles')} for {timing.get('structures')}"
                    f" structure(s); summed: compile {timing.get('sum_compile_s', 0):.0f} s, "
                    f"sampling {timing.get('sum_sample_s', 0):.0f} s, forecasts "
                    f"{timing.get('sum_forecast_s', 0):.0f} s, price-performance "
                    f"{timing.get('sum_price_performance_s', 0):.0f} s, imports "
                    f"{timing.get('sum_import_s', 0):.0f} s"
                )
            rows.append({"name": "study", "wall": wall, "timing": timing})
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
