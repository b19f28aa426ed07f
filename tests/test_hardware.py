"""The bundled accelerator table: loading, name matching, peak rates and the rebuild."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flopcast.exceptions import FlopcastError
from flopcast.hardware import (
    PRECISION_COLUMNS,
    AcceleratorNotFoundError,
    PrecisionUnavailableError,
    find_accelerator,
    load_accelerators,
    peak_flops,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
EPOCH = REPO.parent / "shared" / "data" / "epoch"
BUILT_FILES = ("accelerators.csv", "hardware_prices.csv", "price_index.csv")
PRICE_KINDS = {"purchase", "cloud_on_demand", "cloud_1yr", "cloud_3yr"}


# --- the table -------------------------------------------------------------------------------


def test_accelerator_table_has_one_row_per_name_and_the_documented_columns() -> None:
    table = load_accelerators()
    assert len(table) > 1000
    assert table["name"].is_unique
    expected = {"name", "manufacturer", "type", "release_date", "memory_bytes", "tdp_w"}
    expected |= set(PRECISION_COLUMNS.values())
    expected |= {"release_price_usd", "purchase_price_median_usd", "purchase_price_first_date"}
    expected |= {"cloud_on_demand_median_usd_per_hour", "cloud_on_demand_first_date"}
    assert expected <= set(table.columns)
    assert pd.api.types.is_datetime64_any_dtype(table["release_date"])
    for col in PRECISION_COLUMNS.values():
        assert pd.api.types.is_float_dtype(table[col]), col


def test_loaded_table_is_a_copy_so_callers_cannot_corrupt_the_cache() -> None:
    table = load_accelerators()
    table.loc[:, "peak_fp32_flops"] = 0.0
    assert load_accelerators()["peak_fp32_flops"].max() > 0


def test_gtx_580_has_the_fp32_rate_the_source_analysis_uses() -> None:
    row = find_accelerator("NVIDIA GeForce GTX 580")
    assert row["peak_fp32_flops"] == 1.581e12  # the source analysis rounds this to 1.58e12
    assert row["type"] == "GPU"


# --- name matching ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NVIDIA H100 SXM5 80GB", "NVIDIA H100 SXM5 80GB"),
        ("NVIDIA H100 SXM5", "NVIDIA H100 SXM5 80GB"),  # unique leading words
        ("  nvidia   h100 SXM5 80gb ", "NVIDIA H100 SXM5 80GB"),  # case and spaces
        ("H100 SXM5 80 GB", "NVIDIA H100 SXM5 80GB"),  # no manufacturer, "80 GB" = "80GB"
        ("nvidia a100 sxm4 80gb", "NVIDIA A100 SXM4 80 GB"),
        ("V100", "NVIDIA V100"),  # the table's own generic entry
        ("GeForce GTX 580", "NVIDIA GeForce GTX 580"),
        ("TPU v4", "Google TPU v4"),
    ],
)
def test_find_accelerator_tolerates_case_spacing_and_a_missing_manufacturer(
    query: str, expected: str
) -> None:
    assert find_accelerator(query)["name"] == expected


def test_ambiguous_short_name_lists_every_candidate_instead_of_guessing() -> None:
    with pytest.raises(AcceleratorNotFoundError) as info:
        find_accelerator("A100")
    message = str(info.value)
    assert '"A100" matches 2 accelerators' in message
    assert '"NVIDIA A100" (GPU, 2020)' in message
    assert '"Intel A100" (CPU, 2007)' in message
    assert set(info.value.candidates) == {"NVIDIA A100", "Intel A100"}


def test_h100_alone_is_ambiguous_between_its_variants() -> None:
    with pytest.raises(AcceleratorNotFoundError) as info:
        find_accelerator("H100")
    assert {"NVIDIA H100 SXM5 80GB", "NVIDIA H100 PCIe", "NVIDIA H100 NVL"} <= set(
        info.value.candidates
    )


def test_unknown_name_error_lists_the_closest_names_and_is_a_flopcast_error() -> None:
    with pytest.raises(FlopcastError) as info:
        find_accelerator("NVDIA H100 SXM5")
    assert isinstance(info.value, AcceleratorNotFoundError)
    message = str(info.value)
    assert 'No accelerator named "NVDIA H100 SXM5"' in message
    assert "Closest names" in message
    assert "NVIDIA H100 SXM5 80GB" in info.value.candidates


@pytest.mark.parametrize("query", ["", "   ", None])
def test_empty_device_name_is_rejected_with_a_clear_error(query: object) -> None:
    with pytest.raises(AcceleratorNotFoundError, match="non-empty accelerator name"):
        find_accelerator(query)  # type: ignore[arg-type]


# --- peak rates ------------------------------------------------------------------------------


def test_auto_precision_uses_tensor_fp16_bf16_on_chips_that_have_it() -> None:
    peak = peak_flops("NVIDIA H100 SXM5")
    assert peak.precision == "tensor_fp16_bf16"
    assert peak.flops == 9.894e14
    assert peak.accelerator == "NVIDIA H100 SXM5 80GB"
    assert "auto" in peak.reason
    assert float(peak) == 9.894e14


def test_auto_precision_falls_back_to_fp32_on_chips_without_tensor_units() -> None:
    peak = peak_flops("NVIDIA GeForce GTX 580")
    assert (peak.precision, peak.flops) == ("fp32", 1.581e12)
    assert "fp32" in peak.reason


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("fp32", 6.691e13), ("FP32", 6.691e13), ("bf16", 9.894e14), ("tf32", 4.947e14)],
)
def test_explicit_precision_reads_that_column(precision: str, expected: float) -> None:
    peak = peak_flops("NVIDIA H100 SXM5 80GB", precision)
    assert peak.flops == expected
    assert peak.reason == "as requested"


def test_unknown_precision_error_lists_the_valid_names() -> None:
    with pytest.raises(PrecisionUnavailableError, match="precision='fp12' is not known") as info:
        peak_flops("NVIDIA V100", "fp12")
    for name in PRECISION_COLUMNS:
        assert name in str(info.value)


def test_precision_missing_for_a_chip_says_which_rates_it_has() -> None:
    with pytest.raises(PrecisionUnavailableError) as info:
        peak_flops("Google TPU v4", "fp32")
    message = str(info.value)
    assert 'no fp32 peak rate for "Google TPU v4"' in message
    assert "tensor_fp16_bf16=2.75e+14" in message


def test_auto_precision_on_an_inference_chip_with_only_int8_asks_for_a_choice() -> None:
    with pytest.raises(PrecisionUnavailableError, match=r"it has: int8=9\.2e\+13"):
        peak_flops("Google TPU v1")


# --- the built data files --------------------------------------------------------------------


def test_price_table_matches_accelerator_names_and_uses_the_documented_kinds() -> None:
    prices = pd.read_csv(DATA / "hardware_prices.csv")
    names = set(load_accelerators()["name"])
    assert set(prices["hardware"]) <= names
    assert set(prices["kind"]) == PRICE_KINDS
    assert (prices["usd"] > 0).all()
    assert pd.to_datetime(prices["date"], format="%Y-%m-%d").notna().all()
    assert (prices["n_listings"] >= 1).all()


def test_price_summaries_in_the_accelerator_table_agree_with_the_price_table() -> None:
    prices = pd.read_csv(DATA / "hardware_prices.csv")
    h100 = find_accelerator("NVIDIA H100 SXM5 80GB")
    purchases = prices[(prices["hardware"] == h100["name"]) & (prices["kind"] == "purchase")]
    assert h100["purchase_price_n"] == len(purchases)
    assert h100["purchase_price_median_usd"] == pytest.approx(purchases["usd"].median(), abs=0.01)
    assert h100["purchase_price_first_date"] == pd.Timestamp(purchases["date"].min())


def test_price_index_is_monthly_fred_ppi_with_december_2000_as_100() -> None:
    index = pd.read_csv(DATA / "price_index.csv")
    assert list(index.columns) == ["date", "index"]
    assert index.loc[0].tolist() == ["2000-12-01", 100.0]
    assert index["date"].is_monotonic_increasing
    assert not math.isnan(index["index"].iloc[-1])


@pytest.mark.skipif(
    not (EPOCH / "chips.csv").is_file(),
    reason=f"Epoch source data not found at {EPOCH} (the ../shared checkout is absent)",
)
def test_rebuilding_the_data_files_from_shared_reproduces_them_byte_for_byte(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(DATA / "build_accelerators.py"),
            "--epoch-dir",
            str(EPOCH),
            "--out-dir",
            str(tmp_path),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in BUILT_FILES:
        rebuilt = (tmp_path / name).read_bytes()
        committed = (DATA / name).read_bytes()
        assert rebuilt == committed, (
            f"data/{name} differs from a fresh build; rerun `python data/build_accelerators.py`"
        )
