"""The documentation site builds with warnings as errors, executing every tutorial.

This is how CI builds the docs: ``pytest`` runs this test in the default suite (marker
``docs``; ``pytest -m docs`` runs it alone). It fails, rather than skips, when Sphinx or an
extension is missing: ``pip install -e ".[test]"`` installs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
#: The tutorials fit models (a numba compile each); the build takes a few minutes.
BUILD_TIMEOUT_S = 1800


@pytest.mark.docs
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    out = tmp_path / "html"
    env = dict(os.environ)
    # The tutorials' kernels import this checkout's package (docs/conf.py also sets it).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(DOCS),
        str(out),
    ]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    log = (result.stdout[-4000:] + "\n" + result.stderr[-8000:]).strip()
    assert result.returncode == 0, f"sphinx-build failed (exit {result.returncode}):\n{log}"
    for page in (
        "index.html",
        "tutorials/fit_and_forecast.html",
        "reference/cli.html",
        "reference/spec.html",
        "reference/api/fitting.html",
    ):
        assert (out / page).is_file(), f"{page} was not built"
    # The tutorials really ran: their executed output (a fitted summary) is on the page.
    tutorial = (out / "tutorials" / "fit_and_forecast.html").read_text(encoding="utf-8")
    assert "doubling_months_era_2" in tutorial
