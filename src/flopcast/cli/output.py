"""Writing a command's machine-readable output: JSON to a file or to standard output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from flopcast.atomic import write_text_atomic


def emit_json(data: dict[str, Any], path: Path, what: str) -> None:
    """Write ``data`` as indented JSON to ``path`` (``-``: standard output) and say so.

    ``what`` names the output in the confirmation line ("summary JSON", "backtest JSON").
    """
    text = json.dumps(data, indent=2)
    if str(path) == "-":
        click.echo(text)
        return
    write_text_atomic(path, text + "\n")
    click.echo(f"wrote {what} to {path}")
