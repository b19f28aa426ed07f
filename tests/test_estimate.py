"""Compute estimates: the source analysis's AlexNet example, 6ND, defaults and input errors.

AlexNet, as OpenAI's "AI and Compute" (2018) appendix computes it:

* GPU time: ``2 GPUs * 1.58e-3 PF * 5.5 days * 0.33 = 500 PF(-s) = 0.0058 pfs-days``.
  The exact product is 4.955e17 FLOP = 0.005735 pfs-days; the source rounds 495.5 PF-s to
  "500 PF" before dividing by 86400, which gives 0.0058. Tolerance: 2% of 0.0058.
* Counting: ``1.2M images * 90 epochs * 0.75 GFLOPS * (2 add-multiply) * (3 backward pass)
  = 470 PF = 0.0054 pfs-days``. The source's own inputs multiply to 4.86e17 FLOP =
  0.005625 pfs-days (486 PF-s, not 470); we reproduce the inputs exactly and the stated
  0.0054 to within 5%.
"""

from __future__ import annotations

import math

import pytest

from flopcast.exceptions import FlopcastError
from flopcast.hardware import AcceleratorNotFoundError, PrecisionUnavailableError
from flopcast.hardware.estimate import (
    ComputeEstimate,
    EstimateInputError,
    default_utilization,
    dense_transformer,
    from_hardware,
    from_operations,
)
from flopcast.units import PFS_DAY_FLOP

#: Floating-point products of a handful of exact decimal inputs.
ARITHMETIC_RTOL = 1e-12
#: The source rounds its GPU-time result to "500 PF" before converting (see module docstring).
ALEXNET_GPU_TIME_RTOL = 0.02
#: The source's counted result (0.0054) does not equal the product of its own inputs (0.005625).
ALEXNET_COUNTING_RTOL = 0.05

ALEXNET_PEAK = 1.58e12  # GTX 580 fp32, FLOP/s, as the source uses
ALEXNET_FORWARD_FLOP = 2 * 0.75e9  # 0.75 G add-multiplies per image, 2 FLOP each
ALEXNET_IMAGES = 1.2e6
ALEXNET_EPOCHS = 90


# --- the source analysis's AlexNet example ---------------------------------------------------


def test_alexnet_by_gpu_time_gives_the_source_analysis_0_0058_pfs_days() -> None:
    est = from_hardware(peak_flops=ALEXNET_PEAK, count=2, days=5.5, utilization=0.33)
    assert est.flop == pytest.approx(2 * 1.58e12 * 5.5 * 86400 * 0.33, rel=ARITHMETIC_RTOL)
    assert est.flop == pytest.approx(4.9553856e17, rel=ARITHMETIC_RTOL)
    assert est.pfs_days == pytest.approx(0.0058, rel=ALEXNET_GPU_TIME_RTOL)
    assert est.method == "hardware"


def test_alexnet_by_gpu_time_from_the_table_uses_the_gtx_580_fp32_rate_and_33_percent() -> None:
    est = from_hardware("NVIDIA GeForce GTX 580", count=2, days=5.5)
    assert est.assumption("peak_flops").value == 1.581e12
    assert est.assumption("precision").value == "fp32"
    assert est.assumption("utilization").value == 0.33
    assert "source analysis" in est.assumption("utilization").source
    assert est.pfs_days == pytest.approx(0.0058, rel=ALEXNET_GPU_TIME_RTOL)


def test_alexnet_five_to_six_days_brackets_the_source_figure() -> None:
    low = from_hardware(peak_flops=ALEXNET_PEAK, count=2, days=5, utilization=0.33)
    high = from_hardware(peak_flops=ALEXNET_PEAK, count=2, days=6, utilization=0.33)
    assert low.pfs_days < 0.0058 < high.pfs_days


def test_alexnet_by_counting_operations_gives_about_0_0054_pfs_days() -> None:
    est = from_operations(ALEXNET_FORWARD_FLOP, examples=ALEXNET_IMAGES, epochs=ALEXNET_EPOCHS)
    assert est.flop == pytest.approx(4.86e17, rel=ARITHMETIC_RTOL)
    assert est.pfs_days == pytest.approx(4.86e17 / 8.64e19, rel=ARITHMETIC_RTOL)
    assert est.pfs_days == pytest.approx(0.0054, rel=ALEXNET_COUNTING_RTOL)
    assert est.assumption("backward_factor").value == 3.0


def test_alexnet_counting_and_gpu_time_agree_within_the_source_analysis_factor_of_2() -> None:
    counted = from_operations(ALEXNET_FORWARD_FLOP, ALEXNET_IMAGES, ALEXNET_EPOCHS)
    timed = from_hardware(peak_flops=ALEXNET_PEAK, count=2, days=5.5, utilization=0.33)
    assert 0.5 < counted.flop / timed.flop < 2.0


# --- counting --------------------------------------------------------------------------------


def test_dense_transformer_is_six_times_parameters_times_tokens() -> None:
    est = dense_transformer(7e9, 2e12)
    assert est.flop == 8.4e22  # 6 * 7e9 * 2e12, by hand
    assert est.pfs_days == pytest.approx(8.4e22 / 8.64e19, rel=ARITHMETIC_RTOL)
    assert round(est.pfs_days, 2) == 972.22
    assert est.method == "dense_transformer"


def test_dense_transformer_equals_counting_two_flop_per_parameter_forward() -> None:
    n, d = 175e9, 300e9
    counted = from_operations(2 * n, examples=d, epochs=1)
    assert dense_transformer(n, d).flop == pytest.approx(counted.flop, rel=ARITHMETIC_RTOL)


def test_backward_factor_one_counts_the_forward_pass_only() -> None:
    est = from_operations(1e9, examples=1e6, epochs=2, backward_factor=1)
    assert est.flop == 2e15
    assert est.assumption("backward_factor").source == "given"


# --- hardware time ---------------------------------------------------------------------------


def test_h100_run_uses_the_tensor_rate_and_states_every_assumption() -> None:
    est = from_hardware("NVIDIA H100 SXM5", count=16000, days=90)
    assert est.flop == pytest.approx(16000 * 9.894e14 * 90 * 86400 * 0.33, rel=ARITHMETIC_RTOL)
    names = [a.name for a in est.assumptions]
    assert names == ["device", "count", "time", "peak_flops", "precision", "utilization"]
    assert est.assumption("device").value == "NVIDIA H100 SXM5 80GB (GPU)"
    assert 'matched from "NVIDIA H100 SXM5"' in est.assumption("device").source
    assert est.assumption("precision").value == "tensor_fp16_bf16"


def test_hours_and_days_are_the_same_clock() -> None:
    by_days = from_hardware(peak_flops=1e15, days=2, utilization=0.5)
    by_hours = from_hardware(peak_flops=1e15, hours=48, utilization=0.5)
    assert by_days.flop == by_hours.flop == 1e15 * 172800 * 0.5


def test_given_utilization_and_peak_override_the_defaults_and_say_so() -> None:
    est = from_hardware("NVIDIA H100 SXM5", count=8, hours=10, peak_flops=1e15, utilization=0.4)
    assert est.flop == pytest.approx(8 * 1e15 * 36000 * 0.4, rel=ARITHMETIC_RTOL)
    assert est.assumption("utilization").source == "given"
    assert "overrides the table" in est.assumption("peak_flops").source


@pytest.mark.parametrize(
    ("device_type", "expected"),
    [("GPU", 0.33), ("TPU", 0.33), ("NPU", 0.33), ("CPU", 0.17), ("Hybrid CPU", 0.17)],
)
def test_default_utilization_follows_the_source_analysis_by_device_type(
    device_type: str, expected: float
) -> None:
    value, source = default_utilization(device_type)
    assert value == expected
    assert device_type in source


def test_cpu_device_gets_17_percent_but_needs_a_peak_because_the_table_has_none() -> None:
    with pytest.raises(PrecisionUnavailableError, match="it has: none"):
        from_hardware("Intel Xeon Gold 6148", days=1)
    est = from_hardware("Intel Xeon Gold 6148", days=1, peak_flops=1e12)
    assert est.assumption("utilization").value == 0.17


def test_device_type_without_a_default_utilization_asks_for_one() -> None:
    with pytest.raises(EstimateInputError, match="no default utilization for device type 'SoC'"):
        default_utilization("SoC")


def test_requested_precision_reaches_the_table() -> None:
    fp32 = from_hardware("NVIDIA H100 SXM5", days=1, precision="fp32")
    assert fp32.assumption("peak_flops").value == 6.691e13
    with pytest.raises(PrecisionUnavailableError):
        from_hardware("NVIDIA H100 SXM5", days=1, precision="fp8")


def test_unknown_device_raises_the_lookup_error_with_candidates() -> None:
    with pytest.raises(AcceleratorNotFoundError, match="Closest names"):
        from_hardware("NVDIA H100 SXM5", days=1)


# --- the result object -----------------------------------------------------------------------


def test_estimate_prints_flop_pfs_days_and_where_each_assumption_came_from() -> None:
    text = str(from_hardware("NVIDIA H100 SXM5", count=16000, days=90))
    assert text.splitlines()[0] == "4.06e+25 FLOP = 4.70e+05 pfs-days (hardware)"
    assert "utilization = 0.33 (default for GPU" in text
    assert "count = 16000 (given)" in text


def test_pfs_days_is_derived_from_flop_and_not_settable() -> None:
    est = ComputeEstimate(flop=PFS_DAY_FLOP, method="m", formula="f", assumptions=())
    assert est.pfs_days == 1.0
    with pytest.raises(TypeError):
        ComputeEstimate(flop=1.0, method="m", formula="f", assumptions=(), pfs_days=2.0)  # type: ignore[call-arg]


def test_asking_for_a_missing_assumption_names_the_ones_there_are() -> None:
    est = dense_transformer(1e9, 1e9)
    with pytest.raises(KeyError, match="parameters"):
        est.assumption("utilization")


# --- input errors: name the parameter, the value and the fix ---------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"days": 1, "hours": 24},
            r"exactly one of days= or hours=.*got both: days=1, hours=24",
        ),
        ({}, r"exactly one of days= or hours=.*got neither"),
        ({"days": -1}, r"days must be greater than 0, got -1\. Pass the wall-clock"),
        ({"days": 0}, r"days must be greater than 0, got 0"),
        ({"hours": math.nan}, r"hours must be finite, got nan"),
        ({"days": math.inf}, r"days must be finite, got inf"),
        ({"days": "5"}, r"days must be a number, got '5'"),
        ({"days": 1, "count": 0}, r"count must be greater than 0, got 0\. Pass the number"),
        ({"days": 1, "count": True}, r"count must be a number, got True"),
        ({"days": 1, "utilization": 33}, r"utilization must be a fraction in \(0, 1\], got 33"),
        ({"days": 1, "utilization": -0.1}, r"utilization must be greater than 0, got -0\.1"),
        ({"days": 1, "peak_flops": -5.0}, r"peak_flops must be greater than 0, got -5\.0"),
    ],
)
def test_bad_hardware_inputs_raise_errors_naming_parameter_value_and_fix(
    kwargs: dict[str, object], pattern: str
) -> None:
    kwargs = {"peak_flops": 1e12, "utilization": 0.33, **kwargs}
    with pytest.raises(EstimateInputError, match=pattern):
        from_hardware(**kwargs)  # type: ignore[arg-type]


def test_without_device_or_peak_the_peak_is_unknown() -> None:
    with pytest.raises(EstimateInputError, match=r"give device= .* or peak_flops="):
        from_hardware(days=1, utilization=0.33)


def test_without_device_the_utilization_must_be_given() -> None:
    with pytest.raises(EstimateInputError, match=r"utilization is required when no device"):
        from_hardware(peak_flops=1e12, days=1)


@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        ((0.0, 1e6, 1), {}, r"flop_per_example_forward must be greater than 0, got 0\.0"),
        ((1e9, -1, 1), {}, r"examples must be greater than 0, got -1"),
        ((1e9, 1e6, math.nan), {}, r"epochs must be finite, got nan"),
        ((1e9, 1e6, 1), {"backward_factor": 0.5}, r"backward_factor must be at least 1"),
    ],
)
def test_bad_operation_counts_raise_errors_naming_the_parameter(
    args: tuple[float, ...], kwargs: dict[str, float], pattern: str
) -> None:
    with pytest.raises(EstimateInputError, match=pattern):
        from_operations(*args, **kwargs)


def test_bad_transformer_size_raises_an_error_naming_the_parameter() -> None:
    with pytest.raises(EstimateInputError, match=r"tokens must be greater than 0, got 0"):
        dense_transformer(7e9, 0)


def test_input_errors_are_flopcast_errors_and_value_errors() -> None:
    with pytest.raises(FlopcastError):
        dense_transformer(-1, 1)
    with pytest.raises(ValueError):
        dense_transformer(-1, 1)
