"""Build the bundled accelerator tables from Epoch AI's ML hardware data.

Reads (defaults: ``<repo>/../shared/data/epoch/``)

* ``chips.csv``: Epoch AI's hardware database export (UTF-8 with BOM, quoted multi-line
  fields, one row per chip as Epoch records it);
* ``hardware_prices.csv``: Epoch AI's price observations (purchase prices and cloud prices
  per chip-hour);
* ``price_index_PCU518210518210.csv``: FRED series PCU518210518210 (US BLS producer price
  index, NAICS 518210), for constant-dollar conversion;

and writes, next to this script (or to ``--out-dir``):

* ``accelerators.csv``: one row per accelerator: peak FLOP/s by precision, memory, TDP,
  release price and summaries of the price observations;
* ``hardware_prices.csv``: the tidy table of price observations, one row per distinct quote;
* ``price_index.csv``: ``date,index``.

The output is deterministic: rebuilding from the same inputs gives byte-identical files
(``tests/test_hardware.py`` checks this). What the script dropped, merged or corrected is
printed as a report; ``data/ACCELERATORS.md`` documents every rule.

Run from the repository root::

    python data/build_accelerators.py                 # default paths
    python data/build_accelerators.py --epoch-dir /path/to/epoch --out-dir /tmp/out
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_EPOCH_DIR = HERE.parent.parent / "shared" / "data" / "epoch"

#: chips.csv column -> accelerators.csv column, in output order.
CHIP_COLUMNS: dict[str, str] = {
    "Hardware name": "name",
    "Manufacturer": "manufacturer",
    "Type": "type",
    "Release date": "release_date",
    "ML hardware": "ml_hardware",
    "FP64 (double precision) performance (FLOP/s)": "peak_fp64_flops",
    "FP32 (single precision) performance (FLOP/s)": "peak_fp32_flops",
    "FP16 (half precision) performance (FLOP/s)": "peak_fp16_flops",
    "TF32 (TensorFloat-32) performance (FLOP/s)": "peak_tf32_flops",
    "Tensor-FP16/BF16 performance (FLOP/s)": "peak_tensor_fp16_bf16_flops",
    "FP8 performance (FLOP/s)": "peak_fp8_flops",
    "INT8 performance (OP/s)": "peak_int8_ops",
    "Memory size per board (Byte)": "memory_bytes",
    "Memory bandwidth (byte/s)": "memory_bandwidth_bytes_per_s",
    "TDP (W)": "tdp_w",
    "Release price (USD)": "release_price_usd",
}

NUMERIC_COLUMNS: tuple[str, ...] = (
    "peak_fp64_flops",
    "peak_fp32_flops",
    "peak_fp16_flops",
    "peak_tf32_flops",
    "peak_tensor_fp16_bf16_flops",
    "peak_fp8_flops",
    "peak_int8_ops",
    "memory_bytes",
    "memory_bandwidth_bytes_per_s",
    "tdp_w",
    "release_price_usd",
)

#: hardware_prices.csv price column -> ``kind`` in the tidy table.
PRICE_KINDS: dict[str, str] = {
    "Price (hardware purchase)": "purchase",
    "Price per chip-hour (on-demand)": "cloud_on_demand",
    "Price per chip-hour (1-year CUD)": "cloud_1yr",
    "Price per chip-hour (3-year CUD)": "cloud_3yr",
}

#: Corrections to the hardware named in hardware_prices.csv, applied before matching:
#: (hardware as recorded, cloud GPU description) -> (hardware to use, reason).
#: Epoch's rows copied from the full-stack cloud-GPU list label several "P100 (16 GB)"
#: instances as the Tesla P4 (a different, 8 GB inference card); pricing them against the
#: P4's FLOP/s would put wrong points into a price-performance fit.
HARDWARE_CORRECTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("NVIDIA Tesla P4", "P100 (16 GB)"): (
        "NVIDIA P100",
        "recorded as NVIDIA Tesla P4 but the cloud GPU description says P100 (16 GB)",
    ),
}

TIDY_PRICE_COLUMNS: tuple[str, ...] = (
    "hardware",
    "date",
    "kind",
    "usd",
    "vendor",
    "location",
    "chips_in_listing",
    "n_listings",
    "is_estimate",
    "hardware_as_recorded",
    "correction",
    "source",
    "notes",
)

ESTIMATE_PATTERN = re.compile(r"estimat|not a real sale price", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """Strip and collapse internal whitespace (chips.csv has trailing and double spaces)."""
    return re.sub(r"\s+", " ", str(name)).strip()


def _clean_text(value: object) -> object:
    """One-line text: newlines and runs of whitespace become single spaces; NaN stays NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if text else np.nan


def read_epoch_csv(path: Path) -> pd.DataFrame:
    """Read one of Epoch's exports: UTF-8 with BOM, quoted fields that may span lines."""
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""])


def _to_float(series: pd.Series) -> pd.Series:
    cleaned = series.astype("string").str.replace(r"[$,\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce").astype(float)


def load_chips(path: Path, report: list[str]) -> pd.DataFrame:
    """chips.csv -> one row per accelerator name, in the output column names."""
    raw = read_epoch_csv(path)
    missing = [c for c in CHIP_COLUMNS if c not in raw.columns]
    if missing:
        raise SystemExit(f"{path}: missing expected columns {missing}")
    chips = raw[list(CHIP_COLUMNS)].rename(columns=CHIP_COLUMNS)
    report.append(f"chips.csv: {len(chips)} rows read")

    unnamed = chips["name"].isna()
    if unnamed.any():
        for idx in chips.index[unnamed]:
            row = chips.loc[idx]
            report.append(
                f"  dropped row {idx + 2} (no hardware name; manufacturer={row['manufacturer']}, "
                f"release_date={row['release_date']})"
            )
        chips = chips[~unnamed]

    normalized = chips["name"].map(normalize_name)
    n_changed = int((normalized != chips["name"]).sum())
    if n_changed:
        report.append(f"  {n_changed} names had leading/trailing/double spaces, collapsed")
    chips = chips.assign(name=normalized)

    for col in NUMERIC_COLUMNS:
        chips[col] = _to_float(chips[col])
    chips["ml_hardware"] = chips["ml_hardware"].fillna("").str.strip().str.lower() == "checked"
    dates = pd.to_datetime(chips["release_date"], format="%Y-%m-%d", errors="coerce")
    bad_dates = chips["release_date"].notna() & dates.isna()
    if bad_dates.any():
        report.append(f"  {int(bad_dates.sum())} unparsable release dates set to empty")
    chips["release_date"] = dates.dt.strftime("%Y-%m-%d")

    # Duplicate names: Epoch has a few chips twice (a full row plus a sparse later copy).
    # Keep one row per name: the most complete row, with its gaps filled from the others.
    dup = chips["name"].duplicated(keep=False)
    if dup.any():
        value_cols = [c for c in chips.columns if c != "name"]
        completeness = chips[value_cols].notna().sum(axis=1)
        ordered = chips.assign(_c=completeness).sort_values("_c", ascending=False, kind="stable")
        for name, group in ordered[ordered["name"].isin(chips.loc[dup, "name"])].groupby(
            "name", sort=True
        ):
            conflicts = [
                col
                for col in value_cols
                if col != "ml_hardware" and group[col].dropna().nunique() > 1
            ]
            note = (
                f"; conflicting values kept from the fuller row: {conflicts}" if conflicts else ""
            )
            report.append(f"  merged {len(group)} rows named {name!r}{note}")
        ml = chips.groupby("name", sort=False)["ml_hardware"].any()
        chips = ordered.drop(columns="_c").groupby("name", sort=False, as_index=False).first()
        chips["ml_hardware"] = chips["name"].map(ml)
    chips = chips.sort_values("name", key=lambda s: s.str.casefold(), kind="stable")
    return chips.reset_index(drop=True)


def tidy_prices(path: Path, names: pd.Series, report: list[str]) -> pd.DataFrame:
    """hardware_prices.csv -> one row per distinct price quote, matched to accelerator names."""
    raw = read_epoch_csv(path)
    report.append(f"hardware_prices.csv: {len(raw)} rows read")
    raw = raw.reset_index(names="row")
    raw["row"] += 2  # 1-based, after the header: the line a spreadsheet shows
    for col in PRICE_KINDS:
        raw[col] = _to_float(raw[col])

    key_to_name = {normalize_name(n).casefold(): n for n in names}
    records: list[dict[str, object]] = []
    unusable: list[str] = []
    unmatched: list[str] = []
    corrected = 0
    for rec in raw.to_dict("records"):
        recorded = rec["Hardware model"]
        description = _clean_text(rec.get("Cloud GPU description"))
        hardware = recorded
        correction = np.nan
        fix = HARDWARE_CORRECTIONS.get((recorded, description))
        if fix is not None:
            hardware, correction = fix
            corrected += 1
        matched = key_to_name.get(normalize_name(hardware).casefold()) if hardware else None
        date = pd.to_datetime(rec["Price date"], format="%Y-%m-%d", errors="coerce")
        prices = {kind: rec[col] for col, kind in PRICE_KINDS.items()}
        usable_prices = {k: v for k, v in prices.items() if np.isfinite(v) and v > 0}
        if pd.isna(date) or not usable_prices:
            why = "no date" if pd.isna(date) else "no positive price"
            if pd.isna(date) and not usable_prices:
                why = "no date and no price"
            unusable.append(f"row {rec['row']} ({recorded}): {why}")
            continue
        if matched is None:
            unmatched.append(
                f"row {rec['row']} ({recorded!r}): {len(usable_prices)} observation(s); "
                "no accelerator of that name in chips.csv"
            )
            continue
        notes = _clean_text(rec.get("Notes"))
        is_estimate = bool(isinstance(notes, str) and ESTIMATE_PATTERN.search(notes))
        for kind, usd in usable_prices.items():
            records.append(
                {
                    "hardware": matched,
                    "date": date.strftime("%Y-%m-%d"),
                    "kind": kind,
                    "usd": float(usd),
                    "vendor": _clean_text(rec.get("Vendor")),
                    "location": _clean_text(rec.get("Location")),
                    "chips": _clean_text(rec.get("Number of GPUs")),
                    "is_estimate": is_estimate,
                    "hardware_as_recorded": recorded,
                    "correction": correction,
                    "source": _clean_text(rec.get("Price source")),
                    "notes": notes,
                }
            )
    n_obs = len(records)
    report.append(f"  {n_obs} price observations (one per row and price column)")
    report.append(f"  {corrected} rows relabelled by HARDWARE_CORRECTIONS")
    report.append(f"  {len(unusable)} rows unusable")
    report.extend(f"    {line}" for line in unusable)
    report.append(f"  {len(unmatched)} rows with usable prices but unmatched hardware")
    report.extend(f"    {line}" for line in unmatched)

    obs = pd.DataFrame.from_records(records)
    # The same quote is often listed once per instance size (1, 2, 4, 8 GPUs at the same
    # per-chip price) or copied twice; count it once, remembering how often it was listed.
    keys = ["hardware", "date", "kind", "usd", "vendor", "location", "source"]
    filled = obs.assign(**{k: obs[k].fillna("") for k in ("vendor", "location", "source")})

    def _present(values: list[object]) -> list[object]:
        return [v for v in values if not (v is None or (isinstance(v, float) and np.isnan(v)))]

    def _chips(values: list[object]) -> str:
        nums = sorted({int(float(v)) for v in _present(values)})  # type: ignore[arg-type]
        return ";".join(str(n) for n in nums)

    def _join(values: list[object]) -> object:
        uniq = sorted({str(v) for v in _present(values)})
        return " | ".join(uniq) if uniq else np.nan

    groups: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for rec in filled.to_dict("records"):
        groups.setdefault(tuple(rec[k] for k in keys), []).append(rec)
    rows = []
    for key in sorted(groups):
        group = groups[key]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "chips_in_listing": _chips([g["chips"] for g in group]),
                "n_listings": len(group),
                "is_estimate": any(bool(g["is_estimate"]) for g in group),
                "hardware_as_recorded": _join([g["hardware_as_recorded"] for g in group]),
                "correction": _join([g["correction"] for g in group]),
                "notes": _join([g["notes"] for g in group]),
            }
        )
    tidy = pd.DataFrame.from_records(rows)
    for k in ("vendor", "location", "source"):
        tidy[k] = tidy[k].replace("", np.nan)
    tidy["chips_in_listing"] = tidy["chips_in_listing"].replace("", np.nan)
    report.append(
        f"  {n_obs - len(tidy)} repeated listings of an identical quote (same hardware, date, "
        f"kind, price, vendor, location, source) collapsed: {len(tidy)} distinct quotes"
    )
    tidy = tidy.sort_values(
        ["hardware", "date", "kind", "vendor", "location", "usd", "source"],
        key=lambda s: s.fillna("") if s.dtype != float else s,
        kind="stable",
    )
    return tidy[list(TIDY_PRICE_COLUMNS)].reset_index(drop=True)


def summarise_prices(chips: pd.DataFrame, tidy: pd.DataFrame) -> pd.DataFrame:
    """Add per-accelerator price summaries (from the distinct quotes) to the chip table."""
    out = chips.copy()
    for kind, prefix, digits in (
        ("purchase", "purchase_price", 2),
        ("cloud_on_demand", "cloud_on_demand", 4),
    ):
        sub = tidy[tidy["kind"] == kind]
        grouped = sub.groupby("hardware")
        stats = pd.DataFrame(
            {
                f"{prefix}_n": grouped.size(),
                f"{prefix}_median_usd": grouped["usd"].median().round(digits),
                f"{prefix}_first_date": grouped["date"].min(),
                f"{prefix}_last_date": grouped["date"].max(),
            }
        )
        out = out.merge(stats, how="left", left_on="name", right_index=True)
        out[f"{prefix}_n"] = out[f"{prefix}_n"].fillna(0).astype("int64")
    out = out.rename(columns={"cloud_on_demand_median_usd": "cloud_on_demand_median_usd_per_hour"})
    return out


def load_price_index(path: Path, report: list[str]) -> pd.DataFrame:
    """FRED CSV (observation_date, series id) -> ``date,index`` without missing values."""
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    if raw.shape[1] != 2:
        raise SystemExit(f"{path}: expected 2 columns (date, value), got {list(raw.columns)}")
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(raw.iloc[:, 0], format="%Y-%m-%d").dt.strftime("%Y-%m-%d"),
            "index": pd.to_numeric(raw.iloc[:, 1], errors="coerce"),  # FRED writes "." if missing
        }
    )
    missing = int(out["index"].isna().sum())
    out = out.dropna().sort_values("date").reset_index(drop=True)
    report.append(
        f"price index ({raw.columns[1]}): {len(out)} months {out['date'].iloc[0]} to "
        f"{out['date'].iloc[-1]}, {missing} missing values dropped"
    )
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV the same way every time: UTF-8, no BOM, LF line endings, repr floats."""
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def build(
    chips_path: Path, prices_path: Path, index_path: Path, out_dir: Path
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Build the three tables, write them to ``out_dir`` and return them with the report."""
    report: list[str] = []
    chips = load_chips(chips_path, report)
    tidy = tidy_prices(prices_path, chips["name"], report)
    accelerators = summarise_prices(chips, tidy)
    price_index = load_price_index(index_path, report)
    tables = {
        "accelerators.csv": accelerators,
        "hardware_prices.csv": tidy,
        "price_index.csv": price_index,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for filename, frame in tables.items():
        write_csv(frame, out_dir / filename)
        report.append(f"wrote {filename}: {len(frame)} rows")
    return tables, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epoch-dir", type=Path, default=DEFAULT_EPOCH_DIR)
    parser.add_argument("--chips", type=Path, help="default: EPOCH_DIR/chips.csv")
    parser.add_argument("--prices", type=Path, help="default: EPOCH_DIR/hardware_prices.csv")
    parser.add_argument(
        "--price-index", type=Path, help="default: EPOCH_DIR/price_index_PCU518210518210.csv"
    )
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--quiet", action="store_true", help="do not print the build report")
    args = parser.parse_args(argv)
    chips = args.chips or args.epoch_dir / "chips.csv"
    prices = args.prices or args.epoch_dir / "hardware_prices.csv"
    index = args.price_index or args.epoch_dir / "price_index_PCU518210518210.csv"
    for path in (chips, prices, index):
        if not path.is_file():
            print(
                f"error: input file not found: {path} (use --epoch-dir or --chips/--prices/"
                "--price-index)",
                file=sys.stderr,
            )
            return 2
    _, report = build(chips, prices, index, args.out_dir)
    if not args.quiet:
        print("\n".join(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
