"""``flopcast data``: summary, validate and import print plain tables and never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from flopcast import runs as fio
from flopcast.cli import main

GOOD = "system,date,compute_flop\nAlpha,2020-01-01,1e21\nBeta,2021-06-15,3.5e22\n"
BAD = (
    "system,date,compute_flop,method\n"
    "Alpha,2020-01-01,1e21,counted\n"
    "Beta,2020-13-01,-5,counted\n"
    "Alpha,2021-01-01,1e22,guess\n"
)
EPOCH = (
    "Model,Publication date,Training compute (FLOP),Confidence,Training compute estimation method\n"
    "Big,2023-01-01,1e24,Likely,Hardware\n"
    "Unestimated,2023-02-01,,Unknown,\n"
    'Small,2019-01-01,3e19,Confident,"Operation counting,Hardware"\n'
)
ANSI = re.compile(r"\x1b\[")


def invoke(*args: str):
    result = CliRunner().invoke(main, ["data", *args])
    assert "Traceback" not in result.output
    assert not ANSI.search(result.output), "no colour codes when not a terminal"
    return result


def write(tmp_path: Path, text: str | bytes, name: str = "runs.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_data_group_is_registered_on_the_main_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "data" in result.output
    sub = invoke("--help")
    assert all(name in sub.output for name in ("summary", "validate", "import"))


# ------------------------------------------------------------------------------------------
# summary
# ------------------------------------------------------------------------------------------


def test_summary_without_a_path_describes_the_bundled_data_and_its_exclusions():
    result = invoke("summary")
    assert result.exit_code == 0, result.output
    out = result.output
    table = fio.load_runs()
    assert out.startswith(f"Run table: {table.source} (sha256 {table.sha256[:12]})")
    assert "snapshot 2025-06-20" in out
    assert "988 usable runs from 1892 input rows; 904 excluded; 0 problems" in out
    assert re.search(r"before 2012\s+63", out) and re.search(r"2012 and after\s+925", out)
    for label, count in [("counted", 522), ("hardware", 312), ("reported", 43), ("other", 111)]:
        assert re.search(rf"\n{label}\s+{count}\n", out), label
    assert re.search(
        r"modern/counted/confident\s+modern\s+counted\s+confident\s+2\.00\s+0\.183", out
    )
    assert "sigma in log10 units" in out
    assert re.search(r"no training compute estimate\s+904", out)


def test_summary_of_a_user_file_names_it_and_counts_its_exclusions(tmp_path):
    path = write(tmp_path, BAD)
    result = invoke("summary", str(path))
    assert result.exit_code == 0, result.output
    assert f"Run table: {path} (sha256 " in result.output
    assert "1 usable runs from 3 input rows; 2 excluded" in result.output
    assert re.search(r"duplicate system name\s+1", result.output)
    assert re.search(r"compute is negative\s+1", result.output)


def test_summary_of_an_unusable_file_prints_one_error_and_exits_2(tmp_path):
    result = invoke("summary", str(write(tmp_path, "")))
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "empty" in result.output


# ------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------


def test_validate_a_good_file_says_ok_with_counts_and_exits_0(tmp_path):
    result = invoke("validate", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 2 usable rows, 0 excluded")


def test_validate_an_epoch_export_lists_expected_exclusions_and_exits_0(tmp_path):
    result = invoke("validate", str(write(tmp_path, EPOCH, "epoch.csv")))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 2 usable rows, 1 excluded in ")
    assert "epoch format" in result.output.splitlines()[0]
    assert re.search(
        r"3\s+Unestimated\s+Training compute \(FLOP\)\s+no training compute", result.output
    )


def test_validate_a_bad_file_prints_every_problem_with_file_row_column_value_and_exits_1(
    tmp_path,
):
    path = write(tmp_path, BAD)
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    out = result.output
    assert out.startswith("FAILED: 4 problem(s) in 2 row(s)")
    header = next(line for line in out.splitlines() if line.startswith("file"))
    assert header.split() == ["file", "row", "system", "column", "value", "reason"]
    expected_rows = [
        (3, "date", "2020-13-01", "is not a valid YYYY-MM-DD date"),
        (3, "compute_flop", "-5", "is negative"),
        (4, "system", "Alpha", "duplicate name (first at row 2"),
        (4, "method", "guess", "allowed: counted, hardware, reported, other"),
    ]
    for row, column, value, reason in expected_rows:
        cells = [re.escape(str(path)), str(row), r"\S+", column, re.escape(value)]
        pattern = r"\s+".join(cells) + rf"\s+.*{re.escape(reason)}"
        assert re.search(pattern, out), (row, column)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty"),
        ("system,date,compute_flop\n", "no data rows"),
        ("system;date;compute_flop\nA;2020-01-01;1\n", "looks like ';'-delimited"),
        (b"\x00\x01\x02\x03binary", "not a CSV text file"),
        ("system,date\nA,2020-01-01\n", "missing required column 'compute_flop'"),
        (b"system,date,compute_flop\nCaf\xe9,2020-01-01,1\n", "not valid UTF-8"),
    ],
    ids=["empty", "header-only", "semicolons", "binary", "missing-column", "latin-1"],
)
def test_validate_an_unusable_file_prints_one_readable_error_and_exits_2(
    tmp_path, content, expected
):
    path = write(tmp_path, content)
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path}: ")
    assert expected in result.output


def test_validate_a_missing_file_is_a_usage_error(tmp_path):
    result = invoke("validate", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_validate_uses_the_given_today_for_future_dates(tmp_path):
    path = write(tmp_path, "system,date,compute_flop\nA,2025-01-02,1\n")
    assert invoke("validate", str(path), "--today", "2025-01-03").exit_code == 0
    result = invoke("validate", str(path), "--today", "2025-01-01")
    assert result.exit_code == 1 and "is in the future (after 2025-01-01)" in result.output


def test_validate_limits_the_rows_shown_and_says_how_many_more(tmp_path):
    lines = ["system,date,compute_flop"] + [f"s{i},2020-01-01,-1" for i in range(30)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = invoke("validate", str(path), "--max-rows", "5")
    assert result.exit_code == 1 and "... and 25 more" in result.output
    everything = invoke("validate", str(path), "--max-rows", "0")
    assert "more" not in everything.output and "s29" in everything.output


# ------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------


def test_import_converts_an_epoch_export_to_a_canonical_file_and_lists_exclusions(tmp_path):
    source = write(tmp_path, EPOCH, "epoch.csv")
    out = tmp_path / "canonical.csv"
    excluded = tmp_path / "excluded.csv"
    result = invoke("import", str(source), "-o", str(out), "--excluded", str(excluded))
    assert result.exit_code == 0, result.output
    assert "Imported 2 runs" in result.output and "1 of 3 rows excluded" in result.output
    assert re.search(r"no training compute estimate\s+1", result.output)
    table = fio.read_runs(out)
    assert table.format == "canonical" and table.ok
    assert table.runs["system"].tolist() == ["Small", "Big"]
    assert table.runs["method"].tolist() == ["counted", "hardware"]
    assert pd.read_csv(excluded)["system"].tolist() == ["Unestimated"]


def test_import_reports_problems_but_still_writes_the_usable_rows(tmp_path):
    out = tmp_path / "out.csv"
    result = invoke("import", str(write(tmp_path, BAD)), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Problems (4)" in result.output
    assert fio.read_runs(out).runs["system"].tolist() == ["Alpha"]


def test_import_refuses_to_overwrite_its_input(tmp_path):
    path = write(tmp_path, GOOD)
    result = invoke("import", str(path), "-o", str(path))
    assert result.exit_code == 2 and "must differ" in result.output
    assert path.read_text(encoding="utf-8") == GOOD


def test_import_of_an_unusable_file_writes_nothing_and_exits_2(tmp_path):
    out = tmp_path / "out.csv"
    result = invoke("import", str(write(tmp_path, "system\tdate\tcompute_flop\n")), "-o", str(out))
    assert result.exit_code == 2 and "tab-delimited" in result.output
    assert not out.exists()


def test_every_command_shares_one_exit_code_for_bad_input(tmp_path):
    """The same mistake (a spec or runs file that does not exist) exits 2 in every command."""
    from flopcast.cli import main
    from flopcast.cli.errors import EXIT_BAD_INPUT

    runner = CliRunner()
    missing_spec = str(tmp_path / "no_such_spec.toml")
    for args in (
        ["fit", "--spec", missing_spec],
        ["forecast", "--spec", missing_spec],
        ["report", "--spec", missing_spec, "--out", str(tmp_path / "r")],
        ["backtest", "--spec", missing_spec],
        ["data", "summary", str(write(tmp_path, ""))],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == EXIT_BAD_INPUT, (args, result.output)
        assert result.output.startswith("Error: "), (args, result.output)
        assert "Traceback" not in result.output


def test_a_file_system_error_exits_3_and_names_the_file(tmp_path):
    from flopcast.cli import main
    from flopcast.cli.errors import EXIT_FILE_SYSTEM

    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["data", "import", str(write(tmp_path, GOOD)), "-o", str(blocker / "out.csv")]
    )
    assert result.exit_code == EXIT_FILE_SYSTEM, result.output
    assert result.output.startswith("Error: ") and str(blocker) in result.output
