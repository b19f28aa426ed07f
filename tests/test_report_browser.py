"""The report as a user sees it: ``index.html`` in headless Chromium.

Chromium (Debian's ``chromium`` package; CI's ``.ci/run`` installs it) loads the page from
disk three times: ``--dump-dom`` (the DOM after loading, to count the figures),
``--print-to-pdf`` and ``--screenshot``. The tests are skipped, with the reason, when
Chromium is not installed.

Console errors: the page has no script at all (its Content-Security-Policy forbids
scripts and every network load), so *any* console message means something went wrong
(a blocked load, a CSP violation, a parse error). Chromium prints console messages to
stderr with ``--enable-logging=stderr --v=0`` as lines containing ``:CONSOLE`` (e.g.
``INFO:CONSOLE:2] "Uncaught ReferenceError: ...", source: file:///...``); the tests scan
for them. A negative control (a page that logs an error and calls an undefined function)
checks that the scan sees such messages, so a change in Chromium's log format fails the
test instead of letting errors pass unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import example_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Browser tests have their own marker (``pytest -m "not browser"`` leaves them out). A
#: developer without chromium sees them skipped; in CI (``CI`` set) they run or fail.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="chromium is not installed (apt-get install -y chromium); .ci/run installs it",
    ),
]

#: Flags for a quiet, offline, sandbox-free headless run (containers have no user namespace).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
TIMEOUT_S = 120
CONSOLE_LINE = re.compile(r":CONSOLE[:(]")


def chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium once on ``url`` with a throw-away profile."""
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_LINE.search(line)]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return example_report(tmp_path_factory.mktemp("report")).out / "index.html"


@pytest.fixture
def profile(tmp_path) -> Path:
    return tmp_path / "chromium-profile"


@pytest.fixture(scope="module")
def dom(page, tmp_path_factory) -> tuple[str, str]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    run = chromium(page.as_uri(), profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


def test_the_console_scan_sees_errors(tmp_path, profile):
    control = tmp_path / "control.html"
    control.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>c</title></head><body>"
        "<script>console.error('flopcast-control'); notDefined();</script></body></html>",
        encoding="utf-8",
    )
    run = chromium(control.as_uri(), profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    messages = console_messages(run.stderr)
    assert any("flopcast-control" in m for m in messages), run.stderr[-2000:]
    assert any("notDefined" in m for m in messages), run.stderr[-2000:]


def test_page_loads_without_console_errors(dom):
    _, stderr = dom
    assert console_messages(stderr) == []


def test_every_figure_and_section_is_in_the_loaded_page(dom, page):
    html, _ = dom
    expected = len(list((page.parent / "figures").glob("*.png")))
    images = re.findall(r'<img [^>]*src="data:image/png;base64,', html)
    assert expected == 8  # every chart of the example report, the counts chart included
    assert len(images) == expected
    assert len(re.findall(r"<h2>", html)) == 12  # the sections, "Runs above thresholds" included
    assert "<script" not in html.lower()  # escaped data did not become markup


def test_page_prints_to_a_multi_page_pdf(page, tmp_path, profile):
    pdf = tmp_path / "report.pdf"
    run = chromium(page.as_uri(), profile, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.is_file(), run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 5, f"{pages} pages, {len(data)} bytes"


def test_page_screenshots(page, tmp_path, profile):
    shot = tmp_path / "report.png"
    run = chromium(page.as_uri(), profile, f"--screenshot={shot}", "--window-size=1280,2400")
    assert shot.is_file(), run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:4] == b"\x89PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
    assert len(data) > 50_000  # a rendered page, not a blank one
