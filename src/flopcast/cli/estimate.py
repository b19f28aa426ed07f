"""``flopcast estimate``: quick compute estimates for one training run.

A thin layer over :mod:`flopcast.hardware.estimate`: parse options, call the function, print
the result and every assumption behind it. Bad input prints one ``Error:`` line and exits
with status 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import click

from flopcast.cli.errors import fail
from flopcast.exceptions import FlopcastError
from flopcast.hardware.estimate import (
    DEFAULT_BACKWARD_FACTOR,
    ComputeEstimate,
    dense_transformer,
    format_sig3,
    from_hardware,
    from_operations,
)
from flopcast.units import FLOP_PER_MAC

TITLES = {
    "hardware": "hardware time (devices × peak × time × utilization)",
    "operations": "counted operations",
    "dense_transformer": "dense transformer, 6 × N × D",
}


def _render(est: ComputeEstimate, extra: list[str] | None = None) -> str:
    width = max(len(a.name) for a in est.assumptions)
    lines = [
        f"Training compute: {TITLES.get(est.method, est.method)}",
        f"  FLOP:      {est.flop:.2e}",
        f"  pfs-days:  {format_sig3(est.pfs_days)}",
        "Assumptions:",
    ]
    lines += [f"  {a.name:<{width}}  {a.value_text}  ({a.source})" for a in est.assumptions]
    lines += extra or []
    lines.append(f"  formula: {est.formula}")
    return "\n".join(lines)


#: Python keyword arguments named in API messages -> the options a CLI user types.
_OPTION_NAMES = re.compile(
    r"\b(device|count|days|hours|peak_flops|utilization|precision|examples|epochs|"
    r"backward_factor|parameters|tokens)="
)


def _cli_message(message: str) -> str:
    """Reword an API error for the command line: ``utilization=0.33`` -> ``--utilization 0.33``."""
    message = message.replace("flop_per_example_forward", "--forward-flop")

    def option(match: re.Match[str]) -> str:
        value_follows = match.end() < len(message) and not message[match.end()].isspace()
        return "--" + match.group(1).replace("_", "-") + (" " if value_follows else "")

    return _OPTION_NAMES.sub(option, message)


def _run(build: Callable[[], ComputeEstimate], extra: list[str] | None = None) -> None:
    try:
        est = build()
    except FlopcastError as exc:
        fail(_cli_message(str(exc)))
    click.echo(_render(est, extra))


@click.group(name="estimate")
def estimate() -> None:
    """Estimate the compute of one training run (FLOP and petaflop/s-days).

    The two methods of OpenAI's "AI and Compute" analysis: count the operations
    (`operations`, `transformer`), or multiply hardware, time and an assumed utilization
    (`hardware`). Expect order-of-magnitude accuracy (a factor 2-3).
    """


@estimate.command("hardware")
@click.option("--device", help='Accelerator name from the bundled table, e.g. "NVIDIA H100 SXM5".')
@click.option("--count", type=float, default=1, show_default=True, help="Number of devices.")
@click.option("--days", type=float, help="Training time in days (or use --hours).")
@click.option("--hours", type=float, help="Training time in hours (or use --days).")
@click.option("--peak-flops", type=float, help="Peak FLOP/s per device; overrides the table.")
@click.option(
    "--utilization",
    type=float,
    help="Fraction of peak achieved. Default: 0.33 for GPUs/TPUs, 0.17 for CPUs.",
)
@click.option(
    "--precision",
    default="auto",
    show_default=True,
    help="Peak rate to use: auto, fp64, fp32, fp16, tf32, tensor_fp16_bf16 (bf16), fp8, int8. "
    "auto = tensor-core fp16/bf16 if the chip has it, else fp32.",
)
def hardware_command(
    device: str | None,
    count: float,
    days: float | None,
    hours: float | None,
    peak_flops: float | None,
    utilization: float | None,
    precision: str,
) -> None:
    """Devices × peak FLOP/s × time × utilization.

    \b
    Example:
      flopcast estimate hardware --device "NVIDIA H100 SXM5" --count 16000 --days 90
    """
    _run(
        lambda: from_hardware(
            device=device,
            count=count,
            days=days,
            hours=hours,
            peak_flops=peak_flops,
            utilization=utilization,
            precision=precision,
        )
    )


@estimate.command("operations")
@click.option(
    "--forward-flop",
    type=float,
    help="FLOP of one forward pass on one example, adds and multiplies counted separately.",
)
@click.option(
    "--forward-macs",
    type=float,
    help="Or: multiply-accumulates of one forward pass (counted as 2 FLOP each).",
)
@click.option("--examples", type=float, required=True, help="Training examples per epoch.")
@click.option("--epochs", type=float, default=1.0, show_default=True, help="Passes over the data.")
@click.option(
    "--backward-factor",
    type=float,
    default=DEFAULT_BACKWARD_FACTOR,
    show_default=True,
    help="(forward + backward) / forward cost.",
)
def operations_command(
    forward_flop: float | None,
    forward_macs: float | None,
    examples: float,
    epochs: float,
    backward_factor: float,
) -> None:
    """Forward FLOP per example × examples × epochs × 3 (forward + backward).

    \b
    Example (AlexNet, as the source analysis counts it):
      flopcast estimate operations --forward-macs 0.75e9 --examples 1.2e6 --epochs 90
    """
    if (forward_flop is None) == (forward_macs is None):
        raise click.UsageError("give exactly one of --forward-flop or --forward-macs.")
    extra: list[str] = []
    if forward_macs is not None:
        forward_flop = FLOP_PER_MAC * forward_macs
        extra.append(f"  (forward FLOP = {FLOP_PER_MAC:g} × {forward_macs:.3g} MACs)")
    assert forward_flop is not None  # exactly one of the two options was given
    per_example = forward_flop
    _run(
        lambda: from_operations(
            per_example, examples=examples, epochs=epochs, backward_factor=backward_factor
        ),
        extra,
    )


@estimate.command("transformer")
@click.option("--parameters", type=float, required=True, help="(Active) parameters N.")
@click.option("--tokens", type=float, required=True, help="Training tokens D.")
def transformer_command(parameters: float, tokens: float) -> None:
    """Dense transformer: 6 × parameters × tokens.

    \b
    Example (GPT-3 175B on 300B tokens):
      flopcast estimate transformer --parameters 175e9 --tokens 300e9
    """
    _run(lambda: dense_transformer(parameters, tokens))


#: Picked up by :mod:`flopcast.cli`.
command = estimate
