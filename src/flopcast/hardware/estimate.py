"""Estimate the compute of a training run, by the source analysis's two methods.

1. **Counting operations** (:func:`from_operations`, :func:`dense_transformer`): FLOP per
   example in the forward pass x examples x epochs x a factor for the backward pass. The
   source analysis counts adds and multiplies separately (a multiply-accumulate is 2 FLOP)
   and takes forward + backward as 3x the forward pass. For a dense transformer with ``N``
   parameters trained on ``D`` tokens this is the familiar ``6 * N * D``.
2. **Hardware time** (:func:`from_hardware`): devices x peak FLOP/s x seconds x an assumed
   utilization, by default 33% for GPUs and TPUs and 17% for CPUs, the source analysis's
   assumptions.

The source analysis (OpenAI, "AI and Compute", 2018) aims to be right within a factor 2-3 with
these methods; treat the results as order-of-magnitude estimates. Every function returns a
:class:`ComputeEstimate` that records the assumptions it used.

Examples
--------
The source analysis's AlexNet example, both ways:

>>> round(from_hardware(peak_flops=1.58e12, count=2, days=5.5, utilization=0.33).pfs_days, 5)
0.00574
>>> round(from_operations(2 * 0.75e9, examples=1.2e6, epochs=90).pfs_days, 5)
0.00562
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from flopcast.exceptions import EstimateInputError
from flopcast.hardware import find_accelerator
from flopcast.hardware import peak_flops as _table_peak_flops
from flopcast.units import PFS_DAY_FLOP, SECONDS_PER_DAY, SECONDS_PER_HOUR

#: Default utilization by device type: the source analysis assumes 33% for GPUs and 17% for
#: CPUs; TPUs and other training accelerators are given the GPU figure.
DEFAULT_UTILIZATION: dict[str, float] = {"GPU": 0.33, "TPU": 0.33, "CPU": 0.17}

#: Device types (as the accelerator table spells them) treated as GPU-like or CPU-like.
ACCELERATOR_TYPES: frozenset[str] = frozenset(
    {"GPU", "TPU", "GPGPU", "DCU (GPGPU)", "NPU", "ASIC", "LPU", "XPU", "XPU-R"}
)
CPU_TYPES: frozenset[str] = frozenset({"CPU", "Hybrid CPU"})

#: Ratio of forward + backward cost to forward cost: the backward pass costs about twice the
#: forward pass (gradients with respect to both activations and weights).
DEFAULT_BACKWARD_FACTOR: float = 3.0

__all__ = [
    "ACCELERATOR_TYPES",
    "CPU_TYPES",
    "DEFAULT_BACKWARD_FACTOR",
    "DEFAULT_UTILIZATION",
    "Assumption",
    "ComputeEstimate",
    "EstimateInputError",
    "default_utilization",
    "dense_transformer",
    "format_sig3",
    "from_hardware",
    "from_operations",
]


@dataclass(frozen=True)
class Assumption:
    """One input of an estimate: its value and where it came from.

    Attributes
    ----------
    name : str
        What it is (``"utilization"``, ``"peak_flops"``, ...).
    value : object
        The value used.
    source : str
        Where the value came from: ``"given"`` or the default/table it was taken from.
    """

    name: str
    value: object
    source: str

    @property
    def value_text(self) -> str:
        """The value, briefly: integers as integers, other numbers to 3 significant figures."""
        return _fmt(self.value)

    def __str__(self) -> str:
        return f"{self.name} = {self.value_text} ({self.source})"


@dataclass(frozen=True)
class ComputeEstimate:
    """The compute of a training run, with the method and assumptions behind it.

    Attributes
    ----------
    flop : float
        Total training compute in FLOP.
    pfs_days : float
        The same in petaflop/s-days (``flop / 8.64e19``).
    method : str
        ``"operations"``, ``"dense_transformer"`` or ``"hardware"``.
    formula : str
        The product that gave ``flop``, in words.
    assumptions : tuple of Assumption
        Every input, with its source.
    """

    flop: float
    method: str
    formula: str
    assumptions: tuple[Assumption, ...]
    pfs_days: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pfs_days", self.flop / PFS_DAY_FLOP)

    def assumption(self, name: str) -> Assumption:
        """The assumption called ``name`` (raises ``KeyError`` listing the names if absent)."""
        for item in self.assumptions:
            if item.name == name:
                return item
        raise KeyError(f"no assumption {name!r}; have {[a.name for a in self.assumptions]}")

    def __str__(self) -> str:
        lines = [
            f"{self.flop:.2e} FLOP = {format_sig3(self.pfs_days)} pfs-days ({self.method})",
            f"  formula: {self.formula}",
        ]
        lines += [f"  {a}" for a in self.assumptions]
        return "\n".join(lines)


def format_sig3(x: float) -> str:
    """A result to three significant figures, in scientific notation outside [1e-3, 1000).

    Examples
    --------
    >>> format_sig3(0.0057354), format_sig3(12.0), format_sig3(3645.8)
    ('0.00574', '12.0', '3.65e+03')
    """
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e3:
        text = f"{x:#.3g}"
        return text[:-1] if text.endswith(".") else text
    return f"{x:.2e}"


def _fmt(value: object) -> str:
    """An input value, briefly: integers as integers, others to three significant figures."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    x = float(value)
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.3g}"


def _positive(name: str, value: object, fix: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float, or an EstimateInputError naming the parameter, value and fix."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EstimateInputError(f"{name} must be a number, got {value!r}. {fix}")
    x = float(value)
    if not math.isfinite(x):
        raise EstimateInputError(f"{name} must be finite, got {value!r}. {fix}")
    if x < 0 or (x == 0 and not allow_zero):
        raise EstimateInputError(f"{name} must be greater than 0, got {value!r}. {fix}")
    return x


def from_operations(
    flop_per_example_forward: float,
    examples: float,
    epochs: float = 1.0,
    *,
    backward_factor: float = DEFAULT_BACKWARD_FACTOR,
) -> ComputeEstimate:
    """Training compute from operations counted in the model (the source analysis's method 1).

    ``flop = flop_per_example_forward * examples * epochs * backward_factor``.

    Parameters
    ----------
    flop_per_example_forward : float
        FLOP of one forward pass on one example, **counting adds and multiplies separately**:
        if a paper or profiler gives multiply-accumulates (MACs, "mult-adds"), multiply them
        by 2 (:data:`flopcast.units.FLOP_PER_MAC`) before passing them here.
    examples : float
        Training examples per epoch (images, sequences, tokens: whatever the forward cost is
        per).
    epochs : float, default 1.0
        Passes over the examples; may be fractional.
    backward_factor : float, default 3.0
        Cost of forward + backward relative to forward alone. The backward pass costs about
        twice the forward pass, hence 3. Use 1 for inference-only counts.

    Returns
    -------
    ComputeEstimate

    Raises
    ------
    EstimateInputError
        If an input is not a positive finite number, or ``backward_factor < 1``.

    Examples
    --------
    AlexNet as the source analysis counts it: 0.75 G mult-adds per image forward, 1.2 M
    images, 90 epochs:

    >>> est = from_operations(2 * 0.75e9, examples=1.2e6, epochs=90)
    >>> est.flop
    4.86e+17
    >>> round(est.pfs_days, 4)
    0.0056
    """
    fwd = _positive(
        "flop_per_example_forward",
        flop_per_example_forward,
        "Pass the FLOP of one forward pass on one example (2 x the multiply-accumulates).",
    )
    n = _positive("examples", examples, "Pass the number of training examples per epoch.")
    e = _positive("epochs", epochs, "Pass the number of passes over the data (e.g. 90).")
    bf = _positive(
        "backward_factor",
        backward_factor,
        "Use 3 for training (forward + backward), 1 for a forward pass only.",
    )
    if bf < 1:
        raise EstimateInputError(
            f"backward_factor must be at least 1 (forward + backward costs at least the "
            f"forward pass), got {backward_factor!r}. Use 3 for training."
        )
    flop = fwd * n * e * bf
    bf_source = "given" if bf != DEFAULT_BACKWARD_FACTOR else "default: backward ≈ 2x forward"
    return ComputeEstimate(
        flop=flop,
        method="operations",
        formula="forward FLOP per example × examples × epochs × backward factor",
        assumptions=(
            Assumption("flop_per_example_forward", fwd, "given; adds and multiplies counted"),
            Assumption("examples", n, "given"),
            Assumption("epochs", e, "given"),
            Assumption("backward_factor", bf, bf_source),
        ),
    )


def dense_transformer(parameters: float, tokens: float) -> ComputeEstimate:
    """Training compute of a dense transformer by the ``6 * N * D`` rule.

    Each parameter does one multiply-accumulate (2 FLOP) per token in the forward pass, and
    forward + backward is 3x the forward pass: ``6 * parameters * tokens``. It ignores the
    attention term that grows with context length and any work outside the matrix products,
    which is a small correction for large models at usual context lengths. Mixture-of-experts
    models should pass the *active* parameters per token.

    Parameters
    ----------
    parameters : float
        Parameters used per token (N).
    tokens : float
        Training tokens (D), summed over epochs.

    Returns
    -------
    ComputeEstimate

    Raises
    ------
    EstimateInputError
        If an input is not a positive finite number.

    Examples
    --------
    GPT-3 175B on 300 B tokens:

    >>> est = dense_transformer(175e9, 300e9)
    >>> est.flop
    3.15e+23
    >>> round(est.pfs_days)
    3646
    """
    n = _positive("parameters", parameters, "Pass the number of (active) parameters, e.g. 7e9.")
    d = _positive("tokens", tokens, "Pass the number of training tokens, e.g. 2e12.")
    return ComputeEstimate(
        flop=6.0 * n * d,
        method="dense_transformer",
        formula="6 × parameters × tokens (2 FLOP per parameter per token, ×3 for backward)",
        assumptions=(
            Assumption("parameters", n, "given"),
            Assumption("tokens", d, "given"),
            Assumption("flop_per_parameter_per_token", 6.0, "rule: 2 forward × 3 fwd+bwd"),
        ),
    )


def default_utilization(device_type: str | None) -> tuple[float, str]:
    """The utilization assumed for a device type, and where the number comes from.

    Parameters
    ----------
    device_type : str or None
        The accelerator table's ``type`` (``GPU``, ``TPU``, ``CPU``, ``NPU``, ...).

    Returns
    -------
    (float, str)
        The utilization and a sentence saying where it comes from.

    Raises
    ------
    EstimateInputError
        For a type with no default (``SoC``, ``Other``, unknown).

    Examples
    --------
    >>> default_utilization("GPU")
    (0.33, 'default for GPU: the source analysis assumes 33% for GPUs')
    >>> default_utilization("CPU")[0]
    0.17
    """
    if device_type in ("GPU", "TPU"):
        return DEFAULT_UTILIZATION[device_type], (
            f"default for {device_type}: the source analysis assumes 33% for GPUs"
        )
    if device_type in ACCELERATOR_TYPES:
        return DEFAULT_UTILIZATION["GPU"], (
            f"default for {device_type}: the source analysis's 33% GPU assumption"
        )
    if device_type in CPU_TYPES:
        return DEFAULT_UTILIZATION["CPU"], (
            f"default for {device_type}: the source analysis assumes 17% for CPUs"
        )
    raise EstimateInputError(
        f"there is no default utilization for device type {device_type!r} (defaults: 0.33 for "
        "GPUs, TPUs and other accelerators, 0.17 for CPUs). Pass utilization= a fraction in "
        "(0, 1], e.g. 0.33."
    )


def from_hardware(
    device: str | None = None,
    count: float = 1,
    days: float | None = None,
    hours: float | None = None,
    peak_flops: float | None = None,
    utilization: float | None = None,
    precision: str = "auto",
) -> ComputeEstimate:
    """Training compute from hardware time (the source analysis's method 2).

    ``flop = count * peak_flops * seconds * utilization``.

    Parameters
    ----------
    device : str, optional
        Accelerator name, matched against the bundled table as in
        :func:`flopcast.hardware.find_accelerator`. Gives the peak rate (unless
        ``peak_flops`` is given) and the device type for the default utilization.
    count : float, default 1
        Number of devices.
    days, hours : float, optional
        Wall-clock training time; give exactly one.
    peak_flops : float, optional
        Peak FLOP/s per device. Overrides the table; required when ``device`` is not given.
    utilization : float, optional
        Fraction of peak actually achieved, in (0, 1]. Default by the device's type: 0.33 for
        GPUs, TPUs and other accelerators, 0.17 for CPUs (the source analysis's assumptions);
        required when no ``device`` is given.
    precision : str, default "auto"
        Which peak rate to read from the table (see :func:`flopcast.hardware.peak_flops`);
        ``"auto"`` takes tensor-core fp16/bf16 if the chip has it, else fp32. Ignored when
        ``peak_flops`` is given.

    Returns
    -------
    ComputeEstimate
        Its assumptions name the device, peak rate and precision, time and utilization, each
        with its source.

    Raises
    ------
    EstimateInputError
        For missing, non-numeric, non-positive or non-finite inputs, both or neither of
        ``days``/``hours``, a utilization outside (0, 1], or no way to get a peak rate.
    flopcast.hardware.AcceleratorNotFoundError
        If ``device`` does not identify one chip.
    flopcast.hardware.PrecisionUnavailableError
        If the table has no peak rate at the requested precision.

    Examples
    --------
    AlexNet, as the source analysis computes it (2 GTX 580s at 1.58 TFLOP/s, 5.5 days, 33%):

    >>> est = from_hardware(peak_flops=1.58e12, count=2, days=5.5, utilization=0.33)
    >>> round(est.pfs_days, 5)
    0.00574

    A large run on the bundled table's H100 numbers:

    >>> est = from_hardware("NVIDIA H100 SXM5", count=16000, days=90)
    >>> f"{est.flop:.3e}", est.assumption("utilization").value
    ('4.062e+25', 0.33)
    """
    # 1. Validate every number before touching the table, so errors come in a stable order.
    if (days is None) == (hours is None):
        given = "both" if days is not None else "neither"
        raise EstimateInputError(
            f"give exactly one of days= or hours= for the training time (got {given}: "
            f"days={days!r}, hours={hours!r})."
        )
    if days is not None:
        time_value = _positive("days", days, "Pass the wall-clock training time in days.")
        seconds, time_text = time_value * SECONDS_PER_DAY, f"{_fmt(time_value)} days"
    else:
        time_value = _positive("hours", hours, "Pass the wall-clock training time in hours.")
        seconds, time_text = time_value * SECONDS_PER_HOUR, f"{_fmt(time_value)} hours"
    n = _positive("count", count, "Pass the number of devices used, e.g. 8.")
    given_u: float | None = None
    if utilization is not None:
        given_u = _positive("utilization", utilization, "Pass a fraction in (0, 1], e.g. 0.33.")
        if given_u > 1:
            raise EstimateInputError(
                f"utilization must be a fraction in (0, 1], got {utilization!r}. "
                "Pass 0.4 for 40%, not 40."
            )
    given_peak: float | None = None
    if peak_flops is not None:
        given_peak = _positive(
            "peak_flops", peak_flops, "Pass the peak FLOP/s of one device, e.g. 1e15."
        )
    if device is None:
        if given_peak is None:
            raise EstimateInputError(
                "give device= (a name from the accelerator table) or peak_flops= (FLOP/s per "
                "device) so the peak rate is known."
            )
        if given_u is None:
            raise EstimateInputError(
                "utilization is required when no device is given, because the default depends "
                "on the device type (0.33 for GPUs/TPUs, 0.17 for CPUs). Pass e.g. "
                "utilization=0.33."
            )

    # 2. Resolve the device, its peak rate and the utilization, recording where each came from.
    assumptions: list[Assumption] = []
    device_type: str | None = None
    if device is not None:
        row = find_accelerator(device)
        device_type = row["type"] if isinstance(row["type"], str) else None
        matched = row["name"]
        how = "bundled table" if matched == device else f'bundled table, matched from "{device}"'
        assumptions.append(
            Assumption("device", f"{matched} ({device_type or 'type unknown'})", how)
        )
    assumptions.append(Assumption("count", n, "given"))
    assumptions.append(Assumption("time", time_text, f"given; {_fmt(seconds)} s"))

    if given_peak is not None:
        peak = given_peak
        label = "given, overrides the table" if device is not None else "given"
        assumptions.append(Assumption("peak_flops", peak, label))
        shown = "unspecified" if precision == "auto" else precision
        assumptions.append(Assumption("precision", shown, "label for the given peak_flops"))
    else:
        assert device is not None  # checked above
        looked_up = _table_peak_flops(device, precision)
        peak = looked_up.flops
        assumptions.append(Assumption("peak_flops", peak, "bundled table (Epoch AI), per device"))
        assumptions.append(Assumption("precision", looked_up.precision, looked_up.reason))

    if given_u is not None:
        u, u_source = given_u, "given"
    else:
        u, u_source = default_utilization(device_type)
    assumptions.append(Assumption("utilization", u, u_source))

    return ComputeEstimate(
        flop=n * peak * seconds * u,
        method="hardware",
        formula="count × peak FLOP/s × seconds × utilization",
        assumptions=tuple(assumptions),
    )
