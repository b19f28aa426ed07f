"""``flopcast estimate``: output format, assumptions shown, and clean errors with exit code 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from flopcast.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, ["estimate", *args])


def test_estimate_group_is_registered_on_the_main_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "estimate" in result.output


def test_hardware_h100_example_prints_flop_pfs_days_and_its_assumptions() -> None:
    result = invoke("hardware", "--device", "NVIDIA H100 SXM5", "--count", "16000", "--days", "90")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "FLOP:      4.06e+25" in out
    assert "pfs-days:  4.70e+05" in out
    assert "NVIDIA H100 SXM5 80GB (GPU)" in out
    assert "9.89e+14" in out and "tensor_fp16_bf16" in out
    assert "0.33  (default for GPU: the source analysis assumes 33% for GPUs)" in out


def test_hardware_with_given_utilization_scales_the_result_and_says_it_was_given() -> None:
    result = invoke(
        "hardware", "--device", "NVIDIA H100 SXM5", "--count", "16000", "--days", "90",
        "--utilization", "0.4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4.92e+25" in result.output  # 4.062e25 * 0.4 / 0.33
    assert "0.4  (given)" in result.output


def test_hardware_alexnet_with_peak_flops_and_hours() -> None:
    result = invoke(
        "hardware", "--peak-flops", "1.58e12", "--count", "2", "--hours", "132",
        "--utilization", "0.33",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pfs-days:  0.00574" in result.output
    assert "132 hours" in result.output


def test_hardware_precision_option_selects_the_table_column() -> None:
    result = invoke(
        "hardware", "--device", "NVIDIA H100 SXM5", "--days", "1", "--precision", "fp32"
    )
    assert result.exit_code == 0, result.output
    assert "6.69e+13" in result.output
    assert "fp32  (as requested)" in result.output


def test_operations_accepts_flop_or_macs_and_counts_macs_as_two_flop() -> None:
    by_flop = invoke(
        "operations", "--forward-flop", "1.5e9", "--examples", "1.2e6", "--epochs", "90"
    )
    by_macs = invoke(
        "operations", "--forward-macs", "0.75e9", "--examples", "1.2e6", "--epochs", "90"
    )
    for result in (by_flop, by_macs):
        assert result.exit_code == 0, result.output
        assert "FLOP:      4.86e+17" in result.output
        assert "pfs-days:  0.00562" in result.output
        assert "backward_factor" in result.output
    assert "2 × 7.5e+08 MACs" in by_macs.output


def test_operations_needs_exactly_one_forward_cost() -> None:
    result = invoke("operations", "--examples", "1e6")
    assert result.exit_code == 2
    assert "exactly one of --forward-flop or --forward-macs" in result.output


def test_transformer_prints_six_n_d() -> None:
    result = invoke("transformer", "--parameters", "7e9", "--tokens", "2e12")
    assert result.exit_code == 0, result.output
    assert "FLOP:      8.40e+22" in result.output
    assert "pfs-days:  972" in result.output
    assert "6 × parameters × tokens" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["hardware", "--device", "NVDIA H100 SXM5", "--days", "1"],
            'No accelerator named "NVDIA H100 SXM5"',
        ),
        (["hardware", "--device", "A100", "--days", "1"], '"A100" matches 2 accelerators'),
        (
            ["hardware", "--peak-flops", "1e12", "--days", "1"],
            "utilization is required when no device is given",
        ),
        (
            ["hardware", "--device", "NVIDIA V100", "--days", "1", "--hours", "2"],
            "give exactly one of --days or --hours",
        ),
        (
            ["hardware", "--device", "NVIDIA V100", "--days", "-3"],
            "days must be greater than 0, got -3.0",
        ),
        (
            ["hardware", "--device", "Google TPU v1", "--days", "1"],
            "choose one of those with --precision <name>, or give --peak-flops directly",
        ),
        (["transformer", "--parameters", "0", "--tokens", "1e9"], "parameters must be greater"),
    ],
)
def test_errors_print_one_clear_line_and_exit_2_without_a_traceback(
    args: list[str], expected: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_utilization_error_points_to_the_cli_option() -> None:
    result = invoke("hardware", "--peak-flops", "1e12", "--days", "1")
    assert "Pass e.g. --utilization 0.33." in result.stderr
