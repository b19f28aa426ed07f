"""``flopcast data update`` against a local HTTP server (127.0.0.1, port 0): good exports,
bad ones, and that a failed update always leaves the previous copy intact."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from flopcast.cli import main as cli
from flopcast.exceptions import DataUpdateError
from flopcast.runs import load_runs, read_runs
from flopcast.runs.summary import undisclosed_at_frontier
from flopcast.runs.update import DATASETS, diff_tables, load_latest, update_data

FIXTURES = Path(__file__).parent / "fixtures" / "epoch"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, body: bytes, status: int = 200, content_type: str = "text/csv") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            self.wfile.write(body)

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        if name == "error.csv":  # an HTML error page with status 200
            self._send((FIXTURES / "error_page.html").read_bytes(), content_type="text/html")
        elif name == "truncated.csv":  # promises the whole file, sends a third, hangs up
            body = (FIXTURES / "good.csv").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
        elif name == "small.csv":  # a valid export with a few rows
            lines = (FIXTURES / "good.csv").read_bytes().splitlines(keepends=True)
            self._send(b"".join(lines[:21]))
        elif name == "slow.csv":
            time.sleep(3)
            self._send((FIXTURES / "good.csv").read_bytes())
        elif (FIXTURES / name).is_file() and name.endswith(".csv"):
            self._send((FIXTURES / name).read_bytes())
        else:
            self._send(b"not found", status=404, content_type="text/plain")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOPCAST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "epoch"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_default_urls_are_epochs_four_datasets():
    assert set(DATASETS) == {"all", "notable", "large-scale", "frontier"}
    for d in DATASETS.values():
        assert d.url.startswith("https://epoch.ai/data/") and d.url.endswith(".csv")
    assert DATASETS["large-scale"].floor_flop == 1e23


def test_update_stores_copy_with_record_and_diff(server, cache):
    first = update_data("large-scale", f"{server}/previous.csv")
    assert first.diff.baseline.startswith("the bundled snapshot")
    result = update_data("large-scale", f"{server}/good.csv")
    record = result.record
    assert record["url"] == f"{server}/good.csv"
    assert record["sha256"] == read_runs(FIXTURES / "good.csv").sha256
    assert record["n_rows"] == 133 and record["n_undisclosed"] == 32
    assert record["floor_flop"] == 1e23 and record["downloaded"].endswith("+00:00")
    assert (cache / "large-scale.csv").read_bytes() == (FIXTURES / "good.csv").read_bytes()

    diff = result.diff
    assert diff.baseline.startswith("the previous update")
    assert diff.removed["system"].tolist() == ["Withdrawn Fixture Model"]
    gpt4 = diff.changed.set_index("system").loc["GPT-4"]
    assert gpt4["factor"] == pytest.approx(2.1 / 1.5)
    assert len(diff.changed) == 1
    assert len(diff.new) > 0 and diff.new["date"].min() >= pd.Timestamp("2025")
    assert "Claude Opus 4" in set(diff.new_undisclosed["system"])
    assert diff.new_undisclosed["date"].min().year == 2025
    text = diff.format()
    assert "GPT-4: 1.5e+25 -> 2.1e+25 FLOP (x1.4)" in text
    assert "removed: 1" in text


def test_latest_loads_the_download_with_its_origin(server, cache):
    update_data("large-scale", f"{server}/good.csv")
    table = load_runs("latest")
    assert table.origin["url"] == f"{server}/good.csv"
    assert table.origin["dataset"] == "large-scale"
    assert "downloaded from" in table.note
    assert len(table.undisclosed) == 32
    assert undisclosed_at_frontier(table).count == 32
    assert len(load_latest("large-scale").runs) == len(table.runs)

    from flopcast.fitting.inputs import resolve_runs
    from flopcast.spec import ModelSpec

    _, origin = resolve_runs(table, ModelSpec.from_dict({"name": "t"}))
    assert origin.download["sha256"] == table.sha256


def test_latest_without_a_download_says_what_to_do(cache):
    with pytest.raises(DataUpdateError, match="run `flopcast data update` first"):
        load_runs("latest")
    result = CliRunner().invoke(cli, ["fit", "--data", "latest"])
    assert result.exit_code == 2
    assert "flopcast data update" in result.output


def test_a_tampered_copy_is_refused(server, cache):
    update_data("all", f"{server}/good.csv")
    (cache / "all.csv").write_bytes((FIXTURES / "previous.csv").read_bytes())
    with pytest.raises(DataUpdateError, match="does not match its download record"):
        load_runs("latest")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("renamed_columns.csv", "not a valid Epoch export: .*missing required column 'Publi"),
        ("error.csv", "is an HTML page, not a CSV export"),
        ("no_such_file.csv", "failed: HTTPError: 404"),
        ("truncated.csv", "failed: "),
        ("slow.csv", "no answer within the time limit"),
    ],
)
def test_a_bad_download_keeps_the_previous_copy(server, cache, path, message):
    update_data("all", f"{server}/previous.csv")
    before = _snapshot(cache)
    with pytest.raises(DataUpdateError, match=message) as info:
        update_data("all", f"{server}/{path}", timeout=0.5)
    assert "\n" not in str(info.value)
    assert _snapshot(cache) == before
    assert load_runs("latest").origin["url"] == f"{server}/previous.csv"


def test_a_much_shorter_export_needs_force(server, cache):
    update_data("all", f"{server}/good.csv")
    before = _snapshot(cache)
    # previous.csv has 91 rows, good.csv 133: not fewer than half, so accepted.
    update_data("all", f"{server}/previous.csv")
    assert _snapshot(cache) != before
    before = _snapshot(cache)
    with pytest.raises(DataUpdateError, match="fewer than half of the previous copy's 91"):
        update_data("all", f"{server}/small.csv")
    assert _snapshot(cache) == before
    assert update_data("all", f"{server}/small.csv", force=True).record["n_rows"] < 91 / 2


def test_missing_and_extra_columns_still_update(server, cache):
    result = update_data("all", f"{server}/missing_and_extra_columns.csv")
    assert result.record["n_runs"] == 101
    assert "Frontier model" in result.record["ignored_columns"]
    assert "Confidence" in result.record["missing_columns"]


def test_cli_update_prints_the_diff_and_latest_works_everywhere(server, cache):
    runner = CliRunner()
    first = runner.invoke(
        cli, ["data", "update", "--dataset", "large-scale", "--url", f"{server}/previous.csv"]
    )
    assert first.exit_code == 0, first.output
    result = runner.invoke(
        cli, ["data", "update", "--dataset", "large-scale", "--url", f"{server}/good.csv"]
    )
    assert result.exit_code == 0, result.output
    assert "Updated Epoch AI dataset 'large-scale'" in result.output
    assert "new runs without a compute estimate: 32" in result.output or (
        "new runs without a compute estimate:" in result.output
    )
    summary = runner.invoke(cli, ["data", "summary", "latest"])
    assert summary.exit_code == 0, summary.output
    assert "Runs without a disclosed compute estimate: 32" in summary.output
    assert "32 runs published since 2024-01-01 by developers with a top-10 run" in summary.output
    bad = runner.invoke(cli, ["data", "update", "--url", f"{server}/error.csv"])
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "HTML page" in bad.output


def test_diff_of_a_table_with_itself_is_empty():
    table = read_runs(FIXTURES / "good.csv")
    diff = diff_tables(table, table)
    assert (len(diff.new), len(diff.changed), len(diff.removed), len(diff.new_undisclosed)) == (
        0,
        0,
        0,
        0,
    )


def test_report_states_the_data_age_and_warns_past_six_months():
    import datetime as dt
    from types import SimpleNamespace

    from flopcast.report.document import Banner, Paragraph
    from flopcast.report.sections.provenance import data_age_blocks

    bundled = load_runs()
    fit = SimpleNamespace(provenance={"data_source": "bundled"}, runs=bundled.runs)
    blocks = data_age_blocks(fit, bundled, today=dt.date(2026, 11, 30))
    assert isinstance(blocks[0], Paragraph)
    assert "data snapshot taken 2025-06-20, 528 days (17 months)" in blocks[0].text
    assert isinstance(blocks[1], Banner) and "17 months older" in blocks[1].title
    fresh = SimpleNamespace(
        provenance={
            "data_source": "x.csv",
            "data_download": {"downloaded": "2026-10-01T08:00:00+00:00"},
        },
        runs=bundled.runs,
    )
    blocks = data_age_blocks(fresh, None, today=dt.date(2026, 11, 30))
    assert len(blocks) == 1 and "data downloaded 2026-10-01, 60 days" in blocks[0].text
